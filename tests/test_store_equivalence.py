"""The fast paths of a run give what the plain ones did: the timeseries written straight from
the recorder's arrays is the long table pandas would build from them, row for row and type
for type, and figures drawn concurrently are the files drawn one after the other."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hegemon
from hegemon.ensemble.store import _write_batches
from hegemon.ensemble.tables import long_timeseries
from hegemon.plots import figures
from hegemon.plots.jobs import STANDARD_FIGURES, Job, draw_jobs, figure_pool

START = dt.date(2020, 11, 10)


def plain_long_table(
    scenario: str, replicates: np.ndarray, series: dict[tuple, np.ndarray]
) -> pd.DataFrame:
    """The long timeseries built the plain way: a frame per series, concatenated, its
    strings as categoricals with sorted categories (what the store wrote before)."""
    frames = []
    for (metric, actor, target), values in series.items():
        steps, n = values.shape
        frames.append(
            pd.DataFrame(
                {
                    "scenario": scenario,
                    "replicate": np.tile(replicates, steps),
                    "step": np.repeat(np.arange(steps), n),
                    "date": np.repeat(
                        pd.date_range(START, periods=steps, freq="7D").to_numpy("datetime64[ns]"),
                        n,
                    ),
                    "metric": metric,
                    "actor": actor,
                    "target": target,
                    "value": values.ravel(),
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    for column in ("scenario", "metric", "actor", "target"):
        labels = pd.Index(sorted(set(table[column].dropna())), dtype="str")
        table[column] = pd.Categorical(table[column], categories=labels)
    return table


@pytest.mark.parametrize("rows", [1, 1000, 2**20], ids=["a-series-a-batch", "small", "default"])
def test_the_timeseries_writer_gives_the_plain_long_table(tmp_path, rows):
    rng = np.random.default_rng(3)
    replicates = np.arange(5, 12)
    keys = [
        ("influence", "Russia", None),
        ("influence", "Turkey", None),
        ("trust", "Armenia", "Russia"),
        ("ceasefire", None, None),
        ("influence_over", "Russia", "Armenia"),
    ]
    series = {key: rng.normal(size=(4, replicates.size)) for key in keys}
    file = tmp_path / "part.parquet"
    _write_batches(file, long_timeseries("baseline", START, replicates, series, rows=rows))
    pd.testing.assert_frame_equal(
        pd.read_parquet(file), plain_long_table("baseline", replicates, series), check_exact=True
    )


def test_a_runs_timeseries_reads_as_documented(baseline_ensemble):
    """docs/results.md: strings read as categoricals, int64 replicate and step,
    datetime64[ns] date, float64 value; every series, step and replicate once."""
    ts = baseline_ensemble.timeseries
    assert ts is not None
    expected = {"replicate": "int64", "step": "int64", "date": "datetime64[ns]", "value": "float64"}
    for column, dtype in expected.items():
        assert str(ts[column].dtype) == dtype
    for column in ("scenario", "metric", "actor", "target"):
        assert isinstance(ts[column].dtype, pd.CategoricalDtype)
    keys = ts[["metric", "actor", "target"]].drop_duplicates()
    steps, replicates = ts["step"].nunique(), ts["replicate"].nunique()
    assert len(ts) == len(keys) * steps * replicates
    assert not ts.duplicated(["metric", "actor", "target", "step", "replicate"]).any()


def test_the_standard_figures_are_the_names_the_jobs_draw():
    assert tuple(figures.FIGURES) == STANDARD_FIGURES


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_figures_drawn_concurrently_are_the_files_drawn_one_by_one(baseline, tmp_path):
    results = hegemon.run(baseline, replicates=30, seed=4, out=tmp_path / "run")
    serial = hegemon.draw(results, tmp_path / "serial", formats=("png", "svg"))
    concurrent = hegemon.draw(results, tmp_path / "concurrent", formats=("png", "svg"), workers=2)
    assert [p.name for p in concurrent] == [p.name for p in serial]
    assert "event_history.png" in {p.name for p in serial}
    assert _files(tmp_path / "concurrent") == _files(tmp_path / "serial")


def test_a_run_draws_on_its_pool_what_it_draws_alone(baseline, tmp_path):
    alone = hegemon.run(baseline, replicates=30, seed=4, out=tmp_path / "a", figures=True)
    pooled = hegemon.run(
        baseline, replicates=30, seed=4, out=tmp_path / "b", figures=True, workers=2
    )
    assert _files(Path(pooled.path) / "figures") == _files(Path(alone.path) / "figures")


def test_comparison_figures_drawn_concurrently_are_the_same_files(baseline, tmp_path):
    comparison = hegemon.compare(
        [baseline, "no_peacekeepers"], replicates=20, seed=2, out=tmp_path / "cmp", figures=False
    )
    both = ("png", "svg")
    serial = hegemon.draw(comparison, tmp_path / "serial", both)
    concurrent = hegemon.draw(comparison, tmp_path / "concurrent", both, workers=2)
    assert [p.name for p in concurrent] == [p.name for p in serial]
    assert {"end_states.png", "paired_differences.svg", "multiples_trust.png"} <= {
        p.name for p in serial
    }
    assert _files(tmp_path / "concurrent") == _files(tmp_path / "serial")


def test_a_failing_figure_fails_the_drawing(tmp_path):
    """An error in a worker reaches the caller as itself, and the pool is stopped."""
    jobs = [Job("influence", "hegemon.plots.figures:standard_figure", {"name": "influence"})]
    with pytest.raises(TypeError, match="summary"), figure_pool(2) as pool:
        draw_jobs(jobs, tmp_path / "figures", ("png",), pool)

"""The results folder: what a run and ``Results.save`` write, its schema (docs/results.md),
atomic replacement, resume, and ``Results.load``."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pandas as pd
import pytest

import hegemon
import hegemon.api
from hegemon import load_scenario
from hegemon.errors import HegemonError
from hegemon.results import Results

SEED = 11
N = 20

MANIFEST_KEYS = {
    "scenario",
    "scenario_sha256",
    "seed",
    "replicates",
    "steps",
    "versions",
    "git_commit",
    "command",
    "start_time",
    "end_time",
}
TIMESERIES_COLUMNS = ["scenario", "replicate", "step", "date", "metric", "actor", "target", "value"]
SUMMARY_COLUMNS = [
    "scenario", "step", "date", "metric", "actor", "target",
    "mean", "q05", "q25", "q50", "q75", "q95",
]  # fmt: skip
EVENTS_COLUMNS = ["scenario", "replicate", "step", "date", "event", "actor", "target", "detail"]
METRICS = {
    "influence",
    "influence_over",
    "trust",
    "peacekeepers",
    "peacekeeping_cost_musd",
    "peacekeeping_cost_cum_musd",
    "regional_cost_cum_musd",
    "military_budget_musd",
    "gdp_busd",
    "territory",
    "ceasefire",
}
FILES = {
    "manifest.json",
    "scenario.yaml",
    "timeseries.parquet",
    "summary.parquet",
    "events.parquet",
    "outcomes.parquet",
    "figures",
}


@pytest.fixture(scope="module")
def results(baseline) -> Results:
    return hegemon.run(baseline, replicates=N, seed=SEED, store="full", chunk_size=8)


@pytest.fixture(scope="module")
def folder(results, tmp_path_factory) -> Path:
    """The results saved once, with figures in both formats (drawing them takes a few
    seconds)."""
    target = tmp_path_factory.mktemp("saved") / "baseline-run"
    assert hegemon.save(results, target, figures=("png", "svg")) == target
    return target


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.endswith((".tmp", ".old")))


def sorted_timeseries(frame: pd.DataFrame) -> pd.DataFrame:
    keys = ["metric", "actor", "target", "replicate", "step"]
    out = frame.astype({c: str for c in ("scenario", "metric", "actor", "target")})
    return out.sort_values(keys, kind="stable", ignore_index=True)


# ---------------------------------------------------------------------------- the contents


def test_folder_holds_every_file(folder):
    assert {p.name for p in folder.iterdir()} == FILES
    assert leftovers(folder.parent) == []


def test_manifest(folder, results):
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest) >= MANIFEST_KEYS
    assert manifest["scenario"] == "baseline"
    assert manifest["seed"] == SEED
    assert manifest["replicates"] == N
    assert manifest["store"] == "full"
    assert manifest["steps"] == results.scenario.steps == 261
    assert len(manifest["scenario_sha256"]) == 64
    int(manifest["scenario_sha256"], 16)
    for dist in ("python", "hegemon", "mesa", "numpy", "pandas", "pyarrow", "click"):
        assert manifest["versions"][dist], dist
    assert manifest["start_time"] <= manifest["end_time"]
    assert isinstance(manifest["command"], str)
    assert manifest == results.manifest


def test_scenario_yaml_loads_back_to_an_equal_scenario(folder, results):
    import hashlib

    text = (folder / "scenario.yaml").read_bytes()
    assert hashlib.sha256(text).hexdigest() == results.manifest["scenario_sha256"]
    assert load_scenario(folder / "scenario.yaml") == results.scenario
    assert load_scenario(folder / "scenario.yaml") == load_scenario("baseline")


def test_table_columns(folder):
    def columns(name: str) -> list[str]:
        return pd.read_parquet(folder / f"{name}.parquet").columns.tolist()

    assert columns("timeseries") == TIMESERIES_COLUMNS
    assert columns("summary") == SUMMARY_COLUMNS
    assert columns("events") == EVENTS_COLUMNS
    outcomes = columns("outcomes")
    assert outcomes[:2] == ["scenario", "replicate"]
    assert "regime" in outcomes


def test_tables_content(folder):
    summary = pd.read_parquet(folder / "summary.parquet")
    timeseries = pd.read_parquet(folder / "timeseries.parquet")
    outcomes = pd.read_parquet(folder / "outcomes.parquet")
    assert set(summary["metric"].astype(str)) >= METRICS
    assert set(timeseries["metric"].astype(str)) >= METRICS
    assert sorted(outcomes["replicate"]) == list(range(N))
    assert set(timeseries["replicate"]) == set(range(N))
    assert timeseries["step"].max() == summary["step"].max() == 261
    assert (summary["scenario"] == "baseline").all()
    # every (step, metric, actor, target) once in the summary; N times in the timeseries
    keys = ["step", "metric", "actor", "target"]
    assert not summary.duplicated(keys).any()
    # 40 series: the 17 metrics over their actors and targets
    assert len(timeseries) == len(summary) * N == 262 * 40 * N
    # dates are weekly from the scenario's start
    offset = summary["date"] - pd.Timestamp("2020-11-10")
    assert (offset == pd.to_timedelta(summary["step"] * 7, unit="D")).all()
    # the summary is the summary of the timeseries
    russia = timeseries[(timeseries["metric"] == "influence") & (timeseries["actor"] == "Russia")]
    means = russia.groupby("step")["value"].mean().to_numpy()
    row = summary[(summary["metric"] == "influence") & (summary["actor"] == "Russia")]
    pd.testing.assert_series_equal(
        row.sort_values("step")["mean"].reset_index(drop=True),
        pd.Series(means, name="mean"),
        rtol=1e-12,
    )


def test_quantiles_are_ordered(folder):
    summary = pd.read_parquet(folder / "summary.parquet")
    q = summary[["q05", "q25", "q50", "q75", "q95"]].to_numpy()
    assert (q[:, :-1] <= q[:, 1:]).all()


def test_figures_in_png_and_svg(folder):
    figures = folder / "figures"
    png = sorted(p.stem for p in figures.glob("*.png"))
    svg = sorted(p.stem for p in figures.glob("*.svg"))
    assert png and png == svg
    assert {"influence", "trust", "cost", "survival", "regimes"} <= set(png)
    for path in figures.iterdir():
        assert path.stat().st_size > 1000, path
    assert (figures / f"{png[0]}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (figures / f"{svg[0]}.svg").read_bytes()[:2000]


def test_load_round_trips(folder, results):
    loaded = Results.load(folder)
    assert loaded.path == folder
    assert loaded.scenario == results.scenario
    assert loaded.manifest == results.manifest
    for name in ("summary", "events", "outcomes", "timeseries"):
        pd.testing.assert_frame_equal(getattr(loaded, name), getattr(results, name))
    assert loaded.headline() == results.headline()


def test_load_refuses_a_folder_without_manifest(tmp_path):
    with pytest.raises(HegemonError, match=r"manifest\.json"):
        Results.load(tmp_path)


# --------------------------------------------------------------- replacing, atomically


def test_saving_over_an_existing_folder_raises_and_leaves_it_untouched(results, tmp_path):
    target = tmp_path / "out"
    results.save(target, figures=False)
    before = snapshot(target)
    other = hegemon.run(results.scenario, replicates=5, seed=SEED + 1, store="summary")
    with pytest.raises(HegemonError, match="already exists"):
        other.save(target, figures=False)
    assert snapshot(target) == before
    assert leftovers(tmp_path) == []


def test_saving_over_an_existing_file_raises(results, tmp_path):
    target = tmp_path / "out"
    target.write_text("precious")
    with pytest.raises(HegemonError):
        results.save(target, figures=False)
    assert target.read_text() == "precious"
    assert leftovers(tmp_path) == []


def test_overwrite_replaces_the_folder(results, tmp_path):
    target = tmp_path / "out"
    results.save(target, figures=False)
    (target / "stray.txt").write_text("from an earlier run")
    other = hegemon.run(results.scenario, replicates=5, seed=SEED + 1, store="summary")
    assert other.save(target, overwrite=True, figures=False) == target
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["seed"] == SEED + 1 and manifest["replicates"] == 5
    assert not (target / "stray.txt").exists()
    assert not (target / "timeseries.parquet").exists()
    assert len(pd.read_parquet(target / "outcomes.parquet")) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_no_temporary_folder_after_success(results, tmp_path):
    results.save(tmp_path / "a", figures=False)
    results.save(tmp_path / "a", overwrite=True, figures=False)
    results.save(tmp_path / "nested" / "b", figures=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "nested"]
    assert sorted(p.name for p in (tmp_path / "nested").iterdir()) == ["b"]


class Boom(RuntimeError):
    pass


def failing_figures(results, folder):
    out_dir = Path(folder) / "figures"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "half.png").write_bytes(b"half written")
    raise Boom("disk on fire")


def test_no_temporary_folder_after_a_failure(results, tmp_path, monkeypatch):
    target = tmp_path / "out"
    with pytest.raises(Boom):
        results.save(target, figures=failing_figures)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_failed_overwrite_leaves_the_old_folder(results, tmp_path, monkeypatch):
    target = tmp_path / "out"
    results.save(target, figures=False)
    before = snapshot(target)
    with pytest.raises(Boom):
        results.save(target, overwrite=True, figures=failing_figures)
    assert snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_os_error_becomes_a_hegemon_error(results, tmp_path, monkeypatch):
    def no_space(results, folder):
        raise OSError(28, "No space left on device")

    with pytest.raises(HegemonError, match="No space left"):
        results.save(tmp_path / "out", figures=no_space)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------ running straight to a folder


def test_run_to_a_folder(baseline, results, tmp_path):
    target = tmp_path / "out"
    direct = hegemon.run(baseline, replicates=N, seed=SEED, store="full", out=target)
    assert direct.path == target
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no .partial left
    assert {p.name for p in target.iterdir()} == FILES - {"figures"}
    for name in ("summary", "events", "outcomes"):
        pd.testing.assert_frame_equal(getattr(direct, name), getattr(results, name))
    with pytest.raises(HegemonError, match="already exists"):
        hegemon.run(baseline, replicates=2, seed=SEED, out=target)
    assert Results.load(target).manifest["replicates"] == N


def test_temporary_results_folder_is_removed_with_the_results(baseline):
    temporary = hegemon.run(baseline, replicates=2, seed=SEED, store="summary")
    path = temporary.path
    assert (path / "manifest.json").is_file()
    del temporary
    gc.collect()
    assert not path.exists()


def test_an_interrupted_run_leaves_no_folder_and_resumes(baseline, tmp_path, monkeypatch):
    """A run that fails after two chunks leaves ``<out>.partial`` (for --resume) but no
    ``<out>``; resuming gives the same tables as an uninterrupted run."""
    real = hegemon.api.run_chunks

    def two_then_fail(*args, **kwargs):
        for n, item in enumerate(real(*args, **kwargs)):
            if n == 2:
                raise Boom("killed")
            yield item

    target = tmp_path / "out"
    monkeypatch.setattr(hegemon.api, "run_chunks", two_then_fail)
    with pytest.raises(Boom):
        hegemon.run(baseline, replicates=12, seed=SEED, chunk_size=3, out=target)
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.partial"]
    monkeypatch.setattr(hegemon.api, "run_chunks", real)
    with pytest.raises(HegemonError, match="resume"):
        hegemon.run(baseline, replicates=12, seed=SEED, chunk_size=3, out=target)
    resumed = hegemon.run(baseline, replicates=12, seed=SEED, chunk_size=3, out=target, resume=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    whole = hegemon.run(baseline, replicates=12, seed=SEED, chunk_size=3)
    for name in ("summary", "events", "outcomes"):
        pd.testing.assert_frame_equal(getattr(resumed, name), getattr(whole, name))
    pd.testing.assert_frame_equal(
        sorted_timeseries(resumed.timeseries), sorted_timeseries(whole.timeseries)
    )


# ------------------------------------------------------------------------- store="summary"


def test_store_summary_keeps_no_timeseries(baseline, tmp_path):
    summary_only = hegemon.run(baseline, replicates=5, seed=SEED, store="summary")
    assert summary_only.timeseries is None
    assert summary_only.manifest["store"] == "summary"
    assert not (summary_only.path / "timeseries.parquet").exists()
    target = summary_only.save(tmp_path / "out", figures=False)
    assert not (target / "timeseries.parquet").exists()
    for name in ("summary", "events", "outcomes"):
        assert (target / f"{name}.parquet").is_file()
    loaded = Results.load(target)
    assert loaded.timeseries is None
    pd.testing.assert_frame_equal(loaded.summary, summary_only.summary)


def test_store_must_be_full_or_summary(baseline):
    with pytest.raises(HegemonError, match="store"):
        hegemon.run(baseline, replicates=2, seed=SEED, store="everything")  # type: ignore[arg-type]

"""Forecast scores: hand-computable cases, coverage, skill, and `hegemon score` end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import hegemon
from hegemon.analysis.observation import Observation, ObservationModel
from hegemon.analysis.scores import add_skill, from_mean, from_quantiles, score, totals
from hegemon.cli import cli
from hegemon.results import ScoreResults, open_folder

EXACT = ObservationModel(tau=0.0, share_sd=0.0, level_relative_sd=0.0, count_sd=0.0)


def test_the_crps_of_a_point_ensemble_is_the_absolute_error():
    for x, y in [(3.0, 5.0), (7.0, 5.0), (5.0, 5.0)]:
        s = score(Observation("clashes_cum", y), np.full(10, x), EXACT)
        assert s["crps"] == pytest.approx(abs(x - y))
        assert s["median"] == s["q05"] == s["q95"] == x


def test_the_crps_of_a_two_point_ensemble():
    # F = ½δ0 + ½δ1 at y = 0: E|X − y| − ½E|X − X'| = 0.5 − 0.25
    s = score(Observation("territory", 0.0, None), np.array([0.0, 1.0]), EXACT)
    assert s["crps"] == pytest.approx(0.25)


def test_the_brier_score_of_a_07_forecast_of_1_is_009():
    values = np.array([1.0] * 7 + [0.0] * 3)
    s = score(Observation("ceasefire", 1.0), values, ObservationModel())
    assert s["brier"] == pytest.approx(0.09)
    assert math.isnan(s["crps"]) and s["in50"] is None
    eps = ObservationModel().binary_error
    assert s["log_score"] == pytest.approx(-math.log(eps + (1 - 2 * eps) * 0.7))


def test_the_log_score_of_a_poll_is_the_normal_mixture_density():
    om = ObservationModel()
    obs = Observation("trust", 0.6, n=1500)
    x = np.array([0.5, 0.7])
    sd = np.sqrt(om.tau**2 + om.design_effect * x * (1 - x) / 1500)
    density = np.mean(np.exp(-0.5 * ((0.6 - x) / sd) ** 2) / (sd * np.sqrt(2 * np.pi)))
    assert score(obs, x, om)["log_score"] == pytest.approx(-math.log(density))
    assert om.loglik(obs, x).shape == (2,)
    assert om.distance(obs, x) == pytest.approx(0.1 / sd)


def test_an_inverse_indicator_is_linked_as_one_minus_trust():
    obs = Observation("trust", 0.15, n=10**9, link="complement")  # no sampling error
    s = score(obs, np.full(4, 0.85), EXACT)
    assert s["median"] == pytest.approx(0.15, abs=1e-4)
    assert s["crps"] == pytest.approx(0.0, abs=1e-4)


def _scores(rows: list[tuple[str, float, np.ndarray]]) -> pd.DataFrame:
    records = []
    for line, (metric, y, values) in enumerate(rows, 2):
        records.append(
            {"line": line, "metric": metric, "used": True}
            | score(Observation(metric, y), values, EXACT)
        )
    return pd.DataFrame.from_records(records).astype({"in50": "boolean", "in90": "boolean"})


def test_coverage_counts_the_observations_inside_each_band():
    ensemble = np.arange(101, dtype=float)  # q05 5, q25 25, q75 75, q95 95
    table = _scores(
        [("clashes_cum", 50.0, ensemble), ("clashes_cum", 10.0, ensemble),
         ("clashes_cum", 99.0, ensemble), ("ceasefire", 1.0, np.ones(4))]
    )  # fmt: skip
    assert table["in50"].tolist()[:3] == [True, False, False]
    assert table["in90"].tolist()[:3] == [True, True, False]
    sums = totals(table).set_index("group")
    assert sums.loc["all", "observations"] == 4
    assert sums.loc["all", "banded"] == 3  # a binary state has no bands
    assert (sums.loc["all", "covered50"], sums.loc["all", "covered90"]) == (1, 2)
    assert sums.loc["all", "coverage90"] == pytest.approx(2 / 3)


def test_skill_is_one_minus_the_ratio_of_scores():
    own = _scores([("clashes_cum", 5.0, np.full(3, 4.0)), ("ceasefire", 1.0, np.ones(5))])
    ref = _scores([("clashes_cum", 5.0, np.full(3, 1.0)), ("ceasefire", 1.0, np.zeros(5))])
    both = add_skill(own, ref)
    assert both["skill"].tolist() == pytest.approx([1 - 1 / 4, 1 - 0 / 1])
    assert both["log_score_gain"].iloc[1] > 0
    sums = totals(both).set_index("group")
    assert sums.loc["clashes_cum", "skill"] == pytest.approx(0.75)


def test_an_ensemble_is_rebuilt_from_a_summary():
    row = {"q05": 1.0, "q25": 2.0, "q50": 3.0, "q75": 4.0, "q95": 5.0}
    values = from_quantiles(row)
    assert np.quantile(values, [0.25, 0.5, 0.75]) == pytest.approx([2.0, 3.0, 4.0], abs=0.02)
    assert values.min() == 1.0 and values.max() == 5.0
    assert from_mean(0.35, 200).sum() == 70


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("score")
    runner = CliRunner()
    out = {}
    for name, args in {
        "baseline": ["baseline", "-r", "200", "--seed", "1"],
        "no_peacekeepers": ["no_peacekeepers", "-r", "200", "--seed", "1"],
        "summary": ["baseline", "-r", "200", "--seed", "1", "--store", "summary"],
    }.items():
        result = runner.invoke(
            cli, ["run", *args, "-o", str(root / name), "--no-figures", "-q", "--workers", "1"]
        )
        assert result.exit_code == 0, result.output
        out[name] = root / name
    return out


def test_hegemon_score_on_a_baseline_run_end_to_end(runs, tmp_path):
    out = tmp_path / "scored"
    result = CliRunner().invoke(cli, ["score", str(runs["baseline"]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert "log_score" in result.stderr and "Not scored" in result.stderr
    scored = open_folder(out)
    assert isinstance(scored, ScoreResults)
    table = pd.read_csv(out / "scores.csv")
    used = table[table["used"]]
    assert set(used["metric"]) == {
        "trust",
        "ceasefire",
        "peacekeepers",
        "territory",
        "clashes_cum",
        "commitments_failed_cum",
    }
    assert (pd.to_datetime(used["date"]) > pd.Timestamp("2020-11-10")).all()
    assert not used["source"].isin(["MPG2020", "CB2020"]).any()  # never counted twice
    assert used.loc[used["metric"] == "ceasefire", "brier"].notna().all()
    assert used.loc[used["metric"] != "ceasefire", "crps"].notna().all()
    assert (used["ensemble"] == "timeseries").all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "score" and manifest["reference"] is None
    assert (
        manifest["scenario_sha256"]
        == json.loads((runs["baseline"] / "manifest.json").read_text())["scenario_sha256"]
    )
    assert (out / "observations.csv").is_file()
    assert not (runs["baseline"] / "scores.csv").exists()  # never into RESULTS
    assert "skill" not in table


def test_skill_against_a_reference_folder(runs, tmp_path):
    scored = hegemon.score(
        runs["baseline"], reference=runs["no_peacekeepers"], since="2022-01-01", out=tmp_path / "s"
    )
    used = scored.scores[scored.scores["used"]]
    assert (used["date"] >= pd.Timestamp("2022-01-01")).all()
    assert used["skill"].notna().all()
    row = used[used["metric"] == "ceasefire"].iloc[0]
    assert row["skill"] == pytest.approx(1 - row["brier"] / row["brier_ref"])
    assert scored.manifest["reference"] == str(runs["no_peacekeepers"])
    same = hegemon.score(runs["baseline"], reference=runs["baseline"], out=tmp_path / "t")
    assert (same.scores.loc[same.scores["used"], "skill"] == 0).all()


def test_a_summary_only_run_is_scored_from_its_quantiles_and_says_so(runs, tmp_path):
    result = CliRunner().invoke(cli, ["score", str(runs["summary"]), "-o", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "rerun with --store full" in result.stderr
    table = ScoreResults(tmp_path / "s").scores
    used = table[table["used"]].set_index("metric")
    assert used.loc["ceasefire", "ensemble"] == "summary mean"
    full = hegemon.score(runs["baseline"], out=tmp_path / "f").scores
    ceasefire = full[full["metric"] == "ceasefire"]["brier"].iloc[0]
    assert used.loc["ceasefire", "brier"] == pytest.approx(ceasefire)  # exact from the mean


def test_bad_input_to_score_is_one_line_and_exit_2(runs, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "date,metric,actor,target,value,n,source,note\n"
        "2021-12-01,trust,Georgia,Russia,0.6,1500,X,q\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(
        cli, ["score", str(runs["baseline"]), "--observations", str(bad), "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {bad}:2: actor: unknown local state 'Georgia' for trust in scenario baseline "
        "(expected one of: Azerbaijan, Armenia)"
    ]
    assert not (tmp_path / "o").exists()
    again = runner.invoke(cli, ["score", str(runs["baseline"]), "-o", str(runs["baseline"])])
    assert again.exit_code == 2 and "new folder" in again.stderr
    since = runner.invoke(cli, ["score", str(runs["baseline"]), "--since", "2022-13-01"])
    assert since.exit_code == 2 and "expected a date" in since.stderr

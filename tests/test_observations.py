"""Observations as data: the bundled file, the CSV checks, and `observations:` in scenarios."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from hegemon import load_scenario
from hegemon.analysis.observation import Observation, ObservationModel, between_question_sd
from hegemon.analysis.scores import selection
from hegemon.cli import cli
from hegemon.errors import ScenarioError
from hegemon.scenario.loader import bundled_dir, scenario_observations
from hegemon.scenario.observables import METRICS
from hegemon.scenario.observations import ObservationsError, read_observations

BUNDLED = "observations-2020-2022"
HEADER = "date,metric,actor,target,value,n,source,note"
GOOD = "2021-12-01,trust,Armenia,Russia,0.64,1500,IRI2021,relations are good"


def test_the_bundled_file_validates_against_the_baseline_and_stops_at_2022(baseline):
    obs = read_observations(BUNDLED, baseline)
    assert len(obs) == 15
    assert obs.table["date"].max() <= pd.Timestamp("2022-12-31")
    assert set(obs.table["metric"]) <= set(METRICS)
    assert load_scenario("baseline").observations == f"{BUNDLED}.csv"
    _, file = scenario_observations("no_peacekeepers")  # inherited from the baseline
    assert file == bundled_dir() / f"{BUNDLED}.csv"


def test_polls_before_the_start_or_cited_by_the_initial_trust_are_not_scored(baseline):
    obs = read_observations(BUNDLED, baseline)
    reasons = selection(obs.table, baseline)
    left_out = set(obs.table.loc[reasons != "", "source"])
    assert {"IRI2018", "IRI2019", "CB2020", "MPG2020"} <= left_out
    scored = obs.table[reasons == ""]
    assert (scored["date"] > pd.Timestamp(baseline.start)).all()
    assert "complement" not in set(scored["link"])  # the inverse indicator, by default
    inverse = selection(obs.table, baseline, model=ObservationModel(inverse=True))
    assert (inverse == "").sum() == (reasons == "").sum() + 1
    since = selection(obs.table, baseline, since=pd.Timestamp("2022-01-01").date())
    assert set(obs.table.loc[since == "", "date"].dt.year) == {2022}


def test_the_pooled_between_question_sd_is_the_default_tau():
    obs = read_observations(BUNDLED)
    assert between_question_sd(obs.table) == pytest.approx(ObservationModel().tau, abs=0.005)


def _write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "obs.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


BAD = [
    ("unknown_metric", GOOD.replace(",trust,", ",trs,"), "metric", "metric 'trs' (expected one"),
    ("share_out_of_range", GOOD.replace("0.64", "1.3"), "value", "expected a share in 0..1"),
    ("binary_not_0_or_1", "2022-12-31,ceasefire,,,0.5,,REC2022,x", "value", "expected 0 or 1"),
    ("negative_count", "2022-12-31,clashes_cum,,,-1,,REC2022,x", "value", "expected a whole count"),
    ("bad_date", GOOD.replace("2021-12-01", "2021-13-01"), "date", "expected a real date"),
    ("not_iso_date", GOOD.replace("2021-12-01", "01/12/2021"), "date", "expected an ISO date"),
    ("bad_n", GOOD.replace("1500", "1,500").replace(",IRI", ",IRI"), None, "expected 8 fields"),
    ("zero_n", GOOD.replace("1500", "0"), "n", "expected a positive whole number"),
    ("missing_actor", GOOD.replace("Armenia", ""), "actor", "expected a local state for trust"),
    ("no_actor", "2022-12-31,ceasefire,Armenia,,1,,REC2022,x", "actor", "expected no actor"),
    ("unknown_actor", GOOD.replace("Armenia", "Georgia"), "actor", "unknown local state 'Georgia'"),
    ("power_as_local", GOOD.replace("Armenia", "Turkey"), "actor", "unknown local state 'Turkey'"),
    ("no_source", GOOD.replace("IRI2021", ""), "source", "expected a source"),
    ("word_for_value", GOOD.replace("0.64", "high"), "value", "expected a number, got 'high'"),
]  # fmt: skip


@pytest.mark.parametrize(("row", "column", "says"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_row_gives_one_line_naming_file_row_and_column(tmp_path, row, column, says):
    path = _write(tmp_path, GOOD.replace("IRI2021,relations", "IRI2021,other"), row)
    with pytest.raises(ObservationsError) as err:
        read_observations(path, load_scenario("baseline"))
    assert len(err.value.problems) == 1
    problem = err.value.problems[0]
    assert (problem.file, problem.line, problem.key) == (path, 3, column)
    assert says in problem.message
    assert isinstance(err.value, ScenarioError)


def test_header_problems_name_the_expected_columns(tmp_path):
    path = _write(tmp_path, GOOD, header=HEADER.replace("value", "val"))
    with pytest.raises(ObservationsError) as err:
        read_observations(path)
    text = str(err.value)
    assert "obs.csv:1: val: unknown column" in text
    assert "missing column(s) value" in text


def test_a_duplicate_row_is_refused(tmp_path):
    with pytest.raises(ObservationsError, match="duplicate of line 2"):
        read_observations(_write(tmp_path, GOOD, GOOD))


def test_an_empty_file_and_a_missing_file(tmp_path):
    with pytest.raises(ObservationsError, match="no observations"):
        read_observations(_write(tmp_path))
    with pytest.raises(ObservationsError, match="no such observations file"):
        read_observations(tmp_path / "nope.csv")


def test_validate_and_score_report_a_bad_file_in_one_line_with_exit_2(tmp_path):
    path = _write(tmp_path, GOOD.replace("0.64", "1.3"))
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == f"error: {path}:2: value: expected a share in 0..1 for trust, got 1.3"
    )
    assert "Traceback" not in result.output
    ok = runner.invoke(cli, ["validate", "baseline", str(bundled_dir() / f"{BUNDLED}.csv")])
    assert ok.exit_code == 0, ok.output


def test_a_scenario_naming_a_missing_or_outside_file_is_located(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("extends: baseline\nname: s\nobservations: nope.csv\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(scenario)
    assert str(err.value.problems[0]).startswith(f"{scenario}:3: observations: no observations")
    scenario.write_text("extends: baseline\nname: s\nobservations: ../x.csv\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"outside the folder of s\.yaml"):
        load_scenario(scenario)
    (tmp_path / "mine.csv").write_text(HEADER + "\n" + GOOD + "\n", encoding="utf-8")
    scenario.write_text("extends: baseline\nname: s\nobservations: mine.csv\n", encoding="utf-8")
    spec, file = scenario_observations(scenario)
    assert file == tmp_path / "mine.csv"
    assert len(read_observations(file, spec)) == 1


def test_validate_checks_the_file_a_scenario_names_and_score_its_actors(tmp_path):
    (tmp_path / "mine.csv").write_text(
        HEADER + "\n" + GOOD.replace("0.64", "-0.1") + "\n", encoding="utf-8"
    )
    scenario = tmp_path / "s.yaml"
    scenario.write_text("extends: baseline\nname: s\nobservations: mine.csv\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(scenario)])
    assert result.exit_code == 2
    assert "mine.csv:2: value: expected a share in 0..1" in result.stderr
    (tmp_path / "mine.csv").write_text(
        HEADER + "\n" + GOOD.replace("Armenia", "Georgia") + "\n", encoding="utf-8"
    )
    assert CliRunner().invoke(cli, ["validate", str(scenario)]).exit_code == 0  # a name
    spec, file = scenario_observations(scenario)
    with pytest.raises(ObservationsError, match="unknown local state 'Georgia'"):
        read_observations(file, spec)  # as hegemon score reads it


def test_an_observation_row_becomes_an_observation(baseline):
    obs = read_observations(BUNDLED, baseline)
    rows = [Observation.of(r) for r in obs.table.to_dict("records")]
    assert rows[-6].n is None and rows[0].n == 1500
    assert [r.link for r in rows].count("complement") == 1

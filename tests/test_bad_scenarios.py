"""Bad scenario files: each is the bundled baseline with one realistic edit, and each must
give exit status 2 and one ``error: file:line: key: message`` line, no traceback and no
results folder, both from the command line and from ``load_scenario``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hegemon import load_scenario
from hegemon.cli import cli
from hegemon.errors import ScenarioError
from hegemon.scenario.loader import bundled_dir, bundled_names

BASELINE = (bundled_dir() / "baseline.yaml").read_text(encoding="utf-8")
RUSSIA_RESOLVE = "    resolve: {dist: uniform, low: 0.2, high: 0.6}"


def replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert text.count(old) == 1, f"the baseline no longer contains {old!r} once"
        return text.replace(old, new)

    return edit


@dataclass(frozen=True)
class Case:
    id: str
    edit: Callable[[str], str]
    key: str | None  # the key named in the message (None: the file as a whole)
    at: str | None  # text on the offending line of the bad file (None: line 1)
    says: str  # part of the message
    line_offset: int = 0  # the YAML parser notices some errors on the next line

    def line(self, text: str) -> int:
        if self.at is None:
            return 1
        lines = [i for i, line in enumerate(text.splitlines(), 1) if self.at in line]
        assert len(lines) == 1, f"{self.at!r} is on lines {lines}"
        return lines[0] + self.line_offset


CASES = [
    Case(
        "yaml_syntax_error",
        replace(RUSSIA_RESOLVE, "    resolve: {dist: uniform, low: 0.2, high: 0.6"),
        key=None,
        at="resolve: {dist: uniform, low: 0.2, high: 0.6",
        says="invalid YAML",
        line_offset=1,  # an unclosed flow mapping is noticed at the next token
    ),
    Case(
        "unknown_key",
        replace(RUSSIA_RESOLVE, RUSSIA_RESOLVE + "\n    resolv: 0.5"),
        key="actors[Russia].resolv",
        at="resolv: 0.5",
        says="unknown key (did you mean 'resolve'?",
    ),
    Case(
        "string_for_a_number",
        replace("military_budget_musd: 61712.5", 'military_budget_musd: "61712.5"'),
        key="actors[Russia].military_budget_musd",
        at='"61712.5"',
        says="expected a number or a distribution mapping, got '61712.5'",
    ),
    Case(
        "word_for_a_number",
        replace(RUSSIA_RESOLVE, "    resolve: high"),
        key="actors[Russia].resolve",
        at="resolve: high",
        says="got 'high'",
    ),
    Case(
        "bad_date",
        replace("start: 2020-11-10", "start: 2020-13-45"),
        key="start",
        at="start: 2020-13-45",
        says="expected a date YYYY-MM-DD, got '2020-13-45'",
    ),
    Case(
        "event_names_unknown_relation",
        replace("relation: monitoring_centre,", "relation: monitoring_center,"),
        key="events[monitoring_turkey].relation",
        at="relation: monitoring_center,",
        says="unknown peacekeeping relation 'monitoring_center'",
    ),
    Case(
        "event_names_unknown_actor",
        replace("to: Azerbaijan, share: 0.07", "to: Georgia, share: 0.07"),
        key="events[aghdam].to",
        at="to: Georgia",
        says="unknown side of the conflict 'Georgia'",
    ),
    Case(
        "relation_names_unknown_actor",
        replace(
            "    patron: Russia\n    client: Armenia", "    patron: Russland\n    client: Armenia"
        ),
        key="relations[csto].patron",
        at="patron: Russland",
        says="unknown power 'Russland' (expected one of: Russia, Turkey)",
    ),
    Case(
        "negative_troops",
        replace("troops: 1960 ", "troops: -1960 "),
        key="relations[peacekeeping].troops",
        at="troops: -1960",
        says="expected a number in [0, 1e+06], got -1960",
    ),
    Case("empty_file", lambda text: "", key=None, at=None, says="the file is empty"),
    Case(
        "comments_only",
        lambda text: "\n".join(line for line in text.splitlines() if line.startswith("#")),
        key=None,
        at=None,
        says="the file is empty",
    ),
    Case(
        "list_root",
        lambda text: "- " + text.replace("\n", "\n  "),
        key=None,
        at=None,
        says="expected a mapping of scenario keys",
    ),
    Case(
        "distribution_outside_bounds",
        replace(RUSSIA_RESOLVE, "    resolve: {dist: uniform, low: 0.5, high: 1.5}"),
        key="actors[Russia].resolve",
        at="high: 1.5",
        says="expected values in [0, 1], got 0.5..1.5",
    ),
    Case(
        "territory_not_summing_to_1",
        replace("{Azerbaijan: 0.40, Armenia: 0.60}", "{Azerbaijan: 0.40, Armenia: 0.70}"),
        key="conflict.territory",
        at="Armenia: 0.70",
        says="shares must sum to 1, got 1.1",
    ),
    Case(
        "event_before_the_start",
        replace("date: 2021-06-15", "date: 2019-06-15"),
        key="events[shusha_declaration].date",
        at="date: 2019-06-15",
        says="expected a date on or after 2020-11-10, got 2019-06-15",
    ),
    Case(
        "duplicate_key",
        replace(RUSSIA_RESOLVE, RUSSIA_RESOLVE + "\n    resolve: 0.5"),
        key="actors[Russia].resolve",
        at="resolve: 0.5",
        says="duplicate",
    ),
]


def make_runner() -> CliRunner:
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    return CliRunner()


def run_cli(*args: str | Path) -> Result:
    return make_runner().invoke(cli, [str(a) for a in args], prog_name="hegemon")


def temporary_folders(parent: Path) -> list[Path]:
    return [p for p in parent.rglob("*") if p.name.endswith((".tmp", ".old"))]


@pytest.fixture(params=[pytest.param(c, id=c.id) for c in CASES])
def bad(request, tmp_path) -> tuple[Case, Path, str]:
    case: Case = request.param
    text = case.edit(BASELINE)
    path = tmp_path / f"{case.id}.yaml"
    path.write_text(text, encoding="utf-8")
    return case, path, text


def expected_prefix(case: Case, path: Path, text: str) -> str:
    prefix = f"{path}:{case.line(text)}:"
    return f"{prefix} {case.key}: " if case.key else f"{prefix} "


def test_cli_reports_one_located_error(bad, tmp_path):
    case, path, text = bad
    out = tmp_path / "results"
    result = run_cli("run", path, "-r", "2", "-o", out, "-q", "--no-figures")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert lines, "no error message"
    for line in lines:
        assert line.startswith("error: "), line
        assert path.name in line
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: " + expected_prefix(case, path, text)), lines[0]
    assert case.says in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    assert not out.exists()
    assert temporary_folders(tmp_path) == []


def test_load_scenario_raises_one_located_problem(bad):
    case, path, text = bad
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = info.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    assert Path(problem.file) == path
    assert problem.line == case.line(text)
    assert problem.key == case.key
    assert case.says in problem.message
    assert str(problem).startswith(expected_prefix(case, path, text))
    assert "\n" not in str(problem)


def test_syntax_error_names_the_line_it_started_on(tmp_path):
    case = CASES[0]
    text = case.edit(BASELINE)
    path = tmp_path / "syntax.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    started = case.line(text) - case.line_offset
    assert f"(line {started})" in info.value.problems[0].message


def test_several_problems_give_one_line_each(tmp_path):
    text = replace(RUSSIA_RESOLVE, "    resolve: high")(BASELINE)
    text = replace("troops: 1960 ", "troops: -1960 ")(text)
    path = tmp_path / "two.yaml"
    path.write_text(text)
    result = run_cli("run", path, "-o", tmp_path / "results", "-q")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"error: {path}:") for line in lines)
    assert "actors[Russia].resolve" in lines[0]
    assert "relations[peacekeeping].troops" in lines[1]
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("name", ["missing.yaml", "baselin"])
def test_missing_scenario_lists_the_bundled_ones(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "results"
    result = run_cli("run", name, "-o", out, "-q")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {name}")
    assert "no such scenario" in lines[0]
    listed = lines[0].split("bundled: ", 1)[1]
    assert [name.strip(" )") for name in listed.split(",")] == bundled_names()
    assert "baseline" in bundled_names()
    assert "Traceback" not in result.stderr
    assert not out.exists()
    with pytest.raises(ScenarioError, match="bundled: baseline"):
        load_scenario(name)


def test_a_directory_is_not_a_scenario(tmp_path):
    folder = tmp_path / "scenario.yaml"
    folder.mkdir()
    result = run_cli("run", folder, "-o", tmp_path / "results", "-q")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr

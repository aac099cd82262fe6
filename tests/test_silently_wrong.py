"""Valid-looking files that used to give silently wrong results (issue 18, item 4): each is
now refused with one located line (exit 2), or run with a one-line warning on stderr from
``validate`` and ``run``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_bad_scenarios import BASELINE, replace, run_cli

from hegemon import load_scenario
from hegemon.errors import ScenarioError
from hegemon.scenario.loader import bundled_names

ARMENIA_TRUST = """    trust:
      Russia: {dist: uniform, low: 0.57, high: 0.85}        # CB2020 (57%) to MPG2020 (84.6%)
      Turkey: 0.05                                           # assumption"""

RUSSIA_ALLOCATION = "allocation: {Armenia: 0.6, Azerbaijan: 0.4}"
TWIN = '    kind: local\n    gdp_busd: 1\n    military_budget_musd: 1\n  - name: "Armenia "\n'


def line_of(text: str, needle: str, nth: int = 0) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return lines[nth]


REFUSED = [
    (
        "all_zero_allocation",
        replace(RUSSIA_ALLOCATION, "allocation: {Armenia: 0, Azerbaijan: 0.0}"),
        "allocation: {Armenia: 0, Azerbaijan: 0.0}",
        "actors[Russia].allocation",
        "sum to zero",
    ),
    (
        "zero_sum_weights",
        lambda text: re.sub(r"^    weight: 1\.0.*$", "    weight: 0", text, flags=re.M),
        "weight: 0",
        "actors[Azerbaijan].weight",
        "sum to zero",
    ),
    (
        "name_with_a_trailing_space_beside_the_same_name",
        replace("  - name: Armenia\n", "  - name: Armenia\n" + TWIN),
        'name: "Armenia "',
        "actors[Armenia].name",
        "duplicate actor name 'Armenia'",
    ),
    (
        "mapping_keys_that_name_one_actor",
        replace("      Turkey: 0.05 ", "      Turkey: 0.05\n      \"Turkey \": 0.1 "),
        ("Russia: {dist: uniform, low: 0.57", -1),  # the mapping's key: trust
        "actors[Armenia].trust",
        "'Turkey' twice",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "at", "key", "says"),
                         [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])  # fmt: skip
def test_refused_with_one_located_line(tmp_path, edit, at, key, says):
    text = edit(BASELINE)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = run_cli("run", path, "-r", "2", "--workers", "1", "-q", "--no-figures",
                     "-o", tmp_path / "out")  # fmt: skip
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    needle, offset = at if isinstance(at, tuple) else (at, 0)
    line = line_of(text, needle) + offset
    assert lines[0].startswith(f"error: {path}:{line}: {key}: "), lines[0]
    assert says in lines[0], lines[0]
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


def test_names_are_stripped(tmp_path):
    path = tmp_path / "spaced.yaml"
    path.write_text(replace("  - name: Armenia\n", '  - name: " Armenia "\n')(BASELINE))
    assert [a.name for a in load_scenario(path).actors][-1] == "Armenia"


CHILD = """extends: baseline
name: child
actors:
  - name: Russia
    resolve: 0.9
  - name: Turkey
    resolve: 0.5
  - name: {second}
    resolve: 0.1
"""


@pytest.mark.parametrize("second", ["Russia", '"Russia "'])
def test_an_actor_listed_twice_in_a_child_scenario_is_refused(tmp_path, second):
    """Decided: refused (not merged), naming the second entry, so that neither of two
    contradictory values is silently dropped."""
    path = tmp_path / "child.yaml"
    text = CHILD.format(second=second)
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    nth = 1 if second == "Russia" else 0
    assert (Path(problem.file), problem.line) == (path, line_of(text, f"name: {second}", nth))
    assert problem.key == "actors[Russia]"
    assert "listed twice" in problem.message and f"line {line_of(text, 'name: Russia')}" in (
        problem.message
    )


def test_set_extends_is_refused(tmp_path):
    result = run_cli("run", "baseline", "--set", "extends=no_peacekeepers", "-q",
                     "-o", tmp_path / "out")  # fmt: skip
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --set: extends: "), lines


WARNED = [
    (
        "event_after_the_horizon",
        replace("date: 2021-06-15", "date: 2031-06-15"),
        "date: 2031-06-15",
        "events[shusha_declaration].date",
        "after the end of the run (2025-11-10)",
    ),
    (
        "power_absent_from_trust",
        replace(ARMENIA_TRUST, ARMENIA_TRUST.rsplit("\n", 1)[0]),
        "Russia: {dist: uniform, low: 0.57",
        "actors[Armenia].trust",
        "Turkey is not in Armenia's trust",
    ),
]


@pytest.mark.parametrize(("edit", "at", "key", "says"),
                         [w[1:] for w in WARNED], ids=[w[0] for w in WARNED])  # fmt: skip
@pytest.mark.parametrize("command", ["validate", "run"])
def test_warned_with_one_located_line(tmp_path, edit, at, key, says, command):
    text = edit(BASELINE)
    path = tmp_path / "odd.yaml"
    path.write_text(text)
    line = line_of(text, at) - (1 if key.endswith(".trust") else 0)
    args = ["-r", "2", "--workers", "1", "-q", "--no-figures", "-o", tmp_path / "out"]
    result = run_cli(command, path, *(args if command == "run" else []))
    assert result.exit_code == 0, result.stderr
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("warning: ")]
    assert len(warnings) == 1, result.stderr
    assert warnings[0].startswith(f"warning: {path}:{line}: {key}: "), warnings[0]
    assert says in warnings[0]


def test_a_run_shortened_on_the_command_line_does_not_warn_of_later_events(tmp_path):
    result = run_cli("run", "baseline", "--years", "0.1", "-r", "2", "--workers", "1", "-q",
                     "--no-figures", "-o", tmp_path / "out")  # fmt: skip
    assert result.exit_code == 0 and result.stderr == "", result.stderr


@pytest.mark.parametrize("name", bundled_names())
def test_bundled_scenarios_give_no_warning(name):
    result = run_cli("validate", name)
    assert result.exit_code == 0 and result.stderr == f"ok: {name}\n", result.stderr

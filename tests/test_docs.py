"""The documentation says what the code does: set-up commands, CLI names and doc examples."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

from hegemon.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    """The lines of the README's bash blocks."""
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_ci_runs_the_readme_test_command():
    test_command = next(c for c in readme_commands() if "pytest" in c and "pip install" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_install_and_run_command_runs_the_baseline():
    run_command = next(c for c in readme_commands() if "pip install ." in c)
    assert run_command.endswith("hegemon run")


def test_every_hegemon_command_in_the_docs_exists():
    docs = README + (ROOT / "docs" / "results.md").read_text(encoding="utf-8")
    used = set(re.findall(r"hegemon ([a-z]+)\b", docs))
    used -= {"states"}  # prose ("hegemon states that argument"), not a command
    assert used <= set(cli.commands), used - set(cli.commands)


def test_every_option_in_the_readme_exists():
    options = {opt for command in cli.commands.values() for p in command.params for opt in p.opts}
    used = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", README))
    other_tools = {"--check", "--against"}  # ruff format --check; benchmarks/commands.py
    assert used <= options | {"--help", "--version"} | other_tools, used - options


@pytest.mark.parametrize(
    "module",
    [
        "hegemon",
        "hegemon.api",
        "hegemon.scenario.loader",
        "hegemon.scenario.keypaths",
        "hegemon.scenario.observables",
        "hegemon.model.model",
    ],
)
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def _doc_section(heading: str) -> str:
    text = (ROOT / "docs" / "results.md").read_text(encoding="utf-8")
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_the_metrics_table_is_the_declaration():
    from hegemon.scenario.observables import METRICS

    rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \|", _doc_section("Metrics"), flags=re.M)
    documented = {name: unit.strip().replace("\\$", "$") for name, unit in rows}
    assert documented == {m.name: m.unit for m in METRICS.values()}


def test_every_declared_event_and_outcome_is_documented():
    from hegemon.scenario.observables import EVENTS, OUTCOMES

    events = set(re.findall(r"`([a-z_]+)`", _doc_section("events.parquet")))
    assert set(EVENTS) <= events, set(EVENTS) - events
    outcomes = set(re.findall(r"`([a-z_]+?)(?:__<|`)", _doc_section("outcomes.parquet")))
    assert set(OUTCOMES) <= outcomes, set(OUTCOMES) - outcomes

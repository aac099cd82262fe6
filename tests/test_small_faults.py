"""Smaller faults (issue 18, items 5 and 6): output folders that are no folder name, scenario
arguments that are not files, ``--years nan``, and the numeric bounds in the JSON Schema."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_bad_scenarios import run_cli

import hegemon
from hegemon.errors import HegemonError

RUN = ["run", "baseline", "--years", "0.2", "-r", "2", "--workers", "1", "-q", "--no-figures"]


@pytest.mark.parametrize("out", [".", "", "..", "/"])
@pytest.mark.parametrize("command", ["run", "sweep", "compare"])
def test_an_output_that_is_no_folder_name_gives_one_line(tmp_path, monkeypatch, out, command):
    monkeypatch.chdir(tmp_path)
    args = {
        "run": RUN,
        "sweep": ["sweep", "baseline", "--param", "actors.Russia.resolve=0:1:2", "-r", "2",
                  "--workers", "1", "-q", "--no-figures"],
        "compare": ["compare", "baseline", "no_peacekeepers", "-r", "2", "--workers", "1", "-q",
                    "--no-figures"],
    }[command]  # fmt: skip
    result = run_cli(*args, "-o", out, "--force")
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    shown = str(Path(out))  # click reads -o "" as the path "."
    assert lines[0].startswith(f"error: -o {shown!r}: ") and "folder" in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_api_refuses_an_output_that_is_no_folder_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(HegemonError, match="not a name for a results folder"):
        hegemon.run("baseline", replicates=2, out=".")


def special_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    return {
        "fifo": (fifo, "is a named pipe, not a scenario file"),
        "device": (Path("/dev/zero"), "is a device, not a scenario file"),
        "folder": (folder, "is a folder, not a scenario file"),
    }


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_scenario_that_is_not_a_file_is_reported_as_what_it_is(tmp_path, kind, command):
    path, says = special_files(tmp_path)[kind]
    extra = ["-r", "2", "-q", "-o", tmp_path / "out"] if command == "run" else []
    result = run_cli(command, path, *extra)
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.splitlines()
    assert lines == [f"error: {path}: {says}"], lines
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["nan", "NaN", "-nan"])
def test_years_nan_has_its_own_message(tmp_path, value):
    result = run_cli("run", "baseline", "--years", value, "-q", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "--years" in result.stderr and "not a number" in result.stderr, result.stderr
    assert "--set" not in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_json_schema_gives_numeric_bounds():
    result = run_cli("schema")
    assert result.exit_code == 0
    defs = json.loads(result.stdout)["$defs"]

    def number(prop: dict) -> dict:
        return next(s for s in prop["anyOf"] if s.get("type") == "number")

    resolve = number(defs["Power"]["properties"]["resolve"])
    assert (resolve["minimum"], resolve["maximum"]) == (0, 1)
    budget = number(defs["Power"]["properties"]["military_budget_musd"])
    assert (budget["minimum"], budget["maximum"]) == (0, 1e6)
    (allocation,) = defs["Power"]["properties"]["allocation"]["patternProperties"].values()
    assert number(allocation)["maximum"] == 1e6
    value = number(defs["SetParameter"]["properties"]["value"])
    assert "minimum" not in value and "maximum" not in value  # a Real has no bounds

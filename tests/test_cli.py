"""The command line, through click's CliRunner, and once through a real process."""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner, Result

from hegemon import load_scenario
from hegemon.cli import cli
from hegemon.scenario.loader import bundled_dir

# Runs other than the one with the documented defaults stay in this process: the default
# (a process pool over all cores) forks the multi-threaded test process, see the report.
IN_PROCESS = ("--workers", "1")
RESULT_FILES = {
    "manifest.json",
    "scenario.yaml",
    "timeseries.parquet",
    "summary.parquet",
    "events.parquet",
    "outcomes.parquet",
    "figures",
}


def make_runner() -> CliRunner:
    """stdout and stderr kept apart: click < 8.2 needs mix_stderr=False; from 8.2 on they
    are always separate and the argument is gone."""
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    return CliRunner()


def invoke(*args: str | Path) -> Result:
    return make_runner().invoke(cli, [str(a) for a in args], prog_name="hegemon")


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_runner_keeps_stderr_apart():
    result = invoke("run", "no-such-scenario", "-q")
    assert result.stderr.startswith("error: ")
    assert result.stdout == ""


@pytest.fixture(scope="module")
def quiet_run(tmp_path_factory) -> tuple[Result, Path]:
    out = tmp_path_factory.mktemp("cli") / "quiet"
    return invoke("run", "baseline", "-r", "20", "--seed", "1", "-o", out, "-q"), out


@pytest.fixture(scope="module")
def loud_run(tmp_path_factory) -> tuple[Result, Path]:
    out = tmp_path_factory.mktemp("cli") / "loud"
    args = ("run", "baseline", "-r", "20", "--seed", "1", "-o", out, "--no-figures", *IN_PROCESS)
    return invoke(*args), out


def test_run_quiet_prints_the_folder_and_writes_it_whole(quiet_run):
    result, out = quiet_run
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{out}\n"
    assert result.stderr == ""
    assert {p.name for p in out.iterdir()} == RESULT_FILES
    assert {p.suffix for p in (out / "figures").iterdir()} == {".png"}  # SVG on request
    m = manifest(out)
    assert (m["seed"], m["replicates"], m["steps"]) == (1, 20, 261)
    assert [p.name for p in out.parent.iterdir()] == ["quiet"]  # no temporary folder


def test_run_prints_the_headline_table_on_stderr(loud_run):
    result, out = loud_run
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{out}\n"
    err = result.stderr
    assert "Russia's influence" in err
    assert "Armenia's trust in Russia" in err
    assert "Turkey's influence" in err
    assert "Ceasefire holding after 1 year" in err
    assert "Regimes" in err
    assert "%" in err
    assert not (out / "figures").exists()


@pytest.mark.parametrize(
    ("option", "steps"),
    [
        (("--years", "1"), 53),  # 365 days
        (("--years", "2.5"), 131),
        (("--until", "2021-08-01"), 38),  # 264 days
    ],
)
def test_years_and_until_change_the_number_of_steps(tmp_path, option, steps):
    out = tmp_path / "out"
    result = invoke(
        "run", "baseline", "-r", "3", *option, "-o", out, "-q", "--no-figures", *IN_PROCESS
    )
    assert result.exit_code == 0, result.stderr
    assert manifest(out)["steps"] == steps
    assert load_scenario(out / "scenario.yaml").steps == steps


def test_until_before_a_scenario_event_ignores_the_later_event(tmp_path):
    """--until 2021-06-01 ends before the Shusha Declaration (2021-06-15) of the baseline:
    the run is shorter and the later event never happens."""
    out = tmp_path / "out"
    result = invoke(
        "run", "baseline", "-r", "3", "--until", "2021-06-01", "-o", out, "-q", "--no-figures",
        *IN_PROCESS,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    events = pd.read_parquet(out / "events.parquet")
    assert "form_alliance" not in set(events["event"].astype(str))
    assert manifest(out)["steps"] == 29  # 203 days, rounded up to weeks


def test_years_with_until_is_a_usage_error(tmp_path):
    out = tmp_path / "out"
    result = invoke("run", "baseline", "--years", "1", "--until", "2022-01-01", "-o", out)
    assert result.exit_code == 2
    assert "--years or --until" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists()


@pytest.mark.parametrize("value", ["13-01-2021", "2021-02-30", "tomorrow"])
def test_bad_until_date_is_a_usage_error(tmp_path, value):
    result = invoke("run", "baseline", "--until", value, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.stderr
    assert not (tmp_path / "out").exists()


def test_set_is_recorded_in_scenario_yaml(tmp_path):
    out = tmp_path / "out"
    result = invoke(
        "run", "baseline", "-r", "3", "--set", "actors.Russia.resolve=0.9",
        "--set", "relations.peacekeeping.troops=1500", "-o", out, "-q", "--no-figures", *IN_PROCESS,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = yaml.safe_load((out / "scenario.yaml").read_text())
    russia = next(a for a in data["actors"] if a["name"] == "Russia")
    assert russia["resolve"] == 0.9
    peacekeeping = next(r for r in data["relations"] if r["id"] == "peacekeeping")
    assert peacekeeping["troops"] == 1500


def test_bad_set_is_reported(tmp_path):
    out = tmp_path / "out"
    result = invoke("run", "baseline", "--set", "actors.Russia.resolve=2", "-o", out, "-q")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: --set: actors[Russia].resolve:")
    assert not out.exists()


def test_set_reads_exponent_numbers(tmp_path):
    out = tmp_path / "out"
    result = invoke(
        "run", "baseline", "-r", "2", "--set", "actors.Russia.resolve=5e-1", "-o", out, "-q",
        "--no-figures", *IN_PROCESS,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr


def test_existing_folder_without_force_is_refused_and_untouched(quiet_run):
    _, out = quiet_run
    before = snapshot(out)
    result = invoke("run", "baseline", "-r", "2", "--seed", "5", "-o", out, "-q", *IN_PROCESS)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert str(out) in lines[0] and "--force" in lines[0]
    assert result.stdout == ""
    assert snapshot(out) == before


def test_force_replaces_the_folder(tmp_path):
    out = tmp_path / "out"
    first = invoke("run", "baseline", "-r", "2", "-o", out, "-q", "--no-figures", *IN_PROCESS)
    assert first.exit_code == 0, first.stderr
    (out / "stray.txt").write_text("x")
    again = invoke(
        "run",
        "baseline",
        "-r",
        "3",
        "--seed",
        "9",
        "-o",
        out,
        "--force",
        "-q",
        "--no-figures",
        *IN_PROCESS,
    )
    assert again.exit_code == 0, again.stderr
    assert (manifest(out)["seed"], manifest(out)["replicates"]) == (9, 3)
    assert not (out / "stray.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_store_summary_writes_no_timeseries(tmp_path):
    out = tmp_path / "out"
    result = invoke("run", "baseline", "-r", "3", "--store", "summary", "-o", out, "-q",
                    "--no-figures", *IN_PROCESS)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert not (out / "timeseries.parquet").exists()
    assert (out / "summary.parquet").exists()


def test_plot_redraws_the_figures(loud_run, tmp_path):
    _, out = loud_run
    assert not (out / "figures").exists()
    result = invoke("plot", out)
    assert result.exit_code == 0, result.stderr
    drawn = [Path(line) for line in result.stdout.splitlines()]
    assert drawn and all(p.is_file() and p.parent == out / "figures" for p in drawn)
    assert {p.suffix for p in drawn} == {".png"}
    elsewhere = invoke("plot", out, "-o", tmp_path / "figs", "--svg")
    assert elsewhere.exit_code == 0, elsewhere.stderr
    both = sorted(p.name for p in (tmp_path / "figs").iterdir())
    assert both == sorted([p.name for p in drawn] + [f"{p.stem}.svg" for p in drawn])
    assert {p.name: p.read_bytes() for p in drawn} == {
        p.name: p.read_bytes() for p in (tmp_path / "figs").glob("*.png")
    }


def test_run_with_svg_writes_both_formats_of_every_figure(tmp_path):
    out = tmp_path / "svg"
    result = invoke("run", "baseline", "-r", "5", "--years", "1", "-o", out, "-q", "--svg")
    assert result.exit_code == 0, result.stderr
    figures = list((out / "figures").iterdir())
    png = sorted(p.stem for p in figures if p.suffix == ".png")
    assert png and png == sorted(p.stem for p in figures if p.suffix == ".svg")
    assert b"<svg" in (out / "figures" / f"{png[0]}.svg").read_bytes()[:2000]


def test_no_figures_wins_over_svg(tmp_path):
    out = tmp_path / "none"
    args = ("run", "baseline", "-r", "5", "--years", "1", "-o", out, "-q", "--svg", "--no-figures")
    result = invoke(*args, *IN_PROCESS)
    assert result.exit_code == 0, result.stderr
    assert not (out / "figures").exists()


def test_plot_of_a_folder_that_is_not_results(tmp_path):
    result = invoke("plot", tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "manifest.json" in result.stderr


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["run", "--help"], ["plot", "--help"]])
def test_help_shows_an_example(args):
    result = invoke(*args)
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert "hegemon " in result.stdout
    if args[0] == "run":
        for option in ("--replicates", "--seed", "--years", "--until", "--set", "--force"):
            assert option in result.stdout


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert "0.1.0" in result.stdout


@pytest.mark.parametrize(
    "args",
    [["run", "--bogus"], ["--bogus"], ["frobnicate"], ["run", "-r", "0"], ["run", "--seed", "x"]],
)
def test_bad_options_exit_non_zero_without_traceback(args, tmp_path):
    result = invoke(*args, "-o", tmp_path / "out") if args[0] == "run" else invoke(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert "Error" in result.stderr
    assert isinstance(result.exception, SystemExit)
    assert not (tmp_path / "out").exists()


def test_real_process(tmp_path):
    """The installed program, in a process of its own: success, then a bad scenario."""
    command = [sys.executable, "-m", "hegemon"]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    out = tmp_path / "out"
    ok = subprocess.run(
        [*command, "run", "baseline", "-r", "10", "-o", str(out), "-q"],
        capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == str(out)
    assert ok.stderr == ""
    assert manifest(out)["command"] == f"hegemon run --replicates 10 --out {out} --quiet baseline"
    assert {p.name for p in out.iterdir()} == RESULT_FILES

    baseline_text = (bundled_dir() / "baseline.yaml").read_text()
    assert "\nhorizon_years: 5\n" in baseline_text
    bad = tmp_path / "bad.yaml"
    bad.write_text(baseline_text.replace("\nhorizon_years: 5\n", "\nhorizon_years: lots\n"))
    line = baseline_text.splitlines().index("horizon_years: 5") + 1
    failed = subprocess.run(
        [*command, "run", str(bad), "-o", str(tmp_path / "never"), "-q"],
        capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert failed.returncode == 2
    lines = failed.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {bad}:{line}: horizon_years: ")
    assert "Traceback" not in failed.stderr
    assert failed.stdout == ""
    assert not (tmp_path / "never").exists()


@pytest.fixture(scope="module")
def compare_and_sweep_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A comparison, a sweep and a sensitivity folder, written without figures."""
    root = tmp_path_factory.mktemp("kinds")
    commands = {
        "compare": ("compare", "baseline", "no_peacekeepers", "-r", "8"),
        "sweep": ("sweep", "baseline", "--param", "actors.Russia.resolve=0:1:2", "-r", "4"),
        "sensitivity": ("sensitivity", "baseline", "-n", "2", "-r", "2"),
    }
    for kind, args in commands.items():
        result = invoke(*args, *IN_PROCESS, "-q", "--no-figures", "-o", root / kind)
        assert result.exit_code == 0, result.output + result.stderr
    return {kind: root / kind for kind in commands}


@pytest.mark.parametrize("kind", ["compare", "sweep", "sensitivity"])
def test_every_folder_says_its_kind_and_plot_redraws_it(compare_and_sweep_folders, kind):
    folder = compare_and_sweep_folders[kind]
    assert manifest(folder)["kind"] == kind
    assert not (folder / "figures").exists()
    result = invoke("plot", folder)
    assert result.exit_code == 0, result.stderr
    drawn = [Path(line) for line in result.stdout.split()]
    assert drawn and all(p.is_file() and p.parent == folder / "figures" for p in drawn)
    if kind == "compare":
        assert (folder / "report.html").is_file()
        assert {manifest(folder / f)["kind"] for f in manifest(folder)["folders"]} == {"run"}


# --- a newcomer's frictions (issue 19): comparisons, shared options, "did you mean"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two existing run folders of the same seed and different sizes, and one of another
    seed."""
    root = tmp_path_factory.mktemp("runs")
    runs = {"big": ("baseline", "12", "3"), "small": ("no_peacekeepers", "6", "3")}
    runs["other_seed"] = ("turkey_restrained", "6", "9")
    for name, (scenario, r, seed) in runs.items():
        result = invoke(
            "run", scenario, "-r", r, "--seed", seed, "-o", root / name, "-q", "--no-figures",
            *IN_PROCESS,
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
    return {name: root / name for name in runs}


def test_compare_runs_a_new_scenario_with_the_folders_seed_and_replicates(two_runs, tmp_path):
    out = tmp_path / "c"
    result = invoke(
        "compare", two_runs["big"], "russia_assertive", "-o", out, "--no-figures", *IN_PROCESS
    )
    assert result.exit_code == 0, result.stderr
    info = manifest(out)
    assert info["seeds"] == [3, 3] and info["replicates"] == [12, 12]
    assert info["common_random_numbers"] is True and info["cut"] is None
    assert "seed (3) and replicates (12)" in result.stderr
    assert "paired by replicate" in result.stderr


def test_compare_refuses_a_seed_other_than_the_folders_in_one_line(two_runs, tmp_path):
    out = tmp_path / "c"
    result = invoke("compare", two_runs["big"], "russia_assertive", "--seed", "4", "-o", out)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "seed 3, not 4" in result.stderr
    assert not out.exists()


def test_compare_of_folders_of_different_sizes_says_what_was_cut(two_runs, tmp_path):
    out = tmp_path / "c"
    result = invoke("compare", two_runs["big"], two_runs["small"], "-o", out, "--no-figures")
    assert result.exit_code == 0, result.stderr
    note = next(line for line in result.stderr.splitlines() if line.startswith("note:"))
    assert "no_peacekeepers has 6 replicates and baseline 12" in note
    assert "leave out the other 6 of baseline" in note
    assert manifest(out)["cut"] in note
    paired = pd.read_parquet(out / "paired_differences.parquet")
    assert set(paired["n"]) == {6} and paired["paired"].all()


def test_compare_of_folders_of_different_seeds_never_says_paired(two_runs, tmp_path):
    out = tmp_path / "c"
    result = invoke(
        "compare", two_runs["big"], two_runs["other_seed"], "-o", out, "--no-figures", "-q"
    )
    assert result.exit_code == 0, result.stderr
    assert "not paired" in result.stderr and "(paired" not in result.stderr
    paired = pd.read_parquet(out / "paired_differences.parquet")
    assert not paired["paired"].any()
    assert paired["share_higher"].between(0, 1).all()  # P(a replicate beats an independent one)
    invoke("plot", out)
    report = (out / "report.html").read_text()
    assert "not paired" in report and "Paired differences against" not in report
    # the report gives each run's seed and horizon, and what the regimes mean
    settings = report.split("Settings of each run")[1].split("</table>")[0]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", settings)
    end = load_scenario("baseline").end.isoformat()
    assert cells == [
        "baseline", "3", "12", "2020-11-10", end, "261",
        "turkey_restrained", "9", "6", "2020-11-10", end, "261",
    ]  # fmt: skip
    assert "<th>seed</th>" in settings and '<th class="text">horizon</th>' in settings
    assert "the first rule that applies wins" in report
    assert "Russia's peacekeepers, deployed at the start, have all left" in report


@pytest.mark.parametrize("command", ["compare", "sweep", "sensitivity"])
def test_commands_share_the_horizon_options(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    for option in ("--years", "--until", "--set", "--seed", "--replicates", "--out"):
        assert option in result.stdout
    assert ("--store [full|summary]" in result.stdout) == (command == "compare")


def test_sensitivity_samples_has_a_long_name_and_metric_lists_its_values():
    assert "-n, --samples" in invoke("sensitivity", "--help").stdout
    help_text = " ".join(invoke("compare", "--help").stdout.split())
    assert "[influence|influence_over|trust|" in help_text


@pytest.mark.parametrize("command", ["compare", "sweep", "sensitivity"])
def test_years_reaches_the_scenarios_run(command, tmp_path):
    out = tmp_path / command
    args = {
        "compare": ("compare", "baseline", "no_peacekeepers", "-r", "2"),
        "sweep": ("sweep", "baseline", "--param", "actors.Russia.resolve=0:1:2", "-r", "2"),
        "sensitivity": ("sensitivity", "baseline", "-n", "2", "-r", "2"),
    }[command]
    result = invoke(*args, "--years", "1", "-o", out, "-q", "--no-figures", *IN_PROCESS)
    assert result.exit_code == 0, result.stderr
    scenario_file = out / ("baseline" if command == "compare" else ".") / "scenario.yaml"
    assert load_scenario(scenario_file).steps == 53


def test_compare_store_full_keeps_the_trajectories(tmp_path):
    out = tmp_path / "c"
    result = invoke(
        "compare", "baseline", "no_peacekeepers", "-r", "2", "--store", "full", "--years",
        "0.5", "-o", out, "-q", "--no-figures", *IN_PROCESS,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert manifest(out / "baseline")["store"] == "full"
    assert (out / "baseline" / "timeseries.parquet").exists()  # a folder of parts


def test_a_misspelt_bundled_name_gets_a_did_you_mean():
    result = invoke("run", "basline", "-q")
    assert result.exit_code == 2
    assert "did you mean 'baseline'?" in result.stderr


def test_a_misspelt_event_kind_gets_a_did_you_mean(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "extends: baseline\nevents:\n  - id: more\n    kind: deploi\n    date: 2021-06-01\n"
    )
    result = invoke("validate", bad)
    assert result.exit_code == 2
    assert "got 'deploi' (did you mean 'deploy'?)" in result.stderr
    assert result.stderr.count("\n") == 1


def test_schema_says_its_dialect():
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "properties" in schema

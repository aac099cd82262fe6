"""An interrupted sweep or sensitivity analysis resumes (issue 18, the last open item): the runs
are evaluated in blocks kept in ``<out>.partial/_work`` as they finish, so after Ctrl-C,
SIGTERM, ``kill -9`` or a full disk the same command with ``--resume DIR`` evaluates only the
missing blocks and gives the tables of an uninterrupted one, bit for bit; a resume with other
options is refused in one line and loses nothing; ``--force`` starts afresh."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_bad_scenarios import run_cli

import hegemon
import hegemon.ensemble.samples
from hegemon.errors import HegemonError
from hegemon.results import SampleResults

pytestmark = pytest.mark.timeout(300)

COMMON = ["--years", "0.3", "--workers", "1", "-q", "--no-figures"]
SWEEP = ["sweep", "baseline", "--param", "actors.Russia.resolve=0:1:3", "-r", "8",
         "--chunk-size", "1", *COMMON]  # fmt: skip  # 24 blocks of one run
BLOCKS = 24
PARAMS = "parameters:\n  - actors.Russia.resolve\n  - actors.Turkey.resolve\n"


def sensitivity_command(folder: Path) -> list[str]:
    """Morris with two parameters: 12 samples of 4 replicates, 24 blocks of two runs."""
    params = folder / "params.yaml"
    params.write_text(PARAMS, encoding="utf-8")
    return ["sensitivity", "baseline", "--params", str(params), "-n", "4", "-r", "4",
            "--chunk-size", "2", *COMMON]  # fmt: skip


TABLES = {"sweep": ("sweep",), "sensitivity": ("indices", "samples")}
CSV = {"sweep": "sweep.csv", "sensitivity": "indices.csv"}


def assert_same_tables(a: Path, b: Path) -> None:
    """The tables of two sweep (or sensitivity) folders hold the same values, bit for bit."""
    left, right = SampleResults(a), SampleResults(b)
    assert left.kind == right.kind
    for name in TABLES[left.kind]:
        pd.testing.assert_frame_equal(left.table(name), right.table(name), check_exact=True)
    assert (a / CSV[left.kind]).read_bytes() == (b / CSV[left.kind]).read_bytes()


def partial(out: Path) -> Path:
    return out.with_name(out.name + ".partial")


def kept_blocks(out: Path) -> list[Path]:
    return sorted((partial(out) / "_work").glob("block-*.parquet"))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the commands' parameter files live."""
    return tmp_path_factory.mktemp("inputs")


@pytest.fixture(scope="module")
def commands(folders: Path) -> dict[str, list[str]]:
    return {"sweep": SWEEP, "sensitivity": sensitivity_command(folders)}


@pytest.fixture(scope="module")
def undisturbed(
    tmp_path_factory: pytest.TempPathFactory, commands: dict[str, list[str]]
) -> dict[str, Path]:
    """Each command run once without interruption."""
    found = {}
    for kind, command in commands.items():
        out = tmp_path_factory.mktemp("undisturbed") / kind
        result = run_cli(*command, "-o", out)
        assert result.exit_code == 0, result.stderr
        found[kind] = out
    return found


RUN_CHUNKS = hegemon.ensemble.samples.run_chunks


def stop_after(blocks: int) -> Any:
    """A ``run_chunks`` for the evaluation of samples that is interrupted (Ctrl-C) once
    ``blocks`` blocks are yielded in this session."""

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        for n, item in enumerate(RUN_CHUNKS(*args, **kwargs)):
            if n == blocks:
                raise KeyboardInterrupt
            yield item

    return interrupted


# ----------------------------------------------------------------- killed processes


@pytest.mark.parametrize(
    ("kind", "sig"),
    [("sweep", signal.SIGTERM), ("sweep", signal.SIGKILL), ("sensitivity", signal.SIGKILL),
     ("sensitivity", signal.SIGTERM)],
    ids=["sweep-TERM", "sweep-KILL", "sensitivity-KILL", "sensitivity-TERM"],
)  # fmt: skip
def test_a_killed_process_resumes_to_the_same_tables(tmp_path, commands, undisturbed, kind, sig):
    command = commands[kind]
    out = tmp_path / kind
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hegemon", *command, "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True,
    )  # fmt: skip
    try:  # signal it once it has kept two blocks
        deadline = time.monotonic() + 200
        while len(kept_blocks(out)) < 2:
            assert proc.poll() is None, proc.communicate()[1].decode()
            assert time.monotonic() < deadline, "the command never got going"
            time.sleep(0.01)
        os.kill(proc.pid, sig)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = stderr.decode()
    assert proc.returncode == (128 + sig if sig == signal.SIGTERM else -sig), text
    assert "Traceback" not in text, text
    assert stdout == b""
    kept = len(kept_blocks(out))
    assert 2 <= kept < BLOCKS
    if sig == signal.SIGTERM:
        lines = text.splitlines()
        assert lines == [
            f"interrupted: the finished blocks ({kept} of {BLOCKS}) are kept in {partial(out)}; "
            f"continue with the same command and --resume {out}"
        ]
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{kind}.partial"]

    again = run_cli(*command, "-o", out)  # not silently started afresh
    assert again.exit_code == 1 and f"--resume {out}" in again.stderr, again.stderr
    resumed = run_cli(*command, "--resume", out)
    assert resumed.exit_code == 0, resumed.stderr
    assert resumed.stdout.strip() == str(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [kind]  # nothing hidden is left
    assert_same_tables(out, undisturbed[kind])


# ----------------------------------------------------------------- Ctrl-C, in this process


@pytest.mark.parametrize("kind", ["sweep", "sensitivity"])
def test_ctrl_c_says_what_was_kept_and_resume_continues(
    tmp_path, monkeypatch, commands, undisturbed, kind
):
    out = tmp_path / kind
    monkeypatch.setattr(hegemon.ensemble.samples, "run_chunks", stop_after(5))
    result = run_cli(*commands[kind], "-o", out)
    assert result.exit_code == 130, result.stderr
    assert result.stderr.splitlines() == [
        f"interrupted: the finished blocks (5 of {BLOCKS}) are kept in {partial(out)}; "
        f"continue with the same command and --resume {out}"
    ]
    assert len(kept_blocks(out)) == 5
    monkeypatch.setattr(hegemon.ensemble.samples, "run_chunks", stop_after(7))
    assert run_cli(*commands[kind], "--resume", out).exit_code == 130  # twice interrupted
    assert len(kept_blocks(out)) == 12
    monkeypatch.undo()
    resumed = run_cli(*commands[kind], "--resume", out)
    assert resumed.exit_code == 0, resumed.stderr
    assert_same_tables(out, undisturbed[kind])
    assert not partial(out).exists()


def test_resume_evaluates_only_the_missing_blocks(tmp_path, monkeypatch, undisturbed):
    out = tmp_path / "sweep"
    monkeypatch.setattr(hegemon.ensemble.samples, "run_chunks", stop_after(10))
    assert run_cli(*SWEEP, "-o", out).exit_code == 130
    monkeypatch.undo()
    skipped: list[set[int]] = []

    def recording(*args: Any, skip: Any = (), **kwargs: Any) -> Any:
        skipped.append(set(skip))
        return RUN_CHUNKS(*args, skip=skip, **kwargs)

    monkeypatch.setattr(hegemon.ensemble.samples, "run_chunks", recording)
    assert run_cli(*SWEEP, "--resume", out).exit_code == 0
    assert skipped == [set(range(10))]
    assert_same_tables(out, undisturbed["sweep"])


# ----------------------------------------------------------------- refusals


def interrupted_sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    out = tmp_path / "sweep"
    with monkeypatch.context() as patch:
        patch.setattr(hegemon.ensemble.samples, "run_chunks", stop_after(3))
        assert run_cli(*SWEEP, "-o", out).exit_code == 130
    assert len(kept_blocks(out)) == 3
    return out


def replaced(command: list[str], option: str, value: str) -> list[str]:
    i = command.index(option)
    return [*command[: i + 1], value, *command[i + 2 :]]


DIFFERENT = {
    "seed": ([*SWEEP, "--seed", "1"], "seed"),
    "replicates": (replaced(SWEEP, "-r", "4"), "replicates"),
    "chunking": (replaced(SWEEP, "--chunk-size", "2"), "chunk_size"),
    "grid": (replaced(SWEEP, "--param", "actors.Russia.resolve=0:1:4"), "grid"),
    "horizon": (replaced(SWEEP, "--years", "0.4"), "scenario_sha256"),
    "set": ([*SWEEP, "--set", "actors.Turkey.resolve=0.5"], "scenario_sha256"),
}


def test_resume_with_other_options_is_refused_and_loses_nothing(tmp_path, monkeypatch, undisturbed):
    out = interrupted_sweep(tmp_path, monkeypatch)
    before = snapshot(partial(out))
    for what, (command, differs) in DIFFERENT.items():
        result = run_cli(*command, "--resume", out)
        assert result.exit_code == 1, (what, result.stderr)
        lines = result.stderr.splitlines()
        assert len(lines) == 1, (what, lines)
        assert lines[0].startswith(f"error: {partial(out)}: the interrupted sweep differs in ")
        assert differs in lines[0] and "--force" in lines[0], (what, lines[0])
        assert snapshot(partial(out)) == before, what
    assert run_cli(*SWEEP, "--resume", out).exit_code == 0  # the right command still resumes
    assert_same_tables(out, undisturbed["sweep"])


def test_a_sensitivity_analysis_does_not_resume_a_sweep(tmp_path, monkeypatch, commands):
    out = interrupted_sweep(tmp_path, monkeypatch)
    before = snapshot(partial(out))
    result = run_cli(*commands["sensitivity"], "--resume", out)
    assert result.exit_code == 1
    assert "the interrupted sensitivity analysis differs in kind" in result.stderr, result.stderr
    assert snapshot(partial(out)) == before


@pytest.mark.parametrize("kind", ["sweep", "sensitivity"])
def test_resume_without_interrupted_work_is_refused(tmp_path, commands, kind):
    out = tmp_path / kind
    result = run_cli(*commands[kind], "--resume", out)
    assert result.exit_code == 1, result.stderr
    what = "sweep" if kind == "sweep" else "sensitivity analysis"
    assert result.stderr.splitlines() == [
        f"error: {partial(out)}: no interrupted {what} to resume here"
    ]
    assert not out.exists() and not partial(out).exists()


def test_a_work_folder_that_is_a_symlink_is_refused_on_resume(tmp_path, monkeypatch):
    out = interrupted_sweep(tmp_path, monkeypatch)
    elsewhere = tmp_path / "elsewhere"
    os.replace(partial(out) / "_work", elsewhere)
    (partial(out) / "_work").symlink_to(elsewhere)
    before = snapshot(elsewhere)
    result = run_cli(*SWEEP, "--resume", out)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {partial(out)}: is a symbolic link; refusing to resume through it"
    ]
    assert snapshot(elsewhere) == before


def test_resume_and_a_different_out_are_refused(tmp_path):
    result = run_cli(*SWEEP, "-o", tmp_path / "a", "--resume", tmp_path / "b")
    assert result.exit_code == 2 and "do not also give -o" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_force_starts_afresh(tmp_path, monkeypatch, undisturbed):
    out = interrupted_sweep(tmp_path, monkeypatch)
    refused = run_cli(*SWEEP, "-o", out)
    assert refused.exit_code == 1
    assert refused.stderr.splitlines() == [
        f"error: {partial(out)}: an interrupted sweep is here; continue it with --resume "
        f"{out}, or pass --force to start afresh"
    ]
    skipped: list[set[int]] = []

    def recording(*args: Any, skip: Any = (), **kwargs: Any) -> Any:
        skipped.append(set(skip))
        return RUN_CHUNKS(*args, skip=skip, **kwargs)

    monkeypatch.setattr(hegemon.ensemble.samples, "run_chunks", recording)
    fresh = run_cli(*SWEEP, "-o", out, "--force")
    assert fresh.exit_code == 0, fresh.stderr
    assert skipped == [set()]  # every block evaluated again
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep"]
    assert_same_tables(out, undisturbed["sweep"])


def test_bad_input_found_while_evaluating_leaves_nothing(tmp_path):
    out = tmp_path / "sweep"
    result = run_cli(*replaced(SWEEP, "--param", "actors.Russia.resolve=0:9:2"), "-o", out)
    assert result.exit_code == 1 and "out of range" in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------- a full disk


def no_space_after(calls: int) -> Any:
    """A to_parquet that works ``calls`` times, then writes half a file and fails ENOSPC."""
    real = pd.DataFrame.to_parquet
    count = {"n": 0}

    def to_parquet(self: pd.DataFrame, path: Any, *args: Any, **kwargs: Any) -> Any:
        count["n"] += 1
        if count["n"] > calls:
            Path(path).write_bytes(b"PAR1\x00half a file")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, path, *args, **kwargs)

    return to_parquet


@pytest.mark.parametrize("calls", [0, 6, BLOCKS], ids=["first-block", "mid-way", "the-table"])
def test_a_full_disk_keeps_the_finished_blocks(tmp_path, monkeypatch, undisturbed, calls):
    out = tmp_path / "sweep"
    monkeypatch.setattr(pd.DataFrame, "to_parquet", no_space_after(calls))
    result = run_cli(*SWEEP, "-o", out)
    assert result.exit_code == 1, result.stderr
    assert result.stderr.splitlines() == [
        f"error: {partial(out)}: cannot write results: No space left on device; the finished "
        f"blocks ({calls} of {BLOCKS}) are kept: run again with --resume {out}"
    ]
    assert not out.exists() and len(kept_blocks(out)) == calls
    monkeypatch.undo()
    resumed = run_cli(*SWEEP, "--resume", out)
    assert resumed.exit_code == 0, resumed.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep"]
    assert_same_tables(out, undisturbed["sweep"])


# ----------------------------------------------------------------- the Python API


def test_the_api_resumes_a_sensitivity_analysis(tmp_path, monkeypatch, undisturbed):
    out = tmp_path / "sensitivity"
    args: dict[str, Any] = {
        "params": ["actors.Russia.resolve", "actors.Turkey.resolve"],
        "n": 4,
        "replicates": 4,
        "chunk_size": 2,
        "figures": False,
        "overrides": ["horizon_years=0.3", "until=null"],
    }
    spec = hegemon.load_scenario("baseline")
    with monkeypatch.context() as patch:
        patch.setattr(hegemon.ensemble.samples, "run_chunks", stop_after(4))
        with pytest.raises(KeyboardInterrupt, match="--resume"):
            hegemon.sensitivity(spec, out=out, **args)
    with pytest.raises(HegemonError, match="--resume"):
        hegemon.sensitivity(spec, out=out, **args)
    done = hegemon.sensitivity(spec, out=out, resume=True, workers=2, **args)
    assert done.path == out and not partial(out).exists()
    assert_same_tables(out, undisturbed["sensitivity"])  # as the command gave, uninterrupted

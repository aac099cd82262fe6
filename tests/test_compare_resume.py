"""A killed comparison (issue 18, item 6): each scenario runs into a resumable folder under
the comparison's ``.partial``, so ``compare --resume DIR`` continues it and gives the tables of
an undisturbed comparison; nothing hidden is left behind; stale staging folders of killed
saves are cleaned."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_bad_scenarios import run_cli

import hegemon
from hegemon.results import Comparison

COMPARE = ["compare", "baseline", "no_peacekeepers", "-r", "40", "--chunk-size", "4",
           "--workers", "1", "-q", "--no-figures"]  # fmt: skip


def assert_same_comparison(a: Path, b: Path) -> None:
    left, right = Comparison.load(a), Comparison.load(b)
    assert left.names == right.names
    pd.testing.assert_frame_equal(left.paired, right.paired)
    pd.testing.assert_frame_equal(left.summary, right.summary)
    pd.testing.assert_frame_equal(left.outcomes, right.outcomes)


@pytest.fixture(scope="module")
def undisturbed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("undisturbed") / "cmp"
    result = run_cli(*COMPARE, "-o", out)
    assert result.exit_code == 0, result.stderr
    return out


@pytest.mark.timeout(300)
def test_a_killed_comparison_resumes_to_the_same_tables(tmp_path, undisturbed):
    out = tmp_path / "cmp"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hegemon", *COMPARE, "-o", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True,
    )  # fmt: skip
    partial = tmp_path / "cmp.partial"
    deadline = time.monotonic() + 200
    try:  # kill it once the second scenario's run has finished a few chunks
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode()  # type: ignore[union-attr]
            sums = partial / "no_peacekeepers.partial" / "_work" / "sums"
            if sums.is_dir() and len(list(sums.glob("part-*.npz"))) >= 2:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp.partial"]  # nothing hidden
    assert (partial / "baseline" / "manifest.json").is_file()  # the first run is kept whole

    again = run_cli(*COMPARE, "-o", out)
    assert again.exit_code == 1 and "--resume" in again.stderr, again.stderr
    resumed = run_cli(*COMPARE, "--resume", out)
    assert resumed.exit_code == 0, resumed.stderr
    assert resumed.stdout.strip() == str(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp"]
    assert_same_comparison(out, undisturbed)


def test_ctrl_c_of_a_comparison_says_how_to_resume(tmp_path, monkeypatch, undisturbed):
    import hegemon.api

    real = hegemon.api.run_chunks
    calls = {"n": 0}

    def stop_in_the_second_run(*args, **kwargs):
        calls["n"] += 1
        for n, item in enumerate(real(*args, **kwargs)):
            if calls["n"] == 2 and n == 3:
                raise KeyboardInterrupt
            yield item

    out = tmp_path / "cmp"
    monkeypatch.setattr(hegemon.api, "run_chunks", stop_in_the_second_run)
    result = run_cli(*COMPARE, "-o", out)
    assert result.exit_code == 130, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0] == (
        f"interrupted: the finished runs are kept in {out}.partial; continue with the same "
        f"command and --resume {out}"
    )
    monkeypatch.undo()
    resumed = run_cli(*COMPARE, "--resume", out)
    assert resumed.exit_code == 0, resumed.stderr
    assert_same_comparison(out, undisturbed)


def test_resume_refuses_a_different_comparison(tmp_path, monkeypatch):
    import hegemon.api

    def stop(*args, **kwargs):
        raise KeyboardInterrupt
        yield

    out = tmp_path / "cmp"
    monkeypatch.setattr(hegemon.api, "run_chunks", stop)
    assert run_cli(*COMPARE, "-o", out).exit_code == 130
    monkeypatch.undo()
    other = [*COMPARE[:4], "20", *COMPARE[5:]]  # -r 20 instead of 40
    result = run_cli(*other, "--resume", out)
    assert result.exit_code == 1
    assert "differs" in result.stderr and "replicates" in result.stderr, result.stderr


def test_a_stale_staging_folder_of_a_killed_save_is_cleaned(tmp_path):
    """A save killed with kill -9 leaves its hidden staging folder; the next save beside it
    removes those whose process is gone, and leaves a live process's alone."""
    results = hegemon.run("baseline", replicates=2, store="summary")
    results.save(tmp_path / "first", figures=False)
    host = socket.gethostname()
    dead = tmp_path / f".out.{host}-{2**22 + 12345}.abcd.tmp"  # above any pid_max default
    dead.mkdir()
    (dead / "summary.parquet").write_bytes(b"half")
    alive = tmp_path / f".out.{host}-{os.getpid()}.efgh.tmp"
    alive.mkdir()
    results.save(tmp_path / "out", figures=False)
    assert not dead.exists() and alive.exists()

"""Signals, with real processes (issue 18, item 3): SIGTERM ends a run as Ctrl-C does (one
line, finished chunks kept for --resume), and after SIGTERM or SIGKILL of ``hegemon run
--workers 2`` its worker processes, the forkserver and the resource tracker are gone within
seconds, so nothing keeps the parent's stdout and stderr open: a caller reading the pipes
sees them end."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc"),
    pytest.mark.timeout(240),
]

RUN = ["run", "baseline", "-r", "400000", "--chunk-size", "1000", "--store", "summary",
       "--workers", "2", "-q", "--no-figures"]  # fmt: skip


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def alive(pid: int) -> bool:
    """Running (a zombie that nobody reaps is dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def descendants(root: int) -> set[int]:
    pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
    parents = {pid: parent_of(pid) for pid in pids}
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def start(out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.Popen(
        [sys.executable, "-m", "hegemon", *RUN, "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )


def wait_for_work(proc: subprocess.Popen[bytes], out: Path) -> set[int]:
    """Wait until two chunks are done (the pool is busy); return the processes it started."""
    parts = out.with_name(out.name + ".partial") / "_work" / "sums"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        if parts.is_dir() and len(list(parts.glob("part-*.npz"))) >= 2:
            children = descendants(proc.pid)
            if len(children) >= 3:  # forkserver (or tracker) and two workers
                return children
        time.sleep(0.1)
    raise AssertionError("the run never got going")


def read_to_eof(proc: subprocess.Popen[bytes], seconds: float) -> tuple[bytes, bytes]:
    """Everything on stdout and stderr, or fail if they are still open after ``seconds``."""
    assert proc.stdout is not None and proc.stderr is not None
    fds = [proc.stdout.fileno(), proc.stderr.fileno()]
    data = dict.fromkeys(fds, b"")
    open_fds = set(fds)
    deadline = time.monotonic() + seconds
    while open_fds and time.monotonic() < deadline:
        ready, _, _ = select.select(list(open_fds), [], [], 0.2)
        for fd in ready:
            chunk = os.read(fd, 65536)
            if chunk:
                data[fd] += chunk
            else:
                open_fds.discard(fd)
    assert not open_fds, f"stdout/stderr still open {seconds} s after the signal"
    return data[fds[0]], data[fds[1]]


def assert_gone(pids: set[int], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = {pid for pid in pids if alive(pid)}
        if not left:
            return
        time.sleep(0.1)
    for pid in left:  # do not leave them behind for the rest of the suite
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    raise AssertionError(f"{len(left)} processes still running {seconds} s after the parent")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["TERM", "KILL"])
def test_no_process_outlives_a_killed_run(tmp_path, sig):
    out = tmp_path / "out"
    proc = start(out)
    children: set[int] = set()
    try:
        children = wait_for_work(proc, out)
        os.kill(proc.pid, sig)
        stdout, stderr = read_to_eof(proc, 30)  # promptly, even on a loaded machine
        proc.wait(timeout=30)
        assert_gone(children, 20)
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in children:  # a failing test must not leave them running either
            if alive(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
    text = stderr.decode()
    assert "Traceback" not in text, text
    assert stdout == b""
    if sig == signal.SIGTERM:
        assert proc.returncode == 128 + signal.SIGTERM, text
        lines = text.splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("interrupted: ") and f"--resume {out}" in lines[0], lines[0]
        assert (out.with_name("out.partial") / "_work" / "progress.json").is_file()


def test_ctrl_c_says_what_was_kept_and_how_to_resume(tmp_path, monkeypatch):
    """Ctrl-C after two chunks (in this process): the message names the kept chunks and the
    command that continues the run, and following it works."""
    from test_bad_scenarios import run_cli
    from test_failures import CLI_RUN

    import hegemon.api

    real = hegemon.api.run_chunks

    def two_then_stop(*args, **kwargs):
        for n, item in enumerate(real(*args, **kwargs)):
            if n == 2:
                raise KeyboardInterrupt
            yield item

    out = tmp_path / "out"
    monkeypatch.setattr(hegemon.api, "run_chunks", two_then_stop)
    result = run_cli(*CLI_RUN, "--workers", "1", "-o", out)
    assert result.exit_code == 130, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0] == (
        f"interrupted: the finished chunks (2 of 6) are kept in {out}.partial; continue with "
        f"the same command and --resume {out}"
    )
    monkeypatch.undo()
    again = run_cli(*CLI_RUN, "--workers", "1", "--resume", out)
    assert again.exit_code == 0, again.stderr
    assert again.stdout.strip() == str(out)


def test_ctrl_c_of_a_run_without_a_folder_leaves_no_temporary_folder(tmp_path, monkeypatch):
    import tempfile

    import hegemon
    import hegemon.api

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def stop(*args, **kwargs):
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(hegemon.api, "run_chunks", stop)
    with pytest.raises(KeyboardInterrupt):
        hegemon.run("baseline", replicates=2)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_sigterm_of_a_comparison_ends_it_even_while_a_worker_sends_a_chunk(tmp_path):
    """A comparison of runs of many chunks, each chunk a large result (the quantile sample of
    the first 4,000 replicates), ended by SIGTERM: a worker stopped while it sent a result
    once left the pool's thread waiting for the rest of it, and the command hung."""
    out = tmp_path / "cmp"
    command = ["compare", "baseline", "no_peacekeepers", "russia_assertive", "-r", "6000",
               "--chunk-size", "500", "--workers", "2", "-q", "--no-figures",
               "-o", str(out)]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "hegemon", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "MPLBACKEND": "Agg"},
        start_new_session=True,
    )
    sums = tmp_path / "cmp.partial" / "baseline.partial" / "_work" / "sums"
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not children:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            if sums.is_dir() and list(sums.glob("part-*.npz")):
                found = descendants(proc.pid)
                children = found if len(found) >= 3 else set()
            time.sleep(0.1)
        assert children, "the comparison never got going"
        os.kill(proc.pid, signal.SIGTERM)
        stdout, stderr = read_to_eof(proc, 30)
        proc.wait(timeout=30)
        assert_gone(children, 20)
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in children:
            if alive(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
    lines = stderr.decode().splitlines()
    assert proc.returncode == 128 + signal.SIGTERM, (lines, stdout)
    assert len(lines) == 1 and lines[0].startswith("interrupted: "), lines
    assert f"--resume {out}" in lines[0]

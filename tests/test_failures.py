"""Failure handling: a full or unwritable disk, workers that die, and output folders that are
symbolic links.

- Disk full (simulated: the tests run as root, so chmod would not stop a write):
  ``pandas.DataFrame.to_parquet`` writes half a file and raises ENOSPC after N calls. The
  run must raise one HegemonError (CLI: exit 1, one ``error:`` line naming the folder and
  ``--resume``), leave no ``DIR`` and nothing that looks complete, only ``DIR.partial`` with
  whole part files; ``--resume`` after the fault is gone must give exactly the tables of an
  uninterrupted run.
- Workers that die: the chunk task (``hegemon.api.simulate_and_reduce``, replaced by a
  picklable wrapper from this module) kills its own process with ``os._exit(1)``, once (a
  marker file records it) or every time, on a process pool and on a Dask ``LocalCluster``.
  Once: the chunk is retried and the results are identical to an undisturbed run. Every
  time: a HegemonError says the chunk failed twice and suggests ``--resume``, and the
  finished chunks are kept.
- Output folders: ``-o`` naming a symbolic link, and ``<out>.partial`` being one, are refused
  (exit 1, one line) and the link's target is left untouched.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import functools
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_bad_scenarios import run_cli

import hegemon
import hegemon.api
from hegemon.ensemble import store as store_module
from hegemon.ensemble.store import EnsembleStore, simulate_and_reduce
from hegemon.errors import HegemonError
from hegemon.results import Results
from hegemon.scenario.schema import Scenario

SEED = 7
REPLICATES = 12
CHUNK = 2  # six chunks
CHUNKS = REPLICATES // CHUNK
YEARS = 0.5
TABLES = ("summary", "events", "outcomes")
CLI_RUN = ["run", "baseline", "--years", str(YEARS), "-r", str(REPLICATES), "--seed", str(SEED),
           "--chunk-size", str(CHUNK), "-q", "--no-figures"]  # fmt: skip


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return hegemon.load_scenario("baseline", [f"horizon_years={YEARS}", "until=null"])


@pytest.fixture(scope="module")
def reference(scenario: Scenario) -> Results:
    """The undisturbed run, in this process, that every other run must reproduce."""
    return hegemon.run(scenario, replicates=REPLICATES, seed=SEED, chunk_size=CHUNK)


def sorted_timeseries(frame: pd.DataFrame) -> pd.DataFrame:
    keys = ["metric", "actor", "target", "replicate", "step"]
    out = frame.astype({c: str for c in ("scenario", "metric", "actor", "target")})
    return out.sort_values(keys, kind="stable", ignore_index=True)


def assert_identical(results: Results, reference: Results) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(results, name), getattr(reference, name))
    assert results.timeseries is not None and reference.timeseries is not None
    pd.testing.assert_frame_equal(
        sorted_timeseries(results.timeseries), sorted_timeseries(reference.timeseries)
    )


def partial(out: Path) -> Path:
    return hegemon.api.partial_folder(out)


def done_parts(out: Path) -> list[int]:
    folder = partial(out) / "_work" / "outcomes"
    return sorted(int(p.stem.split("-")[1]) for p in folder.glob("part-*.parquet"))


def assert_nothing_looks_complete(out: Path) -> None:
    """No results folder, and a .partial folder that cannot be taken for one, holding only
    whole part files (half-written files are hidden temporary names)."""
    assert not out.exists(), f"{out} exists after a failure"
    work = partial(out)
    assert work.is_dir()
    with pytest.raises(HegemonError):
        Results(work)
    for part in work.rglob("part-*.parquet"):
        if part.is_file():
            pd.read_parquet(part)  # whole: readable


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# ------------------------------------------------------------------------ a full disk


def no_space_after(calls: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parquet writes (``to_parquet`` and the store's timeseries writer) that work ``calls``
    times, then write half a file and fail ENOSPC."""
    real, real_batches = pd.DataFrame.to_parquet, store_module._write_batches
    count = {"n": 0}

    def full(path: Any) -> bool:
        count["n"] += 1
        if count["n"] > calls:
            Path(path).write_bytes(b"PAR1\x00half a file")
            return True
        return False

    def to_parquet(self: pd.DataFrame, path: Any, *args: Any, **kwargs: Any) -> Any:
        if full(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, path, *args, **kwargs)

    def write_batches(path: Path, batches: Any) -> None:
        if full(path.with_name(f".{path.name}.tmp")):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_batches(path, batches)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", to_parquet)
    monkeypatch.setattr(store_module, "_write_batches", write_batches)


# Per chunk: timeseries, events and outcomes parts (3 calls); then the summary (1 call).
FAIL_POINTS = {
    "first-write": 0,
    "mid-chunk": 4,
    "after-three-chunks": 9,
    "last-chunk": 3 * CHUNKS - 1,
    "summary": 3 * CHUNKS,
}


@pytest.mark.parametrize("calls", FAIL_POINTS.values(), ids=FAIL_POINTS.keys())
def test_a_full_disk_leaves_a_partial_folder_that_resumes(
    scenario, reference, tmp_path, monkeypatch, calls
):
    out = tmp_path / "out"
    no_space_after(calls, monkeypatch)
    with pytest.raises(HegemonError) as info:
        hegemon.run(scenario, replicates=REPLICATES, seed=SEED, chunk_size=CHUNK, out=out)
    message = str(info.value)
    assert "\n" not in message
    assert "No space left on device" in message
    assert str(partial(out)) in message and "--resume" in message
    assert_nothing_looks_complete(out)
    assert len(done_parts(out)) == min(calls // 3, CHUNKS)
    monkeypatch.undo()
    with pytest.raises(HegemonError, match="--resume"):  # not silently started afresh
        hegemon.run(scenario, replicates=REPLICATES, seed=SEED, chunk_size=CHUNK, out=out)
    resumed = hegemon.run(
        scenario, replicates=REPLICATES, seed=SEED, chunk_size=CHUNK, out=out, resume=True
    )
    assert resumed.path == out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert_identical(resumed, reference)


def test_a_full_disk_through_the_cli(reference, tmp_path, monkeypatch):
    out = tmp_path / "out"
    no_space_after(7, monkeypatch)
    result = run_cli(*CLI_RUN, "--workers", "1", "-o", out)
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    assert str(out) in lines[0] and "--resume" in lines[0] and "No space left" in lines[0]
    assert "Traceback" not in result.output + result.stderr
    assert result.stdout == ""
    assert_nothing_looks_complete(out)
    monkeypatch.undo()
    again = run_cli(*CLI_RUN, "--workers", "1", "--resume", out)
    assert again.exit_code == 0, again.stderr
    assert again.stdout.strip() == str(out)
    assert_identical(Results.load(out), reference)


def no_space_for(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Opening ``name`` (or a temporary name containing it) for writing fails with ENOSPC,
    whichever way the file is written."""
    real_open, real_path_open = builtins.open, Path.open

    def full(file: Any, mode: str) -> None:
        if name in os.fspath(file) and any(c in mode for c in "wax+"):
            raise OSError(errno.ENOSPC, "No space left on device")

    def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | os.PathLike):
            full(file, mode)
        return real_open(file, mode, *args, **kwargs)

    def path_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        full(self, mode)
        return real_path_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", open_)
    monkeypatch.setattr(Path, "open", path_open)


def test_a_failure_after_the_chunks_are_merged_can_be_resumed(
    scenario, reference, tmp_path, monkeypatch
):
    """Writing manifest.json fails after every chunk is merged. The error says to resume,
    so resuming must work; today ``finish`` has removed ``_work/progress.json`` and resume
    answers "no interrupted run to resume here", while a fresh run answers "an interrupted
    run is here; continue it with --resume" (api.run, store.EnsembleStore.finish)."""
    out = tmp_path / "out"
    no_space_for(monkeypatch, "manifest.json")
    with pytest.raises(HegemonError, match="--resume"):
        hegemon.run(scenario, replicates=REPLICATES, seed=SEED, chunk_size=CHUNK, out=out)
    assert_nothing_looks_complete(out)
    monkeypatch.undo()
    resumed = hegemon.run(
        scenario, replicates=REPLICATES, seed=SEED, chunk_size=CHUNK, out=out, resume=True
    )
    assert_identical(resumed, reference)


@pytest.mark.parametrize("fails", ["summary", "manifest"])
def test_a_run_of_one_chunk_resumes_after_a_failure_past_its_chunk(
    scenario, reference, tmp_path, monkeypatch, fails
):
    """A run of one chunk keeps all of the chunk but its timeseries in memory; a failure
    after the chunk is done must still resume to the tables of an undisturbed run (the chunk
    is run again)."""
    out = tmp_path / "out"
    one_chunk = {"replicates": REPLICATES, "seed": SEED, "chunk_size": REPLICATES}
    undisturbed = hegemon.run(scenario, **one_chunk)
    pd.testing.assert_frame_equal(undisturbed.outcomes, reference.outcomes)
    if fails == "summary":  # after the chunk's timeseries part
        no_space_after(1, monkeypatch)
    else:
        no_space_for(monkeypatch, "manifest.json")
    with pytest.raises(HegemonError, match="--resume"):
        hegemon.run(scenario, **one_chunk, out=out)
    assert_nothing_looks_complete(out)
    assert done_parts(out) == []
    assert not list((partial(out) / "_work" / "sums").iterdir())
    monkeypatch.undo()
    resumed = hegemon.run(scenario, **one_chunk, out=out, resume=True)
    assert_identical(resumed, undisturbed)


def test_a_failure_while_drawing_figures_can_be_resumed(scenario, tmp_path, monkeypatch):
    """The same when the disk fills up while the figures are drawn (``figures=True``): the
    manifest is written last, so the .partial folder left behind does not pass for a
    complete results folder, and --resume finishes the run."""

    def no_space(results: Any, out: Path, formats: Any, **_: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    out = tmp_path / "out"
    monkeypatch.setattr(hegemon.api, "_run_figures", no_space)
    with pytest.raises(HegemonError, match="--resume"):
        hegemon.run(scenario, replicates=4, seed=SEED, chunk_size=CHUNK, out=out, figures=True)
    assert_nothing_looks_complete(out)
    monkeypatch.undo()
    monkeypatch.setattr(hegemon.api, "_run_figures", lambda results, out, formats, **_: None)
    resumed = hegemon.run(
        scenario, replicates=4, seed=SEED, chunk_size=CHUNK, out=out, resume=True, figures=True
    )
    assert resumed.path == out


def test_a_failure_before_anything_is_written_leaves_a_way_forward(
    scenario, reference, tmp_path, monkeypatch
):
    """The first write (``_work/progress.json``) fails. The error suggests --resume; after the
    fault is gone, following that advice must work. Today the empty .partial folder has no
    progress.json: --resume says "no interrupted run to resume here" and a plain run says
    "an interrupted run is here; continue it with --resume"."""

    def no_space(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    out = tmp_path / "out"
    monkeypatch.setattr(store_module, "write_atomic", no_space)
    with pytest.raises(HegemonError) as info:
        hegemon.run(scenario, replicates=REPLICATES, seed=SEED, chunk_size=CHUNK, out=out)
    assert not out.exists()
    monkeypatch.undo()
    resume = "--resume" in str(info.value)
    finished = hegemon.run(
        scenario, replicates=REPLICATES, seed=SEED, chunk_size=CHUNK, out=out, resume=resume
    )
    assert_identical(finished, reference)


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (PermissionError(errno.EACCES, "Permission denied"), "Permission denied"),
        (OSError(errno.EROFS, "Read-only file system"), "Read-only file system"),
        (OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
    ],
    ids=["permission", "read-only", "full"],
)
def test_an_unwritable_location_gives_a_clear_error(scenario, tmp_path, monkeypatch, error, says):
    real = Path.mkdir

    def mkdir(self: Path, *args: Any, **kwargs: Any) -> None:
        if tmp_path in self.parents:
            raise error
        return real(self, *args, **kwargs)

    out = tmp_path / "results" / "out"
    monkeypatch.setattr(Path, "mkdir", mkdir)
    with pytest.raises(HegemonError) as info:
        hegemon.run(scenario, replicates=2, seed=SEED, out=out)
    assert says in str(info.value) and str(out) in str(info.value)
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_an_output_folder_under_a_file_gives_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    result = run_cli(*CLI_RUN, "--workers", "1", "-o", tmp_path / "file" / "out")
    assert result.exit_code == 1, result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: ") and "Not a directory" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "file").read_text() == "not a folder"


# ---------------------------------------------------------------- workers that die
#
# The task must be picklable: module-level functions, bound with functools.partial. api.run
# builds ``functools.partial(simulate_and_reduce, scenario, seed, store=..., hook=...)`` from
# the name in hegemon.api, so replacing ``hegemon.api.simulate_and_reduce`` reaches every
# worker.


def die_once(
    marker: str,
    kill_start: int,
    scenario: Scenario,
    seed: int,
    start: int,
    stop: int,
    **kwargs: Any,
) -> Any:
    """The chunk starting at ``kill_start`` kills its worker the first time it runs."""
    if start == kill_start and not os.path.exists(marker):
        Path(marker).write_text(str(os.getpid()))
        os._exit(1)
    return simulate_and_reduce(scenario, seed, start, stop, **kwargs)


def die_always(
    kill_start: int, scenario: Scenario, seed: int, start: int, stop: int, **kwargs: Any
) -> Any:
    """The chunk starting at ``kill_start`` kills its worker every time."""
    if start == kill_start:
        os._exit(1)
    return simulate_and_reduce(scenario, seed, start, stop, **kwargs)


def die_when_told(
    go: str,
    marker: str,
    kill_start: int,
    scenario: Scenario,
    seed: int,
    start: int,
    stop: int,
    **kwargs: Any,
) -> Any:
    """The chunk starting at ``kill_start`` waits for the file ``go``, then kills its worker
    (once)."""
    if start == kill_start and not os.path.exists(marker):
        deadline = time.monotonic() + 60
        while not os.path.exists(go) and time.monotonic() < deadline:
            time.sleep(0.01)
        Path(marker).write_text(str(os.getpid()))
        os._exit(1)
    return simulate_and_reduce(scenario, seed, start, stop, **kwargs)


def killing(monkeypatch: pytest.MonkeyPatch, task: Callable[..., Any], *bound: Any) -> None:
    monkeypatch.setattr(hegemon.api, "simulate_and_reduce", functools.partial(task, *bound))


@pytest.mark.parametrize("chunk", [0, CHUNKS - 1], ids=["first-chunk", "last-chunk"])
def test_a_worker_that_dies_once_is_retried(scenario, reference, tmp_path, monkeypatch, chunk):
    marker = tmp_path / "died"
    killing(monkeypatch, die_once, str(marker), chunk * CHUNK)
    out = tmp_path / "out"
    results = hegemon.run(
        scenario, replicates=REPLICATES, seed=SEED, chunk_size=CHUNK, workers=2, out=out
    )
    assert marker.exists(), "the worker never died: the test tests nothing"
    assert results.path == out and not partial(out).exists()
    assert_identical(results, reference)


def test_a_worker_that_dies_while_a_finished_chunk_is_written(
    scenario, reference, tmp_path, monkeypatch
):
    """Chunk 1's worker dies while chunk 0 (already finished) is being written. The pool is
    then broken when the next chunk is submitted, and ``pool.submit`` raises
    BrokenProcessPool outside the retry logic (runner.run_chunks, ``submit``): the run
    fails with a bare BrokenProcessPool instead of retrying. With large chunks, writing a
    chunk takes seconds, so this is the common case, not a corner."""
    go, marker = tmp_path / "go", tmp_path / "died"
    killing(monkeypatch, die_when_told, str(go), str(marker), 1 * CHUNK)
    real_add = EnsembleStore.add

    def add(self: EnsembleStore, index: int, products: Any) -> None:
        real_add(self, index, products)
        if index == 0 and not marker.exists():
            go.touch()
            deadline = time.monotonic() + 60
            while not marker.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(1.0)  # the pool notices its worker is gone

    monkeypatch.setattr(EnsembleStore, "add", add)
    out = tmp_path / "out"
    results = hegemon.run(
        scenario, replicates=REPLICATES, seed=SEED, chunk_size=CHUNK, workers=2, out=out
    )
    assert marker.exists()
    assert_identical(results, reference)


def test_a_worker_that_dies_every_time_stops_the_run_and_keeps_finished_chunks(
    scenario, reference, tmp_path, monkeypatch
):
    last = CHUNKS - 1
    killing(monkeypatch, die_always, last * CHUNK)
    out = tmp_path / "out"
    with pytest.raises(HegemonError) as info:
        hegemon.run(
            scenario, replicates=REPLICATES, seed=SEED, chunk_size=CHUNK, workers=2, out=out
        )
    message = str(info.value)
    assert "failed twice" in message and "--resume" in message, message
    assert "\n" not in message
    assert_nothing_looks_complete(out)
    kept = done_parts(out)
    assert {0, 1} <= set(kept) and last not in kept, kept  # 0 and 1 are written before
    monkeypatch.undo()  # chunk 5 is even submitted
    resumed = hegemon.run(
        scenario, replicates=REPLICATES, seed=SEED, chunk_size=CHUNK, out=out, resume=True
    )
    assert_identical(resumed, reference)


def test_a_worker_that_dies_every_time_through_the_cli(tmp_path, monkeypatch):
    killing(monkeypatch, die_always, 0)
    out = tmp_path / "out"
    result = run_cli(*CLI_RUN, "--workers", "2", "-o", out)
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "failed twice" in lines[0] and "--resume" in lines[0]
    assert "Traceback" not in result.output + result.stderr
    assert not out.exists()


# ------------------------------------------------------------------------------ Dask


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[Any]:
    """Two worker processes; a worker that dies fails its tasks at once (allowed-failures 0),
    so hegemon's own retry is what is tested."""
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # None still binds 8787, which xdist workers share
            silence_logs=40,  # logging.ERROR: the deaths below are expected
        )
    with cluster:
        yield cluster


@pytest.fixture
def dask_executor(dask_cluster) -> Iterator[Any]:
    """The executor the CLI's ``--scheduler ADDRESS`` gives to hegemon.run."""
    from hegemon.cli import executor_for

    with executor_for(dask_cluster.scheduler_address) as executor:
        yield executor


def test_dask_executor_gives_identical_results(scenario, reference, dask_cluster, tmp_path):
    from distributed import Client

    with Client(dask_cluster) as client:
        results = hegemon.run(
            scenario,
            replicates=REPLICATES,
            seed=SEED,
            chunk_size=CHUNK,
            executor=client.get_executor(),
            out=tmp_path / "out",
        )
    assert_identical(results, reference)


def test_dask_executor_of_the_cli_gives_identical_results(
    scenario, reference, dask_executor, tmp_path
):
    results = hegemon.run(
        scenario, replicates=REPLICATES, seed=SEED, chunk_size=3, executor=dask_executor
    )
    assert_identical(results, reference)


def test_a_dask_worker_that_dies_once_is_retried(
    scenario, reference, dask_executor, tmp_path, monkeypatch
):
    """The scheduler fails the chunk with KilledWorker and hegemon retries it once. Today the
    retry resubmits the same task key (``client.get_executor()`` defaults to pure=True, in
    cli.executor_for), the scheduler hands back the failed future, and the run stops with
    "failed twice" after a single death."""
    marker = tmp_path / "died"
    killing(monkeypatch, die_once, str(marker), 2 * CHUNK)
    results = hegemon.run(
        scenario,
        replicates=REPLICATES,
        seed=SEED,
        chunk_size=CHUNK,
        executor=dask_executor,
        out=tmp_path / "out",
    )
    assert marker.exists()
    assert_identical(results, reference)


def test_a_dask_worker_that_dies_every_time_stops_the_run(
    scenario, reference, dask_executor, tmp_path, monkeypatch
):
    killing(monkeypatch, die_always, 2 * CHUNK)
    out = tmp_path / "out"
    with pytest.raises(HegemonError) as info:
        hegemon.run(
            scenario,
            replicates=REPLICATES,
            seed=SEED,
            chunk_size=CHUNK,
            executor=dask_executor,
            out=out,
        )
    message = str(info.value)
    assert "failed twice" in message and "KilledWorker" in message and "--resume" in message
    assert_nothing_looks_complete(out)
    assert 2 not in done_parts(out)
    monkeypatch.undo()
    resumed = hegemon.run(
        scenario, replicates=REPLICATES, seed=SEED, chunk_size=CHUNK, out=out, resume=True
    )
    assert_identical(resumed, reference)


# ----------------------------------------------------------- safe paths: output folders


@pytest.fixture
def victim(tmp_path) -> Path:
    """A folder with something precious in it, that a symbolic link will point at."""
    folder = tmp_path / "precious"
    folder.mkdir()
    (folder / "thesis.txt").write_text("years of work")
    return folder


def assert_refused_once(result: Any, link: Path) -> None:
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0] == f"error: {link}: is a symbolic link; refusing to write through it"
    assert result.stdout == "" and "Traceback" not in result.output


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_out_pointing_at_a_symlink_is_refused(tmp_path, victim, force):
    link = tmp_path / "out"
    link.symlink_to(victim)
    before = snapshot(victim)
    result = run_cli(*CLI_RUN, "--workers", "1", "-o", link, *(["--force"] if force else []))
    assert_refused_once(result, link)
    assert link.is_symlink() and snapshot(victim) == before
    assert not partial(link).exists()


def test_out_pointing_at_a_dangling_symlink_is_refused(tmp_path):
    link = tmp_path / "out"
    target = tmp_path / "elsewhere" / "new"
    link.symlink_to(target)
    assert_refused_once(run_cli(*CLI_RUN, "--workers", "1", "-o", link), link)
    assert not target.exists() and not target.parent.exists()


@pytest.mark.parametrize("how", ["resume", "force"])
def test_a_partial_folder_that_is_a_symlink_is_refused(tmp_path, victim, how):
    out = tmp_path / "out"
    partial(out).symlink_to(victim)
    before = snapshot(victim)
    options = ["--resume", out] if how == "resume" else ["-o", out, "--force"]
    result = run_cli(*CLI_RUN, "--workers", "1", *options)
    assert_refused_once(result, partial(out))
    assert partial(out).is_symlink() and snapshot(victim) == before
    assert not out.exists()


def interrupted_run(scenario: Scenario, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave ``out.partial`` as a run killed after two chunks would."""
    real = hegemon.api.run_chunks

    def two_then_stop(*args: Any, **kwargs: Any) -> Any:
        for n, item in enumerate(real(*args, **kwargs)):
            if n == 2:
                raise KeyboardInterrupt
            yield item

    with monkeypatch.context() as m:
        m.setattr(hegemon.api, "run_chunks", two_then_stop)
        with pytest.raises(KeyboardInterrupt):
            hegemon.run(scenario, replicates=REPLICATES, seed=SEED, chunk_size=CHUNK, out=out)
    assert done_parts(out) == [0, 1]


def test_a_work_folder_that_is_a_symlink_is_refused_on_resume(
    scenario, tmp_path, victim, monkeypatch
):
    out = tmp_path / "out"
    interrupted_run(scenario, out, monkeypatch)
    work = partial(out) / "_work"
    work.rename(victim / "_work")
    work.symlink_to(victim / "_work")
    before = snapshot(victim)
    with pytest.raises(HegemonError, match="symbolic link"):
        hegemon.run(
            scenario, replicates=REPLICATES, seed=SEED, chunk_size=CHUNK, out=out, resume=True
        )
    assert snapshot(victim) == before


@pytest.mark.parametrize("name", ["manifest.json", "scenario.yaml", "events.parquet"])
def test_resume_does_not_write_through_a_symlink_inside_the_partial_folder(
    scenario, tmp_path, victim, monkeypatch, name
):
    """A symlink planted in ``out.partial`` is followed when the run finishes: manifest.json
    and scenario.yaml are written with ``Path.write_text`` (api.run) and the merged tables
    with ``pq.ParquetWriter(out)`` (store._merge_parts), all of which open the link's target.
    Writing to a temporary name and renaming (as the part files are) would replace the link
    instead; or resume could refuse a .partial folder holding links."""
    out = tmp_path / "out"
    interrupted_run(scenario, out, monkeypatch)
    (partial(out) / name).symlink_to(victim / "thesis.txt")
    before = snapshot(victim)
    with contextlib.suppress(HegemonError):  # refusing is as good as not following the link
        hegemon.run(
            scenario, replicates=REPLICATES, seed=SEED, chunk_size=CHUNK, out=out, resume=True
        )
    assert snapshot(victim) == before, f"{name}: resume wrote through the symbolic link"


def test_the_api_and_save_refuse_symlinks_too(scenario, reference, tmp_path, victim):
    link = tmp_path / "out"
    link.symlink_to(victim)
    before = snapshot(victim)
    with pytest.raises(HegemonError, match="symbolic link"):
        hegemon.run(scenario, replicates=2, seed=SEED, out=link, overwrite=True)
    with pytest.raises(HegemonError, match="symbolic link"):
        reference.save(link, overwrite=True, figures=False)
    assert snapshot(victim) == before


@pytest.mark.timeout(900)  # four clusters of two workers; each run must stop within 120 s
def test_a_dask_worker_that_dies_every_time_stops_the_run_each_of_many_times(
    scenario, tmp_path, monkeypatch
):
    """The dying-worker path again and again (it once hung for 19 minutes under load): every
    run must stop with "failed twice", promptly. Each attempt gets a cluster of its own: a
    nanny that cannot restart its worker under load leaves a cluster without workers, which
    is the case of the next test, not this one."""
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    from hegemon.cli import executor_for

    killing(monkeypatch, die_always, 2 * CHUNK)
    for attempt in range(4):
        with (
            dask.config.set({"distributed.scheduler.allowed-failures": 0}),
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=40,
            ) as cluster,
            executor_for(cluster.scheduler_address) as executor,
        ):
            started = time.monotonic()
            with pytest.raises(HegemonError, match="failed twice"):
                hegemon.run(
                    scenario,
                    replicates=REPLICATES,
                    seed=SEED,
                    chunk_size=CHUNK,
                    executor=executor,
                    out=tmp_path / f"out-{attempt}",
                )
            assert time.monotonic() - started < 120, f"attempt {attempt} took too long"


@pytest.mark.timeout(300)
def test_a_worker_that_dies_every_time_stops_the_run_each_of_many_times(
    scenario, tmp_path, monkeypatch
):
    """The same on the process pool: a broken pool is replaced, the chunk fails twice, the
    run stops, and no pool is left behind, every time."""
    killing(monkeypatch, die_always, 0)
    for attempt in range(6):
        with pytest.raises(HegemonError, match="failed twice"):
            hegemon.run(
                scenario,
                replicates=REPLICATES,
                seed=SEED,
                chunk_size=CHUNK,
                workers=2,
                out=tmp_path / f"out-{attempt}",
            )


@pytest.mark.timeout(180)
def test_a_dask_cluster_without_workers_stops_the_run_instead_of_hanging(
    scenario, tmp_path, monkeypatch
):
    """What made the dying-worker test hang: a chunk on a cluster whose workers are all gone
    (killed, and not restarted, as happens under load) waited forever in ``future.result()``
    (runner.run_chunks). Now the run stops with one line once the cluster has had no workers
    for ``NO_WORKERS_SECONDS``."""
    distributed = pytest.importorskip("distributed")
    from hegemon.ensemble import runner

    monkeypatch.setattr(runner, "WAIT_SECONDS", 0.5, raising=False)
    monkeypatch.setattr(runner, "NO_WORKERS_SECONDS", 3.0, raising=False)
    with (
        distributed.LocalCluster(n_workers=0, dashboard_address=":0", silence_logs=40) as cluster,
        distributed.Client(cluster) as client,
    ):
        started = time.monotonic()
        with pytest.raises(HegemonError, match="no workers") as info:
            hegemon.run(
                scenario,
                replicates=REPLICATES,
                seed=SEED,
                chunk_size=CHUNK,
                executor=client.get_executor(pure=False),
                out=tmp_path / "out",
            )
    assert time.monotonic() - started < 60
    assert "--resume" in str(info.value) and "\n" not in str(info.value)

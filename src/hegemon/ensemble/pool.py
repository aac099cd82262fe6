"""Worker processes: a pool whose workers stop with the process that started them, and can
be stopped at once. Kept apart from the engine so that a worker (one that draws figures, say)
imports only what its tasks need."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def default_workers() -> int:
    """Worker processes by default: the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def process_pool(workers: int, preload: Sequence[str] = ()) -> ProcessPoolExecutor:
    """A pool of fresh worker processes: forkserver where available (forking a process that
    already runs threads can deadlock), spawn elsewhere. Each worker ignores Ctrl-C (this
    process decides when to stop) and exits on its own soon after this process is gone.

    ``preload`` names modules that the forkserver imports once, before it forks the workers,
    so that each starts with them imported instead of importing them again; it applies to
    the first pool of this process (the one that starts the forkserver), and the first
    submission waits for the imports."""
    methods = multiprocessing.get_all_start_methods()
    method = "forkserver" if "forkserver" in methods else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver" and preload:
        context.set_forkserver_preload(["__main__", *preload])  # __main__: the default
    parent = os.getpid()
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(parent, _start_time(parent)),
    )


WATCH_SECONDS = 0.5  # how often a worker checks that the process that started it is alive


def _start_worker(parent: int, started: str | None) -> None:
    """The pool's initializer: ignore Ctrl-C, and start a watchdog thread that ends this
    worker when ``parent`` (the process whose pool it is) is gone, even after ``kill -9``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watchdog = threading.Thread(
        target=_watch, args=(parent, started), name="hegemon-watchdog", daemon=True
    )
    watchdog.start()


def _watch(parent: int, started: str | None) -> None:
    while _is_running(parent, started):
        time.sleep(WATCH_SECONDS)
    os._exit(1)  # the parent is gone: nobody wants this chunk any more


def _start_time(pid: int) -> str | None:
    """When ``pid`` started (Linux: /proc), to tell it from a later process with its pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return fields[19] if len(fields) > 19 and fields[0] != "Z" else None


def _is_running(pid: int, started: str | None) -> bool:
    if started is not None:
        return _start_time(pid) == started
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_now(pool: ProcessPoolExecutor) -> None:
    """End a pool's workers at once (the run is interrupted: their chunks are not wanted)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError):
            process.terminate()
    # a worker ended while it sent a large result leaves the pool's thread waiting for the
    # rest of it: with this process's end of the results pipe closed, that thread's read ends
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    with contextlib.suppress(OSError, AttributeError):
        writer.close()  # type: ignore[union-attr]
    pool.shutdown(wait=True, cancel_futures=True)

"""Figures as jobs, drawn in this process or concurrently on a pool of worker processes.

A :class:`Job` is one figure: the module-level function that returns it (or None when its
data are absent), named by its import path so that the process that plans the figures need
not import matplotlib, and the arguments to call it with, so that it can be sent to another
process.
:func:`draw_jobs` writes every job's files and returns their paths in the order of the jobs,
whether the jobs ran here or on a pool, so the folder holds the same files either way (a
figure depends only on its data: no dates in the files, fixed SVG ids). Figures are built
as ``matplotlib.figure.Figure`` objects and saved with the Agg and SVG canvases, never
through pyplot, so workers need no display.

:func:`figure_pool` starts the workers at once, forked from a server process that has
imported the figure stack, so that this start-up overlaps whatever the caller does meanwhile
(a run simulates its replicates) rather than delaying the first figure.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from hegemon.scenario.schema import Scenario

#: The standard figures of a run, in drawing order (``hegemon.plots.figures.FIGURES``).
STANDARD_FIGURES = (
    "influence",
    "influence_over",
    "trust",
    "peacekeepers",
    "cost",
    "survival",
    "decline_curve",
    "territory",
    "regimes",
)
#: File stems of the figures of a comparison beyond the standard set, and of a run's events.
END_STATES = "end_states"
PAIRED_DIFFERENCES = "paired_differences"
EVENT_HISTORY = "event_history"
#: The columns of the events table that the event history reads (the rest is not loaded).
EVENT_HISTORY_COLUMNS = ("replicate", "step", "date", "event")


FIGURES = "hegemon.plots.figures:standard_figure"
#: The formats figures are written in unless others are asked for (SVG on request: saving
#: each figure as vector graphics too costs about three quarters of its PNG's time again).
FORMATS: tuple[str, ...] = ("png",)
#: Rough relative drawing times of the slower figures (the rest count 1), so that a pool
#: starts them first and no worker is left with a long figure at the end.
COSTS = {
    EVENT_HISTORY: 3.0,
    "cost": 2.0,
    "influence": 2.0,
    "influence_over": 2.0,
    "trust": 2.0,
    END_STATES: 2.0,
    PAIRED_DIFFERENCES: 1.5,
}


@dataclass(frozen=True)
class Job:
    """One figure, saved as ``name.<format>``: ``draw`` is ``"module:function"``, and
    ``function(**arguments)`` returns the figure (None: its data are absent)."""

    name: str
    draw: str
    arguments: dict[str, Any] = field(default_factory=dict)


def draw_job(job: Job, out: Path, formats: Sequence[str]) -> list[Path]:
    """Draw one job's figure and write it as ``out/<name>.<format>`` for every format."""
    from hegemon.plots.figures import _write

    module, function = job.draw.split(":")
    fig = getattr(importlib.import_module(module), function)(**job.arguments)
    return [] if fig is None else _write(fig, out, job.name, formats)


def standard_jobs(
    summary: pd.DataFrame | None,
    outcomes: pd.DataFrame | None,
    *,
    focal_power: str,
    observed: pd.DataFrame | None = None,
) -> list[Job]:
    """A job for each standard figure (``hegemon.plots.figures.standard_figure``; one whose
    data are absent draws nothing)."""
    data = {"summary": summary, "outcomes": outcomes, "focal_power": focal_power}
    return [
        Job(name, FIGURES, {"name": name, **data, "observed": observed})
        for name in STANDARD_FIGURES
    ]


def comparison_jobs(
    summary: pd.DataFrame | None,
    outcomes: pd.DataFrame | None,
    paired: pd.DataFrame | None,
    *,
    focal_power: str,
    scenario: Scenario | None = None,
    end_columns: Sequence[str] | None = None,
    observed: pd.DataFrame | None = None,
) -> list[Job]:
    """The jobs of ``hegemon.plots.comparison.comparison_figures``: the standard set on the
    frames of every scenario, then ``end_states`` and ``paired_differences``."""
    end_states = {"outcomes": outcomes, "paired": paired, "focal_power": focal_power}
    end_states |= {"scenario": scenario, "end_columns": end_columns}
    return [
        *standard_jobs(summary, outcomes, focal_power=focal_power, observed=observed),
        Job(END_STATES, "hegemon.plots.comparison:end_states_of", end_states),
        Job(
            PAIRED_DIFFERENCES,
            "hegemon.plots.comparison:paired_differences_of",
            {"paired": paired, "scenario": scenario},
        ),
    ]


def draw_jobs(
    jobs: Sequence[Job], out: Path, formats: Sequence[str], pool: Executor | None = None
) -> list[Path]:
    """Write the figures of ``jobs`` into ``out``, on ``pool`` when given (all at once, the
    slowest first, as many at a time as it has workers), else one after the other; the
    paths in job order."""
    out.mkdir(parents=True, exist_ok=True)
    if pool is None:
        return [path for job in jobs for path in draw_job(job, out, formats)]
    slowest_first = sorted(range(len(jobs)), key=lambda i: -COSTS.get(jobs[i].name, 1.0))
    futures = {i: pool.submit(draw_job, jobs[i], out, tuple(formats)) for i in slowest_first}
    try:
        return [path for i in range(len(jobs)) for path in futures[i].result()]
    except BaseException:
        for future in futures.values():
            future.cancel()
        raise


def draws_concurrently(replicates: int, chunk_size: int, workers: int) -> bool:
    """Whether a run draws its figures on a pool of workers, started with the run so that
    their start-up overlaps the simulation: a run of one chunk on more than one worker (a
    longer run draws after its chunks, in its own process: workers would add their memory
    to the run's peak and save little of its time)."""
    return workers > 1 and replicates <= chunk_size


#: Pools started ahead of their use by :func:`figure_pool_ahead`, by (workers, also).
_STARTED: dict[tuple[int, tuple[str, ...]], tuple[Executor, threading.Thread]] = {}


@contextlib.contextmanager
def figure_pool_ahead(workers: int, also: Sequence[str] = ()) -> Iterator[None]:
    """Start now the workers of the next ``figure_pool(workers, also)`` in the block, for a
    command that knows early that it will draw (the CLI, before it imports the engine):
    their imports then overlap the command's own start-up. Workers that nothing
    took (the command failed first) are stopped when the block ends."""
    key = (workers, tuple(also))
    _STARTED[key] = _start(workers, key[1])
    try:
        yield
    finally:
        unused = _STARTED.pop(key, None)
        if unused is not None:
            from hegemon.ensemble.pool import stop_now

            pool, starting = unused
            starting.join()
            stop_now(pool)


def _start(workers: int, also: tuple[str, ...]) -> tuple[Executor, threading.Thread]:
    from hegemon.ensemble.pool import process_pool

    pool = process_pool(workers, preload=("hegemon.plots.figures", "hegemon.plots.events", *also))
    starting = threading.Thread(target=_start_workers, args=(pool, workers), daemon=True)
    starting.start()
    return pool, starting


@contextlib.contextmanager
def figure_pool(workers: int, also: Sequence[str] = ()) -> Iterator[Executor]:
    """A process pool of ``workers`` that draw figures, started as soon as it is made
    (or taken from :func:`figure_pool_ahead`); its workers are stopped at once if the block
    fails or is interrupted.

    The forkserver imports the figure stack (and the modules ``also`` names, for other
    work the pool is to do) once and forks the workers from it; that start-up happens on a
    thread, so that the caller goes on meanwhile."""
    from hegemon.ensemble.pool import stop_now

    key = (workers, tuple(also))
    pool, starting = _STARTED.pop(key, None) or _start(workers, key[1])
    try:
        yield pool
    except BaseException:
        starting.join()
        stop_now(pool)
        raise
    starting.join()
    pool.shutdown(wait=True)


def _start_workers(pool: Executor, workers: int) -> None:
    """Start the workers of ``pool`` now (a pool starts a worker only when work arrives; a
    pool shut down meanwhile: none). They fork from the forkserver with the figure stack
    imported; a warm-up figure in each would cost as much as a figure, since what a first
    figure adds to the next ones is loaded with the stack."""
    with contextlib.suppress(RuntimeError):
        for _ in range(workers):
            pool.submit(_started)


def _started() -> None:
    """Nothing: the work that starts a worker."""

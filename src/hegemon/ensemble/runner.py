"""Run a scenario as an ensemble: replicates split into chunks, chunks run on an executor.

A chunk is one vectorized model over a contiguous block of replicate indices. Because every
random number is a function of (seed, replicate, step, stream), a replicate's trajectory is
the same whatever the chunk size, the worker count or the executor.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import numpy as np

from hegemon.ensemble.pool import default_workers, process_pool, stop_now
from hegemon.errors import HegemonError
from hegemon.model.metrics import SeriesKey
from hegemon.model.model import HegemonModel
from hegemon.model.outcomes import scalar_outcomes
from hegemon.scenario.schema import Scenario


@dataclass
class Ensemble:
    """Raw results of a block of replicates: arrays, not yet tables."""

    scenario: Scenario
    seed: int
    replicates: np.ndarray
    series: dict[SeriesKey, np.ndarray] = field(default_factory=dict)  # (steps + 1, R)
    events: dict[str, np.ndarray] = field(default_factory=dict)
    outcomes: dict[str, np.ndarray] = field(default_factory=dict)


def simulate_chunk(scenario: Scenario, seed: int, start: int, stop: int) -> Ensemble:
    """Replicates ``start..stop-1`` of the scenario, in one vectorized model."""
    return simulate_block(scenario, seed, np.arange(start, stop))


def simulate_block(
    scenario: Scenario,
    seed: int,
    ids: np.ndarray,
    parameters: dict[str, np.ndarray] | None = None,
    record: Literal["all", "outcomes"] = "all",
) -> Ensemble:
    """The replicates ``ids`` of the scenario in one vectorized model (``parameters``: values
    per replicate by key path, for samples): the one place where the engine is run. With
    ``record="outcomes"`` the model records only what its outcomes read, and the ensemble
    holds no series."""
    model = HegemonModel(scenario, replicates=ids, seed=seed, parameters=parameters, record=record)
    model.run()
    ensemble = Ensemble(
        scenario=scenario,
        seed=seed,
        replicates=ids,
        series=model.recorder.series if record == "all" else {},
        events=model.event_rows(),
        outcomes=scalar_outcomes(model),
    )
    # Agents and model refer to each other, so the model is freed only when the garbage
    # collector next looks for cycles: it must not hold the big arrays until then.
    model.recorder.series = {}
    model.clear_events()
    return ensemble


class Chunks(Sequence[tuple[int, int]]):
    """The (start, stop) replicate ranges of the chunks, in order, each computed when it is
    asked for: a run of many chunks never holds them all.

    With ``head=(n, size)`` and more replicates than one chunk holds, the first ``n``
    replicates come in chunks of at most ``size`` and the rest in chunks of ``chunk_size``."""

    def __init__(self, replicates: int, chunk_size: int, head: tuple[int, int] | None = None):
        if chunk_size < 1:
            raise ValueError(f"chunk size must be at least 1, got {chunk_size}")
        self.replicates, self.chunk_size = max(replicates, 0), chunk_size
        if head is not None and 1 <= head[1] < chunk_size < self.replicates:
            self.head, self.head_size = min(head[0], self.replicates), head[1]
        else:
            self.head, self.head_size = 0, chunk_size
        self._in_head = -(-self.head // self.head_size)

    def __len__(self) -> int:
        return self._in_head - (-(self.replicates - self.head) // self.chunk_size)

    @overload
    def __getitem__(self, index: int) -> tuple[int, int]: ...
    @overload
    def __getitem__(self, index: slice) -> list[tuple[int, int]]: ...
    def __getitem__(self, index: int | slice) -> tuple[int, int] | list[tuple[int, int]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"chunk {index} of {n}")
        if index < self._in_head:
            lo = index * self.head_size
            return lo, min(lo + self.head_size, self.head)
        lo = self.head + (index - self._in_head) * self.chunk_size
        return lo, min(lo + self.chunk_size, self.replicates)

    def __repr__(self) -> str:
        head = f", head={(self.head, self.head_size)}" if self.head else ""
        return f"Chunks({self.replicates}, {self.chunk_size}{head})"


def chunks(replicates: int, chunk_size: int, head: tuple[int, int] | None = None) -> Chunks:
    """The (start, stop) replicate ranges of every chunk, in order (computed lazily; see
    :class:`Chunks` for ``head``)."""
    return Chunks(replicates, chunk_size, head)


WAIT_SECONDS = 5.0  # how often a run on a cluster checks that the cluster has workers
NO_WORKERS_SECONDS = 600.0  # a cluster without workers this long fails the run


def _wait(future: Future[Any], executor: Executor) -> Any:
    """The result of a chunk run on ``executor``; never waits forever on a Dask cluster that
    has no workers (all died and none came back): after ``NO_WORKERS_SECONDS`` without
    workers the run stops with one line, keeping its finished chunks."""
    without = 0.0
    while True:
        try:
            return future.result(timeout=WAIT_SECONDS)
        except TimeoutError:
            workers = _cluster_workers(executor)
            without = without + WAIT_SECONDS if workers == 0 else 0.0
            if without >= NO_WORKERS_SECONDS:
                raise HegemonError(
                    f"the Dask cluster has had no workers for {NO_WORKERS_SECONDS:g} s; the "
                    "finished chunks are kept: run again with --resume to continue"
                ) from None


def _cluster_workers(executor: Executor) -> int | None:
    """How many workers the cluster behind a Dask client's executor has (None: unknown)."""
    client = getattr(executor, "_client", None)
    if client is None or not hasattr(client, "nthreads"):
        return None
    try:
        return len(client.nthreads())
    except Exception:  # a client that cannot ask: behave like any other executor
        return None


def run_chunks[T](
    task: Callable[..., T],
    blocks: Sequence[tuple[int, int]],
    *,
    skip: Iterable[int] = (),
    workers: int = 1,
    executor: Executor | None = None,
) -> Iterator[tuple[int, T]]:
    """Yield ``(chunk index, task(start, stop))`` in chunk order, skipping ``skip``.

    ``task`` must be picklable (a module-level function or a ``functools.partial`` of one)
    when it runs on other processes.

    ``workers=1`` (or a single chunk) and no executor: in this process. Otherwise chunks run
    on ``executor``
    (any ``concurrent.futures.Executor``) or on a process pool of ``workers``, with at most
    two chunks per worker in flight, so memory stays bounded. A chunk whose worker dies is
    retried once (on a fresh pool when the pool broke); a second failure stops the run.
    """
    skipped = set(skip)
    todo = (i for i in range(len(blocks)) if i not in skipped)  # lazily: there may be many
    if executor is None and (workers <= 1 or len(blocks) - len(skipped) <= 1):
        for i in todo:  # in this process: a pool would only add start-up
            yield i, task(*blocks[i])
        return
    pool = executor or process_pool(workers)
    window = 2 * max(workers, 1) if executor is None else 2 * max(default_workers(), 1)
    retried: set[int] = set()
    pending: deque[tuple[int, Future[Any]]] = deque()
    queue: deque[int] = deque()  # chunks to run again, before the rest of ``todo``

    def submit(i: int) -> None:
        try:
            future = pool.submit(task, *blocks[i])
        except BrokenProcessPool as err:  # a worker died while this process was busy
            future = Future()
            future.set_exception(err)
        pending.append((i, future))

    try:
        while True:
            while len(pending) < window:
                nxt = queue.popleft() if queue else next(todo, None)
                if nxt is None:
                    break
                submit(nxt)
            if not pending:
                break
            i, future = pending.popleft()
            try:
                result = future.result() if executor is None else _wait(future, executor)
            except (BrokenProcessPool, OSError, EOFError) as err:
                result = None
                failure: BaseException = err
            except Exception as err:  # a worker lost by a distributed executor
                if type(err).__name__ not in ("KilledWorker", "CommClosedError"):
                    raise
                result, failure = None, err
            if result is None:
                if i in retried:
                    raise HegemonError(
                        f"chunk {i} (replicates {blocks[i][0]}-{blocks[i][1] - 1}) failed twice "
                        f"({type(failure).__name__}); the finished chunks are kept: run again "
                        "with --resume to continue"
                    ) from None
                retried.add(i)
                if executor is None and isinstance(failure, BrokenProcessPool):
                    pool.shutdown(cancel_futures=True)
                    pool = process_pool(workers)
                    queue.extendleft(reversed([j for j, _ in pending]))
                    pending.clear()
                queue.appendleft(i)
                continue
            yield i, result
    except BaseException:  # interrupted (Ctrl-C, SIGTERM), failed, or closed early
        if executor is None:
            stop_now(pool)
        else:
            for _, future in pending:
                future.cancel()
        raise
    if executor is None:
        pool.shutdown(wait=True, cancel_futures=True)

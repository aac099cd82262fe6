"""Run a scenario as an ensemble: replicates split into chunks, chunks run on an executor.

A chunk is one vectorized model over a contiguous block of replicate indices. Because every
random number is a function of (seed, replicate, step, stream), a replicate's trajectory is
the same whatever the chunk size, the worker count or the executor.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from hegemon.model.metrics import SeriesKey
from hegemon.model.model import HegemonModel
from hegemon.model.outcomes import scalar_outcomes
from hegemon.scenario.schema import Scenario

DEFAULT_CHUNK_SIZE = 1000


@dataclass
class Ensemble:
    """Raw results of an ensemble: arrays, not yet tables."""

    scenario: Scenario
    seed: int
    replicates: np.ndarray
    series: dict[SeriesKey, np.ndarray] = field(default_factory=dict)  # (steps + 1, R)
    events: dict[str, np.ndarray] = field(default_factory=dict)
    outcomes: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def concat(cls, parts: list[Ensemble]) -> Ensemble:
        first = parts[0]
        return cls(
            scenario=first.scenario,
            seed=first.seed,
            replicates=np.concatenate([p.replicates for p in parts]),
            series={k: np.concatenate([p.series[k] for p in parts], axis=1) for k in first.series},
            events={k: np.concatenate([p.events[k] for p in parts]) for k in first.events},
            outcomes={
                k: np.concatenate([p.outcomes[k] for p in parts]) for k in first.outcomes
            },
        )


def simulate_chunk(scenario: Scenario, seed: int, start: int, stop: int) -> Ensemble:
    """Replicates ``start..stop-1`` of the scenario, in one vectorized model."""
    ids = np.arange(start, stop)
    model = HegemonModel(scenario, replicates=ids, seed=seed)
    model.run()
    return Ensemble(
        scenario=scenario,
        seed=seed,
        replicates=ids,
        series=model.recorder.series,
        events=model.event_rows(),
        outcomes=scalar_outcomes(model),
    )


def chunks(replicates: int, chunk_size: int) -> list[tuple[int, int]]:
    return [(lo, min(lo + chunk_size, replicates)) for lo in range(0, replicates, chunk_size)]


def simulate(
    scenario: Scenario,
    replicates: int = 1000,
    seed: int = 0,
    *,
    workers: int = 1,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> Ensemble:
    """Run ``replicates`` replicates of ``scenario``; ``progress(n)`` is called as chunks end.

    ``workers=1`` runs in this process; more workers use a process pool, unless an
    ``executor`` is given (any ``concurrent.futures.Executor``, e.g. a Dask client's).
    """
    if replicates < 1:
        raise ValueError(f"replicates must be at least 1, got {replicates}")
    blocks = chunks(replicates, chunk_size)
    parts: list[Ensemble] = []
    if executor is None and workers <= 1:
        for lo, hi in blocks:
            parts.append(simulate_chunk(scenario, seed, lo, hi))
            if progress:
                progress(hi - lo)
        return Ensemble.concat(parts)
    own = executor is None
    pool = executor or ProcessPoolExecutor(max_workers=workers)
    try:
        futures = [pool.submit(simulate_chunk, scenario, seed, lo, hi) for lo, hi in blocks]
        for (lo, hi), future in zip(blocks, futures, strict=True):
            parts.append(future.result())
            if progress:
                progress(hi - lo)
    finally:
        if own:
            pool.shutdown(cancel_futures=True)
    return Ensemble.concat(parts)

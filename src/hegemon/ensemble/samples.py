"""Evaluate parameter samples (sweeps, sensitivity analysis) through the vectorized engine.

A block of samples is one model whose parameters vary per replicate: run g is replicate
``g % R`` of sample ``g // R``. Replicate r uses the same random streams in every sample
(common random numbers), so differences between samples come from the parameters, not from
the luck of the draw.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import Executor

import numpy as np
import pandas as pd

from hegemon.ensemble.limits import DEFAULT_CHUNK_SIZE, replicates_problem
from hegemon.ensemble.runner import chunks, run_chunks, simulate_block
from hegemon.errors import BadInput
from hegemon.scenario.schema import Scenario

OutcomeHook = Callable[[pd.DataFrame], pd.DataFrame]


def simulate_runs(
    scenario: Scenario,
    seed: int,
    samples: dict[str, np.ndarray],
    replicates: int,
    hook: OutcomeHook,
    start: int,
    stop: int,
) -> pd.DataFrame:
    """Runs ``start..stop-1`` of the sample-major layout, one row of outcomes per run."""
    runs = np.arange(start, stop)
    sample, replicate = np.divmod(runs, replicates)
    fixed = {path: np.asarray(values, dtype=np.float64)[sample] for path, values in samples.items()}
    block = simulate_block(scenario, seed, replicate, parameters=fixed)
    outcomes = pd.DataFrame({"sample": sample, "replicate": replicate})
    return hook(pd.concat([outcomes, pd.DataFrame(block.outcomes)], axis=1))


def evaluate_samples(
    scenario: Scenario,
    samples: dict[str, np.ndarray],
    replicates: int,
    seed: int = 0,
    *,
    hook: OutcomeHook,
    workers: int = 1,
    executor: Executor | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Outcomes of every run (``sample``, ``replicate`` and the outcome columns) for
    ``replicates`` replicates of each sample; ``samples`` maps key paths to one value per
    sample."""
    sizes = {len(v) for v in samples.values()}
    if len(sizes) != 1:
        raise ValueError(f"every parameter needs one value per sample, got lengths {sizes}")
    n = sizes.pop() * replicates
    problem = replicates_problem(n, "runs (samples × replicates)")
    if problem:
        raise BadInput(problem)
    task = functools.partial(simulate_runs, scenario, seed, samples, replicates, hook)
    blocks = chunks(n, chunk_size)
    parts = []
    for i, part in run_chunks(task, blocks, workers=workers, executor=executor):
        parts.append(part)
        if progress:
            progress(blocks[i][1] - blocks[i][0])
    return pd.concat(parts, ignore_index=True)


ObservedKey = tuple[str, str | None, str | None, int]  # (metric, actor, target, step)


def observe_block(
    scenario: Scenario,
    seed: int,
    ids: np.ndarray,
    parameters: dict[str, np.ndarray],
    keys: list[ObservedKey],
    start: int,
    stop: int,
) -> np.ndarray:
    """Runs ``start..stop-1`` of a block (replicate ``ids[g]`` with ``parameters[path][g]``)
    in one model; the value of each series of ``keys`` at its step, shape
    ``(len(keys), stop - start)``; NaN for a series the model does not record."""
    fixed = {path: np.asarray(v, dtype=np.float64)[start:stop] for path, v in parameters.items()}
    series = simulate_block(scenario, seed, np.asarray(ids)[start:stop], fixed).series
    out = np.full((len(keys), stop - start), np.nan)
    for i, (metric, actor, target, step) in enumerate(keys):
        found = series.get((metric, actor, target))
        if found is not None:
            out[i] = found[step]
    return out


def observe_runs(
    scenario: Scenario,
    seed: int,
    ids: np.ndarray,
    parameters: dict[str, np.ndarray],
    keys: list[ObservedKey],
    *,
    workers: int = 1,
    executor: Executor | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> np.ndarray:
    """The observed series of ``keys`` for a block of runs through the vectorized engine:
    run ``g`` is replicate ``ids[g]`` with the parameters ``parameters[path][g]``. The block
    is split into at most ``chunk_size`` runs per model (one model per worker and chunk);
    the result does not depend on the split. Shape ``(len(keys), len(ids))``."""
    n = len(ids)
    task = functools.partial(observe_block, scenario, seed, np.asarray(ids), parameters, keys)
    parts = [
        part
        for _, part in run_chunks(task, chunks(n, chunk_size), workers=workers, executor=executor)
    ]
    return np.concatenate(parts, axis=1) if parts else np.empty((len(keys), 0))

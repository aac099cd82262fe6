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

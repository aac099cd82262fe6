"""Evaluate parameter samples (sweeps, sensitivity analysis) through the vectorized engine.

A block of samples is one model whose parameters vary per replicate: run g is replicate
``g % R`` of sample ``g // R``. Replicate r uses the same random streams in every sample
(common random numbers), so differences between samples come from the parameters, not from
the luck of the draw.

With a :class:`SampleStore`, every finished block is kept on disk as it finishes, so an
interrupted sweep or sensitivity analysis resumes with the blocks it has not finished, and
gives the same table as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import shutil
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hegemon.ensemble.limits import DEFAULT_CHUNK_SIZE, SAMPLE_RUNS_CHUNK_SIZE, replicates_problem
from hegemon.ensemble.runner import chunks, run_chunks, simulate_block
from hegemon.ensemble.store import WORK, start_work, write_parquet
from hegemon.errors import BadInput
from hegemon.scenario.schema import Scenario

OutcomeHook = Callable[[pd.DataFrame], pd.DataFrame]

WHAT = {"sweep": "sweep", "sensitivity": "sensitivity analysis"}  # in messages, by kind


def samples_digest(samples: dict[str, np.ndarray]) -> str:
    """The sha256 of a set of samples (key paths and their float64 values, in order)."""
    digest = hashlib.sha256()
    for path, values in samples.items():
        digest.update(path.encode() + b"\0")
        digest.update(np.ascontiguousarray(values, dtype=np.float64).tobytes())
    return digest.hexdigest()


class SampleStore:
    """The finished blocks of an evaluation of samples, kept in ``folder/_work`` so that an
    interrupted sweep or sensitivity analysis can resume: ``progress.json`` holds what is
    evaluated (``identity``: its ``kind``, scenario, samples, seed, replicates, chunking...),
    and each finished block is one Parquet file, written to a temporary name and renamed, so
    a killed process leaves only whole blocks. ``blocks``: how many there are in all."""

    def __init__(self, folder: Path, identity: dict[str, Any], blocks: int):
        self.folder, self.work = folder, folder / WORK
        self.identity, self.blocks = identity, blocks

    @classmethod
    def open(
        cls,
        folder: Path,
        identity: dict[str, Any],
        blocks: int,
        *,
        target: Path,
        resume: bool,
        overwrite: bool,
    ) -> SampleStore:
        """Start ``folder`` afresh, or with ``resume`` continue the interrupted evaluation in
        it. Refused, in one line and with nothing removed: resuming where there is nothing
        to resume, or work whose identity differs (naming what differs); an interrupted
        evaluation in the way of a fresh one unless ``overwrite`` (then it is removed)."""
        store = cls(folder, identity, blocks)
        what = WHAT.get(str(identity.get("kind")), "evaluation")
        start_work(folder, identity, what, target=target, resume=resume, overwrite=overwrite)
        return store

    def done(self) -> set[int]:
        """The indices of the blocks kept on disk."""
        return {int(p.stem.split("-")[1]) for p in self.work.glob("block-*.parquet")}

    def add(self, index: int, outcomes: pd.DataFrame) -> None:
        """Keep one finished block (atomically)."""
        write_parquet(self._file(index), outcomes)

    def load(self, index: int) -> pd.DataFrame:
        return pd.read_parquet(self._file(index))

    def close(self) -> None:
        """Remove the kept blocks once the results folder is complete."""
        shutil.rmtree(self.work)

    def _file(self, index: int) -> Path:
        return self.work / f"block-{index:05d}.parquet"


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
    block = simulate_block(scenario, seed, replicate, parameters=fixed, record="outcomes")
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
    chunk_size: int = SAMPLE_RUNS_CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
    store: SampleStore | None = None,
) -> pd.DataFrame:
    """Outcomes of every run (``sample``, ``replicate`` and the outcome columns) for
    ``replicates`` replicates of each sample; ``samples`` maps key paths to one value per
    sample. With a ``store``, each block is kept in it as it finishes, the blocks it already
    holds are not run again, and the table is read back from it (the same either way)."""
    sizes = {len(v) for v in samples.values()}
    if len(sizes) != 1:
        raise ValueError(f"every parameter needs one value per sample, got lengths {sizes}")
    n = sizes.pop() * replicates
    problem = replicates_problem(n, "runs (samples × replicates)")
    if problem:
        raise BadInput(problem)
    task = functools.partial(simulate_runs, scenario, seed, samples, replicates, hook)
    blocks = chunks(n, chunk_size)
    done: set[int] = set()
    if store is not None:
        if store.blocks != len(blocks):
            raise ValueError(f"the store expects {store.blocks} blocks, not {len(blocks)}")
        done = store.done()
        if progress and done:
            progress(sum(blocks[i][1] - blocks[i][0] for i in done))
    parts = {}
    found = run_chunks(task, blocks, skip=done, workers=workers, executor=executor)
    with contextlib.closing(found):  # an interrupted evaluation stops its workers at once
        for i, part in found:
            if store is None:
                parts[i] = part
            else:
                store.add(i, part)
            if progress:
                progress(blocks[i][1] - blocks[i][0])
    if store is not None:
        parts = {i: store.load(i) for i in range(len(blocks))}
    return pd.concat([parts[i] for i in range(len(blocks))], ignore_index=True)


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

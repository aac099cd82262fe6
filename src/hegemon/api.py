"""The public Python API that the CLI and the notebooks share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Literal

from hegemon.ensemble.runner import DEFAULT_CHUNK_SIZE, simulate
from hegemon.results import Results, make_manifest
from hegemon.scenario.loader import load_scenario, with_overrides
from hegemon.scenario.schema import Scenario

Store = Literal["full", "summary"]


def run(
    scenario: Scenario | str | Path,
    replicates: int = 1000,
    seed: int = 0,
    *,
    store: Store = "full",
    workers: int = 1,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    executor: Executor | None = None,
    overrides: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
    command: str | None = None,
) -> Results:
    """Run ``replicates`` replicates of a scenario (an object, a file or a bundled name).

    ``store="summary"`` keeps the summary, events and outcomes but not every trajectory.

    >>> results = run("baseline", replicates=20, seed=1)
    >>> sorted(results.outcomes["regime"].cat.categories)[:2]
    ['collapse', 'consolidation']
    """
    if isinstance(scenario, Scenario):
        scenario = with_overrides(scenario, overrides)
    else:
        scenario = load_scenario(scenario, overrides)
    if store not in ("full", "summary"):
        raise ValueError(f"store must be 'full' or 'summary', got {store!r}")
    manifest = make_manifest(
        scenario, seed=seed, replicates=replicates, store=store, command=command
    )
    ensemble = simulate(
        scenario,
        replicates,
        seed,
        workers=workers,
        chunk_size=chunk_size,
        executor=executor,
        progress=progress,
    )
    return Results.from_ensemble(ensemble, store=store, manifest=manifest)

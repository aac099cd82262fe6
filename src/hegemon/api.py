"""The public Python API that the CLI and the notebooks share."""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Literal

import pandas as pd

from hegemon.analysis.regimes import classify
from hegemon.ensemble.limits import DEFAULT_CHUNK_SIZE, FULL_STORE_LIMIT
from hegemon.ensemble.runner import chunks, run_chunks
from hegemon.ensemble.store import WORK, EnsembleStore, simulate_and_reduce
from hegemon.errors import HegemonError
from hegemon.results import (
    Results,
    check_target,
    make_manifest,
    move_into_place,
    now,
    scenario_yaml,
)
from hegemon.scenario.loader import load_scenario, with_overrides
from hegemon.scenario.schema import Scenario

Store = Literal["full", "summary"]


def with_regime(outcomes: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Outcomes with the regime of every replicate (run on the workers, chunk by chunk)."""
    return outcomes.assign(regime=classify(outcomes, scenario))


def draw_figures(folder: Path, scenario: Scenario) -> None:
    """The standard figures of a results folder, from its tables."""
    from hegemon.plots import draw_all

    summary = pd.read_parquet(folder / "summary.parquet")
    outcomes = pd.read_parquet(folder / "outcomes.parquet")
    draw_all(summary, outcomes, folder / "figures", focal_power=scenario.focus.power)


def partial_folder(out: Path) -> Path:
    """Where an unfinished run for ``out`` keeps its work (kept for ``resume``)."""
    return out.with_name(out.name + ".partial")


def run(
    scenario: Scenario | str | Path,
    replicates: int = 1000,
    seed: int = 0,
    *,
    store: Store | None = None,
    workers: int = 1,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    executor: Executor | None = None,
    out: Path | str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    figures: bool = False,
    overrides: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
    command: str | None = None,
) -> Results:
    """Run ``replicates`` replicates of a scenario (an object, a file or a bundled name).

    Results stream to a folder chunk by chunk (``chunk_size`` replicates each), so memory
    stays bounded: to ``out`` when given (via ``<out>.partial`` until complete, which
    ``resume=True`` continues after an interruption), else to a temporary folder that lives
    as long as the returned :class:`Results`. ``store="summary"`` skips the per-replicate
    trajectories (the default above 10,000 replicates). ``workers`` > 1 runs chunks on a
    process pool; ``executor`` takes any ``concurrent.futures.Executor`` (e.g. a Dask
    client's ``get_executor()``). Results are identical whatever the chunking or executor.

    >>> results = run("baseline", replicates=20, seed=1)
    >>> results.outcomes["regime"].cat.categories[0]
    'managed_decline'
    """
    if isinstance(scenario, Scenario):
        scenario = with_overrides(scenario, overrides)
    else:
        scenario = load_scenario(scenario, overrides)
    if replicates < 1:
        raise HegemonError(f"replicates must be at least 1, got {replicates}")
    store = store or ("full" if replicates <= FULL_STORE_LIMIT else "summary")
    if store not in ("full", "summary"):
        raise HegemonError(f"store must be 'full' or 'summary', got {store!r}")

    target = Path(out) if out is not None else None
    if target is not None:
        work = partial_folder(target)
        check_target(target, overwrite=overwrite)
        check_target(work, overwrite=True)
        if work.exists() and not resume:
            if not overwrite:
                raise HegemonError(
                    f"{work}: an interrupted run is here; continue it with --resume "
                    f"{target}, or pass --force to start afresh"
                )
            shutil.rmtree(work)
    else:
        if resume:
            raise HegemonError("resume needs the folder of the interrupted run (out=...)")
        work = Path(tempfile.mkdtemp(prefix="hegemon-")) / "results"

    resolved = scenario_yaml(scenario)
    manifest = make_manifest(
        scenario,
        seed=seed,
        replicates=replicates,
        store=store,
        command=command,
        resolved=resolved,
    )
    blocks = chunks(replicates, chunk_size)
    identity = {
        "scenario_sha256": manifest["scenario_sha256"],
        "seed": seed,
        "replicates": replicates,
        "chunk_size": chunk_size,
        "store": store,
    }
    try:
        ensemble = EnsembleStore(work, identity, scenario, resume=resume)
        done = ensemble.done()
        if progress and done:
            progress(sum(blocks[i][1] - blocks[i][0] for i in done))
        hook = functools.partial(with_regime, scenario=scenario)
        task = functools.partial(simulate_and_reduce, scenario, seed, store=store, hook=hook)
        for i, products in run_chunks(task, blocks, skip=done, workers=workers, executor=executor):
            ensemble.add(i, products)
            if progress:
                progress(blocks[i][1] - blocks[i][0])
        ensemble.finish(len(blocks))
        ensemble.write_text("scenario.yaml", resolved)
        if figures:
            draw_figures(work, scenario)
        # the manifest last: a folder with a manifest is complete
        ensemble.write_text(
            "manifest.json",
            json.dumps(dict(manifest, chunk_size=chunk_size, end_time=now()), indent=2) + "\n",
        )
        ensemble.close()
    except OSError as err:
        resumable = target is not None and (work / WORK / "progress.json").is_file()
        if target is not None and not resumable:
            shutil.rmtree(work, ignore_errors=True)  # nothing finished: nothing to keep
        kept = (
            f"; the finished chunks are kept: run again with --resume {target}" if resumable else ""
        )
        raise HegemonError(f"{work}: cannot write results: {err.strerror or err}{kept}") from None
    if target is None:  # a temporary folder, removed with the Results object
        results = Results(work)
        weakref.finalize(results, shutil.rmtree, work.parent, True)
        return results
    move_into_place(work, target, overwrite=overwrite)
    return Results(target)

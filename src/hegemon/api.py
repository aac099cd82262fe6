"""The public Python API that the CLI and the notebooks share."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import shutil
import signal
import tempfile
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from hegemon.analysis.regimes import classify
from hegemon.ensemble.limits import DEFAULT_CHUNK_SIZE, FULL_STORE_LIMIT, replicates_problem
from hegemon.ensemble.runner import chunks, run_chunks
from hegemon.ensemble.store import WORK, EnsembleStore, simulate_and_reduce
from hegemon.errors import BadInput, HegemonError, Interrupted
from hegemon.results import (
    Comparison,
    Results,
    SampleResults,
    check_folder_name,
    check_target,
    folder_names,
    make_manifest,
    move_into_place,
    now,
    open_folder,
    results_kind,
    scenario_yaml,
)
from hegemon.scenario.loader import load_scenario, with_overrides
from hegemon.scenario.schema import Scenario

Source = Scenario | str | Path

Store = Literal["full", "summary"]


def with_regime(outcomes: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Outcomes with the regime of every replicate (run on the workers, chunk by chunk)."""
    return outcomes.assign(regime=classify(outcomes, scenario))


def draw(
    results: Results | Comparison | SampleResults | Path | str,
    out: Path | str | None = None,
    formats: tuple[str, ...] = ("png", "svg"),
) -> list[Path]:
    """Draw the figures of any results folder (a run, a comparison, a sweep or a sensitivity
    analysis) from its tables alone, into ``out`` (default: the folder's ``figures/``).

    >>> draw(run("baseline", replicates=10, seed=1, out=tmp / "r"))  # doctest: +SKIP
    """
    found = results if not isinstance(results, Path | str) else open_folder(results)
    if out is None and found.path is None:
        raise HegemonError("draw needs a folder to draw into (out=...)")
    target = Path(out) if out is not None else Path(found.path) / "figures"  # type: ignore[arg-type]
    if isinstance(found, Results):
        return _run_figures(found, target, formats)
    if isinstance(found, Comparison):
        return _comparison_figures(found, target, formats)
    return _sample_figures(found, target, formats)


def _run_figures(results: Results, out: Path, formats: tuple[str, ...]) -> list[Path]:
    from hegemon.plots import draw_all

    return draw_all(
        results.summary,
        results.outcomes,
        out,
        formats=formats,
        focal_power=results.scenario.focus.power,
    )


def _comparison_figures(comparison: Comparison, out: Path, formats: tuple[str, ...]) -> list[Path]:
    """The comparison figures on shared axes, and the self-contained ``report.html`` beside
    the figures' folder."""
    from hegemon.analysis.compare import default_outcomes
    from hegemon.plots.comparison import comparison_figures
    from hegemon.plots.report import write_report

    summary = comparison.summary
    if comparison.metrics:
        summary = summary[summary["metric"].isin([*comparison.metrics, "ceasefire"])]
    focus = comparison.reference.scenario.focus
    paired, regimes = comparison.paired, comparison.regimes
    paths = comparison_figures(
        summary,
        comparison.outcomes,
        paired,
        out,
        focal_power=focus.power,
        end_columns=list(default_outcomes(focus)),
        formats=formats,
    )
    scenarios = pd.DataFrame(
        {
            "name": comparison.names,
            "title": [r.scenario.title for r in comparison.results],
            "question": [r.scenario.question for r in comparison.results],
        }
    )
    crn = (
        "All scenarios ran with the same seed: replicate k draws the same random numbers "
        "in every scenario (common random numbers), so differences are paired by replicate."
        if comparison.common_random_numbers()
        else "The scenarios ran with different seeds: differences are not paired."
    )
    names = comparison.names
    write_report(
        out.parent / "report.html",
        title=f"{names[0]} compared with {', '.join(names[1:])}",
        intro=crn,
        scenarios=scenarios,
        tables={
            f"Paired differences against {names[0]} (95% intervals)": paired,
            "Share of replicates in each outcome regime": regimes.reset_index(),
        },
        figures=[p for p in paths if p.suffix == ".png"],
    )
    return paths


def _sample_figures(results: SampleResults, out: Path, formats: tuple[str, ...]) -> list[Path]:
    from hegemon.plots.sensitivity import draw_sensitivity

    if results.kind == "sweep":
        tables = {"sweep": results.table("sweep"), "params": results.parameters}
    else:
        tables = {str(results.method): results.table("indices")}
    return draw_sensitivity(out, formats=formats, **tables)


def save(
    results: Results | Comparison,
    path: Path | str,
    *,
    overwrite: bool = False,
    figures: bool = True,
) -> Path:
    """Copy a run or a comparison to the folder ``path`` (atomically, never over an existing
    folder unless ``overwrite``), with its figures unless ``figures=False``."""
    return results.save(path, overwrite=overwrite, figures=_drawn(figures))


def _drawn(figures: bool) -> Callable[[Any, Path], Any] | None:
    """The drawing step a folder's writer runs before moving it into place, if any."""
    if not figures:
        return None
    return lambda results, folder: draw(results, folder / "figures")


def check_replicates(replicates: int) -> None:
    """Refuse a number of replicates below 1 or above ``MAX_REPLICATES`` (one line)."""
    problem = replicates_problem(replicates)
    if problem:
        raise BadInput(problem)


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
    check_replicates(replicates)
    store = store or ("full" if replicates <= FULL_STORE_LIMIT else "summary")
    if store not in ("full", "summary"):
        raise HegemonError(f"store must be 'full' or 'summary', got {store!r}")

    target = Path(out) if out is not None else None
    if target is not None:
        check_folder_name(target)
        work = partial_folder(target)
        check_target(target, overwrite=overwrite)
        check_target(work, overwrite=True, partial=True)
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
        chunk_results = run_chunks(task, blocks, skip=done, workers=workers, executor=executor)
        with contextlib.closing(chunk_results):  # an interrupted run stops its workers at once
            for i, products in chunk_results:
                ensemble.add(i, products)
                if progress:
                    progress(blocks[i][1] - blocks[i][0])
        ensemble.finish(len(blocks))
        ensemble.write_text("scenario.yaml", resolved)
        if figures:
            _run_figures(Results(work, manifest=manifest), work / "figures", ("png", "svg"))
        # the manifest last: a folder with a manifest is complete
        ensemble.write_text(
            "manifest.json",
            json.dumps(dict(manifest, chunk_size=chunk_size, end_time=now()), indent=2) + "\n",
        )
        ensemble.close()
    except OSError as err:
        resumable = target is not None and (work / WORK / "progress.json").is_file()
        if target is None or not resumable:  # nothing finished: nothing to keep
            shutil.rmtree(work if target is not None else work.parent, ignore_errors=True)
        kept = (
            f"; the finished chunks are kept: run again with --resume {target}" if resumable else ""
        )
        raise HegemonError(f"{work}: cannot write results: {err.strerror or err}{kept}") from None
    except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM in the CLI
        signum = getattr(err, "signum", signal.SIGINT)
        if target is None:
            shutil.rmtree(work.parent, ignore_errors=True)
            raise Interrupted("", signum) from None
        if not (work / WORK / "progress.json").is_file():
            shutil.rmtree(work, ignore_errors=True)
            raise Interrupted("", signum) from None
        kept = len(EnsembleStore.chunks_on_disk(work))
        raise Interrupted(
            f"the finished chunks ({kept} of {len(blocks)}) are kept in {work}; continue "
            f"with the same command and --resume {target}",
            signum,
        ) from None
    except BaseException:
        if target is None:
            shutil.rmtree(work.parent, ignore_errors=True)
        raise
    if target is None:  # a temporary folder, removed with the Results object
        results = Results(work)
        weakref.finalize(results, shutil.rmtree, work.parent, True)
        return results
    move_into_place(work, target, overwrite=overwrite)
    return Results(target)


def is_results_folder(source: Source) -> bool:
    """Whether ``source`` names a finished results folder rather than a scenario."""
    return not isinstance(source, Scenario) and (Path(source) / "manifest.json").is_file()


def compare(
    sources: Sequence[Source],
    replicates: int = 1000,
    seed: int = 0,
    *,
    out: Path | str,
    overrides: Sequence[str] = (),
    allow_outside: bool = False,
    overwrite: bool = False,
    resume: bool = False,
    figures: bool = True,
    metrics: Sequence[str] | None = None,
    **engine: Any,
) -> Comparison:
    """Run every scenario of ``sources`` (scenarios, files, bundled names, or existing
    results folders, which are read, not rerun) with common random numbers, and write the
    comparison folder ``out``: a run folder each, paired differences against the first,
    regime shares, figures on shared axes and ``report.html``. ``engine`` goes to
    :func:`run` (``workers``, ``executor``, ``chunk_size``, ``progress``, ``command``).

    Each scenario runs into its own folder under ``<out>.partial`` (a resumable run), so an
    interrupted comparison keeps its finished runs and chunks, and ``resume=True`` continues
    it; ``<out>.partial`` is renamed to ``out`` when the comparison is complete."""
    check_replicates(replicates)
    target = Path(out)
    check_folder_name(target)
    check_target(target, overwrite=overwrite)
    work = partial_folder(target)
    check_target(work, overwrite=True, partial=True)
    specs = {
        i: source
        if isinstance(source, Scenario)
        else load_scenario(source, overrides, allow_outside=allow_outside)
        for i, source in enumerate(sources)
        if not is_results_folder(source)
    }
    read = {i: Results(source) for i, source in enumerate(sources) if i not in specs}
    names = [specs[i].name if i in specs else read[i].name for i in range(len(sources))]
    folders = folder_names(names)
    identity = {
        "kind": "compare",
        "scenarios": [
            hashlib.sha256(scenario_yaml(specs[i]).encode()).hexdigest()
            if i in specs
            else str(Path(sources[i]).resolve())  # type: ignore[arg-type]
            for i in range(len(sources))
        ],
        "seed": seed,
        "replicates": replicates,
        "chunk_size": engine.get("chunk_size", DEFAULT_CHUNK_SIZE),
        "metrics": list(metrics) if metrics else None,
    }
    _start_comparison(work, target, identity, resume=resume, overwrite=overwrite)
    progress = engine.get("progress")
    try:
        results = []
        for i, folder in enumerate(work / f for f in folders):
            if i in read:  # an existing results folder: copied in, afresh
                shutil.rmtree(folder, ignore_errors=True)
                read[i].save(folder)
                results.append(Results(folder))
            elif results_kind(folder) == "run":  # finished before the interruption
                results.append(Results(folder))
                if progress:
                    progress(replicates)
            else:
                again = partial_folder(folder).exists()
                ran = run(
                    specs[i], replicates, seed, store="summary", out=folder, resume=again, **engine
                )
                results.append(ran)
        comparison = Comparison(results, metrics=list(metrics) if metrics else None)
        comparison.write_into(work, figures=_drawn(figures))
        shutil.rmtree(work / WORK)
    except KeyboardInterrupt as err:
        raise Interrupted(
            f"the finished runs are kept in {work}; continue with the same command and "
            f"--resume {target}",
            getattr(err, "signum", signal.SIGINT),
        ) from None
    except OSError as err:
        raise HegemonError(
            f"{work}: cannot write: {err.strerror or err}; the finished runs are kept: run "
            f"again with --resume {target}"
        ) from None
    move_into_place(work, target, overwrite=overwrite)
    return Comparison.load(target)


def _start_comparison(
    work: Path, target: Path, identity: dict[str, Any], *, resume: bool, overwrite: bool
) -> None:
    """Make (or, on resume, check) the ``.partial`` folder of a comparison."""
    progress = work / WORK / "progress.json"
    if work.exists() and resume:
        try:
            saved = json.loads(progress.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise HegemonError(f"{work}: no interrupted comparison to resume here") from None
        changed = [k for k in identity if saved.get(k) != identity[k]]
        if changed:
            raise HegemonError(
                f"{work}: the interrupted comparison differs in {', '.join(changed)}; resume "
                "with the same scenarios and options, or pass --force to start afresh"
            )
        return
    if resume:
        raise HegemonError(f"{work}: no interrupted comparison to resume here")
    if work.exists():
        if not overwrite:
            raise HegemonError(
                f"{work}: an interrupted comparison is here; continue it with --resume "
                f"{target}, or pass --force to start afresh"
            )
        shutil.rmtree(work)
    try:
        (work / WORK).mkdir(parents=True)
        progress.write_text(json.dumps(identity, indent=2) + "\n", encoding="utf-8")
    except OSError as err:
        shutil.rmtree(work, ignore_errors=True)
        raise HegemonError(f"{work}: cannot write: {err.strerror or err}") from None


def sweep(
    scenario: Source,
    grid: dict[str, Any],
    replicates: int = 200,
    seed: int = 0,
    *,
    out: Path | str,
    overrides: Sequence[str] = (),
    allow_outside: bool = False,
    overwrite: bool = False,
    figures: bool = True,
    command: str | None = None,
    **engine: Any,
) -> SampleResults:
    """Sweep one or two parameters (``grid``: key path to its values) and write the sweep
    folder ``out``; every grid point is an ensemble with common random numbers."""
    from hegemon.analysis.sensitivity import sweep as sweep_table

    check_replicates(replicates)
    spec = _scenario(scenario, overrides, allow_outside)
    check_target(Path(out), overwrite=overwrite)
    table = sweep_table(spec, grid, replicates, seed, **engine)
    return SampleResults.save(
        out,
        "sweep",
        spec,
        {"sweep": table},
        overwrite=overwrite,
        figures=_drawn(figures),
        seed=seed,
        replicates=replicates,
        command=command,
        parameters={k: [float(x) for x in v] for k, v in grid.items()},
    )


def sensitivity(
    scenario: Source,
    method: str = "morris",
    *,
    out: Path | str,
    params: Sequence[str] | dict[str, Sequence[float]] | None = None,
    n: int | None = None,
    replicates: int = 20,
    seed: int = 0,
    overrides: Sequence[str] = (),
    allow_outside: bool = False,
    overwrite: bool = False,
    figures: bool = True,
    command: str | None = None,
    **engine: Any,
) -> SampleResults:
    """Morris or Sobol' sensitivity analysis (SALib) of the scenario's outputs, written to
    the sensitivity folder ``out`` (indices, per-sample table, figures)."""
    from hegemon.analysis.sensitivity import sensitivity as sensitivity_tables

    check_replicates(replicates)
    spec = _scenario(scenario, overrides, allow_outside)
    check_target(Path(out), overwrite=overwrite)
    indices, samples = sensitivity_tables(
        spec, method, params=params, n=n, replicates=replicates, seed=seed, **engine
    )
    return SampleResults.save(
        out,
        "sensitivity",
        spec,
        {"indices": indices, "samples": samples},
        overwrite=overwrite,
        figures=_drawn(figures),
        seed=seed,
        replicates=replicates,
        command=command,
        method=method,
        samples=len(samples),
    )


def _scenario(source: Source, overrides: Sequence[str], allow_outside: bool) -> Scenario:
    if isinstance(source, Scenario):
        return with_overrides(source, overrides)
    return load_scenario(source, overrides, allow_outside=allow_outside)

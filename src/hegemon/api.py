"""The public Python API that the CLI and the notebooks share."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import shutil
import signal
import tempfile
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from hegemon.analysis.regimes import classify
from hegemon.ensemble.limits import (
    DEFAULT_CHUNK_SIZE,
    FULL_STORE_LIMIT,
    SAMPLE_CHUNK_SIZE,
    SAMPLE_REPLICATES,
    SAMPLE_RUNS_CHUNK_SIZE,
    replicates_problem,
)
from hegemon.ensemble.runner import chunks, run_chunks
from hegemon.ensemble.samples import SampleStore, samples_digest
from hegemon.ensemble.store import WORK, EnsembleStore, simulate_and_reduce, start_work
from hegemon.errors import BadInput, HegemonError, Interrupted
from hegemon.plots.jobs import FORMATS, draws_concurrently
from hegemon.results import (
    CalibrationResults,
    Comparison,
    Results,
    SampleResults,
    ScoreResults,
    check_folder_name,
    check_target,
    folder_names,
    interrupted_run,
    make_manifest,
    move_into_place,
    now,
    open_folder,
    results_kind,
    scenario_yaml,
)
from hegemon.scenario.loader import load_scenario, with_overrides
from hegemon.scenario.schema import Scenario

if TYPE_CHECKING:
    from hegemon.plots.jobs import Job

Source = Scenario | str | Path

Store = Literal["full", "summary"]
#: What a command draws: no figures (False), PNG files (True), or the formats named, e.g.
#: ``("png", "svg")`` for vector copies too.
Figures = bool | Sequence[str]


def figure_formats(figures: Figures) -> tuple[str, ...]:
    """The file formats that ``figures`` asks for (none for False)."""
    if isinstance(figures, bool):
        return FORMATS if figures else ()
    return tuple(figures)


def with_regime(outcomes: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Outcomes with the regime of every replicate (run on the workers, chunk by chunk)."""
    return outcomes.assign(regime=classify(outcomes, scenario))


def draw(
    results: Results | Comparison | SampleResults | ScoreResults | Path | str,
    out: Path | str | None = None,
    formats: Sequence[str] = FORMATS,
    observations: Path | str | bool | None = None,
    *,
    workers: int = 1,
) -> list[Path]:
    """Draw the figures of any results folder (a run, a comparison, a sweep, a sensitivity
    analysis, a scenario discovery or a calibration) from its tables alone, into ``out``
    (default: the folder's ``figures/``), as PNG files unless ``formats`` names others
    (e.g. ``("png", "svg")``); ``workers`` > 1 draws the figures of a run or a comparison on
    that many processes at once (the same files).

    The fan charts of a run or a comparison show the observations of their metrics with 95%
    intervals: those of ``observations`` (a file or a bundled name), by default those the
    (reference) scenario names; ``observations=False`` leaves them out. Points up to a
    calibrated scenario's cut-off are filled, later ones hollow.

    >>> draw(run("baseline", replicates=10, seed=1, out=tmp / "r"))  # doctest: +SKIP
    """
    found = results if not isinstance(results, Path | str) else open_folder(results)
    formats = tuple(formats)
    if out is None and found.path is None:
        raise HegemonError("draw needs a folder to draw into (out=...)")
    target = Path(out) if out is not None else Path(found.path) / "figures"  # type: ignore[arg-type]
    if isinstance(found, Results | Comparison):
        figures = _run_figures if isinstance(found, Results) else _comparison_figures
        if workers <= 1:
            return figures(found, target, formats, observations)  # type: ignore[arg-type]
        from hegemon.plots.jobs import figure_pool

        with figure_pool(workers) as pool:
            return figures(found, target, formats, observations, pool=pool)  # type: ignore[arg-type]
    if isinstance(found, CalibrationResults):
        from hegemon.plots.calibration import draw_calibration

        return draw_calibration(found, target, formats)
    if isinstance(found, ScoreResults):
        raise HegemonError(
            f"{found.path}: a score folder has no figures yet; its tables are scores.csv "
            "and totals.csv"
        )
    return _sample_figures(found, target, formats)


def _cutoff(comparison: Comparison) -> dt.date | None:
    """The cut-off of the first conditioned scenario of a comparison (None if none is)."""
    for results in comparison.results:
        if results.scenario.posterior is not None:
            return results.scenario.posterior.cutoff
    return None


def observed_points(
    results: Results,
    observations: Path | str | bool | None = None,
    *,
    cutoff: dt.date | None = None,
) -> pd.DataFrame | None:
    """The observations a run's figures show (``hegemon.analysis.scores.observed_points``):
    of ``observations``, by default the file the run's scenario names; None without any
    (or with ``observations=False``). Points after a calibrated scenario's cut-off are
    hollow."""
    from hegemon.analysis.scores import observed_points as points
    from hegemon.scenario.observations import read_observations

    if observations is False:
        return None
    scenario = results.scenario
    try:
        if observations is None or observations is True:
            if scenario.observations is None:
                return None
            file = _observations_for(results, None, allow_outside=False)
        else:
            file = Path(str(observations))
        table = read_observations(file, scenario).table
    except HegemonError:
        if observations not in (None, True):
            raise
        return None  # figures draw without observations they cannot find
    if cutoff is None and scenario.posterior is not None:
        cutoff = scenario.posterior.cutoff
    return points(table, scenario, cutoff=cutoff)


def _run_figures(
    results: Results,
    out: Path,
    formats: tuple[str, ...],
    observations: Path | str | bool | None = None,
    *,
    pool: Executor | None = None,
) -> list[Path]:
    """The standard figures and the event history of a run (on ``pool`` when given)."""
    from hegemon.plots.jobs import (
        EVENT_HISTORY,
        EVENT_HISTORY_COLUMNS,
        Job,
        draw_jobs,
        standard_jobs,
    )

    jobs = standard_jobs(
        results.summary,
        results.outcomes,
        focal_power=results.scenario.focus.power,
        observed=observed_points(results, observations),
    )
    events = results.columns("events", EVENT_HISTORY_COLUMNS)
    if events is not None and not events.empty:
        history = {
            "events": events,
            "replicates": int(results.manifest.get("replicates", len(results.outcomes))),
            "weeks": int(results.manifest.get("steps", results.scenario.steps)) + 1,
            "scenario": results.name,
        }
        jobs.append(Job(EVENT_HISTORY, "hegemon.plots.events:event_history_figure", history))
    return draw_jobs(jobs, out, formats, pool)


def _comparison_figures(
    comparison: Comparison,
    out: Path,
    formats: tuple[str, ...],
    observations: Path | str | bool | None = None,
    *,
    pool: Executor | None = None,
) -> list[Path]:
    """The comparison figures on shared axes (on ``pool`` when given), and the
    self-contained ``report.html`` beside the figures' folder."""
    from hegemon.analysis.compare import default_outcomes
    from hegemon.analysis.regimes import definitions
    from hegemon.plots.jobs import comparison_jobs, draw_jobs
    from hegemon.plots.report import write_report

    summary = comparison.summary
    if comparison.metrics:
        summary = summary[summary["metric"].isin([*comparison.metrics, "ceasefire"])]
    focus = comparison.reference.scenario.focus
    paired, regimes = comparison.paired, comparison.regimes
    jobs = comparison_jobs(
        summary,
        comparison.outcomes,
        paired,
        focal_power=focus.power,
        scenario=comparison.reference.scenario,
        end_columns=list(default_outcomes(focus)),
        observed=observed_points(comparison.reference, observations, cutoff=_cutoff(comparison)),
    )
    paths = draw_jobs([*jobs, *_multiples(comparison, summary)], out, formats, pool)
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
        else f"The differences are not paired by replicate: {comparison.unpaired_reason()}; "
        "they are differences of means with Welch's intervals."
    )
    cut = comparison.cut()
    if cut:
        crn += f" Note: {cut}."
    names = comparison.names
    differences = (
        f"Paired differences against {names[0]} (95% intervals)"
        if comparison.common_random_numbers()
        else f"Differences against {names[0]}, not paired (95% Welch intervals)"
    )
    write_report(
        out.parent / "report.html",
        title=f"{names[0]} compared with {', '.join(names[1:])}",
        intro=crn,
        scenarios=scenarios,
        tables={
            "Settings of each run": _settings(comparison),
            differences: paired,
            "Share of replicates in each outcome regime": regimes.reset_index(),
            "Outcome regimes (the first rule that applies wins)": definitions(
                comparison.reference.scenario
            ),
        },
        figures=[p for p in paths if p.suffix == ".png"],
    )
    return paths


def _multiples(comparison: Comparison, summary: pd.DataFrame) -> list[Job]:
    """The readable comparison figures of the focal power's influence and its ally's trust:
    small multiples, one panel per scenario; and, when every run kept its trajectories,
    fans of the paired differences over time."""
    from hegemon.plots.jobs import Job
    from hegemon.scenario.observables import METRICS

    focus = comparison.reference.scenario.focus
    wanted = {
        "influence": ("influence", focus.power, None, f"{focus.power}'s regional influence"),
        "trust": ("trust", focus.ally, focus.power, f"{focus.ally}'s trust in {focus.power}"),
    }
    jobs: list[Job] = []
    have = set(summary["metric"].astype(str))
    full = all(r.timeseries is not None for r in comparison.results)
    for stem, (metric, actor, target, what) in wanted.items():
        if metric not in have:
            continue
        label = f"{METRICS[metric].label} ({METRICS[metric].unit})"
        multiples = {"summary": summary, "metric": metric, "actor": actor, "target": target}
        multiples |= {"what": what, "ylabel": label}
        jobs.append(
            Job(f"multiples_{stem}", "hegemon.plots.multiples:small_multiples_figure", multiples)
        )
        if full and len(comparison.results) > 1 and comparison.common_random_numbers():
            series = {r.name: r.series(metric, actor, target) for r in comparison.results}
            fan = {"series": series, "what": what, "ylabel": f"Difference, {label}"}
            jobs.append(
                Job(f"differences_{stem}", "hegemon.plots.multiples:difference_fan_figure", fan)
            )
    return jobs


def _settings(comparison: Comparison) -> pd.DataFrame:
    """Per scenario: the seed, replicates and horizon it ran with (for the report)."""
    rows = []
    for result in comparison.results:
        info, spec = result.manifest, result.scenario
        rows.append(
            {
                "scenario": result.name,
                "seed": info.get("seed"),
                "replicates": info.get("replicates"),
                "start": info.get("start", spec.start.isoformat()),
                "horizon": info.get("end", spec.end.isoformat()),
                "weeks": info.get("steps", spec.steps),
            }
        )
    return pd.DataFrame(rows)


def _sample_figures(results: SampleResults, out: Path, formats: tuple[str, ...]) -> list[Path]:
    from hegemon.plots.sensitivity import draw_sensitivity

    if results.kind == "discover":
        return _discovery_figures(results, out, formats)
    if results.kind == "sweep":
        tables = {"sweep": results.table("sweep"), "params": results.parameters}
    else:
        tables = {str(results.method): results.table("indices")}
    return draw_sensitivity(out, formats=formats, scenario=results.scenario, **tables)


def _discovery_figures(results: SampleResults, out: Path, formats: tuple[str, ...]) -> list[Path]:
    from hegemon.plots.discovery import draw_discovery

    info = results.manifest
    return draw_discovery(
        out,
        **{name: results.table(name) for name in ("boxes", "stats", "trajectory", "cases")},
        base_rate=float(info["base_rate"]),
        method=str(info["method"]),
        outcome=str(info.get("outcome_words", "")),
        regime=info.get("regime"),
        formats=formats,
    )


def save(
    results: Results | Comparison,
    path: Path | str,
    *,
    overwrite: bool = False,
    figures: Figures = True,
) -> Path:
    """Copy a run or a comparison to the folder ``path`` (atomically, never over an existing
    folder unless ``overwrite``), with its figures unless ``figures=False`` (:data:`Figures`)."""
    return results.save(path, overwrite=overwrite, figures=_drawn(figures))


def export(
    results: Results | Comparison | SampleResults | Path | str,
    format: Literal["csv", "xlsx"] = "csv",
    *,
    out: Path | str,
    overwrite: bool = False,
) -> Path:
    """Export the tables of a results folder for spreadsheets: a folder of CSV files, one
    per table, or an Excel workbook (``xlsx``, needs ``pip install 'hegemon[export]'``)
    with the tables that fit in a sheet and an ``about`` sheet saying what it left to the
    CSV export (see :mod:`hegemon.results.export`).

    >>> export("results/base", "xlsx", out="base.xlsx")  # doctest: +SKIP
    """
    from hegemon.results.export import export as export_tables

    folder = results if isinstance(results, Path | str) else results.path
    if folder is None:
        raise HegemonError("export needs results written to a folder")
    return export_tables(Path(folder), format, out, overwrite=overwrite)


def _drawn(figures: Figures) -> Callable[[Any, Path], Any] | None:
    """The drawing step a folder's writer runs before moving it into place, if any."""
    formats = figure_formats(figures)
    if not formats:
        return None
    return lambda results, folder: draw(results, folder / "figures", formats)


def check_replicates(replicates: int) -> None:
    """Refuse a number of replicates below 1 or above ``MAX_REPLICATES`` (one line)."""
    problem = replicates_problem(replicates)
    if problem:
        raise BadInput(problem)


def partial_folder(out: Path) -> Path:
    """Where an unfinished run for ``out`` keeps its work (kept for ``resume``)."""
    return out.with_name(out.name + ".partial")


def _continues(out: Path) -> bool:
    """Whether a comparison's run into ``out`` continues the run an interruption left
    there: its ``.partial`` folder holds the run's record. A ``.partial`` folder without
    it (a worker stopped between making the folders and writing the record) holds nothing
    finished, and is removed so that the run starts afresh."""
    work = partial_folder(out)
    if (work / WORK / "progress.json").is_file():
        return True
    if (
        work.is_dir()
        and not work.is_symlink()
        and (not any(work.iterdir()) or interrupted_run(work))
    ):
        shutil.rmtree(work)
    return False


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
    figures: Figures = False,
    overrides: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
    command: str | None = None,
) -> Results:
    """Run ``replicates`` replicates of a scenario (an object, a file or a bundled name).

    Results stream to a folder chunk by chunk (``chunk_size`` replicates each; in a run of
    several chunks, the first 4,000, the summary's quantile sample, in chunks of 500), so
    memory stays bounded: to ``out`` when given (via ``<out>.partial`` until complete, which
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

    scenario, copies = _standalone(scenario)
    resolved = scenario_yaml(scenario)
    manifest = make_manifest(
        scenario,
        seed=seed,
        replicates=replicates,
        store=store,
        command=command,
        resolved=resolved,
    )
    manifest |= _conditioning(scenario, copies)
    # the replicates of the summary's quantile sample in smaller chunks (their trajectories
    # travel back whole): the same results, a lower peak of memory
    blocks = chunks(replicates, chunk_size, head=(SAMPLE_REPLICATES, SAMPLE_CHUNK_SIZE))
    identity = {
        "scenario_sha256": manifest["scenario_sha256"],
        "seed": seed,
        "replicates": replicates,
        "chunk_size": chunk_size,
        "sample_chunk_size": SAMPLE_CHUNK_SIZE,
        "store": store,
    }
    drawing = contextlib.ExitStack()  # the figures' workers and the timeseries' writer
    try:
        with drawing:
            concurrent = figures and draws_concurrently(replicates, chunk_size, workers)
            pool = _figure_pool(drawing, workers) if concurrent else None
            ensemble = EnsembleStore(work, identity, scenario, resume=resume)
            drawing.callback(ensemble.stop_writing)  # on any exit, before the folder goes
            done = ensemble.done()
            if progress and done:
                progress(sum(blocks[i][1] - blocks[i][0] for i in done))
            hook = functools.partial(with_regime, scenario=scenario)
            task = functools.partial(simulate_and_reduce, scenario, seed, store=store, hook=hook)
            chunk_results = run_chunks(task, blocks, skip=done, workers=workers, executor=executor)
            with contextlib.closing(chunk_results):  # an interrupted run stops its workers now
                for i, products in chunk_results:
                    ensemble.add(i, products)
                    if progress:
                        progress(blocks[i][1] - blocks[i][0])
            ensemble.finish(len(blocks))
            ensemble.write_text("scenario.yaml", resolved)
            for name, source in copies.items():  # so that scenario.yaml stands alone
                shutil.copyfile(source, work / name)
            if figures:
                figures_of = Results(work, manifest=manifest)
                _run_figures(figures_of, work / "figures", figure_formats(figures), pool=pool)
            ensemble.finish_timeseries()
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


def _draw_comparison(
    comparison: Comparison, folder: Path, *, formats: tuple[str, ...], pool: Executor | None
) -> None:
    """Draw a comparison's figures into ``folder`` (the write step of ``compare``)."""
    _comparison_figures(comparison, folder / "figures", formats, pool=pool)


def _run_into(
    spec: Scenario,
    replicates: int,
    seed: int,
    store: Store,
    folder: Path,
    chunk_size: int,
    command: str | None,
) -> None:
    """A comparison's run of one scenario, written into ``folder`` by a worker process (it
    continues the run that an interruption left there)."""
    run(
        spec,
        replicates,
        seed,
        store=store,
        out=folder,
        resume=_continues(folder),
        chunk_size=chunk_size,
        command=command,
    )


def _figure_pool(
    stack: contextlib.ExitStack, workers: int, *, runs: bool = False
) -> Executor | None:
    """A pool that draws figures on ``workers`` processes, closed with ``stack``, its
    workers started with the engine imported too when they are to do ``runs``; None (draw
    in this process) for one worker."""
    from hegemon.plots.jobs import figure_pool

    if workers <= 1:
        return None
    # workers that run scenarios import this module too (see the CLI's compare)
    return stack.enter_context(figure_pool(workers, also=(__name__,) if runs else ()))


def _standalone(scenario: Scenario) -> tuple[Scenario, dict[str, Path]]:
    """A conditioned scenario as its results folder holds it: its posterior table and its
    observations named by the copies beside ``scenario.yaml`` (``posterior.parquet``,
    ``observations.csv``), and the files to copy there. Other scenarios are unchanged."""
    table = scenario.posterior_table
    if scenario.posterior is None or table is None:
        return scenario, {}
    update: dict[str, Any] = {
        "posterior": scenario.posterior.model_copy(update={"table": "posterior.parquet"})
    }
    copies = {"posterior.parquet": Path(table.path)}
    if scenario.observations_file is not None:
        update["observations"] = "observations.csv"
        copies["observations.csv"] = Path(scenario.observations_file)
    return scenario.model_copy(update=update), copies


def _conditioning(scenario: Scenario, copies: dict[str, Path]) -> dict[str, Any]:
    """What a conditioned run's manifest says of its posterior and observations."""
    from hegemon.scenario.posterior import file_sha256

    if scenario.posterior is None:
        return {}
    return {
        "conditioned": True,
        "posterior_sha256": scenario.posterior.sha256,
        "posterior_seed": scenario.posterior.seed,
        "posterior_cutoff": scenario.posterior.cutoff.isoformat(),
        "posterior_particles": len(scenario.posterior_table),
        "observations_sha256": file_sha256(copies["observations.csv"])
        if "observations.csv" in copies
        else None,
    }


def is_results_folder(source: Source) -> bool:
    """Whether ``source`` names a finished results folder rather than a scenario."""
    return not isinstance(source, Scenario) and (Path(source) / "manifest.json").is_file()


def compare(
    sources: Sequence[Source],
    replicates: int | None = None,
    seed: int | None = None,
    *,
    out: Path | str,
    overrides: Sequence[str] = (),
    allow_outside: bool = False,
    overwrite: bool = False,
    resume: bool = False,
    figures: Figures = True,
    metrics: Sequence[str] | None = None,
    store: Store = "summary",
    **engine: Any,
) -> Comparison:
    """Run every scenario of ``sources`` (scenarios, files, bundled names, or existing
    results folders, which are read, not rerun) with common random numbers, and write the
    comparison folder ``out``: a run folder each, paired differences against the first,
    regime shares, figures on shared axes and ``report.html``. ``engine`` goes to
    :func:`run` (``workers``, ``executor``, ``chunk_size``, ``progress``, ``command``).

    Scenarios to run take the seed and replicates of the results folders among ``sources``
    (the first of them) when ``seed`` and ``replicates`` are None, else 0 and 1,000; a
    ``seed`` other than a folder's is refused, since its replicates could not be paired.

    Each scenario runs into its own folder under ``<out>.partial`` (a resumable run), so an
    interrupted comparison keeps its finished runs and chunks, and ``resume=True`` continues
    it; ``<out>.partial`` is renamed to ``out`` when the comparison is complete."""
    target = Path(out)
    check_folder_name(target)
    check_target(target, overwrite=overwrite)
    seed, replicates = compare_settings(sources, seed, replicates)
    check_replicates(replicates)
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
        "store": store,
        "chunk_size": engine.get("chunk_size", DEFAULT_CHUNK_SIZE),
        "metrics": list(metrics) if metrics else None,
    }
    start_work(work, identity, "comparison", target=target, resume=resume, overwrite=overwrite)
    progress = engine.get("progress")
    workers = engine.get("workers", 1)
    drawing = contextlib.ExitStack()  # the figures' workers, when they draw concurrently
    try:
        with drawing:
            # as in run: only when every run is one chunk, started now to start up meanwhile;
            # its workers also run the scenarios after the first (each a run of one chunk,
            # written by the worker), while this process runs the first
            chunk_size = engine.get("chunk_size", DEFAULT_CHUNK_SIZE)
            concurrent = figures and draws_concurrently(replicates, chunk_size, workers)
            pool = _figure_pool(drawing, workers, runs=True) if concurrent else None
            paths = [work / f for f in folders]
            results: dict[int, Results] = {}
            to_run = []
            for i, folder in enumerate(paths):
                if i in read:  # an existing results folder: copied in, afresh
                    shutil.rmtree(folder, ignore_errors=True)
                    read[i].save(folder)
                    results[i] = Results(folder)
                elif results_kind(folder) == "run":  # finished before the interruption
                    results[i] = Results(folder)
                    if progress:
                        progress(replicates)
                else:
                    to_run.append(i)
            concurrent = pool is not None and engine.get("executor") is None
            ahead: dict[int, Future[None]] = {}
            for n, i in enumerate(to_run):
                if i not in ahead or ahead[i].cancel():  # not started by a worker: here
                    results[i] = run(
                        specs[i],
                        replicates,
                        seed,
                        store=store,
                        out=paths[i],
                        resume=_continues(paths[i]),
                        **engine,
                    )
                else:
                    ahead[i].result()
                    results[i] = Results(paths[i])
                    if progress:
                        progress(replicates)
                if n == 0 and concurrent:  # the rest on the pool, whose workers are up by now
                    chunk_size = engine.get("chunk_size", DEFAULT_CHUNK_SIZE)
                    for j in to_run[1:]:
                        task = (specs[j], replicates, seed, store, paths[j], chunk_size)
                        ahead[j] = pool.submit(_run_into, *task, engine.get("command"))  # type: ignore[union-attr]
            comparison = Comparison(
                [results[i] for i in range(len(paths))],
                metrics=list(metrics) if metrics else None,
            )
            formats = figure_formats(figures)
            draw_figures = (
                functools.partial(_draw_comparison, formats=formats, pool=pool) if formats else None
            )
            comparison.write_into(work, figures=draw_figures)
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


def compare_settings(
    sources: Sequence[Source], seed: int | None, replicates: int | None
) -> tuple[int, int]:
    """The seed and replicates to run a comparison's scenarios with: those given, else those
    of its first results folder, else 0 and 1,000. When there are scenarios to run, a given
    seed that is not every folder's is refused (one line): their replicates would not pair."""
    folders = [Results(s) for s in sources if is_results_folder(s)]
    if folders and len(folders) < len(sources):
        first = folders[0].manifest
        if seed is not None and any(f.manifest.get("seed") != seed for f in folders):
            other = next(f for f in folders if f.manifest.get("seed") != seed)
            raise HegemonError(
                f"{other.path} ran with seed {other.manifest.get('seed')}, not {seed}: "
                "differences would not be paired; leave out --seed to run the scenarios "
                "with the folders' seed"
            )
        seed = int(first.get("seed", 0)) if seed is None else seed
        replicates = int(first.get("replicates", 1000)) if replicates is None else replicates
    return (0 if seed is None else seed), (1000 if replicates is None else replicates)


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
    resume: bool = False,
    figures: Figures = True,
    command: str | None = None,
    **engine: Any,
) -> SampleResults:
    """Sweep one or two parameters (``grid``: key path to its values) and write the sweep
    folder ``out``; every grid point is an ensemble with common random numbers. ``engine``
    goes to :func:`hegemon.analysis.sensitivity.sweep` (``workers``, ``executor``,
    ``chunk_size``, ``progress``).

    The runs are evaluated in blocks of ``chunk_size`` into ``<out>.partial``, which keeps
    every finished block, so an interrupted sweep (Ctrl-C, SIGTERM, ``kill -9``, a full
    disk) continues with ``resume=True`` and the same arguments, to the table of an
    uninterrupted sweep; ``<out>.partial`` is renamed to ``out`` when the sweep is complete.

    >>> grid = {"actors.Russia.resolve": [0.2, 0.8]}
    >>> sweep("baseline", grid, 20, out=tmp / "s", resume=True)  # doctest: +SKIP
    """
    from hegemon.analysis.sensitivity import outputs
    from hegemon.analysis.sensitivity import sweep as sweep_table

    check_replicates(replicates)
    spec = _scenario(scenario, overrides, allow_outside)
    parameters = {k: [float(x) for x in v] for k, v in grid.items()}
    points = 1
    for values in parameters.values():
        points *= len(values)
    chunk_size = engine.setdefault("chunk_size", SAMPLE_RUNS_CHUNK_SIZE)
    identity = {
        "kind": "sweep",
        "scenario_sha256": hashlib.sha256(scenario_yaml(spec).encode()).hexdigest(),
        "grid": parameters,
        "seed": seed,
        "replicates": replicates,
        "chunk_size": chunk_size,
        "outputs": [o.name for o in outputs(spec)],
        "store": "summary",
    }
    return _evaluate_into(
        out,
        spec,
        identity,
        len(chunks(points * replicates, chunk_size)),
        lambda store: {"sweep": sweep_table(spec, grid, replicates, seed, store=store, **engine)},
        resume=resume,
        overwrite=overwrite,
        figures=figures,
        seed=seed,
        replicates=replicates,
        command=command,
        parameters=parameters,
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
    resume: bool = False,
    figures: Figures = True,
    command: str | None = None,
    **engine: Any,
) -> SampleResults:
    """Morris or Sobol' sensitivity analysis (SALib) of the scenario's outputs, written to
    the sensitivity folder ``out`` (indices, per-sample table, figures). ``engine`` goes to
    :func:`hegemon.analysis.sensitivity.sensitivity` (``workers``, ``executor``,
    ``chunk_size``, ``progress``).

    The runs are evaluated in blocks of ``chunk_size`` into ``<out>.partial``, which keeps
    every finished block, so an interrupted analysis (Ctrl-C, SIGTERM, ``kill -9``, a full
    disk) continues with ``resume=True`` and the same arguments, to the indices of an
    uninterrupted one; ``<out>.partial`` is renamed to ``out`` when it is complete.

    >>> sensitivity("baseline", n=4, replicates=10, out=tmp / "m", resume=True)  # doctest: +SKIP
    """
    from hegemon.analysis.sensitivity import design, outputs, parameter_ranges
    from hegemon.analysis.sensitivity import sensitivity as sensitivity_tables

    check_replicates(replicates)
    spec = _scenario(scenario, overrides, allow_outside)
    ranges = parameter_ranges(spec, params)
    X = design(method, ranges, n, seed)
    chunk_size = engine["chunk_size"] = engine.get("chunk_size") or SAMPLE_RUNS_CHUNK_SIZE
    identity = {
        "kind": "sensitivity",
        "scenario_sha256": hashlib.sha256(scenario_yaml(spec).encode()).hexdigest(),
        "method": method,
        "n": n,
        "parameters": {path: list(r) for path, r in ranges.items()},
        "design_sha256": samples_digest({path: X[:, j] for j, path in enumerate(ranges)}),
        "seed": seed,
        "replicates": replicates,
        "chunk_size": chunk_size,
        "outputs": [o.name for o in outputs(spec)],
        "store": "summary",
    }

    def tables(store: SampleStore) -> dict[str, pd.DataFrame]:
        indices, samples = sensitivity_tables(
            spec, method, params=params, n=n, replicates=replicates, seed=seed, store=store,
            **engine,
        )  # fmt: skip
        return {"indices": indices, "samples": samples}

    return _evaluate_into(
        out,
        spec,
        identity,
        len(chunks(len(X) * replicates, chunk_size)),
        tables,
        resume=resume,
        overwrite=overwrite,
        figures=figures,
        seed=seed,
        replicates=replicates,
        command=command,
        method=method,
        samples=len(X),
    )


def _evaluate_into(
    out: Path | str,
    spec: Scenario,
    identity: dict[str, Any],
    blocks: int,
    tables: Callable[[SampleStore], dict[str, pd.DataFrame]],
    *,
    resume: bool,
    overwrite: bool,
    figures: Figures,
    **manifest: Any,
) -> SampleResults:
    """Write the sweep or sensitivity folder ``out`` (``identity["kind"]``) through
    ``<out>.partial``: ``tables(store)`` evaluates the samples, keeping each of the
    ``blocks`` blocks of runs in the store's ``_work`` as it finishes; an interruption or a
    failed write keeps them (one line says so, and how to resume), any other failure keeps
    them if there are any; the complete folder is renamed to ``out``."""
    kind = identity["kind"]
    target = Path(out)
    check_folder_name(target)
    check_target(target, overwrite=overwrite)
    work = partial_folder(target)
    check_target(work, overwrite=True, partial=True)
    store = SampleStore.open(
        work, identity, blocks, target=target, resume=resume, overwrite=overwrite
    )
    try:
        found = tables(store)
        SampleResults.write_into(work, kind, spec, found, figures=_drawn(figures), **manifest)
        store.close()
    except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM in the CLI
        raise Interrupted(
            f"the finished blocks ({len(store.done())} of {blocks}) are kept in {work}; "
            f"continue with the same command and --resume {target}",
            getattr(err, "signum", signal.SIGINT),
        ) from None
    except OSError as err:
        raise HegemonError(
            f"{work}: cannot write results: {err.strerror or err}; the finished blocks "
            f"({len(store.done())} of {blocks}) are kept: run again with --resume {target}"
        ) from None
    except BaseException:  # bad input found while evaluating, or a failed chunk
        if not store.done():  # nothing to resume: leave nothing in the way
            shutil.rmtree(work, ignore_errors=True)
        raise
    move_into_place(work, target, overwrite=overwrite)
    return SampleResults(target)


def _scenario(source: Source, overrides: Sequence[str], allow_outside: bool) -> Scenario:
    if isinstance(source, Scenario):
        return with_overrides(source, overrides)
    return load_scenario(source, overrides, allow_outside=allow_outside)


def discover(
    source: Results | SampleResults | Path | str,
    outcome: str,
    method: str = "prim",
    *,
    out: Path | str,
    parameters: Sequence[str] | None = None,
    max_boxes: int = 3,
    overwrite: bool = False,
    figures: Figures = True,
    command: str | None = None,
) -> SampleResults:
    """Scenario discovery on a results folder (a run whose scenario gives parameters as
    distributions, a sweep or a sensitivity analysis): the boxes of the parameters where
    ``outcome`` (``regime=managed_decline``, ``ceasefire_weeks<52``) happens, by PRIM
    (with covering) or CART, written to the discover folder ``out``: ``boxes``, ``stats``,
    ``trajectory``, ``cases`` and figures (see :mod:`hegemon.analysis.discovery`).
    ``parameters`` (key paths) narrows the search to some of the folder's parameters.

    >>> found = discover("results/base", "regime=collapse", out=tmp / "d")  # doctest: +SKIP
    >>> found.table("stats")[["coverage", "density", "lift"]]  # doctest: +SKIP
    """
    from hegemon.analysis import discovery

    found = source if not isinstance(source, Path | str) else open_folder(source)
    cases = _cases(found)
    if parameters is not None:
        cases = cases.narrowed(parameters)
    condition = discovery.parse_outcome(outcome, cases)
    if method not in discovery.METHODS:
        raise HegemonError(f"method must be 'prim' or 'cart', got {method!r}")
    check_target(Path(out), overwrite=overwrite)
    y = condition.select(cases.values)
    result = discovery.discover(cases.inputs, y, method, max_boxes=max_boxes)  # type: ignore[arg-type]
    table = cases.inputs.assign(case=y, box=result.assigned)
    source_manifest = found.manifest if not isinstance(found, Comparison) else {}
    return SampleResults.save(
        out,
        "discover",
        found.scenario,
        {
            "boxes": result.boxes,
            "stats": result.stats,
            "trajectory": result.trajectory,
            "cases": table,
        },
        overwrite=overwrite,
        figures=_drawn(figures),
        seed=source_manifest.get("seed", 0),
        replicates=source_manifest.get("replicates", 0),
        command=command,
        method=method,
        outcome=str(condition),
        outcome_words=condition.words(),
        regime=condition.value if condition.column.kind == "regime" else None,
        source=str(found.path),
        source_kind=source_manifest.get("kind"),
        unit=cases.unit,
        parameters=list(cases.inputs.columns),
        cases=int(result.cases),
        rows=int(result.n),
        base_rate=float(result.base_rate),
        max_boxes=max_boxes,
        alpha=discovery.ALPHA,
        libraries=discovery.library_versions(),
    )


def _cases(found: Results | Comparison | SampleResults) -> Any:
    """The cases of a folder: a run's replicates, a sweep's points, a sensitivity's samples."""
    from hegemon.analysis import discovery

    if isinstance(found, Results):
        return discovery.run_cases(found.outcomes, found.scenario)
    if isinstance(found, SampleResults) and found.kind == "sensitivity":
        return discovery.sample_cases(
            found.table("samples"), found.parameters, found.scenario, "sample"
        )
    if isinstance(found, SampleResults) and found.kind == "sweep":
        table = discovery.sweep_table(found.table("sweep"), found.parameters)
        return discovery.sample_cases(table, found.parameters, found.scenario, "grid point")
    kind = "comparison" if isinstance(found, Comparison) else found.kind
    raise HegemonError(
        f"{found.path}: a {kind} folder; discover needs a run, a sweep or a sensitivity "
        "folder (for a comparison, give one of its run folders)"
    )


def score(
    results: Results | Path | str,
    observations: Path | str | None = None,
    *,
    since: dt.date | str | None = None,
    reference: Results | Path | str | None = None,
    out: Path | str | None = None,
    model: Any = None,
    overwrite: bool = False,
    allow_outside: bool = False,
    command: str | None = None,
) -> ScoreResults:
    """Score a run's ensemble against observations and write a score folder (never into
    the run's folder): per observation the predictive median and 50% and 90% bands, CRPS
    (or Brier for a binary state) and log score; totals and coverage; with ``reference`` (a
    run folder) the skill against it.

    ``observations`` defaults to the file the run's scenario names (``observations:``: a
    bundled name, or a file in the run's folder). ``since`` keeps observations dated on or
    after it; rows dated on or before the scenario's start, rows the scenario cites for its
    initial values and inverse indicators are left out (``hegemon.analysis.scores.selection``).
    The ensemble at an observation's date is the state at the last step on or before it:
    every replicate from ``timeseries`` when stored, otherwise rebuilt from the summary's
    quantiles (``hegemon.analysis.scores.from_quantiles``). ``model`` is an
    :class:`~hegemon.analysis.observation.ObservationModel` (default parameters if None).
    ``out`` defaults to a temporary folder that lives as long as the returned object.

    >>> scored = score(run("baseline", 50, seed=1), out=tmp / "s")  # doctest: +SKIP
    >>> scored.totals  # doctest: +SKIP
    """
    from hegemon.analysis.observation import ObservationModel
    from hegemon.analysis.scores import add_skill, score_table, selection, totals
    from hegemon.scenario.observations import read_observations

    model = model or ObservationModel()
    run_results = results if isinstance(results, Results) else Results(results)
    scenario = run_results.scenario
    file = _observations_for(run_results, observations, allow_outside)
    obs = read_observations(file, scenario)
    if isinstance(since, str):
        try:
            since = dt.date.fromisoformat(since)
        except ValueError:
            raise HegemonError(f"since: expected a date YYYY-MM-DD, got {since!r}") from None
    reasons = selection(obs.table, scenario, since=since, model=model)
    ensembles, how = _ensembles(run_results, obs.table, reasons)
    for index, row in obs.table.iterrows():
        if not reasons[index] and int(row["line"]) not in ensembles:
            reasons[index] = how.get(int(row["line"]), "no ensemble")
    table = score_table(obs.table, ensembles, reasons, model)
    ref_info: dict[str, Any] = {"reference": None}
    if reference is not None:
        ref_results = reference if isinstance(reference, Results) else Results(reference)
        ref_ensembles, _ = _ensembles(ref_results, obs.table, reasons)
        ref_table = score_table(obs.table, ref_ensembles, reasons, model)
        table = add_skill(table, ref_table)
        ref_info = {
            "reference": str(ref_results.path),
            "reference_scenario": ref_results.name,
            "reference_seed": ref_results.manifest.get("seed"),
            "reference_replicates": ref_results.manifest.get("replicates"),
        }
    sums = totals(table)
    scenario_text = (run_results.path / "scenario.yaml").read_text(encoding="utf-8")
    sources = sorted({str(x) for x in table["ensemble"].dropna()})
    target = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="hegemon-")) / "score"
    saved = ScoreResults.save(
        target,
        scenario,
        table,
        sums,
        scenario_text=scenario_text,
        observations_file=obs.path,
        run_manifest=run_results.manifest,
        overwrite=overwrite,
        command=command,
        results=str(run_results.path),
        observations=str(obs.path),
        observations_sha256=obs.sha256,
        since=since.isoformat() if since is not None else None,
        ensemble=sources,
        scored=int(table["used"].sum()),
        not_scored=int((~table["used"]).sum()),
        observation_model=model.as_dict(),
        **ref_info,
    )
    if out is None:
        weakref.finalize(saved, shutil.rmtree, target.parent, True)
    return saved


def _observations_for(results: Results, given: Path | str | None, allow_outside: bool) -> Path:
    """The observations file to score against: ``given``, or the one the scenario names."""
    from hegemon.errors import Problem, ScenarioError
    from hegemon.scenario.loader import observations_file
    from hegemon.scenario.observations import observations_path

    if given is not None:
        return observations_path(given)
    ref = results.scenario.observations
    if ref is None:
        raise HegemonError(
            f"{results.path}: scenario {results.name} names no observations; "
            "pass --observations FILE"
        )
    try:
        return observations_file(ref, results.path / "scenario.yaml", allow_outside=allow_outside)
    except ScenarioError as err:
        raise ScenarioError(
            [
                Problem(
                    results.path / "scenario.yaml",
                    None,
                    "observations",
                    f"{err.problems[0].message}; pass --observations FILE",
                )
            ]
        ) from None


def _text(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _ensembles(
    results: Results, table: pd.DataFrame, reasons: pd.Series
) -> tuple[dict[int, tuple[Any, str, int]], dict[int, str]]:
    """For every observation to score (by line): the metric's values over the replicates
    at the last step on or before its date, how they were obtained and the step; and for
    those that cannot be scored in these results, why."""
    from hegemon.analysis.scores import from_mean, from_quantiles, missing_metric_reason
    from hegemon.scenario.observables import METRICS

    scenario = results.scenario
    steps = int(results.manifest.get("steps", scenario.steps))
    summary = results.summary
    have = set(summary["metric"].astype(str))
    wanted: dict[int, tuple[str, str | None, str | None, int]] = {}
    why: dict[int, str] = {}
    for index, row in table.iterrows():
        if reasons[index]:
            continue
        line = int(row["line"])
        step = (row["date"].date() - scenario.start).days // 7
        if row["metric"] not in have:
            why[line] = missing_metric_reason(row["metric"])
        elif step > steps:
            why[line] = f"after the end of the run ({scenario.end})"
        else:
            wanted[line] = (str(row["metric"]), _text(row["actor"]), _text(row["target"]), step)
    stored = results.values_at(list(set(wanted.values())))
    replicates = int(results.manifest.get("replicates", 0))
    out: dict[int, tuple[Any, str, int]] = {}
    for line, key in wanted.items():
        metric, actor, target, step = key
        if key in stored:
            out[line] = (stored[key], "timeseries", step)
            continue
        rows = summary[(summary["metric"] == metric) & (summary["step"] == step)]
        rows = rows[rows["actor"].isna()] if actor is None else rows[rows["actor"] == actor]
        rows = rows[rows["target"].isna()] if target is None else rows[rows["target"] == target]
        if rows.empty:
            why[line] = f"no series {metric} for {actor or '-'}, {target or '-'} in these results"
            continue
        row = rows.iloc[0]
        if METRICS[metric].kind == "binary":
            out[line] = (from_mean(float(row["mean"]), replicates), "summary mean", step)
        else:
            out[line] = (from_quantiles(row), "summary quantiles", step)
    return out, why


def calibrate(
    scenario: Source,
    observations: Path | str | None = None,
    *,
    cutoff: dt.date | str,
    out: Path | str,
    params: Sequence[str] | dict[str, Sequence[float]] | None = None,
    particles: int | None = None,
    repeats: int | None = None,
    seed: int = 0,
    predictive: int | None = None,
    overrides: Sequence[str] = (),
    allow_outside: bool = False,
    overwrite: bool = False,
    figures: Figures = True,
    workers: int = 1,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    command: str | None = None,
    model: Any = None,
) -> Any:
    """Calibrate a scenario's uncertain parameters to the observations up to ``cutoff`` by
    sequential Monte Carlo through the vectorized engine (:mod:`hegemon.analysis.calibration`)
    and write the calibrate folder ``out``: the posterior table, the calibrated scenario
    ``calibrated.yaml`` (run it like any other: its replicates replay the particles' past up
    to the cut-off and forecast onward), the posterior predictive run ``predictive/``
    (``predictive`` replicates, default the particles up to 1,000; 0 for none), tables and
    figures.

    ``params`` are key paths (or key paths with ``[low, high]`` uniform priors), default the
    scenario's ``calibration:`` block; ``observations`` defaults to the scenario's own;
    ``particles`` and ``repeats`` (trajectories per particle) to the block's (else 2,000 and
    1). A seed gives the same folder, bit for bit.

    >>> fit = calibrate("baseline", cutoff="2022-12-31", out=tmp / "cal")  # doctest: +SKIP
    >>> fit.parameters[["parameter", "posterior_q05", "posterior_q95"]]  # doctest: +SKIP
    """
    from hegemon.analysis import calibration as cal
    from hegemon.analysis.observation import ObservationModel
    from hegemon.ensemble.pool import process_pool
    from hegemon.errors import BadInput
    from hegemon.model.model import HegemonModel
    from hegemon.results import CalibrationResults
    from hegemon.scenario.observations import observations_path, read_observations
    from hegemon.scenario.posterior import calibrated_text

    spec = _scenario(scenario, overrides, allow_outside)
    if spec.conditioned:
        raise BadInput(
            f"scenario {spec.name} is already calibrated (it has a posterior: block); "
            "calibrate the scenario it extends"
        )
    if isinstance(cutoff, str):
        try:
            cutoff = dt.date.fromisoformat(cutoff)
        except ValueError:
            raise BadInput(f"--cutoff: expected a date YYYY-MM-DD, got {cutoff!r}") from None
    if observations is not None:
        file = observations_path(observations)
    elif spec.observations_file is not None:
        file = Path(spec.observations_file)
    else:
        raise BadInput(f"scenario {spec.name} names no observations; pass --observations FILE")
    obs = read_observations(file, spec)
    model = model or ObservationModel()
    recorded = set(HegemonModel(spec, 1, seed=seed).recorder.series)
    problem = cal.calibration_problem(
        spec, obs.table, cutoff, params=params, model=model, recorded=recorded
    )
    target = Path(out)
    check_target(target, overwrite=overwrite)
    pool = process_pool(workers) if executor is None and workers > 1 else None
    try:
        fit = cal.calibrate(
            problem,
            seed,
            particles=particles,
            repeats=repeats,
            workers=workers,
            executor=executor or pool,
            progress=progress,
        )
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    used = obs.table.assign(
        used=obs.table["line"].isin(problem.used["line"]),
        reason=obs.table["line"].map(
            dict(zip(problem.left_out["line"], problem.left_out["reason"], strict=True))
        ),
    )
    bundled = isinstance(scenario, str) and not overrides and Path(scenario).suffix == ""
    extends = spec.name if bundled else "scenario.yaml"
    paths = [p.path for p in problem.priors]

    def calibrated(folder: Path, digest: str) -> str:
        return calibrated_text(
            extends=extends,
            name=f"{spec.name}-calibrated",
            title=f"{spec.title or spec.name} (calibrated to {cutoff})",
            question=spec.question,
            observations="observations.csv",
            table="posterior.parquet",
            sha256=digest,
            seed=seed,
            cutoff=cutoff,
            paths=paths,
            header=(
                f"{spec.name} calibrated to the observations up to {cutoff} by "
                f"hegemon calibrate (seed {seed}, {len(fit.posterior)} particles).\n"
                "Each replicate draws a particle of posterior.parquet and replays its past up "
                "to the cut-off;\nafter it, the run is a forecast (docs/ODD.md, 8.6)."
            ),
        )

    replicates = min(len(fit.posterior), 1000) if predictive is None else predictive

    def predictive_run(folder: Path) -> None:
        run(
            load_scenario(folder / "calibrated.yaml"),
            replicates,
            seed,
            store="summary",
            workers=workers,
            executor=executor,
            out=folder / "predictive",
            command=command,
        )

    def draw_figures(results: Any, folder: Path) -> None:
        from hegemon.plots.calibration import draw_calibration

        draw_calibration(results, folder, figure_formats(figures))

    return CalibrationResults.save(
        target,
        spec,
        posterior=fit.posterior,
        tables={"parameters": fit.parameters, "generations": fit.generations},
        observations_file=obs.path,
        observations_used=used,
        calibrated=calibrated,
        predictive=predictive_run if replicates > 0 else None,
        figures=draw_figures if figures else None,
        overwrite=overwrite,
        command=command,
        seed=seed,
        cutoff=cutoff.isoformat(),
        particles=len(fit.posterior),
        repeats=int(fit.repeats),
        unique_particles=int(fit.posterior["replicate"].nunique()),
        parameters=paths,
        priors={p.path: p.dist.model_dump(mode="json") for p in problem.priors},
        observations=str(obs.path),
        observations_count=len(problem.used),
        generations=int(len(fit.generations) - 1),
        simulations=int(fit.result.simulations),
        method="likelihood-tempered SMC (ABC-SMC with the observation model as kernel; "
        "Del Moral, Doucet & Jasra 2012)",
        observation_model=model.as_dict(),
    )

"""The command line: a thin shell over the Python API (``hegemon.api``).

Output for people (tables, progress, errors) goes to stderr; paths go to stdout, so that
commands compose in a shell. Bad input gives one line per problem and exit status 2; a
failure while running gives one line and exit status 1; never a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import math
import shlex
import signal
import sys
from collections.abc import Callable, Iterator
from importlib import import_module
from pathlib import Path
from typing import Any

import click

from hegemon.ensemble.limits import DEFAULT_CHUNK_SIZE, SAMPLE_RUNS_CHUNK_SIZE
from hegemon.errors import BadInput, HegemonError, Problem, ScenarioError

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
NOTHING_KEPT = "nothing was kept; run the command again to start over"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"  # what pydantic writes


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn hegemon's errors and Ctrl-C into one line on stderr and an exit status."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ScenarioError as err:
            for problem in err.problems:
                click.echo(f"error: {problem}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except BadInput as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except HegemonError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(EXIT_FAILURE)
        except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM (see main)
            kept = getattr(err, "message", "") or NOTHING_KEPT
            click.echo(f"interrupted: {kept}", err=True)
            sys.exit(128 + getattr(err, "signum", signal.SIGINT))

    return wrapper


def warn(warnings: list[Problem]) -> None:
    """Print what is valid but probably not meant, one ``warning:`` line each, on stderr."""
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


def finite(value: float | None, expected: str) -> float | None:
    """A number option's value, refusing NaN (which every range check lets through)."""
    if value is not None and math.isnan(value):
        raise click.BadParameter(f"{value} is not a number; expected {expected}")
    return value


class LazyChoice(click.Choice):
    """A click.Choice whose values are read when first needed (``--help``, a bad value), so
    that starting the CLI does not import the scenario layer."""

    def __init__(self, values: Callable[[], list[str]]) -> None:
        self._values = values
        self.case_sensitive = True

    @functools.cached_property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(self._values())


def parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"expected a date YYYY-MM-DD, got {value!r}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hegemon")
def cli() -> None:
    """hegemon: simulate geopolitical influence after the 2020 Nagorno-Karabakh ceasefire.

    \b
    Examples:
      hegemon run                          # the bundled baseline, 1,000 replicates
      hegemon run baseline -r 200 --set actors.Russia.resolve=0.9
      hegemon plot results/baseline-20201110-000000
    """


def scenario_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options spelled the same in every command that takes a scenario."""
    func = click.option(
        "--allow-outside",
        is_flag=True,
        help="Let extends: name files outside the extending file's folder.",
    )(func)
    return click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="KEY=VALUE",
        help="Override a scenario value, e.g. actors.Russia.resolve=0.9 (repeatable).",
    )(func)


def horizon_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--years`` and ``--until``, spelled the same in every command that runs a scenario."""
    func = click.option(
        "--until", callback=parse_date, help="End date YYYY-MM-DD (instead of --years)."
    )(func)
    return click.option(
        "--years",
        type=click.FloatRange(min=0, min_open=True, max=50),
        callback=lambda ctx, param, value: finite(value, "years in (0, 50]"),
        help="Horizon in years from the scenario's start.",
    )(func)


def horizon_overrides(years: float | None, until: str | None) -> list[str]:
    """The ``--set`` items that ``--years`` or ``--until`` stand for (one of them at most)."""
    if years is not None and until is not None:
        raise click.UsageError("give --years or --until, not both")
    if years is not None:
        return [f"horizon_years={years}", "until=null"]
    return [f"until={until}"] if until is not None else []


def store_option(default: str) -> Callable[..., Any]:
    """``--store``: keep every trajectory, or only the summary."""
    return click.option(
        "--store",
        type=click.Choice(["full", "summary"]),
        default=None if default == "auto" else default,
        show_default=default != "auto",
        help="Keep every trajectory, or only the summary"
        + (" [default: full up to 10,000 replicates]." if default == "auto" else "."),
    )


SVG_OPTION = click.option(
    "--svg", is_flag=True, help="Write each figure as SVG (vector graphics) beside its PNG."
)


def figure_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--no-figures`` and ``--svg``, spelled the same by every command that draws."""
    func = SVG_OPTION(func)
    return click.option("--no-figures", is_flag=True, help="Skip drawing figures.")(func)


def formats_asked(svg: bool) -> tuple[str, ...]:
    """The figures' formats that ``--svg`` asks for (PNG alone by default)."""
    return ("png", "svg") if svg else ("png",)


def figures_asked(no_figures: bool, svg: bool) -> bool | tuple[str, ...]:
    """What ``--no-figures`` and ``--svg`` ask for (``hegemon.api.Figures``)."""
    return False if no_figures else formats_asked(svg)


def ensemble_options(
    replicates: int, what: str = "Monte Carlo replicates", *, samples: bool = False
) -> Callable[..., Any]:
    """Options of every command that runs ensembles, spelled the same everywhere
    (``samples``: a command that runs samples, whose chunks hold more runs)."""
    return functools.partial(_ensemble_options, replicates=replicates, what=what, samples=samples)


def _ensemble_options(
    func: Callable[..., Any], replicates: int, what: str, samples: bool
) -> Callable[..., Any]:
    options = [
        click.option(
            "-r",
            "--replicates",
            type=click.IntRange(min=1),
            default=replicates,
            show_default=True,
            help=f"Number of {what}.",
        ),
        click.option(
            "--seed",
            type=click.IntRange(min=0),
            default=0,
            show_default=True,
            help="Random seed; the same seed gives the same results, bit for bit.",
        ),
        click.option("--force", is_flag=True, help="Replace the output folder if it exists."),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            help="Processes to run chunks on [default: the cores; 1 runs in-process].",
        ),
        click.option(
            "--chunk-size",
            type=click.IntRange(min=1),
            default=SAMPLE_RUNS_CHUNK_SIZE if samples else DEFAULT_CHUNK_SIZE,
            show_default=True,
            help=f"{'Runs' if samples else 'Replicates'} per chunk (one vectorized model).",
        ),
        click.option(
            "--scheduler",
            metavar="ADDRESS",
            help="Run chunks on a Dask cluster at ADDRESS (pip install 'hegemon[dask]').",
        ),
        figure_options,
        click.option("-q", "--quiet", is_flag=True, help="No progress bar or table."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def progress_bar(length: int, label: str, quiet: bool) -> Any:
    """A progress bar on stderr, or nothing when quiet or not on a terminal."""
    if quiet or not sys.stderr.isatty():
        return _Silent()
    return click.progressbar(
        length=length, label=label, file=sys.stderr, show_eta=True, show_pos=True
    )


@contextlib.contextmanager
def executor_for(scheduler: str | None) -> Iterator[Any]:
    """A Dask client's executor when a scheduler address is given, else None."""
    if scheduler is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        raise HegemonError("--scheduler needs Dask: pip install 'hegemon[dask]'") from None
    try:
        client = Client(scheduler, timeout=30)
    except (OSError, TimeoutError) as err:
        raise HegemonError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
    with client:
        yield client.get_executor(pure=False)  # a retried chunk must really run again


def default_workers() -> int:
    from hegemon.ensemble.pool import default_workers as cores

    return cores()


def command_line() -> str:
    """The command being run, rebuilt from click's parsed parameters (the same whether it
    came from a shell or from Python)."""
    ctx = click.get_current_context()
    words = ctx.command_path.split()
    for name, value in ctx.params.items():
        param = next(p for p in ctx.command.params if p.name == name)
        if isinstance(param, click.Argument):
            words += [str(v) for v in (value if isinstance(value, tuple) else (value,))]
        elif value in (None, False, ()) or value == param.default:
            continue
        else:
            flag = param.opts[-1]
            for v in value if isinstance(value, tuple) else (value,):
                words += [flag] if v is True else [flag, str(v)]
    return shlex.join(words)


def default_out(stem: str) -> Path:
    return Path("results") / f"{stem}-{dt.datetime.now():%Y%m%d-%H%M%S}"


@cli.command()
@click.argument("scenario", default="baseline")
@ensemble_options(1000)
@horizon_options
@scenario_options
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="Results folder [default: results/<scenario>-<time>].",
)
@store_option("auto")
@click.option(
    "--resume",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Continue the interrupted run whose results folder is DIR.",
)
@friendly
def run(
    scenario: str,
    replicates: int,
    seed: int,
    years: float | None,
    until: str | None,
    overrides: tuple[str, ...],
    allow_outside: bool,
    out: Path | None,
    force: bool,
    store: str | None,
    resume: Path | None,
    workers: int | None,
    chunk_size: int,
    scheduler: str | None,
    no_figures: bool,
    svg: bool,
    quiet: bool,
) -> None:
    """Run SCENARIO (a YAML file or a bundled name; default: baseline) as an ensemble and
    write a results folder; prints headline numbers and the folder's path.

    \b
    Examples:
      hegemon run
      hegemon run scenarios/baseline.yaml -r 500 --seed 7 --years 3 -o results/short
    """
    from hegemon.scenario.loader import load_scenario

    extra = horizon_overrides(years, until)
    found: list[Problem] = []
    spec = load_scenario(
        scenario,
        [*extra, *overrides],
        allow_outside=allow_outside,
        warnings=found,
        late_events=not extra,  # a run shortened on purpose ignores later events quietly
    )
    warn(found)
    if resume is not None and out is not None and out != resume:
        raise click.UsageError("--resume DIR names the results folder; do not also give -o")
    target = resume or out or default_out(spec.name)
    workers = workers or default_workers()
    figures = figures_asked(no_figures, svg)
    with contextlib.ExitStack() as stack:
        if figures and scheduler is None:
            draw_ahead(stack, workers, replicates, chunk_size)
        from hegemon.api import run as run_api

        bar = stack.enter_context(progress_bar(replicates, spec.name, quiet))
        pool = stack.enter_context(executor_for(scheduler))
        results = run_api(
            spec,
            replicates,
            seed,
            store=store,
            workers=workers,
            chunk_size=chunk_size,
            executor=pool,
            out=target,
            resume=resume is not None,
            overwrite=force,
            figures=figures,
            progress=bar.update,
            command=command_line(),
        )
    from hegemon.analysis.headline import format_table

    path = results.path
    if not quiet:
        click.echo(f"\n{spec.title or spec.name}\n{format_table(results.headline())}\n", err=True)
    click.echo(str(path))


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="Where to write the figures [default: FOLDER/figures].",
)
@SVG_OPTION
@friendly
def plot(folder: Path, out: Path | None, svg: bool) -> None:
    """Redraw the figures of a results FOLDER (a run, a comparison, a sweep or a
    sensitivity analysis) from its tables alone.

    \b
    Example:
      hegemon plot results/baseline-20201110-000000
    """
    workers = default_workers()
    with contextlib.ExitStack() as stack:
        if folder_kind(folder) in ("run", "compare"):  # the kinds drawn on workers
            draw_ahead(stack, workers)
        from hegemon.api import draw

        paths = draw(folder, out, formats_asked(svg), workers=workers)
    for path in paths:
        click.echo(str(path))


def draw_ahead(
    stack: contextlib.ExitStack,
    workers: int,
    replicates: int = 0,
    chunk_size: int = 1,
    also: tuple[str, ...] = (),
) -> None:
    """Start the figures' workers now, while this process imports the engine and the tables'
    stack, when the command will draw on them (more than one worker, and a run of
    ``replicates`` in one chunk); stopped with ``stack`` if nothing takes them
    (:func:`hegemon.plots.jobs.figure_pool_ahead`)."""
    from hegemon.plots.jobs import draws_concurrently, figure_pool_ahead

    if draws_concurrently(replicates, chunk_size, workers):
        stack.enter_context(figure_pool_ahead(workers, also))


def folder_kind(folder: Path) -> str | None:
    """The ``kind`` its manifest gives a results folder (None if it has none), read without
    importing the results package: a hint of what drawing it takes (the folder is checked
    when it is opened)."""
    try:
        kind = json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        return None
    return kind if isinstance(kind, str) else None


def given(name: str) -> bool:
    """Whether the option ``name`` was given on the command line (not its default)."""
    source = click.get_current_context().get_parameter_source(name)
    return source not in (None, click.core.ParameterSource.DEFAULT)


@cli.command()
@click.argument("scenarios", nargs=-1, required=True)
@ensemble_options(1000, "replicates of each scenario")
@horizon_options
@scenario_options
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="Comparison folder [default: results/compare-<time>].",
)
@store_option("summary")
@click.option(
    "--resume",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Continue the interrupted comparison whose folder is DIR.",
)
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    type=LazyChoice(lambda: list(import_module("hegemon.scenario.observables").METRICS)),
    help="Metric to overlay in the fan charts (repeatable; default: all).",
)
@friendly
def compare(
    scenarios: tuple[str, ...],
    replicates: int,
    seed: int,
    force: bool,
    workers: int | None,
    chunk_size: int,
    scheduler: str | None,
    no_figures: bool,
    svg: bool,
    quiet: bool,
    years: float | None,
    until: str | None,
    overrides: tuple[str, ...],
    allow_outside: bool,
    out: Path | None,
    resume: Path | None,
    store: str,
    metrics: tuple[str, ...],
) -> None:
    """Compare SCENARIOS (files, bundled names or existing results folders; the first is the
    reference) run with common random numbers: one results folder each, paired differences,
    figures on shared axes and a self-contained report.html. Scenarios compared with
    existing folders run with the folders' seed and replicates (a different --seed is
    refused); --years, --until and --set apply to the scenarios run, not to the folders.

    \b
    Examples:
      hegemon compare baseline no_peacekeepers russia_assertive turkey_restrained \\
          russia_overstretched -r 1000 -o results/counterfactuals
      hegemon compare results/baseline my-scenario.yaml -o results/mine
    """
    workers = workers or default_workers()
    figures = figures_asked(no_figures, svg)
    with contextlib.ExitStack() as stack:
        if figures and scheduler is None:  # its workers run scenarios too, through hegemon.api
            draw_ahead(stack, workers, replicates, chunk_size, also=("hegemon.api",))
        from hegemon.api import compare as compare_api
        from hegemon.api import compare_settings, is_results_folder

        folders = [name for name in scenarios if is_results_folder(name)]
        to_run = len(scenarios) - len(folders)
        seed_, replicates_ = compare_settings(
            scenarios,
            seed if given("seed") else None,
            replicates if given("replicates") else None,
        )
        if folders and to_run and not quiet:
            click.echo(
                f"note: running the {to_run} scenario(s) with the seed ({seed_}) and "
                f"replicates ({replicates_:,}) of {folders[0]}",
                err=True,
            )
        if resume is not None and out is not None and out != resume:
            raise click.UsageError("--resume DIR names the comparison folder; do not also give -o")
        extra = horizon_overrides(years, until)
        bar = stack.enter_context(progress_bar(replicates_ * to_run, "compare", quiet))
        pool = stack.enter_context(executor_for(scheduler))
        comparison = compare_api(
            scenarios,
            replicates_,
            seed_,
            out=resume or out or default_out("compare"),
            resume=resume is not None,
            overrides=[*extra, *overrides],
            allow_outside=allow_outside,
            overwrite=force,
            figures=figures,
            metrics=metrics,
            store=store,
            workers=workers,
            chunk_size=chunk_size,
            executor=pool,
            progress=bar.update,
            command=command_line(),
        )
    paired = comparison.common_random_numbers()
    if not paired:
        click.echo(
            f"warning: {comparison.unpaired_reason()}; differences are not paired by "
            "replicate (differences of means, Welch's intervals)",
            err=True,
        )
    cut = comparison.cut()
    if cut:
        click.echo(f"note: {cut}", err=True)
    if not quiet:
        table = comparison.paired[["scenario", "label", "mean_diff", "ci_low", "ci_high"]]
        how = "paired by replicate" if paired else "not paired"
        with pd_display():
            click.echo(
                f"\nDifferences from {comparison.reference.name} ({how}; mean, 95% interval):\n"
                f"{table.to_string(index=False, float_format=lambda x: f'{x:.3f}')}\n",
                err=True,
            )
    click.echo(str(comparison.path))


def resume_option(what: str) -> Callable[..., Any]:
    """``--resume DIR`` of a command whose samples are evaluated in resumable blocks."""
    return click.option(
        "--resume",
        type=click.Path(path_type=Path),
        metavar="DIR",
        help=f"Continue the interrupted {what} whose folder is DIR.",
    )


def resumed_target(resume: Path | None, out: Path | None) -> Path | None:
    """The folder to write: that of ``--resume DIR``, else ``-o``; both only if the same."""
    if resume is not None and out is not None and out != resume:
        raise click.UsageError("--resume DIR names the results folder; do not also give -o")
    return resume or out


@cli.command()
@click.argument("scenario")
@click.option(
    "--param",
    "grid",
    multiple=True,
    required=True,
    metavar="KEY=LO:HI:N",
    help="A parameter and its grid, e.g. actors.Russia.resolve=0:1:11 (once or twice).",
)
@ensemble_options(200, "replicates at each grid point", samples=True)
@horizon_options
@scenario_options
@click.option(
    "-o", "--out", type=click.Path(path_type=Path), help="Folder [default: results/sweep-<time>]."
)
@resume_option("sweep")
@friendly
def sweep(
    scenario: str,
    grid: tuple[str, ...],
    replicates: int,
    seed: int,
    force: bool,
    workers: int | None,
    chunk_size: int,
    scheduler: str | None,
    no_figures: bool,
    svg: bool,
    quiet: bool,
    years: float | None,
    until: str | None,
    overrides: tuple[str, ...],
    allow_outside: bool,
    out: Path | None,
    resume: Path | None,
) -> None:
    """Sweep one or two parameters of SCENARIO over a grid; every point is an ensemble with
    common random numbers. Writes sweep.parquet/.csv and figures (outputs against the
    parameter with bands, or heatmaps for two parameters). A sweep keeps one row per point
    and output, never trajectories, so it has no --store. An interrupted sweep keeps its
    finished blocks of runs in <DIR>.partial: the same command with --resume DIR continues it.

    \b
    Examples:
      hegemon sweep baseline --param actors.Russia.resolve=0:1:11 -r 200
      hegemon sweep baseline --param actors.Russia.resolve=0:1:6 \\
          --param relations.peacekeeping.troops=0:4000:5
      hegemon sweep baseline --param actors.Russia.resolve=0:1:11 --resume results/s1
    """
    from hegemon.analysis.sensitivity import parse_grid
    from hegemon.api import sweep as sweep_api

    points = dict(parse_grid(g) for g in grid)
    if len(points) != len(grid) or len(points) > 2:
        raise click.UsageError("give one or two different --param")
    target = resumed_target(resume, out) or default_out("sweep")
    total = replicates * math.prod(len(v) for v in points.values())
    with progress_bar(total, "sweep", quiet) as bar, executor_for(scheduler) as pool:
        results = sweep_api(
            scenario,
            points,
            replicates,
            seed,
            out=target,
            overrides=[*horizon_overrides(years, until), *overrides],
            allow_outside=allow_outside,
            overwrite=force,
            resume=resume is not None,
            figures=figures_asked(no_figures, svg),
            command=command_line(),
            workers=workers or default_workers(),
            executor=pool,
            chunk_size=chunk_size,
            progress=bar.update,
        )
    table = results.table("sweep")
    if not quiet:
        from hegemon.analysis.sensitivity import sweep_bands

        bands = sweep_bands(table)
        shown = table[[*points, "output", "mean"]].assign(
            low_90=bands["q05"], high_90=bands["q95"], bands=table["bands"]
        )
        click.echo(shown.to_string(index=False, float_format=lambda x: f"{x:.3f}"), err=True)
        click.echo(
            "low_90 .. high_90: the middle 90% of runs for a level, the 90% confidence "
            "interval for a share",
            err=True,
        )
    click.echo(str(target))


@cli.command()
@click.argument("scenario")
@click.option(
    "--method",
    type=click.Choice(["morris", "sobol"]),
    default="morris",
    show_default=True,
    help="Morris elementary effects (screening) or Sobol' indices (variance shares).",
)
@click.option(
    "--params",
    "params_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="YAML file with `parameters:` a list of key paths, or a mapping of path to "
    "[low, high] [default: every parameter the scenario gives as a distribution].",
)
@click.option(
    "-n",
    "--samples",
    "samples",
    type=click.IntRange(min=2),
    help="Morris trajectories [default: 10] or Sobol' base size N, a power of two [default: 256].",
)
@ensemble_options(20, "replicates of each sample", samples=True)
@horizon_options
@scenario_options
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="Folder [default: results/sensitivity-<time>].",
)
@resume_option("sensitivity analysis")
@friendly
def sensitivity(
    scenario: str,
    method: str,
    params_file: Path | None,
    samples: int | None,
    replicates: int,
    seed: int,
    force: bool,
    workers: int | None,
    chunk_size: int,
    scheduler: str | None,
    no_figures: bool,
    svg: bool,
    quiet: bool,
    years: float | None,
    until: str | None,
    overrides: tuple[str, ...],
    allow_outside: bool,
    out: Path | None,
    resume: Path | None,
) -> None:
    """Global sensitivity analysis of SCENARIO with SALib: which parameters drive the change
    in the focal power's influence, its ally's trust, the ceasefire's survival and the share
    of managed decline. Writes indices.parquet/.csv, samples.parquet and ranked figures
    (one row per sample, never trajectories, so there is no --store). An interrupted
    analysis keeps its finished blocks of runs in <DIR>.partial: the same command with
    --resume DIR continues it.

    \b
    Examples:
      hegemon sensitivity baseline --method morris -n 10 -r 20
      hegemon sensitivity baseline --method sobol -n 512 -r 20 --params my-params.yaml
    """
    from hegemon.analysis.sensitivity import parameter_ranges, sample_count
    from hegemon.api import sensitivity as sensitivity_api
    from hegemon.scenario.loader import load_scenario, read_parameter_list

    extra = horizon_overrides(years, until)
    spec = load_scenario(scenario, [*extra, *overrides], allow_outside=allow_outside)
    params = read_parameter_list(params_file) if params_file else None
    target = resumed_target(resume, out) or default_out("sensitivity")
    dims = len(parameter_ranges(spec, params))
    total = sample_count(method, samples, dims) * replicates
    with progress_bar(total, method, quiet) as bar, executor_for(scheduler) as pool:
        results = sensitivity_api(
            spec,
            method,
            out=target,
            params=params,
            n=samples,
            replicates=replicates,
            seed=seed,
            overwrite=force,
            resume=resume is not None,
            figures=figures_asked(no_figures, svg),
            command=command_line(),
            workers=workers or default_workers(),
            executor=pool,
            chunk_size=chunk_size,
            progress=bar.update,
        )
    indices = results.table("indices")
    if not quiet:
        key = "mu_star" if method == "morris" else "ST"
        top = indices.groupby("output", sort=False).head(5)[["output", "parameter", key]]
        click.echo(f"Most influential parameters ({key}):", err=True)
        click.echo(top.to_string(index=False, float_format=lambda x: f"{x:.3f}"), err=True)
    click.echo(str(target))


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--outcome",
    "expression",
    required=True,
    metavar="EXPR",
    help="The cases of interest: COLUMN OP VALUE with OP one of = != < <= > >=, e.g. "
    "regime=managed_decline, ceasefire_weeks<52, influence_change__Russia<-0.05.",
)
@click.option(
    "--method",
    type=click.Choice(["prim", "cart"]),
    default="prim",
    show_default=True,
    help="PRIM (peeling, with covering) or CART (a classification tree's leaves).",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="Folder [default: results/discover-<time>].",
)
@click.option("--force", is_flag=True, help="Replace the output folder if it exists.")
@figure_options
@click.option("-q", "--quiet", is_flag=True, help="No summary.")
@friendly
def discover(
    folder: Path,
    expression: str,
    method: str,
    out: Path | None,
    force: bool,
    no_figures: bool,
    svg: bool,
    quiet: bool,
) -> None:
    """Scenario discovery: under which assumptions does an outcome happen? Finds boxes of
    the parameters of a results FOLDER (a run of a scenario with distributions, a sweep or
    a sensitivity analysis) that hold most of the cases of interest and little else; writes
    boxes.csv, stats.csv, trajectory.csv and figures (needs: pip install 'hegemon[discover]').

    \b
    Examples:
      hegemon discover results/baseline --outcome regime=managed_decline
      hegemon discover results/baseline --outcome 'ceasefire_weeks<52' --method cart
    """
    from hegemon.analysis.discovery import summary
    from hegemon.api import discover as discover_api
    from hegemon.plots.sensitivity import parameter_label

    results = discover_api(
        folder,
        expression,
        method,
        out=out or default_out("discover"),
        overwrite=force,
        figures=figures_asked(no_figures, svg),
        command=command_line(),
    )
    if not quiet:
        info = results.manifest
        lines = summary(
            info["outcome_words"],
            results.table("boxes"),
            results.table("stats"),
            base_rate=info["base_rate"],
            n=info["rows"],
            unit=info["unit"],
            label=parameter_label,
        )
        click.echo("\n".join(lines), err=True)
    click.echo(str(results.path))


@cli.command()
@click.argument("results", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--observations",
    metavar="FILE",
    help="Observations CSV (a file or a bundled name) [default: the one the results' "
    "scenario names].",
)
@click.option(
    "--since",
    callback=parse_date,
    metavar="DATE",
    help="Score only observations dated on or after DATE (YYYY-MM-DD): the out-of-sample part.",
)
@click.option(
    "--reference",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="A results folder to compute the skill against.",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="Score folder [default: results/score-<time>].",
)
@click.option("--force", is_flag=True, help="Replace the output folder if it exists.")
@click.option(
    "--allow-outside",
    is_flag=True,
    help="Let the scenario's observations: name a file outside the results folder.",
)
@click.option("-q", "--quiet", is_flag=True, help="No table.")
@friendly
def score(
    results: Path,
    observations: str | None,
    since: str | None,
    reference: Path | None,
    out: Path | None,
    force: bool,
    allow_outside: bool,
    quiet: bool,
) -> None:
    """Score the ensemble of a RESULTS folder against observations: per observation the
    median, 50% and 90% bands, CRPS (Brier for a binary state) and log score; totals and
    coverage; with --reference, the skill against another results folder. Writes a score
    folder (never into RESULTS); prints the table on stderr and the folder on stdout.

    \b
    Examples:
      hegemon score results/baseline-20250101-120000
      hegemon score results/base --since 2022-01-01 --reference results/no-pk -o results/s
    """
    from hegemon.analysis.scores import format_scores
    from hegemon.api import score as score_api

    if out is not None and out.resolve() == results.resolve():
        raise click.UsageError("-o must name a new folder, not RESULTS")
    scored = score_api(
        results,
        observations,
        since=since,
        reference=reference,
        out=out or default_out("score"),
        overwrite=force,
        allow_outside=allow_outside,
        command=command_line(),
    )
    if not quiet:
        table = scored.scores
        approx = table[table["ensemble"] == "summary quantiles"]
        if len(approx):
            click.echo(
                f"note: {len(approx)} observation(s) scored from the summary's quantiles "
                "(no timeseries): CRPS and bands are approximate; rerun with --store full "
                "for exact scores",
                err=True,
            )
        with pd_display():
            click.echo(f"\n{format_scores(table, scored.totals)}\n", err=True)
    click.echo(str(scored.path))


@cli.command()
@click.argument("scenario")
@click.option(
    "--observations",
    metavar="FILE",
    help="Observations CSV (a file or a bundled name) [default: the one SCENARIO names].",
)
@click.option(
    "--cutoff",
    required=True,
    callback=parse_date,
    metavar="DATE",
    help="Calibrate on the observations dated on or before DATE (YYYY-MM-DD); later ones "
    "are the forecast's test.",
)
@click.option(
    "--params",
    "params_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="YAML file with `parameters:` a list of key paths, or a mapping of path to "
    "[low, high] [default: the scenario's calibration: block].",
)
@click.option(
    "-n",
    "--particles",
    type=click.IntRange(min=20),
    help="Particles of the sampler [default: the calibration: block's, else 2,000].",
)
@click.option(
    "--repeats",
    type=click.IntRange(min=1, max=64),
    help="Trajectories per particle [default: the calibration: block's, else 1].",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Random seed; the same seed gives the same posterior, bit for bit.",
)
@click.option(
    "--predictive",
    type=click.IntRange(min=0),
    help="Replicates of the posterior predictive run [default: the particles, at most "
    "1,000; 0 for none].",
)
@click.option("--force", is_flag=True, help="Replace the output folder if it exists.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Processes to run blocks of particles on [default: the cores; 1 runs in-process].",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Run blocks on a Dask cluster at ADDRESS (pip install 'hegemon[dask]').",
)
@figure_options
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or table.")
@scenario_options
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="Calibrate folder [default: results/calibrate-<time>].",
)
@friendly
def calibrate(
    scenario: str,
    observations: str | None,
    cutoff: str,
    params_file: Path | None,
    particles: int | None,
    repeats: int | None,
    seed: int,
    predictive: int | None,
    force: bool,
    workers: int | None,
    scheduler: str | None,
    no_figures: bool,
    svg: bool,
    quiet: bool,
    overrides: tuple[str, ...],
    allow_outside: bool,
    out: Path | None,
) -> None:
    """Calibrate SCENARIO's uncertain parameters (its calibration: block, or --params) to
    the observations up to --cutoff by sequential Monte Carlo through the vectorized engine.
    Writes posterior.parquet, calibrated.yaml (run it: its replicates replay the accepted
    particles' past and forecast onward), a posterior predictive run and figures.

    \b
    Examples:
      hegemon calibrate baseline --cutoff 2022-12-31 -o results/calibrated
      hegemon run results/calibrated/calibrated.yaml -r 1000 -o results/forecast
    """
    from hegemon.api import calibrate as calibrate_api
    from hegemon.scenario.loader import read_parameter_list

    params = read_parameter_list(params_file) if params_file else None
    target = out or default_out("calibrate")
    if target.exists() and not force:
        raise HegemonError(f"{target}: already exists; choose another folder or pass --force")
    bar = progress_bar(runs_hint(scenario, particles, repeats), "calibrate", quiet)
    with bar, executor_for(scheduler) as pool:
        results = calibrate_api(
            scenario,
            observations,
            cutoff=cutoff,
            out=target,
            params=params,
            particles=particles,
            repeats=repeats,
            seed=seed,
            predictive=predictive,
            overrides=overrides,
            allow_outside=allow_outside,
            overwrite=force,
            figures=figures_asked(no_figures, svg),
            workers=workers or default_workers(),
            executor=pool,
            progress=bar.update,
            command=command_line(),
        )
    if not quiet:
        table = results.parameters[
            ["parameter", "prior_q05", "prior_q95", "posterior_q05", "posterior_q50",
             "posterior_q95", "width_ratio"]
        ]  # fmt: skip
        info = results.manifest
        click.echo(
            f"\nPosterior of {info['particles']} particles ({info['unique_particles']} "
            f"distinct), {info['observations_count']} observations up to {info['cutoff']}, "
            f"{info['generations']} generations, {info['simulations']:,} simulations:\n"
            f"{table.to_string(index=False, float_format=lambda x: f'{x:.3f}')}\n"
            f"Run the forecast: hegemon run {results.calibrated}\n",
            err=True,
        )
    click.echo(str(results.path))


def runs_hint(scenario: str, particles: int | None, repeats: int | None) -> int:
    """About how many runs a calibration takes (for the progress bar's length): some twenty
    blocks of particles times repeats (the sampler decides how many it needs)."""
    try:
        from hegemon.scenario.loader import load_scenario

        block = load_scenario(scenario).calibration
    except (ScenarioError, HegemonError):
        block = None
    n = particles or (block.particles if block is not None else 2000)
    m = repeats or (block.repeats if block is not None else 1)
    return 20 * n * m


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--format",
    "format_",
    type=click.Choice(["csv", "xlsx"]),
    default="csv",
    show_default=True,
    help="A folder of CSV files (every table), or one Excel workbook (the tables that fit "
    "in a sheet; needs: pip install 'hegemon[export]').",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="The folder of CSV files, or the workbook (.xlsx), to write.",
)
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@friendly
def export(folder: Path, format_: str, out: Path, force: bool) -> None:
    """Export the tables of a results FOLDER for spreadsheets: every table as CSV, or an
    Excel workbook with the summary, outcomes and events (the trajectories where they fit
    in a sheet, or wide by replicate) and an 'about' sheet saying what it left to the CSV.

    \b
    Examples:
      hegemon export results/baseline --format csv -o baseline-csv
      hegemon export results/baseline --format xlsx -o baseline.xlsx
    """
    from hegemon.api import export as export_api

    click.echo(str(export_api(folder, format_, out=out, overwrite=force)))  # type: ignore[arg-type]


@cli.command()
@click.argument("files", nargs=-1, required=True)
@scenario_options
@friendly
def validate(files: tuple[str, ...], overrides: tuple[str, ...], allow_outside: bool) -> None:
    """Check scenario FILES (or bundled names) and the observations file each names, or
    observations files (.csv); exit 0 when all are valid, otherwise print one line per
    problem and exit 2. (Observations' actors are checked against a run's scenario by
    hegemon score.)

    \b
    Examples:
      hegemon validate scenarios/*.yaml
      hegemon validate my-observations.csv
    """
    from hegemon.scenario.loader import scenario_observations
    from hegemon.scenario.observations import read_observations

    problems = []
    for name in files:
        found: list[Problem] = []
        try:
            if name.endswith(".csv"):
                read_observations(name)
            else:
                # the observations file itself; its actors are checked against the
                # scenario's by `hegemon score`, so that a valid scenario always validates
                _, file = scenario_observations(
                    name, overrides, allow_outside=allow_outside, warnings=found
                )
                if file is not None:
                    read_observations(file)
        except ScenarioError as err:
            problems.extend(err.problems)
        else:
            warn(found)
            click.echo(f"ok: {name}", err=True)
    if problems:
        raise ScenarioError(problems)


@cli.command()
@click.argument("scenario", default="baseline")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port to serve on.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (127.0.0.1: this machine only).",
)
@friendly
def dashboard(scenario: str, port: int, host: str) -> None:
    """Serve the interactive dashboard in the browser (needs: pip install 'hegemon[dashboard]').

    \b
    Examples:
      hegemon dashboard                       # http://127.0.0.1:8765
      hegemon dashboard no_peacekeepers --port 9000
    """
    from hegemon.dashboard import serve

    sys.exit(serve(scenario, host=host, port=port))


@cli.command()
def scenarios() -> None:
    """List the bundled scenarios with the question each asks.

    \b
    Example:
      hegemon scenarios
    """
    from hegemon.scenario.loader import bundled_names, load_scenario

    names = bundled_names()
    width = max(len(n) for n in names)
    for name in names:
        click.echo(f"{name.ljust(width)}  {load_scenario(name).question}")


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors' completion and checks).

    \b
    Example:
      hegemon schema > hegemon-scenario.schema.json
    """
    import json

    from hegemon.scenario.schema import Scenario

    schema = {"$schema": JSON_SCHEMA_DIALECT, **Scenario.model_json_schema()}
    click.echo(json.dumps(schema, indent=2))


class pd_display:
    """Wide pandas output for tables printed to the terminal."""

    def __enter__(self) -> None:
        import pandas as pd

        self._ctx = pd.option_context("display.width", 200, "display.max_colwidth", 60)
        self._ctx.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


class _Silent:
    """A progress bar that shows nothing."""

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


def terminated(signum: int, frame: Any) -> None:
    """SIGTERM ends a command as Ctrl-C does: the run stops its workers and keeps what it
    finished, and the command says what was kept (exit status 143)."""
    from hegemon.errors import Interrupted

    raise Interrupted("", signum)


def main() -> None:
    signal.signal(signal.SIGTERM, terminated)
    cli(prog_name="hegemon")

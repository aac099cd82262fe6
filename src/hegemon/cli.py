"""The command line: a thin shell over the Python API (``hegemon.api``).

Output for people (tables, progress, errors) goes to stderr; paths go to stdout, so that
commands compose in a shell. Bad input gives one line per problem and exit status 2; a
failure while running gives one line and exit status 1; never a traceback.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from hegemon.errors import HegemonError, ScenarioError

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


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
        except HegemonError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(EXIT_FAILURE)
        except KeyboardInterrupt:
            click.echo("interrupted: nothing was written", err=True)
            sys.exit(130)

    return wrapper


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


@cli.command()
@click.argument("scenario", default="baseline")
@click.option("-r", "--replicates", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Number of Monte Carlo replicates.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Random seed; the same seed gives the same results, bit for bit.")
@click.option("--years", type=click.FloatRange(min=0, min_open=True, max=50),
              help="Horizon in years from the scenario's start.")
@click.option("--until", callback=parse_date, help="End date YYYY-MM-DD (instead of --years).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a scenario value, e.g. actors.Russia.resolve=0.9 (repeatable).")
@click.option("-o", "--out", type=click.Path(path_type=Path),
              help="Results folder [default: results/<scenario>-<time>].")
@click.option("--force", is_flag=True, help="Replace the results folder if it exists.")
@click.option("--store", type=click.Choice(["full", "summary"]), default="full",
              show_default=True, help="Keep every trajectory, or only the summary.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes to run chunks of replicates on.")
@click.option("--no-figures", is_flag=True, help="Skip drawing figures.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or table.")
@friendly
def run(
    scenario: str,
    replicates: int,
    seed: int,
    years: float | None,
    until: str | None,
    overrides: tuple[str, ...],
    out: Path | None,
    force: bool,
    store: str,
    workers: int,
    no_figures: bool,
    quiet: bool,
) -> None:
    """Run SCENARIO (a YAML file or a bundled name; default: baseline) as an ensemble and
    write a results folder; prints headline numbers and the folder's path.

    \b
    Examples:
      hegemon run
      hegemon run scenarios/baseline.yaml -r 500 --seed 7 --years 3 -o results/short
    """
    from hegemon.analysis.headline import format_table
    from hegemon.api import run as run_api
    from hegemon.scenario.loader import load_scenario

    if years is not None and until is not None:
        raise click.UsageError("give --years or --until, not both")
    extra = [f"horizon_years={years}", "until=null"] if years is not None else []
    extra += [f"until={until}"] if until is not None else []
    spec = load_scenario(scenario, [*extra, *overrides])
    target = out or Path("results") / f"{spec.name}-{dt.datetime.now():%Y%m%d-%H%M%S}"
    if target.exists() and not force:
        raise HegemonError(f"{target}: already exists; choose another folder or pass --force")
    show = not quiet and sys.stderr.isatty()
    with click.progressbar(length=replicates, label=f"{spec.name}", file=sys.stderr,
                           show_eta=True, show_pos=True) if show else _Silent() as bar:
        results = run_api(spec, replicates, seed, store=store, workers=workers,
                          progress=bar.update, command=" ".join(["hegemon", *sys.argv[1:]]))
    path = results.save(target, overwrite=force, figures=not no_figures)
    if not quiet:
        click.echo(f"\n{spec.title or spec.name}\n{format_table(results.headline())}\n", err=True)
    click.echo(str(path))


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("-o", "--out", type=click.Path(path_type=Path),
              help="Where to write the figures [default: FOLDER/figures].")
@friendly
def plot(folder: Path, out: Path | None) -> None:
    """Redraw the figures of a results FOLDER from its tables alone.

    \b
    Example:
      hegemon plot results/baseline-20201110-000000
    """
    from hegemon.results import Results

    results = Results.load(folder)
    for path in results.figures(out or folder / "figures"):
        click.echo(str(path))


class _Silent:
    """A progress bar that shows nothing."""

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


def main() -> None:
    cli(prog_name="hegemon")

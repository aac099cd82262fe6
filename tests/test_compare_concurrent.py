"""A comparison of short runs with figures runs its scenarios on the figures' workers (the
first here, the rest there, each written into its folder by the process that runs it): the
folders are the serial ones, file for file; a scenario a worker has not started runs here;
an interruption stops the workers and the comparison resumes to the same folder."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import Executor
from pathlib import Path

import pytest

import hegemon
import hegemon.plots.jobs as jobs
from hegemon.errors import Interrupted

SCENARIOS = ["baseline", "no_peacekeepers", "russia_assertive", "turkey_restrained"]
SETTINGS = {"replicates": 12, "seed": 3, "overrides": ["horizon_years=1"]}


def contents(folder: Path) -> dict[str, bytes]:
    """Every file of a comparison folder but what names the time or the command."""
    skip = {"manifest.json", "report.html"}
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in skip
    }


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serial") / "cmp"
    hegemon.compare(SCENARIOS, out=out, workers=1, **SETTINGS)
    return out


class Recording(Executor):
    """An executor that passes work on to ``pool`` and notes what it was given."""

    def __init__(self, pool: Executor, names: list[str]):
        self.pool, self.names = pool, names

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        self.names.append(fn.__name__)
        return self.pool.submit(fn, *args, **kwargs)


@pytest.fixture
def submitted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions sent to the figures' pool."""
    names: list[str] = []
    real = jobs.figure_pool

    @contextlib.contextmanager
    def recording(workers: int, also=()) -> Iterator[Executor]:  # type: ignore[no-untyped-def]
        with real(workers, also) as pool:
            yield Recording(pool, names)

    monkeypatch.setattr(jobs, "figure_pool", recording)
    return names


@pytest.mark.timeout(600)
def test_the_scenarios_run_on_the_figure_workers_as_they_run_here(serial, tmp_path, submitted):
    out = tmp_path / "cmp"
    hegemon.compare(SCENARIOS, out=out, workers=2, **SETTINGS)
    assert submitted.count("_run_into") == len(SCENARIOS) - 1  # the first ran here
    assert contents(out) == contents(serial)


def test_without_figures_or_with_one_worker_the_runs_stay_here(tmp_path, submitted):
    hegemon.compare(SCENARIOS[:2], out=tmp_path / "a", workers=2, figures=False, **SETTINGS)
    hegemon.compare(SCENARIOS[:2], out=tmp_path / "b", workers=1, **SETTINGS)
    assert "_run_into" not in submitted


@pytest.mark.timeout(600)
def test_an_interrupted_concurrent_comparison_resumes_to_the_serial_one(
    serial, tmp_path, monkeypatch
):
    out = tmp_path / "cmp"
    calls = []

    def progress(n: int) -> None:  # the first scenario has run here, the rest are on the pool
        calls.append(n)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted, match="--resume"):
        hegemon.compare(SCENARIOS, out=out, workers=2, progress=progress, **SETTINGS)
    assert not out.exists() and out.with_name("cmp.partial").is_dir()
    hegemon.compare(SCENARIOS, out=out, workers=2, resume=True, **SETTINGS)
    assert contents(out) == contents(serial)


def test_a_run_draws_on_the_pool_started_ahead_of_it(tmp_path, monkeypatch):
    made = []
    real = jobs._start
    monkeypatch.setattr(jobs, "_start", lambda *a: made.append(a) or real(*a))
    with jobs.figure_pool_ahead(2):
        assert len(made) == 1
        results = hegemon.run("baseline", out=tmp_path / "r", figures=True, workers=2,
                              **SETTINGS)  # fmt: skip
        assert not jobs._STARTED  # taken by the run, which started no other pool
    assert len(made) == 1 and (results.path / "figures" / "influence.png").is_file()


def test_workers_started_ahead_and_never_used_are_stopped_with_the_block():
    with jobs.figure_pool_ahead(2):
        pool, starting = jobs._STARTED[2, ()]
        starting.join()
        workers = list(pool._processes.values())  # type: ignore[attr-defined]
        assert workers and all(w.is_alive() for w in workers)
    assert not jobs._STARTED
    for worker in workers:
        worker.join(10)
        assert not worker.is_alive()


@pytest.mark.timeout(120)
def test_a_run_that_fails_after_its_workers_started_says_one_line(tmp_path):
    import subprocess
    import sys

    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    found = subprocess.run(
        [sys.executable, "-m", "hegemon", "run", "-r", "10", "--workers", "2", "-o", taken],
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert found.returncode == 1
    assert found.stderr.count("\n") == 1 and found.stderr.startswith("error: "), found.stderr
    assert (taken / "notes.txt").read_text() == "mine"


def test_a_comparison_draws_and_runs_on_the_pool_the_cli_starts_ahead(tmp_path, monkeypatch):
    made = []
    real = jobs._start
    monkeypatch.setattr(jobs, "_start", lambda *a: made.append(a) or real(*a))
    with jobs.figure_pool_ahead(2, ("hegemon.api",)):  # as `hegemon compare` does
        hegemon.compare(SCENARIOS[:2], out=tmp_path / "cmp", workers=2, **SETTINGS)
        assert not jobs._STARTED  # taken by the comparison, which started no other pool
    assert len(made) == 1


def test_plot_draws_on_workers_started_ahead_the_files_drawn_alone(tmp_path):
    from click.testing import CliRunner

    from hegemon.cli import cli, folder_kind

    results = hegemon.run("baseline", out=tmp_path / "r", figures=True, workers=1, **SETTINGS)
    assert folder_kind(results.path) == "run"
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "manifest.json").write_text("[1, 2]")
    assert folder_kind(tmp_path / "odd") is None and folder_kind(tmp_path) is None
    found = CliRunner().invoke(cli, ["plot", str(results.path), "-o", str(tmp_path / "again")])
    assert found.exit_code == 0, found.output
    assert not jobs._STARTED
    alone = {p.name: p.read_bytes() for p in (results.path / "figures").iterdir()}
    again = {p.name: p.read_bytes() for p in (tmp_path / "again").iterdir()}
    assert again == alone and len(again) == 10


@pytest.mark.parametrize("made", [(), ("outcomes", "events", "sums", "sample", "timeseries")])
def test_a_scenario_stopped_before_its_record_starts_afresh_on_resume(serial, tmp_path, made):
    """A worker stopped between making a run's folders and writing its record leaves a
    ``.partial`` folder (empty, or with the run's empty folders) with nothing to continue:
    resuming runs that scenario afresh."""
    out = tmp_path / "cmp"
    calls = []

    def progress(n: int) -> None:
        calls.append(n)
        if len(calls) == 1:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted, match="--resume"):
        hegemon.compare(SCENARIOS, out=out, workers=1, progress=progress, **SETTINGS)
    work = out.with_name("cmp.partial")
    assert not (work / f"{SCENARIOS[-1]}.partial").exists()  # not reached: made stale here
    stale = work / f"{SCENARIOS[-1]}.partial"
    stale.mkdir()
    for sub in made:
        (stale / "_work" / sub).mkdir(parents=True)
    hegemon.compare(SCENARIOS, out=out, workers=2, resume=True, **SETTINGS)
    assert contents(out) == contents(serial)

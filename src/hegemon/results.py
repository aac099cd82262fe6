"""Results of a run as tables, and the results folder that stores them.

A results folder (schema in docs/results.md) holds ``manifest.json``, the resolved
``scenario.yaml``, Parquet tables ``timeseries``, ``summary``, ``events`` and ``outcomes``,
and ``figures/``. It is written beside the target and renamed into place when complete, so
a folder that exists is always whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from hegemon.analysis.headline import headline_rows
from hegemon.analysis.regimes import REGIMES
from hegemon.ensemble.tables import categorize
from hegemon.errors import HegemonError
from hegemon.scenario.schema import Scenario

TABLES = ("summary", "timeseries", "events", "outcomes")
DEPENDENCIES = ("mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "matplotlib", "click")


def scenario_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML text (what the sha256 in the manifest is taken of):
    ``extends:`` is already applied, so the text stands alone."""
    data = scenario.model_dump(mode="json", exclude_none=True, exclude={"extends"})
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


class Results:
    """A results folder, read lazily: the tables are pandas DataFrames in the schema of
    docs/results.md, loaded on first use."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        manifest = self.path / "manifest.json"
        if not manifest.is_file():
            raise HegemonError(f"{self.path}: not a results folder (no manifest.json)")
        self.manifest: dict[str, Any] = json.loads(manifest.read_text())
        for name in ("summary", "events", "outcomes"):
            if not (self.path / f"{name}.parquet").exists():
                raise HegemonError(f"{self.path}: incomplete results folder (no {name}.parquet)")
        self._tables: dict[str, pd.DataFrame | None] = {}
        self._scenario: Scenario | None = None

    @classmethod
    def load(cls, path: Path | str) -> Results:
        """Read a results folder."""
        return cls(path)

    # ---- reading

    @property
    def scenario(self) -> Scenario:
        """The resolved scenario the results were produced with."""
        if self._scenario is None:
            from hegemon.scenario.loader import validate
            from hegemon.scenario.yamldoc import read_yaml

            self._scenario = validate(read_yaml(self.path / "scenario.yaml"))
        return self._scenario

    @property
    def name(self) -> str:
        return str(self.manifest["scenario"])

    def _table(self, name: str) -> pd.DataFrame | None:
        if name not in self._tables:
            file = self.path / f"{name}.parquet"
            table = categorize(pd.read_parquet(file)) if file.exists() else None
            if table is not None and "regime" in table:
                table["regime"] = pd.Categorical(table["regime"], categories=REGIMES)
            self._tables[name] = table
        return self._tables[name]

    @property
    def summary(self) -> pd.DataFrame:
        """Per scenario, step, metric, actor and target: mean and quantiles over replicates."""
        return self._table("summary")  # type: ignore[return-value]

    @property
    def events(self) -> pd.DataFrame:
        """Every event of every replicate."""
        return self._table("events")  # type: ignore[return-value]

    @property
    def outcomes(self) -> pd.DataFrame:
        """One row per replicate: scalar outcomes, drawn parameters and the regime."""
        return self._table("outcomes")  # type: ignore[return-value]

    @property
    def timeseries(self) -> pd.DataFrame | None:
        """Every trajectory in long format (None when run with ``store="summary"``)."""
        return self._table("timeseries")

    def series(
        self, metric: str, actor: str | None = None, target: str | None = None
    ) -> pd.DataFrame:
        """One series of every replicate, wide: a row per date, a column per replicate
        (needs ``store="full"``).

        >>> results.series("trust", "Armenia", "Russia")  # doctest: +SKIP
        """
        ts = self.timeseries
        if ts is None:
            raise HegemonError(f"{self.path}: run with store='full' to keep every trajectory")
        rows = ts[ts["metric"] == metric]
        for column, value in (("actor", actor), ("target", target)):
            rows = rows[rows[column].isna()] if value is None else rows[rows[column] == value]
        if rows.empty:
            raise HegemonError(f"no series {metric!r} for actor {actor!r}, target {target!r}")
        return rows.pivot(index="date", columns="replicate", values="value")

    def headline(self) -> list[tuple[str, str]]:
        """The headline numbers: (label, value) rows for a short table."""
        return headline_rows(self.summary, self.outcomes, self.scenario)

    def figures(self, out_dir: Path | str, formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
        """Draw the standard figures into ``out_dir``."""
        from hegemon.plots import draw_all

        return draw_all(
            self.summary,
            self.outcomes,
            Path(out_dir),
            formats=formats,
            focal_power=self.scenario.focus.power,
        )

    # ---- copying

    def save(self, path: Path | str, *, overwrite: bool = False, figures: bool = True) -> Path:
        """Copy the results folder to ``path`` (atomically), drawing the figures if asked and
        absent; refuse to replace an existing folder unless ``overwrite``."""
        with atomic_folder(Path(path), overwrite=overwrite) as staging:
            shutil.copytree(self.path, staging, dirs_exist_ok=True)
            if figures and not (staging / "figures").is_dir():
                self.figures(staging / "figures")
        return Path(path)


@contextlib.contextmanager
def atomic_folder(target: Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; when the block ends without error,
    rename it to ``target`` (replacing it only if ``overwrite``); on error remove it. So a
    folder at ``target`` is always complete."""
    check_target(target, overwrite=overwrite)
    staging = staging_folder(target)
    try:
        yield staging
        move_into_place(staging, target, overwrite=overwrite)
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise HegemonError(f"{target}: cannot write: {err.strerror or err}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def check_target(target: Path, *, overwrite: bool) -> None:
    """Refuse a folder to write that is a symbolic link, or exists without ``overwrite``."""
    if target.is_symlink():
        raise HegemonError(f"{target}: is a symbolic link; refusing to write through it")
    if target.exists() and not overwrite:
        raise HegemonError(
            f"{target}: already exists; choose another folder or pass --force to replace it"
        )


def staging_folder(target: Path) -> Path:
    """An empty temporary folder beside ``target``, on the same file system."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    except OSError as err:
        raise HegemonError(
            f"{target.parent}: cannot create the results folder: {err.strerror or err}"
        ) from None


def move_into_place(staging: Path, target: Path, *, overwrite: bool) -> None:
    """Rename a complete ``staging`` folder to ``target``, replacing it if ``overwrite``."""
    if target.exists():
        if not overwrite:
            raise HegemonError(f"{target}: already exists")
        trash = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        os.replace(target, trash / target.name)
        os.replace(staging, target)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(staging, target)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def make_manifest(
    scenario: Scenario,
    *,
    seed: int,
    replicates: int,
    store: str,
    command: str | None,
    resolved: str | None = None,
) -> dict[str, Any]:
    """Everything needed to reproduce a run and to know what produced it (``resolved``: the
    scenario's YAML text, if already made)."""
    return {
        "scenario": scenario.name,
        "scenario_sha256": hashlib.sha256(
            (resolved or scenario_yaml(scenario)).encode()
        ).hexdigest(),
        "seed": seed,
        "replicates": replicates,
        "store": store,
        "start": scenario.start.isoformat(),
        "end": scenario.end.isoformat(),
        "steps": scenario.steps,
        "step": scenario.step,
        "versions": dict(versions()),
        "git_commit": git_commit(),
        "command": command if command is not None else " ".join(sys.argv),
        "start_time": now(),
    }


@functools.cache
def versions() -> dict[str, str | None]:
    """The versions of Python, hegemon and its dependencies (read once per process)."""
    found: dict[str, str | None] = {"python": sys.version.split()[0]}
    for dist in ("hegemon", *DEPENDENCIES):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    return found


def git_commit() -> str | None:
    """The commit of the hegemon source tree, when it is a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None

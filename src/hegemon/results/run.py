"""The results of one run: a results folder read lazily as tables.

A run's folder (schema in docs/results.md) holds ``manifest.json``, the resolved
``scenario.yaml``, Parquet tables ``timeseries``, ``summary``, ``events`` and ``outcomes``,
and ``figures/``; :mod:`hegemon.results.folder` writes it atomically.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from hegemon.analysis.headline import headline_rows
from hegemon.analysis.regimes import REGIMES
from hegemon.ensemble.tables import categorize
from hegemon.errors import HegemonError
from hegemon.results.folder import atomic_folder, read_manifest
from hegemon.scenario.schema import Scenario


class Results:
    """A results folder, read lazily: the tables are pandas DataFrames in the schema of
    docs/results.md, loaded on first use."""

    def __init__(self, path: Path | str, manifest: dict[str, Any] | None = None):
        self.path = Path(path)
        self.manifest: dict[str, Any] = manifest or read_manifest(self.path, "run")
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

    # ---- copying

    def save(
        self,
        path: Path | str,
        *,
        overwrite: bool = False,
        figures: Callable[[Results, Path], Any] | None = None,
    ) -> Path:
        """Copy the results folder to ``path`` (atomically); refuse to replace an existing
        folder unless ``overwrite``. ``figures(results, folder)``, when given, draws into the
        copy before it is moved into place (``hegemon.save`` passes the standard figures)."""
        with atomic_folder(Path(path), overwrite=overwrite) as staging:
            shutil.copytree(self.path, staging, dirs_exist_ok=True)
            if figures:
                figures(Results(staging), staging)
        return Path(path)

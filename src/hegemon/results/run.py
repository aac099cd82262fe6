"""The results of one run: a results folder read lazily as tables.

A run's folder (schema in docs/results.md) holds ``manifest.json``, the resolved
``scenario.yaml``, Parquet tables ``timeseries``, ``summary``, ``events`` and ``outcomes``,
and ``figures/``; :mod:`hegemon.results.folder` writes it atomically.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hegemon.analysis.headline import headline_rows
from hegemon.analysis.regimes import REGIMES
from hegemon.ensemble.tables import categorize
from hegemon.errors import HegemonError
from hegemon.results.folder import atomic_folder, read_manifest
from hegemon.scenario.schema import Scenario


def _name(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


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
            self._tables[name] = self._read(name)
        return self._tables[name]

    def _read(self, name: str, columns: list[str] | None = None) -> pd.DataFrame | None:
        file = self.path / f"{name}.parquet"
        table = categorize(pd.read_parquet(file, columns=columns)) if file.exists() else None
        if table is not None and "regime" in table:
            table["regime"] = pd.Categorical(table["regime"], categories=REGIMES)
        return table

    def columns(self, name: str, columns: Sequence[str]) -> pd.DataFrame | None:
        """Only ``columns`` of the table ``name`` (``"events"``, say): from memory if the
        whole table is loaded already, else read from its file and not kept, so that a
        large table costs only the columns asked for."""
        whole = self._tables.get(name)
        if whole is not None:
            return whole[list(columns)]
        return None if name in self._tables else self._read(name, list(columns))

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

    def values_at(
        self, series: list[tuple[str, str | None, str | None, int]]
    ) -> dict[tuple[str, str | None, str | None, int], np.ndarray]:
        """Every replicate's value of each (metric, actor, target, step) of ``series``, in
        replicate order, read from ``timeseries`` with filters (only the rows needed), or {}
        without trajectories. A series the folder does not hold is absent from the result."""
        file = self.path / "timeseries.parquet"
        if not series or not file.exists():
            return {}
        metrics = sorted({m for m, _, _, _ in series})
        steps = sorted({int(s) for _, _, _, s in series})
        rows = pd.read_parquet(
            file,
            columns=["replicate", "step", "metric", "actor", "target", "value"],
            filters=[("metric", "in", metrics), ("step", "in", steps)],
        )
        for column in ("metric", "actor", "target"):
            rows[column] = rows[column].astype(object).where(rows[column].notna(), None)
        out = {}
        groups = rows.groupby(["metric", "actor", "target", "step"], dropna=False, sort=False)
        for (metric, actor, target, step), group in groups:
            key = (metric, _name(actor), _name(target), int(step))
            out[key] = group.sort_values("replicate")["value"].to_numpy(float)
        return {key: out[key] for key in series if key in out}

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

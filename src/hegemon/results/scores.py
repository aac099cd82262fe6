"""Score folders: a run scored against observations (``hegemon score``).

A score folder holds ``scores.parquet``/``.csv`` (one row per observation: the observation,
whether and why not it was scored, the predictive median and bands, coverage, CRPS, Brier
and log scores, and with a reference its scores and the skill), ``totals.parquet``/``.csv``
(per metric and overall), a copy of the observations file used (``observations.csv``), the
scored run's ``scenario.yaml`` and ``manifest.json`` (``kind`` ``"score"``, with the scored
folder, the observations' sha256, the observation model's parameters and the reference).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from hegemon.results.folder import TableFolder, atomic_folder, make_manifest, write_manifest
from hegemon.scenario.schema import Scenario

TABLES = ("scores", "totals")


class ScoreResults(TableFolder):
    """A score folder, read lazily: ``scores`` and ``totals`` as DataFrames."""

    kinds = ("score",)

    @property
    def scores(self) -> pd.DataFrame:
        """One row per observation."""
        return self.table("scores")

    @property
    def totals(self) -> pd.DataFrame:
        """Per metric and for all scored observations (``group`` "all")."""
        return self.table("totals")

    @property
    def scenario(self) -> Scenario:
        from hegemon.scenario.loader import validate
        from hegemon.scenario.yamldoc import read_yaml

        return validate(read_yaml(self.path / "scenario.yaml"))

    @classmethod
    def save(
        cls,
        path: Path | str,
        scenario: Scenario,
        scores: pd.DataFrame,
        totals: pd.DataFrame,
        *,
        scenario_text: str,
        observations_file: Path,
        run_manifest: dict[str, Any],
        overwrite: bool = False,
        command: str | None = None,
        **manifest: Any,
    ) -> ScoreResults:
        """Write a score folder atomically; ``manifest`` adds to the manifest."""
        with atomic_folder(Path(path), overwrite=overwrite) as folder:
            for name, table in (("scores", scores), ("totals", totals)):
                table.to_parquet(folder / f"{name}.parquet", index=False)
                table.to_csv(folder / f"{name}.csv", index=False)
            shutil.copyfile(observations_file, folder / "observations.csv")
            (folder / "scenario.yaml").write_text(scenario_text, encoding="utf-8")
            info = make_manifest(
                scenario,
                kind="score",
                seed=run_manifest.get("seed", 0),
                replicates=run_manifest.get("replicates", 0),
                store=run_manifest.get("store", "summary"),
                command=command,
                resolved=scenario_text,
            )
            write_manifest(folder, info | manifest)
        return cls(path)

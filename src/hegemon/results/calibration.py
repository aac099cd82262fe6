"""Calibrate folders: the posterior of a scenario's uncertain parameters (``hegemon calibrate``).

A calibrate folder holds ``posterior.parquet`` (the accepted particles: ``particle``,
``weight``, ``replicate``, one column per calibrated parameter, ``loglik`` and the simulated
value of every observation used, ``simulated:line<N>``), ``parameters.parquet``/``.csv``
(prior and posterior summaries per parameter), ``generations.parquet``/``.csv`` (the
sampler's schedule), ``observations.csv`` (a copy of the observations file used) and
``observations_used.csv`` (every row, whether it was used and why not), the resolved
``scenario.yaml``, ``calibrated.yaml`` (a scenario that extends the calibrated one and draws
its parameters from the posterior, replaying the particles' past), ``predictive/`` (a run
folder of ``calibrated.yaml``: the posterior predictive), ``figures/`` and ``manifest.json``
(``kind`` ``"calibrate"``, with the cut-off, the seed, the particles, the sha256 of the
posterior table and of the observations, and the method).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from hegemon.results.folder import (
    TableFolder,
    atomic_folder,
    make_manifest,
    scenario_yaml,
    write_manifest,
)
from hegemon.scenario.posterior import file_sha256
from hegemon.scenario.schema import Scenario

TABLES = ("parameters", "generations")
CALIBRATED = "calibrated.yaml"
POSTERIOR = "posterior.parquet"
OBSERVATIONS = "observations.csv"
PREDICTIVE = "predictive"


class CalibrationResults(TableFolder):
    """A calibrate folder, read lazily: ``posterior``, ``parameters``, ``generations``."""

    kinds = ("calibrate",)

    @property
    def posterior(self) -> pd.DataFrame:
        """The accepted particles, one row each."""
        return self.table("posterior")

    @property
    def parameters(self) -> pd.DataFrame:
        """Per calibrated parameter: its prior, the prior's and the posterior's summaries and
        the ratio of the 90% intervals' widths."""
        return self.table("parameters")

    @property
    def generations(self) -> pd.DataFrame:
        return self.table("generations")

    @property
    def observations_used(self) -> pd.DataFrame:
        return pd.read_csv(self.path / "observations_used.csv", parse_dates=["date"])

    @property
    def calibrated(self) -> Path:
        """The calibrated scenario file (``hegemon run`` it)."""
        return self.path / CALIBRATED

    @property
    def scenario(self) -> Scenario:
        """The scenario that was calibrated (resolved)."""
        from hegemon.scenario.loader import validate
        from hegemon.scenario.yamldoc import read_yaml

        return validate(read_yaml(self.path / "scenario.yaml"))

    @property
    def predictive(self) -> Any:
        """The posterior predictive run (a :class:`~hegemon.results.run.Results`), if any."""
        from hegemon.results.run import Results

        folder = self.path / PREDICTIVE
        return Results(folder) if (folder / "manifest.json").is_file() else None

    @classmethod
    def save(
        cls,
        path: Path | str,
        scenario: Scenario,
        *,
        posterior: pd.DataFrame,
        tables: dict[str, pd.DataFrame],
        observations_file: Path,
        observations_used: pd.DataFrame,
        calibrated: Callable[[Path, str], str],
        predictive: Callable[[Path], Any] | None = None,
        figures: Callable[[CalibrationResults, Path], Any] | None = None,
        overwrite: bool = False,
        command: str | None = None,
        seed: int = 0,
        **manifest: Any,
    ) -> CalibrationResults:
        """Write a calibrate folder atomically. ``calibrated(folder, posterior_sha256)``
        writes the calibrated scenario's text; ``predictive(folder)`` runs it into
        ``folder/predictive``; ``figures(results, folder)`` draws into ``folder/figures``
        before the folder is moved into place."""
        with atomic_folder(Path(path), overwrite=overwrite) as folder:
            posterior.to_parquet(folder / POSTERIOR, index=False)
            for name, table in tables.items():
                table.to_parquet(folder / f"{name}.parquet", index=False)
                table.to_csv(folder / f"{name}.csv", index=False)
            shutil.copyfile(observations_file, folder / OBSERVATIONS)
            observations_used.to_csv(folder / "observations_used.csv", index=False)
            resolved = scenario_yaml(scenario)
            (folder / "scenario.yaml").write_text(resolved, encoding="utf-8")
            digest = file_sha256(folder / POSTERIOR)
            (folder / CALIBRATED).write_text(calibrated(folder, digest), encoding="utf-8")
            info = make_manifest(
                scenario,
                kind="calibrate",
                seed=seed,
                replicates=len(posterior),
                store="summary",
                command=command,
                resolved=resolved,
            )
            info |= manifest | {
                "posterior_sha256": digest,
                "observations_sha256": file_sha256(folder / OBSERVATIONS),
                "calibrated": CALIBRATED,
            }
            if predictive is not None:
                predictive(folder)
                info["predictive"] = PREDICTIVE
            write_manifest(folder, info)
            if figures is not None:
                figures(cls(folder), folder / "figures")
        return cls(path)

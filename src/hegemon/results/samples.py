"""Folders of tables over parameter samples: sweeps, sensitivity analyses and scenario
discovery, and the one function that opens any kind of results folder.

A sweep folder holds ``sweep.parquet``/``.csv`` (one row per grid point and output); a
sensitivity folder holds ``indices.parquet``/``.csv`` and ``samples.parquet`` (one row per
sample); a discover folder holds ``boxes``, ``stats`` and ``trajectory`` (``.parquet`` and
``.csv``) and ``cases.parquet`` (one row per case: its parameters, whether it is a case of
interest, its box). All hold the resolved ``scenario.yaml``, ``figures/`` and
``manifest.json``, whose ``parameters`` (a sweep's grid, the parameters searched for boxes)
and ``method`` (a sensitivity analysis's or a discovery's) say how to read them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from hegemon.results.calibration import CalibrationResults
from hegemon.results.comparison import Comparison
from hegemon.results.folder import (
    Kind,
    TableFolder,
    atomic_folder,
    kind_of,
    make_manifest,
    scenario_yaml,
    write_manifest,
)
from hegemon.results.run import Results
from hegemon.results.scores import ScoreResults
from hegemon.scenario.schema import Scenario

TABLES: dict[str, tuple[str, ...]] = {
    "sweep": ("sweep",),
    "sensitivity": ("indices", "samples"),
    "discover": ("boxes", "stats", "trajectory", "cases"),
}
CSV = {"sweep", "indices", "boxes", "stats", "trajectory"}  # also as CSV, for spreadsheets


class SampleResults(TableFolder):
    """A sweep, sensitivity or discover folder, read lazily: ``table("sweep")`` (a sweep),
    ``table("indices")`` and ``table("samples")`` (a sensitivity analysis), or
    ``table("boxes")``, ``table("stats")``, ``table("trajectory")`` and ``table("cases")``
    (a scenario discovery)."""

    kinds = tuple(TABLES)  # type: ignore[assignment]

    @property
    def scenario(self) -> Scenario:
        from hegemon.scenario.loader import validate
        from hegemon.scenario.yamldoc import read_yaml

        return validate(read_yaml(self.path / "scenario.yaml"))

    @property
    def parameters(self) -> list[str]:
        """The key paths varied: a sweep's grid, the analysed parameters, or those searched
        for boxes."""
        if self.kind in ("sweep", "discover"):
            return list(self.manifest["parameters"])
        return list(dict.fromkeys(self.table("indices")["parameter"].astype(str)))

    @property
    def method(self) -> str | None:
        """``morris`` or ``sobol`` for a sensitivity analysis, ``prim`` or ``cart`` for a
        scenario discovery."""
        return self.manifest.get("method")

    @classmethod
    def save(
        cls,
        path: Path | str,
        kind: Kind,
        scenario: Scenario,
        tables: dict[str, pd.DataFrame],
        *,
        overwrite: bool = False,
        figures: Any = None,
        **manifest: Any,
    ) -> SampleResults:
        """Write a sweep, sensitivity or discover folder atomically (see :meth:`write_into`)."""
        with atomic_folder(Path(path), overwrite=overwrite) as folder:
            cls.write_into(folder, kind, scenario, tables, figures=figures, **manifest)
        return cls(path)

    @classmethod
    def write_into(
        cls,
        folder: Path,
        kind: Kind,
        scenario: Scenario,
        tables: dict[str, pd.DataFrame],
        *,
        figures: Any = None,
        **manifest: Any,
    ) -> None:
        """Write the tables, the scenario and the manifest of a sweep, sensitivity or
        discover folder into ``folder``, a folder not yet in place (``figures(results,
        folder)`` draws into it last); ``manifest`` adds to the manifest."""
        expected = set(TABLES[kind])
        if set(tables) != expected:
            raise ValueError(f"a {kind} folder holds {sorted(expected)}, got {sorted(tables)}")
        for name, table in tables.items():
            table.to_parquet(folder / f"{name}.parquet", index=False)
            if name in CSV:
                table.to_csv(folder / f"{name}.csv", index=False)
        (folder / "scenario.yaml").write_text(scenario_yaml(scenario), encoding="utf-8")
        info = make_manifest(
            scenario,
            kind=kind,
            seed=manifest.pop("seed", 0),
            replicates=manifest.pop("replicates", 0),
            store="summary",
            command=manifest.pop("command", None),
        )
        write_manifest(folder, info | manifest)
        if figures is not None:
            figures(cls(folder), folder)


def open_folder(
    path: Path | str,
) -> Results | Comparison | SampleResults | ScoreResults | CalibrationResults:
    """Any results folder, by the kind its manifest gives."""
    kind = kind_of(Path(path))
    if kind == "calibrate":
        return CalibrationResults(path)
    if kind == "run":
        return Results(path)
    if kind == "compare":
        return Comparison.load(path)
    if kind == "score":
        return ScoreResults(path)
    return SampleResults(path)

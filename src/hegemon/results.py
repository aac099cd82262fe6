"""Results of a run as tables, and the results folder that stores them.

A results folder (schema in docs/results.md) holds ``manifest.json``, the resolved
``scenario.yaml``, Parquet tables ``timeseries``, ``summary``, ``events`` and ``outcomes``,
and ``figures/``. It is written into a temporary folder beside the target and moved into
place when complete, so a folder that exists is always whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from hegemon.analysis.headline import headline_rows
from hegemon.analysis.regimes import classify
from hegemon.analysis.summary import categorize, dates, long_timeseries, summarize
from hegemon.ensemble.runner import Ensemble
from hegemon.errors import HegemonError
from hegemon.scenario.schema import Scenario

TABLES = ("summary", "timeseries", "events", "outcomes")
DEPENDENCIES = ("mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "matplotlib", "click")


def scenario_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML text (what the sha256 in the manifest is taken of)."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@dataclass
class Results:
    """What a run produced: pandas DataFrames in the schema of the results folder."""

    scenario: Scenario
    manifest: dict[str, Any]
    summary: pd.DataFrame
    events: pd.DataFrame
    outcomes: pd.DataFrame
    timeseries: pd.DataFrame | None = None
    path: Path | None = field(default=None)

    @classmethod
    def from_ensemble(
        cls, ensemble: Ensemble, *, store: str = "full", manifest: dict[str, Any]
    ) -> Results:
        s = ensemble.scenario
        start, name = s.start, s.name
        outcomes = pd.DataFrame({"scenario": name, "replicate": ensemble.replicates})
        outcomes = pd.concat([outcomes, pd.DataFrame(ensemble.outcomes)], axis=1)
        outcomes["regime"] = classify(outcomes, s.focus)
        ev = ensemble.events
        step_dates = dates(start, s.steps)
        events = pd.DataFrame(
            {
                "scenario": name,
                "replicate": ev["replicate"].astype(np.int64),
                "step": ev["step"].astype(np.int64),
                "date": step_dates[ev["step"].astype(np.int64)],
                "event": ev["event"],
                "actor": ev["actor"],
                "target": ev["target"],
                "detail": ev["detail"],
            }
        ).sort_values(["replicate", "step"], kind="stable", ignore_index=True)
        return cls(
            scenario=s,
            manifest=manifest,
            summary=summarize(name, start, ensemble.series),
            events=categorize(events),
            outcomes=categorize(outcomes),
            timeseries=(
                long_timeseries(name, start, ensemble.replicates, ensemble.series)
                if store == "full"
                else None
            ),
        )

    # ---- reading

    @property
    def name(self) -> str:
        return self.scenario.name

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

    # ---- the results folder

    def save(self, path: Path | str, *, overwrite: bool = False, figures: bool = True) -> Path:
        """Write the results folder at ``path`` (atomically); refuse to replace an existing
        folder unless ``overwrite``."""
        target = Path(path)
        if target.exists() and not overwrite:
            raise HegemonError(
                f"{target}: already exists; choose another folder or pass --force to replace it"
            )
        parent = target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
        except OSError as err:
            raise HegemonError(
                f"{parent}: cannot create the results folder: {err.strerror}"
            ) from None
        try:
            self._write(tmp, figures=figures)
            if target.exists():
                trash = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=parent))
                os.replace(target, trash / target.name)
                os.replace(tmp, target)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                os.replace(tmp, target)
        except OSError as err:
            shutil.rmtree(tmp, ignore_errors=True)
            raise HegemonError(f"{target}: cannot write results: {err.strerror or err}") from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.path = target
        return target

    def _write(self, folder: Path, *, figures: bool) -> None:
        (folder / "scenario.yaml").write_text(scenario_yaml(self.scenario), encoding="utf-8")
        for name in TABLES:
            table = getattr(self, name)
            if table is not None:
                table.to_parquet(folder / f"{name}.parquet", index=False)
        if figures:
            self.figures(folder / "figures")
        manifest = dict(self.manifest, end_time=now())
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path | str) -> Results:
        """Read a results folder written by :meth:`save`."""
        folder = Path(path)
        manifest_file = folder / "manifest.json"
        if not manifest_file.is_file():
            raise HegemonError(f"{folder}: not a results folder (no manifest.json)")
        from hegemon.scenario.loader import validate
        from hegemon.scenario.yamldoc import read_yaml

        scenario = validate(read_yaml(folder / "scenario.yaml"))
        tables = {}
        for name in TABLES:
            file = folder / f"{name}.parquet"
            tables[name] = categorize(pd.read_parquet(file)) if file.exists() else None
        for name in ("summary", "events", "outcomes"):
            if tables[name] is None:
                raise HegemonError(f"{folder}: incomplete results folder (no {name}.parquet)")
        return cls(
            scenario=scenario,
            manifest=json.loads(manifest_file.read_text()),
            path=folder,
            **tables,
        )


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def make_manifest(
    scenario: Scenario, *, seed: int, replicates: int, store: str, command: str | None
) -> dict[str, Any]:
    """Everything needed to reproduce a run and to know what produced it."""
    versions = {"python": sys.version.split()[0]}
    for dist in ("hegemon", *DEPENDENCIES):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "scenario": scenario.name,
        "scenario_sha256": hashlib.sha256(scenario_yaml(scenario).encode()).hexdigest(),
        "seed": seed,
        "replicates": replicates,
        "store": store,
        "start": scenario.start.isoformat(),
        "end": scenario.end.isoformat(),
        "steps": scenario.steps,
        "step": scenario.step,
        "versions": versions,
        "git_commit": git_commit(),
        "command": command if command is not None else " ".join(sys.argv),
        "start_time": now(),
    }


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

"""Side-by-side comparison of scenarios run with common random numbers.

A comparison folder holds one results folder per scenario, the paired differences against
the first scenario and the regime shares (Parquet and CSV), comparison figures on shared
axes, and ``report.html``: one self-contained page to send to a colleague.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hegemon.analysis.compare import default_outcomes, paired_differences
from hegemon.analysis.regimes import regime_shares
from hegemon.errors import HegemonError
from hegemon.results import Results, atomic_folder, now


@dataclass
class Comparison:
    """Results of several scenarios; the first is the reference."""

    results: list[Results]
    metrics: list[str] | None = None

    @property
    def reference(self) -> Results:
        return self.results[0]

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.results]

    @property
    def summary(self) -> pd.DataFrame:
        return _concat([r.summary for r in self.results])

    @property
    def outcomes(self) -> pd.DataFrame:
        return _concat([r.outcomes for r in self.results])

    @property
    def paired(self) -> pd.DataFrame:
        """Paired differences of the headline outcomes against the reference scenario."""
        return self.differences(default_outcomes(self.reference.scenario.focus))

    def differences(self, columns: dict[str, str] | list[str]) -> pd.DataFrame:
        """Paired differences against the reference of any outcome columns (a list, or a
        mapping of column to label); a column a scenario lacks is reported as missing."""
        labels = columns if isinstance(columns, dict) else {c: c for c in columns}
        missing = [c for c in labels if c not in self.outcomes]
        if missing:
            raise HegemonError(f"no outcome column {missing[0]!r} in these results")
        return paired_differences(self.outcomes, self.reference.name, labels)

    @property
    def regimes(self) -> pd.DataFrame:
        shares = regime_shares(self.outcomes)
        return shares.reindex(self.names)

    def common_random_numbers(self) -> bool:
        """Whether every scenario ran with the same seed (replicate k shares its draws)."""
        return len({r.manifest.get("seed") for r in self.results}) == 1

    def save(self, path: Path | str, *, overwrite: bool = False, figures: bool = True) -> Path:
        """Write the comparison folder atomically; refuse to replace one unless ``overwrite``."""
        with atomic_folder(Path(path), overwrite=overwrite) as tmp:
            for result, folder in zip(self.results, self._folders(), strict=True):
                result.save(tmp / folder, figures=figures)
            paired, regimes = self.paired, self.regimes
            paired.to_parquet(tmp / "paired_differences.parquet", index=False)
            paired.to_csv(tmp / "paired_differences.csv", index=False)
            regimes.to_csv(tmp / "regime_shares.csv")
            if figures:
                self._figures_and_report(tmp, paired, regimes)
            manifest = {
                "scenarios": self.names,
                "folders": self._folders(),
                "reference": self.reference.name,
                "seeds": [r.manifest.get("seed") for r in self.results],
                "replicates": [r.manifest.get("replicates") for r in self.results],
                "common_random_numbers": self.common_random_numbers(),
                "created": now(),
            }
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        return Path(path)

    def _folders(self) -> list[str]:
        """One folder name per scenario, unique even if a scenario appears twice."""
        seen: dict[str, int] = {}
        out = []
        for name in self.names:
            seen[name] = seen.get(name, 0) + 1
            out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
        return out

    def _figures_and_report(
        self, folder: Path, paired: pd.DataFrame, regimes: pd.DataFrame
    ) -> None:
        from hegemon.plots.comparison import comparison_figures
        from hegemon.plots.report import write_report

        summary = self.summary
        if self.metrics:
            summary = summary[summary["metric"].isin([*self.metrics, "ceasefire"])]
        focus = self.reference.scenario.focus
        paths = comparison_figures(
            summary,
            self.outcomes,
            paired,
            folder / "figures",
            focal_power=focus.power,
            end_columns=list(default_outcomes(focus)),
        )
        scenarios = pd.DataFrame(
            {
                "name": self.names,
                "title": [r.scenario.title for r in self.results],
                "question": [r.scenario.question for r in self.results],
            }
        )
        crn = (
            "All scenarios ran with the same seed: replicate k draws the same random numbers "
            "in every scenario (common random numbers), so differences are paired by replicate."
            if self.common_random_numbers()
            else "The scenarios ran with different seeds: differences are not paired."
        )
        write_report(
            folder / "report.html",
            title=f"{self.reference.name} compared with {', '.join(self.names[1:])}",
            intro=crn,
            scenarios=scenarios,
            tables={
                f"Paired differences against {self.reference.name} (95% intervals)": paired,
                "Share of replicates in each outcome regime": regimes.reset_index(),
            },
            figures=[p for p in paths if p.suffix == ".png"],
        )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-scenario tables, keeping string columns categorical."""
    from hegemon.ensemble.tables import categorize

    plain = [
        f.astype({c: object for c in f.columns if isinstance(f[c].dtype, pd.CategoricalDtype)})
        for f in frames
    ]
    out = pd.concat(plain, ignore_index=True)
    scenario_order = list(dict.fromkeys(out["scenario"]))
    out = categorize(out)
    out["scenario"] = out["scenario"].cat.reorder_categories(scenario_order)
    return out

"""Side-by-side comparison of scenarios run with common random numbers.

A comparison folder holds one results folder per scenario, the paired differences against
the first scenario and the regime shares (Parquet and CSV), comparison figures on shared
axes, and ``report.html``: one self-contained page to send to a colleague.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hegemon.analysis.compare import default_outcomes, paired_differences
from hegemon.analysis.regimes import regime_shares
from hegemon.errors import HegemonError
from hegemon.results.folder import atomic_folder, read_manifest, write_manifest
from hegemon.results.run import Results


@dataclass
class Comparison:
    """Results of several scenarios; the first is the reference. ``metrics``: the metrics its
    figures overlay (None: all)."""

    results: list[Results]
    metrics: list[str] | None = None
    path: Path | None = field(default=None, compare=False)

    @property
    def reference(self) -> Results:
        return self.results[0]

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.results]

    # the tables of every scenario, concatenated once (the runs' folders do not change)
    @functools.cached_property
    def summary(self) -> pd.DataFrame:
        return _concat([r.summary for r in self.results])

    @functools.cached_property
    def outcomes(self) -> pd.DataFrame:
        return _concat([r.outcomes for r in self.results])

    @functools.cached_property
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
        return paired_differences(
            self.outcomes, self.reference.name, labels, paired=self.common_random_numbers()
        )

    @functools.cached_property
    def regimes(self) -> pd.DataFrame:
        shares = regime_shares(self.outcomes)
        return shares.reindex(self.names)

    def common_random_numbers(self) -> bool:
        """Whether replicate k shares its draws in every scenario: every scenario ran with
        the same seed, and none replays a calibration's particles unless all replay the
        same posterior table (a conditioned replicate's past is its particle's, not
        replicate k's)."""
        seeds = {r.manifest.get("seed") for r in self.results}
        posteriors = {r.manifest.get("posterior_sha256") for r in self.results}
        return len(seeds) == 1 and len(posteriors) == 1

    def unpaired_reason(self) -> str | None:
        """Why the differences are not paired by replicate (None when they are)."""
        if self.common_random_numbers():
            return None
        conditioned = [r.name for r in self.results if r.manifest.get("posterior_sha256")]
        if conditioned and len(conditioned) < len(self.results):
            return (
                f"{', '.join(conditioned)} replays a calibration's particles (conditioned on "
                "the record) and the others do not"
            )
        if len({r.manifest.get("posterior_sha256") for r in self.results}) > 1:
            return "the scenarios replay different posterior tables"
        return "the scenarios ran with different seeds"

    def replicates(self) -> list[int]:
        """The number of replicates of each scenario, in order."""
        return [int(r.manifest.get("replicates", len(r.outcomes))) for r in self.results]

    def cut(self) -> str | None:
        """What the paired differences leave out where a scenario and the reference have
        different numbers of replicates (each pair uses the replicates both have), in a
        sentence; None when nothing is left out."""
        if not self.common_random_numbers():
            return None
        counts = self.replicates()
        ref = counts[0]
        parts = [
            f"{name} has {n:,} replicates and {self.reference.name} {ref:,}: their "
            f"differences pair replicates 0-{min(n, ref) - 1} and leave out the other "
            f"{abs(n - ref):,} of {self.reference.name if ref > n else name}"
            for name, n in zip(self.names[1:], counts[1:], strict=True)
            if n != ref
        ]
        return "; ".join(parts) or None

    @classmethod
    def load(cls, path: Path | str) -> Comparison:
        """Read a comparison folder: its runs, in the order they were compared."""
        manifest = read_manifest(Path(path), "compare")
        comparison = cls(
            [Results(Path(path) / f) for f in manifest["folders"]], metrics=manifest.get("metrics")
        )
        comparison.path = Path(path)
        return comparison

    def save(
        self,
        path: Path | str,
        *,
        overwrite: bool = False,
        figures: Callable[[Comparison, Path], None] | None = None,
    ) -> Path:
        """Write the comparison folder atomically; refuse to replace one unless ``overwrite``.
        ``figures(comparison, folder)``, when given, draws into the folder before it is moved
        into place (so a folder with figures is whole)."""
        with atomic_folder(Path(path), overwrite=overwrite) as tmp:
            for result, folder in zip(self.results, self._folders(), strict=True):
                result.save(tmp / folder)
            self.write_into(tmp, figures=figures)
        return Path(path)

    def write_into(
        self, tmp: Path, *, figures: Callable[[Comparison, Path], None] | None = None
    ) -> None:
        """Write the comparison's own files (paired differences, regime shares, figures and
        the manifest, last) into ``tmp``, which already holds a run folder per scenario."""
        paired, regimes = self.paired, self.regimes
        paired.to_parquet(tmp / "paired_differences.parquet", index=False)
        paired.to_csv(tmp / "paired_differences.csv", index=False)
        regimes.to_csv(tmp / "regime_shares.csv")
        if figures is not None:
            figures(self, tmp)
        manifest = {
            "kind": "compare",
            "scenarios": self.names,
            "folders": self._folders(),
            "reference": self.reference.name,
            "seeds": [r.manifest.get("seed") for r in self.results],
            "replicates": [r.manifest.get("replicates") for r in self.results],
            "common_random_numbers": self.common_random_numbers(),
            "unpaired_reason": self.unpaired_reason(),
            "cut": self.cut(),
            "metrics": self.metrics,
        }
        write_manifest(tmp, manifest)

    def _folders(self) -> list[str]:
        return folder_names(self.names)


def folder_names(names: list[str]) -> list[str]:
    """One folder name per scenario, unique even if a scenario appears twice."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


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

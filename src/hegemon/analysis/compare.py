"""Scenario comparisons with common random numbers: paired differences per replicate (or,
where the scenarios do not share their random numbers, differences of independent means).

Replicate k draws the same random numbers in every scenario, so the difference of an outcome
between two scenarios is taken replicate by replicate, and its spread is far smaller than
that of either scenario alone (Law 2015, *Simulation Modeling and Analysis*, ch. 11).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hegemon.scenario.observables import OUTCOMES, OutcomeColumn
from hegemon.scenario.schema import Focus

Z95 = 1.959963984540054


def phrase(column: OutcomeColumn) -> str:
    """An outcome's label as a phrase in a table: lower case, with the unit of a level and
    ``(share)`` for a binary outcome."""
    starts_with_a_name = column.outcome.label.startswith("{")
    text = column.label if starts_with_a_name else column.label[:1].lower() + column.label[1:]
    if column.outcome.kind == "level":
        return f"{text} ({column.unit})"
    return f"{text} (share)" if column.outcome.kind == "binary" else text


def default_outcomes(focus: Focus) -> dict[str, str]:
    """The outcome columns compared by default, with their labels: the focal power's and
    its rival's change in influence, its ally's change in trust, its spending and
    peacekeeping cost, and the ceasefire's survival."""
    p, rival, ally = focus.power, focus.rival, focus.ally
    picks = [
        OutcomeColumn(OUTCOMES["influence_change"], p),
        OutcomeColumn(OUTCOMES["influence_change"], rival),
        OutcomeColumn(OUTCOMES["trust_change"], ally, p),
        OutcomeColumn(OUTCOMES["regional_cost_cum_musd"], p),
        OutcomeColumn(OUTCOMES["peacekeeping_cost_cum_musd"], p),
        OutcomeColumn(OUTCOMES["ceasefire_held"]),
    ]
    return {c.name: phrase(c) for c in picks}


def paired_differences(
    outcomes: pd.DataFrame, reference: str, columns: dict[str, str], *, paired: bool = True
) -> pd.DataFrame:
    """Mean paired difference (scenario - reference) with a 95% normal-theory interval and
    the share of replicates where the scenario is higher, per scenario and outcome.

    With ``paired=False`` (the scenarios do not share their random numbers replicate by
    replicate: different seeds, or a scenario conditioned on the record against one that is
    not) the difference is of the means, its interval Welch's (the two variances added), and
    ``share_higher`` the chance that a replicate of the scenario exceeds an independent one
    of the reference (ties count half); the column ``paired`` says which."""
    frame = outcomes.assign(scenario=outcomes["scenario"].astype(str))
    ref = frame[frame["scenario"] == reference].set_index("replicate")
    rows = []
    for name in dict.fromkeys(frame["scenario"]):
        if name == reference:
            continue
        other = frame[frame["scenario"] == name].set_index("replicate")
        common = ref.index.intersection(other.index)
        for column, label in columns.items():
            if column not in ref or column not in other:
                continue
            if paired:
                a = ref.loc[common, column].to_numpy(dtype=float)
                b = other.loc[common, column].to_numpy(dtype=float)
                mean, half, n, higher = _paired(a, b)
            else:
                a = ref[column].to_numpy(dtype=float)
                b = other[column].to_numpy(dtype=float)
                mean, half, n, higher = _unpaired(a, b)
            rows.append(
                {
                    "scenario": name,
                    "outcome": column,
                    "label": label,
                    "reference": reference,
                    "reference_mean": float(np.nanmean(a)),
                    "scenario_mean": float(np.nanmean(b)),
                    "mean_diff": mean,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "share_higher": higher,
                    "n": n,
                    "paired": paired,
                }
            )
    return pd.DataFrame(rows)


def _paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float, int, float]:
    """Replicate by replicate: the mean difference, its 95% half-width, n and the share of
    replicates where the scenario is higher."""
    diff = b - a
    n = int(np.isfinite(diff).sum())
    mean = float(np.nanmean(diff)) if n else np.nan
    half = Z95 * float(np.nanstd(diff, ddof=1)) / np.sqrt(n) if n > 1 else np.nan
    return mean, half, n, float(np.mean(diff > 0)) if n else np.nan


def _unpaired(a: np.ndarray, b: np.ndarray) -> tuple[float, float, int, float]:
    """Two independent samples: the difference of their means with Welch's 95% half-width,
    and the chance that a replicate of the scenario exceeds one of the reference (ties half,
    the Mann-Whitney statistic over the number of pairs)."""
    from scipy import stats

    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    n = min(a.size, b.size)
    if not n:
        return np.nan, np.nan, 0, np.nan
    mean = float(b.mean() - a.mean())
    if n < 2:
        return mean, np.nan, n, np.nan
    half = Z95 * float(np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size))
    share = float(stats.mannwhitneyu(b, a, alternative="two-sided").statistic / (a.size * b.size))
    return mean, half, n, share

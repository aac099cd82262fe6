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
            if not paired:
                rows.append(_unpaired(ref[column], other[column], name, column, label, reference))
                continue
            a = ref.loc[common, column].to_numpy(dtype=float)
            b = other.loc[common, column].to_numpy(dtype=float)
            diff = b - a
            n = int(np.isfinite(diff).sum())
            mean = float(np.nanmean(diff)) if n else np.nan
            half = Z95 * float(np.nanstd(diff, ddof=1)) / np.sqrt(n) if n > 1 else np.nan
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
                    "share_higher": float(np.mean(diff > 0)) if n else np.nan,
                    "n": n,
                    "paired": True,
                }
            )
    return pd.DataFrame(rows)


def _unpaired(
    ref: pd.Series, other: pd.Series, name: str, column: str, label: str, reference: str
) -> dict[str, object]:
    """The difference of two independent samples' means, with Welch's 95% interval."""
    from scipy import stats

    a = ref.to_numpy(dtype=float)
    b = other.to_numpy(dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    n = min(len(a), len(b))
    mean = float(b.mean() - a.mean()) if n else np.nan
    if len(a) > 1 and len(b) > 1:
        half = Z95 * float(np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))
        u = stats.mannwhitneyu(b, a, alternative="two-sided").statistic
        share = float(u / (len(a) * len(b)))
    else:
        half, share = np.nan, np.nan
    return {
        "scenario": name,
        "outcome": column,
        "label": label,
        "reference": reference,
        "reference_mean": float(np.mean(a)) if len(a) else np.nan,
        "scenario_mean": float(np.mean(b)) if len(b) else np.nan,
        "mean_diff": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "share_higher": share,
        "n": n,
        "paired": False,
    }

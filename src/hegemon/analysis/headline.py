"""The headline numbers of a run, as short (label, value) rows."""

from __future__ import annotations

import pandas as pd

from hegemon.analysis.regimes import REGIMES
from hegemon.scenario.schema import Scenario

WEEKS_PER_YEAR = 52


def _series(summary: pd.DataFrame, metric: str, actor: str | None, target: str | None = None):
    rows = summary[summary["metric"] == metric]
    rows = rows[rows["actor"].isna()] if actor is None else rows[rows["actor"] == actor]
    rows = rows[rows["target"].isna()] if target is None else rows[rows["target"] == target]
    return rows.sort_values("step")


def _start_end(summary: pd.DataFrame, metric: str, actor: str, target: str | None = None) -> str:
    rows = _series(summary, metric, actor, target)
    if rows.empty:
        return "n/a"
    first, last = rows.iloc[0], rows.iloc[-1]
    return f"{first.q50:.3f} -> {last.q50:.3f}  (90%: {last.q05:.3f}-{last.q95:.3f})"


def headline_rows(
    summary: pd.DataFrame, outcomes: pd.DataFrame, scenario: Scenario
) -> list[tuple[str, str]]:
    """Focal power's influence and cost, its ally's trust, its rival's influence, ceasefire
    survival at one year and at the horizon, and the regime shares."""
    f = scenario.focus
    rows = [
        (f"{f.power}'s influence (median start -> end)", _start_end(summary, "influence", f.power)),
        (f"{f.ally}'s trust in {f.power}", _start_end(summary, "trust", f.ally, f.power)),
        (f"{f.rival}'s influence", _start_end(summary, "influence", f.rival)),
    ]
    cost = _series(summary, "peacekeeping_cost_cum_musd", f.power)
    if not cost.empty and cost.iloc[-1]["q95"] > 0:
        last = cost.iloc[-1]
        rows.append(
            (
                f"{f.power}'s cumulative peacekeeping cost",
                f"US$ {last.q50:,.0f} m  (90%: {last.q05:,.0f}-{last.q95:,.0f})",
            )
        )
    regional = _series(summary, "regional_cost_cum_musd", f.power)
    if not regional.empty:
        last = regional.iloc[-1]
        rows.append((f"{f.power}'s cumulative regional spending", f"US$ {last.q50:,.0f} m"))
    held = _series(summary, "ceasefire", None)
    if not held.empty:
        means = held["mean"].to_numpy()
        year = min(WEEKS_PER_YEAR, len(means) - 1)
        rows.append(("Ceasefire holding after 1 year", f"{means[year]:.0%}"))
        years = (len(means) - 1) / WEEKS_PER_YEAR
        rows.append((f"Ceasefire holding at the horizon ({years:.1f} y)", f"{means[-1]:.0%}"))
    shares = outcomes["regime"].value_counts(normalize=True)
    text = ", ".join(
        f"{r.replace('_', ' ')} {shares.get(r, 0.0):.0%}" for r in REGIMES if shares.get(r, 0.0) > 0
    )
    rows.append(("Regimes", text))
    rows.append(("Replicates", f"{len(outcomes):,}"))
    return rows


def format_table(rows: list[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"  {label.ljust(width)}  {value}" for label, value in rows)


__all__ = ["format_table", "headline_rows"]

"""Outcome regimes: what each replicate's five years amount to, for the focal power.

Checked in this order, the first that applies wins:

- ``collapse``: the ceasefire collapsed before the horizon.
- ``retreat``: the focal power's peacekeepers, deployed at the start, have all left.
- ``consolidation``: the focal power's regional influence did not fall.
- ``managed_decline``: the focal power's influence fell although it paid to hold its
  position (peacekeeping, where the scenario gives it a mandate; otherwise its regional
  spending), its ally's trust in it fell, and its rival's influence rose: the seed article's
  reading of the 2020 ceasefire.
- ``erosion``: influence fell without the full signature of managed decline.

With ``focus.window_weeks`` W > 0 the rules judge the state over the final W weeks rather than
the last step: influence and trust are their means over the last W + 1 steps recorded
(``influence_final``, ``trust_final``), and ``retreat`` means that over those weeks no
peacekeepers of the focal power were staying (``peacekeepers_final``: they had left, or the
power had decided to leave, by notice at the term or by an early decision), so a mandate that
expires at the final step counts by its decision, taken six months before, and not by the week
of its expiry. With W = 0 (the default) the rules are those above, on the last step.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hegemon.scenario.observables import OUTCOMES
from hegemon.scenario.schema import Peacekeeping, Scenario

REGIMES = ("managed_decline", "consolidation", "erosion", "retreat", "collapse")
#: What each regime means, in the order the rules are checked (the first that applies wins).
DEFINITIONS: dict[str, str] = {
    "collapse": "the ceasefire collapsed before the horizon",
    "retreat": "the focal power's peacekeepers, deployed at the start, have all left",
    "consolidation": "the focal power's regional influence did not fall",
    "managed_decline": (
        "the focal power's influence fell although it paid to hold its position "
        "(peacekeeping where it has a mandate, else its regional spending), its ally's "
        "trust in it fell and its rival's influence rose"
    ),
    "erosion": "influence fell without the full signature of managed decline",
}


def definitions(scenario: Scenario) -> pd.DataFrame:
    """The regimes' definitions for ``scenario``'s focus (power, ally and rival named), in
    the order the rules are checked."""
    focus = scenario.focus
    names = {
        "the focal power's": f"{focus.power}'s",
        "its ally's": f"its ally {focus.ally}'s",
        "its rival's": f"its rival {focus.rival}'s",
    }
    rows = []
    for regime, text in DEFINITIONS.items():
        for words, name in names.items():
            text = text.replace(words, name)
        rows.append({"regime": regime, "definition": text})
    return pd.DataFrame(rows)


def classify(outcomes: pd.DataFrame, scenario: Scenario) -> pd.Series:
    """The regime of every replicate (a categorical Series aligned with ``outcomes``)."""
    focus = scenario.focus
    p, rival, ally = focus.power, focus.rival, focus.ally
    keeps_peace = any(m.sponsor == p for m in scenario.relations_of(Peacekeeping))
    n = len(outcomes)

    def col(
        outcome: str, actor: str | None = None, target: str | None = None, default: float = np.nan
    ) -> np.ndarray:
        name = OUTCOMES[outcome].column(actor, target)
        return outcomes[name].to_numpy() if name in outcomes else np.full(n, default)

    collapsed = ~col("ceasefire_held", default=True).astype(bool)
    deployed = col("peacekeepers_start", p, default=0.0) > 0
    cost = "peacekeeping_cost_cum_musd" if keeps_peace else "regional_cost_cum_musd"
    paid = col(cost, p, default=0.0) > 0
    if focus.window_weeks > 0:
        retreated = deployed & (col("peacekeepers_final", p, default=0.0) <= 0)
        fell = col("influence_final", p) < col("influence_start", p)
        ally_lost = col("trust_final", ally, p) < col("trust_start", ally, p)
        rival_up = col("influence_final", rival) > col("influence_start", rival)
    else:
        retreated = deployed & (col("peacekeepers_end", p, default=0.0) <= 0)
        fell = col("influence_change", p) < 0
        ally_lost = col("trust_change", ally, p) < 0
        rival_up = col("influence_change", rival) > 0
    regime = np.select(
        [collapsed, retreated, ~fell, paid & ally_lost & rival_up],
        ["collapse", "retreat", "consolidation", "managed_decline"],
        default="erosion",
    )
    return pd.Series(pd.Categorical(regime, categories=REGIMES), index=outcomes.index)


def regime_shares(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Share of replicates in each regime, per scenario (rows) and regime (columns)."""
    counts = pd.crosstab(outcomes["scenario"], outcomes["regime"], normalize="index")
    return counts.reindex(columns=list(REGIMES), fill_value=0.0)

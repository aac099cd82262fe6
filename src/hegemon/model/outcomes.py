"""Scalar outcomes per replicate (ODD 7.12), read off a finished model's recorded series and
named as declared in hegemon.scenario.observables.OUTCOMES."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hegemon.scenario.observables import OUTCOMES, parameter_column

PARTICLE_COLUMN = "particle"  # in the outcomes of a calibrated scenario: the row it replays

# What scalar_outcomes reads of the recorded series: the metrics read at every step, and
# those read only at step 0 and over the final window. A model that records only these
# (``HegemonModel(..., record="outcomes")``, for the runs of a sample) has the same outcomes.
READ_WHOLE = frozenset({"ceasefire", "war", "coercion"})
READ_ENDS = frozenset(
    {
        "influence",
        "peacekeeping_cost_cum_musd",
        "regional_cost_cum_musd",
        "peacekeepers",
        "peacekeepers_staying",
        "credibility",
        "commitments_failed_cum",
        "trust",
        "territory",
        "clashes_cum",
    }
)


def outcome_window(scenario: Scenario) -> int:
    """The final steps over which the outcomes judge the state: ``focus.window_weeks`` + 1."""
    return int(scenario.focus.window_weeks) + 1


if TYPE_CHECKING:
    from hegemon.model.model import HegemonModel
    from hegemon.scenario.schema import Scenario


def scalar_outcomes(model: HegemonModel) -> dict[str, np.ndarray]:
    """Start-to-end changes, cumulative costs, ceasefire duration and the parameter draws;
    the state over the final weeks (the last ``focus.window_weeks`` + 1 steps recorded) that
    the regimes judge.

    Reads only ``recorder.series``, ``powers``, ``local_states``, ``dispute``, ``draws`` and
    ``spec`` (the dashboard passes a view of a model cut short at a week).
    """
    s = model.recorder.series
    out: dict[str, np.ndarray] = {}
    window = outcome_window(model.spec)

    def final(series: np.ndarray) -> np.ndarray:
        return series[-window:].mean(axis=0)

    def put(name: str, values: np.ndarray, actor: str | None = None, target: str | None = None):
        out[OUTCOMES[name].column(actor, target)] = values

    for p in model.powers:
        inf = s["influence", p.name, None]
        put("influence_start", inf[0], p.name)
        put("influence_end", inf[-1], p.name)
        put("influence_change", inf[-1] - inf[0], p.name)
        for cost in ("peacekeeping_cost_cum_musd", "regional_cost_cum_musd"):
            put(cost, s[cost, p.name, None][-1], p.name)
        put("peacekeepers_start", s["peacekeepers", p.name, None][0], p.name)
        put("peacekeepers_end", s["peacekeepers", p.name, None][-1], p.name)
        put("credibility_end", s["credibility", p.name, None][-1], p.name)
        put("influence_final", final(inf), p.name)
        put(
            "peacekeepers_final",
            s["peacekeepers_staying", p.name, None][-window:].max(axis=0),
            p.name,
        )
        for loc in model.local_states:
            failed = s["commitments_failed_cum", p.name, loc.name][-1]
            put("commitments_failed", failed, p.name, loc.name)
    for loc in model.local_states:
        for p in model.powers:
            trust = s["trust", loc.name, p.name]
            put("trust_start", trust[0], loc.name, p.name)
            put("trust_end", trust[-1], loc.name, p.name)
            put("trust_change", trust[-1] - trust[0], loc.name, p.name)
            put("trust_final", final(trust), loc.name, p.name)
    if model.dispute is not None:
        for side in model.dispute.territory:
            terr = s["territory", side, None]
            put("territory_end", terr[-1], side)
            put("territory_change", terr[-1] - terr[0], side)
        held = s["ceasefire", None, None]
        broken = held < 0.5
        first = np.argmax(broken, axis=0).astype(np.float64)
        put("ceasefire_weeks", np.where(broken.any(axis=0), first, np.nan))
        put("ceasefire_held", ~broken[-1])
        put("clashes", s["clashes_cum", None, None][-1])
        put("war_weeks", s["war", None, None][1:].sum(axis=0))
        put("coercion_weeks", s["coercion", None, None][1:].sum(axis=0))
    for path, values in model.draws.drawn.items():
        out[parameter_column(path)] = values
    rows = getattr(model, "posterior_rows", None)
    if rows is not None:  # the particle of the posterior table the replicate replays
        out[PARTICLE_COLUMN] = model.draws.table.particle[rows]
    return out

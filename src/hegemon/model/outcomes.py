"""Scalar outcomes per replicate (ODD 7.12), read off a finished model's recorded series and
named as declared in hegemon.scenario.observables.OUTCOMES."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hegemon.scenario.observables import OUTCOMES, parameter_column

PARTICLE_COLUMN = "particle"  # in the outcomes of a calibrated scenario: the row it replays

if TYPE_CHECKING:
    from hegemon.model.model import HegemonModel


def scalar_outcomes(model: HegemonModel) -> dict[str, np.ndarray]:
    """Start-to-end changes, cumulative costs, ceasefire duration and the parameter draws.

    Reads only ``recorder.series``, ``powers``, ``local_states``, ``dispute`` and ``draws``
    (the dashboard passes a view of a model cut short at a week).
    """
    s = model.recorder.series
    out: dict[str, np.ndarray] = {}

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
    for loc in model.local_states:
        for p in model.powers:
            trust = s["trust", loc.name, p.name]
            put("trust_start", trust[0], loc.name, p.name)
            put("trust_end", trust[-1], loc.name, p.name)
            put("trust_change", trust[-1] - trust[0], loc.name, p.name)
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
    for path, values in model.draws.drawn.items():
        out[parameter_column(path)] = values
    rows = getattr(model, "posterior_rows", None)
    if rows is not None:  # the particle of the posterior table the replicate replays
        out[PARTICLE_COLUMN] = model.draws.table.particle[rows]
    return out

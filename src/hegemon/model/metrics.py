"""The recorder: writes the declared metrics (hegemon.scenario.observables) into
preallocated arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hegemon.model.model import HegemonModel


SeriesKey = tuple[str, str | None, str | None]  # (metric, actor, target)


def observe(model: HegemonModel) -> dict[SeriesKey, np.ndarray]:
    """The model's state now, one array of shape (R,) per series."""
    out: dict[SeriesKey, np.ndarray] = {}
    for p in model.powers:
        out["influence", p.name, None] = p.influence
        for loc in model.local_states:
            out["influence_over", p.name, loc.name] = loc.share[p.name]
        out["credibility", p.name, None] = p.credibility
        out["peacekeepers", p.name, None] = sum(
            (d.troops for d in model.mandates if d.sponsor is p), np.zeros(model.R)
        )
        out["peacekeeping_cost_musd", p.name, None] = p.peacekeeping_cost_musd
        out["peacekeeping_cost_cum_musd", p.name, None] = p.peacekeeping_cost_cum_musd
        out["regional_cost_cum_musd", p.name, None] = p.regional_cost_cum_musd
    for loc in model.local_states:
        for p in model.powers:
            out["trust", loc.name, p.name] = loc.trust[p.name]
    for a in [*model.powers, *model.local_states]:
        out["military_budget_musd", a.name, None] = a.military_budget_musd
        out["gdp_busd", a.name, None] = a.gdp_busd
    if model.dispute is not None:
        for side, held in model.dispute.territory.items():
            out["territory", side, None] = held
        out["ceasefire", None, None] = model.dispute.ceasefire.astype(np.float64)
        out["clashes_cum", None, None] = model.dispute.clashes
    return out


class Recorder:
    """Writes every series at every step into arrays of shape (steps + 1, R)."""

    def __init__(self, steps: int, replicates: int):
        self.steps = steps
        self.replicates = replicates
        self.series: dict[SeriesKey, np.ndarray] = {}

    def record(self, model: HegemonModel, step: int) -> None:
        for key, values in observe(model).items():
            store = self.series.get(key)
            if store is None:
                store = self.series[key] = np.full((self.steps + 1, self.replicates), np.nan)
            store[step] = values

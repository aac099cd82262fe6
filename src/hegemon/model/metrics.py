"""Metric names, defined once, and the recorder that writes them into preallocated arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hegemon.model.model import HegemonModel


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    actor: str  # what the actor column holds
    target: str  # what the target column holds ("" when unused)
    description: str


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("influence", "share 0..1", "power", "", "regional influence of the power"),
        Metric("influence_over", "share 0..1", "power", "local state", "power's share in a state"),
        Metric("trust", "0..1", "local state", "power", "the local state's trust in the power"),
        Metric("credibility", "0..1", "power", "", "posterior mean of the power's honour rate"),
        Metric("peacekeepers", "troops", "power", "", "troops the power has deployed"),
        Metric("peacekeeping_cost_musd", "US$ m per week", "power", "", "peacekeeping cost"),
        Metric("peacekeeping_cost_cum_musd", "US$ m", "power", "", "cumulative peacekeeping cost"),
        Metric(
            "regional_cost_cum_musd",
            "US$ m",
            "power",
            "",
            "all the power has spent on the region: peacekeeping, commitments, arms and aid",
        ),
        Metric("military_budget_musd", "US$ m per year", "actor", "", "military expenditure"),
        Metric("gdp_busd", "US$ bn", "actor", "", "gross domestic product"),
        Metric("territory", "share 0..1", "local state", "", "share of the disputed area held"),
        Metric("ceasefire", "1 holding, 0 collapsed", "", "", "whether the ceasefire holds"),
        Metric("clashes_cum", "count", "", "", "clashes since the start"),
    ]
}

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

"""The actors: external powers and local states, each a Mesa agent whose state is a numpy
array over the replicates that run in lockstep (shape ``(R,)``).

Every method reads like scalar code; ``np.where`` and masks stand in for branches.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import mesa
import numpy as np

from hegemon.scenario import schema as sc

if TYPE_CHECKING:
    from hegemon.model.model import HegemonModel
    from hegemon.model.relations import ArmsPipeline, Mandate

WEEKS_PER_YEAR = 52.0


def unit_interval(x: np.ndarray) -> np.ndarray:
    """``x`` clipped to 0..1 (``np.clip`` without its dispatch overhead, the same values)."""
    return np.minimum(np.maximum(x, 0.0), 1.0)


class Actor(mesa.Agent):
    """A state with an economy: GDP follows geometric Brownian motion, and the military
    budget keeps its share of GDP."""

    model: HegemonModel

    def __init__(self, model: HegemonModel, spec: sc.Power | sc.LocalState):
        super().__init__(model)
        self.name = spec.name
        self.params = model.draws.resolve(spec, f"actors.{spec.name}")
        self.gdp_busd = self.params.gdp_busd.copy()
        self.military_share = self.params.military_budget_musd / (1000.0 * self.gdp_busd)

    @property
    def military_budget_musd(self) -> np.ndarray:
        """Military expenditure, US$ m per year."""
        return self.military_share * self.gdp_busd * 1000.0

    @property
    def weekly_budget_musd(self) -> np.ndarray:
        return self.military_budget_musd / WEEKS_PER_YEAR

    @property
    def growth_stream(self) -> str:
        return f"growth:{self.name}"

    def grow(self, z: np.ndarray) -> None:
        """One week of growth: log-GDP moves by drift plus the standard normal shock ``z``
        (this week's draws of the actor's ``growth_stream``)."""
        g, sigma = self.params.gdp_growth, self.params.growth_volatility
        drift = (np.log1p(g) - 0.5 * sigma**2) / WEEKS_PER_YEAR
        self.gdp_busd = self.gdp_busd * np.exp(drift + sigma * np.sqrt(1 / WEEKS_PER_YEAR) * z)


class Power(Actor):
    """An external power. Rule: spend a share of the military budget on the region; pay for
    peacekeeping and arms first, spend the rest on influence; honour a commitment with
    probability ``resolve``. Its credibility is the posterior mean of its honour rate."""

    def __init__(self, model: HegemonModel, spec: sc.Power):
        super().__init__(model, spec)
        R = model.R
        weights = self.params.allocation or {loc.name: np.ones(R) for loc in model.spec.locals}
        total = sum(weights.values())
        self.allocation = {name: w / total for name, w in weights.items()}
        self.resolve = self.params.resolve
        self.regional_effort = self.params.regional_effort
        self.shocks: dict[str, np.ndarray] = {}  # budget shocks in force, by event id
        prior = model.params.trust.credibility
        memory = model.params.trust.credibility_memory
        self._prior_honours = prior * memory
        self._prior_weight = memory
        self.honours = np.zeros(R)
        self.invocations = np.zeros(R)
        self.honour_cost_musd = np.zeros(R)  # this week's cost of honoured commitments
        self.peacekeeping_cost_musd = np.zeros(R)
        self.peacekeeping_cost_cum_musd = np.zeros(R)
        self.regional_cost_cum_musd = np.zeros(R)
        self.free_effort_musd = np.zeros(R)
        self.influence = np.zeros(R)

    @cached_property
    def own_mandates(self) -> list[Mandate]:
        """The peacekeeping mandates this power sponsors (relations are fixed once built)."""
        return [d for d in self.model.mandates if d.sponsor is self]

    @cached_property
    def own_arms(self) -> list[ArmsPipeline]:
        """The arms pipelines this power supplies."""
        return [a for a in self.model.arms if a.patron is self]

    @property
    def credibility(self) -> np.ndarray:
        """Beta-binomial posterior mean of the honour rate, from the prior and the record."""
        return (self._prior_honours + self.honours) / (self._prior_weight + self.invocations)

    @property
    def regional_budget_musd(self) -> np.ndarray:
        """What the power plans to spend on the region, US$ m per year."""
        shock = np.prod(list(self.shocks.values()), axis=0) if self.shocks else 1.0
        return self.regional_effort * shock * self.military_budget_musd

    def honour(self, invoked: np.ndarray, stream: str) -> np.ndarray:
        """Answer an ally's call where ``invoked``: True where the commitment is honoured."""
        u = self.model.streams.uniform(stream, self.model.week)
        honoured = invoked & (u < self.resolve)
        self.invocations = self.invocations + invoked
        self.honours = self.honours + honoured
        return honoured

    def spend(self) -> None:
        """Pay this week's peacekeeping, arms and honoured commitments; the rest is free
        effort for influence. Peacekeeping and arms come out of the regional budget;
        honoured commitments are unplanned spending on top of it."""
        m = self.model
        budget = self.regional_budget_musd / WEEKS_PER_YEAR
        self.peacekeeping_cost_musd = sum(
            (d.weekly_cost_musd for d in self.own_mandates), np.zeros(m.R)
        )
        arms = sum((a.weekly_musd for a in self.own_arms), np.zeros(m.R))
        committed = self.peacekeeping_cost_musd + arms
        self.free_effort_musd = np.maximum(budget - committed, 0.0)
        spent = np.maximum(budget, committed) + self.honour_cost_musd
        self.peacekeeping_cost_cum_musd = (
            self.peacekeeping_cost_cum_musd + self.peacekeeping_cost_musd
        )
        self.regional_cost_cum_musd = self.regional_cost_cum_musd + spent

    def effort_in(self, local: LocalState) -> np.ndarray:
        """Influence effort in ``local`` this week, US$ m: free effort by allocation, arms,
        the influence value of peacekeepers' presence, and honoured help."""
        m = self.model
        effort = self.free_effort_musd * self.allocation.get(local.name, 0.0)
        effort = effort + sum(
            (a.weekly_musd for a in self.own_arms if a.client is local), np.zeros(m.R)
        )
        effort = effort + sum((d.presence_in(local) for d in self.own_mandates), np.zeros(m.R))
        return effort + m.honoured_help_musd.get((self.name, local.name), 0.0)

    def tally_influence(self) -> None:
        """Regional influence: the weighted mean of the power's shares in the local states."""
        locals_ = self.model.local_states
        weights = [loc.params.weight for loc in locals_]
        total = sum(weights)
        self.influence = sum(
            w * loc.share[self.name] for w, loc in zip(weights, locals_, strict=True)
        ) / np.where(total > 0, total, 1.0)
        self.honour_cost_musd = np.zeros(self.model.R)


class LocalState(Actor):
    """A local state. Rule: its trust in each power reverts toward its affinity scaled by the
    power's credibility, rises with help delivered and honoured pledges, falls with broken
    pledges and defeats under the power's protection; powers' influence over it is a Tullock
    contest of trust-weighted effort against its own autonomy."""

    def __init__(self, model: HegemonModel, spec: sc.LocalState):
        super().__init__(model, spec)
        powers = [p.name for p in model.spec.powers]
        zero = np.zeros(model.R)
        self.trust = {p: self.params.trust.get(p, zero).copy() for p in powers}
        self.affinity = {p: self.params.affinity.get(p, self.trust[p]).copy() for p in powers}
        memory = model.params.influence.memory_weeks
        self.stock = {p: zero.copy() for p in powers}  # influence capital, US$ m
        self.autonomy_stock = self.params.autonomy * self.weekly_budget_musd * memory
        self.share = {p: zero.copy() for p in powers}

    def gain_trust(self, power: Power, share: np.ndarray, mask: np.ndarray) -> None:
        """Where ``mask``, trust in ``power`` closes ``share`` (0..1) of its gap to 1."""
        if mask.any():
            t = self.trust[power.name]
            self.trust[power.name] = unit_interval(np.where(mask, t + share * (1.0 - t), t))

    def lose_trust(self, power: Power, share: np.ndarray, mask: np.ndarray) -> None:
        """Where ``mask``, trust in ``power`` loses ``share`` (0..1) of itself."""
        if mask.any():
            t = self.trust[power.name]
            self.trust[power.name] = unit_interval(np.where(mask, t - share * t, t))

    def update_trust(self) -> None:
        """Weekly drift toward affinity x credibility, plus delivery of arms."""
        m = self.model
        tp = m.params.trust
        budget = np.maximum(self.weekly_budget_musd, 1e-9)
        for power in m.powers:
            t = self.trust[power.name]
            target = unit_interval(self.affinity[power.name] * power.credibility / tp.credibility)
            t = t + (target - t) / tp.reversion_weeks
            delivered = sum(
                (a.weekly_musd for a in power.own_arms if a.client is self), np.zeros(m.R)
            )
            t = t + np.minimum(tp.delivery_gain * delivered / budget, 1.0) * (1.0 - t)
            self.trust[power.name] = unit_interval(t)

    def hold_contest(self) -> None:
        """Tullock contest: share_p = (trust_p * capital_p)^r / (sum_q (...)^r + autonomy^r)."""
        m = self.model
        r = m.params.influence.decisiveness
        keep = 1.0 - 1.0 / np.maximum(m.params.influence.memory_weeks, 1.0)
        self.autonomy_stock = (
            keep * self.autonomy_stock + self.params.autonomy * self.weekly_budget_musd
        )
        weighted = {}
        for power in m.powers:
            self.stock[power.name] = keep * self.stock[power.name] + power.effort_in(self)
            weighted[power.name] = (self.trust[power.name] * self.stock[power.name]) ** r
        total = sum(weighted.values()) + self.autonomy_stock**r
        safe = np.where(total > 0, total, 1.0)
        self.share = {p: np.where(total > 0, w / safe, 0.0) for p, w in weighted.items()}

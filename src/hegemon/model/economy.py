"""Economy (ODD 7.1) and regional budget and spending (ODD 7.2).

Every actor's GDP follows geometric Brownian motion and its military budget keeps its share
of GDP. A power spends a share of its military budget on the region, times the budget shocks
in force; it pays peacekeeping and arms first, honoured commitments on top, and the rest is
free effort for influence.

Attention (ODD 7.16, off by default): a power's attention to the region is its regional effort
in force, times its budget shocks, against the effort it planned at the start, raised to
``attention.elasticity``. Where attention is on, the deterrence its peacekeepers and its
pledges lend scales with it, so a demand elsewhere (a budget shock) weakens them: imperial
overstretch (Kennedy 1987) and the retrenchment of a declining power (MacDonald & Parent 2011).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from hegemon.model.derived import Derived
from hegemon.model.parameters import to_power

if TYPE_CHECKING:
    from hegemon.model.model import HegemonModel
    from hegemon.model.parameters import ActorParams, PowerParams

WEEKS_PER_YEAR = 52.0


class Economy:
    """A state with an economy: GDP follows geometric Brownian motion, and the military
    budget keeps its share of GDP (a power or a local state)."""

    model: HegemonModel
    name: str
    params: ActorParams

    def init_economy(self) -> None:
        self.gdp_busd = self.params.gdp_busd.copy()
        self.military_share = self.params.military_budget_musd / (1000.0 * self.gdp_busd)
        self._weekly_growth = Derived(_weekly_growth)  # (drift, scale) of growth, volatility

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
        drift, scale = self._weekly_growth(self.params.gdp_growth, self.params.growth_volatility)
        step = scale * z
        step += drift
        self.gdp_busd = self.gdp_busd * np.exp(step, out=step)


def _weekly_growth(g: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weekly drift of log-GDP and the scale of its shock, for the growth rate ``g`` and
    volatility ``sigma`` (computed again only when an event sets either: ``Derived``)."""
    return (np.log1p(g) - 0.5 * sigma**2) / WEEKS_PER_YEAR, sigma * np.sqrt(1 / WEEKS_PER_YEAR)


def grow_economies(model: HegemonModel) -> None:
    """Every agent's week of growth, from one hash over all their growth streams."""
    growing = list(model.agents)
    shocks = model.streams.normals(tuple(a.growth_stream for a in growing), model.week)
    for actor, z in zip(growing, shocks, strict=True):
        actor.grow(z)


class RegionalBudget:
    """A power's regional budget and its weekly spending (the peacekeeping and arms it pays
    for come from peacekeeping.py and alliances.py)."""

    model: HegemonModel
    params: PowerParams
    military_budget_musd: np.ndarray
    mandate_cost_musd: Callable[[], np.ndarray]  # peacekeeping.Sponsor
    arms_cost_musd: Callable[[], np.ndarray]  # alliances.Patron

    def init_budget(self) -> None:
        R = self.model.R
        self.shocks: dict[str, np.ndarray] = {}  # budget shocks in force, by event id
        self.honour_cost_musd = np.zeros(R)  # this week's cost of honoured commitments
        self.peacekeeping_cost_musd = np.zeros(R)
        self.peacekeeping_cost_cum_musd = np.zeros(R)
        self.regional_cost_cum_musd = np.zeros(R)
        self.free_effort_musd = np.zeros(R)
        self.planned_effort = self.params.regional_effort.copy()  # the plan, for attention

    @property
    def attention(self) -> np.ndarray:
        """Regional effort in force times the shocks, against the plan, to the power
        ``attention.elasticity`` (1 where the plan is no effort). Within a step it is
        computed once: events, which change effort and shocks, run between steps."""
        m = self.model
        if not m._between_steps and getattr(self, "_attention_week", None) == m.week:
            return self._attention
        self._attention = self._compute_attention()
        self._attention_week = m.week if not m._between_steps else None
        return self._attention

    def _compute_attention(self) -> np.ndarray:
        shock = np.prod(list(self.shocks.values()), axis=0) if self.shocks else 1.0
        planned = self.planned_effort
        ratio = self.params.regional_effort * shock / np.where(planned > 0, planned, 1.0)
        ratio = np.where(planned > 0, ratio, 1.0)
        return to_power(ratio, self.model.params.attention.elasticity)

    @property
    def regional_effort(self) -> np.ndarray:
        """The share of the military budget spent on the region (the parameter in force)."""
        return self.params.regional_effort

    @property
    def regional_budget_musd(self) -> np.ndarray:
        """What the power plans to spend on the region, US$ m per year."""
        shock = np.prod(list(self.shocks.values()), axis=0) if self.shocks else 1.0
        return self.params.regional_effort * shock * self.military_budget_musd

    def shock_budget(self, event_id: str, factor: np.ndarray) -> None:
        """Multiply the regional budget by ``factor`` until :meth:`end_shock`."""
        self.shocks[event_id] = factor

    def end_shock(self, event_id: str) -> None:
        self.shocks.pop(event_id, None)

    def book_honour_cost(self, cost_musd: np.ndarray) -> None:
        """Add the cost of a commitment honoured this week (paid in :meth:`spend`)."""
        self.honour_cost_musd = self.honour_cost_musd + cost_musd

    def spend(self) -> None:
        """Pay this week's peacekeeping, arms and honoured commitments; the rest is free
        effort for influence. Peacekeeping and arms come out of the regional budget;
        honoured commitments are unplanned spending on top of it (and paid, their weekly
        cost starts again from zero)."""
        budget = self.regional_budget_musd / WEEKS_PER_YEAR
        self.peacekeeping_cost_musd = self.mandate_cost_musd()
        arms = self.arms_cost_musd()
        committed = self.peacekeeping_cost_musd + arms
        self.free_effort_musd = np.maximum(budget - committed, 0.0)
        spent = np.maximum(budget, committed) + self.honour_cost_musd
        self.honour_cost_musd = np.zeros(self.model.R)
        self.peacekeeping_cost_cum_musd = (
            self.peacekeeping_cost_cum_musd + self.peacekeeping_cost_musd
        )
        self.regional_cost_cum_musd = self.regional_cost_cum_musd + spent

    def forget_costs(self) -> None:
        """Start the cumulative costs from zero (after the spending that sets up the start)."""
        self.peacekeeping_cost_cum_musd[:] = 0.0
        self.regional_cost_cum_musd[:] = 0.0

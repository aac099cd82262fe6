"""The influence contest (ODD 7.4): effort, influence capital, shares and regional influence.

Within each local state the powers contest influence by a Tullock (1980) contest of
trust-weighted capital, with the state's own capital (autonomy) as a contestant. Capital
accumulates effort with a mean life of ``memory_weeks``. A power's regional influence is the
weighted mean of its shares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from hegemon.model.parameters import to_power

if TYPE_CHECKING:
    from hegemon.model.agents import LocalState
    from hegemon.model.model import HegemonModel
    from hegemon.model.parameters import LocalStateParams, PowerParams


def contest_shares(
    efforts: dict[str, np.ndarray], autonomy: np.ndarray, r: np.ndarray
) -> dict[str, np.ndarray]:
    """Tullock contest: share_p = effort_p^r / (sum_q effort_q^r + autonomy^r), 0 where no
    one puts in anything; the shares and the autonomy's share sum to 1."""
    weighted = {p: to_power(e, r) for p, e in efforts.items()}
    total = sum(weighted.values()) + to_power(autonomy, r)
    safe = np.where(total > 0, total, 1.0)
    return {p: np.where(total > 0, w / safe, 0.0) for p, w in weighted.items()}


class Influencer:
    """A power's influence effort in each local state and its regional influence."""

    model: HegemonModel
    name: str
    params: PowerParams
    free_effort_musd: np.ndarray
    arms_to: Callable[[LocalState], np.ndarray]  # alliances.Patron
    presence_effort_in: Callable[[LocalState], np.ndarray]  # peacekeeping.Sponsor

    def init_influence(self) -> None:
        m = self.model
        weights = self.params.allocation or {loc.name: np.ones(m.R) for loc in m.spec.locals}
        total = sum(weights.values())
        self.allocation = {name: w / total for name, w in weights.items()}
        self.honoured_help_musd: dict[str, np.ndarray] = {}  # this week's, by local state
        self.influence = np.zeros(m.R)

    def book_help(self, local: LocalState, musd: np.ndarray) -> None:
        """Count ``musd`` of help honoured to ``local`` as this week's effort in it."""
        self.honoured_help_musd[local.name] = self.honoured_help_musd.get(local.name, 0.0) + musd

    def effort_in(self, local: LocalState) -> np.ndarray:
        """Influence effort in ``local`` this week, US$ m: free effort by allocation, arms,
        the influence value of peacekeepers' presence, and honoured help."""
        effort = self.free_effort_musd * self.allocation.get(local.name, 0.0)
        effort = effort + self.arms_to(local)
        effort = effort + self.presence_effort_in(local)
        return effort + self.honoured_help_musd.get(local.name, 0.0)

    def tally_influence(self) -> None:
        """Regional influence: the weighted mean of the power's shares in the local states
        (the week's contests are over: its honoured help starts again from nothing)."""
        locals_ = self.model.local_states
        weights = [loc.params.weight for loc in locals_]
        total = sum(weights)
        self.influence = sum(
            w * loc.share[self.name] for w, loc in zip(weights, locals_, strict=True)
        ) / np.where(total > 0, total, 1.0)
        self.honoured_help_musd.clear()


class Contested:
    """A local state whose alignment the powers contest: their capital in it, its own, and
    their shares."""

    model: HegemonModel
    params: LocalStateParams
    trust: dict[str, np.ndarray]
    weekly_budget_musd: np.ndarray

    def init_contest(self) -> None:
        powers = [p.name for p in self.model.spec.powers]
        zero = np.zeros(self.model.R)
        memory = self.model.params.influence.memory_weeks
        self.stock = {p: zero.copy() for p in powers}  # influence capital, US$ m
        self.autonomy_stock = self.params.autonomy * self.weekly_budget_musd * memory
        self.share = {p: zero.copy() for p in powers}

    def hold_contest(self) -> None:
        """Capital decays and takes this week's effort; shares are a Tullock contest of
        trust-weighted capital against the state's own (:func:`contest_shares`)."""
        m = self.model
        keep = 1.0 - 1.0 / np.maximum(m.params.influence.memory_weeks, 1.0)
        self.autonomy_stock = (
            keep * self.autonomy_stock + self.params.autonomy * self.weekly_budget_musd
        )
        efforts = {}
        for power in m.powers:
            self.stock[power.name] = keep * self.stock[power.name] + power.effort_in(self)
            efforts[power.name] = self.trust[power.name] * self.stock[power.name]
        self.share = contest_shares(efforts, self.autonomy_stock, m.params.influence.decisiveness)


def start_contest(model: HegemonModel) -> None:
    """Start every influence stock at the steady state of the initial effort, hold the
    contest once and tally influence; the spending this takes is not counted."""
    for power in model.powers:
        power.spend()
    memory = model.params.influence.memory_weeks
    for local in model.local_states:
        for power in model.powers:
            local.stock[power.name] = power.effort_in(local) * memory
        local.hold_contest()
    for power in model.powers:
        power.forget_costs()
        power.tally_influence()

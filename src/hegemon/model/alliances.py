"""Alliances and arms support (ODD 7.7, 7.9): ties from a patron power to a client state.

A commitment is a power's pledge to defend a local state; the dispute invokes it when the
state is attacked (dispute.py), and the patron honours it or not (trust.py). An arms pipeline
delivers arms and military aid while active: it costs the patron, counts as influence effort
and trust in the client, and adds to the client's military strength. Events switch both on
and off.

Alliance exit (ODD 7.15, off by default): a client whose call its patron failed, whose trust
in the patron has fallen below ``exit.client_min_trust`` and who has seen at least
``exit.min_failures`` failed calls leaves the alliance with probability
``exit.client_exit_chance`` (stream ``exit:<id>``); at each review a patron whose share of
the influence contest in the client has fallen below ``exit.patron_min_influence`` abandons it
with probability ``exit.patron_exit_chance`` (stream ``abandon:<id>``). Alliances end when they
no longer serve a party: after a failure to honour them and after shifts in what they bring
(Leeds 2003; Leeds & Savun 2007).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from hegemon.model.economy import WEEKS_PER_YEAR
from hegemon.model.parameters import AllianceParams, ArmsParams

if TYPE_CHECKING:
    from hegemon.model.agents import LocalState, Power
    from hegemon.model.model import HegemonModel
    from hegemon.scenario import schema as sc


class Patronage:
    """A tie from a patron power to a client state, switched on and off per replicate."""

    def __init__(self, model: HegemonModel, spec: sc.Alliance | sc.ArmsSupport):
        self.id = spec.id
        self.patron: Power = model.actor(spec.patron)
        self.client: LocalState = model.actor(spec.client)
        self.active = np.full(model.R, spec.active)

    def switch(self, on: bool) -> None:
        """Switch the tie on or off in every replicate (a toggle event)."""
        self.active = np.full(len(self.active), on)


class Commitment(Patronage):
    """A power's pledge to defend a local state; invoked when the state is attacked."""

    def __init__(self, model: HegemonModel, spec: sc.Alliance):
        self.model = model
        self.params = AllianceParams.draw(spec, model.draws)
        super().__init__(model, spec)
        self.failures = np.zeros(model.R)  # calls on the patron not honoured, cumulative

    @property
    def credible_support_musd(self) -> np.ndarray:
        """The support an opponent expects: pledged support times the patron's credibility
        (and its attention, 7.16, where that is on)."""
        support = self.params.support_musd * self.patron.credibility
        if self.model.params.attention.enabled:
            support = support * self.patron.attention
        return np.where(self.active, support, 0.0)

    def end(self, mask: np.ndarray, by_client: bool, reason: str) -> None:
        """The alliance ends where ``mask``, by the client or by the patron."""
        self.active = self.active & ~mask
        ender, other = (self.client, self.patron) if by_client else (self.patron, self.client)
        self.model.log_event(
            "alliance_ended",
            mask,
            actor=ender.name,
            target=other.name,
            detail=f"{self.id}: {reason}",
        )

    def weigh_exit(self, failed: np.ndarray) -> None:
        """The patron failed the client's call where ``failed``: a client that has lost
        enough trust after enough failures may leave (stream ``exit:<id>``)."""
        rule = self.model.params.exit
        low = self.client.trust[self.patron.name] < rule.client_min_trust
        due = failed & self.active & low & (self.failures >= rule.min_failures)
        if not due.any():
            return
        u = self.model.streams.uniform(f"exit:{self.id}", self.model.week)
        self.end(due & (u < rule.client_exit_chance), True, "failed calls")

    def review(self) -> None:
        """The patron's review: it may abandon a client over which its share of influence
        has fallen below ``patron_min_influence`` (stream ``abandon:<id>``)."""
        rule = self.model.params.exit
        share = self.client.share[self.patron.name]
        due = self.active & (share < rule.patron_min_influence)
        if not due.any():
            return
        u = self.model.streams.uniform(f"abandon:{self.id}", self.model.week)
        self.end(due & (u < rule.patron_exit_chance), False, "client lost")


class ArmsPipeline(Patronage):
    """Arms supply and military aid from a power to a local state while active."""

    def __init__(self, model: HegemonModel, spec: sc.ArmsSupport):
        self.params = ArmsParams.draw(spec, model.draws)
        super().__init__(model, spec)

    @property
    def weekly_musd(self) -> np.ndarray:
        return np.where(self.active, self.params.musd_per_year / WEEKS_PER_YEAR, 0.0)

    @property
    def military_weight_musd(self) -> np.ndarray:
        """Contribution to the client's military strength, US$ m per year equivalent."""
        return np.where(self.active, self.params.effectiveness * self.params.musd_per_year, 0.0)


class Patron:
    """A power as the patron of arms pipelines: what it delivers and what that costs."""

    model: HegemonModel

    @cached_property
    def own_arms(self) -> list[ArmsPipeline]:
        """The arms pipelines this power supplies (relations are fixed once built)."""
        return [a for a in self.model.arms if a.patron is self]

    def arms_to(self, local: LocalState) -> np.ndarray:
        """Arms delivered to ``local`` this week, US$ m."""
        delivered = (a.weekly_musd for a in self.own_arms if a.client is local)
        return sum(delivered, np.zeros(self.model.R))

    def arms_cost_musd(self) -> np.ndarray:
        """This week's cost of every arms pipeline the power supplies, US$ m."""
        return sum((a.weekly_musd for a in self.own_arms), np.zeros(self.model.R))

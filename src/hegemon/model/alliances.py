"""Alliances and arms support (ODD 7.7, 7.9): ties from a patron power to a client state.

A commitment is a power's pledge to defend a local state; the dispute invokes it when the
state is attacked (dispute.py), and the patron honours it or not (trust.py). An arms pipeline
delivers arms and military aid while active: it costs the patron, counts as influence effort
and trust in the client, and adds to the client's military strength. Events switch both on
and off.
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
        self.params = AllianceParams.draw(spec, model.draws)
        super().__init__(model, spec)

    @property
    def credible_support_musd(self) -> np.ndarray:
        """The support an opponent expects: pledged support times the patron's credibility."""
        return np.where(self.active, self.params.support_musd * self.patron.credibility, 0.0)


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

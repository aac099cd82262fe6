"""Relations between actors, as state vectorized over replicates: alliances (commitments),
arms support and peacekeeping mandates."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hegemon.model.agents import WEEKS_PER_YEAR, LocalState, Power
from hegemon.scenario import schema as sc

if TYPE_CHECKING:
    from hegemon.model.model import HegemonModel


class Patronage:
    """A tie from a patron power to a client state, switched on and off per replicate."""

    def __init__(self, model: HegemonModel, spec: sc.Alliance | sc.ArmsSupport):
        self.id = spec.id
        self.params = model.draws.resolve(spec, f"relations.{spec.id}")
        self.patron: Power = model.actor(spec.patron)
        self.client: LocalState = model.actor(spec.client)
        self.active = np.full(model.R, spec.active)


class Commitment(Patronage):
    """A power's pledge to defend a local state; invoked when the state is attacked."""


class ArmsPipeline(Patronage):
    """Arms supply and military aid from a power to a local state while active."""

    @property
    def weekly_musd(self) -> np.ndarray:
        return np.where(self.active, self.params.musd_per_year / WEEKS_PER_YEAR, 0.0)

    @property
    def military_weight_musd(self) -> np.ndarray:
        """Contribution to the client's military strength, US$ m per year equivalent."""
        return np.where(self.active, self.params.effectiveness * self.params.musd_per_year, 0.0)


class Mandate:
    """A peacekeeping mandate: the trade of money for presence."""

    def __init__(self, model: HegemonModel, spec: sc.Peacekeeping):
        self.id = spec.id
        self.spec = spec
        self.params = model.draws.resolve(spec, f"relations.{spec.id}")
        self.sponsor: Power = model.actor(spec.sponsor)
        self.parties: list[LocalState] = [model.actor(p) for p in spec.parties]
        self.troops = np.where(spec.active, self.params.troops, 0.0)
        self.renewing = np.ones(model.R, dtype=bool)
        self.void = np.zeros(model.R, dtype=bool)  # ended by the collapse of the ceasefire

    @property
    def weekly_cost_musd(self) -> np.ndarray:
        return self.troops * self.params.cost_per_troop_week_usd / 1e6

    def presence_in(self, local: LocalState) -> np.ndarray:
        """Influence effort that presence buys in one of the parties, US$ m per week."""
        if local not in self.parties:
            return np.zeros_like(self.troops)
        return self.weekly_cost_musd * self.params.presence_efficiency / len(self.parties)

    def deterrence(self) -> np.ndarray:
        """Credible troops, in thousands: troops weighted by the sponsor's credibility."""
        return self.troops / 1000.0 * self.sponsor.credibility

"""Credibility (ODD 7.5) and trust (ODD 7.6): every way trust moves.

A power's credibility is the posterior mean of its honour rate (Leeds, Long & Mitchell 2000
for the prior). A local state's trust in a power drifts toward its affinity scaled by the
power's credibility, rises with arms delivered, closes a share of its gap to 1 when the power
honours a call or arms the winner of a fight, and loses a share of itself when the power
fails a call or the state is defeated under its protection (losses exceed gains: Slovic 1993).

Two refinements, each off by default: a lost war costs ``war_salience`` times the loss of a
lost clash (the salience of the event: Kahneman & Tversky 1979 on the weight of large losses;
Weisiger & Yarhi-Milo 2015 on which past actions count), and the honour record fades by
``record_fading`` a year, so old calls weigh less than recent ones and a patron can rebuild its
reputation (Crescenzi 2007, 2018).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from hegemon.model.derived import Derived

if TYPE_CHECKING:
    from hegemon.model.agents import Power
    from hegemon.model.alliances import ArmsPipeline
    from hegemon.model.model import HegemonModel
    from hegemon.model.parameters import LocalStateParams, PowerParams


def unit_interval(x: np.ndarray) -> np.ndarray:
    """``x`` clipped to 0..1 (``np.clip`` without its dispatch overhead, the same values)."""
    return np.minimum(np.maximum(x, 0.0), 1.0)


def _at(values: np.ndarray | float, where: np.ndarray) -> np.ndarray | float:
    """``values`` at the replicates ``where`` (a scalar, or an array of every replicate)."""
    return values[where] if np.ndim(values) else values


class Credibility:
    """A power's honour record: it honours an invoked commitment with probability
    ``resolve``, and its credibility is the Beta-binomial posterior mean of its honour rate."""

    model: HegemonModel
    params: PowerParams

    def init_record(self) -> None:
        tp = self.model.params.trust
        self.honours = np.zeros(self.model.R)
        self.invocations = np.zeros(self.model.R)
        prior, weight = tp.credibility * tp.credibility_memory, tp.credibility_memory
        self._credibility = Derived(lambda honours, invoked: (prior + honours) / (weight + invoked))
        self._keep = Derived(lambda fading: (1.0 - fading) ** (1.0 / 52.0))

    @property
    def resolve(self) -> np.ndarray:
        """The probability of honouring an invoked commitment (the parameter in force)."""
        return self.params.resolve

    @property
    def credibility(self) -> np.ndarray:
        """Beta-binomial posterior mean of the honour rate, from the prior and the record
        (computed again only when the record changes: it changes by new arrays only)."""
        return self._credibility(self.honours, self.invocations)

    def fade_record(self) -> None:
        """A week of fading: the honours and invocations on record are discounted by
        ``(1 - record_fading) ** (1 / 52)``, so credibility returns toward the prior (the
        discount computed again only when an event sets ``record_fading``)."""
        keep = self._keep(self.model.params.trust.record_fading)
        self.honours = self.honours * keep
        self.invocations = self.invocations * keep

    def honour(self, invoked: np.ndarray, stream: str) -> np.ndarray:
        """Answer an ally's call where ``invoked``: True where the commitment is honoured."""
        u = self.model.streams.uniform(stream, self.model.week)
        honoured = invoked & (u < self.params.resolve)
        self.invocations = self.invocations + invoked
        self.honours = self.honours + honoured
        return honoured


class Trust:
    """A local state's trust in each power, 0..1."""

    model: HegemonModel
    params: LocalStateParams
    weekly_budget_musd: np.ndarray

    def init_trust(self) -> None:
        powers = [p.name for p in self.model.spec.powers]
        zero = np.zeros(self.model.R)
        self.trust = {p: self.params.trust.get(p, zero).copy() for p in powers}
        self.affinity = {p: self.params.affinity.get(p, self.trust[p]).copy() for p in powers}

    def gain_trust(self, power: Power, share: np.ndarray | float, mask: np.ndarray) -> None:
        """Where ``mask``, trust in ``power`` closes ``share`` (0..1) of its gap to 1."""
        where = np.flatnonzero(mask)
        if where.size:
            t = self.trust[power.name]
            s, tw = _at(share, where), t[where]
            t[where] = unit_interval(tw + s * (1.0 - tw))

    def lose_trust(self, power: Power, share: np.ndarray | float, mask: np.ndarray) -> None:
        """Where ``mask``, trust in ``power`` loses ``share`` (0..1) of itself."""
        where = np.flatnonzero(mask)
        if where.size:
            t = self.trust[power.name]
            s, tw = _at(share, where), t[where]
            t[where] = unit_interval(tw - s * tw)

    def update_trust(self) -> None:
        """Weekly drift toward affinity x credibility, plus delivery of arms."""
        m = self.model
        tp = m.params.trust
        budget = np.maximum(self.weekly_budget_musd, 1e-9)
        for power in m.powers:
            t = self.trust[power.name]
            target = unit_interval(self.affinity[power.name] * power.credibility / tp.credibility)
            t = t + (target - t) / tp.reversion_weeks
            delivered = power.arms_to(self)
            t = t + np.minimum(tp.delivery_gain * delivered / budget, 1.0) * (1.0 - t)
            self.trust[power.name] = unit_interval(t)

    def trust_on_honour(self, power: Power, honoured: np.ndarray) -> None:
        """``power`` answered this state's call where ``honoured``: trust gains."""
        self.gain_trust(power, self.model.params.trust.gain_on_honour, honoured)

    def trust_on_failure(self, power: Power, failed: np.ndarray) -> None:
        """``power`` failed this state's call where ``failed``: trust suffers the failure loss."""
        self.lose_trust(power, self.model.params.trust.loss_on_failure, failed)

    def trust_on_defeat(
        self,
        protectors: dict[Power, np.ndarray],
        defeated: np.ndarray,
        salience: np.ndarray | None = None,
    ) -> None:
        """This state lost a fight where ``defeated``: its trust in every power pledged to
        protect it there (``protectors``: power -> where pledged) suffers the defeat loss,
        times the fight's ``salience`` where given (a war: ``war_salience``)."""
        loss = self.model.params.trust.loss_on_defeat
        if salience is not None:
            loss = np.minimum(loss * salience, 1.0)
        for power, pledged in protectors.items():
            self.lose_trust(power, loss, defeated & pledged)

    def trust_on_victory(self, arms: Iterable[ArmsPipeline], won: np.ndarray) -> None:
        """This state won a fight where ``won``: its trust in the patron of every active arms
        pipeline to it gains."""
        gain = self.model.params.trust.gain_on_honour
        for a in arms:
            self.gain_trust(a.patron, gain, won & a.active)

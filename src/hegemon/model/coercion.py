"""Pressure short of war (ODD 7.17): a blockade or an incursion between a clash and a collapse.

While the ceasefire holds, a side may start coercing the other with a weekly hazard of the
clash hazard's form (7.8) and its own rate, ``rate * grievance * pressure * calm``. The
target's protectors (its allies and the sponsors of mandates with troops there) answer with
probability their resolve (times their attention, 7.16, where that is on); an answered
coercion is lifted at once. An unanswered one goes on, ending by itself with weekly probability
``1 / mean_weeks``; while it lasts the coercer's clash hazard is multiplied by
``1 + hazard_gain * years of coercion`` (pressure builds up toward a clash: Schelling 1966 on
compellence; George 1991 on coercive diplomacy), and the target's trust in each protector
loses ``trust_loss_per_week`` of itself every week (the protector is seen not to respond).
A collapse of the ceasefire ends any coercion: it has become war.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hegemon.model.agents import LocalState
    from hegemon.model.dispute import Dispute

COERCION_STREAMS = ("coercion", "coercion_end", "coercion_response")


class Coercion:
    """A coercion campaign of one side against the other, at most one at a time."""

    def __init__(self, dispute: Dispute):
        self.dispute = dispute
        R = dispute.model.R
        self.params = dispute.model.params.coercion
        self.active = np.zeros(R, dtype=bool)
        self.by_first = np.zeros(R, dtype=bool)  # the first side is the coercer
        self.weeks = np.zeros(R)

    def by(self, side: LocalState) -> np.ndarray:
        """Where ``side`` is coercing the other."""
        first = side is self.dispute.sides[0]
        return self.active & (self.by_first if first else ~self.by_first)

    def hazard_factor(self, side: LocalState) -> np.ndarray:
        """The factor on ``side``'s clash hazard: the build-up of its coercion."""
        return np.where(self.by(side), 1.0 + self.params.hazard_gain * self.weeks / 52.0, 1.0)

    def answer_chance(self, target: LocalState) -> np.ndarray:
        """The chance that at least one of ``target``'s protectors answers a coercion."""
        d = self.dispute
        attention = d.model.params.attention.enabled
        none = np.ones(d.model.R)
        for power, pledged in d.protectors(target).items():
            answer = power.resolve * (power.attention if attention else 1.0)
            none = none * np.where(pledged, 1.0 - answer, 1.0)
        return 1.0 - none

    def week(self, pressure: dict[LocalState, np.ndarray], calm: np.ndarray) -> None:
        """One week: coercions in force cost trust and may end; a new one may start."""
        d = self.dispute
        m, p = d.model, self.params
        a, b = d.sides
        u_start, u_end, u_answer = m.streams.uniforms(COERCION_STREAMS, m.week)
        if self.active.any():
            lifted = self.active & (u_end < 1.0 / p.mean_weeks)
            self._log_end(lifted, "lifted")
            self.active = self.active & ~lifted
            self.weeks = self.weeks + self.active
            for target, by in ((b, self.by(a)), (a, self.by(b))):
                for power, pledged in d.protectors(target).items():
                    target.lose_trust(power, p.trust_loss_per_week, by & pledged)
        possible = ~self.active & d.ceasefire
        if not possible.any():
            return
        rate = {s: p.rate * d.grievance(s) * pressure[s] * calm for s in d.sides}
        prob_a = -np.expm1(-rate[a])
        prob_b = np.minimum(-np.expm1(-rate[b]), 1.0 - prob_a)
        start_a = possible & (u_start < prob_a)
        start_b = possible & (u_start >= prob_a) & (u_start < prob_a + prob_b)
        start = start_a | start_b
        if not start.any():
            return
        answer = np.where(start_a, self.answer_chance(b), self.answer_chance(a))
        answered = start & (u_answer < answer)
        m.log_event(
            "coercion_started",
            start,
            actor=m.either(start_a, a.name, b.name),
            target=m.either(start_a, b.name, a.name),
            detail=m.either(answered, "answered", "unanswered"),
        )
        self.by_first = np.where(start, start_a, self.by_first)
        self.active = self.active | (start & ~answered)
        self.weeks = np.where(start, 0.0, self.weeks)
        self._log_end(answered, "answered", first=start_a)

    def end_with_war(self, collapsed: np.ndarray) -> None:
        """The ceasefire collapsed where ``collapsed``: a coercion there has become war."""
        ending = self.active & collapsed
        self._log_end(ending, "war")
        self.active = self.active & ~collapsed

    def _log_end(self, mask: np.ndarray, why: str, first: np.ndarray | None = None) -> None:
        if not mask.any():
            return
        a, b = self.dispute.sides
        m = self.dispute.model
        first = self.by_first if first is None else first
        m.log_event(
            "coercion_ended",
            mask,
            actor=m.either(first, a.name, b.name),
            target=m.either(first, b.name, a.name),
            detail=why,
        )

"""War termination (ODD 7.13): the war that follows the ceasefire's collapse ends, by a
settlement or a victory.

War is read as bargaining under uncertainty (Fearon 1995): fighting goes on while the sides
disagree about what it would bring, and every week of fighting reveals information and costs
both (Slantchev 2003; Reiter 2009), so a war ends sooner the more lopsided the balance and the
longer it has lasted. Each week at war it ends with hazard

    end_rate * (1 + imbalance_weight * |2 p - 1|) * (1 + attrition_weight * years at war)

where p is the first side's chance to win (the contest of strengths of 7.10). The terms are a
victory where the war's winner holds its whole claim, else a settlement on the line held;
territory stays where it is, the grievances are reset to the unmet claims (7.8) and the clash
hazards of both sides are multiplied by ``post_war_hazard`` from then on (a settled war is
followed by fewer incidents: Fortna 2004). Switched off, a collapsed ceasefire is a war fought
for ever at the clash hazard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hegemon.model.dispute import Dispute

WAR_STREAMS = ("war_end",)


class War:
    """The war between the dispute's sides: whether it goes on, for how long, and who won it."""

    def __init__(self, dispute: Dispute):
        self.dispute = dispute
        R = dispute.model.R
        self.params = dispute.model.params.war
        self.at_war = np.zeros(R, dtype=bool)
        self.ended = np.zeros(R, dtype=bool)  # a war was fought and has ended
        self.weeks = np.zeros(R)  # weeks the war has lasted
        self.first_won = np.zeros(R, dtype=bool)  # the first side won the war

    def begin(self, mask: np.ndarray, first_won: np.ndarray) -> None:
        """The ceasefire collapsed into war where ``mask``; ``first_won``: who won the war."""
        self.at_war = self.at_war | mask
        self.weeks = np.where(mask, 0.0, self.weeks)
        self.first_won = np.where(mask, first_won, self.first_won)

    def hazard_factor(self) -> np.ndarray | float:
        """The factor on the clash hazards: ``post_war_hazard`` once a war has ended."""
        if not self.ended.any():
            return 1.0
        return np.where(self.ended, self.params.post_war_hazard, 1.0)

    def end_hazard(self, win_first: np.ndarray) -> np.ndarray:
        """The weekly hazard that the war ends, given the first side's chance to win."""
        p = self.params
        imbalance = np.abs(2.0 * win_first - 1.0)
        return (
            p.end_rate
            * (1.0 + p.imbalance_weight * imbalance)
            * (1.0 + p.attrition_weight * self.weeks / 52.0)
        )

    def weigh_end(self, win_first: np.ndarray) -> None:
        """One week of war: it ends with :meth:`end_hazard` (stream ``war_end``)."""
        if not self.at_war.any():
            return
        d = self.dispute
        m = d.model
        self.weeks = self.weeks + self.at_war
        (u,) = m.streams.uniforms(WAR_STREAMS, m.week)
        ends = self.at_war & (u < -np.expm1(-self.end_hazard(win_first)))
        if not ends.any():
            return
        a, b = d.sides
        winner_claim_met = np.where(
            self.first_won, d.unmet_share(a) <= 0.0, d.unmet_share(b) <= 0.0
        )
        self.at_war = self.at_war & ~ends
        self.ended = self.ended | ends
        d.settle(ends)
        m.log_event(
            "war_ended",
            ends,
            actor=m.either(self.first_won, a.name, b.name),
            target=m.either(self.first_won, b.name, a.name),
            detail=m.either(winner_claim_met, "victory", "settlement on the line held"),
        )

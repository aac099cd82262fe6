"""The territorial dispute (ODD 7.8-7.10): clashes, calls on allies, escalation, collapse.

Each week side i starts a clash with hazard

    h_i = clash_rate * grievance_i * (2 * balance_i) ** balance_exponent
          * exp(-deterrence_per_1000_troops * credible_peacekeepers)

where grievance is the unmet share of its claim, balance its share of military strength
(own budget, patrons' arms weighted by effectiveness, against the defender's strength plus
its allies' credible support), and credible peacekeepers the troops in thousands weighted by
their sponsor's credibility. The defender calls on its allies, who honour or not; who wins is
a Tullock contest of strengths, and the winner takes ``clash_gain`` of the area; a clash escalates
to the ceasefire's collapse with probability ``escalation * (2 * balance) ** exponent``,
reduced by peacekeepers like the hazard. Collapse is a war: the winner takes ``war_gain`` of
the loser's remaining area, and the peacekeepers leave.

Switchable parts (each off by default, and then without effect): with
``conflict.grievance_memory`` a share of the relief a side would feel from a clash it wins is
not felt while its claim is unmet (its aim is the whole claim), and with
``conflict.grievance_buildup`` its grievance builds up toward 1 a little every year (only
handovers and settlements relieve it in full); the war that follows a collapse ends (war.py);
coercion short of war (coercion.py); deterrence scaled by attention (economy.py); allies that
leave (alliances.py); trust losses scaled by salience (trust.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from hegemon.model.coercion import Coercion
from hegemon.model.derived import Derived
from hegemon.model.parameters import ConflictParams
from hegemon.model.war import War
from hegemon.scenario.distributions import is_distribution

if TYPE_CHECKING:
    from hegemon.model.agents import LocalState, Power
    from hegemon.model.alliances import Commitment
    from hegemon.model.model import HegemonModel


DISPUTE_STREAMS = ("clash", "clash_outcome", "escalation", "war_outcome")


class Dispute:
    """Two local states, the share of the disputed area each holds, and the ceasefire."""

    def __init__(self, model: HegemonModel):
        spec = model.spec.conflict
        assert spec is not None
        self.model = model
        self.params = ConflictParams.draw(spec, model.draws)
        self.sides: tuple[LocalState, LocalState] = (
            model.actor(spec.sides[0]),
            model.actor(spec.sides[1]),
        )
        first = self.params.territory[spec.sides[0]]
        self.territory = {self.sides[0].name: first, self.sides[1].name: 1.0 - first}
        self.ceasefire = np.full(model.R, spec.ceasefire)
        self.clashes = np.zeros(model.R)
        # relations are fixed once built (events switch them on and off): index them once
        self._allies = {s: [c for c in model.commitments if c.client is s] for s in self.sides}
        self._arms = {s: [a for a in model.arms if a.client is s] for s in self.sides}
        self._mandates = [d for d in model.mandates if set(self.sides) & set(d.parties)]
        self._claims = {  # claims are read once (no event sets a mapping), 1 where none
            s: np.where(c > 0, c, 1.0) for s, c in self.params.aspiration.items()
        }
        self._unmet = {  # by side, computed again when its ground moves
            s.name: Derived(self._unmet_of(s.name)) for s in self.sides
        }
        # grievance is held as a state only where memory or build-up is given (ODD 7.8)
        self.grievance_memory = any(
            is_distribution(v) or v != 0.0 for v in (spec.grievance_memory, spec.grievance_buildup)
        )
        self._held = {s.name: self.unmet_share(s) for s in self.sides}  # with memory
        self.war = War(self) if model.params.war.enabled else None
        self.coercion = Coercion(self) if model.params.coercion.enabled else None

    def other(self, side: LocalState) -> LocalState:
        return self.sides[1] if side is self.sides[0] else self.sides[0]

    def unmet_share(self, side: LocalState) -> np.ndarray:
        """Unmet share of the side's claim, 0..1."""
        return self._unmet[side.name](self.territory[side.name])

    def _unmet_of(self, side: str) -> Callable[[np.ndarray], np.ndarray]:
        """The unmet share of ``side``'s claim as a function of the ground it holds."""
        # where there is no claim, the unmet part is 0 (territory >= 0) over a divisor of 1
        return lambda held: (
            np.maximum(self.params.aspiration[side] - held, 0.0) / self._claims[side]
        )

    def grievance(self, side: LocalState) -> np.ndarray:
        """The side's grievance, 0..1: the unmet share of its claim, or with grievance memory
        or build-up the grievance it holds (:meth:`hold_grievance`, :meth:`_move`)."""
        if self.grievance_memory:
            return self._held[side.name]
        return self.unmet_share(side)

    def hold_grievance(self) -> None:
        """A week of build-up of the held grievance: where the claim is unmet it rises by
        ``grievance_buildup / 52`` of its gap to 1 (and is never below the unmet share);
        where the claim is met it is 0."""
        rise = self.params.grievance_buildup / 52.0
        for side in self.sides:
            unmet, held = self.unmet_share(side), self._held[side.name]
            built = np.maximum(unmet, held + rise * (1.0 - held))
            self._held[side.name] = np.where(unmet > 0, built, 0.0)

    def relieve_grievance(self, mask: np.ndarray | bool = True) -> None:
        """An agreement (a handover, a settlement) where ``mask``: each side's held grievance
        becomes its unmet share again."""
        if self.grievance_memory:
            for side in self.sides:
                held = self._held[side.name]
                self._held[side.name] = np.where(mask, self.unmet_share(side), held)

    @property
    def at_war(self) -> np.ndarray:
        """Where a war is being fought: since the collapse, until it ends (war.py); for ever
        after the collapse where wars do not end."""
        return ~self.ceasefire if self.war is None else self.war.at_war

    def strength(self, side: LocalState) -> np.ndarray:
        """Own military budget plus patrons' arms, US$ m per year equivalent."""
        m = self.model
        arms = sum((a.military_weight_musd for a in self._arms[side]), np.zeros(m.R))
        return side.military_budget_musd + arms

    def allies(self, side: LocalState) -> list[Commitment]:
        return self._allies[side]

    def credible_support(self, side: LocalState) -> np.ndarray:
        """Allies' support as the opponent expects it: pledged support times credibility."""
        return sum((c.credible_support_musd for c in self.allies(side)), np.zeros(self.model.R))

    def peacekeeping_deterrence(self) -> np.ndarray:
        """Credible peacekeepers, in thousands, of every mandate with a party among the sides."""
        return sum((d.deterrence() for d in self._mandates), np.zeros(self.model.R))

    def calm(self) -> np.ndarray:
        """The factor by which credible peacekeepers cut the hazards: exp(-psi * Q)."""
        return np.exp(-self.params.deterrence_per_1000_troops * self.peacekeeping_deterrence())

    def balance(self, side: LocalState, strength: dict[LocalState, np.ndarray]) -> np.ndarray:
        """The side's share of strength against the other side and its allies' credibility
        (``strength``: this week's strength of each side)."""
        other = self.other(side)
        own = strength[side]
        against = strength[other] + self.params.ally_deterrence * self.credible_support(other)
        return own / np.maximum(own + against, 1e-9)

    def pressure(self, side: LocalState, strength: dict[LocalState, np.ndarray]) -> np.ndarray:
        """How the balance presses the side to fight: (2 * balance) ** balance_exponent, 1 at
        parity."""
        return (2.0 * self.balance(side, strength)) ** self.params.balance_exponent

    def hazard(self, side: LocalState, pressure: np.ndarray, calm: np.ndarray) -> np.ndarray:
        """The weekly hazard that ``side`` starts a clash: clash_rate * grievance * pressure
        * calm (times the factors of an ended war and of the side's coercion, where on)."""
        h = self.params.clash_rate * self.grievance(side) * pressure * calm
        if self.war is not None:
            h = h * self.war.hazard_factor()
        if self.coercion is not None:
            h = h * self.coercion.hazard_factor(side)
        return h

    def escalation_chance(self, pressure: np.ndarray, calm: np.ndarray) -> np.ndarray:
        """The probability that a clash escalates to the ceasefire's collapse, given the
        attacker's ``pressure``."""
        return np.minimum(self.params.escalation * pressure * calm, 1.0)

    def win_chance(self, strength_a: np.ndarray, strength_b: np.ndarray) -> np.ndarray:
        """The probability that the first side wins a clash or a war: a Tullock contest of
        strengths with exponent ``decisiveness``."""
        r = self.params.decisiveness
        weighted_a = strength_a**r
        return weighted_a / np.maximum(weighted_a + strength_b**r, 1e-9)

    def fight(self) -> None:
        """One week of the dispute: a war may end, grievance builds up and coercion goes on
        (where those are on); at most one clash, whose defender calls on its allies and whose
        winner takes ground; the clash may escalate to war."""
        m, p, week = self.model, self.params, self.model.week
        a, b = self.sides
        calm = self.calm()
        strength = {s: self.strength(s) for s in self.sides}
        if self.war is not None:
            self.war.weigh_end(self.win_chance(strength[a], strength[b]))
        if self.grievance_memory:
            self.hold_grievance()
        pressure = {s: self.pressure(s, strength) for s in self.sides}
        if self.coercion is not None:
            self.coercion.week(pressure, calm)
        hazard = {s: self.hazard(s, pressure[s], calm) for s in self.sides}
        prob_a = -np.expm1(-hazard[a])
        prob_b = np.minimum(-np.expm1(-hazard[b]), 1.0 - prob_a)
        # this week's draws of every stream the dispute may use, from one hash
        u, u_win, u_esc, u_war = m.streams.uniforms(DISPUTE_STREAMS, week)
        a_attacks = u < prob_a
        b_attacks = (u >= prob_a) & (u < prob_a + prob_b)
        clash = a_attacks | b_attacks
        if not clash.any():
            return
        self.clashes = self.clashes + clash
        attacker_is_a = a_attacks

        # the defender calls on its allies
        help_a, help_b = self._call_allies(b, a_attacks), self._call_allies(a, b_attacks)
        strength_a = strength[a] + help_a
        strength_b = strength[b] + help_b
        win_a = self.win_chance(strength_a, strength_b)
        a_wins = clash & (u_win < win_a)
        b_wins = clash & ~a_wins
        self._move(a, a_wins, p.clash_gain)
        self._move(b, b_wins, p.clash_gain)
        m.log_event(
            "clash",
            clash,
            actor=m.either(attacker_is_a, a.name, b.name),
            target=m.either(attacker_is_a, b.name, a.name),
            detail=m.either(a_wins, f"won by {a.name}", f"won by {b.name}"),
        )

        # escalation to the collapse of the ceasefire
        press = np.where(attacker_is_a, pressure[a], pressure[b])
        escalate = self.escalation_chance(press, calm)
        collapse = clash & self.ceasefire & (u_esc < escalate)
        if collapse.any():
            self._collapse(collapse, win_a, u_war)

    def _call_allies(self, defender: LocalState, attacked: np.ndarray) -> np.ndarray:
        """Invoke the defender's active alliances where attacked; returns honoured support."""
        m = self.model
        support = np.zeros(m.R)
        for c in self.allies(defender):
            invoked = attacked & c.active
            if not invoked.any():
                continue
            patron: Power = c.patron
            honoured = patron.honour(invoked, f"honour:{c.id}")
            failed = invoked & ~honoured
            c.failures = c.failures + failed
            support = support + np.where(honoured, c.params.support_musd, 0.0)
            cost = np.where(honoured, c.params.commitment_cost_musd, 0.0)
            patron.book_honour_cost(cost)  # paid this week (economy)
            patron.book_help(defender, cost)  # and influence effort in the defender
            defender.trust_on_honour(patron, honoured)
            defender.trust_on_failure(patron, failed)
            m.log_event(
                "commitment_honoured",
                honoured,
                actor=patron.name,
                target=defender.name,
                detail=c.id,
            )
            m.log_event(
                "commitment_failed", failed, actor=patron.name, target=defender.name, detail=c.id
            )
            if m.params.exit.enabled:
                c.weigh_exit(failed)
        return support

    def _move(
        self, winner: LocalState, mask: np.ndarray, gain: np.ndarray, salience: Any = None
    ) -> None:
        """Move ``gain`` of the area (at most what the loser holds) to the winner where
        ``mask``; the loser's protectors lose its trust (times the defeat's ``salience``), its
        arms patrons gain the winner's. With a held grievance the loser's is at least its new
        unmet share, and the winner's falls by only ``1 - grievance_memory`` of the fall of its
        unmet share (to 0 if its claim is met)."""
        if not mask.any():
            return
        loser = self.other(winner)
        relief = self.unmet_share(winner) if self.grievance_memory else None
        moved = np.where(mask, np.minimum(gain, self.territory[loser.name]), 0.0)
        self.territory[winner.name] = np.minimum(self.territory[winner.name] + moved, 1.0)
        self.territory[loser.name] = np.maximum(self.territory[loser.name] - moved, 0.0)
        if relief is not None:
            held, unmet = self._held, self.unmet_share(winner)
            felt = (1.0 - self.params.grievance_memory) * (relief - unmet)
            kept = np.maximum(held[winner.name] - felt, unmet)
            held[winner.name] = np.where(unmet > 0, kept, 0.0)
            held[loser.name] = np.maximum(held[loser.name], self.unmet_share(loser))
        loser.trust_on_defeat(self.protectors(loser), mask, salience)
        winner.trust_on_victory(self._arms[winner], mask)

    def transfer(self, to: LocalState, share: np.ndarray) -> None:
        """A handover: ``share`` of the area (at most what the other side holds) passes to
        ``to``; nobody is defeated."""
        loser = self.other(to).name
        share = np.minimum(share, self.territory[loser])
        self.territory[to.name] = self.territory[to.name] + share
        self.territory[loser] = self.territory[loser] - share
        self.relieve_grievance()

    def settle(self, mask: np.ndarray) -> None:
        """A war ended where ``mask``: the line held is agreed, grievances are relieved."""
        self.relieve_grievance(mask)

    def protectors(self, side: LocalState) -> dict[Power, np.ndarray]:
        """Powers pledged to protect ``side`` and where they are: its active allies and the
        sponsors of mandates with troops deployed."""
        pledged: dict[Power, np.ndarray] = {}
        for c in self.allies(side):
            pledged[c.patron] = pledged.get(c.patron, False) | c.active
        for d in self._mandates:
            if side in d.parties:
                pledged[d.sponsor] = pledged.get(d.sponsor, False) | (d.troops > 0)
        return pledged

    def _collapse(self, mask: np.ndarray, win_a: np.ndarray, u: np.ndarray) -> None:
        """The ceasefire collapses into war where ``mask`` (``win_a``: the first side's
        chance to win, from the clash's strengths; ``u``: the week's uniform draws that decide
        the war); the peacekeepers leave."""
        m, p = self.model, self.params
        a, b = self.sides
        a_wins = mask & (u < win_a)
        b_wins = mask & ~a_wins
        salience = m.params.trust.war_salience
        self._move(a, a_wins, p.war_gain * self.territory[b.name], salience)
        self._move(b, b_wins, p.war_gain * self.territory[a.name], salience)
        self.ceasefire = self.ceasefire & ~mask
        if self.war is not None:
            self.war.begin(mask, a_wins)
        if self.coercion is not None:
            self.coercion.end_with_war(mask)
        m.log_event(
            "ceasefire_collapse",
            mask,
            actor=m.either(a_wins, a.name, b.name),
            target=m.either(a_wins, b.name, a.name),
            detail="war",
        )
        for d in self._mandates:
            d.end_with_ceasefire(mask)

"""Peacekeeping (ODD 7.3): the trade of money for presence.

A mandate's troops cost their sponsor every week, buy influence effort in the parties and
deter clashes in proportion to the sponsor's credibility. Six months before each term ends
the sponsor and the parties decide whether to renew (:class:`MandateTerm`); at its end the
peacekeepers stay or leave. Events deploy and withdraw troops; the ceasefire's collapse
sends them home and voids the mandate.

Decisions when circumstances change (ODD 7.14, off by default): every
``decisions.review_weeks`` the sponsor reviews each mandate with troops. It has a reason to
leave where the mandate has no purpose (a party it protects holds none of the disputed area),
no consent (a party's trust in the sponsor is below the renewal rule's ``party_min_trust``)
or no return (the renewal rule's influence or cost test fails). Without purpose it decides to
leave; with another reason it does so with probability ``decisions.act_chance`` (stream
``review:<id>``): leaders who have committed in public pay audience costs for backing down
(Fearon 1994), so a reason is not acted on at once. The troops leave ``decisions.lag_weeks``
after the decision, and the mandate is void from then on.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from hegemon.model.parameters import MandateParams

if TYPE_CHECKING:
    from hegemon.model.agents import LocalState, Power
    from hegemon.model.model import HegemonModel
    from hegemon.scenario import schema as sc


LEAVE_REASONS = ("no purpose", "no consent", "no return")


class Mandate:
    """A peacekeeping mandate: a sponsor's troops between the parties of a dispute."""

    def __init__(self, model: HegemonModel, spec: sc.Peacekeeping):
        self.model = model
        self.id = spec.id
        self.spec = spec
        self.params = MandateParams.draw(spec, model.draws)
        self.sponsor: Power = model.actor(spec.sponsor)
        self.parties: list[LocalState] = [model.actor(p) for p in spec.parties]
        self.troops = np.where(spec.active, self.params.troops, 0.0)
        self.renewing = np.ones(model.R, dtype=bool)
        self.void = np.zeros(model.R, dtype=bool)  # ended by a collapse or an early decision
        self.leaving_week = np.full(model.R, np.inf)  # week of departure decided early
        self.leave_reason = np.zeros(model.R, dtype=np.int64)  # index into LEAVE_REASONS

    @property
    def weekly_cost_musd(self) -> np.ndarray:
        return self.troops * self.params.cost_per_troop_week_usd / 1e6

    def presence_in(self, local: LocalState) -> np.ndarray:
        """Influence effort that presence buys in one of the parties, US$ m per week."""
        if local not in self.parties:
            return np.zeros_like(self.troops)
        return self.weekly_cost_musd * self.params.presence_efficiency / len(self.parties)

    def deterrence(self) -> np.ndarray:
        """Credible troops, in thousands: troops weighted by the sponsor's credibility (and
        its attention, 7.16, where that is on)."""
        credible = self.troops / 1000.0 * self.sponsor.credibility
        if self.model.params.attention.enabled:
            credible = credible * self.sponsor.attention
        return credible

    @property
    def staying_troops(self) -> np.ndarray:
        """Troops deployed under the mandate where the sponsor has not decided to leave
        (notice given at the term, or an early departure decided)."""
        staying = self.renewing & ~np.isfinite(self.leaving_week)
        return np.where(staying, self.troops, 0.0)

    def reasons_to_leave(self) -> np.ndarray:
        """The first reason the sponsor has to leave, an index into ``LEAVE_REASONS`` (-1
        where it has none): no purpose, no consent, no return."""
        rule = self.params.renewal
        sponsor = self.sponsor
        dispute = self.model.dispute
        no_purpose = np.zeros(self.model.R, dtype=bool)
        no_consent = np.zeros(self.model.R, dtype=bool)
        for party in self.parties:
            if dispute is not None and party in dispute.sides:
                no_purpose |= dispute.territory[party.name] <= 0.0
            no_consent |= party.trust[sponsor.name] < rule.party_min_trust
        annual_cost = self.weekly_cost_musd * 52.0
        budget = np.maximum(sponsor.regional_budget_musd, 1e-9)
        no_return = (sponsor.influence < rule.min_influence) | (
            annual_cost > rule.max_cost_share * budget
        )
        return np.select([no_purpose, no_consent, no_return], [0, 1, 2], default=-1)

    def review(self) -> None:
        """A review (every ``decisions.review_weeks``): where the mandate has troops and the
        sponsor a reason to leave, it decides to (for certain without purpose, else with
        ``act_chance``); the troops leave ``lag_weeks`` later (:meth:`depart`)."""
        m = self.model
        rule = m.params.decisions
        undecided = (self.troops > 0) & ~self.void & ~np.isfinite(self.leaving_week)
        reason = self.reasons_to_leave()
        due = undecided & (reason >= 0)
        if not due.any():
            return
        u = m.streams.uniform(f"review:{self.id}", m.week)
        decided = due & ((reason == 0) | (u < rule.act_chance))
        self.leaving_week = np.where(decided, m.week + rule.lag_weeks, self.leaving_week)
        self.leave_reason = np.where(decided, reason, self.leave_reason)
        m.log_event(
            "withdrawal_decided",
            decided,
            actor=self.sponsor.name,
            detail=self._reason_detail()[np.maximum(reason, 0)],
        )

    def depart(self) -> None:
        """The troops leave where the departure decided by :meth:`review` is due; the
        mandate is void from then on."""
        m = self.model
        due = self.leaving_week <= m.week
        if not due.any():
            return
        leaving = due & (self.troops > 0)
        m.log_event(
            "peacekeepers_withdrawn",
            leaving,
            actor=self.sponsor.name,
            detail=self._reason_detail()[self.leave_reason],
        )
        self.troops = np.where(due, 0.0, self.troops)
        self.void = self.void | due
        self.renewing = self.renewing & ~due
        self.leaving_week = np.where(due, np.inf, self.leaving_week)

    def _reason_detail(self) -> np.ndarray:
        return np.array([f"{self.id}: {why}" for why in LEAVE_REASONS], dtype=object)

    def renews(self) -> np.ndarray:
        """The renewal rule: True where the sponsor still buys influence at a bearable cost
        and every party still trusts the sponsor enough not to give notice."""
        rule = self.params.renewal
        sponsor = self.sponsor
        annual_cost = self.weekly_cost_musd * 52.0
        budget = np.maximum(sponsor.regional_budget_musd, 1e-9)
        renew = (sponsor.influence >= rule.min_influence) & (
            annual_cost <= rule.max_cost_share * budget
        )
        for party in self.parties:
            renew &= party.trust[sponsor.name] >= rule.party_min_trust
        return renew

    def deploy(self, added: np.ndarray) -> None:
        """Add troops, except where a collapse has voided the mandate."""
        self.troops = np.where(self.void, self.troops, self.troops + added)

    def withdraw(self, removed: np.ndarray | None = None) -> None:
        """Remove ``removed`` troops (at most those deployed), or all of them."""
        if removed is None:
            self.troops = np.zeros(self.model.R)
        else:
            self.troops = np.maximum(self.troops - removed, 0.0)

    def set_troops(self, troops: np.ndarray) -> None:
        """Replace the troops deployed (a set event on ``relations.<id>.troops``), in a
        voided mandate too."""
        self.troops = troops

    def end_with_ceasefire(self, collapsed: np.ndarray) -> None:
        """The ceasefire collapsed where ``collapsed``: the peacekeepers leave for good."""
        leaving = collapsed & (self.troops > 0)
        self.troops = np.where(collapsed, 0.0, self.troops)
        self.void = self.void | collapsed
        self.model.log_event(
            "peacekeepers_withdrawn",
            leaving,
            actor=self.sponsor.name,
            detail=f"{self.id}: ceasefire collapsed",
        )


class Sponsor:
    """A power as the sponsor of peacekeeping mandates."""

    model: HegemonModel

    @cached_property
    def own_mandates(self) -> list[Mandate]:
        """The peacekeeping mandates this power sponsors (relations are fixed once built)."""
        return [d for d in self.model.mandates if d.sponsor is self]

    @property
    def peacekeepers(self) -> np.ndarray:
        """Troops deployed under every mandate the power sponsors."""
        return sum((d.troops for d in self.own_mandates), np.zeros(self.model.R))

    def mandate_cost_musd(self) -> np.ndarray:
        """This week's cost of every mandate the power sponsors, US$ m."""
        return sum((d.weekly_cost_musd for d in self.own_mandates), np.zeros(self.model.R))

    def presence_effort_in(self, local: LocalState) -> np.ndarray:
        """Influence effort the power's peacekeepers buy in ``local`` this week, US$ m."""
        return sum((d.presence_in(local) for d in self.own_mandates), np.zeros(self.model.R))


class MandateTerm:
    """The mandate's term: six months before it ends the sponsor and the parties decide;
    at the end the mandate is renewed for another term or the peacekeepers leave."""

    def __init__(self, model: HegemonModel, mandate: Mandate, term: int = 1):
        self.model = model
        self.mandate = mandate
        self.term = term
        spec = mandate.spec
        start = spec.start or model.spec.start
        years = spec.term_years * term
        self.end = start + dt.timedelta(days=round(years * 365.25))
        self.notice = self.end - dt.timedelta(days=round(spec.notice_months * 30.4375))

    @classmethod
    def current(cls, model: HegemonModel, mandate: Mandate) -> MandateTerm:
        """The term in force at the scenario's start (earlier terms were renewed)."""
        spec = mandate.spec
        start = spec.start or model.spec.start
        elapsed = (model.spec.start - start).days / 365.25
        return cls(model, mandate, term=max(1, math.floor(elapsed / spec.term_years) + 1))

    def schedule_next(self) -> None:
        self.model.schedule_on(self.notice, self.decide)

    def decide(self) -> None:
        """At the notice date: the mandate is renewed where :meth:`Mandate.renews`, and
        notice is given elsewhere; the end of the term is scheduled."""
        m, d = self.model, self.mandate
        renew = d.renews()
        deployed = d.troops > 0
        d.renewing = renew
        m.log_event(
            "mandate_renewal_agreed",
            deployed & renew,
            actor=d.sponsor.name,
            detail=f"{d.id}: term {self.term + 1}",
        )
        m.log_event(
            "mandate_notice_given",
            deployed & ~renew,
            actor=d.sponsor.name,
            detail=f"{d.id}: ends {self.end}",
        )
        m.schedule_on(self.end, self.expire)

    def expire(self) -> None:
        """At the end of the term: the peacekeepers leave where it was not renewed, and the
        next term begins."""
        m, d = self.model, self.mandate
        leaving = (d.troops > 0) & ~d.renewing
        d.troops = np.where(d.renewing, d.troops, 0.0)
        m.log_event(
            "peacekeepers_withdrawn", leaving, actor=d.sponsor.name, detail=f"{d.id}: mandate ended"
        )
        MandateTerm(m, d, self.term + 1).schedule_next()

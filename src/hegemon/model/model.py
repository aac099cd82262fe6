"""The model: powers and local states contesting influence around a ceasefire.

One ``HegemonModel`` runs R replicates in lockstep; every agent attribute is an array over
replicates. A step is one week. Mechanisms: resources (growth of GDP and budgets, regional
effort), the influence contest (Tullock 1980), trust and credibility (alliance reliability
after Leeds, Long & Mitchell 2000), clashes, escalation and the ceasefire, the peacekeeping
mandate and its renewal, and dated scenario events. See docs/ODD.md for every equation.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import mesa
import numpy as np

from hegemon.model.agents import LocalState, Power
from hegemon.model.dispute import Dispute
from hegemon.model.metrics import Recorder
from hegemon.model.parameters import ParameterDraws
from hegemon.model.relations import ArmsPipeline, Commitment, Mandate
from hegemon.model.streams import Streams
from hegemon.scenario import schema as sc


class HegemonModel(mesa.Model):
    """The scenario's actors and relations, run for R replicates at once.

    ``replicates`` are the replicate indices (they key the random streams, so an index may
    repeat); ``parameters`` gives per-replicate values of parameters by key path
    (``actors.Russia.resolve``), which replace the scenario's values or distributions.

    >>> from hegemon import load_scenario
    >>> model = HegemonModel(load_scenario("baseline"), replicates=range(4), seed=1)
    >>> model.run()
    >>> model.recorder.series["influence", "Russia", None].shape
    (262, 4)
    """

    def __init__(
        self,
        scenario: sc.Scenario,
        replicates: Sequence[int] | int = 1,
        seed: int = 0,
        parameters: dict[str, np.ndarray] | None = None,
    ):
        super().__init__(rng=seed)
        ids = np.arange(replicates) if isinstance(replicates, int) else np.asarray(replicates)
        self.spec = scenario
        self.replicate_ids = ids
        self.R = len(ids)
        self.seed = seed
        self.week = 0
        self._between_steps = False
        self.streams = Streams(seed, ids)
        self.draws = ParameterDraws(self.streams, self.R, parameters)
        self.params = SimpleNamespace(
            influence=self.draws.resolve(scenario.influence, "influence"),
            trust=self.draws.resolve(scenario.trust, "trust"),
        )
        self._events: list[tuple[Any, ...]] = []  # (indices, step, event, actor, target, detail)
        self._actors: dict[str, Power | LocalState] = {}
        for spec in scenario.actors:
            cls = Power if isinstance(spec, sc.Power) else LocalState
            self._actors[spec.name] = cls(self, spec)
        self.powers = [a for a in self._actors.values() if isinstance(a, Power)]
        self.local_states = [a for a in self._actors.values() if isinstance(a, LocalState)]
        self.commitments = [Commitment(self, r) for r in scenario.relations_of(sc.Alliance)]
        self.arms = [ArmsPipeline(self, r) for r in scenario.relations_of(sc.ArmsSupport)]
        self.mandates = [Mandate(self, r) for r in scenario.relations_of(sc.Peacekeeping)]
        self.dispute = Dispute(self) if scenario.conflict is not None else None
        self.honoured_help_musd: dict[tuple[str, str], np.ndarray] = {}
        self._actions: list[Any] = []  # keeps scheduled callbacks alive (Mesa holds weak refs)
        self.horizon = scenario.steps  # weeks to run (Mesa keeps its own step count in .steps)
        self.recorder = Recorder(self.horizon, self.R)
        self._start_influence_contest()
        for event in scenario.events:
            self._schedule(event.date, ScenarioEvent(self, event).apply)
        for mandate in self.mandates:
            MandateTerm.current(self, mandate).schedule_next()
        self.recorder.record(self, 0)
        self._between_steps = True

    # ---- the weekly step

    def step(self) -> None:
        """One week: economies grow, the dispute is fought, powers pay, trust moves, the
        influence contest is held, and the state is recorded."""
        self.week += 1
        self._between_steps = False
        growing = list(self.agents)
        shocks = self.streams.normals(tuple(a.growth_stream for a in growing), self.week)
        for actor, z in zip(growing, shocks, strict=True):
            actor.grow(z)
        if self.dispute is not None:
            self.dispute.fight()
        for power in self.powers:
            power.spend()
        for local in self.local_states:
            local.update_trust()
            local.hold_contest()
        for power in self.powers:
            power.tally_influence()
        self.honoured_help_musd.clear()
        self.recorder.record(self, self.week)
        self._between_steps = True

    def run(self) -> None:
        """Run to the scenario's horizon."""
        self.run_for(self.horizon - self.week)

    # ---- helpers used by agents, relations and events

    def actor(self, name: str) -> Any:
        return self._actors[name]

    def date_of(self, week: int) -> dt.date:
        return self.spec.start + dt.timedelta(weeks=week)

    def log_event(
        self,
        event: str,
        mask: np.ndarray,
        actor: str | np.ndarray | None = None,
        target: str | np.ndarray | None = None,
        detail: str | np.ndarray = "",
    ) -> None:
        """Record ``event`` for the replicates where ``mask`` is True. Scheduled events fire
        between steps and take effect in the coming week, so they are logged at that week."""
        idx = mask.nonzero()[0]
        if idx.size == 0:
            return
        step = self.week + 1 if self._between_steps else self.week
        pick = [v[idx] if isinstance(v, np.ndarray) else v for v in (actor, target, detail)]
        self._events.append((idx, step, event, *pick))

    def event_rows(self) -> dict[str, np.ndarray]:
        """Every logged event, as columns (scalars expanded only here, once)."""

        def column(values: list[Any], sizes: list[int]) -> np.ndarray:
            per_group = np.empty(len(values), dtype=object)
            per_group[:] = [None if isinstance(v, np.ndarray) else v for v in values]
            out = np.repeat(per_group, sizes)  # the scalars; arrays are copied in below
            ends = np.cumsum(sizes)
            for v, end, n in zip(values, ends, sizes, strict=True):
                if isinstance(v, np.ndarray):
                    out[end - n : end] = v
            return out

        sizes = [len(row[0]) for row in self._events]
        idx = [row[0] for row in self._events]
        out = {
            "replicate": self.replicate_ids[np.concatenate(idx)] if idx else np.array([], int),
            "step": np.repeat([row[1] for row in self._events], sizes).astype(np.int64),
        }
        for i, name in enumerate(("event", "actor", "target", "detail"), start=2):
            out[name] = column([row[i] for row in self._events], sizes)
        return out

    def clear_events(self) -> None:
        """Forget the logged events (once :meth:`event_rows` has been taken)."""
        self._events.clear()

    def _schedule(self, date: dt.date, callback: Any) -> None:
        """Apply ``callback`` at the start of the week that contains ``date``."""
        week = self.spec.week_of(date)
        self._actions.append(callback)
        if week <= self.week:
            callback()
        elif week <= self.horizon:
            self.schedule_event(callback, at=week - 1)

    def _start_influence_contest(self) -> None:
        """Start every influence stock at the steady state of the initial effort."""
        for power in self.powers:
            power.spend()
        memory = self.params.influence.memory_weeks
        for local in self.local_states:
            for power in self.powers:
                local.stock[power.name] = power.effort_in(local) * memory
            local.hold_contest()
        for power in self.powers:
            power.peacekeeping_cost_cum_musd[:] = 0.0
            power.regional_cost_cum_musd[:] = 0.0
            power.tally_influence()


class ScenarioEvent:
    """A dated intervention from the scenario, applied to every replicate."""

    def __init__(self, model: HegemonModel, spec: Any):
        self.model = model
        self.spec = spec

    def apply(self) -> None:
        m, e = self.model, self.spec
        everyone = np.ones(m.R, dtype=bool)
        detail = e.description or e.kind
        if isinstance(e, sc.SetParameter):
            value = m.draws.value(f"events.{e.id}.value", e.value)
            set_parameter(m, e.path, value)
            detail = f"{e.path} = {float(np.median(value)):g}"
        elif isinstance(e, sc.Deploy | sc.Withdraw):
            mandate = next(d for d in m.mandates if d.id == e.relation)
            if isinstance(e, sc.Deploy):  # a mandate voided by a collapse takes no troops
                added = m.draws.value(f"events.{e.id}.troops", e.troops)
                mandate.troops = np.where(mandate.void, mandate.troops, mandate.troops + added)
            elif e.troops is None:
                mandate.troops = np.zeros(m.R)
            else:
                n = m.draws.value(f"events.{e.id}.troops", e.troops)
                mandate.troops = np.maximum(mandate.troops - n, 0.0)
        elif isinstance(e, sc.Toggle):
            relation = next(r for r in [*m.commitments, *m.arms] if r.id == e.relation)
            relation.active = np.full(m.R, e.kind in ("start_support", "form_alliance"))
        elif isinstance(e, sc.BudgetShock):
            power = m.actor(e.actor)
            power.shocks[e.id] = m.draws.value(f"events.{e.id}.factor", e.factor)
            if e.weeks is not None:
                m._actions.append(self.recover)
                if m.week + e.weeks < m.horizon:  # takes effect at week + weeks + 1
                    m.schedule_event(self.recover, at=m.week + e.weeks)
        elif isinstance(e, sc.TransferTerritory):
            assert m.dispute is not None
            loser = m.dispute.other(m.actor(e.to)).name
            share = np.minimum(
                m.draws.value(f"events.{e.id}.share", e.share), m.dispute.territory[loser]
            )
            m.dispute.territory[e.to] = m.dispute.territory[e.to] + share
            m.dispute.territory[loser] = m.dispute.territory[loser] - share
        actor = getattr(e, "actor", None) or getattr(e, "to", None)
        m.log_event(
            e.kind,
            everyone,
            actor=actor,
            target=getattr(e, "relation", None),
            detail=f"{e.id}: {detail}",
        )

    def recover(self) -> None:
        """End of a temporary budget shock."""
        power = self.model.actor(self.spec.actor)
        power.shocks.pop(self.spec.id, None)
        self.model.log_event(
            "budget_recovered",
            np.ones(self.model.R, dtype=bool),
            actor=power.name,
            detail=self.spec.id,
        )


def set_parameter(model: HegemonModel, path: str, value: np.ndarray) -> None:
    """Set a live parameter at a scenario key path (``actors.Russia.resolve``)."""
    section, *rest = path.split(".")
    if section == "actors":
        owner: Any = model.actor(rest[0]).params
    elif section == "relations":
        owner = next(
            r for r in [*model.commitments, *model.arms, *model.mandates] if r.id == rest[0]
        ).params
    elif section == "conflict":
        assert model.dispute is not None
        owner = model.dispute.params
    else:
        owner = getattr(model.params, section)
    field = rest[-1]
    setattr(owner, field, value)
    agent_copy = {"resolve", "regional_effort"}
    if section == "actors" and field in agent_copy:
        setattr(model.actor(rest[0]), field, value)
    if section == "relations" and field == "troops":
        next(d for d in model.mandates if d.id == rest[0]).troops = value


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
        self.model._schedule(self.notice, self.decide)

    def decide(self) -> None:
        """Renew if the sponsor still buys influence at a bearable cost and every party
        still trusts the sponsor enough not to give notice."""
        m, d = self.model, self.mandate
        rule = d.params.renewal
        sponsor = d.sponsor
        annual_cost = d.weekly_cost_musd * 52.0
        budget = np.maximum(sponsor.regional_budget_musd, 1e-9)
        renew = (sponsor.influence >= rule.min_influence) & (
            annual_cost <= rule.max_cost_share * budget
        )
        for party in d.parties:
            renew &= party.trust[sponsor.name] >= rule.party_min_trust
        deployed = d.troops > 0
        d.renewing = renew
        m.log_event(
            "mandate_renewal_agreed",
            deployed & renew,
            actor=sponsor.name,
            detail=f"{d.id}: term {self.term + 1}",
        )
        m.log_event(
            "mandate_notice_given",
            deployed & ~renew,
            actor=sponsor.name,
            detail=f"{d.id}: ends {self.end}",
        )
        m._schedule(self.end, self.expire)

    def expire(self) -> None:
        m, d = self.model, self.mandate
        leaving = (d.troops > 0) & ~d.renewing
        d.troops = np.where(d.renewing, d.troops, 0.0)
        m.log_event(
            "peacekeepers_withdrawn", leaving, actor=d.sponsor.name, detail=f"{d.id}: mandate ended"
        )
        nxt = MandateTerm(m, d, self.term + 1)
        m._actions.append(nxt)
        nxt.schedule_next()

"""The model: powers and local states contesting influence around a ceasefire.

One ``HegemonModel`` runs R replicates in lockstep; every agent attribute is an array over
replicates. A step is one week. This file builds the model (ODD 3.1) and runs the weekly
schedule (ODD 3.2); each submodel lives in the file named after it: ``economy.py`` (growth,
budgets, spending), ``influence.py`` (the contest, Tullock 1980), ``trust.py`` (trust and
credibility, after Leeds, Long & Mitchell 2000), ``dispute.py`` (clashes, calls on allies,
escalation, collapse), ``war.py`` (how a war ends), ``coercion.py`` (pressure short of
war), ``peacekeeping.py`` (mandates, their renewal and early ends), ``alliances.py``
(commitments, arms, exit) and ``events.py`` (dated scenario events). See docs/ODD.md for every
equation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import mesa
import numpy as np

from hegemon.model.agents import LocalState, Power
from hegemon.model.alliances import ArmsPipeline, Commitment
from hegemon.model.dispute import Dispute
from hegemon.model.economy import grow_economies
from hegemon.model.events import ScenarioEvent
from hegemon.model.influence import start_contest
from hegemon.model.metrics import Recorder
from hegemon.model.outcomes import READ_ENDS, READ_WHOLE, outcome_window
from hegemon.model.parameters import MechanismParams, ParameterDraws
from hegemon.model.peacekeeping import Mandate, MandateTerm
from hegemon.model.streams import EPISTEMIC_STEP, Streams
from hegemon.scenario import schema as sc


@dataclass(frozen=True)
class Either:
    """``yes`` where ``flags``, else ``no``: a label per replicate, picked only for the
    replicates an event is logged for (the two strings themselves: no array of strings)."""

    flags: np.ndarray
    yes: str
    no: str

    def __getitem__(self, idx: np.ndarray) -> np.ndarray:
        return np.array([self.no, self.yes], dtype=object)[self.flags[idx].astype(np.intp)]


class HegemonModel(mesa.Model):
    """The scenario's actors and relations, run for R replicates at once.

    ``replicates`` are the replicate indices (they key the random streams, so an index may
    repeat); ``parameters`` gives per-replicate values of parameters by key path
    (``actors.Russia.resolve``), which replace the scenario's values or distributions.
    A scenario with a ``posterior:`` table draws a row of it per replicate and replays that
    particle's random numbers up to the table's cut-off (``posterior_rows``; ODD 4.9).
    ``record="outcomes"`` records only what the scalar outcomes read (model/outcomes.py):
    the same outcomes, in a fraction of the memory, for runs of which nothing else is kept.

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
        record: Literal["all", "outcomes"] = "all",
    ):
        """Initialization (ODD 3.1): streams and draws, agents, relations and the dispute,
        the influence contest at its steady state, events and mandate terms, step 0."""
        super().__init__(rng=seed)
        ids = np.arange(replicates) if isinstance(replicates, int) else np.asarray(replicates)
        self.spec = scenario
        self.replicate_ids = ids
        self.R = len(ids)
        self.seed = seed
        self.week = 0
        self._between_steps = False
        self.streams = Streams(seed, ids)
        self.posterior_rows: np.ndarray | None = None  # the row each replicate replays
        table = scenario.posterior_table
        if scenario.posterior is not None:
            if table is None:
                raise ValueError(
                    f"scenario {scenario.name}: its posterior table was not read "
                    "(load it with hegemon.load_scenario)"
                )
            rows = table.rows(self.streams.own_uniform("posterior", EPISTEMIC_STEP))
            cut = (scenario.posterior.cutoff - scenario.start).days // sc.WEEK_DAYS
            self.posterior_rows = rows
            self.streams = Streams(
                seed, ids, replay=(scenario.posterior.seed, table.replicate[rows], cut)
            )
        self.draws = ParameterDraws(
            self.streams, self.R, parameters, sample=(table, self.posterior_rows)
        )
        self.params = MechanismParams.draw(scenario, self.draws)
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
        self._relations: dict[str, Commitment | ArmsPipeline | Mandate] = {
            r.id: r for r in [*self.commitments, *self.arms, *self.mandates]
        }
        self.dispute = Dispute(self) if scenario.conflict is not None else None
        self._actions: list[Any] = []  # keeps scheduled callbacks alive (Mesa holds weak refs)
        self.horizon = scenario.steps  # weeks to run (Mesa keeps its own step count in .steps)
        ends = (outcome_window(scenario), READ_WHOLE, READ_ENDS) if record == "outcomes" else None
        self.recorder = Recorder(self.horizon, self.R, ends=ends)
        start_contest(self)
        for event in scenario.events:
            self.schedule_on(event.date, ScenarioEvent(self, event).apply)
        for mandate in self.mandates:
            MandateTerm.current(self, mandate).schedule_next()
        self.recorder.record(self, 0)
        self._between_steps = True

    # ---- the weekly step

    def step(self) -> None:
        """One week (ODD 3.2): economies grow, honour records fade, the dispute is fought,
        sponsors and patrons decide, powers pay, trust moves and the influence contest is
        held in every local state, powers tally their influence, and the state is recorded."""
        self.week += 1
        self._between_steps = False
        grow_economies(self)
        if np.any(self.params.trust.record_fading > 0):
            for power in self.powers:
                power.fade_record()
        if self.dispute is not None:
            self.dispute.fight()
        self.decide()
        for power in self.powers:
            power.spend()
        for local in self.local_states:
            local.update_trust()
            local.hold_contest()
        for power in self.powers:
            power.tally_influence()
        self.recorder.record(self, self.week)
        self._between_steps = True

    def decide(self) -> None:
        """Decisions when circumstances change, where they are on: every review week the
        sponsors review their mandates (peacekeeping.py) and departures decided fall due;
        every exit review week the patrons review their alliances (alliances.py)."""
        p = self.params
        if p.decisions.enabled:
            review = self.week % p.decisions.review_weeks == 0
            for mandate in self.mandates:
                if review:
                    mandate.review()
                mandate.depart()
        if p.exit.enabled and self.week % p.exit.review_weeks == 0:
            for commitment in self.commitments:
                commitment.review()

    def run(self) -> None:
        """Run to the scenario's horizon."""
        self.run_for(self.horizon - self.week)

    # ---- helpers used by the submodels

    def actor(self, name: str) -> Any:
        """The power or local state called ``name``."""
        return self._actors[name]

    def relation(self, relation_id: str) -> Any:
        """The commitment, arms pipeline or mandate with id ``relation_id``."""
        return self._relations[relation_id]

    def date_of(self, week: int) -> dt.date:
        return self.spec.start + dt.timedelta(weeks=week)

    def log_event(
        self,
        event: str,
        mask: np.ndarray,
        actor: str | np.ndarray | Either | None = None,
        target: str | np.ndarray | Either | None = None,
        detail: str | np.ndarray | Either = "",
    ) -> None:
        """Record ``event`` for the replicates where ``mask`` is True. Scheduled events fire
        between steps and take effect in the coming week, so they are logged at that week."""
        idx = mask.nonzero()[0]
        if idx.size == 0:
            return
        step = self.week + 1 if self._between_steps else self.week
        pick = [
            v[idx] if isinstance(v, np.ndarray | Either) else v for v in (actor, target, detail)
        ]
        self._events.append((idx, step, event, *pick))

    @staticmethod
    def either(flags: np.ndarray, yes: str, no: str) -> Either:
        """``yes`` where ``flags``, else ``no``: a label per replicate for :meth:`log_event`."""
        return Either(flags, yes, no)

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

    def schedule_on(self, date: dt.date, callback: Callable[[], None]) -> None:
        """Apply ``callback`` at the start of the week that contains ``date``."""
        self.schedule_week(self.spec.week_of(date), callback)

    def schedule_week(self, week: int, callback: Callable[[], None]) -> None:
        """Apply ``callback`` at the start of step ``week`` (at once if that has begun; never
        if it is past the horizon)."""
        self._actions.append(callback)
        if week <= self.week:
            callback()
        elif week <= self.horizon:
            self.schedule_event(callback, at=week - 1)

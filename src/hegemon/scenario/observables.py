"""What the model lets one observe, declared once: metrics, outcomes and events.

Every table of a results folder is read through these declarations: the recorder writes the
metrics, the outcomes are computed and named from them, and regimes, comparison,
sensitivity, plots, the dashboard, observations files and the docs' tables read names,
units, labels and kinds from here. Nobody builds a column name by hand or parses one back:
:func:`outcome_columns` lists every outcome column of a scenario with what it is about.

The declarations live in the scenario layer, the lowest, because observations files (which
name metrics) are validated there and every other layer may read them.

>>> from hegemon import load_scenario
>>> OUTCOMES["influence_change"].column("Russia")
'influence_change__Russia'
>>> col = outcome_columns(load_scenario("baseline"))["trust_change__Armenia__Russia"]
>>> (col.outcome.name, col.actor, col.target, col.label)
('trust_change', 'Armenia', 'Russia', "Change in Armenia's trust in Russia")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from hegemon.scenario.schema import Scenario

Kind = Literal["share", "level", "count", "binary"]
Role = Literal["power", "local state", "actor", "side", ""]
PARAMETER_PREFIX = "param:"  # outcome columns holding a replicate's drawn parameter
SEPARATOR = "__"  # between an outcome's name, its actor and its target in a column name


@dataclass(frozen=True)
class Metric:
    """A recorded series: one value per replicate and step, for an actor and a target."""

    name: str
    unit: str
    label: str  # a noun phrase, capitalised, without the unit
    kind: Kind
    actor: Role  # what the actor column holds ("" when unused)
    target: Role  # what the target column holds ("" when unused)
    description: str
    cumulative: bool = False  # never falls along a trajectory


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric(
            "influence", "share 0..1", "Regional influence", "share", "power", "",
            "regional influence of the power",
        ),
        Metric(
            "influence_over", "share 0..1", "Influence", "share", "power", "local state",
            "power's share in a state",
        ),
        Metric(
            "trust", "0..1", "Trust", "share", "local state", "power",
            "the local state's trust in the power",
        ),
        Metric(
            "credibility", "0..1", "Credibility", "share", "power", "",
            "posterior mean of the power's honour rate",
        ),
        Metric(
            "peacekeepers", "troops", "Peacekeepers", "level", "power", "",
            "troops the power has deployed",
        ),
        Metric(
            "peacekeeping_cost_musd", "US$ m per week", "Peacekeeping cost", "level", "power",
            "", "peacekeeping cost",
        ),
        Metric(
            "peacekeeping_cost_cum_musd", "US$ m", "Peacekeeping cost, cumulative", "level",
            "power", "", "cumulative peacekeeping cost", cumulative=True,
        ),
        Metric(
            "regional_cost_cum_musd", "US$ m", "Regional spending, cumulative", "level",
            "power", "",
            "all the power has spent on the region: peacekeeping, commitments, arms and aid",
            cumulative=True,
        ),
        Metric(
            "military_budget_musd", "US$ m per year", "Military budget", "level", "actor", "",
            "military expenditure",
        ),
        Metric("gdp_busd", "US$ bn", "GDP", "level", "actor", "", "gross domestic product"),
        Metric(
            "territory", "share 0..1", "Share of the disputed area", "share", "side", "",
            "share of the disputed area held",
        ),
        Metric(
            "ceasefire", "1 holding, 0 collapsed", "Ceasefire holding", "binary", "", "",
            "whether the ceasefire holds",
        ),
        Metric(
            "clashes_cum", "count", "Clashes, cumulative", "count", "", "",
            "clashes since the start", cumulative=True,
        ),
        Metric(
            "commitments_failed_cum", "count", "Failed calls on an ally, cumulative", "count",
            "power", "local state",
            "calls of the ally (target) on its patron (actor) that were not honoured, since "
            "the start",
            cumulative=True,
        ),
        Metric(
            "peacekeepers_staying", "troops", "Peacekeepers staying", "level", "power", "",
            "troops deployed under mandates the power has not decided to leave",
        ),
        Metric(
            "war", "1 at war, 0 otherwise", "At war", "binary", "", "",
            "whether a war is being fought (after a collapse, until it ends)",
        ),
        Metric(
            "coercion", "1 in force, 0 otherwise", "Coercion in force", "binary", "", "",
            "whether a coercion short of war (a blockade, an incursion) is in force",
        ),
    ]
}  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    """A scalar outcome of each replicate, for an actor (and a target) where it has them.

    ``label`` is a template with ``{actor}`` and ``{target}``; ``missing`` says what an empty
    value means (``ceasefire_weeks`` is empty where the ceasefire held).
    """

    name: str
    unit: str
    label: str
    kind: Kind
    actor: Role = ""
    target: Role = ""
    missing: str = ""

    def column(self, actor: str | None = None, target: str | None = None) -> str:
        """The outcome's column in the outcomes table, for ``actor`` and ``target``."""
        return SEPARATOR.join(part for part in (self.name, actor, target) if part)

    def describe(self, actor: str | None = None, target: str | None = None) -> str:
        """The outcome's label for ``actor`` and ``target``."""
        return self.label.format(actor=actor, target=target)


OUTCOMES: dict[str, Outcome] = {
    o.name: o
    for o in [
        Outcome("influence_start", "0–1", "{actor}'s influence at the start", "share", "power"),
        Outcome("influence_end", "0–1", "{actor}'s influence at the horizon", "share", "power"),
        Outcome("influence_change", "0–1", "Change in {actor}'s influence", "share", "power"),
        Outcome(
            "peacekeeping_cost_cum_musd", "US$ m", "{actor}'s peacekeeping cost, cumulative",
            "level", "power",
        ),
        Outcome(
            "regional_cost_cum_musd", "US$ m", "{actor}'s regional spending, cumulative",
            "level", "power",
        ),
        Outcome(
            "peacekeepers_start", "troops", "{actor}'s peacekeepers at the start", "level",
            "power",
        ),
        Outcome(
            "peacekeepers_end", "troops", "{actor}'s peacekeepers at the horizon", "level",
            "power",
        ),
        Outcome(
            "credibility_end", "0–1", "{actor}'s credibility at the horizon", "share", "power"
        ),
        Outcome(
            "trust_start", "0–1", "{actor}'s trust in {target} at the start", "share",
            "local state", "power",
        ),
        Outcome(
            "trust_end", "0–1", "{actor}'s trust in {target} at the horizon", "share",
            "local state", "power",
        ),
        Outcome(
            "trust_change", "0–1", "Change in {actor}'s trust in {target}", "share",
            "local state", "power",
        ),
        Outcome(
            "territory_end", "0–1", "Share of the disputed area held by {actor}", "share",
            "side",
        ),
        Outcome(
            "territory_change", "0–1", "Change in {actor}'s share of the disputed area",
            "share", "side",
        ),
        Outcome(
            "ceasefire_weeks", "weeks", "Weeks until the ceasefire broke", "count",
            missing="held",
        ),
        Outcome("ceasefire_held", "share of runs", "Ceasefire holding at the horizon", "binary"),
        Outcome("clashes", "count", "Armed clashes over the horizon", "count"),
        Outcome(
            "influence_final", "0–1", "{actor}'s influence over the final weeks", "share",
            "power",
        ),
        Outcome(
            "trust_final", "0–1", "{actor}'s trust in {target} over the final weeks", "share",
            "local state", "power",
        ),
        Outcome(
            "peacekeepers_final", "troops", "{actor}'s peacekeepers staying in the final weeks",
            "level", "power",
        ),
        Outcome(
            "commitments_failed", "count", "Calls of {target} on {actor} not honoured", "count",
            "power", "local state",
        ),
        Outcome("war_weeks", "weeks", "Weeks at war over the horizon", "count"),
        Outcome("coercion_weeks", "weeks", "Weeks of coercion over the horizon", "count"),
    ]
}  # fmt: skip
CONFLICT_OUTCOMES = frozenset(
    {
        "territory_end", "territory_change", "ceasefire_weeks", "ceasefire_held", "clashes",
        "war_weeks", "coercion_weeks",
    }
)  # fmt: skip


@dataclass(frozen=True)
class OutcomeColumn:
    """One column of a scenario's outcomes table: the outcome, and whom it is about."""

    outcome: Outcome
    actor: str | None = None
    target: str | None = None

    @property
    def name(self) -> str:
        return self.outcome.column(self.actor, self.target)

    @property
    def label(self) -> str:
        return self.outcome.describe(self.actor, self.target)

    @property
    def unit(self) -> str:
        return self.outcome.unit


def actors_in(scenario: Scenario, role: Role) -> list[str | None]:
    """The names a role stands for in a scenario ([None] for the empty role)."""
    if role == "power":
        return [a.name for a in scenario.powers]
    if role == "local state":
        return [a.name for a in scenario.locals]
    if role == "side":
        return list(scenario.conflict.sides) if scenario.conflict is not None else []
    if role == "actor":
        return [a.name for a in scenario.actors]
    return [None]


def outcome_columns(scenario: Scenario) -> dict[str, OutcomeColumn]:
    """Every outcome column the scenario's runs have, by column name, in table order."""
    out: dict[str, OutcomeColumn] = {}
    for outcome in OUTCOMES.values():
        if outcome.name in CONFLICT_OUTCOMES and scenario.conflict is None:
            continue
        for actor in actors_in(scenario, outcome.actor):
            for target in actors_in(scenario, outcome.target):
                col = OutcomeColumn(outcome, actor, target)
                out[col.name] = col
    return out


def parameter_column(path: str) -> str:
    """The outcomes column that holds each replicate's draw of the parameter at ``path``."""
    return PARAMETER_PREFIX + path


@dataclass(frozen=True)
class EventKind:
    """A kind of row in the events table: what its actor, target and detail hold."""

    name: str
    label: str
    actor: str = ""
    target: str = ""
    detail: str = ""
    scenario: bool = False  # a dated intervention stated in the scenario


EVENTS: dict[str, EventKind] = {
    e.name: e
    for e in [
        EventKind("clash", "Armed clash", "attacker", "defender", "who won"),
        EventKind(
            "commitment_honoured", "Commitment honoured", "patron", "ally", "alliance id"
        ),
        EventKind("commitment_failed", "Commitment failed", "patron", "ally", "alliance id"),
        EventKind("ceasefire_collapse", "Ceasefire collapsed", "winner", "loser", "war"),
        EventKind(
            "peacekeepers_withdrawn", "Peacekeepers withdrawn", "sponsor", "", "mandate and why"
        ),
        EventKind(
            "mandate_renewal_agreed", "Mandate renewal agreed", "sponsor", "", "mandate, term"
        ),
        EventKind(
            "mandate_notice_given", "Mandate notice given", "sponsor", "", "mandate, end date"
        ),
        EventKind("budget_recovered", "Budget shock over", "power", "", "event id"),
        EventKind("war_ended", "War ended", "winner of the war", "loser", "terms"),
        EventKind(
            "withdrawal_decided", "Early withdrawal decided", "sponsor", "", "mandate: reason"
        ),
        EventKind(
            "alliance_ended", "Alliance ended", "party that ends it", "other party",
            "alliance id: reason",
        ),
        EventKind(
            "coercion_started", "Coercion started", "coercer", "target", "answered or not"
        ),
        EventKind("coercion_ended", "Coercion ended", "coercer", "target", "why"),
        EventKind("set", "Parameter set", "", "", "event id: path = value", True),
        EventKind("deploy", "Troops deployed", "", "mandate", "event id", True),
        EventKind("withdraw", "Troops withdrawn", "", "mandate", "event id", True),
        EventKind("start_support", "Arms support started", "", "relation", "event id", True),
        EventKind("stop_support", "Arms support stopped", "", "relation", "event id", True),
        EventKind("form_alliance", "Alliance formed", "", "relation", "event id", True),
        EventKind("end_alliance", "Alliance ended", "", "relation", "event id", True),
        EventKind("budget_shock", "Budget shock", "power", "", "event id", True),
        EventKind(
            "transfer_territory", "Territory transferred", "receiving side", "", "event id", True
        ),
    ]
}  # fmt: skip

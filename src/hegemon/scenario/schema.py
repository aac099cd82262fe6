"""The scenario format: typed, validated objects for everything a YAML scenario can say.

A scenario names its actors (external powers and local states), the relations between them
(alliances, arms support, peacekeeping mandates), the dispute and its ceasefire, the
behavioural parameters of the mechanisms, and dated events. Every numeric parameter is a
:func:`~hegemon.scenario.distributions.Param`: a number or a distribution drawn once per
replicate (epistemic uncertainty). Units are in the field names where there is one.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from hegemon.scenario.distributions import Param, is_distribution, is_sample
from hegemon.scenario.keypaths import (
    parameter_problem,
    settable_problem,
    uncertain_parameters,
    value_problem,
)

Share = Param(0.0, 1.0)
Positive = Param(0.0)
Real = Param()
# an actor's name, with spaces at either end removed ("Russia " is "Russia")
Name = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[A-Za-z][A-Za-z0-9_ '-]*$"
    ),
]
Ident = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$")]
WEEK_DAYS = 7


def _one_key_per_name(value: Any) -> Any:
    """Refuse a mapping whose keys name one actor twice once spaces are removed (``Russia``
    and ``"Russia "``): pydantic would keep one of the two values silently."""
    if isinstance(value, dict):
        seen: dict[Any, Any] = {}
        for key in value:
            name = key.strip() if isinstance(key, str) else key
            if name in seen:
                raise ValueError(
                    f"names {name!r} twice ({seen[name]!r} and {key!r}); give each actor once"
                )
            seen[name] = key
    return value


def NameMap(value: Any) -> Any:
    """A mapping from actor names to ``value``, each actor named once."""
    return Annotated[dict[Name, value], BeforeValidator(_one_key_per_name)]


class Strict(BaseModel):
    """Base: unknown keys are errors, values are not coerced from strings."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- actors


class _Actor(Strict):
    name: Name
    description: str = ""
    gdp_busd: Param(0.001, 1e5) = Field(description="GDP at the start, current US$ bn")
    military_budget_musd: Param(0.0, 1e6) = Field(
        description="military expenditure, US$ m per year"
    )
    gdp_growth: Param(-0.5, 0.5) = Field(0.02, description="mean nominal growth of GDP per year")
    growth_volatility: Param(0.0, 0.5) = Field(0.02, description="sd of GDP growth per year")
    sources: dict[str, str] = Field(default_factory=dict, description="source per field")


class Power(_Actor):
    """An external power that spends on influence in the region."""

    kind: Literal["power"]
    regional_effort: Share = Field(description="share of the military budget spent on the region")
    allocation: NameMap(Param(0.0, 1e6)) = Field(
        default_factory=dict,
        description="relative weight of each local state in the regional effort (normalized)",
    )
    resolve: Share = Field(0.75, description="probability of honouring an invoked commitment")


class LocalState(_Actor):
    """A state in the region whose alignment the powers contest."""

    kind: Literal["local"]
    autonomy: Param(0.0, 1e3) = Field(
        1.0, description="weight of the state's own budget in the contest"
    )
    weight: Param(0.0, 1e6) = Field(
        1.0, description="weight of the state in a power's regional influence"
    )
    trust: NameMap(Share) = Field(
        default_factory=dict, description="trust in each power at the start (0..1)"
    )
    affinity: NameMap(Share) = Field(
        default_factory=dict,
        description="long-run trust in each power at full credibility (default: initial trust)",
    )


Actor = Annotated[Power | LocalState, Field(discriminator="kind")]


# --------------------------------------------------------------------------- relations


class _Relation(Strict):
    id: Ident
    description: str = ""
    active: bool = True
    sources: dict[str, str] = Field(default_factory=dict)


class Alliance(_Relation):
    """A commitment of a power to defend a local state, invoked when the state is attacked."""

    kind: Literal["alliance"]
    patron: Name
    client: Name
    support_musd: Param(0.0, 1e6) = Field(
        description="military weight the patron adds to its client in a clash when it honours"
    )
    commitment_cost_musd: Param(0.0, 1e5) = Field(
        description="cost to the patron of honouring once"
    )


class ArmsSupport(_Relation):
    """Arms supply and military aid from a power to a local state."""

    kind: Literal["arms_support"]
    patron: Name
    client: Name
    musd_per_year: Param(0.0, 1e6)
    effectiveness: Param(0.0, 100.0) = Field(
        1.0, description="military weight of a dollar of support relative to own spending"
    )


class Renewal(Strict):
    """The sponsor renews the mandate if it still buys influence at a bearable cost, and no
    party has lost so much trust in the sponsor that it gives notice."""

    min_influence: Share = Field(0.1, description="sponsor's regional influence needed to renew")
    max_cost_share: Share = Field(0.5, description="largest bearable cost / regional budget")
    party_min_trust: Share = Field(0.2, description="a party gives notice below this trust")


class Peacekeeping(_Relation):
    """A peacekeeping mandate: troops of a sponsor between the parties of a dispute."""

    kind: Literal["peacekeeping"]
    sponsor: Name
    parties: list[Name] = Field(min_length=1)
    troops: Param(0.0, 1e6)
    cost_per_troop_week_usd: Param(0.0, 1e5)
    presence_efficiency: Param(0.0, 100.0) = Field(
        0.5, description="influence effort bought per dollar of peacekeeping, relative to aid"
    )
    start: dt.date | None = Field(
        None,
        ge=dt.date(1900, 1, 1),
        le=dt.date(2200, 12, 31),
        description="start of the mandate (default: scenario)",
    )
    term_years: float = Field(5.0, gt=0, le=100)
    notice_months: float = Field(6.0, ge=0, le=60)
    renewal: Renewal = Field(default_factory=Renewal)


Relation = Annotated[Alliance | ArmsSupport | Peacekeeping, Field(discriminator="kind")]


# --------------------------------------------------------------------------- dispute


class Conflict(Strict):
    """A territorial dispute between two local states under a ceasefire."""

    sides: list[Name] = Field(min_length=2, max_length=2)
    territory: NameMap(Share) = Field(description="share of the disputed area each controls")
    aspiration: NameMap(Share) = Field(description="share of the area each side claims")
    ceasefire: bool = Field(True, description="whether a ceasefire holds at the start")
    clash_rate: Param(0.0, 100.0) = Field(
        description="weekly clash hazard at full grievance and parity"
    )
    balance_exponent: Param(0.0, 20.0) = Field(
        2.0, description="sensitivity of hazard to the balance"
    )
    deterrence_per_1000_troops: Param(0.0, 100.0) = Field(
        description="fall in log-hazard per 1,000 credible peacekeepers"
    )
    ally_deterrence: Param(0.0, 100.0) = Field(
        1.0, description="weight of allies' credible support in the opponent's strength"
    )
    escalation: Share = Field(description="probability a clash at parity escalates to collapse")
    decisiveness: Param(0.0, 20.0) = Field(1.0, description="Tullock exponent for who wins a clash")
    clash_gain: Share = Field(description="share of the area a won clash moves")
    war_gain: Share = Field(description="share of the loser's remaining area a won war moves")
    grievance_memory: Share = Field(
        0.0,
        description="share of a won clash's relief of grievance not felt while the claim is unmet",
    )
    grievance_buildup: Param(0.0, 10.0) = Field(
        0.0,
        description="yearly rise of an unmet claim's grievance toward 1 (share of the gap)",
    )


# --------------------------------------------------------------------------- mechanisms


class Influence(Strict):
    """The influence contest within each local state."""

    decisiveness: Param(0.0, 20.0) = Field(1.0, description="Tullock exponent r of the contest")
    memory_weeks: Param(1.0, 5200.0) = Field(
        52.0, description="mean life of influence effort (weeks)"
    )


class Trust(Strict):
    """How trust and credibility respond to what powers deliver against what they promised."""

    credibility: Param(0.01, 1.0) = Field(
        0.745, description="prior credibility of every power's pledges"
    )
    credibility_memory: Param(0.01, 1e6) = Field(
        4.0, description="weight of the prior, in invocations"
    )
    gain_on_honour: Share = Field(description="share of the trust gap closed when honoured")
    loss_on_failure: Share = Field(description="share of trust lost when a pledge fails")
    loss_on_defeat: Share = Field(description="share of trust lost in a protector per defeat")
    delivery_gain: Param(0.0, 100.0) = Field(
        description="weekly trust gain per unit of aid relative to the client's own budget"
    )
    reversion_weeks: Param(1.0, 52000.0) = Field(
        260.0, description="mean time to revert to affinity"
    )
    war_salience: Param(1.0, 100.0) = Field(
        1.0, description="multiple of loss_on_defeat a lost war costs (1: as a clash)"
    )
    record_fading: Share = Field(
        0.0, description="share of the honour record forgotten per year (0: never forgotten)"
    )


class War(Strict):
    """War termination (ODD 7.13): a war that follows the ceasefire's collapse ends, by a
    settlement or a victory, with a hazard that rises with the imbalance and the losses."""

    enabled: bool = Field(False, description="wars end (off: a collapse is fought for ever)")
    end_rate: Param(0.0, 10.0) = Field(
        0.1, description="weekly hazard that a war at parity and without losses ends"
    )
    imbalance_weight: Param(0.0, 100.0) = Field(
        1.0, description="rise of the end hazard at a fully lopsided balance (x times)"
    )
    attrition_weight: Param(0.0, 100.0) = Field(
        1.0, description="rise of the end hazard per year of fighting (x times)"
    )
    post_war_hazard: Share = Field(
        1.0, description="factor on the clash hazards once a war has ended"
    )


class Decisions(Strict):
    """Early ends of mandates (ODD 7.14): each review the sponsor weighs a mandate's cost
    against what it buys and its hosts' consent, and may decide to leave."""

    enabled: bool = Field(False, description="mandates may end early (off: only at the term)")
    review_weeks: int = Field(13, gt=0, le=520, description="weeks between reviews")
    act_chance: Share = Field(
        0.5, description="chance per review of acting on a reason to leave (audience costs)"
    )
    lag_weeks: Param(0.0, 520.0) = Field(13.0, description="weeks from decision to departure")


class Exit(Strict):
    """Alliance exit (ODD 7.15): a client leaves a patron that failed it, a patron abandons a
    client it no longer holds."""

    enabled: bool = Field(False, description="alliances may end (off: only by an event)")
    client_min_trust: Share = Field(0.3, description="a client may leave below this trust")
    min_failures: Param(0.0, 1000.0) = Field(
        2.0, description="failed calls on the patron before the client may leave"
    )
    client_exit_chance: Share = Field(
        0.25, description="chance that a failed call below the threshold ends the alliance"
    )
    patron_min_influence: Share = Field(
        0.0, description="a patron may abandon a client over which its share is below this"
    )
    patron_exit_chance: Share = Field(
        0.1, description="chance per review that the patron abandons such a client"
    )
    review_weeks: int = Field(13, gt=0, le=520, description="weeks between patrons' reviews")


class Attention(Strict):
    """Attention and overstretch (ODD 7.16): the deterrence a power lends scales with its
    regional effort against its plan."""

    enabled: bool = Field(False, description="deterrence follows attention (off: it does not)")
    elasticity: Param(0.0, 10.0) = Field(
        1.0, description="exponent of the ratio of regional effort to plan"
    )


class Coercion(Strict):
    """Pressure short of war (ODD 7.17): a blockade or incursion that builds up the hazard and
    costs the protector trust while unanswered."""

    enabled: bool = Field(False, description="coercion short of war (off: clashes only)")
    rate: Param(0.0, 100.0) = Field(
        0.05, description="weekly hazard at full grievance and parity, as the clash rate"
    )
    mean_weeks: Param(1.0, 5200.0) = Field(26.0, description="mean length of a coercion")
    hazard_gain: Param(0.0, 100.0) = Field(
        1.0, description="rise of the coercer's clash hazard per year of coercion (x times)"
    )
    trust_loss_per_week: Share = Field(
        0.005, description="share of the target's trust in each protector lost per week"
    )


# --------------------------------------------------------------------------- events


class _Event(Strict):
    id: Ident
    date: dt.date
    description: str = ""


class SetParameter(_Event):
    """Change a parameter or policy: ``path`` as for ``--set`` (e.g. actors.Russia.resolve),
    to ``value``, or relative to each replicate's current value: times ``factor`` or plus
    ``shift`` (exactly one of the three)."""

    kind: Literal["set"]
    path: str = Field(
        pattern=r"^(actors|relations)\.[^.]+\.[a-z0-9_]+$"
        r"|^(conflict|trust|influence|war|decisions|exit|attention|coercion)\.[a-z0-9_]+$"
    )
    value: Real | None = None
    factor: Positive | None = Field(None, description="multiply the current value")
    shift: Real | None = Field(None, description="add to the current value")

    @model_validator(mode="after")
    def _one_change(self) -> SetParameter:
        given = [k for k in ("value", "factor", "shift") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"expected exactly one of value, factor, shift; got {given or 'none'}")
        return self

    @property
    def change(self) -> str:
        """Which of ``value``, ``factor`` and ``shift`` the event gives."""
        return next(k for k in ("value", "factor", "shift") if getattr(self, k) is not None)


class Deploy(_Event):
    """Add troops to a peacekeeping mandate."""

    kind: Literal["deploy"]
    relation: Ident
    troops: Positive


class Withdraw(_Event):
    """Withdraw troops from a peacekeeping mandate (all of them when ``troops`` is omitted)."""

    kind: Literal["withdraw"]
    relation: Ident
    troops: Positive | None = None


class Toggle(_Event):
    """Start or stop arms support, form or end an alliance."""

    kind: Literal["start_support", "stop_support", "form_alliance", "end_alliance"]
    relation: Ident


class BudgetShock(_Event):
    """Multiply a power's regional budget by ``factor`` (for ``weeks``, or for good)."""

    kind: Literal["budget_shock"]
    actor: Name
    factor: Param(0.0, 100.0)
    weeks: int | None = Field(None, gt=0, le=5200)


class TransferTerritory(_Event):
    """A handover: ``share`` of the disputed area passes to ``to`` from the other side."""

    kind: Literal["transfer_territory"]
    to: Name
    share: Share


Event = Annotated[
    SetParameter | Deploy | Withdraw | Toggle | BudgetShock | TransferTerritory,
    Field(discriminator="kind"),
]


# --------------------------------------------------------------------------- scenario


class Focus(Strict):
    """Whose decline the outcome regimes describe."""

    power: Name
    rival: Name
    ally: Name
    window_weeks: int = Field(
        0,
        ge=0,
        le=520,
        description="final weeks over which the regimes judge the state (0: the last step)",
    )


class Calibration(Strict):
    """What ``hegemon calibrate`` estimates: a handful of uncertain parameters, as key paths
    (their prior is the scenario's distribution) or key paths with a ``[low, high]`` range
    (a uniform prior), and the number of particles."""

    parameters: list[str] | dict[str, tuple[float, float] | None] = Field(min_length=1)
    particles: int = Field(2000, ge=20, le=200_000)
    repeats: int = Field(1, ge=1, le=64, description="trajectories per particle")


class Posterior(Strict):
    """The posterior table of a calibrated scenario (``hegemon.scenario.posterior``): the
    parameters given as ``{dist: sample}`` are drawn jointly from its rows, and each
    replicate replays its particle's past up to ``cutoff``."""

    table: str = Field(min_length=1, max_length=255, description="Parquet file beside the scenario")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    seed: int = Field(ge=0, description="the seed the particles were simulated with")
    cutoff: dt.date = Field(description="the particles' past is replayed up to this date")


class Scenario(Strict):
    """A complete, validated scenario."""

    name: Ident
    title: str = ""
    question: str = Field("", description="the one-line question the scenario asks")
    description: str = ""
    extends: str | None = None
    observations: str | None = Field(
        None,
        min_length=1,
        max_length=255,
        description="observations file: a bundled name, or a .csv file beside the scenario",
    )
    start: dt.date = Field(ge=dt.date(1900, 1, 1), le=dt.date(2200, 12, 31))
    horizon_years: float = Field(5.0, gt=0, le=50)
    until: dt.date | None = Field(
        None, description="end date, at most 50 years after the start; overrides horizon_years"
    )
    step: Literal["week"] = "week"
    focus: Focus
    actors: list[Actor] = Field(min_length=2)
    relations: list[Relation] = Field(default_factory=list)
    conflict: Conflict | None = None
    influence: Influence = Field(default_factory=Influence)
    trust: Trust
    war: War = Field(default_factory=War)
    decisions: Decisions = Field(default_factory=Decisions)
    exit: Exit = Field(default_factory=Exit)
    attention: Attention = Field(default_factory=Attention)
    coercion: Coercion = Field(default_factory=Coercion)
    events: list[Event] = Field(default_factory=list)
    sources: dict[str, str] = Field(default_factory=dict)
    calibration: Calibration | None = None
    posterior: Posterior | None = None
    _posterior_table: Any = PrivateAttr(default=None)  # set by the loader
    _observations_file: Any = PrivateAttr(default=None)  # the file observations: names

    def __eq__(self, other: object) -> bool:
        """Equal when every field is: what the loader remembers beside them (the files it
        read) does not count."""
        if not isinstance(other, Scenario):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = Strict.__hash__

    # ---- derived

    @property
    def posterior_table(self) -> Any:
        """The posterior table (:class:`~hegemon.scenario.posterior.PosteriorTable`) the
        loader read for ``posterior:``; None for a scenario without one."""
        return self._posterior_table

    @property
    def observations_file(self) -> Any:
        """The observations file ``observations:`` names, as the loader resolved it (None
        where the scenario names none or was not loaded from a file)."""
        return self._observations_file

    @property
    def conditioned(self) -> bool:
        """Whether the scenario replays the past of a calibration's particles."""
        return self.posterior is not None

    @property
    def end(self) -> dt.date:
        if self.until is not None:
            return self.until
        whole = int(self.horizon_years)
        try:
            end = self.start.replace(year=self.start.year + whole)
        except ValueError:  # 29 February
            end = self.start.replace(year=self.start.year + whole, day=28)
        return end + dt.timedelta(days=round((self.horizon_years - whole) * 365.25))

    @property
    def steps(self) -> int:
        """Number of weekly steps from start to end (rounded up)."""
        return math.ceil((self.end - self.start).days / WEEK_DAYS)

    def week_of(self, date: dt.date) -> int:
        """Step at whose end ``date`` has been reached (0 = the start)."""
        return math.ceil((date - self.start).days / WEEK_DAYS)

    @property
    def powers(self) -> list[Power]:
        return [a for a in self.actors if isinstance(a, Power)]

    @property
    def locals(self) -> list[LocalState]:
        return [a for a in self.actors if isinstance(a, LocalState)]

    def relations_of(self, kind: type[Any]) -> list[Any]:
        return [r for r in self.relations if isinstance(r, kind)]

    # ---- cross-references

    @model_validator(mode="after")
    def _check_references(self, info: ValidationInfo) -> Scenario:
        if info.context and info.context.get("defer_references"):
            return self  # the loader checks them itself, to point at the offending key
        errors = cross_reference_problems(self)
        if errors:
            raise ValueError("; ".join(message for _, message in errors))
        return self


def _largest(value: Any) -> float:
    """The largest value a parameter (a number or a distribution) can take."""
    return value.support()[1] if is_distribution(value) else float(value)


def scenario_warnings(
    s: Scenario, *, late_events: bool = True
) -> list[tuple[tuple[str | int, ...], str]]:
    """What is valid but probably not meant, as (key path, message): an event dated after the
    end of the run (it never happens; ``late_events=False`` when the run was shortened on
    purpose) and a power missing from a local state's ``trust`` (its trust starts at 0, so
    it has no influence there until trust grows). The CLI prints them as ``warning:``."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    if late_events:
        for i, e in enumerate(s.events):
            if e.date > s.end:
                out.append(
                    (
                        ("events", i, "date"),
                        f"{e.date} is after the end of the run ({s.end}): the event never happens",
                    )
                )
    for i, a in enumerate(s.actors):
        if isinstance(a, LocalState):
            for p in s.powers:
                if p.name not in a.trust:
                    out.append(
                        (
                            ("actors", i, "trust"),
                            f"{p.name} is not in {a.name}'s trust: it starts at 0, so {p.name} "
                            f"has no influence in {a.name} until trust grows (write "
                            f"{p.name}: 0 to say so)",
                        )
                    )
    return out


def cross_reference_problems(s: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Every reference to an actor or relation that does not exist, as (key path, message).

    Called by the loader to point at the offending key; the validator above only guards
    scenarios built in Python.
    """
    out: list[tuple[tuple[str | int, ...], str]] = []
    powers = {a.name for a in s.powers}
    locals_ = {a.name for a in s.locals}
    names = [a.name for a in s.actors]
    ids = [r.id for r in s.relations]

    def need(path: tuple[str | int, ...], name: str, allowed: set[str], what: str) -> None:
        if name not in allowed:
            choices = ", ".join(sorted(allowed)) or "none defined"
            out.append((path, f"unknown {what} {name!r} (expected one of: {choices})"))

    for i, name in enumerate(names):
        if names.index(name) != i:
            out.append((("actors", i, "name"), f"duplicate actor name {name!r}"))
    for i, rid in enumerate(ids):
        if ids.index(rid) != i:
            out.append((("relations", i, "id"), f"duplicate relation id {rid!r}"))
    if not powers:
        out.append((("actors",), "a scenario needs at least one power (kind: power)"))
    if not locals_:
        out.append((("actors",), "a scenario needs at least one local state (kind: local)"))
    for key, name in (("power", s.focus.power), ("rival", s.focus.rival)):
        need(("focus", key), name, powers, "power")
    need(("focus", "ally"), s.focus.ally, locals_, "local state")
    for i, a in enumerate(s.actors):
        if isinstance(a, Power):
            for name in a.allocation:
                need(("actors", i, "allocation", name), name, locals_, "local state")
            if a.allocation and all(_largest(v) <= 0 for v in a.allocation.values()):
                out.append(
                    (
                        ("actors", i, "allocation"),
                        "the weights sum to zero, so the regional effort goes nowhere; give "
                        "at least one local state a positive weight (or leave allocation out "
                        "for equal weights)",
                    )
                )
        else:
            for field in ("trust", "affinity"):
                for name in getattr(a, field):
                    need(("actors", i, field, name), name, powers, "power")
    local_index = [i for i, a in enumerate(s.actors) if isinstance(a, LocalState)]
    if local_index and all(_largest(s.actors[i].weight) <= 0 for i in local_index):
        out.append(
            (
                ("actors", local_index[0], "weight"),
                "the weights of the local states sum to zero, so no power has any regional "
                "influence; give at least one local state a positive weight",
            )
        )
    for i, r in enumerate(s.relations):
        if isinstance(r, Alliance | ArmsSupport):
            need(("relations", i, "patron"), r.patron, powers, "power")
            need(("relations", i, "client"), r.client, locals_, "local state")
        elif isinstance(r, Peacekeeping):
            need(("relations", i, "sponsor"), r.sponsor, powers, "power")
            for j, party in enumerate(r.parties):
                need(("relations", i, "parties", j), party, locals_, "local state")
    if s.conflict is not None:
        c = s.conflict
        for j, side in enumerate(c.sides):
            need(("conflict", "sides", j), side, locals_, "local state")
        if len(set(c.sides)) != 2:
            out.append((("conflict", "sides"), "expected two different local states"))
        for field in ("territory", "aspiration"):
            mapping = getattr(c, field)
            if set(mapping) != set(c.sides):
                out.append(
                    (
                        ("conflict", field),
                        f"expected one entry per side {c.sides}, got {list(mapping)}",
                    )
                )
        shares = list(c.territory.values())
        if all(isinstance(v, float) for v in shares) and abs(sum(shares) - 1.0) > 1e-9:
            out.append((("conflict", "territory"), f"shares must sum to 1, got {sum(shares):g}"))
    if len(set(names)) == len(names) and len(set(ids)) == len(ids):
        out += calibration_problems(s)  # key paths name actors and relations: unambiguous only
    if s.end <= s.start:
        out.append((("until",), f"end {s.end} must be after start {s.start}"))
    elif (s.end - s.start).days > round(50 * 365.25):
        out.append((("until",), f"expected an end at most 50 years after {s.start}, got {s.end}"))
    by_id = {r.id: r for r in s.relations}
    kinds = {
        "deploy": Peacekeeping,
        "withdraw": Peacekeeping,
        "start_support": ArmsSupport,
        "stop_support": ArmsSupport,
        "form_alliance": Alliance,
        "end_alliance": Alliance,
    }
    event_ids = [e.id for e in s.events]
    for i, e in enumerate(s.events):
        if event_ids.index(e.id) != i:
            out.append((("events", i, "id"), f"duplicate event id {e.id!r}"))
        if e.date < s.start:  # events after the end are ignored, so a shorter run works
            out.append(
                (("events", i, "date"), f"expected a date on or after {s.start}, got {e.date}")
            )
        if e.kind in kinds:
            rel = by_id.get(e.relation)
            want = kinds[e.kind]
            if rel is None or not isinstance(rel, want):
                have = sorted(r.id for r in s.relations if isinstance(r, want))
                out.append(
                    (
                        ("events", i, "relation"),
                        f"unknown {want.__name__.lower()} relation {e.relation!r} "
                        f"(expected one of: {', '.join(have) or 'none defined'})",
                    )
                )
        elif isinstance(e, BudgetShock):
            need(("events", i, "actor"), e.actor, powers, "power")
        elif isinstance(e, TransferTerritory):
            sides = set(s.conflict.sides) if s.conflict else set()
            need(("events", i, "to"), e.to, sides, "side of the conflict")
        elif isinstance(e, SetParameter):
            problem = settable_problem(s, e.path)
            if problem:
                out.append((("events", i, "path"), problem))
            else:
                problem = value_problem(s, e.path, getattr(e, e.change), e.change)
                if problem:
                    out.append((("events", i, e.change), problem))
    return out


def calibration_problems(s: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems of the ``calibration:`` and ``posterior:`` blocks: an unknown parameter, a bad
    range, ``{dist: sample}`` without a posterior table. (A listed parameter without a prior
    is refused by ``hegemon calibrate`` only, so that ``--set`` can still fix it.)"""
    out: list[tuple[tuple[str | int, ...], str]] = []
    if s.calibration is not None:
        spec = s.calibration.parameters
        items = list(spec.items()) if isinstance(spec, dict) else [(p, None) for p in spec]
        seen: set[str] = set()
        for i, (path, rng) in enumerate(items):
            loc: tuple[str | int, ...] = (
                "calibration",
                "parameters",
                path if isinstance(spec, dict) else i,
            )
            problem = parameter_problem(s, path)
            if problem:
                out.append((loc, f"unknown parameter: {problem}"))
                continue
            if path in seen:
                out.append((loc, f"{path!r} is listed twice"))
            seen.add(path)
            if rng is not None:
                lo, hi = rng
                if not lo < hi:
                    out.append((loc, f"expected [low, high] with low < high, got [{lo}, {hi}]"))
                else:
                    for bound in (lo, hi):
                        problem = value_problem(s, path, bound)
                        if problem:
                            out.append((loc, problem))
                            break
    samples = [p for p, v in uncertain_parameters(s).items() if is_sample(v)]
    if samples and s.posterior is None:
        out.append(((), f"{samples[0]} is {{dist: sample}}: the scenario needs a posterior: block"))
    if s.posterior is not None and s.posterior.cutoff < s.start:
        out.append((("posterior", "cutoff"), f"expected a date on or after the start {s.start}"))
    return out

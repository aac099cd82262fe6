"""Typed per-replicate parameters: one dataclass per kind of actor, relation and section.

Every numeric parameter of the scenario becomes an array of shape (R,), and every mapping of
parameters (trust, affinity, allocation, territory, aspiration) a dict of such arrays. Each
dataclass is built explicitly from its schema object through :meth:`ParameterDraws.value`,
which draws a parameter given as a distribution once per replicate (the epistemic draws) or
takes the values given per replicate. The mechanisms read these objects directly, and a set
event replaces one of their fields (``hegemon.model.events``): there is no copy to keep in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hegemon.model.streams import Streams
from hegemon.scenario import schema as sc
from hegemon.scenario.distributions import is_distribution, is_sample

Values = np.ndarray  # shape (R,): one value per replicate
Mapping = dict[str, np.ndarray]  # one array of shape (R,) per key (a power, a local state)


def to_power(base: np.ndarray, exponent: Values) -> np.ndarray:
    """``base ** exponent`` for an exponent per replicate. Where it is 1 in every replicate
    (the default decisiveness of the influence contest and elasticity of attention), numpy
    is asked for ``base ** 1.0``, which it computes as a copy instead of a pow for each
    value: the same values, since pow(x, 1) is x exactly."""
    if np.ndim(base) and np.ndim(exponent) and (exponent == 1.0).all():
        return base**1.0
    return base**exponent


class ParameterDraws:
    """Draws every parameter once per replicate and remembers the ones that vary.

    A parameter at key path ``actors.Russia.resolve`` given as a distribution is drawn from
    the replicate's stream ``param:actors.Russia.resolve``: the same draw in every scenario
    that gives that parameter the same distribution.
    """

    def __init__(
        self,
        streams: Streams,
        replicates: int,
        fixed: dict[str, np.ndarray] | None = None,
        sample: tuple[Any, np.ndarray | None] = (None, None),
    ):
        self.streams = streams
        self.replicates = replicates
        self.fixed = fixed or {}
        self.drawn: dict[str, np.ndarray] = {}
        self.table, self.rows = sample  # the posterior table and each replicate's row

    def value(self, path: str, value: Any) -> np.ndarray:
        """A parameter's values, shape (replicates,): given per replicate in ``fixed`` (a
        sweep or a sensitivity sample), else the column of the posterior table at each
        replicate's row (``{dist: sample}``), else drawn from its distribution, else
        constant."""
        if path in self.fixed:
            values = np.asarray(self.fixed[path], dtype=np.float64)
            self.drawn[path] = values
            return values.copy()
        if is_sample(value):
            if self.table is None or self.rows is None:
                raise ValueError(f"{path} is {{dist: sample}} but the scenario has no posterior")
            draws = self.table.column(value.column or path)[self.rows].astype(np.float64)
            self.drawn[path] = draws
            return draws.copy()
        if is_distribution(value):
            draws = value.ppf(self.streams.parameter(path)).astype(np.float64)
            self.drawn[path] = draws
            return draws
        return np.full(self.replicates, float(value))

    def mapping(self, path: str, values: dict[str, Any]) -> Mapping:
        """A mapping of parameters (``actors.Armenia.trust``), one array per key."""
        return {key: self.value(f"{path}.{key}", v) for key, v in values.items()}


# --------------------------------------------------------------------------- actors


@dataclass
class ActorParams:
    """The economy of a power or a local state (economy.py)."""

    gdp_busd: Values
    military_budget_musd: Values
    gdp_growth: Values
    growth_volatility: Values


def _economy(spec: sc.Power | sc.LocalState, draws: ParameterDraws, at: str) -> dict[str, Any]:
    return {
        "gdp_busd": draws.value(f"{at}.gdp_busd", spec.gdp_busd),
        "military_budget_musd": draws.value(
            f"{at}.military_budget_musd", spec.military_budget_musd
        ),
        "gdp_growth": draws.value(f"{at}.gdp_growth", spec.gdp_growth),
        "growth_volatility": draws.value(f"{at}.growth_volatility", spec.growth_volatility),
    }


@dataclass
class PowerParams(ActorParams):
    """An external power: its regional effort and allocation (economy.py, influence.py) and
    its resolve (trust.py)."""

    regional_effort: Values
    allocation: Mapping
    resolve: Values

    @classmethod
    def draw(cls, spec: sc.Power, draws: ParameterDraws) -> PowerParams:
        at = f"actors.{spec.name}"
        return cls(
            **_economy(spec, draws, at),
            regional_effort=draws.value(f"{at}.regional_effort", spec.regional_effort),
            allocation=draws.mapping(f"{at}.allocation", spec.allocation),
            resolve=draws.value(f"{at}.resolve", spec.resolve),
        )


@dataclass
class LocalStateParams(ActorParams):
    """A local state: its autonomy and weight (influence.py), its initial trust and its
    affinity (trust.py)."""

    autonomy: Values
    weight: Values
    trust: Mapping
    affinity: Mapping

    @classmethod
    def draw(cls, spec: sc.LocalState, draws: ParameterDraws) -> LocalStateParams:
        at = f"actors.{spec.name}"
        return cls(
            **_economy(spec, draws, at),
            autonomy=draws.value(f"{at}.autonomy", spec.autonomy),
            weight=draws.value(f"{at}.weight", spec.weight),
            trust=draws.mapping(f"{at}.trust", spec.trust),
            affinity=draws.mapping(f"{at}.affinity", spec.affinity),
        )


# --------------------------------------------------------------------------- relations


@dataclass
class AllianceParams:
    """A commitment (alliances.py)."""

    support_musd: Values
    commitment_cost_musd: Values

    @classmethod
    def draw(cls, spec: sc.Alliance, draws: ParameterDraws) -> AllianceParams:
        at = f"relations.{spec.id}"
        return cls(
            support_musd=draws.value(f"{at}.support_musd", spec.support_musd),
            commitment_cost_musd=draws.value(
                f"{at}.commitment_cost_musd", spec.commitment_cost_musd
            ),
        )


@dataclass
class ArmsParams:
    """An arms pipeline (alliances.py)."""

    musd_per_year: Values
    effectiveness: Values

    @classmethod
    def draw(cls, spec: sc.ArmsSupport, draws: ParameterDraws) -> ArmsParams:
        at = f"relations.{spec.id}"
        return cls(
            musd_per_year=draws.value(f"{at}.musd_per_year", spec.musd_per_year),
            effectiveness=draws.value(f"{at}.effectiveness", spec.effectiveness),
        )


@dataclass
class RenewalParams:
    """A mandate's renewal rule (peacekeeping.py)."""

    min_influence: Values
    max_cost_share: Values
    party_min_trust: Values

    @classmethod
    def draw(cls, spec: sc.Renewal, draws: ParameterDraws, at: str) -> RenewalParams:
        return cls(
            min_influence=draws.value(f"{at}.min_influence", spec.min_influence),
            max_cost_share=draws.value(f"{at}.max_cost_share", spec.max_cost_share),
            party_min_trust=draws.value(f"{at}.party_min_trust", spec.party_min_trust),
        )


@dataclass
class MandateParams:
    """A peacekeeping mandate (peacekeeping.py); its dates are not parameters and stay in
    its schema object."""

    troops: Values
    cost_per_troop_week_usd: Values
    presence_efficiency: Values
    renewal: RenewalParams

    @classmethod
    def draw(cls, spec: sc.Peacekeeping, draws: ParameterDraws) -> MandateParams:
        at = f"relations.{spec.id}"
        return cls(
            troops=draws.value(f"{at}.troops", spec.troops),
            cost_per_troop_week_usd=draws.value(
                f"{at}.cost_per_troop_week_usd", spec.cost_per_troop_week_usd
            ),
            presence_efficiency=draws.value(f"{at}.presence_efficiency", spec.presence_efficiency),
            renewal=RenewalParams.draw(spec.renewal, draws, f"{at}.renewal"),
        )


# --------------------------------------------------------------------------- sections


@dataclass
class ConflictParams:
    """The dispute (dispute.py)."""

    territory: Mapping
    aspiration: Mapping
    clash_rate: Values
    balance_exponent: Values
    deterrence_per_1000_troops: Values
    ally_deterrence: Values
    escalation: Values
    decisiveness: Values
    clash_gain: Values
    war_gain: Values
    grievance_memory: Values
    grievance_buildup: Values

    @classmethod
    def draw(cls, spec: sc.Conflict, draws: ParameterDraws) -> ConflictParams:
        return cls(
            territory=draws.mapping("conflict.territory", spec.territory),
            aspiration=draws.mapping("conflict.aspiration", spec.aspiration),
            clash_rate=draws.value("conflict.clash_rate", spec.clash_rate),
            balance_exponent=draws.value("conflict.balance_exponent", spec.balance_exponent),
            deterrence_per_1000_troops=draws.value(
                "conflict.deterrence_per_1000_troops", spec.deterrence_per_1000_troops
            ),
            ally_deterrence=draws.value("conflict.ally_deterrence", spec.ally_deterrence),
            escalation=draws.value("conflict.escalation", spec.escalation),
            decisiveness=draws.value("conflict.decisiveness", spec.decisiveness),
            clash_gain=draws.value("conflict.clash_gain", spec.clash_gain),
            war_gain=draws.value("conflict.war_gain", spec.war_gain),
            grievance_memory=draws.value("conflict.grievance_memory", spec.grievance_memory),
            grievance_buildup=draws.value("conflict.grievance_buildup", spec.grievance_buildup),
        )


@dataclass
class InfluenceParams:
    """The influence contest (influence.py)."""

    decisiveness: Values
    memory_weeks: Values

    @classmethod
    def draw(cls, spec: sc.Influence, draws: ParameterDraws) -> InfluenceParams:
        return cls(
            decisiveness=draws.value("influence.decisiveness", spec.decisiveness),
            memory_weeks=draws.value("influence.memory_weeks", spec.memory_weeks),
        )


@dataclass
class TrustParams:
    """Trust and credibility (trust.py)."""

    credibility: Values
    credibility_memory: Values
    gain_on_honour: Values
    loss_on_failure: Values
    loss_on_defeat: Values
    delivery_gain: Values
    reversion_weeks: Values
    war_salience: Values
    record_fading: Values

    @classmethod
    def draw(cls, spec: sc.Trust, draws: ParameterDraws) -> TrustParams:
        return cls(
            credibility=draws.value("trust.credibility", spec.credibility),
            credibility_memory=draws.value("trust.credibility_memory", spec.credibility_memory),
            gain_on_honour=draws.value("trust.gain_on_honour", spec.gain_on_honour),
            loss_on_failure=draws.value("trust.loss_on_failure", spec.loss_on_failure),
            loss_on_defeat=draws.value("trust.loss_on_defeat", spec.loss_on_defeat),
            delivery_gain=draws.value("trust.delivery_gain", spec.delivery_gain),
            reversion_weeks=draws.value("trust.reversion_weeks", spec.reversion_weeks),
            war_salience=draws.value("trust.war_salience", spec.war_salience),
            record_fading=draws.value("trust.record_fading", spec.record_fading),
        )


def _numeric(spec: Any, draws: ParameterDraws, section: str) -> dict[str, Any]:
    """Every field of a switchable section: its numeric parameters drawn per replicate (at
    ``<section>.<field>``), its switch and its whole numbers as they are."""
    out: dict[str, Any] = {}
    for name, info in type(spec).model_fields.items():
        value = getattr(spec, name)
        is_param = info.annotation not in (bool, int)
        out[name] = draws.value(f"{section}.{name}", value) if is_param else value
    return out


@dataclass
class WarParams:
    """War termination (war.py)."""

    enabled: bool
    end_rate: Values
    imbalance_weight: Values
    attrition_weight: Values
    post_war_hazard: Values


@dataclass
class DecisionParams:
    """Early ends of mandates (peacekeeping.py)."""

    enabled: bool
    review_weeks: int
    act_chance: Values
    lag_weeks: Values


@dataclass
class ExitParams:
    """Alliance exit (alliances.py)."""

    enabled: bool
    client_min_trust: Values
    min_failures: Values
    client_exit_chance: Values
    patron_min_influence: Values
    patron_exit_chance: Values
    review_weeks: int


@dataclass
class AttentionParams:
    """Attention and overstretch (economy.py)."""

    enabled: bool
    elasticity: Values


@dataclass
class CoercionParams:
    """Pressure short of war (coercion.py)."""

    enabled: bool
    rate: Values
    mean_weeks: Values
    hazard_gain: Values
    trust_loss_per_week: Values


@dataclass
class MechanismParams:
    """The sections that belong to no actor or relation: ``influence``, ``trust`` and the
    switchable mechanisms ``war``, ``decisions``, ``exit``, ``attention`` and ``coercion``
    (``conflict`` belongs to the dispute)."""

    influence: InfluenceParams
    trust: TrustParams
    war: WarParams
    decisions: DecisionParams
    exit: ExitParams
    attention: AttentionParams
    coercion: CoercionParams

    @classmethod
    def draw(cls, spec: sc.Scenario, draws: ParameterDraws) -> MechanismParams:
        return cls(
            influence=InfluenceParams.draw(spec.influence, draws),
            trust=TrustParams.draw(spec.trust, draws),
            war=WarParams(**_numeric(spec.war, draws, "war")),
            decisions=DecisionParams(**_numeric(spec.decisions, draws, "decisions")),
            exit=ExitParams(**_numeric(spec.exit, draws, "exit")),
            attention=AttentionParams(**_numeric(spec.attention, draws, "attention")),
            coercion=CoercionParams(**_numeric(spec.coercion, draws, "coercion")),
        )

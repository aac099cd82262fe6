"""Unit tests of each submodel (docs/ODD.md, section 7), one rule at a time.

Small models are built from the baseline (with ``--set``-style overrides where a rule needs
particular values) and the submodels' methods are called directly on hand-set arrays. The
rules of sections 7.1-7.12 are tested with the mechanisms of 7.13-7.17 switched off (as in
the golden test); those have their own tests in ``test_mechanisms.py``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from test_golden import MECHANISMS_OFF

import hegemon
from hegemon.model.derived import Derived
from hegemon.model.economy import WEEKS_PER_YEAR
from hegemon.model.events import ScenarioEvent, set_parameter
from hegemon.model.influence import contest_shares
from hegemon.model.model import HegemonModel
from hegemon.model.parameters import to_power
from hegemon.model.peacekeeping import MandateTerm
from hegemon.model.trust import unit_interval
from hegemon.scenario import schema as sc
from hegemon.scenario.keypaths import KeyPathError
from hegemon.scenario.loader import with_overrides

R = 16
BASE = with_overrides(hegemon.load_scenario("baseline"), MECHANISMS_OFF)


def model(*overrides: str, replicates: int = R, seed: int = 3) -> HegemonModel:
    return HegemonModel(with_overrides(BASE, list(overrides)), replicates=replicates, seed=seed)


def mask(*where: int) -> np.ndarray:
    out = np.zeros(R, dtype=bool)
    out[list(where)] = True
    return out


def events_of(m: HegemonModel, kind: str) -> dict[str, np.ndarray]:
    rows = m.event_rows()
    keep = rows["event"] == kind
    return {name: column[keep] for name, column in rows.items()}


# ---- economy (7.1, 7.2)


def test_growth_without_a_shock_follows_the_drift():
    m = model()
    russia = m.actor("Russia")
    before = russia.gdp_busd.copy()
    russia.grow(np.zeros(R))
    g, sigma = russia.params.gdp_growth, russia.params.growth_volatility
    drift = (np.log1p(g) - 0.5 * sigma**2) / WEEKS_PER_YEAR
    np.testing.assert_allclose(russia.gdp_busd, before * np.exp(drift))


def test_growth_follows_a_growth_rate_an_event_sets():
    """The weekly drift is computed once, and again when an event sets the growth rate or
    its volatility."""
    m = model()
    russia = m.actor("Russia")
    z = np.linspace(-2.0, 2.0, R)
    russia.grow(z)
    for path, value in (("gdp_growth", -0.2), ("growth_volatility", 0.3)):
        set_parameter(m, f"actors.Russia.{path}", np.full(R, value))
        before = russia.gdp_busd.copy()
        russia.grow(z)
        g, sigma = russia.params.gdp_growth, russia.params.growth_volatility
        drift = (np.log1p(g) - 0.5 * sigma**2) / WEEKS_PER_YEAR
        expected = before * np.exp(drift + sigma * np.sqrt(1 / WEEKS_PER_YEAR) * z)
        np.testing.assert_allclose(russia.gdp_busd, expected, rtol=1e-12)


def test_spending_pays_peacekeeping_and_arms_first_and_honoured_help_on_top():
    m = model()
    russia = m.actor("Russia")
    budget = russia.regional_budget_musd / WEEKS_PER_YEAR
    peacekeeping = sum(d.weekly_cost_musd for d in m.mandates if d.sponsor is russia)
    cum = russia.regional_cost_cum_musd.copy()
    russia.book_honour_cost(np.full(R, 7.0))
    russia.spend()
    np.testing.assert_allclose(russia.peacekeeping_cost_musd, peacekeeping)
    np.testing.assert_allclose(russia.free_effort_musd, np.maximum(budget - peacekeeping, 0.0))
    spent = np.maximum(budget, peacekeeping) + 7.0
    np.testing.assert_allclose(russia.regional_cost_cum_musd - cum, spent)
    assert not russia.honour_cost_musd.any()  # paid: the week's bill starts again from zero


def test_a_budget_shock_multiplies_the_regional_budget_until_it_ends():
    m = model()
    turkey = m.actor("Turkey")
    before = turkey.regional_budget_musd
    turkey.shock_budget("a", np.full(R, 0.5))
    turkey.shock_budget("b", np.full(R, 0.8))
    np.testing.assert_allclose(turkey.regional_budget_musd, before * 0.4)
    turkey.end_shock("a")
    turkey.end_shock("b")
    np.testing.assert_array_equal(turkey.regional_budget_musd, before)


# ---- influence contest (7.4)


def test_contest_shares_and_autonomy_sum_to_one():
    rng = np.random.default_rng(1)
    efforts = {"A": rng.uniform(0, 5, R), "B": rng.uniform(0, 5, R), "C": np.zeros(R)}
    autonomy = rng.uniform(0, 5, R)
    r = rng.uniform(0.5, 3, R)
    shares = contest_shares(efforts, autonomy, r)
    total = sum(e**r for e in efforts.values()) + autonomy**r
    np.testing.assert_allclose(sum(shares.values()) + autonomy**r / total, 1.0)
    assert not shares["C"].any()


@pytest.mark.parametrize(("r", "expected"), [(1.0, (0.75, 0.25)), (2.0, (0.9, 0.1))])
def test_contest_of_two_without_autonomy(r, expected):
    efforts = {"A": np.array([3.0]), "B": np.array([1.0])}
    shares = contest_shares(efforts, np.zeros(1), np.array([r]))
    np.testing.assert_allclose([shares["A"][0], shares["B"][0]], expected)


def test_contest_with_no_effort_and_no_autonomy_gives_no_shares():
    shares = contest_shares({"A": np.zeros(2)}, np.zeros(2), np.ones(2))
    np.testing.assert_array_equal(shares["A"], 0.0)


def test_the_contest_is_trust_weighted_capital_against_autonomy():
    m = model()
    m.step()
    r = m.params.influence.decisiveness
    for local in m.local_states:
        weighted = {p.name: (local.trust[p.name] * local.stock[p.name]) ** r for p in m.powers}
        total = sum(weighted.values()) + local.autonomy_stock**r
        for p in m.powers:
            np.testing.assert_allclose(local.share[p.name], weighted[p.name] / total)


def test_regional_influence_is_the_weighted_mean_of_shares():
    m = model("actors.Armenia.weight=3")
    m.step()
    armenia, azerbaijan = m.actor("Armenia"), m.actor("Azerbaijan")
    for p in m.powers:
        mean = (3 * armenia.share[p.name] + azerbaijan.share[p.name]) / 4
        np.testing.assert_allclose(p.influence, mean)


def test_honoured_help_counts_as_effort_for_one_week():
    m = model()
    russia, armenia = m.actor("Russia"), m.actor("Armenia")
    without = russia.effort_in(armenia)
    russia.book_help(armenia, np.full(R, 40.0))
    np.testing.assert_allclose(russia.effort_in(armenia), without + 40.0)
    russia.tally_influence()
    np.testing.assert_array_equal(russia.effort_in(armenia), without)


# ---- credibility and trust (7.5, 7.6)


def test_credibility_is_the_posterior_mean_of_the_honour_record():
    m = model("actors.Russia.resolve=1.0", "trust.credibility_memory=4")
    russia = m.actor("Russia")
    np.testing.assert_allclose(russia.credibility, 0.745)
    honoured = russia.honour(mask(0, 1, 2), "honour:test")
    np.testing.assert_array_equal(honoured, mask(0, 1, 2))
    set_parameter(m, "actors.Russia.resolve", np.zeros(R))
    assert not russia.honour(mask(0, 3), "honour:test").any()
    expected = (0.745 * 4 + mask(0, 1, 2)) / (4 + mask(0, 1, 2) + mask(0, 3))
    np.testing.assert_allclose(russia.credibility, expected)
    assert russia.credibility[0] == pytest.approx((0.745 * 4 + 1) / 6)


def test_trust_drifts_toward_affinity_times_credibility():
    m = model("actors.Armenia.affinity.Russia=0.9")
    m.relation("turkish_arms").switch(False)
    armenia, russia = m.actor("Armenia"), m.actor("Russia")
    russia.invocations = np.full(R, 4.0)  # four calls, two honoured: credibility falls
    russia.honours = np.full(R, 2.0)
    before = {p.name: armenia.trust[p.name].copy() for p in m.powers}
    armenia.update_trust()
    tp = m.params.trust
    for p in m.powers:
        target = unit_interval(armenia.affinity[p.name] * p.credibility / tp.credibility)
        expected = before[p.name] + (target - before[p.name]) / tp.reversion_weeks
        np.testing.assert_allclose(armenia.trust[p.name], expected)
    assert np.all(russia.credibility < tp.credibility)


def test_trust_at_affinity_and_prior_credibility_stays_without_arms():
    m = model()
    m.relation("turkish_arms").switch(False)
    armenia = m.actor("Armenia")
    before = {name: t.copy() for name, t in armenia.trust.items()}
    armenia.update_trust()
    for name, t in armenia.trust.items():
        np.testing.assert_allclose(t, before[name])


def test_delivery_of_arms_raises_the_clients_trust():
    m = model()
    azerbaijan, turkey = m.actor("Azerbaijan"), m.actor("Turkey")
    t = azerbaijan.trust["Turkey"].copy()
    azerbaijan.update_trust()
    tp = m.params.trust
    arms = m.relation("turkish_arms").params.musd_per_year / WEEKS_PER_YEAR
    np.testing.assert_allclose(turkey.arms_to(azerbaijan), arms)
    drifted = t + (unit_interval(azerbaijan.affinity["Turkey"]) - t) / tp.reversion_weeks
    gain = np.minimum(tp.delivery_gain * arms / azerbaijan.weekly_budget_musd, 1.0)
    np.testing.assert_allclose(azerbaijan.trust["Turkey"], drifted + gain * (1 - drifted))
    assert np.all(azerbaijan.trust["Turkey"] > t)


def test_an_honoured_call_closes_a_share_of_the_gap_to_one():
    m = model("trust.gain_on_honour=0.1")
    armenia, russia = m.actor("Armenia"), m.actor("Russia")
    armenia.trust["Russia"] = np.full(R, 0.7)
    armenia.trust_on_honour(russia, mask(1, 2))
    np.testing.assert_allclose(armenia.trust["Russia"], np.where(mask(1, 2), 0.73, 0.7))


def test_a_failed_call_loses_a_share_of_trust():
    m = model("trust.loss_on_failure=0.125")
    armenia, russia = m.actor("Armenia"), m.actor("Russia")
    armenia.trust["Russia"] = np.full(R, 0.7)
    armenia.trust_on_failure(russia, mask(0))
    np.testing.assert_allclose(armenia.trust["Russia"], np.where(mask(0), 0.6125, 0.7))


def test_a_defeat_costs_trust_in_every_protector_pledged_there():
    m = model("trust.loss_on_defeat=0.5")
    armenia, russia, turkey = m.actor("Armenia"), m.actor("Russia"), m.actor("Turkey")
    armenia.trust = {"Russia": np.full(R, 0.8), "Turkey": np.full(R, 0.4)}
    protectors = m.dispute.protectors(armenia)
    assert list(protectors) == [russia]  # the CSTO and the peacekeepers: Russia, once
    armenia.trust_on_defeat({russia: mask(0, 1), turkey: mask(1)}, mask(1, 2))
    np.testing.assert_allclose(armenia.trust["Russia"], np.where(mask(1), 0.4, 0.8))
    np.testing.assert_allclose(armenia.trust["Turkey"], np.where(mask(1), 0.2, 0.4))


def test_a_victory_raises_trust_in_active_arms_patrons():
    m = model("trust.gain_on_honour=0.5")
    azerbaijan = m.actor("Azerbaijan")
    azerbaijan.trust["Turkey"] = np.full(R, 0.6)
    arms = m.relation("turkish_arms")
    arms.active = mask(0, 1)
    azerbaijan.trust_on_victory([arms], mask(1, 2))
    np.testing.assert_allclose(azerbaijan.trust["Turkey"], np.where(mask(1), 0.8, 0.6))


def test_the_dispute_moves_trust_where_allies_are_called():
    m = model("conflict.clash_rate=100", "actors.Russia.resolve=0.5", "conflict.escalation=0")
    before = m.actor("Armenia").trust["Russia"].copy()
    m.step()  # Azerbaijan attacks in every replicate; Armenia calls on the CSTO
    rows = m.event_rows()
    honoured = np.isin(np.arange(R), rows["replicate"][rows["event"] == "commitment_honoured"])
    failed = np.isin(np.arange(R), rows["replicate"][rows["event"] == "commitment_failed"])
    assert np.all(honoured ^ failed) and honoured.any() and failed.any()
    np.testing.assert_array_equal(m.actor("Russia").invocations, 1.0)
    np.testing.assert_array_equal(m.actor("Russia").honours, honoured)
    assert not m.actor("Russia").honour_cost_musd.any()  # booked, paid and reset
    assert m.actor("Russia").honoured_help_musd == {}  # counted as effort, then cleared
    assert np.all(m.actor("Armenia").trust["Russia"][failed] < before[failed])


# ---- the dispute (7.8-7.10)


def test_clash_hazard_at_parity_and_full_grievance_is_the_clash_rate():
    m = model("conflict.clash_rate=0.2", "conflict.ally_deterrence=0")
    d = m.dispute
    azerbaijan, armenia = d.sides
    strength = {azerbaijan: np.full(R, 100.0), armenia: np.full(R, 100.0)}
    pressure = d.pressure(azerbaijan, strength)
    np.testing.assert_allclose(pressure, 1.0)
    d.territory = {"Azerbaijan": np.zeros(R), "Armenia": np.ones(R)}
    np.testing.assert_allclose(d.hazard(azerbaijan, pressure, np.ones(R)), 0.2)
    np.testing.assert_allclose(d.grievance(armenia), 0.0)  # holds more than it claims


def test_clash_hazard_rises_with_grievance_and_balance_and_falls_with_peacekeepers():
    m = model("conflict.balance_exponent=2", "conflict.deterrence_per_1000_troops=0.5")
    d = m.dispute
    azerbaijan, armenia = d.sides
    strength = {s: d.strength(s) for s in d.sides}
    support = d.credible_support(armenia)
    np.testing.assert_allclose(
        support, m.relation("csto").params.support_musd * m.actor("Russia").credibility
    )
    balance = strength[azerbaijan] / (strength[azerbaijan] + strength[armenia] + support)
    np.testing.assert_allclose(d.balance(azerbaijan, strength), balance)
    grievance = (1.0 - 0.4) / 1.0
    np.testing.assert_allclose(d.grievance(azerbaijan), grievance)
    credible = 1960 / 1000 * m.actor("Russia").credibility
    np.testing.assert_allclose(d.calm(), np.exp(-0.5 * credible))
    hazard = d.hazard(azerbaijan, d.pressure(azerbaijan, strength), d.calm())
    expected = d.params.clash_rate * grievance * (2 * balance) ** 2 * np.exp(-0.5 * credible)
    np.testing.assert_allclose(hazard, expected)
    m.relation("peacekeeping").withdraw()
    np.testing.assert_allclose(d.calm(), 1.0)


def test_escalation_chance_scales_with_pressure_and_is_at_most_one():
    m = model("conflict.escalation=0.1")
    d = m.dispute
    np.testing.assert_allclose(d.escalation_chance(np.full(R, 2.0), np.full(R, 0.5)), 0.1)
    np.testing.assert_allclose(d.escalation_chance(np.full(R, 50.0), np.ones(R)), 1.0)


def test_the_stronger_side_wins_more_often():
    m = model("conflict.decisiveness=2")
    chance = m.dispute.win_chance(np.full(R, 3.0), np.full(R, 1.0))
    np.testing.assert_allclose(chance, 0.9)


def test_collapse_is_a_war_and_the_peacekeepers_leave_for_good():
    m = model("conflict.clash_rate=100", "conflict.escalation=1", "conflict.war_gain=1")
    m.step()
    d = m.dispute
    collapsed = ~d.ceasefire
    assert collapsed.any()
    for mandate in m.mandates:
        assert np.all(mandate.troops[collapsed] == 0) and np.all(mandate.void == collapsed)
    winners = events_of(m, "ceasefire_collapse")["actor"]
    held = {side: d.territory[side][collapsed] for side in d.territory}
    for winner, a, b in zip(winners, held["Azerbaijan"], held["Armenia"], strict=True):
        assert (a, b) == pytest.approx((1.0, 0.0) if winner == "Azerbaijan" else (0.0, 1.0))
    m.relation("peacekeeping").deploy(np.full(R, 500.0))
    assert np.all(m.relation("peacekeeping").troops[collapsed] == 0)


def test_a_handover_moves_at_most_what_the_other_side_holds():
    m = model()
    d = m.dispute
    d.transfer(m.actor("Armenia"), np.full(R, 0.1))
    np.testing.assert_allclose(d.territory["Armenia"], 0.7)
    np.testing.assert_allclose(d.territory["Azerbaijan"], 0.3)
    d.transfer(m.actor("Azerbaijan"), np.full(R, 2.0))
    np.testing.assert_allclose(d.territory["Azerbaijan"], 1.0)
    np.testing.assert_allclose(d.territory["Armenia"], 0.0)


# ---- peacekeeping (7.3)


def test_presence_buys_effort_in_each_party_and_costs_the_sponsor():
    m = model()
    d, russia = m.relation("peacekeeping"), m.actor("Russia")
    cost = 1960 * d.params.cost_per_troop_week_usd / 1e6
    np.testing.assert_allclose(russia.mandate_cost_musd(), cost)
    for local in m.local_states:
        np.testing.assert_allclose(d.presence_in(local), cost * d.params.presence_efficiency / 2)
    np.testing.assert_allclose(russia.peacekeepers, 1960.0)


def test_renewal_needs_influence_a_bearable_cost_and_every_partys_trust():
    m = model(
        "relations.peacekeeping.renewal.min_influence=0.1",
        "relations.peacekeeping.renewal.max_cost_share=0.5",
        "relations.peacekeeping.renewal.party_min_trust=0.3",
    )
    d, russia = m.relation("peacekeeping"), m.actor("Russia")
    russia.influence = np.where(mask(0), 0.05, 0.2)
    m.actor("Armenia").trust["Russia"] = np.where(mask(1), 0.2, 0.8)
    m.actor("Azerbaijan").trust["Russia"] = np.where(mask(2), 0.2, 0.8)
    d.troops = np.where(mask(3), 1e6, 1960.0)  # costs far more than half the budget
    np.testing.assert_array_equal(d.renews(), ~mask(0, 1, 2, 3))


def test_a_term_gives_notice_six_months_before_its_end():
    m = model()
    term = MandateTerm(m, m.relation("peacekeeping"))
    assert (term.notice, term.end) == (dt.date(2025, 5, 11), dt.date(2025, 11, 10))
    assert MandateTerm(m, m.relation("peacekeeping"), term=2).end == dt.date(2030, 11, 10)


def test_a_mandate_started_earlier_is_in_a_later_term():
    m = model("relations.peacekeeping.start=2014-01-01", "relations.peacekeeping.term_years=2")
    assert MandateTerm.current(m, m.relation("peacekeeping")).term == 4  # 2020-2022


def test_at_its_end_a_mandate_not_renewed_withdraws_its_troops():
    m = model("relations.peacekeeping.renewal.party_min_trust=0.3")
    d = m.relation("peacekeeping")
    m.actor("Armenia").trust["Russia"] = np.where(mask(4, 5), 0.1, 0.9)
    m.actor("Azerbaijan").trust["Russia"] = np.full(R, 0.9)
    m.actor("Russia").influence = np.ones(R)
    term = MandateTerm(m, d)
    term.decide()
    np.testing.assert_array_equal(d.renewing, ~mask(4, 5))
    assert sorted(events_of(m, "mandate_notice_given")["replicate"]) == [4, 5]
    assert len(events_of(m, "mandate_renewal_agreed")["replicate"]) == R - 2
    term.expire()
    np.testing.assert_array_equal(d.troops, np.where(mask(4, 5), 0.0, 1960.0))
    withdrawn = events_of(m, "peacekeepers_withdrawn")
    assert sorted(withdrawn["replicate"]) == [4, 5]
    assert set(withdrawn["detail"]) == {"peacekeeping: mandate ended"}


def test_a_run_past_the_term_ends_the_mandate_where_nobody_renews():
    m = model(
        "horizon_years=5.2",
        "relations.peacekeeping.renewal.party_min_trust=1",
        "conflict.escalation=0",  # no war sends the peacekeepers home before
    )
    m.run()
    series = m.recorder.series["peacekeepers", "Russia", None]
    assert series[m.spec.week_of(dt.date(2025, 11, 10)) - 1].all()
    np.testing.assert_array_equal(series[-1], 0.0)


# ---- scenario events (7.11)


def apply(m: HegemonModel, event: sc.BaseModel) -> None:
    ScenarioEvent(m, event).apply()


DAY = dt.date(2020, 11, 10)


def test_set_event_replaces_the_typed_parameter():
    m = model()
    apply(m, sc.SetParameter(id="s", date=DAY, kind="set", path="actors.Russia.resolve", value=0.9))
    np.testing.assert_array_equal(m.actor("Russia").params.resolve, 0.9)
    for path, owner in [
        ("trust.gain_on_honour", m.params.trust),
        ("influence.memory_weeks", m.params.influence),
        ("conflict.clash_rate", m.dispute.params),
        ("relations.csto.support_musd", m.relation("csto").params),
    ]:
        set_parameter(m, path, np.full(R, 2.0))
        np.testing.assert_array_equal(getattr(owner, path.split(".")[-1]), 2.0)
    logged = events_of(m, "set")
    assert set(logged["detail"]) == {"s: actors.Russia.resolve = 0.9"}


def test_set_event_on_a_mandates_troops_replaces_the_troops_deployed():
    m = model()
    set_parameter(m, "relations.peacekeeping.troops", np.full(R, 3000.0))
    np.testing.assert_array_equal(m.relation("peacekeeping").troops, 3000.0)


def test_set_event_on_a_field_the_model_lacks_is_refused():
    with pytest.raises(KeyPathError):
        set_parameter(model(), "actors.Russia.no_such_field", np.ones(R))


def test_deploy_and_withdraw_events():
    m = model()
    d = m.relation("monitoring_centre")
    apply(m, sc.Deploy(id="d", date=DAY, kind="deploy", relation="monitoring_centre", troops=60))
    np.testing.assert_array_equal(d.troops, 60.0)
    apply(
        m, sc.Withdraw(id="w", date=DAY, kind="withdraw", relation="monitoring_centre", troops=100)
    )
    np.testing.assert_array_equal(d.troops, 0.0)
    apply(m, sc.Withdraw(id="all", date=DAY, kind="withdraw", relation="peacekeeping"))
    np.testing.assert_array_equal(m.relation("peacekeeping").troops, 0.0)
    assert [len(events_of(m, k)["replicate"]) for k in ("deploy", "withdraw")] == [R, 2 * R]


@pytest.mark.parametrize(
    ("kind", "relation", "active"),
    [
        ("form_alliance", "shusha", True),
        ("end_alliance", "csto", False),
        ("stop_support", "turkish_arms", False),
        ("start_support", "turkish_arms", True),
    ],
)
def test_toggle_events_switch_a_relation(kind, relation, active):
    m = model()
    m.relation(relation).switch(not active)
    apply(m, sc.Toggle(id="t", date=DAY, kind=kind, relation=relation))
    np.testing.assert_array_equal(m.relation(relation).active, active)
    assert list(events_of(m, kind)["target"]) == [relation] * R


def test_budget_shock_event_ends_after_its_weeks():
    m = model()
    turkey = m.actor("Turkey")
    before = turkey.regional_budget_musd
    shock = sc.BudgetShock(
        id="b", date=DAY, kind="budget_shock", actor="Turkey", factor=0.5, weeks=3
    )
    apply(m, shock)
    np.testing.assert_allclose(turkey.regional_budget_musd, before * 0.5)
    m.run_for(2)
    assert turkey.shocks  # in force in steps 1, 2 and 3; undone before step 4
    m.run_for(1)
    assert not turkey.shocks
    recovered = events_of(m, "budget_recovered")
    assert list(recovered["step"]) == [4] * R and set(recovered["actor"]) == {"Turkey"}


def test_unmet_claim_follows_the_ground_that_moves():
    """The unmet share of a claim is computed again whenever territory changes hands."""
    m = model()
    d = m.dispute
    armenia, azerbaijan = m.actor("Armenia"), m.actor("Azerbaijan")
    claim = d.params.aspiration["Azerbaijan"]
    seen = []
    for move in (lambda: d.transfer(armenia, np.full(R, 0.1)), lambda: d.transfer(armenia, 0.1)):
        move()
        expected = np.maximum(claim - d.territory["Azerbaijan"], 0.0) / claim
        np.testing.assert_array_equal(d.unmet_share(azerbaijan), expected)
        seen.append(d.unmet_share(azerbaijan).copy())
    d._move(azerbaijan, np.ones(R, dtype=bool), np.full(R, 0.15))
    expected = np.maximum(claim - d.territory["Azerbaijan"], 0.0) / claim
    np.testing.assert_array_equal(d.unmet_share(azerbaijan), expected)
    assert (seen[0] > 0).all() and (seen[1] > seen[0]).all() and (expected < seen[1]).all()


def test_transfer_territory_event():
    m = model()
    apply(
        m,
        sc.TransferTerritory(
            id="x", date=DAY, kind="transfer_territory", to="Azerbaijan", share=0.25
        ),
    )
    np.testing.assert_allclose(m.dispute.territory["Azerbaijan"], 0.65)
    np.testing.assert_allclose(m.dispute.territory["Armenia"], 0.35)
    assert set(events_of(m, "transfer_territory")["actor"]) == {"Azerbaijan"}


def test_an_exponent_of_one_gives_the_base_bit_for_bit():
    """``to_power`` skips the pow where every replicate's exponent is 1: the values are
    those of ``base ** exponent``, bit for bit, over many magnitudes and signed zeros."""
    rng = np.random.default_rng(5)
    base = np.concatenate(
        [rng.random(20_000) * 10.0 ** rng.integers(-8, 9, 20_000), [0.0, -0.0, 1e-310, 3.5]]
    )
    for exponent in (np.ones(base.size), np.where(np.arange(base.size) % 2, 1.0, 2.0)):
        expected = base**exponent
        np.testing.assert_array_equal(
            to_power(base, exponent).view(np.uint64), expected.view(np.uint64)
        )
    assert to_power(2.0, np.ones(3)).shape == (3,)  # a scalar base: an array as before


def test_credibility_follows_the_record_and_its_fading():
    """Credibility is computed again when the honour record changes, and the weekly
    discount again when an event sets ``trust.record_fading``."""
    m = model()
    russia = m.actor("Russia")
    tp = m.params.trust

    def expected() -> np.ndarray:
        prior = tp.credibility * tp.credibility_memory
        return (prior + russia.honours) / (tp.credibility_memory + russia.invocations)

    russia.honour(np.ones(R, dtype=bool), "honour:test")
    np.testing.assert_array_equal(russia.credibility, expected())
    for fading in (0.1, 0.5):
        set_parameter(m, "trust.record_fading", np.full(R, fading))
        before = russia.invocations.copy()
        russia.fade_record()
        np.testing.assert_array_equal(russia.invocations, before * (1.0 - fading) ** (1 / 52))
        np.testing.assert_array_equal(russia.credibility, expected())


def test_a_derived_value_is_computed_again_only_for_new_inputs():
    """``Derived`` keeps its value while it is asked with the same objects, and computes it
    again when any input is another object, even one with equal values."""
    calls = []
    derived = Derived(lambda a, b: calls.append(1) or a + b)
    a, b = np.ones(3), np.zeros(3)
    first = derived(a, b)
    assert derived(a, b) is first and len(calls) == 1
    np.testing.assert_array_equal(derived(a.copy(), b), first)
    assert len(calls) == 2
    derived(a, b * 2.0)
    assert len(calls) == 3

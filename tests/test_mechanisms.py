"""Unit tests of the mechanisms of ODD 7.13-7.17 and their refinements of 7.6, 7.8, 7.11 and 4.11:
wars that end, early ends of mandates, alliance exit, attention, coercion, the salience and
fading of trust, grievance memory, relative set events and regimes over the final weeks.

Each rule is tested on a small model built from the baseline with every mechanism switched
off (``MECHANISMS_OFF``, as in the golden test) and the one under test switched on, so that a
test sees its own mechanism alone. That switching each off gives back today's numbers exactly
is the golden test's job (``test_golden.py``); here ``test_each_mechanism_changes_the_run``
shows that each switch is not vacuous.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from test_golden import MECHANISMS_OFF

import hegemon
from hegemon.analysis.regimes import classify
from hegemon.model.events import ScenarioEvent
from hegemon.model.model import HegemonModel
from hegemon.scenario import schema as sc
from hegemon.scenario.loader import ScenarioError, with_overrides

R = 16
OFF = with_overrides(hegemon.load_scenario("baseline"), MECHANISMS_OFF)


def model(*overrides: str, replicates: int = R, seed: int = 3) -> HegemonModel:
    return HegemonModel(with_overrides(OFF, list(overrides)), replicates=replicates, seed=seed)


def events_of(m: HegemonModel, kind: str) -> dict[str, np.ndarray]:
    rows = m.event_rows()
    keep = rows["event"] == kind
    return {name: column[keep] for name, column in rows.items()}


def everywhere(value: bool = True) -> np.ndarray:
    return np.full(R, value)


# ---- war termination (7.13)


def test_the_end_hazard_rises_with_imbalance_and_length():
    m = model("war.enabled=true", "war.end_rate=0.1", "war.imbalance_weight=2")
    war = m.dispute.war
    assert war is not None
    war.weeks = np.full(R, 52.0)  # a year at war, attrition weight 1 by default
    np.testing.assert_allclose(war.end_hazard(np.full(R, 0.5)), 0.1 * 1.0 * 2.0)
    np.testing.assert_allclose(war.end_hazard(np.full(R, 1.0)), 0.1 * 3.0 * 2.0)
    np.testing.assert_allclose(war.end_hazard(np.full(R, 0.0)), 0.1 * 3.0 * 2.0)


def test_a_war_ends_with_its_terms_and_clashes_fall_to_the_post_war_rate():
    m = model("war.enabled=true", "war.end_rate=10", "war.post_war_hazard=0.25")
    d = m.dispute
    azerbaijan, armenia = d.sides
    d.ceasefire = ~everywhere()
    d.war.begin(everywhere(), everywhere())  # Azerbaijan won the war
    d.territory = {"Azerbaijan": np.full(R, 1.0), "Armenia": np.zeros(R)}
    d.territory["Azerbaijan"][:4] = 0.8  # a settlement where Armenia keeps a part
    d.territory["Armenia"][:4] = 0.2
    strength = {s: d.strength(s) for s in d.sides}
    before = d.hazard(armenia, d.pressure(armenia, strength), np.ones(R))
    m.week = 1
    d.war.weigh_end(d.win_chance(strength[azerbaijan], strength[armenia]))
    ended = events_of(m, "war_ended")
    assert len(ended["replicate"]) == R  # a hazard of 10 a week ends every war
    assert set(ended["actor"]) == {"Azerbaijan"} and set(ended["target"]) == {"Armenia"}
    assert list(ended["detail"][:4]) == ["settlement on the line held"] * 4
    assert set(ended["detail"][4:]) == {"victory"}
    assert not d.war.at_war.any() and not d.at_war.any()
    after = d.hazard(armenia, d.pressure(armenia, strength), np.ones(R))
    np.testing.assert_allclose(after, 0.25 * before)


def test_without_war_termination_a_collapse_is_a_war_for_ever():
    m = model()
    assert m.dispute.war is None
    m.dispute.ceasefire = ~everywhere()
    assert m.dispute.at_war.all()


def test_wars_end_in_a_run_and_the_war_metric_follows():
    m = model("war.enabled=true", "conflict.escalation=1", replicates=64)
    m.run()
    war = m.recorder.series["war", None, None]
    collapsed = m.recorder.series["ceasefire", None, None][-1] == 0
    ended = np.isin(np.arange(64), events_of(m, "war_ended")["replicate"])
    assert collapsed.mean() > 0.5 and ended[collapsed].mean() > 0.9
    assert not ended[~collapsed].any()
    np.testing.assert_array_equal(war[-1] == 1, collapsed & ~ended)


# ---- decisions when circumstances change (7.14)


def test_a_sponsor_without_consent_decides_to_leave_and_leaves_after_the_lag():
    m = model(
        "decisions.enabled=true",
        "decisions.act_chance=1",
        "decisions.lag_weeks=4",
        "relations.peacekeeping.renewal.min_influence=0",
        "relations.peacekeeping.renewal.party_min_trust=0.2",
    )
    mandate = m.relation("peacekeeping")
    armenia = m.actor("Armenia")
    armenia.trust["Russia"] = np.where(np.arange(R) < 8, 0.0, 0.9)
    m.week = 13
    mandate.review()
    decided = events_of(m, "withdrawal_decided")
    np.testing.assert_array_equal(decided["replicate"], np.arange(8))
    assert set(decided["detail"]) == {"peacekeeping: no consent"}
    assert (mandate.staying_troops[:8] == 0).all() and (mandate.troops[:8] > 0).all()
    m.week = 16
    mandate.depart()
    assert (mandate.troops[:8] > 0).all()  # not yet: 13 + 4 = 17
    m.week = 17
    mandate.depart()
    np.testing.assert_array_equal(mandate.troops[:8], 0.0)
    assert mandate.void[:8].all() and not mandate.void[8:].any()
    gone = events_of(m, "peacekeepers_withdrawn")
    assert set(gone["detail"]) == {"peacekeeping: no consent"}


def test_a_mandate_whose_protected_territory_is_gone_has_no_purpose():
    m = model("decisions.enabled=true", "decisions.act_chance=0")
    mandate = m.relation("peacekeeping")
    m.dispute.territory = {"Azerbaijan": np.ones(R), "Armenia": np.zeros(R)}
    np.testing.assert_array_equal(mandate.reasons_to_leave(), 0)
    m.week = 13
    mandate.review()  # decided although act_chance is 0: without purpose there is no choice
    assert set(events_of(m, "withdrawal_decided")["detail"]) == {"peacekeeping: no purpose"}


def test_a_mandate_that_still_buys_influence_with_consent_has_no_reason_to_leave():
    m = model(
        "decisions.enabled=true",
        "relations.peacekeeping.renewal.min_influence=0",
        "relations.peacekeeping.renewal.party_min_trust=0",
    )
    np.testing.assert_array_equal(m.relation("peacekeeping").reasons_to_leave(), -1)


def test_reviews_follow_the_review_weeks_in_a_run():
    m = model(
        "decisions.enabled=true",
        "decisions.act_chance=1",
        "decisions.review_weeks=10",
        "relations.peacekeeping.renewal.party_min_trust=1",  # nobody consents
        "conflict.escalation=0",
    )
    m.run()
    decided = events_of(m, "withdrawal_decided")
    assert (decided["step"] == 10).all() and len(decided["step"]) == R
    assert (m.recorder.series["peacekeepers_staying", "Russia", None][10] == 0).all()


# ---- alliance exit (7.15)


def test_a_client_failed_often_enough_below_the_threshold_leaves():
    m = model(
        "exit.enabled=true",
        "exit.client_exit_chance=1",
        "exit.min_failures=2",
        "exit.client_min_trust=0.5",
    )
    csto = m.relation("csto")
    armenia = m.actor("Armenia")
    armenia.trust["Russia"] = np.where(np.arange(R) < 8, 0.1, 0.9)
    csto.failures = np.where(np.arange(R) % 2 == 0, 2.0, 1.0)
    csto.weigh_exit(everywhere())
    leaving = (np.arange(R) < 8) & (np.arange(R) % 2 == 0)
    np.testing.assert_array_equal(csto.active, ~leaving)
    ended = events_of(m, "alliance_ended")
    np.testing.assert_array_equal(ended["replicate"], leaving.nonzero()[0])
    assert set(ended["actor"]) == {"Armenia"} and set(ended["target"]) == {"Russia"}
    assert set(ended["detail"]) == {"csto: failed calls"}


def test_a_patron_abandons_a_client_it_no_longer_holds():
    m = model("exit.enabled=true", "exit.patron_min_influence=0.5", "exit.patron_exit_chance=1")
    csto = m.relation("csto")
    csto.review()  # Russia's share in Armenia is about 0.3 at the start
    assert not csto.active.any()
    ended = events_of(m, "alliance_ended")
    assert set(ended["actor"]) == {"Russia"} and set(ended["detail"]) == {"csto: client lost"}


def test_failed_calls_are_counted_for_the_patron_and_the_ally():
    m = model(replicates=64)
    m.run()
    failed = events_of(m, "commitment_failed")
    cum = m.recorder.series["commitments_failed_cum", "Russia", "Armenia"][-1]
    counts = np.bincount(failed["replicate"][failed["actor"] == "Russia"], minlength=64)
    np.testing.assert_array_equal(cum, counts)
    assert not m.recorder.series["commitments_failed_cum", "Russia", "Azerbaijan"].any()


# ---- attention and overstretch (7.16)


def test_attention_scales_deterrence_and_credible_support():
    m = model("attention.enabled=true", "attention.elasticity=2")
    russia = m.actor("Russia")
    mandate, csto = m.relation("peacekeeping"), m.relation("csto")
    deterrence, support = mandate.deterrence(), csto.credible_support_musd
    np.testing.assert_allclose(russia.attention, 1.0)
    russia.shock_budget("elsewhere", np.full(R, 0.5))
    np.testing.assert_allclose(russia.attention, 0.25)
    np.testing.assert_allclose(mandate.deterrence(), 0.25 * deterrence)
    np.testing.assert_allclose(csto.credible_support_musd, 0.25 * support)


def test_without_attention_a_budget_shock_leaves_deterrence_alone():
    m = model()
    mandate = m.relation("peacekeeping")
    before = mandate.deterrence()
    m.actor("Russia").shock_budget("elsewhere", np.full(R, 0.5))
    np.testing.assert_array_equal(mandate.deterrence(), before)


# ---- coercion short of war (7.17)


def test_an_unanswered_coercion_builds_up_the_hazard_and_costs_trust():
    m = model(
        "coercion.enabled=true",
        "coercion.rate=100",
        "coercion.mean_weeks=5200",
        "coercion.hazard_gain=1",
        "coercion.trust_loss_per_week=0.1",
        "actors.Russia.resolve=0",
    )
    d = m.dispute
    azerbaijan, armenia = d.sides
    strength = {s: d.strength(s) for s in d.sides}
    pressure = {s: d.pressure(s, strength) for s in d.sides}
    m.week = 1
    d.coercion.week(pressure, np.ones(R))
    started = events_of(m, "coercion_started")
    assert len(started["replicate"]) == R and set(started["actor"]) == {"Azerbaijan"}
    assert set(started["detail"]) == {"unanswered"}
    assert d.coercion.by(azerbaijan).all() and not d.coercion.by(armenia).any()
    trust = armenia.trust["Russia"].copy()
    for week in range(2, 28):
        m.week = week
        d.coercion.week(pressure, np.ones(R))
    assert len(events_of(m, "coercion_ended")["step"]) == 0  # 26 weeks of 5,200 on average
    np.testing.assert_allclose(d.coercion.weeks, 26.0)
    np.testing.assert_allclose(d.coercion.hazard_factor(azerbaijan), 1.5)
    np.testing.assert_allclose(d.coercion.hazard_factor(armenia), 1.0)
    np.testing.assert_allclose(armenia.trust["Russia"], trust * 0.9**26)
    d.coercion.end_with_war(everywhere())
    assert not d.coercion.active.any()
    assert set(events_of(m, "coercion_ended")["detail"]) == {"war"}


def test_a_protector_that_answers_lifts_the_coercion_at_once():
    m = model("coercion.enabled=true", "coercion.rate=100", "actors.Russia.resolve=1")
    d = m.dispute
    strength = {s: d.strength(s) for s in d.sides}
    pressure = {s: d.pressure(s, strength) for s in d.sides}
    m.week = 1
    d.coercion.week(pressure, np.ones(R))
    assert set(events_of(m, "coercion_started")["detail"]) == {"answered"}
    assert set(events_of(m, "coercion_ended")["detail"]) == {"answered"}
    assert not d.coercion.active.any()


def test_coercion_needs_a_holding_ceasefire():
    m = model("coercion.enabled=true", "coercion.rate=100")
    d = m.dispute
    d.ceasefire = ~everywhere()
    strength = {s: d.strength(s) for s in d.sides}
    d.coercion.week({s: d.pressure(s, strength) for s in d.sides}, np.ones(R))
    assert not d.coercion.active.any() and not len(events_of(m, "coercion_started")["step"])


# ---- trust: salience and a fading record (7.5, 7.6)


def test_a_lost_war_costs_war_salience_times_a_lost_clash():
    m = model("trust.war_salience=4", "trust.loss_on_defeat=0.05")
    armenia, russia = m.actor("Armenia"), m.actor("Russia")
    before = armenia.trust["Russia"].copy()
    armenia.trust_on_defeat({russia: everywhere()}, everywhere(), m.params.trust.war_salience)
    np.testing.assert_allclose(armenia.trust["Russia"], before * (1 - 0.2))


def test_the_honour_record_fades_and_credibility_returns_to_the_prior():
    m = model("trust.record_fading=0.5")
    russia = m.actor("Russia")
    russia.honours, russia.invocations = np.zeros(R), np.full(R, 4.0)
    low = russia.credibility.copy()
    for _ in range(52):
        russia.fade_record()
    np.testing.assert_allclose(russia.invocations, 2.0)
    assert (russia.credibility > low).all()
    for _ in range(52 * 30):
        russia.fade_record()
    np.testing.assert_allclose(russia.credibility, m.params.trust.credibility, rtol=1e-6)


# ---- grievance memory and build-up (7.8)


def test_with_memory_a_won_clash_relieves_only_part_of_the_grievance():
    m = model("conflict.grievance_memory=0.75", "conflict.clash_gain=0.1")
    d = m.dispute
    azerbaijan, armenia = d.sides
    d.transfer(azerbaijan, np.full(R, 0.35))  # the handovers: Azerbaijan 0.75, relieved in full
    np.testing.assert_allclose(d.grievance(azerbaijan), 0.25)
    d._move(azerbaijan, everywhere(), np.full(R, 0.1))
    np.testing.assert_allclose(d.unmet_share(azerbaijan), 0.15)
    np.testing.assert_allclose(d.grievance(azerbaijan), 0.25 - 0.25 * 0.1)
    np.testing.assert_allclose(d.grievance(armenia), d.unmet_share(armenia))
    d._move(azerbaijan, everywhere(), np.full(R, 1.0))  # the whole claim: nothing left
    np.testing.assert_array_equal(d.grievance(azerbaijan), 0.0)


def test_grievance_builds_up_toward_the_whole_claim():
    m = model("conflict.grievance_buildup=0.52")
    d = m.dispute
    azerbaijan = d.sides[0]
    d.transfer(azerbaijan, np.full(R, 0.35))
    for _ in range(52):
        d.hold_grievance()
    np.testing.assert_allclose(d.grievance(azerbaijan), 1 - 0.75 * 0.99**52)


def test_without_memory_grievance_is_the_unmet_share():
    m = model()
    d = m.dispute
    assert not d.grievance_memory
    d._move(d.sides[0], everywhere(), np.full(R, 0.1))
    np.testing.assert_array_equal(d.grievance(d.sides[0]), d.unmet_share(d.sides[0]))


# ---- set events relative to the current value (7.11)

DAY = dt.date(2021, 1, 1)


def test_a_factor_scales_each_replicates_own_value():
    m = model()
    russia = m.actor("Russia")
    drawn = russia.params.resolve.copy()
    event = sc.SetParameter(id="e", date=DAY, kind="set", path="actors.Russia.resolve", factor=0.5)
    ScenarioEvent(m, event).apply()
    np.testing.assert_allclose(russia.params.resolve, 0.5 * drawn)
    assert (russia.params.resolve <= drawn).all()  # a lower resolve everywhere
    assert events_of(m, "set")["detail"][0] == "e: actors.Russia.resolve x 0.5"


def test_a_shift_adds_and_the_result_is_clipped_to_the_bounds():
    m = model()
    russia = m.actor("Russia")
    event = sc.SetParameter(id="e", date=DAY, kind="set", path="actors.Russia.resolve", shift=0.5)
    ScenarioEvent(m, event).apply()
    assert (russia.params.resolve <= 1.0).all() and (russia.params.resolve == 1.0).any()


def test_a_factor_on_troops_scales_the_troops_deployed():
    m = model()
    mandate = m.relation("peacekeeping")
    mandate.withdraw(np.arange(R, dtype=float))
    before = mandate.troops.copy()
    event = sc.SetParameter(
        id="e", date=DAY, kind="set", path="relations.peacekeeping.troops", factor=0.8
    )
    ScenarioEvent(m, event).apply()
    np.testing.assert_allclose(mandate.troops, 0.8 * before)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("factor: 3", "expected the factor to keep actors.Russia.resolve in [0, 1]"),
        ("shift: -0.5", "expected the shift to keep actors.Russia.resolve in [0, 1]"),
        ("value: 0.5, factor: 0.5", "expected exactly one of value, factor, shift"),
    ],
)
def test_relative_set_events_are_checked_against_the_bounds(change, message):
    event = (
        f"events=[{{id: e, date: 2021-01-01, kind: set, path: actors.Russia.resolve, {change}}}]"
    )
    with pytest.raises(ScenarioError, match=re.escape(message)):
        with_overrides(OFF, [event])


def test_the_history_scenario_lowers_resolve_in_every_replicate():
    history = hegemon.load_scenario("history")
    m = HegemonModel(with_overrides(history, MECHANISMS_OFF), replicates=R, seed=3)
    drawn = m.actor("Russia").params.resolve.copy()
    m.run()
    assert (m.actor("Russia").params.resolve < drawn).all()


# ---- regimes over the final weeks (4.11)


def _outcomes(**columns: float) -> pd.DataFrame:
    base = {
        "ceasefire_held": True,
        "peacekeepers_start__Russia": 2020.0,
        "peacekeepers_end__Russia": 0.0,  # the mandate expired at the final step
        "peacekeepers_final__Russia": 2020.0,
        "influence_start__Russia": 0.2,
        "influence_change__Russia": -0.05,
        "influence_final__Russia": 0.15,
        "influence_start__Turkey": 0.07,
        "influence_change__Turkey": 0.01,
        "influence_final__Turkey": 0.08,
        "peacekeeping_cost_cum_musd__Russia": 180.0,
        "trust_start__Armenia__Russia": 0.7,
        "trust_change__Armenia__Russia": -0.2,
        "trust_final__Armenia__Russia": 0.5,
    }
    return pd.DataFrame([{**base, **columns}])


def test_an_expiry_at_the_final_step_is_not_a_retreat_over_the_final_weeks():
    windowed = with_overrides(OFF, ["focus.window_weeks=26"])
    assert classify(_outcomes(), OFF).iloc[0] == "retreat"  # the last step only
    assert classify(_outcomes(), windowed).iloc[0] == "managed_decline"
    decided = _outcomes(peacekeepers_final__Russia=0.0)  # notice given before the window
    assert classify(decided, windowed).iloc[0] == "retreat"


def test_the_final_weeks_judge_influence_by_their_mean():
    windowed = with_overrides(OFF, ["focus.window_weeks=26"])
    last_week_rise = _outcomes(  # a rise in the last week only, the peacekeepers staying
        influence_change__Russia=0.01, peacekeepers_end__Russia=2020.0
    )
    assert classify(last_week_rise, OFF).iloc[0] == "consolidation"
    assert classify(last_week_rise, windowed).iloc[0] == "managed_decline"


def test_final_outcomes_are_means_over_the_window():
    m = HegemonModel(with_overrides(OFF, ["focus.window_weeks=4"]), replicates=R, seed=3)
    m.run()
    from hegemon.model.outcomes import scalar_outcomes

    out = scalar_outcomes(m)
    series = m.recorder.series["influence", "Russia", None]
    np.testing.assert_allclose(out["influence_final__Russia"], series[-5:].mean(axis=0))


# ---- every switch does something, and the baseline shows the new events


@pytest.mark.parametrize(
    "switch",
    [
        "war.enabled=true",
        "decisions.enabled=true",
        "exit.enabled=true",
        "attention.enabled=true",
        "coercion.enabled=true",
        "conflict.grievance_memory=0.5",
        "trust.war_salience=4",
        "trust.record_fading=0.2",
    ],
)
def test_each_mechanism_changes_the_run(switch):
    scenario = OFF
    if switch.startswith("attention"):  # attention acts only through a shock
        scenario = with_overrides(hegemon.load_scenario("russia_overstretched"), MECHANISMS_OFF)
    off = hegemon.run(scenario, replicates=100, seed=5, store="summary").outcomes
    on = hegemon.run(
        with_overrides(scenario, [switch]), replicates=100, seed=5, store="summary"
    ).outcomes
    columns = ["clashes", "trust_end__Armenia__Russia", "peacekeepers_end__Russia"]
    assert not off[columns].equals(on[columns])


def test_the_baseline_logs_every_new_kind_of_event():
    events = hegemon.run("baseline", replicates=400, seed=7, store="summary").events
    kinds = set(events["event"].astype(str))
    assert {
        "war_ended",
        "withdrawal_decided",
        "alliance_ended",
        "coercion_started",
        "coercion_ended",
    } <= kinds

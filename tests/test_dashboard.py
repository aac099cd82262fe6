"""The dashboard's model side, without a browser: sliders, lockstep, comparison, chart data.

The tests of the page module itself (``hegemon.dashboard.app``) need solara (the
``dashboard`` extra) and are skipped without it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from hegemon.analysis.regimes import REGIMES, classify, regime_shares
from hegemon.dashboard import INSTALL_HINT, SCENARIO_ENV, serve, server_command
from hegemon.dashboard.model import (
    KNOBS,
    NONE,
    Charts,
    DashboardModel,
    central_value,
    default_parameters,
    panels,
    scenario_choices,
    slider_overrides,
)
from hegemon.ensemble.live import LiveEnsemble
from hegemon.errors import HegemonError
from hegemon.model.model import HegemonModel
from hegemon.model.outcomes import scalar_outcomes
from hegemon.plots import style as st
from hegemon.scenario import bundled_names, load_scenario

R = 16  # small ensembles keep these tests quick
PNG = b"\x89PNG\r\n\x1a\n"


def stepped(model: DashboardModel, weeks: int) -> DashboardModel:
    for _ in range(weeks):
        model.step()
    return model


QS = ["q05", "q25", "q50", "q75", "q95"]


def fan(live: LiveEnsemble, metric: str, actor: str, target=None, week=None) -> pd.DataFrame:
    """The rows of one series in the live summary table, by step."""
    s = live.summary(week)
    rows = s[(s["metric"] == metric) & (s["actor"] == actor)]
    rows = rows[rows["target"].isna()] if target is None else rows[rows["target"] == target]
    return rows.sort_values("step")


def survival(live: LiveEnsemble) -> np.ndarray | None:
    """The share of runs whose ceasefire holds, by week (it never comes back once broken)."""
    s = live.summary()
    rows = s[s["metric"] == "ceasefire"].sort_values("step")
    return None if rows.empty else rows["mean"].to_numpy()


# ---- sliders -> overrides


def test_resolve_slider_sets_russia_resolve_in_every_replicate():
    m = DashboardModel("baseline", replicates=R, resolve=0.9)
    russia = m.primary.actor("Russia")
    assert np.all(russia.resolve == 0.9)
    assert np.all(russia.params.resolve == 0.9)
    assert m.primary.spec.actors[0].resolve == 0.9
    assert m.overrides == ["actors.Russia.resolve=0.9"]
    assert "actors.Russia.resolve" not in m.primary.draws.drawn  # no longer drawn


def test_every_slider_reaches_the_model():
    m = DashboardModel(
        "baseline",
        replicates=R,
        resolve=0.3,
        regional_effort=0.02,
        troops=3000,
        rival_arms=550,
    )
    p = m.primary
    assert np.all(p.actor("Russia").resolve == 0.3)
    assert np.all(p.actor("Russia").regional_effort == 0.02)
    mandate = next(d for d in p.mandates if d.id == "peacekeeping")
    assert np.all(mandate.troops == 3000)
    arms = next(a for a in p.arms if a.id == "turkish_arms")
    assert np.all(arms.params.musd_per_year == 550)
    assert sorted(m.overrides) == sorted(
        [
            "actors.Russia.resolve=0.3",
            "actors.Russia.regional_effort=0.02",
            "relations.peacekeeping.troops=3000",
            "relations.turkish_arms.musd_per_year=550",
        ]
    )
    assert p.recorder.series["peacekeepers", "Russia", None][0].tolist() == [3000.0] * R


def test_sliders_off_or_none_keep_the_scenarios_ranges():
    off = DashboardModel("baseline", replicates=R, fix_parameters=False, resolve=0.9)
    assert off.overrides == []
    resolve = off.primary.actor("Russia").resolve
    assert resolve.min() >= 0.2 and resolve.max() <= 0.6 and np.ptp(resolve) > 0
    untouched = DashboardModel("baseline", replicates=R)
    assert untouched.overrides == []
    np.testing.assert_array_equal(untouched.primary.actor("Russia").resolve, resolve)


def test_sliders_for_parameters_a_scenario_lacks_are_skipped():
    m = DashboardModel("central_asia_china", replicates=R, troops=1000, rival_arms=100)
    assert m.overrides == []
    assert m.skipped == ["Peacekeepers (troops)", "China's arms (US$ m/year)"]
    assert any("not in this scenario" in line for line in m.describe())


def test_slider_overrides_and_central_values():
    spec = load_scenario("baseline")
    overrides, skipped = slider_overrides(spec, {"resolve": 0.25, "troops": 1234.4})
    assert overrides == ["actors.Russia.resolve=0.25", "relations.peacekeeping.troops=1234"]
    assert skipped == []
    assert central_value(spec, "actors.Russia.resolve") == pytest.approx(0.4)
    assert central_value(spec, "relations.peacekeeping.troops") == 1960
    assert (
        central_value(load_scenario("central_asia_china"), "relations.peacekeeping.troops") is None
    )


def test_slider_defaults_are_the_scenarios_own_values_on_the_grid():
    assert default_parameters("baseline") == {
        "resolve": 0.4,
        "regional_effort": 0.009,
        "troops": 1960,
        "rival_arms": 200,
    }
    assert default_parameters("russia_assertive")["resolve"] in (0.9, 0.95)  # 0.85-1.0, on 0.05s
    assert default_parameters("no_peacekeepers")["troops"] == 0
    for name in bundled_names():
        for knob in KNOBS:
            value = default_parameters(name)[knob.name]
            assert knob.min <= value <= knob.max


# ---- stepping and comparison


def test_compare_with_none_runs_one_model():
    m = DashboardModel("baseline", compare_with=NONE, replicates=R)
    assert m.comparison is None
    assert m.models == [m.primary]
    assert m.labels == ["baseline"]


def test_step_advances_both_models_in_lockstep():
    m = DashboardModel("baseline", compare_with="no_peacekeepers", replicates=R)
    assert m.week == 0 and m.comparison is not None
    stepped(m, 3)
    assert m.primary.week == m.comparison.week == m.week == 3
    assert m.labels == ["baseline", "no_peacekeepers"]
    assert m.comparison.spec.name == "no_peacekeepers"
    peacekeepers = m.comparison.recorder.series["peacekeepers", "Russia", None]
    assert np.all(peacekeepers[:4] == 0)
    assert np.all(np.isnan(peacekeepers[4:]))  # nothing recorded past the current week


def test_runs_to_the_horizon_then_stops():
    m = DashboardModel("baseline", compare_with="turkey_restrained", replicates=4)
    assert m.running
    stepped(m, m.horizon)
    assert not m.running and m.week == m.horizon
    m.step()  # a step past the horizon is harmless
    assert m.week == m.horizon


def test_comparison_uses_common_random_numbers():
    """Same scenario on both sides and no slider: identical trajectories, replicate by
    replicate; and each side is exactly what a HegemonModel with that seed gives."""
    m = stepped(DashboardModel("baseline", compare_with="baseline", replicates=R, seed=7), 20)
    assert m.labels == ["baseline", "baseline (again)"]
    assert m.comparison is not None
    for key in [("influence", "Russia", None), ("ceasefire", None, None)]:
        np.testing.assert_array_equal(
            m.primary.recorder.series[key], m.comparison.recorder.series[key]
        )
    alone = HegemonModel(load_scenario("baseline"), replicates=R, seed=7)
    alone.run_for(20)
    np.testing.assert_array_equal(
        m.primary.recorder.series["trust", "Armenia", "Russia"][:21],
        alone.recorder.series["trust", "Armenia", "Russia"][:21],
    )


def test_sliders_apply_to_the_chosen_scenario_only():
    m = DashboardModel("baseline", compare_with="baseline", replicates=R, resolve=1.0)
    assert m.comparison is not None
    assert np.all(m.primary.actor("Russia").resolve == 1.0)
    assert np.ptp(m.comparison.actor("Russia").resolve) > 0
    assert m.labels == ["baseline (sliders)", "baseline (as in the file)"]


# ---- what the charts show


def test_fan_quantiles_up_to_the_current_week():
    m = stepped(DashboardModel("baseline", replicates=R), 10)
    f = fan(m.ensembles[0], "influence", "Russia")
    q = f[QS].to_numpy().T
    assert q.shape == (5, 11) and f["step"].tolist() == list(range(11)) and len(f["date"]) == 11
    assert np.all(np.diff(q, axis=0) >= 0)  # 5% <= 25% <= 50% <= 75% <= 95%
    values = m.primary.recorder.series["influence", "Russia", None][:11]
    np.testing.assert_allclose(f["q50"], np.median(values, axis=1))
    dates = f["date"].to_numpy()
    assert dates[0] == np.datetime64("2020-11-10") and dates[-1] == np.datetime64("2021-01-19")
    assert fan(m.ensembles[0], "influence", "Russia", week=4)[QS].to_numpy().T.shape == (5, 5)


def test_survival_so_far():
    m = stepped(DashboardModel("baseline", replicates=64), 80)
    curve = survival(m.ensembles[0])
    assert curve is not None and len(curve) == 81
    assert curve[0] == 1.0 and np.all(np.diff(curve) <= 0)
    held = m.primary.recorder.series["ceasefire", None, None][:81]
    assert curve[-1] == pytest.approx(np.mean(held.min(axis=0) >= 0.5))
    assert survival(DashboardModel("central_asia_china", replicates=4).ensembles[0]) is None


def test_regime_shares_now_and_at_the_horizon():
    m = stepped(DashboardModel("baseline", replicates=R), 30)
    now = regime_shares(m.tables()[1]).loc["baseline"]
    assert list(now.index) == list(REGIMES)
    assert now.sum() == pytest.approx(1.0)
    outcomes = m.ensembles[0].outcomes()
    assert len(outcomes) == R
    change = outcomes["influence_change__Russia"].to_numpy()
    series = m.primary.recorder.series["influence", "Russia", None]
    np.testing.assert_allclose(change, series[30] - series[0])
    stepped(m, m.horizon - m.week)
    at_end = regime_shares(m.tables()[1]).loc["baseline"]
    expected = classify(pd.DataFrame(scalar_outcomes(m.primary)), m.primary.spec)
    expected_shares = expected.value_counts(normalize=True).reindex(list(REGIMES), fill_value=0)
    np.testing.assert_allclose(at_end.to_numpy(), expected_shares.to_numpy())


def test_panels_follow_the_scenarios_focus():
    titles = [p.title for p in panels(load_scenario("baseline"))]
    assert titles == [
        "Regional influence",
        "Armenia's trust in Russia",
        "Russia's cumulative peacekeeping cost",
    ]
    china = panels(load_scenario("central_asia_china"))
    assert [s.actor for s in china[0].series] == ["Russia", "China"]
    assert china[2].series[0].metric == "regional_cost_cum_musd"  # no mandate there


def test_chart_data_change_when_a_parameter_changes():
    weeks = 52
    low = stepped(DashboardModel("baseline", replicates=32, resolve=0.0), weeks)
    high = stepped(DashboardModel("baseline", replicates=32, resolve=1.0), weeks)
    trust_low = fan(low.ensembles[0], "trust", "Armenia", "Russia")["q50"].to_numpy()
    trust_high = fan(high.ensembles[0], "trust", "Armenia", "Russia")["q50"].to_numpy()
    assert trust_high[-1] > trust_low[-1]  # a Russia that honours its word keeps more trust
    charts_low, charts_high = Charts(low), Charts(high)
    assert charts_low.png("fan1") != charts_high.png("fan1")


def test_charts_render_and_follow_the_week():
    m = DashboardModel("baseline", compare_with="no_peacekeepers", replicates=R)
    charts = Charts(m)
    assert charts.names() == ["fan0", "fan1", "fan2", "survival", "regimes"]
    before = {name: charts.png(name) for name in charts.names()}
    assert all(png.startswith(PNG) for png in before.values())
    assert charts.png("fan0") is before["fan0"]  # cached while the week does not change
    stepped(m, 5)
    after = {name: charts.png(name) for name in charts.names()}
    assert all(after[name] != before[name] for name in charts.names())
    assert charts.figure("fan0").axes[0].get_title(loc="left") == "Regional influence"


def test_charts_are_drawn_by_the_plots_functions(monkeypatch):
    """One figure stack: every artist on the page's charts is drawn by hegemon.plots, and the
    dashboard's own modules do not touch matplotlib."""
    import inspect
    from pathlib import Path

    from matplotlib.axes import Axes

    import hegemon.dashboard

    callers: set[str] = set()

    def spy(name):
        real = getattr(Axes, name)

        def wrapper(self, *args, **kwargs):
            frame = inspect.currentframe().f_back
            while frame.f_globals.get("__name__", "").startswith("matplotlib") or (
                frame.f_code is wrapper.__code__  # a spied method calling another
            ):
                frame = frame.f_back
            callers.add(frame.f_globals.get("__name__", "?"))
            return real(self, *args, **kwargs)

        monkeypatch.setattr(Axes, name, wrapper)

    for name in ("plot", "step", "fill_between", "barh", "bar", "scatter", "text", "annotate"):
        spy(name)
    for name in ("set_title", "set_ylabel", "set_xlim", "set_ylim", "legend"):
        spy(name)
    m = stepped(DashboardModel("baseline", compare_with="no_peacekeepers", replicates=R), 3)
    charts = Charts(m)
    for chart in charts.names():
        assert charts.png(chart).startswith(PNG)
    assert callers and all(c.startswith("hegemon.plots.") for c in callers), callers
    for source in Path(hegemon.dashboard.__file__).parent.glob("*.py"):
        assert not re.search(r"^\s*(import|from) matplotlib", source.read_text(), re.M), source


def test_the_scenarios_focus_decides_whose_lines_are_drawn(tmp_path):
    """The same scenario seen from Turkey's side: the charts and the sliders follow the focus."""
    path = tmp_path / "turkish_view.yaml"
    path.write_text(
        "extends: baseline\nname: turkish_view\n"
        "focus: {power: Turkey, rival: Russia, ally: Azerbaijan}\n"
    )

    def lines(model: DashboardModel, chart: str) -> dict[str, str]:
        fig = Charts(model).figure(chart)
        return {ln.get_label(): ln.get_color() for ln in fig.axes[0].get_lines()}

    russian = stepped(DashboardModel("baseline", replicates=R), 2)
    turkish = stepped(DashboardModel(str(path), replicates=R, resolve=0.9), 2)
    assert [p.title for p in Charts(turkish).panels] == [
        "Regional influence",
        "Azerbaijan's trust in Turkey",
        "Turkey's cumulative peacekeeping cost",
    ]
    assert list(lines(russian, "fan0")) == ["Russia", "Turkey"]
    assert list(lines(turkish, "fan0")) == ["Turkey", "Russia"]
    for chart in ("fan1", "fan2"):
        assert lines(russian, chart) == {"Russia": st.actor_colour("Russia")}
        assert lines(turkish, chart) == {"Turkey": st.actor_colour("Turkey")}
    assert turkish.overrides == ["actors.Turkey.resolve=0.9"]
    assert np.all(turkish.primary.actor("Turkey").resolve == 0.9)
    spec = turkish.primary.spec
    assert KNOBS[0].describe(spec) == "Turkey's resolve"
    assert KNOBS[3].path(spec) is None  # Russia supplies no arms in the baseline


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_scenario_can_be_shown_and_compared(name):
    other = "central_asia_china" if name == "baseline" else "baseline"
    m = stepped(DashboardModel(name, compare_with=other, replicates=4), 2)
    charts = Charts(m)
    for chart in charts.names():
        assert charts.png(chart).startswith(PNG)
    assert m.describe()[0].startswith("Week 2 of")


def test_scenario_choices():
    assert scenario_choices() == bundled_names()
    assert scenario_choices("my/own.yaml")[0] == "my/own.yaml"


# ---- serving


def test_serve_without_solara_says_how_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name.startswith("solara") else real(name, *a),
    )
    with pytest.raises(HegemonError, match=r"pip install 'hegemon\[dashboard\]'") as err:
        serve("baseline")
    assert str(err.value) == INSTALL_HINT


def test_server_command_binds_to_localhost_by_default():
    command = server_command()
    assert command[1:5] == ["-m", "solara", "run", "hegemon.dashboard.app"]
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "8765"
    assert {"--production", "--no-open", "--no-check-version"} <= set(command)
    assert SCENARIO_ENV == "HEGEMON_DASHBOARD_SCENARIO"


# ---- the page module (needs the dashboard extra)


def test_page_builds_no_model_at_import_and_reset_rebuilds_the_same(monkeypatch):
    pytest.importorskip("solara")
    pytest.importorskip("mesa.visualization")
    from mesa.visualization.solara_viz import _build_model_init_kwargs, _check_model_params

    from hegemon.dashboard import app

    assert not any(isinstance(v, DashboardModel) for v in vars(app).values())
    assert app.page is app.Page
    monkeypatch.setenv(SCENARIO_ENV, "russia_assertive")
    assert app.initial_scenario() == "russia_assertive"
    params = app.model_params(app.initial_scenario())
    kwargs = app.initial_kwargs(app.initial_scenario())
    assert kwargs["scenario_name"] == "russia_assertive"
    assert kwargs["fix_parameters"] is False  # the sliders wait until ticked
    assert kwargs["resolve"] == default_parameters("russia_assertive")["resolve"]
    model = DashboardModel(**{**kwargs, "replicates": 4})
    _check_model_params(model, params)  # what SolaraViz checks: every input is a keyword
    # What Reset does: the keywords must not gain a Mesa Scenario, nor lose ours.
    reset = _build_model_init_kwargs(
        model,
        {**kwargs, "replicates": 4, "compare_with": "baseline"},
        add_scenario_when_empty=True,
        require_model_accepts_scenario=True,
    )
    again = type(model)(**reset)
    assert again.scenario_name == "russia_assertive"
    assert again.comparison is not None and again.comparison.spec.name == "baseline"


def _texts(widget) -> list[str]:
    """Every string a widget tree shows: children, labels, HTML (slots included)."""
    import ipywidgets

    out: list[str] = []
    stack = [widget]
    while stack:
        w = stack.pop()
        for name in ("children", "label", "unsafe_innerHTML", "value", "v_slots"):
            items = getattr(w, name, None)
            for item in items if isinstance(items, list | tuple) else [items]:
                if isinstance(item, dict):  # a slot
                    item = item.get("children")
                for x in item if isinstance(item, list) else [item]:
                    if isinstance(x, str):
                        out.append(x)
                    elif isinstance(x, ipywidgets.Widget):
                        stack.append(x)
    return out


def test_slider_labels_show_values_to_the_sliders_precision():
    pytest.importorskip("solara")
    from hegemon.dashboard.app import value_label

    assert value_label("Russia's resolve", 0.4, 0.05) == "Russia's resolve: 0.40"
    assert value_label("Regional effort", 0.009, 0.001) == "Regional effort: 0.009"
    assert value_label("Peacekeepers (troops)", 1960, 20) == "Peacekeepers (troops): 1,960"
    assert value_label("Replicates", 200, 20) == "Replicates: 200"


def test_the_page_shows_our_controls_not_solaravizs_and_disables_the_sliders_while_off():
    """The whole page, rendered without a browser: Reset, play and Step, the inputs with their
    values; none of SolaraViz's own chrome; the four sliders disabled until "Use the sliders"
    is ticked; Reset builds the model with what the inputs say."""
    pytest.importorskip("solara")
    import ipyvuetify as v
    import solara

    from hegemon.dashboard import app

    @solara.component
    def Served():  # what `solara run` wraps a page in
        solara.AppLayout(children=[app.Page()])

    box, rc = solara.render(Served(), handle_error=False)
    try:
        text = "\n".join(_texts(box))
        for chrome in ("Page 0", "Play Interval", "Render Interval", "Use Threads", "Time:"):
            assert chrome.lower() not in text.lower(), chrome
        assert not rc.find(v.Tab).widgets
        assert [b.children[0] for b in rc.find(v.Btn).widgets] == ["Reset", "▶", "Step"]
        assert "Week 0 of 261 (2020-11-10)" in text

        def sliders() -> dict[str, v.Slider]:
            return {s.label.split(":")[0]: s for s in rc.find(v.Slider).widgets}

        labels = [s.label for s in sliders().values()]
        assert labels == [
            "Replicates: 200",
            "Russia's resolve: 0.40",
            "Russia's regional effort: 0.009",
            "Peacekeepers (troops): 1,960",
            "Turkey's arms (US$ m/year): 200",
        ]
        assert {name: s.disabled for name, s in sliders().items()} == {
            "Replicates": False,
            "Russia's resolve": True,
            "Russia's regional effort": True,
            "Peacekeepers (troops)": True,
            "Turkey's arms (US$ m/year)": True,
        }
        rc.find(v.Checkbox).widget.v_model = True  # tick "Use the sliders below"
        assert not any(s.disabled for s in sliders().values())
        sliders()["Russia's resolve"].v_model = 0.9
        sliders()["Replicates"].v_model = 20
        assert sliders()["Russia's resolve"].label == "Russia's resolve: 0.90"
        rc.find(v.Btn, children=["Reset"]).widget.click()
        text = "\n".join(_texts(box))
        assert "20 replicates" in text and "sliders: actors.Russia.resolve=0.9" in text
        rc.find(v.Btn, children=["Step"]).widget.click()
        assert "Week 1 of 261" in "\n".join(_texts(box))
        rc.find(v.Checkbox).widget.v_model = False
        assert [s.disabled for s in sliders().values()] == [False, True, True, True, True]
    finally:
        rc.close()


def test_the_server_hides_solaras_floating_banner():
    from hegemon.dashboard import server_environment

    assert server_environment()["SOLARA_THEME_SHOW_BANNER"] == "false"

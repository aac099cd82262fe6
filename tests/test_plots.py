"""Tests for hegemon.plots: figure structure, colours, skipping absent metrics, files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from hegemon.plots import figures as fg
from hegemon.plots import style as st

POWERS = ("Russia", "Turkey")
STATES = ("Azerbaijan", "Armenia")
FOCAL = "Russia"  # the focus.power of the scenario the synthetic summaries stand for
Z = {"q05": -1.645, "q25": -0.674, "q50": 0.0, "q75": 0.674, "q95": 1.645}


def make_summary(
    steps: int = 20,
    scenarios: tuple[str, ...] = ("baseline",),
    powers: tuple[str, ...] = POWERS,
    states: tuple[str, ...] = STATES,
    drop: tuple[str, ...] = (),
    python_dates: bool = False,
) -> pd.DataFrame:
    """A synthetic summary in the results schema; quantiles ordered q05<=...<=q95."""
    t = np.arange(steps, dtype=float)
    frac = t / max(steps - 1, 1)
    dates = pd.date_range("2020-11-10", periods=steps, freq="7D")
    rows: list[dict] = []

    def add(scen, metric, actor, target, centre, spread, lo=None, hi=None):
        centre = np.asarray(centre, dtype=float)
        spread = np.asarray(spread, dtype=float) * np.ones_like(centre)
        for i in range(steps):
            qs = {k: centre[i] + z * spread[i] for k, z in Z.items()}
            if lo is not None or hi is not None:
                qs = {k: float(np.clip(v, lo, hi)) for k, v in qs.items()}
            date = dates[i].date() if python_dates else dates[i]
            rows.append(
                {
                    "scenario": scen,
                    "step": i,
                    "date": date,
                    "metric": metric,
                    "actor": actor,
                    "target": target,
                    "mean": qs["q50"],
                    **qs,
                }
            )

    for s_i, scen in enumerate(scenarios):
        shift = 0.05 * s_i
        for p_i, power in enumerate(powers):
            base = 0.6 - 0.2 * p_i
            trend = (-0.2 + shift) if p_i == 0 else (0.15 - shift)
            add(scen, "influence", power, None, base + trend * frac, 0.02 + 0.08 * frac, 0, 1)
            for s_j, state in enumerate(states):
                c = base + trend * frac + 0.05 * (s_j - 0.5)
                add(scen, "influence_over", power, state, c, 0.02 + 0.1 * frac, 0, 1)
                add(scen, "trust", state, power, c - 0.1, 0.03 + 0.1 * frac, 0, 1)
            troops = 2000.0 if p_i == 0 else 60.0
            add(scen, "peacekeepers", power, None, troops * (1 - 0.3 * frac), 50 * frac, 0)
            weekly = 7.0 if p_i == 0 else 0.3
            add(scen, "peacekeeping_cost_cum_musd", power, None, weekly * t, 0.5 * t, 0)
            add(scen, "regional_cost_cum_musd", power, None, 3 * weekly * t, 1.5 * t, 0)
        for s_j, state in enumerate(states):
            add(scen, "territory", state, None, 0.5 + (0.1 - 0.2 * s_j) * frac, 0.05 * frac, 0, 1)
        hazard = 0.01 + 0.005 * s_i
        survival = np.exp(-hazard * t)
        survival = np.round(survival * 50) / 50  # steps like an ensemble of 50 runs
        add(scen, "ceasefire", None, None, survival, 0.0, 0, 1)

    frame = pd.DataFrame(rows)
    frame = frame[~frame["metric"].isin(drop)].reset_index(drop=True)
    assert (frame["q05"] <= frame["q25"]).all() and (frame["q75"] <= frame["q95"]).all()
    return frame


def make_outcomes(scenarios: tuple[str, ...] = ("baseline",), n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    regimes = ["managed_decline", "consolidation", "retreat", "collapse", "mixed"]
    rows = []
    for s_i, scen in enumerate(scenarios):
        p = np.array([0.45 - 0.1 * s_i, 0.2, 0.15 + 0.1 * s_i, 0.08, 0.12])
        draws = rng.choice(regimes, size=n, p=p / p.sum())
        for r, regime in enumerate(draws):
            rows.append(
                {
                    "scenario": scen,
                    "replicate": r,
                    "regime": regime,
                    "ceasefire_weeks": np.nan if r % 3 else float(r),
                    "influence_change__Russia": -0.1,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return make_summary()


@pytest.fixture(scope="module")
def outcomes() -> pd.DataFrame:
    return make_outcomes()


def _texts_ok(fig: Figure) -> None:
    assert fig._suptitle is not None and fig._suptitle.get_text().strip()
    assert "baseline" in fig._suptitle.get_text() or "vs" in fig._suptitle.get_text()
    if len(fig.axes) > 1:
        for ax in fig.axes:
            assert ax.get_title(loc="left").strip(), "every panel has a title"
    assert any((ax.get_ylabel() + ax.get_xlabel()).strip() for ax in fig.axes)


def _median_lines(fig: Figure, label: str) -> list:
    return [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_label() == label]


# --- style -----------------------------------------------------------------------------------


def test_actor_colour_fixed_distinct_and_stable() -> None:
    assert st.actor_colour("Russia") == st.ACTOR_COLOURS["Russia"]
    assert st.actor_colour("Russia") != st.actor_colour("Turkey")
    assert st.actor_colour("russia") == st.actor_colour("Russia")
    assert st.actor_colour("Türkiye") == st.actor_colour("Turkey")
    for name in ("China", "Iran", "EU", "USA", "Azerbaijan", "Armenia", "Georgia", "Kazakhstan"):
        assert st.actor_colour(name) == st.ACTOR_COLOURS[name]
    assert len(set(st.ACTOR_COLOURS.values())) == len(st.ACTOR_COLOURS)
    unknown = st.actor_colour("Atlantis")
    assert unknown == st.actor_colour("Atlantis")
    assert unknown.startswith("#") and len(unknown) == 7
    assert st.actor_colour("Atlantis") != st.actor_colour("Lemuria")


def test_actor_colour_same_in_another_process() -> None:
    code = "from hegemon.plots.style import actor_colour; print(actor_colour('Atlantis'))"
    env_src = str(Path(st.__file__).resolve().parents[2])
    out = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {env_src!r}); {code}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == st.actor_colour("Atlantis")


def test_regime_and_scenario_colours() -> None:
    assert st.regime_colour("managed_decline") == st.REGIME_COLOURS["managed_decline"]
    assert st.regime_colour("something_new") == st.regime_colour("something_new")
    assert st.scenario_colour(0) != st.scenario_colour(1)
    assert st.scenario_colour(len(st.SCENARIO_COLOURS)) == st.scenario_colour(0)
    assert st.order_regimes(["mixed", "zzz", "managed_decline"]) == [
        "managed_decline",
        "mixed",
        "zzz",
    ]


def test_style_context_restores_rcparams() -> None:
    import matplotlib as mpl

    before = mpl.rcParams["axes.spines.top"]
    with st.style_context():
        assert mpl.rcParams["axes.spines.top"] is False
    assert mpl.rcParams["axes.spines.top"] == before


# --- fan chart -------------------------------------------------------------------------------


def test_fan_chart_bands_in_order(summary: pd.DataFrame) -> None:
    fig = Figure()
    ax = fig.add_subplot()
    fg.fan_chart(ax, summary, "influence", actor="Russia")
    polys = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert [p.get_gid() for p in polys] == ["fan90", "fan50"]
    # the 90% band is drawn first, is wider and sits under the 50% band and the median
    extent90 = polys[0].get_paths()[0].get_extents()
    extent50 = polys[1].get_paths()[0].get_extents()
    assert extent90.height >= extent50.height
    assert polys[0].get_zorder() < polys[1].get_zorder() < ax.get_lines()[0].get_zorder()
    assert polys[0].get_alpha() < polys[1].get_alpha()
    (line,) = ax.get_lines()
    assert line.get_label() == "Russia"
    assert line.get_color() == st.actor_colour("Russia")
    assert len(line.get_xdata()) == 20


def test_fan_chart_overlays_scenarios_and_rejects_ambiguity() -> None:
    both = make_summary(scenarios=("baseline", "surge"))
    fig = Figure()
    ax = fig.add_subplot()
    with pytest.raises(ValueError, match="scenario"):
        fg.fan_chart(ax, both, "influence", actor="Russia")
    for i, scen in enumerate(("baseline", "surge")):
        sub = both[both["scenario"] == scen]
        fg.fan_chart(ax, sub, "influence", actor="Russia", colour=st.scenario_colour(i), label=scen)
    assert [ln.get_label() for ln in ax.get_lines()] == ["baseline", "surge"]
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 4
    with pytest.raises(ValueError):
        fg.fan_chart(ax, both[both["scenario"] == "surge"], "influence")  # two actors
    with pytest.raises(ValueError):
        fg.fan_chart(ax, both, "no_such_metric")


# --- figures ---------------------------------------------------------------------------------

EXPECTED_AXES = {
    "influence": 2,
    "influence_over": 4,
    "trust": 2,
    "peacekeepers": 1,
    "cost": 2,
    "survival": 1,
    "decline_curve": 1,
    "territory": 1,
    "regimes": 1,
}


@pytest.mark.parametrize("name", list(EXPECTED_AXES))
def test_each_figure_structure(name: str, summary: pd.DataFrame, outcomes: pd.DataFrame) -> None:
    fig = fg.FIGURES[name](summary, outcomes, FOCAL)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == EXPECTED_AXES[name]
    _texts_ok(fig)


def test_share_axes_start_at_zero_and_hold_the_data(summary: pd.DataFrame) -> None:
    for fn, metric in (
        (fg.influence_figure, "influence"),
        (fg.influence_over_figure, "influence_over"),
        (fg.trust_figure, "trust"),
        (fg.territory_figure, "territory"),
    ):
        highest = summary.loc[summary["metric"] == metric, "q95"].max()
        for ax in fn(summary).axes:
            lo, hi = ax.get_ylim()
            assert lo == 0.0 and hi in fg.SHARE_TOPS and hi >= highest
    assert [fg._share_top(v) for v in (0.05, 0.15, 0.5, 0.9, 1.0)] == [0.1, 0.2, 0.6, 1.0, 1.0]


def test_dates_on_x_axis(summary: pd.DataFrame) -> None:
    import matplotlib.dates as mdates

    fig = fg.influence_figure(summary)
    assert isinstance(fig.axes[0].xaxis.get_major_formatter(), mdates.ConciseDateFormatter)


def test_python_date_objects_accepted() -> None:
    fig = fg.influence_figure(make_summary(python_dates=True))
    assert len(fig.axes) == 2


def test_russia_same_colour_across_figures(summary: pd.DataFrame) -> None:
    colour = st.actor_colour("Russia")
    for fig in (fg.influence_figure(summary), fg.cost_figure(summary), fg.trust_figure(summary)):
        lines = _median_lines(fig, "Russia")
        assert lines
        assert {ln.get_color() for ln in lines} == {colour}
    turkey = _median_lines(fg.cost_figure(summary), "Turkey")
    assert {ln.get_color() for ln in turkey} == {st.actor_colour("Turkey")}


def test_survival_curve(summary: pd.DataFrame) -> None:
    fig = fg.survival_figure(summary)
    (ax,) = fig.axes
    (curve,) = _median_lines(fig, "baseline")
    assert curve.get_drawstyle() == "steps-post"
    ceasefire = summary[summary["metric"] == "ceasefire"].sort_values("step")["mean"]
    np.testing.assert_allclose(curve.get_ydata(), ceasefire.to_numpy())
    assert ax.get_ylim()[0] == 0.0 and ax.get_ylim()[1] <= 1.05


def test_survival_marks_one_and_five_years() -> None:
    fig = fg.survival_figure(make_summary(steps=261))
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "1 year" in texts and "5 years" in texts


def test_decline_curve_uses_cost_and_influence(summary: pd.DataFrame) -> None:
    fig = fg.decline_curve_figure(summary, power="Turkey")
    (ax,) = fig.axes
    assert "Turkey" in fig._suptitle.get_text()
    assert "US$" in ax.get_xlabel().replace("\\", "")
    (line,) = _median_lines(fig, "Turkey")
    assert line.get_color() == st.actor_colour("Turkey")
    cost = summary.query("metric == 'regional_cost_cum_musd' and actor == 'Turkey'")
    assert max(line.get_xdata()) == pytest.approx(cost["q50"].max())
    with pytest.raises(ValueError):
        fg.decline_curve_figure(summary, power="Atlantis")


def test_regime_figure_percentages(outcomes: pd.DataFrame) -> None:
    fig = fg.regime_figure(outcomes)
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.texts]
    assert all(lab.endswith("%") for lab in labels)
    assert ax.get_yticklabels()[0].get_text() == "Managed decline"
    bars = ax.patches
    assert sum(b.get_width() for b in bars) == pytest.approx(1.0)
    assert bars[0].get_facecolor()[:3] == pytest.approx(
        tuple(int(st.regime_colour("managed_decline")[i : i + 2], 16) / 255 for i in (1, 3, 5))
    )


def test_regime_figure_generic_regimes() -> None:
    out = pd.DataFrame(
        {"scenario": "x", "replicate": range(4), "regime": ["alpha", "beta", "beta", "beta"]}
    )
    fig = fg.regime_figure(out)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Alpha", "Beta"]


def test_comparison_of_scenarios() -> None:
    scen = ("baseline", "china_entry", "escalation")
    summary = make_summary(scenarios=scen)
    outcomes = make_outcomes(scenarios=scen)
    fig = fg.influence_figure(summary)
    assert len(fig.axes) == 2
    assert "vs" in fig._suptitle.get_text()
    labels = {ln.get_label() for ln in fig.axes[0].get_lines()}
    assert set(scen) <= labels
    colours = {ln.get_label(): ln.get_color() for ln in fig.axes[0].get_lines()}
    assert [colours[s] for s in scen] == [st.scenario_colour(i) for i in range(3)]
    assert len(fg.trust_figure(summary).axes) == 4  # local state × power
    assert len(fg.cost_figure(summary).axes) == 4  # metric × power
    assert len(fg.territory_figure(summary).axes) == 2
    assert len(fg.survival_figure(summary).axes) == 1
    assert len(fg.decline_curve_figure(summary, FOCAL).axes) == 1
    assert len(fg.regime_figure(outcomes).axes) == 3


FIVE_SCENARIOS = (
    "baseline",
    "no_peacekeepers",
    "russia_assertive",
    "turkey_restrained",
    "russia_overstretched",
)
EIGHT_SCENARIOS = (
    *FIVE_SCENARIOS,
    "eu_mediation_strong",
    "china_belt_and_road",
    "iran_corridor_open",
)
LEGEND_FIGURES = (
    "influence",
    "influence_over",
    "trust",
    "peacekeepers",
    "cost",
    "survival",
    "decline_curve",
    "territory",
)


def _handle_colour(handle) -> str:
    """Colour of a drawn legend handle (a line, or the band patch of a line + band pair)."""
    if hasattr(handle, "get_color"):
        return to_hex(handle.get_color())
    return to_hex(handle.get_facecolor(), keep_alpha=False)


@pytest.mark.parametrize("scenarios", [FIVE_SCENARIOS, EIGHT_SCENARIOS], ids=["5", "8"])
@pytest.mark.parametrize("name", LEGEND_FIGURES)
def test_scenario_legend_complete_and_inside_figure(name: str, scenarios: tuple) -> None:
    fig = fg.FIGURES[name](make_summary(scenarios=scenarios), None, FOCAL)
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    (legend,) = fig.legends
    # the legend and each of its handles lie inside the figure (nothing cut off)
    box, page = legend.get_window_extent(), fig.bbox
    assert box.x0 >= page.x0 - 0.5 and box.x1 <= page.x1 + 0.5, (box, page)
    assert box.y0 >= page.y0 - 0.5 and box.y1 <= page.y1 + 0.5, (box, page)
    entries = {
        text.get_text(): handle
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)
        if text.get_text()
    }
    for i, scen in enumerate(scenarios):
        found = [h for lab, h in entries.items() if lab == scen or lab.startswith(f"{scen}  (")]
        assert len(found) == 1, f"{scen!r} not in the legend of {name}: {list(entries)}"
        (handle,) = found
        assert handle.get_visible()
        assert _handle_colour(handle) == to_hex(st.scenario_colour(i))
        extent = handle.get_window_extent()
        assert page.x0 - 0.5 <= extent.x0 and extent.x1 <= page.x1 + 0.5, (scen, name)


def test_single_scenario_legend_stays_on_one_row(summary: pd.DataFrame) -> None:
    fig = fg.influence_figure(summary)
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    (legend,) = fig.legends
    rows = {round(t.get_window_extent().y0) for t in legend.get_texts() if t.get_text()}
    assert len(rows) == 1


def test_survival_identical_curves_stay_distinguishable() -> None:
    summary = make_summary(scenarios=("baseline", "no_peacekeepers", "russia_overstretched"))
    # common random numbers: a scenario that does not touch the ceasefire has its curve exactly
    base = summary[(summary["scenario"] == "baseline") & (summary["metric"] == "ceasefire")]
    twin = summary["scenario"] == "russia_overstretched"
    summary = pd.concat(
        [
            summary[~(twin & (summary["metric"] == "ceasefire"))],
            base.assign(scenario="russia_overstretched"),
        ],
        ignore_index=True,
    )
    fig = fg.survival_figure(summary)
    assert len(fig.axes) == 1
    (a,) = _median_lines(fig, "baseline")
    (b,) = _median_lines(fig, "russia_overstretched")
    (c,) = _median_lines(fig, "no_peacekeepers")
    # same data drawn (no offset), but each curve in its own line style
    np.testing.assert_array_equal(a.get_ydata(), b.get_ydata())
    np.testing.assert_array_equal(a.get_xdata(), b.get_xdata())
    styles = [ln.get_linestyle() for ln in (a, c, b)]
    dashes = [ln._unscaled_dash_pattern for ln in (a, c, b)]
    assert styles[0] == "-" and len(set(map(str, dashes))) == 3, dashes
    assert b.get_zorder() > a.get_zorder()  # the dashed twin on top of the solid curve
    # the legend shows the same styles and says which curves coincide
    (legend,) = fig.legends
    entries = {
        t.get_text().split()[0]: (t.get_text(), h)
        for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)
        if t.get_text()
    }
    assert "same curve as baseline" in entries["russia_overstretched"][0]
    assert "same curve" not in entries["no_peacekeepers"][0]
    for line in (a, b, c):
        handle = entries[line.get_label()][1]
        assert str(handle._unscaled_dash_pattern) == str(line._unscaled_dash_pattern)
        assert to_hex(handle.get_color()) == to_hex(line.get_color())


def test_power_missing_in_one_scenario() -> None:
    a = make_summary(scenarios=("baseline",))
    b = make_summary(scenarios=("china_entry",), powers=("Russia", "Turkey", "China"))
    fig = fg.influence_figure(pd.concat([a, b], ignore_index=True))
    assert len(fig.axes) == 3
    china = [ln.get_label() for ln in fig.axes[2].get_lines()]
    assert china == ["china_entry"]


def test_unknown_actor_gets_hashed_colour() -> None:
    s = make_summary(powers=("Russia", "Atlantis"))
    lines = _median_lines(fg.influence_figure(s), "Atlantis")
    assert {ln.get_color() for ln in lines} == {st.actor_colour("Atlantis")}


def test_missing_metric_raises_in_figure_function(summary: pd.DataFrame) -> None:
    lean = summary[summary["metric"] != "ceasefire"]
    with pytest.raises(ValueError, match="ceasefire"):
        fg.survival_figure(lean)


# --- draw_all --------------------------------------------------------------------------------


def test_draw_all_writes_png_and_svg(
    tmp_path: Path, summary: pd.DataFrame, outcomes: pd.DataFrame
) -> None:
    paths = fg.draw_all(summary, outcomes, tmp_path, formats=("png", "svg"), focal_power=FOCAL)
    names = {p.stem for p in paths}
    assert names == set(fg.FIGURES)
    assert len(paths) == 2 * len(fg.FIGURES)
    for p in paths:
        assert p.parent == tmp_path and p.suffix in (".png", ".svg")
        assert p.exists() and p.stat().st_size > 1000
    png = (tmp_path / "influence.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    assert b"<svg" in (tmp_path / "influence.svg").read_bytes()[:2000]


def test_draw_all_is_deterministic(tmp_path: Path, summary: pd.DataFrame) -> None:
    a = fg.draw_all(summary, None, tmp_path / "a", formats=("svg",), focal_power=FOCAL)
    b = fg.draw_all(summary, None, tmp_path / "b", formats=("svg",), focal_power=FOCAL)
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes()


def test_draw_all_skips_absent_metrics(tmp_path: Path, outcomes: pd.DataFrame) -> None:
    lean = make_summary(drop=("ceasefire", "territory", "peacekeepers"))
    paths = fg.draw_all(lean, outcomes, tmp_path, formats=("png",), focal_power=FOCAL)
    names = {p.stem for p in paths}
    assert {"survival", "territory", "peacekeepers"}.isdisjoint(names)
    assert {"influence", "cost", "decline_curve", "regimes"} <= names
    assert fg.available_figures(lean, None, focal_power=FOCAL) == [
        "influence",
        "influence_over",
        "trust",
        "cost",
        "decline_curve",
    ]


def test_draw_all_without_outcomes_or_cost(tmp_path: Path) -> None:
    lean = make_summary(drop=("peacekeeping_cost_cum_musd", "regional_cost_cum_musd"))
    paths = fg.draw_all(lean, None, tmp_path, formats=("png",), focal_power="Turkey")
    names = {p.stem for p in paths}
    assert "cost" not in names and "decline_curve" not in names and "regimes" not in names
    assert fg.draw_all(None, None, tmp_path / "empty", focal_power="Turkey") == []


def test_package_exports_lazily() -> None:
    import hegemon.plots as plots

    assert plots.draw_all is fg.draw_all
    assert plots.actor_colour("Russia") == st.ACTOR_COLOURS["Russia"]
    code = "import sys, hegemon.plots.style; print('matplotlib' in sys.modules)"
    env_src = str(Path(st.__file__).resolve().parents[2])
    out = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {env_src!r}); {code}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


def test_apply_style_sets_rcparams() -> None:
    import matplotlib as mpl

    with mpl.rc_context():
        st.apply_style()
        assert mpl.rcParams["axes.spines.right"] is False
        assert mpl.rcParams["axes.prop_cycle"].by_key()["color"][0] == st.scenario_colour(0)


def test_small_shares_get_a_readable_axis(monkeypatch: pytest.MonkeyPatch) -> None:
    s = make_summary()
    infl = s["metric"] == "influence"
    for col in ("mean", *Z):
        s.loc[infl, col] = s.loc[infl, col] * 0.25  # influence now below 0.2
    ax = fg.influence_figure(s).axes[0]
    assert ax.get_ylim() == pytest.approx((0.0, 0.2))
    monkeypatch.setattr(fg, "FULL_SHARE_AXES", True)
    assert fg.influence_figure(s).axes[0].get_ylim() == pytest.approx((0.0, 1.0))


def test_categorical_columns_as_written_by_the_analysis(tmp_path: Path) -> None:
    s = make_summary()
    for col in ("actor", "target"):
        s[col] = s[col].astype("category")
    o = make_outcomes()
    o.loc[0, "regime"] = None
    o["regime"] = pd.Categorical(
        o["regime"],
        categories=["managed_decline", "consolidation", "erosion", "retreat", "collapse", "mixed"],
    )
    paths = fg.draw_all(s, o, tmp_path, formats=("png",), focal_power=FOCAL)
    assert len(paths) == len(fg.FIGURES)
    ticks = [t.get_text() for t in fg.regime_figure(o).axes[0].get_yticklabels()]
    assert ticks[:4] == ["Managed decline", "Consolidation", "Erosion", "Retreat"]
    assert "Unclassified" in ticks


# --- the event history (issue 19) ------------------------------------------------------------


def test_event_history_shows_one_replicates_events_and_the_ensembles_rates(baseline_ensemble):
    from hegemon.plots.events import event_history_figure, event_rates
    from hegemon.scenario.observables import EVENTS

    events = baseline_ensemble.events
    replicates = len(baseline_ensemble.outcomes)
    fig = event_history_figure(events, replicates=replicates, replicate=1, scenario="baseline")
    axes = {ax.get_gid(): ax for ax in fig.axes}
    timeline, rates = axes["events:timeline"], axes["events:rates"]
    kinds = [str(k) for k in dict.fromkeys(events["event"].astype(str))]
    labels = [t.get_text() for t in timeline.get_yticklabels()]
    assert sorted(labels) == sorted(EVENTS[k].label for k in kinds)  # labels from EVENTS
    assert timeline.get_title(loc="left") == "Events of replicate 1"
    # every event of replicate 1 is a mark on its kind's row
    mine = events[events["replicate"] == 1]
    marks = {c.get_label(): len(c.get_offsets()) for c in timeline.collections}
    for kind, count in mine["event"].astype(str).value_counts().items():
        assert marks[EVENTS[kind].label] == count
    # the rates: one line per kind of model event, events per replicate per year
    lines = {ln.get_label(): ln for ln in rates.get_lines()}
    model_kinds = [k for k in kinds if not EVENTS[k].scenario]
    assert set(lines) == {EVENTS[k].label for k in model_kinds}
    clash = event_rates(events, replicates)
    clash = clash[clash["event"] == "clash"]
    per_year = clash["rate"].to_numpy()
    assert np.allclose(lines["Armed clash"].get_ydata()[:-1], per_year)
    assert clash["count"].sum() == (events["event"] == "clash").sum()
    assert fig._suptitle.get_text() == "Event history — scenario: baseline"


def test_plot_draws_the_event_history_of_a_run(baseline_ensemble, tmp_path):
    from hegemon import draw

    paths = draw(baseline_ensemble, tmp_path, formats=("png",))
    assert tmp_path / "event_history.png" in paths


# --- step-like quantities, sampling error, identical fans (issue 19) -------------------------


def test_peacekeepers_are_drawn_as_means_not_bands(baseline_ensemble, summary_of):
    summary = baseline_ensemble.summary
    fig = fg.peacekeepers_figure(summary)
    ax = fig.axes[0]
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]  # no bands
    lines = {ln.get_label(): ln for ln in ax.get_lines() if ln.get_gid() == "peacekeepers_mean"}
    assert np.allclose(
        lines["Russia"].get_ydata(), summary_of(summary, "peacekeepers", "Russia", None, "mean")
    )
    # the end labels stay inside the axes
    FigureCanvasAgg(fig).draw()
    box = ax.get_window_extent()
    for text in (t for t in ax.texts if t.get_gid() == "end_label"):
        extent = text.get_window_extent()
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1 + 1
        assert box.y0 <= extent.y0 and extent.y1 <= box.y1 + 1


def test_survival_has_a_binomial_band_of_the_share_holding(baseline_ensemble, summary_of):
    summary = baseline_ensemble.summary
    n = len(baseline_ensemble.outcomes)
    fig = fg.survival_figure(summary, replicates=n)
    ax = fig.axes[0]
    (band,) = [c for c in ax.collections if c.get_gid() == "survival_ci"]
    share = summary_of(summary, "ceasefire")
    lo, hi = fg.wilson_interval(share, n)
    assert (lo <= share).all() and (share <= hi).all() and (hi - lo).max() < 0.2
    ys = band.get_paths()[0].vertices[:, 1]
    assert np.isclose(ys.min(), lo.min()) and np.isclose(ys.max(), hi.max())
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "95% interval of the share (binomial, Wilson)" in legend
    # the standard set passes each scenario's runs
    fig = fg.FIGURES["survival"](summary, baseline_ensemble.outcomes, "Russia")
    assert [c for c in fig.axes[0].collections if c.get_gid() == "survival_ci"]


def test_a_fan_identical_to_the_reference_is_said_so(baseline_ensemble):
    summary = baseline_ensemble.summary
    twin = summary.assign(scenario="twin")
    both = pd.concat([summary.astype({"scenario": object}), twin], ignore_index=True)
    fig = fg.influence_figure(both)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "twin  (same as baseline)" in legend
    other = twin.assign(q50=twin["q50"] + 0.01)
    both = pd.concat([summary.astype({"scenario": object}), other], ignore_index=True)
    legend = [t.get_text() for t in fg.influence_figure(both).legends[0].get_texts()]
    assert "twin" in legend and "twin  (same as baseline)" not in legend

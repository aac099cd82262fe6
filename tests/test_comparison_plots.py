"""Tests for hegemon.plots.comparison and hegemon.plots.report on small synthetic frames."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

import hegemon
from hegemon.plots import comparison as cmp
from hegemon.plots import report as rp
from hegemon.plots import style as st
from hegemon.scenario import load_scenario

BASELINE = load_scenario("baseline")  # declares the outcomes' labels and units; its focus
SCENARIOS = ("status_quo", "no_peacekeepers", "assertive")  # reference first, not A-Z
REPLICATES = 60
END_COLUMNS = [
    "influence_change__Russia",
    "regional_cost_cum_musd__Russia",
    "ceasefire_held",
    "ceasefire_weeks",
]
LABELS = {
    "influence_change__Russia": "change in Russia's influence",
    "trust_change__Armenia__Russia": "change in Armenia's trust in Russia",
    "regional_cost_cum_musd__Russia": "Russia's regional spending (US$ m)",
    "ceasefire_held": "ceasefire holding at the horizon (share)",
}


def make_summary(steps: int = 30) -> pd.DataFrame:
    """A small summary in the results schema: influence, cost and ceasefire survival."""
    dates = pd.date_range("2020-11-10", periods=steps, freq="7D")
    t = np.arange(steps, dtype=float)
    z = {"q05": -1.645, "q25": -0.674, "q50": 0.0, "q75": 0.674, "q95": 1.645}
    rows = []

    def add(scen: str, metric: str, actor: str | None, centre: np.ndarray, spread: float) -> None:
        for i in range(steps):
            qs = {k: float(centre[i] + v * spread) for k, v in z.items()}
            rows.append(
                {
                    "scenario": scen,
                    "step": i,
                    "date": dates[i],
                    "metric": metric,
                    "actor": actor,
                    "target": None,
                    "mean": qs["q50"],
                    **qs,
                }
            )

    for s, scen in enumerate(SCENARIOS):
        add(scen, "influence", "Russia", 0.3 - (0.002 - 0.001 * s) * t, 0.02)
        add(scen, "influence", "Turkey", 0.1 + 0.001 * t, 0.01)
        add(scen, "regional_cost_cum_musd", "Russia", (10 + 2 * s) * t, 5.0)
        add(scen, "ceasefire", None, np.round(np.exp(-(0.01 + 0.01 * s) * t) * 50) / 50, 0.0)
    return pd.DataFrame(rows)


def make_outcomes() -> pd.DataFrame:
    """One row per (scenario, replicate), paired by replicate; a far outlier in one column."""
    rng = np.random.default_rng(11)
    regimes = ["managed_decline", "consolidation", "erosion", "retreat", "collapse"]
    frames = []
    noise = rng.normal(size=REPLICATES)
    for s, scen in enumerate(SCENARIOS):
        held = rng.random(REPLICATES) < 0.6 - 0.2 * s
        weeks = np.where(held, np.nan, rng.integers(1, 260, REPLICATES).astype(float))
        cost = 3000 + 300 * noise + 150 * s
        if s == 0:
            cost[0] = 20000.0  # a far outlier: drawn as an arrowhead at the axis edge
        frames.append(
            pd.DataFrame(
                {
                    "scenario": scen,
                    "replicate": np.arange(REPLICATES),
                    "regime": rng.choice(regimes, REPLICATES),
                    "influence_change__Russia": -0.04 + 0.03 * s + 0.02 * noise,
                    "trust_change__Armenia__Russia": -0.2 + 0.1 * s + 0.05 * noise,
                    "regional_cost_cum_musd__Russia": cost,
                    "ceasefire_held": held,
                    "ceasefire_weeks": weeks,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def make_paired() -> pd.DataFrame:
    """A paired-differences table against the first scenario (synthetic numbers)."""
    rows = []
    ref = SCENARIOS[0]
    for s, scen in enumerate(SCENARIOS[1:], start=1):
        for k, (outcome, label) in enumerate(LABELS.items()):
            scale = 500.0 if "musd" in outcome else 0.05
            mean = scale * (s - 1.5) * (1 + 0.2 * k)
            half = 0.3 * abs(mean) if s == 1 else 1.5 * abs(mean)  # second: includes 0
            rows.append(
                {
                    "scenario": scen,
                    "outcome": outcome,
                    "label": label,
                    "reference": ref,
                    "reference_mean": 1.0,
                    "scenario_mean": 1.0 + mean,
                    "mean_diff": mean,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "share_higher": 0.5 + 0.1 * s,
                    "n": REPLICATES,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return make_summary()


@pytest.fixture(scope="module")
def outcomes() -> pd.DataFrame:
    return make_outcomes()


@pytest.fixture(scope="module")
def paired() -> pd.DataFrame:
    return make_paired()


@pytest.fixture(scope="module")
def written(summary, outcomes, paired, tmp_path_factory) -> tuple[Path, list[Path]]:
    """The comparison figures, drawn once for the module (PNG and SVG)."""
    folder = tmp_path_factory.mktemp("comparison") / "figs"
    return folder, cmp.comparison_figures(
        summary,
        outcomes,
        paired,
        folder,
        formats=("png", "svg"),
        focal_power="Russia",
        scenario=BASELINE,
    )


def _title(fig: Figure) -> str:
    assert fig._suptitle is not None
    return fig._suptitle.get_text()


def _panels(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_visible()]


def _yticks(ax) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


# --- end states ------------------------------------------------------------------------------


def test_end_state_figure_panels_order_and_title(outcomes: pd.DataFrame) -> None:
    fig = cmp.end_state_figure(outcomes, END_COLUMNS, scenario=BASELINE)
    axes = _panels(fig)
    assert len(axes) == len(END_COLUMNS)
    titles = [ax.get_title(loc="left") for ax in axes]
    assert titles[0] == "Change in Russia's influence (0–1)"
    assert "US\\$ m" in titles[1]  # units in the label, "$" escaped for matplotlib
    assert "weeks" in titles[3]
    assert _yticks(axes[0]) == list(SCENARIOS)  # reference first, order of appearance
    assert SCENARIOS[0] in _title(fig) and "reference" in _title(fig)
    # every scenario gets its comparison colour; the boolean column is drawn as bars
    bars = [p for p in axes[2].patches if p.get_height() > 0]
    assert [to_hex(p.get_facecolor()[:3]) for p in bars] == [
        to_hex(st.scenario_colour(i)) for i in range(len(SCENARIOS))
    ]
    widths = [p.get_width() for p in bars]
    expected = outcomes.groupby("scenario", sort=False)["ceasefire_held"].mean().tolist()
    assert widths == pytest.approx(expected)
    # NaN weeks mean the ceasefire held: noted beside the boxes
    notes = [t.get_text() for t in axes[3].texts]
    assert len(notes) == len(SCENARIOS) and all(n.endswith("held") for n in notes)


def test_end_state_figure_custom_labels_and_categorical_scenarios(outcomes) -> None:
    frame = outcomes.copy()
    # categories sorted A-Z: the order of first appearance must still win
    frame["scenario"] = pd.Categorical(frame["scenario"], categories=sorted(SCENARIOS))
    fig = cmp.end_state_figure(
        frame, ["influence_change__Russia"], {"influence_change__Russia": "X"}
    )
    (ax,) = _panels(fig)
    assert ax.get_title(loc="left") == "X"
    assert _yticks(ax) == list(SCENARIOS)


def test_end_state_figure_far_outlier_keeps_the_boxes_readable(outcomes) -> None:
    fig = cmp.end_state_figure(outcomes, ["regional_cost_cum_musd__Russia"], scenario=BASELINE)
    (ax,) = _panels(fig)
    assert ax.get_xlim()[1] < 20000.0  # the outlier does not set the scale ...
    legend_texts = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert "Runs beyond the axis" in legend_texts  # ... and is marked at the edge


def test_end_state_figure_rejects_bad_input(outcomes: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="no_such_column"):
        cmp.end_state_figure(outcomes, ["no_such_column"])
    with pytest.raises(ValueError):
        cmp.end_state_figure(outcomes.iloc[:0], END_COLUMNS)
    with pytest.raises(ValueError):
        cmp.end_state_figure(outcomes, [])


def test_outcome_label_units() -> None:
    assert cmp.outcome_label("trust_change__Armenia__Russia", BASELINE) == (
        "Change in Armenia's trust in Russia (0–1)"
    )
    assert cmp.outcome_label("peacekeeping_cost_cum_musd__Russia", BASELINE).endswith("(US$ m)")
    assert cmp.outcome_label("territory_end__Armenia", BASELINE).endswith("(0–1)")
    assert cmp.outcome_label("some_new_thing", BASELINE) == "Some new thing"
    # what a column is comes from the scenario's declarations, not from its name
    assert cmp.outcome_label("trust_change__Armenia__Russia") == "Trust change · Armenia · Russia"


# --- paired differences ----------------------------------------------------------------------


def test_paired_difference_figure_forest(paired: pd.DataFrame) -> None:
    fig = cmp.paired_difference_figure(paired, scenario=BASELINE)
    axes = _panels(fig)
    assert len(axes) == len(LABELS)
    title = _title(fig)
    assert f"difference from {SCENARIOS[0]}".casefold() in title.casefold()
    assert _yticks(axes[0]) == list(SCENARIOS[1:])
    for ax in axes:
        assert ax.get_title(loc="left")
        # a zero line, and one interval per scenario in its comparison colour
        assert any(np.allclose(np.asarray(line.get_xdata(), float), 0.0) for line in ax.get_lines())
        colours = {to_hex(c.get_edgecolor()[0]) for c in ax.collections}
        assert colours == {to_hex(st.scenario_colour(i)) for i in (1, 2)}
        lo, hi = ax.get_xlim()
        assert lo < 0 < hi
    # the interval of the second scenario includes 0: its dot is hollow
    dots = axes[0].collections
    assert to_hex(dots[0].get_facecolor()[0]) == to_hex(st.scenario_colour(1))
    assert to_hex(dots[1].get_facecolor()[0]) == "#ffffff"
    # the share outcome is read in percentage points
    share_ax = axes[list(LABELS).index("ceasefire_held")]
    fig.canvas.draw()
    assert any("pp" in t.get_text() for t in share_ax.get_xticklabels())


def test_paired_difference_figure_rejects_bad_input(paired: pd.DataFrame) -> None:
    with pytest.raises(ValueError):
        cmp.paired_difference_figure(paired.iloc[:0])
    with pytest.raises(ValueError, match="mean_diff"):
        cmp.paired_difference_figure(paired.drop(columns="mean_diff"))


# --- the comparison set ----------------------------------------------------------------------


def test_comparison_figures_writes_png_and_svg(written) -> None:
    folder, paths = written
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    stems = {p.stem for p in paths}
    assert {"influence", "survival", "regimes", "end_states", "paired_differences"} <= stems
    for stem in stems:
        assert {p.suffix for p in paths if p.stem == stem} == {".png", ".svg"}
    assert sorted(paths) == sorted(folder.iterdir())


def test_comparison_figures_end_columns_and_formats(summary, outcomes, tmp_path) -> None:
    survival_only = summary[summary["metric"] == "ceasefire"]
    paths = cmp.comparison_figures(
        survival_only,
        outcomes,
        None,
        tmp_path,
        focal_power="Russia",
        scenario=BASELINE,
        end_columns=["ceasefire_held", "absent"],
        formats=["png"],
    )
    assert {p.suffix for p in paths} == {".png"}
    assert [p.stem for p in paths] == ["survival", "regimes", "end_states"]


# --- the report ------------------------------------------------------------------------------


def _report(tmp_path: Path, figures: list[Path]) -> tuple[Path, str]:
    scenarios = pd.DataFrame(
        {
            "name": list(SCENARIOS),
            "title": ["Status quo <script>alert('x')</script>", "No peacekeepers", "Assertive"],
            "question": [
                "What if <b>nothing</b> changes?",
                "Who keeps the peace?",
                "At what cost?",
            ],
        }
    )
    tables = {
        "Paired differences & intervals": make_paired(),
        "Regime shares": pd.DataFrame(
            {"managed_decline": [0.25, 0.5], "collapse": [0.75, 0.5]},
            index=pd.Index(["status_quo", "assertive"], name="scenario"),
        ),
    }
    out = tmp_path / "report" / "report.html"
    path = rp.write_report(
        out,
        title="Status quo vs <others>",
        intro="Common random numbers.\n\nSecond paragraph.",
        scenarios=scenarios,
        tables=tables,
        figures=figures,
        notes="A note with <tags> & ampersands.",
    )
    assert path == out
    return path, path.read_text(encoding="utf-8")


def test_write_report_is_one_self_contained_file(written, tmp_path: Path) -> None:
    figures = [
        p for p in written[1] if p.suffix == ".png" and p.stem in ("survival", "paired_differences")
    ]
    path, text = _report(tmp_path, figures)
    assert list(path.parent.iterdir()) == [path]  # a single file
    assert text.startswith("<!DOCTYPE html>")
    assert text.count('<img src="data:image/png;base64,') == len(figures)
    assert not re.search(r"https?://", text)  # no resource from anywhere
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", text)  # only data URIs and anchors
    assert "<script" not in text.casefold()
    assert "<link" not in text
    assert "<style>" in text
    # user text is escaped
    assert html.escape("Status quo <script>alert('x')</script>") in text
    assert html.escape("What if <b>nothing</b> changes?") in text
    assert "Status quo vs &lt;others&gt;" in text
    assert "A note with &lt;tags&gt; &amp; ampersands." in text
    # the tables, with readable numbers
    assert html.escape("Paired differences & intervals") in text
    assert "Regime shares" in text
    assert "change in Armenia's trust in Russia" in text
    assert "75%" in text and "share higher" in text
    # captions from file names, a timestamp and the version
    assert "Ceasefire survival" in text
    assert "Figure 2." in text
    assert re.search(r"Generated \d{4}-\d{2}-\d{2} \d{2}:\d{2}", text)
    assert f"hegemon {hegemon.__version__}" in text


def test_write_report_missing_figure(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        _report(tmp_path, [tmp_path / "nope.png"])


def test_report_number_formatting() -> None:
    assert rp._number(3163.813202) == "3,164"
    assert rp._number(-0.006890) == "−0.00689"
    assert rp._number(31.231051) == "31.2"
    assert rp._number(300) == "300"
    assert rp._number(float("nan")) == "–"
    assert rp.figure_caption("decline_curve.png") == "Money spent against influence"
    assert rp.figure_caption("my_own-figure.png") == "My own figure"


# --- small multiples and fans of paired differences (issue 19) -------------------------------


def test_small_multiples_draw_the_reference_faint_in_each_panel(tmp_path):
    from hegemon import compare
    from hegemon.plots.multiples import difference_fan_figure, small_multiples_figure

    found = compare(
        ["baseline", "russia_overstretched", "turkey_restrained"], 6, 1,
        out=tmp_path / "c", store="full", figures=True, workers=1,
    )  # fmt: skip
    names = (tmp_path / "c" / "figures").iterdir()
    assert {"multiples_influence.png", "differences_trust.png"} <= {p.name for p in names}
    summary = found.summary
    fig = small_multiples_figure(summary, "influence", actor="Russia", what="w", ylabel="y")
    panels = {ax.get_gid(): ax for ax in fig.axes}
    assert list(panels) == [f"multiple:{s}" for s in found.names]
    ref_median = [
        ln for ln in panels["multiple:baseline"].get_lines() if ln.get_label() == "baseline"
    ]
    for name in found.names[1:]:
        ax = panels[f"multiple:{name}"]
        (faint,) = [ln for ln in ax.get_lines() if ln.get_label() == "_reference"]
        assert np.allclose(faint.get_ydata(), ref_median[0].get_ydata())
        assert [c for c in ax.collections if c.get_gid() == "reference50"]
    assert not panels["multiple:russia_overstretched"].get_title(loc="left").endswith("baseline")
    # a scenario whose fan is the reference's says so in its panel
    base = summary[summary["scenario"] == "baseline"].astype({"scenario": object})
    twins = pd.concat([base, base.assign(scenario="twin")], ignore_index=True)
    fig = small_multiples_figure(twins, "influence", actor="Russia", what="w", ylabel="y")
    assert fig.axes[1].get_title(loc="left") == "twin: same as baseline"
    # the difference fans: the median of the paired differences, replicate by replicate
    series = {r.name: r.series("influence", "Russia") for r in found.results}
    fig = difference_fan_figure(series, what="w", ylabel="y")
    ax = {a.get_gid(): a for a in fig.axes}["difference:russia_overstretched"]
    (median,) = [ln for ln in ax.get_lines() if ln.get_label() == "russia_overstretched"]
    diff = series["russia_overstretched"] - series["baseline"]
    assert np.allclose(median.get_ydata(), np.median(diff.to_numpy(), axis=1))

"""Tests for hegemon.plots.sensitivity: sweep, heatmap, Morris and Sobol' figures, files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from hegemon.analysis.sensitivity import BAND_MEANINGS
from hegemon.plots import sensitivity as ss
from hegemon.plots import style as st
from hegemon.scenario import load_scenario

RESOLVE = "actors.Russia.resolve"
TROOPS = "relations.peacekeeping.troops"
OUTPUTS = (
    ("influence_change__Russia", "change in Russia's influence"),
    ("trust_change__Armenia__Russia", "change in Armenia's trust in Russia"),
    ("ceasefire_survival", "ceasefire holding at horizon"),
    ("managed_decline_share", "share of managed decline"),
)
BASELINE = load_scenario("baseline")  # declares the outputs: labels, units, colours, order
Z = {"runs_q05": -1.645, "runs_q25": -0.674, "runs_q50": 0.0, "runs_q75": 0.674, "runs_q95": 1.645}
CI = {"ci90_low": -1.645, "ci50_low": -0.674, "ci50_high": 0.674, "ci90_high": 1.645}


def make_sweep(grid: dict[str, np.ndarray], outputs=OUTPUTS, runs: int = 200) -> pd.DataFrame:
    """A sweep table in the schema of hegemon.analysis.sensitivity.sweep."""
    keys = list(grid)
    mesh = np.meshgrid(*grid.values(), indexing="ij")
    rows = []
    for point, values in enumerate(zip(*(m.ravel() for m in mesh), strict=True)):
        params = dict(zip(keys, map(float, values), strict=True))
        r = params.get(RESOLVE, 0.4)
        t = params.get(TROOPS, 2000.0) / 4000.0
        for output, label in outputs:
            qs = dict.fromkeys([*Z, *CI], np.nan)
            if output.endswith(("_share", "survival")):
                mean = float(np.clip(0.2 + 0.5 * r + 0.2 * t, 0.0, 1.0))
                spread = np.sqrt(mean * (1 - mean) / runs)
                qs |= {k: float(np.clip(mean + z * spread, 0, 1)) for k, z in CI.items()}
                qs["bands"] = BAND_MEANINGS["ci"]
            else:
                mean = -0.15 + 0.2 * r + 0.05 * t
                qs |= {k: mean + z * 0.05 for k, z in Z.items()}
                qs["bands"] = BAND_MEANINGS["runs"]
            rows.append(
                {"point": point, **params, "output": output, "label": label, "n": runs}
                | {"mean": mean, **qs}
            )
    return pd.DataFrame(rows)


PARAMS = (
    "actors.Russia.resolve",
    "conflict.clash_rate",
    "actors.Armenia.trust.Russia",
    "relations.peacekeeping.cost_per_troop_week_usd",
    "trust.loss_on_failure",
)


def make_morris(outputs=OUTPUTS[:2]) -> pd.DataFrame:
    """Morris indices, deliberately not sorted; clash_rate is the most influential."""
    mu_star = {
        PARAMS[0]: 0.04,
        PARAMS[1]: 0.09,
        PARAMS[2]: 0.02,
        PARAMS[3]: 0.0,
        PARAMS[4]: 0.06,
    }
    rows = []
    for k, (output, label) in enumerate(outputs):
        for p, m in mu_star.items():
            sign = -1.0 if p == PARAMS[1] else 1.0
            rows.append(
                {
                    "output": output,
                    "label": label,
                    "parameter": p,
                    "mu": sign * m * (1 + k),
                    "mu_star": m * (1 + k),
                    "mu_star_conf": 0.2 * m * (1 + k),
                    "sigma": 0.5 * m * (1 + k),
                }
            )
    return pd.DataFrame(rows)


def make_sobol(outputs=OUTPUTS[:3]) -> pd.DataFrame:
    """Sobol' indices, not sorted; Armenia's trust has the largest ST, one S1 below 0."""
    st_ = {PARAMS[0]: 0.3, PARAMS[1]: 0.1, PARAMS[2]: 0.45, PARAMS[3]: 0.01, PARAMS[4]: 0.2}
    rows = []
    for output, label in outputs:
        for p, total in st_.items():
            s1 = -0.03 if p == PARAMS[3] else 0.8 * total
            rows.append(
                {
                    "output": output,
                    "label": label,
                    "parameter": p,
                    "S1": s1,
                    "S1_conf": 0.06,
                    "ST": total,
                    "ST_conf": 0.04,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def sweep1() -> pd.DataFrame:
    return make_sweep({RESOLVE: np.linspace(0.0, 1.0, 6)})


@pytest.fixture(scope="module")
def sweep2() -> pd.DataFrame:
    return make_sweep({RESOLVE: np.linspace(0.0, 1.0, 4), TROOPS: np.array([0.0, 2000.0, 4000.0])})


def _panels(fig: Figure, prefix: str) -> dict[str, Axes]:
    """Axes by output, from the gids ``<prefix>:<output>`` the figures give their panels."""
    out = {}
    for ax in fig.axes:
        gid = ax.get_gid() or ""
        if gid.startswith(prefix + ":"):
            out[gid.split(":", 1)[1]] = ax
    return out


def _legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def _top_label(ax: Axes) -> str:
    """The y tick label drawn highest on the axes (pixel position, not list order)."""
    ticks = ax.get_yticks()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    heights = [ax.transData.transform((0.0, y))[1] for y in ticks]
    return labels[int(np.argmax(heights))]


# --- parameter labels ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("actors.Russia.resolve", "Russia: resolve"),
        (
            "relations.peacekeeping.cost_per_troop_week_usd",
            "peacekeeping: cost per troop-week (US$)",
        ),
        ("conflict.clash_rate", "conflict: clash rate"),
        ("actors.Armenia.trust.Russia", "Armenia's trust in Russia (initial)"),
        ("relations.csto.support_musd", "CSTO: support when honoured (US$ m)"),
        ("influence.memory_weeks", "influence: memory (weeks)"),
        (
            "relations.peacekeeping.renewal.min_influence",
            "peacekeeping renewal: influence needed to renew",
        ),
        ("actors.Russia.regional_effort", "Russia: regional effort (share of military budget)"),
        ("something.new_thing_weeks", "something: new thing (weeks)"),
    ],
)
def test_parameter_label(path: str, label: str) -> None:
    assert ss.parameter_label(path) == label


# --- sweeps ----------------------------------------------------------------------------------


def test_sweep_figure_one_panel_per_output(sweep1: pd.DataFrame) -> None:
    fig = ss.sweep_figure(sweep1, RESOLVE, scenario=BASELINE)
    assert isinstance(fig, Figure)
    panels = _panels(fig, "sweep")
    assert list(panels) == [o for o, _ in OUTPUTS]
    assert "Russia: resolve" in fig._suptitle.get_text()
    assert "200 runs per point" in fig._suptitle.get_text()
    titles = {o: ax.get_title(loc="left") for o, ax in panels.items()}
    assert titles["influence_change__Russia"] == "Change in Russia's influence (0–1)"
    assert titles["ceasefire_survival"] == "Ceasefire holding at horizon (share of runs)"
    xlabels = {ax.get_xlabel() for ax in panels.values()} - {""}
    assert xlabels == {"Russia: resolve"}
    for output, ax in panels.items():
        gids = [c.get_gid() for c in ax.collections if isinstance(c, PolyCollection)]
        assert gids == ["fan90", "fan50"], output  # fan_chart's bands, 90% under 50%
        points = [ln for ln in ax.get_lines() if ln.get_label() == "_points"]
        assert len(points) == 1 and len(points[0].get_xdata()) == 6
        zero = [ln for ln in ax.get_lines() if ln.get_label() == "_zero"]
        assert bool(zero) == ("change" in output)
    share = panels["ceasefire_survival"]
    assert share.get_ylim()[0] == 0.0 and share.get_ylim()[1] <= 1.0
    # colours: the actor the output is about, the managed-decline colour for its share
    russia = panels["influence_change__Russia"].get_lines()
    median = [ln for ln in russia if not ln.get_label().startswith("_")]
    assert median[0].get_color() == st.actor_colour("Russia")
    decline = panels["managed_decline_share"].get_lines()
    assert decline[0].get_color() == st.regime_colour("managed_decline")
    texts = _legend_texts(fig)
    assert any("Median" in t for t in texts) and any("50% CI" in t for t in texts)


def test_sweep_figure_second_parameter_as_lines(sweep2: pd.DataFrame) -> None:
    fig = ss.sweep_figure(sweep2, RESOLVE, scenario=BASELINE)
    panels = _panels(fig, "sweep")
    assert len(panels) == len(OUTPUTS)
    for ax in panels.values():
        lines = [ln for ln in ax.get_lines() if ln.get_label().startswith(TROOPS)]
        assert len(lines) == 3
        assert len({ln.get_color() for ln in lines}) == 3
    texts = _legend_texts(fig)
    assert "peacekeeping: troops:" in texts
    assert {"0", "2,000", "4,000"} <= set(texts)
    assert "one line per peacekeeping: troops" in fig._suptitle.get_text()


def test_sweep_figure_lines_that_coincide_become_one(sweep2: pd.DataFrame) -> None:
    """A parameter that does not move an output (common random numbers: identical results
    at each of its values) gives one neutral line and a note, not stacked lines."""
    table = sweep2.copy()
    trust = table["output"] == "trust_change__Armenia__Russia"
    base = table[trust & (table[TROOPS] == 0.0)].set_index(RESOLVE)
    for col in ("mean", *Z):
        table.loc[trust, col] = table.loc[trust, RESOLVE].map(base[col]).to_numpy()
    panels = _panels(ss.sweep_figure(table, RESOLVE, scenario=BASELINE), "sweep")
    flat = panels["trust_change__Armenia__Russia"]
    lines = [ln for ln in flat.get_lines() if not ln.get_label().startswith("_")]
    assert len(lines) == 1 and lines[0].get_color() == st.NEUTRAL
    assert any("the same for every" in t.get_text() for t in flat.texts)
    other = panels["influence_change__Russia"]
    assert len([ln for ln in other.get_lines() if ln.get_label().startswith(TROOPS)]) == 3
    assert not any("the same" in t.get_text() for t in other.texts)


def test_sweep_figure_rejects_bad_input(sweep1: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="lacks column"):
        ss.sweep_figure(sweep1, "actors.Turkey.resolve", scenario=BASELINE)
    with pytest.raises(ValueError, match="empty"):
        ss.sweep_figure(sweep1.iloc[0:0], RESOLVE, scenario=BASELINE)
    three = make_sweep(
        {RESOLVE: [0.0, 1.0], TROOPS: [0.0, 4000.0], "conflict.clash_rate": [0.1, 0.3]}
    )
    with pytest.raises(ValueError, match="3 parameters"):
        ss.sweep_figure(three, RESOLVE, scenario=BASELINE)


def test_swept_parameters(sweep2: pd.DataFrame) -> None:
    assert ss.swept_parameters(sweep2) == [RESOLVE, TROOPS]


def test_heatmap_of_a_change_is_diverging_and_centred(sweep2: pd.DataFrame) -> None:
    output = "influence_change__Russia"
    fig = ss.sweep_heatmap_figure(sweep2, RESOLVE, TROOPS, output, scenario=BASELINE)
    ax = _panels(fig, "heatmap")[output]
    assert ax.get_xlabel() == "Russia: resolve"
    assert ax.get_ylabel() == "peacekeeping: troops"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "0.3333", "0.6667", "1"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "2,000", "4,000"]
    mesh = ax.collections[0]
    assert mesh.get_cmap().name.startswith(ss.CHANGE_CMAP)
    assert mesh.norm.vmin == pytest.approx(-mesh.norm.vmax)
    cells = [t.get_text() for t in ax.texts]
    assert len(cells) == 12 and "−0.15" in cells and "+0.08" in cells
    colourbar = next(a for a in fig.axes if a is not ax)
    assert "Change in Russia's influence" in colourbar.get_ylabel()
    assert fig._suptitle.get_text().startswith("Change in Russia's influence (0–1)")


def test_heatmap_of_a_share_spans_zero_to_one(sweep2: pd.DataFrame) -> None:
    fig = ss.sweep_heatmap_figure(sweep2, RESOLVE, TROOPS, "ceasefire_survival", scenario=BASELINE)
    ax = _panels(fig, "heatmap")["ceasefire_survival"]
    mesh = ax.collections[0]
    assert mesh.get_cmap().name.startswith(ss.SHARE_CMAP)
    assert (mesh.norm.vmin, mesh.norm.vmax) == (0.0, 1.0)
    assert all(t.get_text().endswith("%") for t in ax.texts)
    with pytest.raises(ValueError, match="no output"):
        ss.sweep_heatmap_figure(sweep2, RESOLVE, TROOPS, "nothing", scenario=BASELINE)


# --- Morris ----------------------------------------------------------------------------------


def test_morris_ranked_most_influential_on_top() -> None:
    indices = make_morris().sample(frac=1.0, random_state=3)  # any input order
    fig = ss.morris_figure(indices, scenario=BASELINE)
    bars = _panels(fig, "morris")
    scatter = _panels(fig, "morris_sigma")
    assert list(bars) == list(scatter) == [o for o, _ in OUTPUTS[:2]]  # canonical order
    for output, ax in bars.items():
        assert _top_label(ax).startswith("conflict: clash rate")
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels[0] == "conflict: clash rate  1" and labels[1].startswith("trust: loss")
        widths = [p.get_width() for p in ax.patches]
        assert widths == sorted(widths, reverse=True)
        assert "μ*" in ax.get_xlabel() and "(0–1)" in ax.get_xlabel()
        assert ax.get_title(loc="left").startswith("Change in")
        directions = {t.get_text() for t in ax.texts}
        assert {"lowers", "raises"} <= directions
        sig = scatter[output]
        assert "σ" in sig.get_ylabel()
        number_one = [t for t in sig.texts if t.get_gid() == "rank1"]
        expected = indices[(indices.output == output) & (indices.parameter == PARAMS[1])]
        assert number_one[0].get_position()[0] == pytest.approx(expected.mu_star.iloc[0])
    assert "Morris" in fig._suptitle.get_text()
    assert any("95% confidence interval" in t for t in _legend_texts(fig))


def test_morris_without_sigma_and_with_a_limit() -> None:
    indices = make_morris(OUTPUTS[:1]).drop(columns=["sigma", "mu"])
    fig = ss.morris_figure(indices, scenario=BASELINE, max_parameters=3)
    assert not _panels(fig, "morris_sigma")
    ax = _panels(fig, "morris")[OUTPUTS[0][0]]
    assert len(ax.get_yticks()) == 3
    assert _top_label(ax) == "conflict: clash rate"
    assert any("+2 parameters with smaller μ*" in t.get_text() for t in ax.texts)


def test_morris_rejects_missing_columns() -> None:
    with pytest.raises(ValueError, match="mu_star"):
        ss.morris_figure(make_morris().drop(columns="mu_star"))


# --- Sobol' ----------------------------------------------------------------------------------


def test_sobol_ranked_with_both_orders_and_honest_intervals() -> None:
    indices = make_sobol().sample(frac=1.0, random_state=5)
    fig = ss.sobol_figure(indices, scenario=BASELINE)
    panels = _panels(fig, "sobol")
    assert list(panels) == [o for o, _ in OUTPUTS[:3]]
    for ax in panels.values():
        assert _top_label(ax) == "Armenia's trust in Russia (initial)"
        total = [p for p in ax.patches if p.get_gid() == "bars_ST"]
        first = [p for p in ax.patches if p.get_gid() == "bars_S1"]
        assert len(total) == len(first) == len(PARAMS)
        widths = [p.get_width() for p in total]
        assert widths == sorted(widths, reverse=True)
        assert min(p.get_width() for p in first) == 0.0  # S1 = -0.03 is clipped at 0 ...
        lo, hi = ax.get_xlim()
        assert lo < -0.03 - 0.06 + 1e-9 and hi >= 1.0  # ... but its interval is shown in full
        assert [t.get_text() for t in ax.get_xticklabels()][-1] == "1.00"
        assert any(t.get_text().startswith("Sum of S1") for t in ax.texts)
    texts = " ".join(_legend_texts(fig))
    assert "S1, first order" in texts and "ST, total order" in texts
    assert "confidence interval" in texts
    assert "Sobol" in fig._suptitle.get_text()


# --- files -----------------------------------------------------------------------------------


def test_draw_sensitivity_writes_every_figure(tmp_path: Path) -> None:
    outputs = OUTPUTS[1:3]
    sweep = make_sweep({RESOLVE: np.linspace(0.0, 1.0, 3), TROOPS: np.array([0.0, 4e3])}, outputs)
    paths = ss.draw_sensitivity(
        tmp_path / "figs",
        sweep=sweep,
        params=[RESOLVE, TROOPS],
        morris=make_morris(outputs),
        sobol=make_sobol(outputs),
        scenario=BASELINE,
        formats=("png", "svg"),
    )
    names = sorted(p.name for p in paths)
    stems = ["sweep"] + [f"sweep_heatmap_{o}" for o, _ in outputs] + ["morris", "sobol"]
    assert names == sorted(f"{s}.{f}" for s in stems for f in ("png", "svg"))
    for path in paths:
        assert path.is_file() and path.stat().st_size > 1000
    assert paths[0].name == "sweep.png"


def test_draw_sensitivity_one_parameter_and_nothing(tmp_path: Path, sweep1: pd.DataFrame) -> None:
    paths = ss.draw_sensitivity(tmp_path, sweep=sweep1, formats=("png",))
    assert [p.name for p in paths] == ["sweep.png"]
    assert ss.draw_sensitivity(tmp_path / "none", sweep=None, morris=pd.DataFrame()) == []


def test_package_exports_lazily() -> None:
    import hegemon.plots as plots

    assert plots.sweep_figure is ss.sweep_figure
    assert plots.draw_sensitivity is ss.draw_sensitivity
    assert plots.parameter_label("conflict.clash_rate") == "conflict: clash rate"

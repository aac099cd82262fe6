"""Figures comparing scenarios: end states across replicates and paired differences.

The standard figures of :mod:`hegemon.plots.figures` already overlay several scenarios on
shared axes; this module adds the two figures that only make sense for a comparison:

* :func:`end_state_figure`: the distribution across replicates of outcome columns at the
  horizon, one panel per outcome, one box per scenario (reference first);
* :func:`paired_difference_figure`: a forest plot of the mean paired difference of each
  scenario from the reference, with its 95% interval;

and :func:`comparison_figures`, which writes them next to the standard set.

Scenario ``i`` (in order of first appearance, the reference being 0) has colour
:func:`~hegemon.plots.style.scenario_colour` ``(i)`` in every figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, PercentFormatter

from hegemon.plots import style as st
from hegemon.plots.figures import (
    _legend,
    _money,
    _new_figure,
    _panel_title,
    _scenarios,
    _suptitle,
)
from hegemon.plots.jobs import (
    END_STATES,
    FORMATS,
    PAIRED_DIFFERENCES,
    comparison_jobs,
    draw_jobs,
)
from hegemon.plots.observed import lookup, outcome_quantities
from hegemon.scenario.observables import OUTCOMES
from hegemon.scenario.schema import Scenario

__all__ = [
    "END_STATES",
    "PAIRED_DIFFERENCES",
    "comparison_figures",
    "end_state_figure",
    "end_states_of",
    "outcome_label",
    "paired_difference_figure",
    "paired_differences_of",
]

_STRIP_MAX = 400  # at most this many jittered points per box (a random, fixed subset)

# --- outcome labels ------------------------------------------------------------------------


def outcome_label(column: str, scenario: Scenario | None = None) -> str:
    """A readable label with units for an outcome column of ``scenario``'s runs, e.g.
    ``regional_cost_cum_musd__Russia`` -> ``Russia's regional spending, cumulative (US$ m)``;
    columns the scenario does not declare are spelled out."""
    return lookup(outcome_quantities(scenario), column).title()


def _tex(text: str) -> str:
    """Plain text for a matplotlib label: dollar signs must not start mathtext."""
    return str(text).replace("\\$", "$").replace("$", "\\$")


# --- small helpers ---------------------------------------------------------------------------


def _sig(value: float, digits: int = 3) -> str:
    """``value`` with about ``digits`` significant digits, thousands separated, signed."""
    if not np.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    mag = abs(value)
    if mag >= 10 ** (digits - 1):
        return f"{value:+,.0f}"
    decimals = min(digits - 1 - math.floor(math.log10(mag)), 6)
    return f"{value:+,.{decimals}f}"


def _reference_of(names: Sequence[str]) -> str:
    return names[0] if names else ""


def _compared_title(what: str, scenarios: Sequence[str]) -> str:
    """Figure title naming the reference (the first scenario)."""
    if not scenarios:
        return what
    ref = scenarios[0]
    others = len(scenarios) - 1
    if others == 0:
        return f"{what} — scenario: {ref}"
    if others <= 2:
        return f"{what} — {' vs '.join(scenarios)} (reference: {ref})"
    return f"{what} — {ref} (reference) and {others} other scenarios"


def _scenario_handles(scenarios: Sequence[str], start: int = 0) -> tuple[list[Any], list[str]]:
    handles: list[Any] = [
        Patch(facecolor=st.scenario_colour(start + i), edgecolor="none")
        for i in range(len(scenarios))
    ]
    return handles, [str(s) for s in scenarios]


def _scenario_panels(
    n: int, scenarios: int, width: float, row: float, extra: float
) -> tuple[Figure, list[Axes], int]:
    """A figure of ``n`` panels in one or two columns, each with a row per scenario (sharing
    the y axis), extra cells removed; ``row`` and ``extra`` size a panel's height. Returns
    the figure, its panels and the number of columns."""
    ncols = 1 if n == 1 else 2
    nrows = math.ceil(n / ncols)
    fig = _new_figure(width * ncols + 0.9, (0.42 * scenarios + row) * nrows + extra)
    grid = fig.subplots(nrows, ncols, sharey=True, squeeze=False)
    axes = [grid[k // ncols, k % ncols] for k in range(n)]
    for k in range(n, nrows * ncols):
        fig.delaxes(grid[k // ncols, k % ncols])
    for k, ax in enumerate(axes):
        st.style_axes(ax, grid="x")
        ax.spines["left"].set_visible(False)
        if k % ncols == 0:
            ax.tick_params(axis="y", labelleft=True)
    return fig, axes, ncols


def _bold_reference(ax: Axes, reference: str) -> None:
    for tick in ax.get_yticklabels():
        if tick.get_text() == reference:
            tick.set_fontweight("bold")


# --- end states ------------------------------------------------------------------------------


def _numeric(values: pd.Series) -> tuple[np.ndarray, bool]:
    """Values as floats (NaN for missing) and whether the column is boolean."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(float).to_numpy(dtype=float), True
    if values.dtype == object or isinstance(values.dtype, pd.CategoricalDtype):
        kinds = {type(v) for v in values.dropna()}
        if kinds and kinds <= {bool, np.bool_}:
            return values.map(lambda v: np.nan if pd.isna(v) else float(v)).to_numpy(float), True
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float), False


def _view_range(groups: Sequence[np.ndarray]) -> tuple[float, float] | None:
    """x limits that keep a few far outliers from squashing the boxes, or None (all data).

    The range spans the pooled 1-99% of the runs and every group's whiskers and mean; it is
    used only when the full range is more than 1.5 times as wide.
    """
    pooled = np.concatenate([g for g in groups if g.size]) if groups else np.empty(0)
    if pooled.size < 20:
        return None
    lo, hi = np.quantile(pooled, [0.01, 0.99])
    for g in groups:
        if g.size:
            q05, q95 = np.quantile(g, [0.05, 0.95])
            mean = float(np.mean(g))
            lo, hi = min(lo, q05, mean), max(hi, q95, mean)
    full = float(pooled.max() - pooled.min())
    if hi <= lo or full <= 1.5 * (hi - lo):
        return None
    pad = 0.04 * (hi - lo)
    return float(max(lo - pad, pooled.min())), float(min(hi + pad, pooled.max()))


def _box(
    ax: Axes,
    y: float,
    values: np.ndarray,
    colour: str,
    seed: int,
    view: tuple[float, float] | None = None,
) -> None:
    """Strip of jittered runs, box = middle 50%, whiskers = middle 90%, median bar, mean dot.

    With a ``view`` range, runs beyond it are drawn as small arrowheads at its edge.
    """
    q05, q25, q50, q75, q95 = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95])
    shown = values
    if shown.size > _STRIP_MAX:
        shown = np.random.default_rng(seed).choice(shown, _STRIP_MAX, replace=False)
    jitter = np.random.default_rng(seed + 1).uniform(-0.26, 0.26, shown.size)
    inside = np.ones(shown.size, dtype=bool)
    if view is not None:
        for edge, beyond, marker in (
            (view[0], shown < view[0], "<"),
            (view[1], shown > view[1], ">"),
        ):
            inside &= ~beyond
            if beyond.any():
                ax.scatter(
                    np.full(int(beyond.sum()), edge),
                    y + jitter[beyond],
                    s=14,
                    marker=marker,
                    color=colour,
                    alpha=0.55,
                    linewidths=0,
                    zorder=1.6,
                    clip_on=False,
                    label="_beyond",
                )
    ax.scatter(
        shown[inside],
        y + jitter[inside],
        s=5,
        color=colour,
        alpha=0.22,
        linewidths=0,
        zorder=1.5,
        rasterized=bool(inside.sum() > 200),
        label="_runs",
    )
    height = 0.44
    ax.add_patch(
        Rectangle(
            (q25, y - height / 2),
            q75 - q25,
            height,
            facecolor=colour,
            alpha=0.30,
            edgecolor="none",
            zorder=2,
        )
    )
    ax.add_patch(
        Rectangle(
            (q25, y - height / 2),
            q75 - q25,
            height,
            facecolor="none",
            edgecolor=colour,
            linewidth=1.2,
            zorder=2.2,
        )
    )
    ax.plot([q05, q25], [y, y], color=colour, linewidth=1.2, zorder=2.1, label="_whisker")
    ax.plot([q75, q95], [y, y], color=colour, linewidth=1.2, zorder=2.1, label="_whisker")
    for end in (q05, q95):
        ax.plot(
            [end, end],
            [y - 0.1, y + 0.1],
            color=colour,
            linewidth=1.2,
            zorder=2.1,
            label="_cap",
        )
    ax.plot(
        [q50, q50],
        [y - height / 2, y + height / 2],
        color=colour,
        linewidth=2.6,
        solid_capstyle="butt",
        zorder=2.4,
        label="_median",
    )
    ax.scatter(
        [float(np.mean(values))],
        [y],
        s=26,
        marker="D",
        color="white",
        edgecolors=colour,
        linewidths=1.3,
        zorder=2.6,
        label="_mean",
    )


def _share_bar(ax: Axes, y: float, share: float, colour: str) -> None:
    ax.barh([y], [share], height=0.5, color=colour, alpha=0.85, edgecolor="none", zorder=2)
    ax.text(
        share + 0.015,
        y,
        f"{share:.0%}",
        va="center",
        ha="left",
        fontsize=st.NOTE_SIZE + 0.5,
        color=st.TEXT,
        zorder=3,
    )


def end_state_figure(
    outcomes: pd.DataFrame,
    columns: Sequence[str],
    labels: Mapping[str, str] | None = None,
    *,
    scenario: Scenario | None = None,
) -> Figure:
    """Distribution across replicates of each outcome column at the horizon.

    One panel per column (in two columns of panels when there are several), one row per
    scenario in scenario colours, the reference (first scenario in ``outcomes``) on top. A row
    shows every run as a faint dot, a box over the middle 50%, whiskers over the middle 90%, a
    bar at the median and a diamond at the mean. Boolean columns (``ceasefire_held``) show the
    share of runs where the value is true instead. Missing values (``ceasefire_weeks`` is NaN
    when the ceasefire held) are left out and their share is noted right of the panel.

    ``labels`` maps columns to panel titles (default: the label and unit ``scenario``
    declares for the column, see :func:`outcome_label`). Raises ``ValueError`` when a
    column is absent or ``outcomes`` is empty.
    """
    columns = list(dict.fromkeys(str(c) for c in columns))
    if outcomes is None or outcomes.empty:
        raise ValueError("outcomes is empty")
    if not columns:
        raise ValueError("no outcome columns to plot")
    missing = [c for c in columns if c not in outcomes.columns]
    if missing:
        raise ValueError(f"outcomes has no column(s) {', '.join(map(repr, missing))}")
    labels = dict(labels or {})
    known = outcome_quantities(scenario)
    if "scenario" in outcomes.columns:
        names = outcomes["scenario"].astype(str)
    else:
        names = pd.Series("all", index=outcomes.index)
    scenarios = _scenarios(pd.DataFrame({"scenario": names}))
    reference = _reference_of(scenarios)
    n_s = len(scenarios)

    fig, axes, _ = _scenario_panels(len(columns), n_s, width=5.0, row=1.0, extra=1.3)
    ys = np.arange(n_s, dtype=float)
    any_box = False
    any_bar = False
    any_clipped = False
    for k, (ax, column) in enumerate(zip(axes, columns, strict=True)):
        quantity = lookup(known, column)
        label = labels.get(column) or quantity.title()
        values_all, boolean = _numeric(outcomes[column])
        notes: list[tuple[float, str]] = []
        groups = [values_all[(names == scen).to_numpy()] for scen in scenarios]
        view = None if boolean else _view_range([g[np.isfinite(g)] for g in groups])
        clipped = False
        for i, values in enumerate(groups):
            total = values.size
            finite = values[np.isfinite(values)]
            colour = st.scenario_colour(i)
            if total and finite.size < total:
                gone = 1.0 - finite.size / total
                means = quantity.missing or "no value"
                notes.append((ys[i], f"{gone:.0%} {means}"))
            if finite.size == 0:
                continue
            if boolean:
                _share_bar(ax, ys[i], float(finite.mean()), colour)
                any_bar = True
            else:
                _box(ax, ys[i], finite, colour, seed=7919 * k + i, view=view)
                any_box = True
                clipped = clipped or (
                    view is not None and bool(((finite < view[0]) | (finite > view[1])).any())
                )
        for y, text in notes:
            ax.annotate(
                text,
                xy=(1.0, y),
                xycoords=("axes fraction", "data"),
                xytext=(5, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=st.NOTE_SIZE,
                color=st.MUTED,
                annotation_clip=False,
            )
        if view is not None:
            ax.set_xlim(*view)
            any_clipped = any_clipped or clipped
        if boolean:
            ax.set_xlim(0.0, 1.0)
            ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        elif quantity.money:
            ax.xaxis.set_major_formatter(FuncFormatter(_money))
        ax.tick_params(axis="y", length=0, labelsize=st.LABEL_SIZE)
        _panel_title(ax, _tex(label))
    axes[0].set_yticks(ys, scenarios)
    axes[0].set_ylim(n_s - 0.5, -0.5)
    for ax in axes:
        _bold_reference(ax, reference)

    handles, names_ = _scenario_handles(scenarios) if n_s > 1 else ([], [])
    if any_box:
        grey = st.NEUTRAL
        handles += [
            Patch(facecolor=grey, alpha=0.3, edgecolor=grey),
            Line2D([], [], color=grey, linewidth=1.2, marker="|", markersize=7),
            Line2D([], [], color=grey, linewidth=0, marker="|", markersize=11, mew=2.6),
            Line2D([], [], color="white", marker="D", markeredgecolor=grey, markersize=5, lw=0),
        ]
        names_ += ["Middle 50% of runs", "Middle 90%", "Median", "Mean"]
    if any_bar:
        handles.append(Patch(facecolor=st.NEUTRAL, alpha=0.85))
        names_.append("Share of runs (yes/no outcomes)")
    if any_clipped:
        handles.append(Line2D([], [], color=st.NEUTRAL, lw=0, marker=">", markersize=5))
        names_.append("Runs beyond the axis")
    _legend(fig, handles, names_, max_cols=5)
    _suptitle(fig, _compared_title("Outcomes at the horizon", scenarios))
    return fig


# --- paired differences ----------------------------------------------------------------------

_PAIRED_COLUMNS = ("scenario", "outcome", "mean_diff", "ci_low", "ci_high")


def _pp(value: float, _pos: Any = None) -> str:
    text = f"{value * 100:+.0f} pp" if value else "0"
    return text.replace("-", "−")


def _signed_money(value: float, _pos: Any = None) -> str:
    return f"{value:+,.0f}".replace("-", "−") if value else "0"


def paired_difference_figure(paired: pd.DataFrame, *, scenario: Scenario | None = None) -> Figure:
    """Forest plot of paired differences from the reference scenario.

    ``paired`` has one row per (non-reference scenario, outcome) with ``scenario, outcome,
    mean_diff, ci_low, ci_high`` and ideally ``label, reference, n`` (the table of
    :func:`hegemon.analysis.compare.paired_differences`). One panel per outcome, each with
    its own scale; one row per scenario, in its comparison colour (the reference being
    scenario 0): a dot at the mean of (scenario − reference) over paired replicates, a bar
    over its 95% interval, and a line at zero. A dot is hollow when its interval includes 0.
    """
    if paired is None or paired.empty:
        raise ValueError("paired differences table is empty")
    absent = [c for c in _PAIRED_COLUMNS if c not in paired.columns]
    if absent:
        raise ValueError(f"paired differences table lacks column(s) {', '.join(absent)}")
    frame = paired.assign(
        scenario=paired["scenario"].astype(str), outcome=paired["outcome"].astype(str)
    )
    refs = (
        [str(r) for r in pd.unique(frame["reference"].dropna())]
        if "reference" in frame.columns
        else []
    )
    reference = refs[0] if refs else "the reference"
    scenarios = [str(s) for s in pd.unique(frame["scenario"])]
    outcomes = [str(o) for o in pd.unique(frame["outcome"])]
    n_s = len(scenarios)
    known = outcome_quantities(scenario)

    fig, axes, ncols = _scenario_panels(len(outcomes), n_s, width=4.9, row=1.05, extra=1.4)
    ys = np.arange(n_s, dtype=float)
    replicates: set[int] = set()
    any_hollow = False
    for ax, outcome in zip(axes, outcomes, strict=True):
        rows = frame[frame["outcome"] == outcome]
        label = (
            str(rows["label"].iloc[0])
            if "label" in rows.columns and pd.notna(rows["label"].iloc[0])
            else ""
        )
        quantity = lookup(known, outcome)
        title = quantity.title(label)
        bounds = [0.0]
        for _, row in rows.iterrows():
            i = scenarios.index(row["scenario"])
            colour = st.scenario_colour(i + 1)
            mean = float(row["mean_diff"])
            lo, hi = float(row["ci_low"]), float(row["ci_high"])
            if "n" in rows.columns and pd.notna(row["n"]):
                replicates.add(int(row["n"]))
            if not np.isfinite(mean):
                continue
            bounds += [v for v in (mean, lo, hi) if np.isfinite(v)]
            has_ci = np.isfinite(lo) and np.isfinite(hi)
            if has_ci:
                ax.plot([lo, hi], [ys[i], ys[i]], color=colour, linewidth=2.0, zorder=2)
                for end in (lo, hi):
                    ax.plot(
                        [end, end],
                        [ys[i] - 0.13, ys[i] + 0.13],
                        color=colour,
                        linewidth=1.4,
                        zorder=2,
                    )
            clear = has_ci and (lo > 0 or hi < 0)
            any_hollow = any_hollow or not clear
            ax.scatter(
                [mean],
                [ys[i]],
                s=46,
                color=colour if clear else "white",
                edgecolors=colour,
                linewidths=1.6,
                zorder=3,
            )
            text = _pp(mean) if quantity.share else _sig(mean).replace("-", "−")
            ax.annotate(
                text,
                xy=(mean, ys[i]),
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=st.NOTE_SIZE,
                color=colour,
                fontweight="bold",
                bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.85},
                zorder=4,
            )
        lo_b, hi_b = min(bounds), max(bounds)
        span = hi_b - lo_b
        if span <= 0:
            span = max(abs(hi_b), 1e-9)
        pad = 0.14 * span
        ax.set_xlim(lo_b - pad, hi_b + pad)
        ax.axvline(0.0, color=st.TEXT, linewidth=1.0, zorder=1.8)
        if quantity.share:
            ax.xaxis.set_major_formatter(FuncFormatter(_pp))
        elif quantity.money:
            ax.xaxis.set_major_formatter(FuncFormatter(_signed_money))
        ax.tick_params(axis="y", length=0, labelsize=st.LABEL_SIZE)
        _panel_title(ax, _tex(title))
    axes[0].set_yticks(ys, scenarios)
    axes[0].set_ylim(n_s - 0.5, -0.75)
    for ax in axes[-ncols:]:
        ax.set_xlabel(f"Scenario − {reference}")

    handles, names = _scenario_handles(scenarios, start=1)
    grey = st.NEUTRAL
    handles.append(
        Line2D([], [], color=grey, linewidth=2.0, marker="o", markersize=6, markerfacecolor=grey)
    )
    names.append("Mean difference, 95% interval")
    if any_hollow:
        handles.append(
            Line2D([], [], color=grey, lw=0, marker="o", markersize=6, markerfacecolor="white")
        )
        names.append("Interval includes 0")
    _legend(fig, handles, names, max_cols=4)
    runs = f" over {min(replicates):,} replicates" if len(replicates) == 1 else ""
    _suptitle(fig, f"Difference from {reference}: mean paired difference{runs}")
    return fig


# --- the comparison set ----------------------------------------------------------------------


def _default_end_columns(
    outcomes: pd.DataFrame, paired: pd.DataFrame | None, focal_power: str
) -> list[str]:
    if paired is not None and not paired.empty and "outcome" in paired.columns:
        wanted = [str(o) for o in pd.unique(paired["outcome"].astype(str))]
    else:
        wanted = [
            OUTCOMES[name].column(focal_power)
            for name in ("influence_change", "regional_cost_cum_musd", "peacekeeping_cost_cum_musd")
        ]
        wanted.append(OUTCOMES["ceasefire_held"].column())
    return [c for c in wanted if c in outcomes.columns]


def _labels_from(
    paired: pd.DataFrame | None, columns: Sequence[str], scenario: Scenario | None
) -> dict[str, str]:
    """Panel titles: the paired table's labels (with units) where it has them."""
    known = outcome_quantities(scenario)
    out = {c: lookup(known, c).title() for c in columns}
    if paired is not None and not paired.empty and {"outcome", "label"} <= set(paired.columns):
        for outcome, label in zip(paired["outcome"], paired["label"], strict=True):
            if str(outcome) in out and pd.notna(label) and str(label).strip():
                out[str(outcome)] = lookup(known, outcome).title(str(label))
    return out


def end_states_of(
    outcomes: pd.DataFrame | None,
    paired: pd.DataFrame | None,
    *,
    focal_power: str,
    scenario: Scenario | None = None,
    end_columns: Sequence[str] | None = None,
) -> Figure | None:
    """The ``end_states`` figure of a comparison: :func:`end_state_figure` of
    ``end_columns`` (default: the outcomes of ``paired``, else the focal power's headline
    outcomes); None without outcomes."""
    if outcomes is None or outcomes.empty:
        return None
    if end_columns is None:
        columns = _default_end_columns(outcomes, paired, focal_power)
    else:
        columns = [c for c in dict.fromkeys(map(str, end_columns)) if c in outcomes.columns]
    if not columns:
        return None
    labels = _labels_from(paired, columns, scenario)
    return end_state_figure(outcomes, columns, labels, scenario=scenario)


def paired_differences_of(
    paired: pd.DataFrame | None, *, scenario: Scenario | None = None
) -> Figure | None:
    """The ``paired_differences`` figure of a comparison (None without differences)."""
    if paired is None or paired.empty:
        return None
    return paired_difference_figure(paired, scenario=scenario)


def comparison_figures(
    summary: pd.DataFrame | None,
    outcomes: pd.DataFrame | None,
    paired: pd.DataFrame | None,
    out_dir: str | Path,
    *,
    focal_power: str,
    scenario: Scenario | None = None,
    end_columns: Sequence[str] | None = None,
    formats: Sequence[str] = FORMATS,
    observed: pd.DataFrame | None = None,
    pool: Executor | None = None,
) -> list[Path]:
    """Write the figures of a scenario comparison to ``out_dir`` and return their paths.
    ``observed`` puts the observations on the fan charts of their metrics; ``pool``
    (:func:`hegemon.plots.jobs.figure_pool`) draws them concurrently.

    The standard set (:func:`~hegemon.plots.figures.draw_all` on the multi-scenario frames:
    overlaid fan charts, survival curves, regime shares per scenario), then
    ``end_states`` (:func:`end_state_figure` of ``end_columns``; default: the outcomes of
    ``paired``, else the focal power's headline outcomes) and ``paired_differences``
    (:func:`paired_difference_figure`). Figures without data are skipped. ``focal_power`` is
    the reference scenario's focus; ``scenario`` (the reference) declares the outcomes'
    labels and units.
    """
    jobs = comparison_jobs(
        summary,
        outcomes,
        paired,
        focal_power=focal_power,
        scenario=scenario,
        end_columns=end_columns,
        observed=observed,
    )
    return draw_jobs(jobs, Path(out_dir), formats, pool)

"""Standard figures for hegemon ensemble results.

Every function takes the stable results frames (``summary``: one row per
scenario/step/metric/actor/target with ``mean, q05 .. q95``; ``outcomes``: one row per
replicate with ``scenario, replicate, regime``) and returns a :class:`matplotlib.figure.Figure`.

* Figures are built with ``matplotlib.figure.Figure`` directly: no pyplot state, no backend
  switch, safe in threads and notebooks (a returned Figure displays inline in Jupyter).
* Artists are styled explicitly, so the output does not depend on the caller's ``rcParams``.
* A frame holding one scenario gives the scenario's figure; a frame holding several gives a
  comparison: one line/fan per scenario on shared axes, coloured by scenario order.
* Metrics absent from ``summary`` make the figure functions raise ``ValueError``;
  :func:`draw_all` skips those figures instead.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import (
    FixedFormatter,
    FixedLocator,
    FuncFormatter,
    MultipleLocator,
    PercentFormatter,
)
from matplotlib.transforms import blended_transform_factory

from hegemon.plots import style as st
from hegemon.plots.jobs import FORMATS, draw_jobs, standard_jobs

__all__ = [
    "FIGURES",
    "Panel",
    "Series",
    "available_figures",
    "cost_figure",
    "decline_curve_figure",
    "draw_all",
    "fan_chart",
    "fan_figure",
    "figure_png",
    "influence_figure",
    "influence_over_figure",
    "peacekeepers_figure",
    "regime_figure",
    "standard_figure",
    "survival_figure",
    "territory_figure",
    "trust_figure",
]

QUANTILES = ("q05", "q25", "q50", "q75", "q95")
SHARE_KINDS = ("index", "percent")
SAVE_DPI = 160
#: zlib level of the PNG files: 1 writes the same pixels in about two thirds of the time
#: of Pillow's default 6 (a run's ten figures: 0.20 against 0.29 s), in files a sixth larger.
PNG_COMPRESSION = 1
#: Shares (influence, trust, territory) on a 0-1 y axis always (True), or on 0 to the first
#: of SHARE_TOPS that holds every plotted value (False: small shares stay readable).
FULL_SHARE_AXES = False
SHARE_TOPS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)
COST_METRICS = ("regional_cost_cum_musd", "peacekeeping_cost_cum_musd")

FigureFunction = Callable[[pd.DataFrame | None, pd.DataFrame | None, str], Figure]


# --- data helpers ----------------------------------------------------------------------------


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _metric_rows(summary: pd.DataFrame | None, metric: str) -> pd.DataFrame:
    if summary is None or summary.empty or "metric" not in summary.columns:
        return pd.DataFrame(columns=["scenario", "metric", "actor", "target"])
    return summary[summary["metric"] == metric]


def _has(summary: pd.DataFrame | None, metric: str, actor: str | None = None) -> bool:
    rows = _metric_rows(summary, metric)
    if actor is not None and not rows.empty:
        rows = rows[rows["actor"] == actor]
    return not rows.empty


def _require(summary: pd.DataFrame | None, metric: str) -> pd.DataFrame:
    rows = _metric_rows(summary, metric)
    if rows.empty:
        known = [] if summary is None or "metric" not in summary else summary["metric"].unique()
        raise ValueError(
            f"summary has no rows for metric {metric!r} (metrics present: "
            f"{', '.join(sorted(map(str, known))) or 'none'})"
        )
    return rows


def _scenarios(frame: pd.DataFrame | None) -> list[str]:
    """Scenario names in order of first appearance."""
    if frame is None or frame.empty or "scenario" not in frame.columns:
        return []
    return [str(s) for s in pd.unique(frame["scenario"].dropna())]


def _by_scenario(frame: pd.DataFrame, scenarios: Sequence[str]) -> dict[str, pd.DataFrame]:
    if len(scenarios) <= 1:
        return {scenarios[0] if scenarios else "": frame}
    names = frame["scenario"].astype(str)
    return {s: frame[names == s] for s in scenarios}


def _x(rows: pd.DataFrame) -> np.ndarray:
    """x values of a series: dates when the frame has them, else step numbers."""
    if "date" in rows.columns and rows["date"].notna().any():
        return pd.to_datetime(rows["date"]).to_numpy()
    return rows["step"].to_numpy(dtype=float)


def _series(
    summary: pd.DataFrame, metric: str, *, actor: str | None = None, target: str | None = None
) -> pd.DataFrame:
    """One series (x, mean, q05..q95) sorted by x; empty frame when nothing matches."""
    rows = _metric_rows(summary, metric)
    if actor is not None:
        rows = rows[rows["actor"] == actor]
    if target is not None:
        rows = rows[rows["target"] == target]
    columns = ["x", "mean", *QUANTILES]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    if "scenario" in rows.columns and rows["scenario"].nunique() > 1:
        raise ValueError(
            f"{metric!r}: the frame holds several scenarios; pass one scenario's rows per call"
        )
    x = _x(rows)
    order = np.argsort(x, kind="stable")
    data = {"x": x[order]}
    for col in ("mean", *QUANTILES):
        values = rows[col] if col in rows.columns else rows["mean"]
        data[col] = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)[order]
    data = pd.DataFrame(data)
    if data["x"].duplicated().any():
        what = f"metric={metric!r} actor={actor!r} target={target!r}"
        raise ValueError(
            f"{what}: several rows per date; select the actor/target (and scenario) to plot"
        )
    return data


def _is_dates(x: np.ndarray) -> bool:
    return np.issubdtype(np.asarray(x).dtype, np.datetime64)


def _xnum(x: Any) -> float:
    """A position on an x axis (dates become matplotlib date numbers)."""
    if isinstance(x, np.datetime64 | dt.date):  # a Timestamp is a date
        return float(mdates.date2num(pd.Timestamp(x)))
    return float(x)


def _anniversaries(x: np.ndarray, years: Iterable[int]) -> list[tuple[int, int]]:
    """(years, index) of the last point at or before each anniversary of the first date.

    An anniversary at most one step past the last date still counts (261 weekly steps end a
    few days short of five calendar years).
    """
    if len(x) == 0 or not _is_dates(x):
        return []
    start = pd.Timestamp(x[0])
    step = pd.Timedelta(np.median(np.diff(x))) if len(x) > 1 else pd.Timedelta(days=7)
    out = []
    for k in years:
        mark = start + pd.DateOffset(years=k)
        if mark > pd.Timestamp(x[-1]) + step:
            continue
        idx = int(np.searchsorted(x, np.datetime64(mark), side="right")) - 1
        out.append((k, max(idx, 0)))
    return out


# --- styling helpers -------------------------------------------------------------------------


def _title(what: str, scenarios: Sequence[str]) -> str:
    if not scenarios:
        return what
    if len(scenarios) == 1:
        return f"{what} — scenario: {scenarios[0]}"
    if len(scenarios) <= 3:
        return f"{what} — {' vs '.join(scenarios)}"
    return f"{what} — {len(scenarios)} scenarios compared"


def _suptitle(fig: Figure, text: str) -> None:
    fig.suptitle(
        text,
        x=0.01,
        ha="left",
        fontsize=st.TITLE_SIZE,
        fontweight="bold",
        color=st.TEXT,
    )


def _panel_title(ax: Axes, text: str) -> None:
    ax.set_title(text, loc="left", fontsize=st.PANEL_TITLE_SIZE, fontweight="bold", pad=6)


def _subtitle(ax: Axes, text: str) -> None:
    """A quiet one-line note above a single-panel figure's axes."""
    ax.set_title(text, loc="left", fontsize=st.NOTE_SIZE + 0.5, color=st.MUTED, pad=8)


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))


def _money(v: float, _pos: Any = None) -> str:
    return f"{v:,.0f}"


def _share_top(highest: float) -> float:
    """Upper y limit for a 0-1 share whose highest plotted value is ``highest``.

    The axis always starts at 0 and ends at 1 unless every value sits well below 1: then it
    ends at the first of 0.1, 0.2, ... 0.6, 0.8 that clears the data, so that an influence
    of 0.15 is not a flat line at the bottom of an empty panel.
    """
    if FULL_SHARE_AXES or not np.isfinite(highest):
        return 1.0
    for top in SHARE_TOPS:
        if highest <= 0.95 * top:
            return top
    return 1.0


def _y_axis(ax: Axes, kind: str, top: float = 1.0) -> None:
    if kind in SHARE_KINDS:
        ax.set_ylim(0.0, top)
        ax.yaxis.set_major_locator(MultipleLocator(0.25 if top > 0.6 else 0.1))
        if kind == "index":
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.2f}"))
        else:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    else:
        ax.set_ylim(bottom=0.0)
        ax.yaxis.set_major_formatter(FuncFormatter(_money))


def _fan_handle(colour: str, linestyle: str = "-") -> tuple[Patch, Line2D]:
    band = Patch(facecolor=colour, alpha=st.BAND_ALPHA_50, linewidth=0)
    return band, Line2D([], [], color=colour, linewidth=st.LINE_WIDTH, linestyle=linestyle)


def _band_key(*, with90: bool = True) -> tuple[list[Any], list[str]]:
    """Legend entries explaining the median line and the shaded bands."""
    both = 1.0 - (1.0 - st.BAND_ALPHA_90) * (1.0 - st.BAND_ALPHA_50)
    handles: list[Any] = [
        Line2D([], [], color=st.NEUTRAL, linewidth=st.LINE_WIDTH),
        Patch(facecolor=st.NEUTRAL, alpha=both if with90 else st.BAND_ALPHA_50, linewidth=0),
    ]
    labels = ["Median", "Middle 50% of runs"]
    if with90:
        handles.append(Patch(facecolor=st.NEUTRAL, alpha=st.BAND_ALPHA_90, linewidth=0))
        labels.append("Middle 90% of runs")
    return handles, labels


#: Legend text and spacing (points are scaled by the legend's font size).
_LEGEND_KW: dict[str, Any] = {
    "frameon": False,
    "fontsize": st.LEGEND_SIZE,
    "columnspacing": 1.6,
    "labelspacing": 0.45,
    "labelcolor": st.TEXT,
}
#: Space kept free either side of a figure legend (inches).
_LEGEND_MARGIN = 0.12


def _blank() -> Patch:
    """An invisible legend entry that pads a row of the legend grid."""
    return Patch(facecolor="none", edgecolor="none", linewidth=0)


def _legend_grid(
    entries: list[tuple[Any, str]], key: list[tuple[Any, str]], ncols: int
) -> tuple[list[tuple[Any, str]], int]:
    """Entries laid out ``ncols`` wide, read left to right; returns (entries, rows).

    When everything fits on one row it stays one row. Otherwise the entries fill rows of
    ``ncols`` and the key starts a row of its own. Matplotlib fills legends column by
    column, so the row-major grid (padded with blanks) is returned in column order.
    """
    if len(entries) + len(key) <= ncols:
        return entries + key, 1

    def padded(items: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
        return items + [(_blank(), "")] * (-len(items) % ncols)

    grid = padded(entries) + padded(key)
    rows = len(grid) // ncols
    return [grid[r * ncols + c] for c in range(ncols) for r in range(rows)], rows


def _legend_width(fig: Figure, legend: Any) -> float:
    """Width of ``legend`` in inches, measured without drawing the figure."""
    from matplotlib.backends.backend_agg import RendererAgg

    renderer = RendererAgg(1, 1, fig.dpi)
    return float(legend.get_window_extent(renderer).width) / fig.dpi


def _legend(
    fig: Figure,
    handles: list[Any],
    labels: list[str],
    *,
    key: tuple[list[Any], list[str]] | None = None,
    max_cols: int = 6,
    handlelength: float = 2.2,
) -> Any:
    """A legend below the axes, as many columns wide as fit in the figure.

    ``handles``/``labels`` are the series (scenarios, powers); ``key`` the entries that
    explain the marks (median, bands), which go on a row of their own when the legend needs
    several rows. Columns are tried from ``max_cols`` down until the legend fits the figure
    width; rows are then balanced (5 entries on 3 columns read 3 + 2, not 4 + 1). The figure
    grows by the height of any extra rows, so the axes keep their size. Returns the legend.
    """
    entries = list(zip(handles, labels, strict=True))
    key_entries = list(zip(*key, strict=True)) if key else []
    total = len(entries) + len(key_entries)
    if not total:
        return None
    room = fig.get_figwidth() - 2 * _LEGEND_MARGIN

    def place(ncols: int) -> tuple[Any, int]:
        items, rows = _legend_grid(entries, key_entries, ncols)
        legend = fig.legend(
            [h for h, _ in items],
            [lab for _, lab in items],
            loc="outside lower center",
            ncols=max(1, math.ceil(len(items) / rows)),
            handlelength=handlelength,
            **_LEGEND_KW,
        )
        return legend, rows

    legend, rows = None, 1
    for widest in range(min(max_cols, total), 0, -1):
        ncols = widest
        if widest < total and entries:
            # as many rows as this width needs, filled evenly; the key needs its own width
            per_row = math.ceil(len(entries) / math.ceil(len(entries) / widest))
            ncols = max(per_row, min(len(key_entries), widest))
        legend, rows = place(ncols)
        if widest == 1 or _legend_width(fig, legend) <= room:
            break
        legend.remove()
    if rows > 1:
        row_height = _LEGEND_KW["fontsize"] * (1.0 + _LEGEND_KW["labelspacing"]) / 72.0
        fig.set_figheight(fig.get_figheight() + (rows - 1) * row_height)
    return legend


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained", facecolor="white")
    fig.get_layout_engine().set(w_pad=0.06, h_pad=0.06, wspace=0.04, hspace=0.06)
    return fig


def _grid(
    fig: Figure, nrows: int, ncols: int, used: set[tuple[int, int]], *, sharey: bool
) -> dict[tuple[int, int], Axes]:
    """Shared-axes grid with only the ``used`` cells kept (tick labels fixed up)."""
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=sharey, squeeze=False)
    kept: dict[tuple[int, int], Axes] = {}
    for r in range(nrows):
        for c in range(ncols):
            if (r, c) in used:
                kept[(r, c)] = axes[r, c]
            else:
                fig.delaxes(axes[r, c])
    for (r, c), ax in kept.items():
        st.style_axes(ax)
        if not any((rr, c) in used for rr in range(r + 1, nrows)):
            ax.tick_params(axis="x", labelbottom=True)  # nothing below: show the dates here
        if sharey and c > 0 and not any((r, cc) in used for cc in range(c)):
            ax.tick_params(axis="y", labelleft=True)
    return kept


def _end_labels(ax: Axes, kind: str) -> None:
    """Write each median's final value just right of its line end, nudged apart."""
    ends = []
    for line in ax.get_lines():
        if str(line.get_label()).startswith("_"):
            continue
        xs, ys = np.asarray(line.get_xdata()), np.asarray(line.get_ydata(), dtype=float)
        ok = np.flatnonzero(~np.isnan(ys))
        if ok.size:
            ends.append((float(ys[ok[-1]]), _xnum(xs[ok[-1]]), line.get_color()))
    if not ends:
        return
    # inside the axes, right-aligned at the line ends and nudged apart, so that no label
    # spills over the axes (several scenarios' labels at the same end stack downwards)
    ends.sort(key=lambda e: -e[0])
    lo, hi = ax.get_ylim()
    gap = 0.07 * (hi - lo)
    previous = math.inf
    for value, x, colour in ends:
        ypos = min(value + 0.035 * (hi - lo), previous - gap, hi - 0.04 * (hi - lo))
        ypos = max(ypos, lo + 0.04 * (hi - lo))
        previous = ypos
        text = f"{value:.0%}" if kind == "percent" else _money(value)
        ax.annotate(
            text,
            xy=(x, ypos),
            xytext=(-3, 0),
            textcoords="offset points",
            va="center",
            ha="right",
            fontsize=st.NOTE_SIZE,
            color=colour,
            fontweight="bold",
            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
            zorder=4,
            gid="end_label",
        )


# --- the fan chart ---------------------------------------------------------------------------


def fan_chart(
    ax: Axes,
    summary: pd.DataFrame,
    metric: str,
    *,
    actor: str | None = None,
    target: str | None = None,
    colour: str | None = None,
    label: str | None = None,
    linestyle: str = "-",
    bands: Sequence[int] = (90, 50),
) -> None:
    """Draw one series on ``ax``: 90% band (q05-q95), 50% band (q25-q75), median line.

    ``summary`` must hold one scenario for the selected metric/actor/target (filter it first
    to overlay scenarios, each with its own ``colour`` and ``label``). The bands are
    PolyCollections with gids ``fan90`` and ``fan50``, drawn in that order under the median
    line, whose label is ``label`` (default: the actor, else the metric). The default colour
    is the actor's colour. ``bands=(50,)`` drops the 90% band (the standard figures do that
    when several fans share an axes). Raises ``ValueError`` when no row matches.
    """
    data = _series(summary, metric, actor=actor, target=target)
    if data.empty:
        raise ValueError(f"no rows for metric={metric!r} actor={actor!r} target={target!r}")
    if colour is None:
        colour = st.actor_colour(actor) if actor is not None else st.NEUTRAL
    if label is None:
        label = str(actor) if actor is not None else metric
    x = data["x"].to_numpy()
    for band, lo, hi, alpha, zorder in (
        (90, "q05", "q95", st.BAND_ALPHA_90, 1.5),
        (50, "q25", "q75", st.BAND_ALPHA_50, 1.6),
    ):
        if band in bands:  # the wider band first, beneath the narrower one
            ax.fill_between(
                x,
                data[lo].to_numpy(),
                data[hi].to_numpy(),
                color=colour,
                alpha=alpha,
                linewidth=0,
                zorder=zorder,
                gid=f"fan{band}",
                label=f"_{label} {band}%",
            )
    ax.plot(
        x,
        data["q50"].to_numpy(),
        color=colour,
        linewidth=st.LINE_WIDTH,
        linestyle=linestyle,
        solid_capstyle="round",
        zorder=2.5,
        label=label,
    )
    ax.margins(x=0)
    if _is_dates(x):
        _date_axis(ax)


# --- generic fan-panel figures ---------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """One series of a fan panel: the summary rows of (metric, actor, target)."""

    metric: str
    actor: str | None
    target: str | None
    label: str
    colour: str
    alone: str = ""  # panel title when the series gets a panel of its own (comparisons)


@dataclass(frozen=True)
class Panel:
    title: str
    series: tuple[Series, ...]


def _no_data(ax: Axes) -> None:
    ax.text(
        0.5,
        0.5,
        "no data",
        transform=ax.transAxes,
        ha="center",
        va="center",
        color=st.MUTED,
        fontsize=st.NOTE_SIZE,
    )


def fan_figure(
    summary: pd.DataFrame,
    *,
    what: str,
    panels: Sequence[Panel],
    ylabel: str,
    kind: str,
    ncols: int = 1,
    context: bool = False,
    end_labels: bool = False,
    panel_size: tuple[float, float] = (4.2, 2.9),
    note: str | None = None,
    overlay: bool = False,
    span: tuple[Any, Any] | None = None,
    observed: pd.DataFrame | None = None,
) -> Figure:
    """Fan charts (:func:`fan_chart`) in a grid of panels, titled ``what``.

    ``observed`` (:func:`hegemon.analysis.scores.observed_points`: ``metric, actor, target,
    date, value, low, high, filled``) adds the observations of the panels' series as points
    with their 95% intervals: filled up to the calibration cut-off, hollow after it.

    One scenario: each panel overlays its series in their own colours (``context``: the
    other panels' medians in grey behind). Several scenarios: each series gets its own panel
    (rows = the panels given) overlaying the scenarios in scenario colours; or, with
    ``overlay``, the panels stay as given and each scenario's series keep their colours, the
    scenarios told apart by line style. ``kind`` is ``index`` or ``percent`` (a share, on a
    0-1 axis), else an amount; ``span`` fixes the x range (e.g. the whole horizon).
    """
    metrics = {s.metric for p in panels for s in p.series}
    frame = summary[summary["metric"].isin(metrics)]
    scenarios = _scenarios(frame)
    multi = len(scenarios) > 1
    split = multi and not overlay
    frames = _by_scenario(frame, scenarios)
    top = _share_top(float(pd.to_numeric(frame["q95"], errors="coerce").max()))

    if split and any(len(p.series) > 1 for p in panels):
        ncols = max(len(p.series) for p in panels)
        cells = [
            (r, c, Panel(s.alone or f"{p.title}: {s.label}", (s,)))
            for r, p in enumerate(panels)
            for c, s in enumerate(p.series)
        ]
    else:
        ncols = max(1, min(ncols, len(panels)))
        cells = [(i // ncols, i % ncols, p) for i, p in enumerate(panels)]
    nrows = max(r for r, _, _ in cells) + 1
    single_axes = len(cells) == 1
    width = panel_size[0] * ncols + (1.6 if single_axes else 0.4)
    height = panel_size[1] * nrows + (1.3 if single_axes else 1.1)
    fig = _new_figure(width, height)
    axes = _grid(fig, nrows, ncols, {(r, c) for r, c, _ in cells}, sharey=kind in SHARE_KINDS)

    def present(rows: pd.DataFrame, s: Series) -> bool:
        return not _series(rows, s.metric, actor=s.actor, target=s.target).empty

    any90 = False
    kinds: set[bool] = set()  # filled (True) and hollow (False) observations drawn
    for r, c, panel in cells:
        ax = axes[(r, c)]
        # (rows, series, colour, label, line style) of every fan on the panel
        todo = [
            (frames[scen], s, st.scenario_colour(i), scen, st.scenario_linestyle(i))
            if split
            else (frames[scen], s, s.colour, s.label, _overlay_linestyle(i))
            for i, scen in enumerate(frames)
            for s in panel.series
            if present(frames[scen], s)
        ]
        if context and not multi:
            own = {(s.actor, s.target) for s in panel.series}
            for s in (s for p in panels for s in p.series if (s.actor, s.target) not in own):
                data = _series(frame, s.metric, actor=s.actor, target=s.target)
                if not data.empty:
                    ax.plot(
                        data["x"].to_numpy(),
                        data["q50"].to_numpy(),
                        color=st.CONTEXT,
                        linewidth=1.1,
                        zorder=1.2,
                        label="_context",
                    )
        bands = (90, 50) if len(todo) == 1 else (50,)
        for rows, s, colour, label, linestyle in todo:
            fan_chart(
                ax,
                rows,
                s.metric,
                actor=s.actor,
                target=s.target,
                colour=colour,
                label=label,
                linestyle=linestyle,
                bands=bands,
            )
        any90 = any90 or len(todo) == 1
        drawn = {(s.metric, s.actor, s.target): s for _, s, *_ in todo}
        for s in drawn.values():
            kinds |= _observed(ax, observed, s, st.NEUTRAL if split else s.colour)
        if not todo:
            _no_data(ax)
        if single_axes and note:
            _subtitle(ax, note)
        else:
            _panel_title(ax, panel.title)
        if c == 0 or kind not in SHARE_KINDS:
            ax.set_ylabel(ylabel)
        _y_axis(ax, kind, top)
        if span is not None:
            ax.set_xlim(_xnum(span[0]), _xnum(span[1]))
        if end_labels and todo:
            _end_labels(ax, kind)

    # legend: scenarios (split) or series (when panels overlay several), then the band key
    handles: list[Any] = []
    labels: list[str] = []
    if split:
        for i, scen in enumerate(scenarios):
            handles.append(_fan_handle(st.scenario_colour(i), st.scenario_linestyle(i)))
            twin = i > 0 and _same_fans(frames[scenarios[0]], frames[scen])
            labels.append(f"{scen}  (same as {scenarios[0]})" if twin else scen)
    elif any(len(p.series) > 1 for p in panels) or single_axes:
        seen: dict[str, str] = {}
        for p in panels:
            for s in p.series:
                seen.setdefault(s.label, s.colour)
        for lab, col in seen.items():
            handles.append(_fan_handle(col))
            labels.append(lab)
    if multi and overlay:
        for i, scen in enumerate(scenarios):
            handles.append(
                Line2D([], [], color=st.NEUTRAL, linewidth=st.LINE_WIDTH, ls=_overlay_linestyle(i))
            )
            labels.append(scen)
    if context and not multi and len(panels) > 1:
        handles.append(Line2D([], [], color=st.CONTEXT, linewidth=1.1))
        labels.append("Other powers (median)")
    for handle, label in _observed_legend(kinds):
        handles.append(handle)
        labels.append(label)
    _legend(fig, handles, labels, key=_band_key(with90=any90))
    _suptitle(fig, _title(what, scenarios))
    return fig


def _observed(ax: Axes, observed: pd.DataFrame | None, s: Series, colour: str) -> set[bool]:
    """Draw the observations of series ``s`` on ``ax`` (gid ``observed``); which kinds
    (filled, hollow) were drawn."""
    if observed is None or observed.empty:
        return set()
    rows = observed[observed["metric"] == s.metric]
    for column, value in (("actor", s.actor), ("target", s.target)):
        rows = rows[rows[column].isna()] if value is None else rows[rows[column] == value]
    kinds = set()
    for filled, group in rows.groupby("filled", sort=False):
        x = pd.to_datetime(group["date"]).to_numpy()
        y = group["value"].to_numpy(float)
        gid = "observed" if filled else "observed_after"
        ax.vlines(
            x,
            group["low"].to_numpy(float),
            group["high"].to_numpy(float),
            colors=st.TEXT,
            linewidth=1.0,
            zorder=3.4,
            gid=f"{gid}_interval",
            label="_observed",
        )
        ax.scatter(
            x,
            y,
            s=32,
            facecolors=colour if filled else "white",
            edgecolors=st.TEXT,
            linewidths=1.1,
            zorder=3.5,
            gid=gid,
            label="_observed",
        )
        kinds.add(bool(filled))
    return kinds


def _observed_handle(filled: bool) -> Line2D:
    return Line2D(
        [], [], marker="o", linestyle="", color=st.TEXT, markeredgecolor=st.TEXT,
        markerfacecolor=st.NEUTRAL if filled else "white", markersize=5.5,
    )  # fmt: skip


def _observed_legend(kinds: set[bool]) -> list[tuple[Line2D, str]]:
    """Legend entries for the kinds of observation drawn (filled: up to the cut-off)."""
    return [
        (
            _observed_handle(filled),
            ("Observed, 95% interval" if False not in kinds else "Observed up to the cut-off")
            if filled
            else ("Observed after the cut-off" if True in kinds else "Observed, 95% interval"),
        )
        for filled in sorted(kinds, reverse=True)
    ]


def _same_fans(reference: pd.DataFrame, other: pd.DataFrame) -> bool:
    """Whether a scenario's fans are the reference's, every series and step (common random
    numbers: a scenario that does not touch them draws them hidden under the reference's)."""
    keys = ["metric", "actor", "target", "step"]
    cols = ["mean", *QUANTILES]
    a = reference.astype({k: object for k in keys[:3]}).fillna({k: "" for k in keys[:3]})
    b = other.astype({k: object for k in keys[:3]}).fillna({k: "" for k in keys[:3]})
    a, b = a.set_index(keys)[cols].sort_index(), b.set_index(keys)[cols].sort_index()
    if len(a) != len(b) or not a.index.equals(b.index):
        return False
    return bool(np.allclose(a.to_numpy(float), b.to_numpy(float), atol=1e-9, equal_nan=True))


def _wrap_cols(n: int, max_cols: int = 3) -> int:
    if n <= max_cols:
        return n
    rows = math.ceil(n / max_cols)
    return math.ceil(n / rows)


# --- standard figures ------------------------------------------------------------------------


def influence_figure(summary: pd.DataFrame) -> Figure:
    """Influence (0-1) of each power over time: one panel per power, other powers in grey."""
    rows = _require(summary, "influence")
    powers = st.order_actors(rows["actor"])
    panels = [Panel(p, (Series("influence", p, None, p, st.actor_colour(p)),)) for p in powers]
    return fan_figure(
        rows,
        what="Regional influence of each power",
        panels=panels,
        ylabel="Influence (0–1)",
        kind="index",
        ncols=_wrap_cols(len(panels)),
        context=True,
    )


def influence_over_figure(summary: pd.DataFrame) -> Figure:
    """Influence (0-1) of each power over each local state: grid of local state × power."""
    rows = _require(summary, "influence_over")
    powers = st.order_actors(rows["actor"])
    states = st.order_actors(rows["target"])
    panels = [
        Panel(
            f"{p} in {t}",
            (Series("influence_over", p, t, p, st.actor_colour(p)),),
        )
        for t in states
        for p in powers
    ]
    return fan_figure(
        rows,
        what="Influence over each local state",
        panels=panels,
        ylabel="Influence (0–1)",
        kind="index",
        ncols=len(powers),
        panel_size=(3.6, 2.5),
    )


def trust_figure(summary: pd.DataFrame, *, observed: pd.DataFrame | None = None) -> Figure:
    """Each local state's trust (0-1) in each power: one panel per local state."""
    rows = _require(summary, "trust")
    states = st.order_actors(rows["actor"])
    panels = []
    for s in states:
        powers = st.order_actors(rows.loc[rows["actor"] == s, "target"])
        series = tuple(
            Series("trust", s, p, p, st.actor_colour(p), alone=f"{s}'s trust in {p}")
            for p in powers
        )
        panels.append(Panel(f"{s}'s trust in each power", series))
    return fan_figure(
        rows,
        what="Trust of the local states in the powers",
        panels=panels,
        ylabel="Trust (0–1)",
        kind="index",
        ncols=_wrap_cols(len(panels)),
        observed=observed,
    )


def peacekeepers_figure(summary: pd.DataFrame, *, observed: pd.DataFrame | None = None) -> Figure:
    """Peacekeeping troops deployed by each power: the mean over the runs, a line per power
    (and per scenario in a comparison). Troops are step-like (a mandate is there in full or
    gone), so quantile bands would jump between 0 and the full contingent while the median
    stays flat; the mean is the expected deployment, i.e. the contingent times the share
    of runs that still have it."""
    rows = _require(summary, "peacekeepers")
    scenarios = _scenarios(rows)
    multi = len(scenarios) > 1
    powers = st.order_actors(rows["actor"])
    fig = _new_figure(8.0, 5.0 if multi else 4.6)
    ax = fig.add_subplot()
    st.style_axes(ax)
    handles: list[Any] = []
    labels: list[str] = []
    kinds: set[bool] = set()
    for i, (scen, frame) in enumerate(_by_scenario(rows, scenarios).items()):
        for j, power in enumerate(powers):
            data = _series(frame, "peacekeepers", actor=power)
            if data.empty:
                continue
            colour = st.scenario_colour(i) if multi else st.actor_colour(power)
            style = _overlay_linestyle(j if multi else 0)
            label = f"{scen}: {power}" if multi else power
            ax.plot(
                data["x"].to_numpy(),
                data["mean"].to_numpy(),
                color=colour,
                linestyle=style,
                linewidth=st.LINE_WIDTH,
                drawstyle="steps-post",
                zorder=2.5 + 0.01 * i,
                label=label,
                gid="peacekeepers_mean",
            )
            if not multi:
                handles.append(Line2D([], [], color=colour, lw=st.LINE_WIDTH))
                labels.append(power)
            if i == 0:
                series = Series("peacekeepers", power, None, power, colour)
                kinds |= _observed(ax, observed, series, colour)
    ax.margins(x=0)
    if _is_dates(_x(rows)):
        _date_axis(ax)
    _y_axis(ax, "count")
    ax.set_ylabel("Peacekeepers (troops), mean over the runs")
    _end_labels(ax, "count")
    _subtitle(ax, "Mean troops on the ground, by power; labels give the mean at the horizon")
    if multi:  # scenarios by colour, powers by line style
        for i, scen in enumerate(scenarios):
            handles.append(Line2D([], [], color=st.scenario_colour(i), lw=st.LINE_WIDTH))
            labels.append(scen)
        for j, power in enumerate(powers if len(powers) > 1 else []):
            style = _overlay_linestyle(j)
            handles.append(Line2D([], [], color=st.NEUTRAL, linestyle=style, lw=st.LINE_WIDTH))
            labels.append(power)
    for handle, label in _observed_legend(kinds):
        handles.append(handle)
        labels.append(label)
    if handles and (multi or len(powers) > 1 or kinds):
        _legend(fig, handles, labels, max_cols=4)
    _suptitle(fig, _title("Peacekeepers deployed", scenarios))
    return fig


def cost_figure(summary: pd.DataFrame) -> Figure:
    """Cumulative peacekeeping cost and total regional spending per power (US$ million)."""
    specs = [
        ("peacekeeping_cost_cum_musd", "Peacekeeping, cumulative"),
        ("regional_cost_cum_musd", "All regional spending, cumulative"),
    ]
    present = [(m, t) for m, t in specs if _has(summary, m)]
    if not present:
        _require(summary, specs[0][0])
    rows = summary[summary["metric"].isin([m for m, _ in present])]
    panels = []
    for metric, title in present:
        powers = st.order_actors(rows.loc[rows["metric"] == metric, "actor"])
        series = tuple(
            Series(metric, p, None, p, st.actor_colour(p), alone=f"{p}: {title.lower()}")
            for p in powers
        )
        panels.append(Panel(title, series))
    note = f"{panels[0].title}; labels give the median at the horizon" if len(panels) == 1 else None
    return fan_figure(
        rows,
        what="Cost of regional presence",
        panels=panels,
        ylabel="US\\$ million (cumulative)",
        kind="money",
        ncols=len(panels),
        end_labels=True,
        panel_size=(4.8, 3.3),
        note=note,
    )


def territory_figure(summary: pd.DataFrame, *, observed: pd.DataFrame | None = None) -> Figure:
    """Share of the disputed area held by each local state."""
    rows = _require(summary, "territory")
    states = st.order_actors(rows["actor"])
    panels = [
        Panel(
            "Share of disputed area",
            tuple(Series("territory", s, None, s, st.actor_colour(s)) for s in states),
        )
    ]
    return fan_figure(
        rows,
        what="Control of the disputed area",
        panels=panels,
        ylabel="Share of disputed area held",
        kind="percent",
        ncols=1,
        end_labels=True,
        panel_size=(6.4, 3.6),
        note="Share of the disputed area held by each local state",
        observed=observed,
    )


#: Dash patterns (in line widths) for curves overlaid without bands (survival). Identical
#: curves are common (common random numbers: a scenario that does not touch the ceasefire
#: gives the baseline's curve); the dashes of the curve on top let the one below show through.
_OVERLAY_DASHES: tuple[Any, ...] = (
    "-",
    (0, (4.0, 1.8)),  # dashed
    (0, (1.0, 1.4)),  # dotted
    (0, (5.0, 1.5, 1.0, 1.5)),  # dash-dot
    (0, (2.2, 1.4)),  # short dashes
    (0, (6.0, 1.5, 1.0, 1.5, 1.0, 1.5)),  # dash-dot-dot
    (0, (8.0, 2.4)),  # long dashes
    (0, (1.0, 1.2, 3.0, 1.2)),  # dot-dash
)


def _overlay_linestyle(index: int) -> Any:
    """Line style of the ``index``-th overlaid curve: solid, dashed, dotted, ...

    After eight scenarios the colours repeat; the styles shift by one so that no two
    scenarios share both colour and style.
    """
    i = int(index)
    return _OVERLAY_DASHES[(i + i // len(st.SCENARIO_COLOURS)) % len(_OVERLAY_DASHES)]


def wilson_interval(share: np.ndarray, n: int, z: float = 1.959963984540054) -> tuple[Any, Any]:
    """Wilson's binomial interval (95% by default) of a share of ``n`` runs."""
    p = np.asarray(share, dtype=float)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    lo, hi = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    return np.minimum(lo, p), np.maximum(hi, p)  # rounding never leaves the share outside


def survival_figure(
    summary: pd.DataFrame,
    *,
    span: tuple[Any, Any] | None = None,
    replicates: dict[str, int] | int | None = None,
) -> Figure:
    """Ceasefire survival: share of runs in which the ceasefire still holds, as a step curve.

    With ``replicates`` (the runs behind each scenario's share, or one number for all), a
    band gives the 95% binomial (Wilson) interval of the share holding: its sampling error.

    Dotted marks at one and five years (when inside the horizon) carry the surviving share.
    Several scenarios: one curve each, in the scenario's colour and its own line style
    (solid, dashed, dotted...), so that identical curves stay visible; the legend says when a
    scenario's curve is the same as an earlier one's. ``span`` fixes the x range.
    """
    rows = _require(summary, "ceasefire")
    scenarios = _scenarios(rows)
    multi = len(scenarios) > 1
    frames = _by_scenario(rows, scenarios)
    fig = _new_figure(8.0, 5.0 if multi else 4.6)
    ax = fig.add_subplot()
    st.style_axes(ax)

    marks: dict[int, float] = {}
    handles: list[Any] = []
    labels: list[str] = []
    spans: list[tuple[float, float]] = []
    drawn: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    dates = False
    any_band = False
    for i, (scen, frame) in enumerate(frames.items()):
        data = _series(frame, "ceasefire")
        if data.empty:
            continue
        x = data["x"].to_numpy()
        y = data["mean"].to_numpy()
        dates = dates or _is_dates(x)
        first, last = _xnum(x[0]), _xnum(x[-1])
        spans.append((first, last))
        colour = st.scenario_colour(i) if multi else st.NEUTRAL
        linestyle = _overlay_linestyle(i) if multi else "-"
        # later scenarios on top: their dashes let an identical curve below show through
        ax.step(
            x,
            y,
            where="post",
            color=colour,
            linewidth=st.LINE_WIDTH,
            linestyle=linestyle,
            label=scen,
            zorder=2.5 + 0.01 * i,
        )
        twin = next(
            (
                other
                for other, (ox, oy) in drawn.items()
                if len(ox) == len(x) and np.array_equal(ox, x) and np.allclose(oy, y, atol=1e-9)
            ),
            None,
        )
        drawn[scen] = (x, y)
        n = replicates.get(scen) if isinstance(replicates, dict) else replicates
        if n:
            lo, hi = wilson_interval(y, int(n))
            ax.fill_between(
                x, lo, hi, step="post", color=colour, alpha=0.10 if multi else 0.22,
                linewidth=0, zorder=1.4, gid="survival_ci", label=f"_{scen} 95% interval",
            )  # fmt: skip
            any_band = True
        elif not multi:
            ax.fill_between(x, 0, y, step="post", color=colour, alpha=0.07, linewidth=0)
        points = []
        for k, idx in _anniversaries(x, (1, 5)):
            marks[k] = min(_xnum(pd.Timestamp(x[0]) + pd.DateOffset(years=k)), last)
            points.append((f"{k} yr", marks[k], idx))
        if not points:  # horizon shorter than a year: report the end instead
            points = [("end", last, len(y) - 1)]
        parts = []
        for name, xm, idx in points:
            value = float(y[idx])
            parts.append(f"{name} {value:.0%}")
            ax.plot(
                [xm],
                [value],
                marker="o",
                markersize=5.5,
                color=colour,
                markeredgecolor="white",
                zorder=3,
                clip_on=False,
                label="_mark",
            )
            if not multi:
                # the curve never rises, so up-and-right of a point on it is free;
                # at the end of the horizon the note goes right of the curve's end
                at_end = xm >= last
                ax.annotate(
                    f"{value:.0%} still holding" + (" at the horizon" if name == "end" else ""),
                    xy=(xm, value),
                    xytext=(7, 0) if at_end else (7, 6),
                    textcoords="offset points",
                    ha="left",
                    va="center" if at_end else "bottom",
                    fontsize=st.NOTE_SIZE + 0.5,
                    fontweight="bold",
                    color=st.TEXT,
                    annotation_clip=False,
                )
        handles.append(Line2D([], [], color=colour, linewidth=st.LINE_WIDTH, linestyle=linestyle))
        same = f"; same curve as {twin}" if twin is not None else ""
        labels.append(f"{scen}  ({', '.join(parts)}{same})")

    trans = blended_transform_factory(ax.transData, ax.transAxes)
    hi = max((b for _, b in spans), default=0.0)
    for k, xm in sorted(marks.items()):
        ax.axvline(xm, color=st.SPINE, linewidth=0.8, linestyle=(0, (1.5, 3)), zorder=1)
        ax.text(
            xm,
            1.01,
            f"{k} year{'s' if k > 1 else ''}",
            transform=trans,
            ha="right" if xm >= hi else "center",
            va="bottom",
            fontsize=st.NOTE_SIZE,
            color=st.MUTED,
            clip_on=False,
        )
    if span is not None:
        spans = [(_xnum(span[0]), _xnum(span[1]))]
    if spans:
        lo, hi = min(a for a, _ in spans), max(b for _, b in spans)
        if hi > lo:
            ax.set_xlim(lo, hi)
        if dates:
            _date_axis(ax)
    _y_axis(ax, "percent")
    ax.set_ylim(0.0, 1.0)
    ax.set_ylabel("Runs with the ceasefire holding")
    if any_band:
        handles.append(Patch(facecolor=st.NEUTRAL, alpha=0.22, linewidth=0))
        labels.append("95% interval of the share (binomial, Wilson)")
    if multi or any_band:
        _legend(fig, handles, labels, max_cols=2 if multi else 1, handlelength=3.4)
    _suptitle(fig, _title("Ceasefire survival", scenarios))
    return fig


def _ramp(colour: str, n: int) -> list[str]:
    """``n`` shades from a light tint of ``colour`` to the colour itself."""
    rgb = np.array(to_rgb(colour))
    return [to_hex(1.0 - t * (1.0 - rgb)) for t in np.linspace(0.25, 1.0, max(n, 1))]


def decline_curve_figure(summary: pd.DataFrame, power: str) -> Figure:
    """Money spent vs influence: ``power``'s median cumulative regional cost (x) against its
    influence (median line, 50% band), with a point per year, shaded light to dark.

    Uses ``regional_cost_cum_musd``, or ``peacekeeping_cost_cum_musd`` when the former is
    absent. One scenario: points are labelled with their date. Several: one path per
    scenario, points numbered by year.
    """
    cost_metric = next((m for m in COST_METRICS if _has(summary, m, power)), None)
    if cost_metric is None:
        raise ValueError(f"summary has no cumulative cost rows for {power!r}")
    if not _has(summary, "influence", power):
        raise ValueError(f"summary has no 'influence' rows for {power!r}")
    rows = summary[summary["metric"].isin([cost_metric, "influence"]) & (summary["actor"] == power)]
    scenarios = _scenarios(rows)
    multi = len(scenarios) > 1
    frames = _by_scenario(rows, scenarios)

    fig = _new_figure(8.0, 5.4 if multi else 5.2)
    ax = fig.add_subplot()
    st.style_axes(ax, grid="both")
    handles: list[Any] = []
    labels: list[str] = []
    notes: list[str] = []
    highest = -math.inf
    for i, (scen, frame) in enumerate(frames.items()):
        cost = _series(frame, cost_metric, actor=power)
        infl = _series(frame, "influence", actor=power)
        if cost.empty or infl.empty:
            continue
        data = pd.merge(
            cost[["x", "q50"]].rename(columns={"q50": "cost"}),
            infl[["x", "q25", "q50", "q75"]],
            on="x",
        ).sort_values("x")
        if data.empty:
            continue
        colour = st.scenario_colour(i) if multi else st.actor_colour(power)
        cx = data["cost"].to_numpy()
        ys = data["q50"].to_numpy()
        x = data["x"].to_numpy()
        highest = max(highest, float(np.nanmax(data["q75"].to_numpy(dtype=float))))
        # labels go on the side the path moves away from: above it when influence falls
        falling = bool(ys[-1] <= ys[0])
        ax.fill_between(
            cx,
            data["q25"].to_numpy(),
            data["q75"].to_numpy(),
            color=colour,
            alpha=0.16 if multi else 0.24,
            linewidth=0,
            zorder=1.5,
            label="_band",
        )
        ax.plot(
            cx,
            ys,
            color=colour,
            linewidth=st.LINE_WIDTH,
            zorder=2.5 + 0.01 * i,
            label=scen if multi else power,
        )
        points = _anniversaries(x, range(0, 100))
        if points and points[-1][1] >= len(x) - 2:
            points[-1] = (points[-1][0], len(x) - 1)  # the anniversary is the horizon
        elif not points or points[-1][1] != len(x) - 1:
            points.append((-1, len(x) - 1))  # the horizon, when it is no anniversary
        for (k, idx), shade in zip(points, _ramp(colour, len(points)), strict=True):
            z = 3 + 0.01 * i
            if multi:
                if k == 0:
                    continue
                ax.scatter(
                    [cx[idx]],
                    [ys[idx]],
                    s=130 if k > 0 else 40,
                    color=colour,
                    edgecolors="white",
                    linewidths=1.0,
                    zorder=z,
                    clip_on=False,
                    label="_year",
                )
                if k > 0:
                    ax.text(
                        cx[idx],
                        ys[idx],
                        str(k),
                        ha="center",
                        va="center",
                        fontsize=7,
                        fontweight="bold",
                        color="white",
                        zorder=z + 0.005,
                    )
                continue
            ax.scatter(
                [cx[idx]],
                [ys[idx]],
                s=48,
                color=shade,
                edgecolors=colour if k == 0 else "white",
                linewidths=1.0,
                zorder=z,
                clip_on=False,
                label="_year",
            )
            if _is_dates(x):
                when = pd.Timestamp(x[idx])
                text = f"start, {when:%b %Y}" if k == 0 else f"{when:%b %Y}"
            else:
                text = f"step {x[idx]:g}"
            ax.annotate(
                text,
                xy=(cx[idx], ys[idx]),
                xytext=(4, 8) if falling else (4, -8),
                textcoords="offset points",
                ha="left",
                va="bottom" if falling else "top",
                fontsize=st.NOTE_SIZE,
                color=st.TEXT,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
                zorder=4,
                annotation_clip=False,
            )
        handles.append(_fan_handle(colour))
        labels.append(scen)
        notes.append(f"US\\${cx[-1]:,.0f}M spent, influence {ys[0]:.2f} → {ys[-1]:.2f}")

    what = "regional" if cost_metric == "regional_cost_cum_musd" else "peacekeeping"
    ax.set_xlabel(f"{power}'s cumulative {what} spending, median (US\\$ million)")
    ax.set_ylabel(f"{power}'s influence (0–1)")
    _y_axis(ax, "index", _share_top(highest))
    ax.set_xlim(left=0.0)
    ax.xaxis.set_major_formatter(FuncFormatter(_money))
    ax.tick_params(axis="x", length=0)
    if multi:
        _subtitle(ax, "Median path per scenario, shaded: middle 50% of runs; numbers mark years")
        _legend(fig, handles, labels)
    elif notes:
        _subtitle(ax, f"Median: {notes[0]}. Shaded: middle 50% of runs")
    _suptitle(fig, _title(f"{power}: money spent vs influence", scenarios))
    return fig


def regime_figure(outcomes: pd.DataFrame, *, what: str = "Outcome regimes") -> Figure:
    """Share of replicates ending in each outcome regime, as labelled horizontal bars.

    One panel per scenario (stacked, same regime order and x scale) when ``outcomes`` holds
    several scenarios. Regimes are any strings; known ones come first in
    :data:`~hegemon.plots.style.REGIME_ORDER`. With a categorical ``regime`` column, every
    category gets a bar, even at 0%.
    """
    if outcomes is None or outcomes.empty or "regime" not in outcomes.columns:
        raise ValueError("outcomes has no 'regime' rows")
    raw = outcomes["regime"]
    # a categorical column lists every regime the classifier knows: show the empty ones too
    known = (
        [str(c) for c in raw.cat.categories] if isinstance(raw.dtype, pd.CategoricalDtype) else []
    )
    frame = pd.DataFrame(
        {
            "scenario": (
                outcomes["scenario"].astype(str) if "scenario" in outcomes.columns else "all"
            ),
            "regime": raw.astype(object).where(raw.notna(), "unclassified").astype(str),
        }
    )
    scenarios = _scenarios(frame)
    regimes = st.order_regimes([*known, *frame["regime"]])
    n_r = len(regimes)
    multi = len(scenarios) > 1
    fig = _new_figure(7.6, 1.2 + len(scenarios) * (0.36 * n_r + 0.55))
    axes = fig.subplots(len(scenarios), 1, sharex=True, squeeze=False)[:, 0]
    y = np.arange(n_r)
    for ax, scen in zip(axes, scenarios, strict=True):
        st.style_axes(ax, grid="x")
        ax.spines["left"].set_visible(False)
        counts = frame.loc[frame["scenario"] == scen, "regime"].value_counts()
        total = int(counts.sum())
        shares = np.array([counts.get(r, 0) / total for r in regimes], dtype=float)
        ax.barh(
            y,
            shares,
            height=0.7,
            color=[st.regime_colour(r) for r in regimes],
            edgecolor="none",
            zorder=2,
        )
        for yi, share, regime in zip(y, shares, regimes, strict=True):
            pct = f"{share:.1%}" if 0 < share < 0.1 else f"{share:.0%}"
            bold = regime == "managed_decline"
            inside = share > 0.88
            ax.text(
                share - 0.01 if inside else share + 0.01,
                yi,
                pct,
                va="center",
                ha="right" if inside else "left",
                fontsize=st.LABEL_SIZE,
                fontweight="bold" if bold else "normal",
                color="white" if inside else st.TEXT,
                zorder=3,
            )
        ax.set_yticks(y, [st.regime_label(r) for r in regimes])
        ax.tick_params(axis="y", length=0, labelsize=st.LABEL_SIZE)
        for tick, regime in zip(ax.get_yticklabels(), regimes, strict=True):
            if regime == "managed_decline":
                tick.set_fontweight("bold")
        ax.set_ylim(n_r - 0.5, -0.5)
        ax.set_xlim(0.0, 1.0)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.xaxis.set_major_locator(MultipleLocator(0.25))
        if multi:
            _panel_title(ax, f"{scen}  ·  {total:,} runs")
        else:
            _subtitle(ax, f"Share of {total:,} runs ending in each regime")
    axes[-1].set_xlabel("Share of runs")
    _suptitle(fig, _title(what, scenarios))
    return fig


# --- the standard set ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    draw: Callable[[pd.DataFrame | None, pd.DataFrame | None, str], Figure]
    ready: Callable[[pd.DataFrame | None, pd.DataFrame | None, str], bool]
    observes: bool = False  # takes the observations (``observed=``)


def _cost_ready(s: pd.DataFrame | None, _o: Any, _p: str) -> bool:
    return any(_has(s, m) for m in ("peacekeeping_cost_cum_musd", "regional_cost_cum_musd"))


def _decline_ready(s: pd.DataFrame | None, _o: Any, p: str) -> bool:
    return _has(s, "influence", p) and any(_has(s, m, p) for m in COST_METRICS)


def _regimes_ready(_s: Any, o: pd.DataFrame | None, _p: str) -> bool:
    return o is not None and not o.empty and "regime" in o.columns


def _replicates(outcomes: pd.DataFrame | None) -> dict[str, int] | None:
    """The runs of each scenario in ``outcomes`` (None without outcomes)."""
    if outcomes is None or outcomes.empty:
        return None
    if "scenario" not in outcomes.columns:
        return None
    return {str(k): int(v) for k, v in outcomes["scenario"].astype(str).value_counts().items()}


def _metric_spec(fn: Callable[..., Figure], metric: str, *, observes: bool = False) -> _Spec:
    if observes:
        return _Spec(
            lambda s, _o, _p, observed=None: fn(s, observed=observed),
            lambda s, _o, _p: _has(s, metric),
            observes=True,
        )
    return _Spec(lambda s, _o, _p: fn(s), lambda s, _o, _p: _has(s, metric))


_SPECS: dict[str, _Spec] = {
    "influence": _metric_spec(influence_figure, "influence"),
    "influence_over": _metric_spec(influence_over_figure, "influence_over"),
    "trust": _metric_spec(trust_figure, "trust", observes=True),
    "peacekeepers": _metric_spec(peacekeepers_figure, "peacekeepers", observes=True),
    "cost": _Spec(lambda s, _o, _p: cost_figure(s), _cost_ready),
    "survival": _Spec(
        lambda s, o, _p: survival_figure(s, replicates=_replicates(o)),
        lambda s, _o, _p: _has(s, "ceasefire"),
    ),
    "decline_curve": _Spec(lambda s, _o, p: decline_curve_figure(s, power=p), _decline_ready),
    "territory": _metric_spec(territory_figure, "territory", observes=True),
    "regimes": _Spec(lambda _s, o, _p: regime_figure(o), _regimes_ready),
}


#: name -> function(summary, outcomes, focal_power) -> Figure, for the standard set (file
#: stem = name); the focal power is the scenario's ``focus.power``.
FIGURES: dict[str, FigureFunction] = {name: spec.draw for name, spec in _SPECS.items()}


def available_figures(
    summary: pd.DataFrame | None, outcomes: pd.DataFrame | None = None, *, focal_power: str
) -> list[str]:
    """Names of the standard figures whose data are present."""
    return [n for n, spec in _SPECS.items() if spec.ready(summary, outcomes, focal_power)]


def standard_figure(
    name: str,
    summary: pd.DataFrame | None,
    outcomes: pd.DataFrame | None,
    focal_power: str,
    observed: pd.DataFrame | None = None,
) -> Figure | None:
    """The standard figure ``name`` (a key of :data:`FIGURES`), None when its data are
    absent; ``observed`` goes to the fan charts that show observations."""
    spec = _SPECS[name]
    if not spec.ready(summary, outcomes, focal_power):
        return None
    if spec.observes and observed is not None:
        return spec.draw(summary, outcomes, focal_power, observed=observed)  # type: ignore[call-arg]
    return spec.draw(summary, outcomes, focal_power)


def draw_all(
    summary: pd.DataFrame | None,
    outcomes: pd.DataFrame | None,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = FORMATS,
    focal_power: str,
    observed: pd.DataFrame | None = None,
    pool: Executor | None = None,
) -> list[Path]:
    """Draw every standard figure whose metrics exist and write ``out_dir/<name>.<fmt>``;
    ``focal_power`` (the scenario's ``focus.power``) is the power of the decline curve;
    ``observed`` (:func:`hegemon.analysis.scores.observed_points`) puts the observations on
    the fan charts of their metrics (trust, peacekeepers, territory); ``pool``
    (:func:`hegemon.plots.jobs.figure_pool`) draws them concurrently.

    Figures whose metrics are absent are skipped. Output is deterministic (no dates in file
    metadata, fixed SVG ids). Returns the written paths in drawing order.
    """
    jobs = standard_jobs(summary, outcomes, focal_power=focal_power, observed=observed)
    return draw_jobs(jobs, Path(out_dir), formats, pool)


def _write(fig: Figure, out: Path, name: str, formats: Sequence[str]) -> list[Path]:
    """Save ``fig`` as ``out/name.<fmt>`` for every format. The figure is spent: its date
    ticks are fixed where they fall (:func:`_fix_date_ticks`), and it is left to the
    garbage collector (clearing its axes would rebuild each of them, for nothing)."""
    _fix_date_ticks(fig)
    paths = []
    for fmt in formats:
        fmt = fmt.lower().lstrip(".")
        path = out / f"{name}.{fmt}"
        _save(fig, path, fmt)
        paths.append(path)
    return paths


def _fix_date_ticks(fig: Figure) -> None:
    """Fix the ticks and labels of every date axis of ``fig`` where its locator puts them
    for the axis's final limits, so that the layout's two passes and the drawing of each
    format reuse them instead of finding the dates again: the same picture, cheaper. Only
    date locators are fixed, since they depend on the limits alone; a numeric axis's
    locator may depend on the size the layout gives the axes."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            locator = axis.get_major_locator()
            if isinstance(locator, mdates.AutoDateLocator):
                ticks = locator()
                labels = axis.get_major_formatter().format_ticks(ticks)
                axis.set_major_locator(FixedLocator(ticks))
                axis.set_major_formatter(FixedFormatter(labels))


def figure_png(fig: Figure, dpi: float = SAVE_DPI) -> bytes:
    """``fig`` as PNG bytes (the same bytes for the same figure: no metadata that changes)."""
    buffer = io.BytesIO()
    _save(fig, buffer, "png", dpi)
    return buffer.getvalue()


def _save(fig: Figure, path: Path | io.BytesIO, fmt: str, dpi: float = SAVE_DPI) -> None:
    metadata: dict[str, Any] | None = {
        "svg": {"Date": None},
        "pdf": {"CreationDate": None, "ModDate": None},
        "png": {"Software": None},
    }.get(fmt)
    png = {"pil_kwargs": {"compress_level": PNG_COMPRESSION}} if fmt == "png" else {}
    with mpl.rc_context({"svg.hashsalt": "hegemon", "svg.fonttype": "path"}):
        fig.savefig(path, format=fmt, dpi=dpi, facecolor="white", metadata=metadata, **png)

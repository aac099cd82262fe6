"""Figures of parameter sweeps and global sensitivity analyses: which assumption drives what.

The tables are those of :mod:`hegemon.analysis.sensitivity`:

* a **sweep** table, one row per grid point and output with the swept parameters as columns
  (named by key path, e.g. ``actors.Russia.resolve``), ``output, label, n, mean, bands`` and
  the band columns ``runs_q05 .. runs_q95`` (levels) or ``ci50_low .. ci90_high`` (shares),
  read through :func:`hegemon.analysis.sensitivity.sweep_bands`;
* **Morris** indices, one row per output and parameter: ``mu, mu_star, mu_star_conf, sigma``;
* **Sobol'** indices: ``S1, S1_conf, ST, ST_conf`` (``*_conf``: half-width of the 95% interval).

Every function returns a :class:`matplotlib.figure.Figure` built and styled like the standard
figures of :mod:`hegemon.plots.figures` (no pyplot state, constrained layout, legend below);
:func:`draw_sensitivity` writes them to files. Parameters are labelled by
:func:`parameter_label`. What an output is comes from the ``scenario`` analysed (its declared
outputs, :mod:`hegemon.plots.observed`): each keeps one colour in every figure, the colour of
the actor it is about (``influence_change__Russia``: Russia's blue), else the managed-decline
colour for its share, else neutral grey. Outputs that are shares of runs are shown as
percentages; their sweep bands are confidence intervals of the share, not spreads of runs.
Without a scenario, outputs are spelled out, in neutral grey, without units.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, Normalize, to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, PercentFormatter

from hegemon.analysis.sensitivity import RUN_QUANTILES, SHARE_INTERVALS, sweep_bands
from hegemon.plots import style as st
from hegemon.plots.comparison import _tex
from hegemon.plots.figures import (
    QUANTILES,
    _band_key,
    _blank,
    _grid,
    _legend,
    _money,
    _new_figure,
    _panel_title,
    _share_top,
    _subtitle,
    _suptitle,
    _wrap_cols,
    _write,
    _y_axis,
    fan_chart,
)
from hegemon.plots.jobs import FORMATS
from hegemon.plots.observed import Quantity, lookup, output_quantities
from hegemon.scenario.keypaths import KeyPath, KeyPathError
from hegemon.scenario.schema import Scenario

__all__ = [
    "draw_sensitivity",
    "morris_figure",
    "parameter_label",
    "sobol_figure",
    "sweep_figure",
    "sweep_heatmap_figure",
    "swept_parameters",
]

#: Morris and Sobol' panels show at most this many parameters (the most influential);
#: a note gives the number left out.
MAX_PARAMETERS = 15
#: Height of a ranked row (inches) in the Morris and Sobol' panels.
MORRIS_ROW = 0.25
SOBOL_ROW = 0.36
#: The widest x axis of a Sobol' panel: intervals reaching further end in an arrowhead.
SOBOL_RANGE = (-0.25, 1.25)
#: Colours of the levels of a second swept parameter (low to high) and of heatmaps.
LEVEL_CMAP = "viridis"
LEVEL_RANGE = (0.0, 0.82)  # of LEVEL_CMAP: stops before its pale yellow end
CHANGE_CMAP = "RdBu"  # diverging, centred on 0: losses red, gains blue
SHARE_CMAP = "YlGnBu"  # sequential, 0..1

SWEEP_COLUMNS = ("point", "output", "label", "mean", "bands", *RUN_QUANTILES, *SHARE_INTERVALS, "n")
_NOT_PARAMETERS = {*SWEEP_COLUMNS, "scenario", "replicates", "sample"}

# --- parameter labels ------------------------------------------------------------------------

#: field name -> (words, unit or "") for the numeric fields of a scenario.
_FIELDS: dict[str, tuple[str, str]] = {
    # actors
    "gdp_busd": ("GDP", "US$ bn"),
    "military_budget_musd": ("military budget", "US$ m a year"),
    "gdp_growth": ("GDP growth", "per year"),
    "growth_volatility": ("GDP growth volatility", "sd per year"),
    "regional_effort": ("regional effort", "share of military budget"),
    "resolve": ("resolve", ""),
    "autonomy": ("autonomy", ""),
    "weight": ("weight in influence", ""),
    # relations
    "support_musd": ("support when honoured", "US$ m"),
    "commitment_cost_musd": ("cost of honouring", "US$ m"),
    "musd_per_year": ("support", "US$ m a year"),
    "effectiveness": ("effectiveness", ""),
    "troops": ("troops", ""),
    "cost_per_troop_week_usd": ("cost per troop-week", "US$"),
    "presence_efficiency": ("presence efficiency", ""),
    "term_years": ("term", "years"),
    "notice_months": ("notice", "months"),
    "min_influence": ("influence needed to renew", ""),
    "max_cost_share": ("largest bearable cost share", ""),
    "party_min_trust": ("parties' trust needed to stay", ""),
    # conflict
    "clash_rate": ("clash rate", ""),
    "balance_exponent": ("balance exponent", ""),
    "deterrence_per_1000_troops": ("deterrence per 1,000 troops", ""),
    "ally_deterrence": ("ally deterrence", ""),
    "escalation": ("escalation probability", ""),
    "decisiveness": ("decisiveness", ""),
    "clash_gain": ("area moved by a clash", "share"),
    "war_gain": ("area moved by a war", "share"),
    # influence and trust
    "memory_weeks": ("memory", "weeks"),
    "credibility": ("prior credibility", ""),
    "credibility_memory": ("credibility memory", "invocations"),
    "gain_on_honour": ("gain when honoured", ""),
    "loss_on_failure": ("loss on a failed pledge", ""),
    "loss_on_defeat": ("loss per defeat", ""),
    "delivery_gain": ("gain from delivered aid", ""),
    "reversion_weeks": ("reversion time", "weeks"),
    # events
    "factor": ("budget factor", ""),
    "share": ("share of the area", ""),
}
_SUFFIX_UNITS: tuple[tuple[str, str], ...] = (
    ("_per_year_musd", "US$ m a year"),
    ("_musd", "US$ m"),
    ("_busd", "US$ bn"),
    ("_usd", "US$"),
    ("_weeks", "weeks"),
    ("_months", "months"),
    ("_years", "years"),
)
_PROPER = {
    "csto": "CSTO",
    "gdp": "GDP",
    "eu": "EU",
    "usa": "USA",
    "nato": "NATO",
    "turkish": "Turkish",
    "russian": "Russian",
    "shusha": "Shusha",
} | {name.casefold(): name for name in st.ACTOR_COLOURS}


def _words(key: str) -> str:
    """``turkish_arms`` -> ``Turkish arms``: underscores to spaces, known names spelled."""
    return " ".join(_PROPER.get(w.casefold(), w) for w in str(key).split("_") if w)


def _field(name: str) -> str:
    """``cost_per_troop_week_usd`` -> ``cost per troop-week (US$)``."""
    words, unit = _FIELDS.get(name, ("", ""))
    if not words:
        words = name
        for suffix, suffix_unit in _SUFFIX_UNITS:
            if name.endswith(suffix) and len(name) > len(suffix):
                words, unit = name[: -len(suffix)], suffix_unit
                break
        words = _words(words)
    return f"{words} ({unit})" if unit else words


def parameter_label(path: str) -> str:
    """A readable label for a parameter's key path, with its unit where it has one.

    ``actors.Russia.resolve`` -> ``Russia: resolve``;
    ``relations.peacekeeping.cost_per_troop_week_usd`` ->
    ``peacekeeping: cost per troop-week (US$)``; ``conflict.clash_rate`` ->
    ``conflict: clash rate``; ``actors.Armenia.trust.Russia`` ->
    ``Armenia's trust in Russia (initial)``. Unknown paths are spelled out part by part.
    The text is plain (``$`` unescaped): pass it through matplotlib-safe escaping to draw it.
    """
    try:
        head, *rest = KeyPath.parse(path).parts
    except KeyPathError:
        return str(path)
    if head == "actors" and len(rest) >= 2:
        actor, field, sub = rest[0], rest[1], rest[2:]
        if field == "trust" and len(sub) == 1:
            return f"{actor}'s trust in {sub[0]} (initial)"
        if field == "affinity" and len(sub) == 1:
            return f"{actor}'s long-run trust in {sub[0]} (affinity)"
        if field == "allocation" and len(sub) == 1:
            return f"{actor}: weight of {sub[0]} in its effort"
        return f"{actor}: {' '.join(_field(f) for f in (field, *sub))}"
    if head == "relations" and len(rest) >= 2:
        relation, fields = _words(rest[0]), rest[1:]
        if fields[0] == "renewal" and len(fields) == 2:
            return f"{relation} renewal: {_field(fields[1])}"
        return f"{relation}: {' '.join(_field(f) for f in fields)}"
    if head == "events" and len(rest) >= 2:
        return f"{_words(rest[0])} (event): {' '.join(_field(f) for f in rest[1:])}"
    if head == "conflict" and len(rest) == 2 and rest[0] in ("territory", "aspiration"):
        what = "share of the area held" if rest[0] == "territory" else "claim (share of area)"
        return f"conflict: {rest[1]}'s {what}" + (" (initial)" if rest[0] == "territory" else "")
    if len(rest) >= 1:
        return f"{_words(head)}: {' '.join(_field(f) for f in rest)}"
    return _field(head)


# --- outputs ---------------------------------------------------------------------------------


def _outputs(frame: pd.DataFrame, scenario: Scenario | None) -> list[tuple[str, str, Quantity]]:
    """(output, title, quantity) of every output in the table: in the order the scenario's
    analysis declares them, then in order of first appearance."""
    known = output_quantities(scenario)
    rank = {name: i for i, name in enumerate(known)}
    out: dict[str, tuple[str, str, Quantity]] = {}
    has_label = "label" in frame.columns
    for i, output in enumerate(frame["output"].astype(str)):
        if output not in out:
            label = frame["label"].iloc[i] if has_label else None
            quantity = lookup(known, output)
            title = quantity.title(label if isinstance(label, str) else "")
            out[output] = (output, title, quantity)
    return sorted(out.values(), key=lambda item: rank.get(item[0], len(rank)))


def _num(value: float) -> str:
    """A parameter value for a tick or legend: ``0.2``, ``1,960``, ``343``."""
    if not np.isfinite(value):
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}".replace("-", "−")


def _tint(colour: str, amount: float) -> str:
    """``colour`` mixed with white: ``amount`` 1 is the colour, 0 is white."""
    rgb = np.array(to_rgb(colour))
    return to_hex(1.0 - amount * (1.0 - rgb))


def _require_columns(frame: pd.DataFrame | None, columns: Sequence[str], what: str) -> None:
    if frame is None or frame.empty:
        raise ValueError(f"the {what} table is empty")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"the {what} table lacks column(s) {', '.join(missing)}")


def _note(ax: Axes, text: str, *, y: float = 0.02) -> None:
    """A quiet note in the lower right corner of a panel (empty in ranked bar charts)."""
    ax.text(
        0.99,
        y,
        text,
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=st.NOTE_SIZE,
        color=st.MUTED,
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
        zorder=5,
    )


def _corner_note(ax: Axes, text: str) -> None:
    """A quiet note in the corner of a panel farthest from its lines (limits set first)."""
    points = [
        ax.transLimits.transform(np.column_stack([line.get_xdata(), line.get_ydata()]))
        for line in ax.get_lines()
        if len(line.get_xdata()) and line.get_label() != "_zero"
    ]
    data = np.vstack(points) if points else np.empty((0, 2))
    corners = [(0.02, 0.98, "left", "top"), (0.98, 0.98, "right", "top")]
    corners += [(0.98, 0.02, "right", "bottom"), (0.02, 0.02, "left", "bottom")]

    def room(corner: tuple[float, float, str, str]) -> float:
        if not data.size:
            return 1.0
        return float(np.min(np.hypot(data[:, 0] - corner[0], data[:, 1] - corner[1])))

    x, y, ha, va = max(corners, key=room)
    ax.text(
        x,
        y,
        text,
        transform=ax.transAxes,
        ha=ha,
        va=va,
        fontsize=st.NOTE_SIZE,
        color=st.MUTED,
        zorder=5,
    )


# --- sweeps ----------------------------------------------------------------------------------


def swept_parameters(table: pd.DataFrame) -> list[str]:
    """The swept parameters of a sweep table: its numeric columns that are not results."""
    return [
        str(c)
        for c in table.columns
        if c not in _NOT_PARAMETERS and pd.api.types.is_numeric_dtype(table[c])
    ]


def _check_sweep(table: pd.DataFrame | None, params: Sequence[str]) -> pd.DataFrame:
    _require_columns(
        table, ["output", "mean", "bands", *RUN_QUANTILES, *SHARE_INTERVALS, *params], "sweep"
    )
    assert table is not None
    return table.assign(output=table["output"].astype(str))


def _as_summary(rows: pd.DataFrame, param: str, output: str) -> pd.DataFrame:
    """Sweep rows in the shape :func:`~hegemon.plots.figures.fan_chart` draws (x = step)."""
    frame = pd.DataFrame({"step": pd.to_numeric(rows[param], errors="coerce").to_numpy(float)})
    frame["metric"] = output
    frame["mean"] = pd.to_numeric(rows["mean"], errors="coerce").to_numpy(float)
    bands = sweep_bands(rows)
    for col in QUANTILES:
        frame[col] = bands[col].to_numpy(float)
    return frame.dropna(subset=["step"])


def _runs_per_point(table: pd.DataFrame) -> int | None:
    if "n" not in table.columns:
        return None
    counts = pd.to_numeric(table["n"], errors="coerce").dropna().unique()
    return int(counts[0]) if len(counts) == 1 else None


def _level_colours(n: int) -> list[str]:
    cmap = mpl.colormaps[LEVEL_CMAP]
    return [to_hex(cmap(t)) for t in np.linspace(*LEVEL_RANGE, max(n, 1))][:n]


def _sweep_key(outputs: Sequence[Quantity], bands: Sequence[int]) -> tuple[list[Any], list[str]]:
    """Legend entries for the line with its points and the bands, honest about shares of
    runs (whose bands are confidence intervals of the share, not spreads of runs)."""
    handles, labels = _band_key(with90=90 in bands)
    handles[0] = Line2D(
        [], [], color=st.NEUTRAL, linewidth=st.LINE_WIDTH, marker="o", markersize=4.5
    )
    if 50 not in bands:
        handles, labels = handles[:1], labels[:1]
    elif 90 not in bands:
        handles[1] = Patch(facecolor=st.NEUTRAL, alpha=st.BAND_ALPHA_50, linewidth=0)
    shares = [o for o in outputs if o.share]
    if len(shares) == len(outputs):
        wanted = ["Share of runs", "50% confidence interval", "90% confidence interval"]
    elif shares:
        wanted = [
            "Median (shares: the share)",
            "Middle 50% of runs (shares: 50% CI)",
            "Middle 90% of runs (shares: 90% CI)",
        ]
    else:
        wanted = ["Median", "Middle 50% of runs", "Middle 90% of runs"]
    return handles, wanted[: len(handles)]


def _levels_note(outputs: Sequence[Quantity], bands: Sequence[int]) -> str:
    """What the lines (and 50% bands) of a two-parameter sweep show, in one legend entry."""
    shares = sum(o.share for o in outputs)
    if 50 not in bands:
        if shares == len(outputs):
            return "Lines: share of runs"
        return "Lines: median (shares: the share)" if shares else "Lines: median"
    if shares == len(outputs):
        return "Share of runs and its 50% CI"
    if shares:
        return "Median and middle 50% of runs (shares: share and 50% CI)"
    return "Median and middle 50% of runs"


def _coincide(curves: Sequence[np.ndarray], groups: int) -> bool:
    """Whether ``groups`` groups of curves (same x; each group's curves in the same order)
    are the same: common random numbers make a parameter that does not matter give
    identical results at each of its values."""
    if groups < 2 or not curves or len(curves) % groups:
        return False
    if any(c.shape != curves[0].shape for c in curves):
        return False
    stack = np.vstack(curves).reshape(groups, -1)
    scale = float(np.nanmax(np.abs(stack))) if np.isfinite(stack).any() else 0.0
    return bool(np.allclose(stack, stack[0], atol=1e-9 + 1e-6 * scale, equal_nan=True))


def _sweep_y_axis(ax: Axes, quantity: Quantity, rows: pd.DataFrame) -> None:
    if quantity.share:
        top = _share_top(float(sweep_bands(rows)["q95"].max()))
        _y_axis(ax, "percent", top)
    elif quantity.money:
        ax.yaxis.set_major_formatter(FuncFormatter(_money))
    if quantity.change:
        ax.axhline(0.0, color=st.TEXT, linewidth=0.9, zorder=1.8, label="_zero")


def sweep_figure(table: pd.DataFrame, param: str, *, scenario: Scenario | None = None) -> Figure:
    """Outputs against one swept parameter: one panel per output.

    Each panel is a fan chart over the parameter's values (drawn by
    :func:`~hegemon.plots.figures.fan_chart`): the median across the runs at each grid point
    (points marked) with the middle 50% and 90% of runs shaded, or for a share of runs the
    share with its 50% and 90% confidence intervals; a line at zero for changes. When the
    table sweeps a second parameter, each panel has one line per value of it (coloured low
    to high, with the 50% band when there are at most three values), or a single grey line
    and a note where the output is the same at every value of it.
    """
    frame = _check_sweep(table, [param])
    others = [
        p for p in swept_parameters(frame) if p != param and frame[p].nunique(dropna=True) > 1
    ]
    if len(others) > 1:
        raise ValueError(
            f"the sweep table varies {len(others) + 1} parameters; sweep_figure draws one "
            "parameter against the outputs, with at most one more as separate lines"
        )
    by = others[0] if others else None
    levels = sorted(pd.to_numeric(frame[by]).dropna().unique()) if by else []
    shades = _level_colours(len(levels))
    bands: tuple[int, ...] = (50,) if len(levels) <= 3 else ()
    outputs = _outputs(frame, scenario)
    n_out = len(outputs)
    ncols = _wrap_cols(n_out)
    nrows = math.ceil(n_out / ncols)
    cells = [(k // ncols, k % ncols) for k in range(n_out)]
    fig = _new_figure((4.7 if by else 4.4) * ncols + 0.5, 3.0 * nrows + 1.4)
    axes = _grid(fig, nrows, ncols, set(cells), sharey=False)
    plabel = _tex(parameter_label(param))
    xs = np.sort(pd.to_numeric(frame[param], errors="coerce").dropna().unique())

    same: list[Axes] = []  # panels whose lines coincide
    for (r, c), (output, title, quantity) in zip(cells, outputs, strict=True):
        ax = axes[(r, c)]
        ax.set_gid(f"sweep:{output}")
        rows = frame[frame["output"] == output]
        colour = quantity.colour
        groups = [(None, rows, colour)] if by is None else []
        for level, shade in zip(levels, shades, strict=True):
            groups.append((level, rows[pd.to_numeric(rows[by]) == level], shade))
        if by is not None and _coincide(
            [
                _as_summary(part, param, output).sort_values("step")[q].to_numpy()
                for _, part, _ in groups
                for q in ("q25", "q50", "q75")
            ],
            groups=len(groups),
        ):
            # identical at every value of the other parameter: one neutral line and a note
            groups = [("all", groups[0][1], st.NEUTRAL)]
            same.append(ax)
        for level, part, col in groups:
            data = _as_summary(part, param, output)
            if data.empty:
                continue
            fan_chart(
                ax,
                data,
                output,
                colour=col,
                label=title if level is None else f"{by} = {level}",
                bands=(90, 50) if level is None else bands,
            )
            data = data.sort_values("step")
            ax.plot(
                data["step"].to_numpy(),
                data["q50"].to_numpy(),
                linestyle="none",
                marker="o",
                markersize=4.5,
                color=col,
                markeredgecolor="white",
                markeredgewidth=0.8,
                zorder=3,
                clip_on=False,
                label="_points",
            )
        _sweep_y_axis(ax, quantity, rows)
        _panel_title(ax, _tex(title))
        if not any((rr, c) in cells for rr in range(r + 1, nrows)):
            ax.set_xlabel(plabel)

    if xs.size:
        span = float(xs[-1] - xs[0]) or max(abs(float(xs[0])), 1.0)
        for ax in axes.values():
            ax.set_xlim(float(xs[0]) - 0.03 * span, float(xs[-1]) + 0.03 * span)
            if xs.size <= 11:
                ax.xaxis.set_major_locator(FixedLocator(xs))
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _num(v)))

    for ax in same:
        _corner_note(ax, _tex(f"the same for every\n{parameter_label(by or '')}"))

    names = [q for _, _, q in outputs]
    if by is None:
        _legend(fig, [], [], key=_sweep_key(names, (90, 50)))
    else:
        handles: list[Any] = [_blank()]
        labels = [f"{_tex(parameter_label(by))}:"]
        for level, shade in zip(levels, shades, strict=True):
            line = Line2D([], [], color=shade, linewidth=st.LINE_WIDTH, marker="o", markersize=4.5)
            band = Patch(facecolor=shade, alpha=st.BAND_ALPHA_50, linewidth=0)
            handles.append((band, line) if bands else line)
            labels.append(_num(level))
        handles.append(_blank())
        labels.append(_levels_note(names, bands))
        _legend(fig, handles, labels, max_cols=len(handles))
    runs = _runs_per_point(frame)
    what = f"Sweep of {plabel}"
    if by is not None:
        what += f", one line per {_tex(parameter_label(by))}"
    if runs:
        what += f" — {runs:,} runs per point"
    _suptitle(fig, what)
    return fig


def _cell_format(quantity: Quantity, values: np.ndarray) -> Any:
    finite = values[np.isfinite(values)]
    if quantity.share:
        return lambda v: f"{v:.0%}"
    big = float(np.max(np.abs(finite))) if finite.size else 1.0
    decimals = 0 if big == 0 else int(np.clip(1 - math.floor(math.log10(big)), 0, 4))
    sign = "+" if quantity.change else ""

    def fmt(v: float) -> str:
        text = f"{v:{sign},.{decimals}f}"
        if quantity.change and float(text.replace(",", "")) == 0:
            text = f"{0:.{decimals}f}"
        return text.replace("-", "−")

    return fmt


def _heat_colours(quantity: Quantity, values: np.ndarray) -> tuple[Colormap, Normalize]:
    finite = values[np.isfinite(values)]
    if quantity.change:
        edge = float(np.max(np.abs(finite))) if finite.size else 1.0
        edge = edge or 1.0
        return mpl.colormaps[CHANGE_CMAP], Normalize(-edge, edge)
    if quantity.share:
        return mpl.colormaps[SHARE_CMAP], Normalize(0.0, 1.0)
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    return mpl.colormaps[SHARE_CMAP], Normalize(lo, hi)


def _ink_on(rgba: Any) -> str:
    """Text colour readable on a cell of colour ``rgba``."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(rgba)]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "white" if luminance < 0.21 else st.TEXT  # the better contrast (WCAG)


def sweep_heatmap_figure(
    table: pd.DataFrame,
    x_param: str,
    y_param: str,
    output: str,
    *,
    scenario: Scenario | None = None,
) -> Figure:
    """Heatmap of one output's mean over a two-parameter grid, each cell annotated.

    Changes use a diverging colormap centred on 0 (losses red, gains blue); shares of runs
    (as the scenario's analysis declares them) a sequential one over 0-100%; other
    outputs a sequential one over their range. The colourbar carries the output's label.
    Grid points without runs are grey.
    """
    frame = _check_sweep(table, [x_param, y_param])
    rows = frame[frame["output"] == str(output)]
    if rows.empty:
        known = ", ".join(dict.fromkeys(frame["output"]))
        raise ValueError(f"the sweep table has no output {output!r} (outputs: {known})")
    ((_, title, quantity),) = _outputs(rows, scenario)
    grid = rows.pivot_table(index=y_param, columns=x_param, values="mean", aggfunc="mean")
    grid = grid.sort_index().sort_index(axis=1)
    values = grid.to_numpy(dtype=float)
    ny, nx = values.shape
    cmap, norm = _heat_colours(quantity, values)
    cmap = cmap.with_extremes(bad=st.GRID)

    fig = _new_figure(min(3.4 + 0.78 * nx, 12.0), min(2.3 + 0.46 * ny, 9.0))
    ax = fig.add_subplot()
    ax.set_gid(f"heatmap:{output}")
    st.style_axes(ax, grid="none")
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    mesh = ax.pcolormesh(
        np.arange(nx + 1) - 0.5,
        np.arange(ny + 1) - 0.5,
        np.ma.masked_invalid(values),
        cmap=cmap,
        norm=norm,
        edgecolors="white",
        linewidth=1.2,
    )
    fmt = _cell_format(quantity, values)
    if nx * ny <= 400:
        size = st.NOTE_SIZE if nx <= 9 else st.NOTE_SIZE - 1.5
        for iy in range(ny):
            for ix in range(nx):
                v = values[iy, ix]
                ax.text(
                    ix,
                    iy,
                    fmt(v) if np.isfinite(v) else "no runs",
                    ha="center",
                    va="center",
                    fontsize=size,
                    color=_ink_on(cmap(norm(v))) if np.isfinite(v) else st.MUTED,
                )
    ax.set_xticks(np.arange(nx), [_num(v) for v in grid.columns])
    ax.set_yticks(np.arange(ny), [_num(v) for v in grid.index])
    ax.tick_params(axis="both", length=0)
    ax.set_xlim(-0.5, nx - 0.5)
    ax.set_ylim(-0.5, ny - 0.5)
    ax.set_xlabel(_tex(parameter_label(x_param)))
    ax.set_ylabel(_tex(parameter_label(y_param)))

    bar = fig.colorbar(mesh, ax=ax, fraction=0.05, pad=0.02, aspect=24)
    share = quantity.share
    bar.set_label(_tex(title if share else f"{title}, mean"), fontsize=st.LABEL_SIZE, color=st.TEXT)
    bar.outline.set_visible(False)
    bar.ax.tick_params(labelsize=st.TICK_SIZE, labelcolor=st.TEXT, color=st.SPINE, length=2)
    if share:
        bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    elif quantity.money:
        bar.ax.yaxis.set_major_formatter(FuncFormatter(_money))
    bar.ax.yaxis.set_major_locator(MaxNLocator(6))

    runs = _runs_per_point(rows)
    what = "Share" if share else "Mean"
    per = f"{runs:,} runs" if runs else "the runs"
    _subtitle(ax, f"{what} of {per} at each grid point")
    _suptitle(fig, _tex(f"{title}: sweep of two parameters"))
    return fig


# --- Morris ----------------------------------------------------------------------------------

_MORRIS_COLUMNS = ("output", "parameter", "mu_star")
_SOBOL_COLUMNS = ("output", "parameter", "S1", "ST")


def _ranked(rows: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows by ``key``, largest first (missing values last), ties in input order."""
    ranked = rows.assign(_key=pd.to_numeric(rows[key], errors="coerce"))
    ranked = ranked.sort_values("_key", ascending=False, kind="stable", na_position="last")
    return ranked.drop(columns="_key").reset_index(drop=True)


def _float(row: pd.Series, column: str) -> float:
    value = row.get(column, np.nan)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _direction(mu: float, mu_star: float) -> str:
    """How the output moves as the parameter rises, from the signed mean effect."""
    if not (np.isfinite(mu) and np.isfinite(mu_star)) or mu_star <= 0:
        return ""
    ratio = mu / mu_star
    if ratio >= 0.8:
        return "raises"
    if ratio <= -0.8:
        return "lowers"
    return "both ways"


def _ranked_axes(
    ax: Axes, labels: Sequence[str], k: int, *, notes: Sequence[str] = (), row: float = 0.3
) -> None:
    """Ranked rows, the first (largest) on top; ``notes`` go in room kept below the last row
    (``row``: the height of a row in inches)."""
    ax.set_yticks(np.arange(k), [_tex(t) for t in labels])
    ax.tick_params(axis="y", length=0, labelsize=st.TICK_SIZE + 0.5)
    lines = sum(str(n).count("\n") + 1 for n in notes)
    room = (lines * 0.15 + 0.08) / row if lines else 0.0
    ax.set_ylim(k - 0.5 + room, -0.6)
    ax.spines["left"].set_visible(False)
    if notes:
        _note(ax, "\n".join(notes), y=0.01)


def _panel_heights(counts: Sequence[int], per: float, base: float) -> list[float]:
    return [base + per * max(k, 2) for k in counts]


def _scatter_sizes(ax: Axes, fig: Figure) -> tuple[float, float]:
    """Approximate size of ``ax`` in inches (before the layout engine adjusts it)."""
    box = ax.get_position()
    return box.width * fig.get_figwidth(), box.height * fig.get_figheight()


def _sigma_panel(
    fig: Figure,
    ax: Axes,
    mu_star: np.ndarray,
    sigma: np.ndarray,
    k: int,
    colour: str,
    unit_text: str,
) -> None:
    """σ against μ* of every parameter: the ``k`` ranked ones as numbered discs (a small dot
    when a higher-ranked disc would hide the number), the rest as grey dots."""
    finite = np.concatenate([mu_star[np.isfinite(mu_star)], sigma[np.isfinite(sigma)]])
    edge = float(finite.max()) * 1.12 if finite.size and finite.max() > 0 else 1.0
    pad = 0.05 * edge
    ax.plot(
        [0, edge],
        [0, edge],
        color=st.SPINE,
        linewidth=1.0,
        linestyle=(0, (4, 3)),
        zorder=1.5,
        label="_diagonal",
    )
    for x, y, text, ha, va in (
        (0.88, 0.99, "σ = μ*", "right", "top"),
        (0.03, 0.97, "above the line:\nnon-linear or interacting", "left", "top"),
        (0.97, 0.03, "below: near-linear,\nadditive", "right", "bottom"),
    ):
        ax.text(
            x,
            y,
            text,
            transform=ax.transAxes,
            ha=ha,
            va=va,
            fontsize=st.NOTE_SIZE,
            color=st.MUTED,
            zorder=1.6,
        )
    ok = np.isfinite(mu_star) & np.isfinite(sigma)
    rest = ok.copy()
    rest[:k] = False
    if rest.any():
        ax.scatter(
            mu_star[rest],
            sigma[rest],
            s=14,
            color=st.CONTEXT,
            edgecolors="none",
            zorder=2,
            label="_others",
        )
    width, height = _scatter_sizes(ax, fig)
    scale = np.array([width / (edge + pad), height / (edge + pad)])
    placed: list[np.ndarray] = []
    disc = 0.17  # inches: a numbered disc of area 150 pt²
    for i in range(k):  # most influential first: it keeps its number
        if not ok[i]:
            continue
        at = np.array([mu_star[i], sigma[i]]) * scale
        hidden = any(np.hypot(*(at - other)) < 0.9 * disc for other in placed)
        z = 3 + 0.01 * (k - i)
        ax.scatter(
            [mu_star[i]],
            [sigma[i]],
            s=30 if hidden else 150,
            color=colour,
            edgecolors="white",
            linewidths=0.8 if hidden else 1.0,
            zorder=z - (1 if hidden else 0),
            clip_on=False,
            label=f"_rank{i + 1}",
        )
        if not hidden:
            placed.append(at)
            ax.text(
                mu_star[i],
                sigma[i],
                str(i + 1),
                ha="center",
                va="center",
                fontsize=7,
                fontweight="bold",
                color="white",
                zorder=z + 0.005,
                gid=f"rank{i + 1}",
            )
    ax.set_xlim(-pad, edge)
    ax.set_ylim(-pad, edge)
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.set_xlabel(_tex(f"μ*{unit_text}"))
    ax.set_ylabel(_tex(f"σ: spread of the effects{unit_text}"))
    _panel_title(ax, "σ against μ*, numbered by rank")


def morris_figure(
    indices: pd.DataFrame,
    *,
    scenario: Scenario | None = None,
    max_parameters: int | None = MAX_PARAMETERS,
) -> Figure:
    """Morris screening: per output, a ranked bar chart of μ* and a plot of σ against μ*.

    Left panel: μ* (mean absolute elementary effect, in the output's unit) of each parameter
    with its 95% interval, most influential on top, numbered; right of each bar, whether the
    output rises or falls as the parameter rises (sign of μ; "both ways" when the sign
    depends on the other parameters). Right panel (when ``sigma`` is given): σ against μ*
    with the same numbers; above the line σ = μ* the effect is non-linear or depends on
    interactions. At most ``max_parameters`` are ranked per output (a note counts the rest,
    drawn as grey dots on the right). Each output has its colour (see the module docstring).
    """
    _require_columns(indices, _MORRIS_COLUMNS, "Morris indices")
    frame = indices.assign(output=indices["output"].astype(str))
    outputs = _outputs(frame, scenario)
    has_sigma = "sigma" in frame.columns and bool(frame["sigma"].notna().any())
    has_mu = "mu" in frame.columns
    ranked = {o: _ranked(frame[frame["output"] == o], "mu_star") for o, _, _ in outputs}
    limit = max_parameters if max_parameters else max(len(r) for r in ranked.values())
    shown = [min(len(r), limit) for r in ranked.values()]

    heights = _panel_heights(shown, MORRIS_ROW, 1.7)
    ncols = 2 if has_sigma else 1
    fig = _new_figure(12.0 if has_sigma else 7.6, sum(heights) + 1.0)
    grid = fig.subplots(
        len(outputs),
        ncols,
        squeeze=False,
        gridspec_kw={"height_ratios": heights, "width_ratios": [1.55, 1.0][:ncols]},
    )
    any_direction = False
    any_hidden = False
    for row_axes, (output, title, quantity), k in zip(grid, outputs, shown, strict=True):
        rows = ranked[output]
        top = rows.iloc[:k]
        colour = quantity.colour
        unit = quantity.unit
        unit_text = f" ({unit})" if unit else ""
        ax = row_axes[0]
        ax.set_gid(f"morris:{output}")
        st.style_axes(ax, grid="x")
        y = np.arange(k)
        mu_star = pd.to_numeric(top["mu_star"], errors="coerce").to_numpy(float)
        conf = (
            pd.to_numeric(top["mu_star_conf"], errors="coerce").to_numpy(float)
            if "mu_star_conf" in top.columns
            else np.full(k, np.nan)
        )
        ax.barh(y, np.nan_to_num(mu_star), height=0.64, color=colour, edgecolor="none", zorder=2)
        ok = np.isfinite(conf) & np.isfinite(mu_star)
        if ok.any():
            ax.errorbar(
                mu_star[ok],
                y[ok],
                xerr=conf[ok],
                fmt="none",
                ecolor=st.TEXT,
                elinewidth=1.0,
                capsize=2.5,
                capthick=1.0,
                zorder=3,
                gid="ci_mu_star",
            )
        ends = np.nan_to_num(mu_star + np.where(ok, conf, 0.0))
        high = float(ends.max()) if ends.size else 0.0
        high = high if high > 0 else 1.0
        if has_mu:
            for yi, (_, row), end in zip(y, top.iterrows(), ends, strict=True):
                text = _direction(_float(row, "mu"), _float(row, "mu_star"))
                if text:
                    any_direction = True
                    ax.text(
                        end + 0.015 * high,
                        yi,
                        text,
                        va="center",
                        ha="left",
                        fontsize=st.NOTE_SIZE,
                        color=st.MUTED,
                        zorder=3,
                    )
        lows = mu_star - np.where(ok, conf, 0.0)
        low = float(np.nanmin(lows)) if np.isfinite(lows).any() else 0.0
        ax.set_xlim(min(0.0, low * 1.05), high * (1.2 if has_mu else 1.05))
        ax.axvline(0.0, color=st.SPINE, linewidth=0.8, zorder=1.8)
        names = [parameter_label(p) for p in top["parameter"]]
        if has_sigma:
            names = [f"{name}  {i + 1}" for i, name in enumerate(names)]
        hidden = len(rows) - k
        any_hidden = any_hidden or hidden > 0
        notes = []
        if hidden > 0:
            notes.append(f"+{hidden} parameter{'s' if hidden > 1 else ''} with smaller μ*")
        _ranked_axes(ax, names, k, notes=notes, row=MORRIS_ROW)
        ax.set_xlabel(_tex(f"μ*: mean absolute elementary effect{unit_text}"))
        _panel_title(ax, _tex(title))
        if has_sigma:
            ax = row_axes[1]
            ax.set_gid(f"morris_sigma:{output}")
            st.style_axes(ax, grid="both")
            _sigma_panel(
                fig,
                ax,
                pd.to_numeric(rows["mu_star"], errors="coerce").to_numpy(float),
                pd.to_numeric(rows["sigma"], errors="coerce").to_numpy(float),
                k,
                colour,
                unit_text,
            )

    handles: list[Any] = [Line2D([], [], color=st.TEXT, linewidth=1.0, marker="|", markersize=7)]
    labels = ["μ* with its 95% confidence interval"]
    if any_direction:
        handles.append(_blank())
        labels.append("raises / lowers: how the output moves as the parameter rises (sign of μ)")
    if any_hidden and has_sigma:
        handles.append(Line2D([], [], color=st.CONTEXT, linestyle="none", marker="o", ms=4))
        labels.append("Parameters not ranked")
    _legend(fig, handles, labels, max_cols=3)
    _suptitle(fig, "Morris screening: which assumptions move each output")
    return fig


# --- Sobol' ----------------------------------------------------------------------------------


def sobol_figure(
    indices: pd.DataFrame,
    *,
    scenario: Scenario | None = None,
    max_parameters: int | None = MAX_PARAMETERS,
) -> Figure:
    """Sobol' indices: per output, ranked horizontal bars of the total-order index ST and,
    below each, the first-order index S1 (lighter), both with their 95% intervals.

    ST is the share of the output's variance that the parameter accounts for alone and
    through its interactions; S1 the share it accounts for alone. Parameters are ranked by
    ST, largest on top. Bars are clipped at 0 (an estimate below 0 is noise around 0); the
    intervals are drawn in full, so the axis extends beyond 0..1 where they do. A note gives
    the sum of S1: what it leaves to 1 comes from interactions. At most ``max_parameters``
    are shown per output (the note counts the rest).
    """
    _require_columns(indices, _SOBOL_COLUMNS, "Sobol indices")
    frame = indices.assign(output=indices["output"].astype(str))
    outputs = _outputs(frame, scenario)
    ranked = {o: _ranked(frame[frame["output"] == o], "ST") for o, _, _ in outputs}
    limit = max_parameters if max_parameters else max(len(r) for r in ranked.values())
    shown = [min(len(r), limit) for r in ranked.values()]
    ncols = 1 if len(outputs) == 1 else 2
    nrows = math.ceil(len(outputs) / ncols)
    row_k = [max(shown[r * ncols : (r + 1) * ncols]) for r in range(nrows)]
    heights = _panel_heights(row_k, SOBOL_ROW, 1.8)
    fig = _new_figure(6.4 * ncols + (2.0 if ncols == 1 else 0.6), sum(heights) + 1.0)
    grid = fig.subplots(nrows, ncols, squeeze=False, gridspec_kw={"height_ratios": heights})
    for extra in range(len(outputs), nrows * ncols):
        fig.delaxes(grid[extra // ncols, extra % ncols])

    off, height = 0.19, 0.36
    any_beyond = False
    for n, ((output, title, quantity), k) in enumerate(zip(outputs, shown, strict=True)):
        ax = grid[n // ncols, n % ncols]
        ax.set_gid(f"sobol:{output}")
        st.style_axes(ax, grid="x")
        rows = ranked[output]
        top = rows.iloc[:k]
        colour = quantity.colour
        y = np.arange(k, dtype=float)
        series = {}
        for key in ("ST", "S1"):
            values = pd.to_numeric(top[key], errors="coerce").to_numpy(float)
            conf_col = f"{key}_conf"
            conf = (
                pd.to_numeric(top[conf_col], errors="coerce").to_numpy(float)
                if conf_col in top.columns
                else np.full(k, np.nan)
            )
            series[key] = (values, np.where(np.isfinite(values), conf, np.nan))
        ends = np.concatenate([[0.0, 1.0]] + [[*(v - c), *(v + c)] for v, c in series.values()])
        ends = ends[np.isfinite(ends)]
        left = max(min(-0.02, float(ends.min()) - 0.02), SOBOL_RANGE[0])
        right = min(max(1.0, float(ends.max()) + 0.1), SOBOL_RANGE[1])
        for (key, (values, conf)), dy, tint in zip(
            series.items(), (-off, off), (1.0, 0.42), strict=True
        ):
            ax.barh(
                y + dy,
                np.clip(np.nan_to_num(values), 0.0, None),
                height=height,
                color=_tint(colour, tint),
                edgecolor="none",
                zorder=2,
                gid=f"bars_{key}",
            )
            ok = np.isfinite(conf)
            if ok.any():
                ax.errorbar(
                    values[ok],
                    (y + dy)[ok],
                    xerr=conf[ok],
                    fmt="none",
                    ecolor=st.TEXT,
                    elinewidth=0.9,
                    capsize=2.0,
                    capthick=0.9,
                    zorder=3,
                    gid=f"ci_{key}",
                )
            for edge, beyond, marker in (
                (left, ok & (values - conf < left), "<"),
                (right, ok & (values + conf > right), ">"),
            ):
                if beyond.any():
                    any_beyond = True
                    ax.scatter(
                        np.full(int(beyond.sum()), edge),
                        (y + dy)[beyond],
                        s=16,
                        marker=marker,
                        color=st.TEXT,
                        linewidths=0,
                        zorder=3.1,
                        clip_on=False,
                        label="_beyond",
                    )
            if key == "ST":
                for yi, v, cf in zip(y + dy, values, conf, strict=True):
                    if not np.isfinite(v):
                        continue
                    end = max(v + (cf if np.isfinite(cf) else 0.0), max(v, 0.0))
                    ax.text(
                        min(end + 0.012, right - 0.09),
                        yi,
                        f"{v:.2f}".replace("-", "−"),
                        va="center",
                        ha="left",
                        fontsize=st.NOTE_SIZE - 0.5,
                        color=st.TEXT,
                        zorder=3,
                    )
        ax.set_xlim(left, right)
        ax.xaxis.set_major_locator(FixedLocator([0.0, 0.25, 0.5, 0.75, 1.0]))
        ax.axvline(0.0, color=st.SPINE, linewidth=0.8, zorder=1.8)
        _panel_title(ax, _tex(title))
        if n + ncols >= len(outputs):
            ax.set_xlabel("Share of the output's variance (Sobol' index, 0–1)")
        notes = []
        s1 = pd.to_numeric(rows["S1"], errors="coerce").dropna()
        if len(s1):
            total = float(s1.clip(lower=0.0).sum())
            text = f"Sum of S1 = {total:.2f}"
            if total <= 1.0:
                text += f": {1.0 - total:.0%} of the variance from interactions"
            else:
                text += ": over 1, the estimates are noisy (use a larger N)"
            notes.append(text)
        hidden = len(rows) - k
        if hidden > 0:
            notes.append(f"+{hidden} parameter{'s' if hidden > 1 else ''} with smaller ST")
        _ranked_axes(
            ax, [parameter_label(p) for p in top["parameter"]], k, notes=notes, row=SOBOL_ROW
        )

    handles: list[Any] = [
        Patch(facecolor=st.NEUTRAL, edgecolor="none"),
        Patch(facecolor=_tint(st.NEUTRAL, 0.42), edgecolor="none"),
        Line2D([], [], color=st.TEXT, linewidth=0.9, marker="|", markersize=7),
    ]
    labels = [
        "ST, total order: the parameter alone and through interactions",
        "S1, first order: the parameter alone",
        "95% confidence interval",
    ]
    if any_beyond:
        handles.append(Line2D([], [], color=st.TEXT, linestyle="none", marker=">", markersize=4))
        labels.append("Interval goes on beyond the axis")
    _legend(fig, handles, labels, max_cols=3)
    _suptitle(fig, "Sobol' indices: which assumptions explain each output's variance")
    return fig


# --- writing ---------------------------------------------------------------------------------


def _stem(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text)).strip("._") or "output"


def draw_sensitivity(
    out_dir: str | Path,
    *,
    sweep: pd.DataFrame | None = None,
    params: Sequence[str] | None = None,
    morris: pd.DataFrame | None = None,
    sobol: pd.DataFrame | None = None,
    scenario: Scenario | None = None,
    formats: Sequence[str] = FORMATS,
) -> list[Path]:
    """Write the figures of a sweep and/or a sensitivity analysis to ``out_dir``.

    ``sweep.*`` (:func:`sweep_figure`: the outputs against the swept parameter with more
    grid values, one line per value of the other when there are two), one
    ``sweep_heatmap_<output>.*`` per output for two parameters (:func:`sweep_heatmap_figure`,
    first parameter across), ``morris.*`` and ``sobol.*``. ``params`` are the swept
    parameters (default: the sweep table's numeric columns that are not results). Tables
    that are None or empty are skipped. Returns the written paths in drawing order.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    if sweep is not None and not sweep.empty:
        swept = list(params) if params is not None else swept_parameters(sweep)
        if not 1 <= len(swept) <= 2:
            raise ValueError(f"a sweep figure takes one or two parameters, got {swept!r}")
        x = swept[0]
        if len(swept) == 2 and sweep[swept[1]].nunique() > sweep[swept[0]].nunique():
            x = swept[1]
        paths += _write(sweep_figure(sweep, x, scenario=scenario), out, "sweep", formats)
        if len(swept) == 2:
            for output in dict.fromkeys(sweep["output"].astype(str)):
                fig = sweep_heatmap_figure(sweep, swept[0], swept[1], output, scenario=scenario)
                paths += _write(fig, out, f"sweep_heatmap_{_stem(output)}", formats)
    if morris is not None and not morris.empty:
        paths += _write(morris_figure(morris, scenario=scenario), out, "morris", formats)
    if sobol is not None and not sobol.empty:
        paths += _write(sobol_figure(sobol, scenario=scenario), out, "sobol", formats)
    return paths

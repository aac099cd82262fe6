"""Figures of a scenario discovery: where in the assumptions an outcome happens.

The tables are those of :mod:`hegemon.analysis.discovery` (a discover folder's ``boxes``,
``stats``, ``trajectory`` and ``cases``):

* :func:`tradeoff_figure`: the peeling trajectory, coverage against density, each box
  coloured by its number of restricted parameters; the box chosen on it is ringed, and the
  box kept after lifting insignificant restrictions is a star (CART: its leaves);
* :func:`limits_figure`: each box's limits against the full range of its parameters, with
  the quasi-p value of each restriction;
* :func:`scatter_figure`: the cases on the two most restricted parameters, cases of
  interest in colour, with the boxes drawn over them.

Styled like the other figures (:mod:`hegemon.plots.figures`: no pyplot state, constrained
layout, legend below); :func:`draw_discovery` writes them to files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter

from hegemon.plots import style as st
from hegemon.plots.comparison import _tex
from hegemon.plots.figures import _legend, _new_figure, _panel_title, _suptitle, _write
from hegemon.plots.jobs import FORMATS
from hegemon.plots.sensitivity import parameter_label

__all__ = ["draw_discovery", "limits_figure", "scatter_figure", "tradeoff_figure"]

DIMS_CMAP = "viridis"
BOX_COLOURS = ("#B2182B", "#2166AC", "#1B7837")  # box 1, 2, 3 (then repeat)


def _box_colour(box: int) -> str:
    return BOX_COLOURS[(int(box) - 1) % len(BOX_COLOURS)]


def _percent_axes(ax: Any) -> None:
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def tradeoff_figure(
    trajectory: pd.DataFrame,
    stats: pd.DataFrame,
    *,
    base_rate: float,
    method: str = "prim",
    outcome: str = "",
) -> Figure:
    """Coverage against density of every candidate box (one panel per PRIM box found, or
    CART's leaves), coloured by the number of restricted parameters; the base rate dashed."""
    groups: list[tuple[str, pd.DataFrame, pd.DataFrame]] = []
    if method == "prim":
        for box, rows in trajectory.groupby("box", sort=True):
            groups.append((f"Box {box}: peeling trajectory", rows, stats[stats["box"] == box]))
    else:
        groups.append(("Leaves of the tree", trajectory, stats))
    groups = groups or [("No candidate box", trajectory, stats)]
    fig = _new_figure(4.6 * len(groups) + 1.2, 4.4)
    axes = fig.subplots(1, len(groups), squeeze=False)[0]
    dims = pd.to_numeric(trajectory["res_dim"], errors="coerce").fillna(0).astype(int)
    top = max(int(dims.max()) if len(dims) else 1, 1)
    norm = BoundaryNorm(np.arange(-0.5, top + 1.5), mpl.colormaps[DIMS_CMAP].N)
    cmap = mpl.colormaps[DIMS_CMAP]
    scatter = None
    for ax, (title, rows, kept) in zip(axes, groups, strict=True):
        st.style_axes(ax, grid="both")
        scatter = ax.scatter(
            rows["coverage"], rows["density"], c=rows["res_dim"], cmap=cmap, norm=norm,
            s=22, edgecolors="none", zorder=2,
        )  # fmt: skip
        chosen = rows[rows["chosen"].astype(bool)]
        ax.scatter(
            chosen["coverage"], chosen["density"], s=110, facecolors="none",
            edgecolors=st.TEXT, linewidths=1.2, zorder=3,
        )  # fmt: skip
        for row in kept.itertuples(index=False):
            ax.scatter(
                [row.coverage], [row.density], marker="*", s=190, color=_box_colour(row.box),
                edgecolors="white", linewidths=0.8, zorder=4,
            )  # fmt: skip
        rate = float(kept["base_rate"].iloc[0]) if method == "prim" and len(kept) else base_rate
        ax.axhline(rate, color=st.MUTED, linestyle="--", linewidth=1.0, zorder=1)
        ax.set_xlim(0.0, 1.03)
        ax.set_ylim(0.0, 1.03)
        _percent_axes(ax)
        ax.set_xlabel("Coverage: share of the cases of interest in the box")
        ax.set_ylabel("Density: share of the box that is cases of interest")
        _panel_title(ax, title)
    if scatter is not None:
        bar = fig.colorbar(scatter, ax=list(axes), shrink=0.85, pad=0.02)
        bar.set_label("Restricted parameters")
        bar.set_ticks(range(0, top + 1, max(1, (top + 1) // 8)))
    handles: list[Any] = [
        Line2D([], [], linestyle="none", marker="o", markersize=9, markerfacecolor="none",
               markeredgecolor=st.TEXT),
        Line2D([], [], linestyle="none", marker="*", markersize=12, color=_box_colour(1)),
        Line2D([], [], color=st.MUTED, linestyle="--", linewidth=1.0),
    ]  # fmt: skip
    labels = [
        "Chosen on the trajectory" if method == "prim" else "Leaf kept as a box",
        "The box, with its significant restrictions",
        f"Base rate ({base_rate:.0%}; for a further box, among the cases outside the others)",
    ]
    _legend(fig, handles, labels, max_cols=3)
    _suptitle(fig, _tex(f"Trade-off of coverage and density{_for(outcome)}"))
    return fig


def _for(outcome: str) -> str:
    return f": {outcome}" if outcome else ""


def limits_figure(boxes: pd.DataFrame, stats: pd.DataFrame, *, outcome: str = "") -> Figure:
    """Each box's limits (coloured) against the full range of each restricted parameter
    (grey), scaled to that range, with the limits and their quasi-p values written out."""
    numbers = list(stats["box"]) if len(stats) else []
    rows = [boxes[boxes["box"] == b] for b in numbers]
    heights = [max(len(r), 1) * 0.42 + 0.9 for r in rows] or [1.6]
    fig = _new_figure(9.0, sum(heights) + 0.9)
    axes = fig.subplots(len(heights), 1, squeeze=False, gridspec_kw={"height_ratios": heights})
    if not numbers:
        ax = axes[0, 0]
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No box: no region of the parameters holds the outcome more often "
                "than chance", ha="center", va="center", color=st.MUTED)  # fmt: skip
    for ax, number, parts in zip(axes[:, 0], numbers, rows, strict=False):
        st.style_axes(ax, grid="x")
        colour = _box_colour(number)
        for y, row in enumerate(parts.itertuples(index=False)):
            span = (row.range_high - row.range_low) or 1.0
            low, high = (row.low - row.range_low) / span, (row.high - row.range_low) / span
            ax.plot([0, 1], [y, y], color=st.CONTEXT, linewidth=6, solid_capstyle="butt")
            ax.plot([low, high], [y, y], color=colour, linewidth=6, solid_capstyle="butt")
            ax.text(1.03, y, f"{row.low:.3g} – {row.high:.3g}   (qp {row.qp:.1g})",
                    va="center", fontsize=st.NOTE_SIZE, color=st.TEXT)  # fmt: skip
        ax.set_yticks(range(len(parts)))
        ax.set_yticklabels([_tex(parameter_label(p)) for p in parts["parameter"]])
        ax.set_ylim(len(parts) - 0.5, -0.5)
        ax.set_xlim(-0.02, 1.02)
        ax.set_xticks([0, 0.5, 1])
        ax.set_xticklabels(["lowest", "middle", "highest value drawn"])
        s = stats[stats["box"] == number].iloc[0]
        _panel_title(
            ax,
            f"Box {number}: coverage {s['coverage']:.0%}, density {s['density']:.0%}, "
            f"lift {s['lift']:.1f}",
        )
    _suptitle(fig, _tex(f"Box limits against the parameters' ranges{_for(outcome)}"))
    return fig


def most_restricted(boxes: pd.DataFrame, cases: pd.DataFrame, k: int = 2) -> list[str]:
    """The ``k`` parameters the boxes restrict most (the smallest share of their range
    kept, box 1 first), then those whose values differ most between cases and the rest."""
    chosen: list[str] = []
    if len(boxes):
        kept = (boxes["high"] - boxes["low"]) / (boxes["range_high"] - boxes["range_low"])
        order = boxes.assign(kept=kept).sort_values(["box", "kept"])
        chosen = list(dict.fromkeys(order["parameter"]))[:k]
    inputs = [c for c in cases.columns if c not in ("case", "box")]
    if len(chosen) < k:
        flags = cases["case"].astype(bool)
        ranks = cases[inputs].rank(pct=True)
        gap = (ranks[flags].mean() - ranks[~flags].mean()).abs().sort_values(ascending=False)
        chosen += [p for p in gap.index if p not in chosen][: k - len(chosen)]
    return chosen


def scatter_figure(
    cases: pd.DataFrame,
    boxes: pd.DataFrame,
    *,
    outcome: str = "",
    colour: str = st.NEUTRAL,
) -> Figure:
    """The cases on the two most restricted parameters, cases of interest in ``colour``,
    the others grey, with every box's limits on those parameters drawn as a rectangle (a
    further box holds among the cases outside the boxes before it)."""
    fig = _new_figure(6.6, 5.6)
    ax = fig.subplots()
    st.style_axes(ax, grid="both")
    px, py = [*most_restricted(boxes, cases), None, None][:2]
    if px is None or py is None:
        ax.set_axis_off()
        return fig
    flags = cases["case"].astype(bool).to_numpy()
    for mask, col, size, z in ((~flags, st.CONTEXT, 10, 2), (flags, colour, 14, 3)):
        ax.scatter(cases.loc[mask, px], cases.loc[mask, py], s=size, color=col,
                   edgecolors="none", alpha=0.85, zorder=z)  # fmt: skip
    handles: list[Any] = [
        Line2D([], [], linestyle="none", marker="o", color=colour, markersize=5),
        Line2D([], [], linestyle="none", marker="o", color=st.CONTEXT, markersize=5),
    ]
    labels = [_tex(outcome or "Case of interest"), "Other cases"]
    ranges = {p: (float(cases[p].min()), float(cases[p].max())) for p in (px, py)}
    for number, parts in boxes.groupby("box", sort=True):
        limits = dict(ranges)
        limits |= {
            r.parameter: (r.low, r.high) for r in parts.itertuples() if r.parameter in ranges
        }
        (x0, x1), (y0, y1) = limits[px], limits[py]
        box_colour = _box_colour(int(number))
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=box_colour,
                               linewidth=1.8, zorder=4))  # fmt: skip
        handles.append(Line2D([], [], color=box_colour, linewidth=1.8))
        labels.append(f"Box {number}" + (" (among the rest)" if int(number) > 1 else ""))
    ax.set_xlabel(_tex(parameter_label(px)))
    ax.set_ylabel(_tex(parameter_label(py)))
    _legend(fig, handles, labels, max_cols=4)
    _suptitle(fig, "Cases on the two most restricted parameters")
    return fig


def draw_discovery(
    out_dir: str | Path,
    *,
    boxes: pd.DataFrame,
    stats: pd.DataFrame,
    trajectory: pd.DataFrame,
    cases: pd.DataFrame,
    base_rate: float,
    method: str = "prim",
    outcome: str = "",
    regime: str | None = None,
    formats: Sequence[str] = FORMATS,
) -> list[Path]:
    """Write ``tradeoff.*``, ``box_limits.*`` and ``scatter.*`` to ``out_dir``; cases of
    interest take the colour of ``regime`` when the outcome is one."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    colour = st.regime_colour(regime) if regime else st.NEUTRAL
    figures = {
        "tradeoff": tradeoff_figure(
            trajectory, stats, base_rate=base_rate, method=method, outcome=outcome
        ),
        "box_limits": limits_figure(boxes, stats, outcome=outcome),
        "scatter": scatter_figure(cases, boxes, outcome=outcome, colour=colour),
    }
    paths: list[Path] = []
    for name, fig in figures.items():
        paths += _write(fig, out, name, formats)
    return paths

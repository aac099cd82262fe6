"""The event history of a run: what happened, in one replicate and across the ensemble.

:func:`event_history_figure` draws, from the ``events`` table (one row per event of every
replicate; kinds and their labels declared in :data:`hegemon.scenario.observables.EVENTS`):

* a timeline of the events of one replicate: a row per kind of event, a mark at each
  event's date (dated interventions the scenario states hollow, events of the model filled);
* the ensemble's event rates over time: for each kind of model event, the events per
  replicate per year, in quarters of a year.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from hegemon.plots import style as st
from hegemon.plots.figures import (
    _date_axis,
    _legend,
    _new_figure,
    _panel_title,
    _suptitle,
    _title,
)
from hegemon.plots.jobs import EVENT_HISTORY
from hegemon.scenario.observables import EVENTS

__all__ = ["EVENT_HISTORY", "event_colour", "event_history_figure", "event_rates"]

RATE_WEEKS = 13  # a quarter of a year: the bins of the rates
_KIND_ORDER = {name: i for i, name in enumerate(EVENTS)}


def event_colour(kind: str, kinds: list[str]) -> str:
    """The colour of a kind of event among the ``kinds`` drawn (in ``EVENTS`` order)."""
    return st.scenario_colour(kinds.index(kind))


def _linestyle(kind: str, kinds: list[str]) -> str:
    return st.scenario_linestyle(kinds.index(kind))


def _label(kind: str) -> str:
    return EVENTS[kind].label if kind in EVENTS else kind.replace("_", " ").capitalize()


def _kinds(events: pd.DataFrame) -> list[str]:
    present = set(map(str, pd.unique(events["event"])))
    return sorted(present, key=lambda k: (_KIND_ORDER.get(k, len(_KIND_ORDER)), k))


def event_rates(events: pd.DataFrame, replicates: int, weeks: int | None = None) -> pd.DataFrame:
    """Events of the model (not the scenario's dated interventions) per replicate per year,
    by kind, in bins of :data:`RATE_WEEKS` weeks (the last bin as long as the run's
    ``weeks`` leave it; default: up to the last event): columns ``start`` (the bin's first
    date), ``event``, ``count`` and ``rate``."""
    stated = [name for name, kind in EVENTS.items() if kind.scenario]
    model = events[~events["event"].isin(stated)]
    if model.empty or replicates < 1:
        return pd.DataFrame(columns=["start", "event", "count", "rate"])
    first = pd.Timestamp(events["date"].min()) - pd.Timedelta(weeks=int(events["step"].min()))
    weeks = int(events["step"].max()) + 1 if weeks is None else int(weeks)
    nbins = max(1, round(weeks / RATE_WEEKS))  # a short remainder joins the last bin
    bins = np.minimum(model["step"].to_numpy() // RATE_WEEKS, nbins - 1).astype(int)
    # grouped by the codes of the kinds (no string per event), the few counts then by name
    frame = pd.DataFrame({"bin": bins, "event": model["event"].astype("category").to_numpy()})
    counts = frame.groupby(["event", "bin"], observed=True).size().rename("count").reset_index()
    counts["event"] = counts["event"].astype(str)
    full = pd.MultiIndex.from_product([_kinds(model), range(nbins)], names=["event", "bin"])
    counts = counts.set_index(["event", "bin"]).reindex(full, fill_value=0).reset_index()
    counts["start"] = first + pd.to_timedelta(counts["bin"] * RATE_WEEKS, unit="W")
    bin_ = counts["bin"].to_numpy()
    length = np.where(bin_ == nbins - 1, weeks - bin_ * RATE_WEEKS, RATE_WEEKS)
    counts["rate"] = counts["count"] / replicates * (52.0 / np.maximum(length, 1))
    return counts[["start", "event", "count", "rate"]]


def event_history_figure(
    events: pd.DataFrame,
    *,
    replicates: int,
    weeks: int | None = None,
    replicate: int = 0,
    scenario: str | None = None,
) -> Figure:
    """The timeline of ``replicate``'s events over the ensemble's event rates (see the
    module). ``replicates`` is the number of replicates of the run (those without any event
    count too), ``weeks`` its steps. Raises ``ValueError`` for an empty table."""
    if events is None or events.empty:
        raise ValueError("events is empty")
    kinds = _kinds(events)
    mine = events[events["replicate"] == replicate]
    fig = _new_figure(9.0, 2.2 + 0.32 * len(kinds) + 3.0)
    top, bottom = fig.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [0.3 * len(kinds) + 0.6, 2.6]}
    )
    for ax in (top, bottom):
        st.style_axes(ax, grid="x" if ax is top else "y")
    top.set_gid("events:timeline")
    bottom.set_gid("events:rates")

    ys = {kind: i for i, kind in enumerate(kinds)}
    for kind in kinds:
        rows = mine[mine["event"].astype(str) == kind]
        if rows.empty:
            continue
        stated = kind in EVENTS and EVENTS[kind].scenario
        colour = event_colour(kind, kinds)
        top.scatter(
            pd.to_datetime(rows["date"]).to_numpy(),
            np.full(len(rows), ys[kind]),
            s=34,
            marker="D" if stated else "o",
            facecolors="white" if stated else colour,
            edgecolors=colour,
            linewidths=1.3,
            zorder=3,
            label=_label(kind),
            clip_on=False,
        )
    top.set_yticks(list(ys.values()), [_label(k) for k in kinds])
    top.set_ylim(len(kinds) - 0.5, -0.5)
    top.tick_params(axis="y", length=0, labelsize=st.LABEL_SIZE)
    top.spines["left"].set_visible(False)
    _panel_title(top, f"Events of replicate {replicate}")

    start = pd.Timestamp(events["date"].min()) - pd.Timedelta(weeks=int(events["step"].min()))
    steps = int(events["step"].max()) + 1 if weeks is None else int(weeks)
    rates = event_rates(events, replicates, weeks)
    handles: list[Any] = []
    labels: list[str] = []
    for kind in dict.fromkeys(rates["event"]):
        rows = rates[rates["event"] == kind]
        x, y = rows["start"].to_numpy(), rows["rate"].to_numpy()
        style = {"color": event_colour(kind, kinds), "linestyle": _linestyle(kind, kinds)}
        # the last bin drawn to the end of the run
        end = np.datetime64(start + pd.Timedelta(weeks=steps))
        bottom.step(
            np.append(x, end), np.append(y, y[-1]), where="post", linewidth=1.6,
            label=_label(kind), **style,
        )  # fmt: skip
        handles.append(Line2D([], [], linewidth=1.6, **style))
        labels.append(_label(kind))
    bottom.set_ylim(bottom=0.0)
    bottom.set_ylabel("Events per replicate per year")
    _panel_title(bottom, f"Event rates over the {replicates:,} replicates, by quarter")
    bottom.set_xlim(start, start + pd.Timedelta(weeks=max(steps, 1)))
    _date_axis(bottom)

    key = (
        [
            Line2D([], [], color=st.NEUTRAL, lw=0, marker="o", markersize=6),
            Line2D(
                [], [], color=st.NEUTRAL, lw=0, marker="D", markersize=5, markerfacecolor="white"
            ),
        ],
        ["Event of the model", "Dated intervention of the scenario"],
    )
    _legend(fig, handles, labels, key=key, max_cols=4)
    _suptitle(fig, _title("Event history", [scenario] if scenario else []))
    return fig

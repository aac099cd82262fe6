"""Comparison figures that stay readable with many scenarios (as Covasim's MultiSim plots):

* :func:`small_multiples_figure`: one panel per scenario, its fan in its colour over the
  reference's median and 50% band drawn faint in every panel;
* :func:`difference_fan_figure`: fans of the paired differences (scenario − reference,
  replicate by replicate, over time) when the runs kept their trajectories.

Overlaid fans of five scenarios blend into one colour; these do not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hegemon.plots import style as st
from hegemon.plots.figures import (
    QUANTILES,
    _by_scenario,
    _date_axis,
    _new_figure,
    _panel_title,
    _scenarios,
    _series,
    _suptitle,
    _title,
    fan_chart,
)

__all__ = ["difference_fan_figure", "small_multiples_figure"]


def _grid(n: int) -> tuple[int, int]:
    ncols = min(n, 3)
    return math.ceil(n / ncols), ncols


def small_multiples_figure(
    summary: pd.DataFrame,
    metric: str,
    *,
    actor: str | None = None,
    target: str | None = None,
    what: str,
    ylabel: str,
) -> Figure:
    """One panel per scenario (reference first) of one series: the scenario's median with
    its 50% and 90% bands, and the reference's median and 50% band faint behind it. A
    panel whose fan is the reference's says so."""
    rows = summary[summary["metric"] == metric]
    scenarios = _scenarios(rows)
    if not scenarios:
        raise ValueError(f"summary has no rows for metric {metric!r}")
    frames = _by_scenario(rows, scenarios)
    nrows, ncols = _grid(len(scenarios))
    fig = _new_figure(3.6 * ncols + 0.4, 2.6 * nrows + 1.0)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    ref = _series(frames[scenarios[0]], metric, actor=actor, target=target)
    for k, ax in enumerate(axes):
        if k >= len(scenarios):
            fig.delaxes(ax)
            continue
        scen = scenarios[k]
        st.style_axes(ax)
        ax.set_gid(f"multiple:{scen}")
        data = _series(frames[scen], metric, actor=actor, target=target)
        if k > 0 and not ref.empty:
            x = ref["x"].to_numpy()
            ax.fill_between(
                x, ref["q25"], ref["q75"], color=st.CONTEXT, alpha=0.45, linewidth=0,
                zorder=1.2, gid="reference50", label="_reference 50%",
            )  # fmt: skip
            ax.plot(x, ref["q50"], color=st.MUTED, linewidth=1.1, zorder=1.3, label="_reference")
        fan_chart(ax, frames[scen], metric, actor=actor, target=target,
                  colour=st.scenario_colour(k), label=scen)  # fmt: skip
        title = scen if k else f"{scen} (reference)"
        same = (
            k > 0
            and len(data) == len(ref)
            and np.allclose(
                data[list(QUANTILES)].to_numpy(float), ref[list(QUANTILES)].to_numpy(float)
            )
        )
        _panel_title(ax, f"{title}: same as {scenarios[0]}" if same else title)
        if k % ncols == 0:
            ax.set_ylabel(ylabel)
        if _is_dates(data):
            _date_axis(ax)
    _suptitle(fig, _title(what, scenarios))
    fig.supxlabel(
        f"Line: median; bands: middle 50% and 90% of runs; grey: {scenarios[0]}",
        x=0.01, ha="left", fontsize=st.NOTE_SIZE, color=st.MUTED,
    )  # fmt: skip
    return fig


def _is_dates(data: pd.DataFrame) -> bool:
    return bool(len(data)) and np.issubdtype(np.asarray(data["x"]).dtype, np.datetime64)


def difference_fan_figure(series: Mapping[str, pd.DataFrame], *, what: str, ylabel: str) -> Figure:
    """Fans of paired differences over time: ``series`` maps each scenario (the reference
    first) to its trajectories of one series, wide (a row per date, a column per replicate,
    as :meth:`hegemon.Results.series`). One panel per other scenario: the median of
    (scenario − reference) over the replicates both have, with its 50% and 90% bands, and
    a line at zero."""
    names = list(series)
    if len(names) < 2:
        raise ValueError("difference fans need a reference and at least one other scenario")
    ref = series[names[0]]
    nrows, ncols = _grid(len(names) - 1)
    fig = _new_figure(3.6 * ncols + 0.4, 2.6 * nrows + 1.0)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for k, ax in enumerate(axes):
        if k >= len(names) - 1:
            fig.delaxes(ax)
            continue
        scen = names[k + 1]
        st.style_axes(ax)
        ax.set_gid(f"difference:{scen}")
        common = ref.columns.intersection(series[scen].columns)
        diff = series[scen][common] - ref[common]
        qs = np.nanquantile(diff.to_numpy(float), [0.05, 0.25, 0.5, 0.75, 0.95], axis=1)
        frame = pd.DataFrame(dict(zip(QUANTILES, qs, strict=True)))
        frame["mean"] = np.nanmean(diff.to_numpy(float), axis=1)
        frame["date"] = pd.to_datetime(diff.index)
        frame["metric"] = "difference"
        frame["step"] = np.arange(len(frame))
        fan_chart(ax, frame, "difference", colour=st.scenario_colour(k + 1), label=scen)
        ax.axhline(0.0, color=st.TEXT, linewidth=0.9, zorder=1.8)
        _panel_title(ax, f"{scen} − {names[0]}")
        if k % ncols == 0:
            ax.set_ylabel(ylabel)
    _suptitle(fig, f"{what}: paired difference from {names[0]}")
    fig.supxlabel(
        "Line: median of the paired differences; bands: middle 50% and 90%",
        x=0.01, ha="left", fontsize=st.NOTE_SIZE, color=st.MUTED,
    )  # fmt: skip
    return fig

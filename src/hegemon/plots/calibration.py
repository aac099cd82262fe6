"""Figures of a calibration (a calibrate folder): the prior against the posterior of every
calibrated parameter, the pairs of the most informed parameters, and the posterior
predictive fan charts with the observations (filled up to the cut-off, hollow after it).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from scipy import special

from hegemon.plots import style as st
from hegemon.plots.figures import (
    Panel,
    Series,
    _legend,
    _new_figure,
    _panel_title,
    _suptitle,
    _write,
    fan_figure,
    peacekeepers_figure,
    territory_figure,
    trust_figure,
)
from hegemon.plots.jobs import FORMATS
from hegemon.plots.sensitivity import parameter_label

PRIOR = "#9A9A9A"
POSTERIOR = "#0072B2"
MARGINALS = "posterior_marginals"
PAIRS = "posterior_pairs"


def marginals_figure(
    posterior: pd.DataFrame, parameters: pd.DataFrame, prior_draws: dict[str, np.ndarray]
) -> Figure:
    """One panel per calibrated parameter: the prior's density (grey) and the posterior's
    (blue) as histograms on the prior's range, with the posterior's 90% interval."""
    names = list(parameters["parameter"])
    ncols = min(3, len(names))
    nrows = -(-len(names) // ncols)
    fig = _new_figure(3.6 * ncols + 0.4, 2.6 * nrows + 1.2)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    weights = posterior["weight"].to_numpy(float)
    for ax, row in zip(axes.ravel(), parameters.itertuples(index=False), strict=False):
        path = row.parameter
        prior = prior_draws[path]
        lo, hi = float(np.min(prior)), float(np.max(prior))
        bins = np.linspace(lo, hi, 31) if hi > lo else 10
        ax.hist(prior, bins=bins, density=True, color=PRIOR, alpha=0.45, label="Prior")
        ax.hist(
            posterior[path].to_numpy(float),
            bins=bins,
            weights=weights,
            density=True,
            histtype="stepfilled",
            color=POSTERIOR,
            alpha=0.55,
            label="Posterior",
        )
        ax.axvspan(row.posterior_q05, row.posterior_q95, color=POSTERIOR, alpha=0.08, lw=0)
        ax.set_yticks([])
        ratio = row.width_ratio
        _panel_title(ax, parameter_label(path))
        ax.set_xlabel(f"90% interval {ratio:.0%} of the prior's" if np.isfinite(ratio) else "")
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
    for ax in axes.ravel()[len(names) :]:
        ax.set_visible(False)
    handles = [Patch(color=PRIOR, alpha=0.45), Patch(color=POSTERIOR, alpha=0.55)]
    _legend(fig, handles, ["Prior", "Posterior"])
    _suptitle(fig, "Calibrated parameters: prior and posterior")
    return fig


def pairs_figure(posterior: pd.DataFrame, parameters: pd.DataFrame, top: int = 3) -> Figure:
    """The posterior particles of the ``top`` most informed parameters (narrowest posterior
    90% interval against the prior's), pair by pair, on the prior's ranges."""
    ranked = parameters.sort_values("width_ratio", kind="stable").head(max(2, top))
    names = list(ranked["parameter"])
    k = len(names)
    fig = _new_figure(2.7 * k + 0.6, 2.7 * k + 1.0)
    if k < 2:
        ax = fig.subplots()
        ax.text(0.5, 0.5, "one parameter: see the marginals", ha="center", transform=ax.transAxes)
        return fig
    axes = fig.subplots(k, k, squeeze=False)
    for i, yname in enumerate(names):
        for j, xname in enumerate(names):
            ax = axes[i, j]
            row_x = ranked.iloc[j]
            if i == j:
                ax.hist(posterior[xname], bins=30, color=POSTERIOR, alpha=0.6)
                ax.set_yticks([])
            elif i > j:
                ax.scatter(
                    posterior[xname], posterior[yname], s=4, color=POSTERIOR, alpha=0.25, lw=0
                )
                ax.set_ylim(ranked.iloc[i]["prior_q05"], ranked.iloc[i]["prior_q95"])
            else:
                ax.set_visible(False)
                continue
            ax.set_xlim(row_x["prior_q05"], row_x["prior_q95"])
            if i == k - 1:
                ax.set_xlabel(parameter_label(xname), fontsize=st.LABEL_SIZE - 1)
            if j == 0 and i > 0:
                ax.set_ylabel(parameter_label(yname), fontsize=st.LABEL_SIZE - 1)
            ax.tick_params(labelsize=st.TICK_SIZE - 1)
    _suptitle(fig, "Posterior of the most informed parameters (axes: prior 90% ranges)")
    return fig


def clashes_figure(summary: pd.DataFrame, *, observed: pd.DataFrame | None = None) -> Figure:
    """Cumulative clashes, with the observed count of major incidents."""
    return fan_figure(
        summary[summary["metric"] == "clashes_cum"],
        what="Clashes, cumulative",
        panels=[Panel("Clashes", (Series("clashes_cum", None, None, "Clashes", st.NEUTRAL),))],
        ylabel="Clashes (count)",
        kind="count",
        panel_size=(6.4, 3.6),
        note="A model clash stands for a major armed incident (ODD 7.13)",
        observed=observed,
    )


def draw_calibration(results: Any, out: Path | str, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Every figure of a calibrate folder (:class:`~hegemon.results.CalibrationResults`):
    marginals, pairs and, when the folder holds its posterior predictive run, the fan charts
    of trust, peacekeepers, territory and clashes with the observations."""
    from hegemon.analysis.calibration import Prior
    from hegemon.analysis.scores import observed_points
    from hegemon.scenario.distributions import parse_distribution
    from hegemon.scenario.observations import read_observations

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    parameters = results.parameters
    posterior = results.posterior
    scenario = results.scenario
    grid = (np.arange(4000) + 0.5) / 4000
    priors = {
        path: Prior(path, parse_distribution(spec)).theta(special.ndtri(grid))
        for path, spec in results.manifest["priors"].items()
    }
    paths = _write(marginals_figure(posterior, parameters, priors), out, MARGINALS, formats)
    paths += _write(pairs_figure(posterior, parameters), out, PAIRS, formats)
    predictive = results.predictive
    if predictive is not None:
        table = read_observations(results.path / "observations.csv", scenario).table
        cutoff = pd.Timestamp(results.manifest["cutoff"]).date()
        observed = observed_points(table, scenario, cutoff=cutoff)
        summary = predictive.summary
        for name, fn in (
            ("predictive_trust", trust_figure),
            ("predictive_peacekeepers", peacekeepers_figure),
            ("predictive_territory", territory_figure),
            ("predictive_clashes", clashes_figure),
        ):
            paths += _write(fn(summary, observed=observed), out, name, formats)
    return paths


__all__ = ["clashes_figure", "draw_calibration", "marginals_figure", "pairs_figure"]

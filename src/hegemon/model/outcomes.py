"""Scalar outcomes per replicate, read off a finished model's recorded series."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hegemon.model.model import HegemonModel


def scalar_outcomes(model: HegemonModel) -> dict[str, np.ndarray]:
    """Start-to-end changes, cumulative costs, ceasefire duration and the parameter draws.

    Column names are ``<what>__<actor>[__<target>]``; drawn parameters are ``param:<path>``.
    """
    s = model.recorder.series
    out: dict[str, np.ndarray] = {}
    for p in model.powers:
        inf = s["influence", p.name, None]
        out[f"influence_start__{p.name}"] = inf[0]
        out[f"influence_end__{p.name}"] = inf[-1]
        out[f"influence_change__{p.name}"] = inf[-1] - inf[0]
        out[f"peacekeeping_cost_cum_musd__{p.name}"] = s[
            "peacekeeping_cost_cum_musd", p.name, None
        ][-1]
        out[f"regional_cost_cum_musd__{p.name}"] = s["regional_cost_cum_musd", p.name, None][-1]
        out[f"peacekeepers_start__{p.name}"] = s["peacekeepers", p.name, None][0]
        out[f"peacekeepers_end__{p.name}"] = s["peacekeepers", p.name, None][-1]
        out[f"credibility_end__{p.name}"] = s["credibility", p.name, None][-1]
    for loc in model.local_states:
        for p in model.powers:
            trust = s["trust", loc.name, p.name]
            out[f"trust_start__{loc.name}__{p.name}"] = trust[0]
            out[f"trust_end__{loc.name}__{p.name}"] = trust[-1]
            out[f"trust_change__{loc.name}__{p.name}"] = trust[-1] - trust[0]
    if model.dispute is not None:
        for side in model.dispute.territory:
            terr = s["territory", side, None]
            out[f"territory_end__{side}"] = terr[-1]
            out[f"territory_change__{side}"] = terr[-1] - terr[0]
        held = s["ceasefire", None, None]
        broken = held < 0.5
        first = np.argmax(broken, axis=0).astype(np.float64)
        out["ceasefire_weeks"] = np.where(broken.any(axis=0), first, np.nan)
        out["ceasefire_held"] = ~broken[-1]
        out["clashes"] = s["clashes_cum", None, None][-1]
    for path, values in model.draws.drawn.items():
        out[f"param:{path}"] = values
    return out

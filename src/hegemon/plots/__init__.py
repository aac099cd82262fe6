"""Plots of hegemon ensemble results.

``hegemon.plots.style`` (colours, look) is light; the figure functions live in
``hegemon.plots.figures`` and import matplotlib, which is loaded only when one of them is first
accessed here (``from hegemon.plots import draw_all``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hegemon.plots.style import (
    ACTOR_COLOURS,
    REGIME_COLOURS,
    SCENARIO_COLOURS,
    SCENARIO_STYLE,
    actor_colour,
    apply_style,
    regime_colour,
    scenario_colour,
    style_context,
)

if TYPE_CHECKING:
    from hegemon.plots.comparison import (
        comparison_figures,
        end_state_figure,
        paired_difference_figure,
    )
    from hegemon.plots.figures import (
        FIGURES,
        Panel,
        Series,
        available_figures,
        cost_figure,
        decline_curve_figure,
        draw_all,
        fan_chart,
        fan_figure,
        figure_png,
        influence_figure,
        influence_over_figure,
        peacekeepers_figure,
        regime_figure,
        survival_figure,
        territory_figure,
        trust_figure,
    )
    from hegemon.plots.report import write_report
    from hegemon.plots.sensitivity import (
        draw_sensitivity,
        morris_figure,
        parameter_label,
        sobol_figure,
        sweep_figure,
        sweep_heatmap_figure,
    )

_FIGURE_NAMES = (
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
    "survival_figure",
    "territory_figure",
    "trust_figure",
)
_LAZY_MODULES = {
    "comparison_figures": "hegemon.plots.comparison",
    "end_state_figure": "hegemon.plots.comparison",
    "paired_difference_figure": "hegemon.plots.comparison",
    "write_report": "hegemon.plots.report",
    "draw_sensitivity": "hegemon.plots.sensitivity",
    "morris_figure": "hegemon.plots.sensitivity",
    "parameter_label": "hegemon.plots.sensitivity",
    "sobol_figure": "hegemon.plots.sensitivity",
    "sweep_figure": "hegemon.plots.sensitivity",
    "sweep_heatmap_figure": "hegemon.plots.sensitivity",
}

__all__ = [
    "ACTOR_COLOURS",
    "FIGURES",
    "REGIME_COLOURS",
    "SCENARIO_COLOURS",
    "SCENARIO_STYLE",
    "Panel",
    "Series",
    "actor_colour",
    "apply_style",
    "available_figures",
    "comparison_figures",
    "cost_figure",
    "decline_curve_figure",
    "draw_all",
    "draw_sensitivity",
    "end_state_figure",
    "fan_chart",
    "fan_figure",
    "figure_png",
    "influence_figure",
    "influence_over_figure",
    "morris_figure",
    "paired_difference_figure",
    "parameter_label",
    "peacekeepers_figure",
    "regime_colour",
    "regime_figure",
    "scenario_colour",
    "sobol_figure",
    "style_context",
    "survival_figure",
    "sweep_figure",
    "sweep_heatmap_figure",
    "territory_figure",
    "trust_figure",
    "write_report",
]


def __getattr__(name: str) -> Any:
    if name in _FIGURE_NAMES:
        return getattr(importlib.import_module("hegemon.plots.figures"), name)
    if name in _LAZY_MODULES:
        return getattr(importlib.import_module(_LAZY_MODULES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

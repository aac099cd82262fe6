"""The dashboard page (Solara, Mesa's SolaraViz): ``solara run hegemon.dashboard.app``.

Every browser session gets its own :class:`~hegemon.dashboard.model.DashboardModel`, built
inside the page component (``solara.use_memo``), never at module level, so two tabs never
share a model. SolaraViz gives the controls (Reset, play/pause, Step, play and render
intervals) and the parameter inputs; as everywhere in SolaraViz, new parameter values take
effect when Reset is pressed. The scenario the page starts with comes from the environment
variable ``HEGEMON_DASHBOARD_SCENARIO`` (set by ``hegemon dashboard``).

The charts are the figures of :mod:`hegemon.plots` as PNGs (Altair charts were seen to stay
blank offline), drawn by :class:`~hegemon.dashboard.model.Charts` when the week changes.
"""

from __future__ import annotations

import functools
import html
import os
from typing import Any

import reacton.ipywidgets as w
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from hegemon.dashboard import SCENARIO_ENV
from hegemon.dashboard.model import (
    DEFAULT_REPLICATES,
    KNOBS,
    MAX_REPLICATES,
    MIN_REPLICATES,
    NONE,
    REPLICATE_STEP,
    Charts,
    DashboardModel,
    default_parameters,
    scenario_choices,
)
from hegemon.scenario import load_scenario

__all__ = ["Page", "initial_kwargs", "initial_scenario", "model_params", "page"]

TITLE = "hegemon: influence after the 2020 Nagorno-Karabakh ceasefire"


def initial_scenario() -> str:
    """The scenario the page starts with (``HEGEMON_DASHBOARD_SCENARIO``, else baseline)."""
    return os.environ.get(SCENARIO_ENV) or "baseline"


@functools.lru_cache(maxsize=16)
def _defaults(scenario: str) -> dict[str, float | int]:
    return default_parameters(scenario)


def model_params(scenario: str) -> dict[str, Any]:
    """SolaraViz's inputs: scenario, comparison, replicates, and the four sliders (named
    after ``scenario``'s focus), which start at its own values and apply only when "Use the
    sliders" is ticked."""
    choices = scenario_choices(scenario)
    params: dict[str, Any] = {
        "scenario_name": {
            "type": "Select",
            "label": "Scenario",
            "value": scenario,
            "values": choices,
        },
        "compare_with": {
            "type": "Select",
            "label": "Compare with (same random numbers)",
            "value": NONE,
            "values": [NONE, *choices],
        },
        "replicates": {
            "type": "SliderInt",
            "label": "Replicates",
            "value": DEFAULT_REPLICATES,
            "min": MIN_REPLICATES,
            "max": MAX_REPLICATES,
            "step": REPLICATE_STEP,
        },
        "fix_parameters": {
            "type": "Checkbox",
            "label": "Use the sliders below (off: the scenario's own values and ranges)",
            "value": False,
        },
    }
    defaults = _defaults(scenario)
    spec = load_scenario(scenario)
    for knob in KNOBS:
        params[knob.name] = {
            "type": "SliderInt" if knob.integer else "SliderFloat",
            "label": knob.describe(spec),
            "value": defaults[knob.name],
            "min": knob.min,
            "max": knob.max,
            "step": knob.step,
        }
    params["seed"] = 0  # fixed: both scenarios share it (common random numbers)
    return params


def initial_kwargs(scenario: str) -> dict[str, Any]:
    """The keywords of the first model: the same as pressing Reset without touching a thing."""
    return {
        k: v.get("value") if isinstance(v, dict) else v for k, v in model_params(scenario).items()
    }


@solara.component
def Status(model: DashboardModel) -> Any:
    """What is shown: week, date, scenarios, sliders applied; and how to use the page.
    (Plain HTML: solara's Markdown fetches KaTeX, which is not served offline.)"""
    update_counter.get()
    lines = [html.escape(line) for line in model.describe()]
    lines[0] = f"<b>{lines[0]}</b>"
    question = model.primary.spec.question
    if question:
        lines.append(f"<i>{html.escape(question)}</i>")
    lines.append(
        "Charts: median (line), 50% and 90% bands over replicates, up to this week. "
        "Change the inputs on the left, then press <b>Reset</b>; <b>Step</b> advances one "
        "week, ▶ plays."
    )
    body = "".join(f"<p style='margin: 0 0 6px 0'>{line}</p>" for line in lines)
    return solara.HTML(tag="div", unsafe_innerHTML=body, style={"padding": "4px 12px"})


@solara.component
def ChartImage(model: DashboardModel, name: str) -> Any:
    """Chart ``name`` of the session's model, as a PNG redrawn when the week changes."""
    update_counter.get()
    charts = solara.use_memo(lambda: Charts(model), [model])
    if name not in charts.names():
        return solara.HTML(tag="p", unsafe_innerHTML=f"No {name} chart for this scenario.")
    image = w.Image(value=charts.png(name), format="png", layout=w.Layout(max_width="100%"))
    return solara.Div(children=[image], classes=["hegemon-chart", f"hegemon-chart-{name}"])


# One real component per chart (SolaraViz wraps plain functions in a new component at every
# render, which would drop their state and rebuild the figures at every step).


@solara.component
def InfluenceChart(model: DashboardModel) -> Any:
    return ChartImage(model, "fan0")


@solara.component
def SurvivalChart(model: DashboardModel) -> Any:
    return ChartImage(model, "survival")


@solara.component
def TrustChart(model: DashboardModel) -> Any:
    return ChartImage(model, "fan1")


@solara.component
def CostChart(model: DashboardModel) -> Any:
    return ChartImage(model, "fan2")


@solara.component
def RegimeChart(model: DashboardModel) -> Any:
    return ChartImage(model, "regimes")


COMPONENTS: list[tuple[Any, int]] = [
    (c, 0) for c in (InfluenceChart, SurvivalChart, TrustChart, CostChart, RegimeChart, Status)
]


@solara.component
def Page() -> Any:
    """The page: one model per browser session, driven by SolaraViz."""
    scenario = initial_scenario()
    model = solara.use_memo(lambda: DashboardModel(**initial_kwargs(scenario)), [])
    return SolaraViz(
        model,
        components=COMPONENTS,
        model_params=model_params(scenario),
        name=TITLE,
        play_interval=50,
    )


page = Page

"""The dashboard page (Solara, Mesa's SolaraViz parts): ``solara run hegemon.dashboard.app``.

Every browser session gets its own :class:`~hegemon.dashboard.model.DashboardModel`, built
inside the page component (``solara.use_memo``), never at module level, so two tabs never
share a model. The page is put together from SolaraViz's own ``ModelController`` (Reset,
play/pause, Step) with hegemon's inputs and charts, rather than by ``SolaraViz`` itself,
whose fixed chrome (a "Page 0" tab, play and render interval sliders, a "Use Threads" box, a
"Time: 117.0" readout, draggable chart tiles) means nothing here and cannot be switched off
by its arguments. The inputs show their values, and the four sliders are disabled while
"Use the sliders" is off. As everywhere in SolaraViz, new input values take effect when
Reset is pressed. The scenario the page starts with comes from the environment variable
``HEGEMON_DASHBOARD_SCENARIO`` (set by ``hegemon dashboard``).

The charts are the figures of :mod:`hegemon.plots` as PNGs (Altair charts were seen to stay
blank offline), drawn by :class:`~hegemon.dashboard.model.Charts` when the week changes.
"""

from __future__ import annotations

import functools
import html
import os
from decimal import Decimal
from typing import Any

import reacton.ipywidgets as w
import solara
from mesa.visualization.solara_viz import ModelController
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

__all__ = [
    "Inputs",
    "Page",
    "initial_kwargs",
    "initial_scenario",
    "model_params",
    "page",
    "value_label",
]

TITLE = "hegemon: influence after the 2020 Nagorno-Karabakh ceasefire"


def initial_scenario() -> str:
    """The scenario the page starts with (``HEGEMON_DASHBOARD_SCENARIO``, else baseline)."""
    return os.environ.get(SCENARIO_ENV) or "baseline"


@functools.lru_cache(maxsize=16)
def _defaults(scenario: str) -> dict[str, float | int]:
    return default_parameters(scenario)


def model_params(scenario: str) -> dict[str, Any]:
    """The page's inputs, in SolaraViz's ``model_params`` form: scenario, comparison,
    replicates, and the four sliders (named after ``scenario``'s focus), which start at its
    own values and apply only when "Use the sliders" is ticked."""
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


KNOB_NAMES = frozenset(k.name for k in KNOBS)  # the sliders that "Use the sliders" switches


def value_label(label: str, value: float, step: float) -> str:
    """A slider's label with its value, to the slider's precision ("Russia's resolve: 0.40")."""
    decimals = max(0, -int(Decimal(str(step)).normalize().as_tuple().exponent))
    return f"{label}: {float(value):,.{decimals}f}"


@solara.component
def Inputs(params: dict[str, Any], values: solara.Reactive[dict[str, Any]]) -> Any:
    """The inputs of ``params`` (SolaraViz's ``model_params`` form), bound to ``values``, the
    keywords Reset builds the next model with. A slider's label shows its value; the four
    scenario sliders are disabled while "Use the sliders" is off."""
    current = values.value
    sliders_on = bool(current["fix_parameters"])

    def setter(name: str) -> Any:
        return lambda value: values.set({**values.value, name: value})

    with solara.Column(gap="0px") as column:
        for name, spec in params.items():
            if not isinstance(spec, dict):  # a fixed keyword (the seed)
                continue
            kind = spec["type"]
            if kind == "Select":
                solara.Select(
                    spec["label"], value=current[name], values=spec["values"], on_value=setter(name)
                )
            elif kind == "Checkbox":
                solara.Checkbox(label=spec["label"], value=current[name], on_value=setter(name))
            elif kind in ("SliderInt", "SliderFloat"):
                slider = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
                slider(
                    value_label(spec["label"], current[name], spec["step"]),
                    value=current[name],
                    min=spec["min"],
                    max=spec["max"],
                    step=spec["step"],
                    on_value=setter(name),
                    disabled=name in KNOB_NAMES and not sliders_on,
                )
            else:
                raise ValueError(f"{name}: no input of type {kind}")
    return column


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
    body = "".join(f"<p style='margin: 0 0 4px 0'>{line}</p>" for line in lines)
    return solara.HTML(
        tag="div", unsafe_innerHTML=body, classes=["hegemon-status"], style="padding: 4px 0"
    )


@solara.component
def Credits() -> Any:
    """The page's footer, in the sidebar's flow (Solara's own banner floats over the page and
    is switched off by :func:`~hegemon.dashboard.server_environment`)."""
    return solara.HTML(
        tag="div",
        unsafe_innerHTML="Made with <a href='https://mesa.readthedocs.io'>Mesa</a> and "
        "<a href='https://solara.dev'>Solara</a>",
        classes=["hegemon-footer"],
        style="padding: 8px 16px; font-size: 12px; color: #666",
    )


@solara.component
def ChartImage(model: DashboardModel, name: str) -> Any:
    """Chart ``name`` of the session's model, as a PNG redrawn when the week changes."""
    update_counter.get()
    charts = solara.use_memo(lambda: Charts(model), [model])
    if name not in charts.names():
        return solara.HTML(tag="p", unsafe_innerHTML=f"No {name} chart for this scenario.")
    image = w.Image(value=charts.png(name), format="png", layout=w.Layout(max_width="100%"))
    return solara.Div(children=[image], classes=["hegemon-chart", f"hegemon-chart-{name}"])


CHARTS = ("fan0", "survival", "fan1", "fan2", "regimes")
CHART_GRID = {  # two columns on a wide screen, one on a narrow one
    "display": "grid",
    "grid-template-columns": "repeat(auto-fill, minmax(440px, 1fr))",
    "gap": "12px 16px",
    "align-items": "start",
}
PLAY_INTERVAL_MS = 50


@solara.component
def Page() -> Any:
    """The page: one model per browser session; SolaraViz's controller steps and resets it
    with the keywords the inputs hold."""
    scenario = initial_scenario()
    params = solara.use_memo(lambda: model_params(scenario), [])
    first = solara.use_memo(lambda: initial_kwargs(scenario), [])
    model = solara.use_reactive(solara.use_memo(lambda: DashboardModel(**first), []))
    values = solara.use_reactive(first)
    # the controller reads these as reactive variables; the page offers no way to change them
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)

    solara.Title(TITLE)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar(), solara.Column():
        with solara.Card("Controls"):
            ModelController(
                model,
                model_parameters=values,
                play_interval=play_interval,
                render_interval=render_interval,
                use_threads=use_threads,
            )
        with solara.Card("Inputs"):
            Inputs(params, values)
        Credits()
    Status(model.value)
    with solara.Div(style=CHART_GRID):
        for name in CHARTS:
            ChartImage(model.value, name)


page = Page

"""The dashboard's model side: what the page runs and what its charts show (no solara here).

:class:`DashboardModel` is the ``mesa.Model`` that the page's SolaraViz drives. It steps a
:class:`~hegemon.ensemble.live.LiveEnsemble` of the chosen scenario, with the sliders applied
as ``--set``-style overrides, and, when ``compare_with`` names a second scenario, a second one
run as that scenario's file says (no slider overrides), with the same seed and replicate
indices: common random numbers, so the two differ only by what the scenarios say. One
``step()`` advances both by one week, in lockstep.

The charts are the figures of :mod:`hegemon.plots`, drawn from the live ensembles' summary
table and outcomes (:class:`Charts`); the dashboard has no chart code of its own. What they
show follows the scenario's ``focus``: the focal power's and its rival's influence, the
ally's trust in the focal power, the focal power's cost, the ceasefire's survival and the
outcome regimes, classified *as if the run ended at the current week* (at the horizon,
exactly the classification of ``hegemon run``'s outcomes). The sliders follow the focus too.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from hegemon.analysis.regimes import classify
from hegemon.ensemble.live import LiveEnsemble
from hegemon.model.model import HegemonModel
from hegemon.plots import style as st
from hegemon.plots.figures import (
    Panel,
    Series,
    fan_figure,
    figure_png,
    regime_figure,
    survival_figure,
)
from hegemon.scenario import bundled_names, load_scenario
from hegemon.scenario.distributions import is_distribution
from hegemon.scenario.keypaths import get, parameter_problem
from hegemon.scenario.observables import METRICS
from hegemon.scenario.schema import ArmsSupport, Peacekeeping, Scenario

__all__ = [
    "DEFAULT_REPLICATES",
    "KNOBS",
    "NONE",
    "Charts",
    "DashboardModel",
    "Knob",
    "central_value",
    "default_parameters",
    "panels",
    "scenario_choices",
    "slider_overrides",
]

NONE = "none"  # compare_with: no second scenario
DEFAULT_REPLICATES = 200
MIN_REPLICATES = 20
MAX_REPLICATES = 1000
REPLICATE_STEP = 20


def _mandate(scenario: Scenario) -> str | None:
    f = scenario.focus
    return next(
        (f"relations.{m.id}.troops" for m in scenario.relations_of(Peacekeeping)
         if m.sponsor == f.power),
        None,
    )  # fmt: skip


def _rival_arms(scenario: Scenario) -> str | None:
    f = scenario.focus
    return next(
        (f"relations.{a.id}.musd_per_year" for a in scenario.relations_of(ArmsSupport)
         if a.patron == f.rival),
        None,
    )  # fmt: skip


@dataclass(frozen=True)
class Knob:
    """A slider: a keyword of :class:`DashboardModel`, the parameter of the scenario's focus
    it sets (``locate``: its key path, None where the scenario has none) and its label (a
    template with ``{power}`` and ``{rival}``)."""

    name: str
    label: str
    locate: Callable[[Scenario], str | None]
    min: float
    max: float
    step: float
    integer: bool = False
    fallback: float = 0.0  # slider position for a scenario that lacks the parameter

    def path(self, scenario: Scenario) -> str | None:
        path = self.locate(scenario)
        return path if path is not None and parameter_problem(scenario, path) is None else None

    def describe(self, scenario: Scenario) -> str:
        return self.label.format(power=scenario.focus.power, rival=scenario.focus.rival)

    def snap(self, value: float) -> float | int:
        """``value`` on the slider's grid, inside its range."""
        snapped = self.min + round((float(value) - self.min) / self.step) * self.step
        snapped = min(max(snapped, self.min), self.max)
        return round(snapped) if self.integer else round(snapped, 6)


KNOBS: tuple[Knob, ...] = (
    Knob("resolve", "{power}'s resolve", lambda s: f"actors.{s.focus.power}.resolve",
         0.0, 1.0, 0.05, fallback=0.4),
    Knob("regional_effort", "{power}'s regional effort",
         lambda s: f"actors.{s.focus.power}.regional_effort", 0.0, 0.03, 0.001, fallback=0.009),
    Knob("troops", "Peacekeepers (troops)", _mandate, 0, 6000, 20, integer=True, fallback=1960),
    Knob("rival_arms", "{rival}'s arms (US$ m/year)", _rival_arms, 0, 1000, 25, integer=True,
         fallback=200),
)  # fmt: skip
KNOB_BY_NAME = {k.name: k for k in KNOBS}


def central_value(scenario: Scenario, path: str) -> float | None:
    """The scenario's value of a parameter (the median, if given as a distribution), or None
    when the scenario has no such parameter."""
    if parameter_problem(scenario, path) is not None:
        return None
    value = get(scenario, path)
    if is_distribution(value):
        return float(value.ppf(np.array([0.5]))[0])
    return float(value)


def slider_overrides(
    scenario: Scenario, values: dict[str, float | None]
) -> tuple[list[str], list[str]]:
    """``KEY=VALUE`` overrides for the sliders' values, and the labels of the sliders skipped
    because the scenario has no such parameter (e.g. peacekeepers where the focal power
    sponsors no mandate). A value of None leaves the scenario's own value or distribution."""
    overrides: list[str] = []
    skipped: list[str] = []
    for name, value in values.items():
        if value is None:
            continue
        knob = KNOB_BY_NAME[name]
        path = knob.path(scenario)
        if path is None:
            skipped.append(knob.describe(scenario))
            continue
        text = str(round(float(value))) if knob.integer else f"{float(value):.6g}"
        overrides.append(f"{path}={text}")
    return overrides, skipped


def default_parameters(scenario: str | Path = "baseline") -> dict[str, float | int]:
    """Where the sliders start: the scenario's own value (the median of a distribution),
    snapped to the slider's grid; the knob's fallback if the scenario lacks the parameter."""
    spec = load_scenario(scenario)
    out: dict[str, float | int] = {}
    for knob in KNOBS:
        path = knob.path(spec)
        value = None if path is None else central_value(spec, path)
        out[knob.name] = knob.snap(knob.fallback if value is None else value)
    return out


def scenario_choices(current: str | None = None) -> list[str]:
    """Scenarios the page offers: the bundled ones, and ``current`` if it is a file."""
    names = bundled_names()
    if current is not None and current not in names:
        names = [str(current), *names]
    return names


class DashboardModel(mesa.Model):
    """One or two live ensembles stepped together, week by week, for the dashboard.

    ``fix_parameters`` applies the slider keywords (``resolve``, ``regional_effort``,
    ``troops``, ``rival_arms``: see :data:`KNOBS`) to the chosen scenario as overrides; a
    keyword left None, or ``fix_parameters=False``, keeps the scenario's own value or range.
    The comparison scenario always runs as its file says. Both use ``seed`` and replicates
    ``0..R-1`` (``rng`` only seeds Mesa's own generators of this wrapper, which draw nothing).

    The scenario is ``scenario_name`` (a bundled name or a file), not ``scenario``: Mesa 3.5
    reserves ``Model.scenario`` for its own (experimental) Scenario objects, and SolaraViz's
    Reset passes one as ``scenario=`` to any model whose ``__init__`` takes that keyword.

    >>> m = DashboardModel("baseline", compare_with="no_peacekeepers", replicates=10, resolve=0.9)
    >>> m.step(); m.week
    1
    """

    def __init__(
        self,
        scenario_name: str = "baseline",
        compare_with: str = NONE,
        replicates: int = DEFAULT_REPLICATES,
        fix_parameters: bool = True,
        resolve: float | None = None,
        regional_effort: float | None = None,
        troops: float | None = None,
        rival_arms: float | None = None,
        seed: int = 0,
        rng: Any = None,
    ):
        super().__init__(rng=seed if rng is None else rng)
        self.scenario_name = str(scenario_name)
        self.compare_with = str(compare_with) if compare_with else NONE
        self.replicates = int(replicates)
        self.seed = int(seed)
        self.fix_parameters = bool(fix_parameters)
        self.values = {
            "resolve": resolve,
            "regional_effort": regional_effort,
            "troops": troops,
            "rival_arms": rival_arms,
        }
        spec = load_scenario(self.scenario_name)
        self.overrides: list[str] = []
        self.skipped: list[str] = []
        if self.fix_parameters:
            self.overrides, self.skipped = slider_overrides(spec, self.values)
            if self.overrides:
                spec = load_scenario(self.scenario_name, self.overrides)
        specs = [spec]
        if self.compare_with != NONE:
            specs.append(load_scenario(self.compare_with))
        self.ensembles = [
            LiveEnsemble(s, self.replicates, self.seed, name)
            for s, name in zip(specs, self._labels(specs), strict=True)
        ]
        self.labels = [e.name for e in self.ensembles]
        self.horizon = max(e.horizon for e in self.ensembles)
        self.running = self.week < self.horizon
        self._tables: tuple[int, pd.DataFrame, pd.DataFrame] | None = None

    def _labels(self, specs: list[Scenario]) -> list[str]:
        first = specs[0].name + (" (sliders)" if self.overrides else "")
        if len(specs) == 1:
            return [first]
        second = specs[1].name
        if second == first:
            second += " (again)"
        elif second == specs[0].name:
            second += " (as in the file)"
        return [first, second]

    @property
    def primary(self) -> HegemonModel:
        """The chosen scenario's model."""
        return self.ensembles[0].model

    @property
    def comparison(self) -> HegemonModel | None:
        """The comparison scenario's model, if any."""
        return self.ensembles[1].model if len(self.ensembles) > 1 else None

    @property
    def models(self) -> list[HegemonModel]:
        """The HegemonModels shown: the chosen scenario, then the comparison if any."""
        return [e.model for e in self.ensembles]

    @property
    def week(self) -> int:
        return max(e.week for e in self.ensembles)

    @property
    def date(self) -> dt.date:
        return self.primary.date_of(self.ensembles[0].week)

    def step(self) -> None:
        """One week for every ensemble that has not reached its horizon."""
        for e in self.ensembles:
            e.step()
        self.running = self.week < self.horizon

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The summary table and the outcomes (with each replicate's regime, as if the run
        ended now) of every scenario shown, up to the current week (cached per week)."""
        week = self.week
        if self._tables is None or self._tables[0] != week:
            summary = pd.concat([e.summary(week) for e in self.ensembles], ignore_index=True)
            outcomes = pd.concat(
                [
                    (o := e.outcomes(week)).assign(regime=classify(o, e.scenario))
                    for e in self.ensembles
                ],
                ignore_index=True,
            )
            self._tables = (week, summary, outcomes)
        return self._tables[1], self._tables[2]

    def describe(self) -> list[str]:
        """What is shown, one line each: week and date, scenarios, slider overrides."""
        spec = self.primary.spec
        lines = [
            f"Week {self.week} of {self.horizon} ({self.date.isoformat()}), "
            f"{self.replicates} replicates, seed {self.seed}",
            f"{spec.name}: {spec.title}" if spec.title else spec.name,
        ]
        if self.comparison is not None:
            other = self.comparison.spec
            lines.append(
                f"compared with {other.name} (as in its file, same random numbers)"
                + (f": {other.title}" if other.title else "")
            )
        if self.overrides:
            lines.append("sliders: " + ", ".join(self.overrides))
        elif self.fix_parameters:
            lines.append("sliders: none applied")
        else:
            lines.append("sliders off: the scenario's own values and ranges")
        if self.skipped:
            lines.append("not in this scenario: " + ", ".join(self.skipped))
        return lines


# ---- what the charts show


@dataclass(frozen=True)
class FanPanel:
    """A fan chart of the page: a panel of :func:`~hegemon.plots.figures.fan_figure`, with
    the declared label and unit of its metric."""

    panel: Panel
    metric: str

    @property
    def title(self) -> str:
        return self.panel.title

    @property
    def series(self) -> tuple[Series, ...]:
        return self.panel.series

    @property
    def kind(self) -> str:
        return "index" if METRICS[self.metric].kind == "share" else "amount"

    @property
    def ylabel(self) -> str:
        metric = METRICS[self.metric]
        return f"{metric.label} ({metric.unit})".replace("$", "\\$")


def panels(spec: Scenario) -> list[FanPanel]:
    """The fan-chart panels for a scenario, from its focus: the focal power's and its
    rival's influence, the ally's trust in the focal power, and the focal power's cumulative
    cost (peacekeeping where it sponsors a mandate, else all its regional spending)."""
    f = spec.focus
    powers = {p.name for p in spec.powers}

    def series(metric: str, actor: str, target: str | None, label: str) -> Series:
        return Series(metric, actor, target, label, st.actor_colour(label))

    influence = tuple(
        series("influence", name, None, name) for name in (f.power, f.rival) if name in powers
    )
    keeps_peace = any(m.sponsor == f.power for m in spec.relations_of(Peacekeeping))
    cost = "peacekeeping_cost_cum_musd" if keeps_peace else "regional_cost_cum_musd"
    what = "peacekeeping" if keeps_peace else "regional"
    return [
        FanPanel(Panel("Regional influence", influence), "influence"),
        FanPanel(
            Panel(f"{f.ally}'s trust in {f.power}", (series("trust", f.ally, f.power, f.power),)),
            "trust",
        ),
        FanPanel(
            Panel(f"{f.power}'s cumulative {what} cost", (series(cost, f.power, None, f.power),)),
            cost,
        ),
    ]


def observed_for(spec: Scenario) -> Any:
    """The observations the scenario names, as the fan charts show them (None without)."""
    from hegemon.analysis.scores import observed_points
    from hegemon.errors import HegemonError
    from hegemon.scenario.observations import read_observations

    if spec.observations_file is None:
        return None
    try:
        table = read_observations(spec.observations_file, spec).table
    except HegemonError:
        return None
    cutoff = spec.posterior.cutoff if spec.posterior is not None else None
    return observed_points(table, spec, cutoff=cutoff)


FIG_DPI = 96
PANEL_SIZE = (4.2, 2.3)  # inches, of a fan chart's axes and margins


class Charts:
    """The page's figures for one DashboardModel, drawn by :mod:`hegemon.plots` from its
    tables and returned as PNG bytes, redrawn when the week changes. Safe to call from
    several threads."""

    def __init__(self, dm: DashboardModel):
        self.dm = dm
        self.panels = panels(dm.primary.spec)
        self.observed = observed_for(dm.primary.spec)
        self._lock = threading.Lock()
        self._png: dict[str, tuple[int, bytes]] = {}

    def names(self) -> list[str]:
        """The charts there are, in page order (no survival without a dispute)."""
        fans = [f"fan{i}" for i in range(len(self.panels))]
        survival = ["survival"] if any(m.dispute is not None for m in self.dm.models) else []
        return [*fans, *survival, "regimes"]

    def figure(self, name: str) -> Any:
        """The matplotlib Figure of chart ``name`` at the current week."""
        if name not in self.names():
            raise KeyError(name)
        summary, outcomes = self.dm.tables()
        start = self.dm.primary.spec.start
        span = (start, self.dm.primary.date_of(self.dm.horizon))
        if name == "survival":
            return survival_figure(summary, span=span)
        if name == "regimes":
            what = (
                "Regimes at the horizon"
                if self.dm.week >= self.dm.horizon
                else f"Regimes if the run ended now (week {self.dm.week})"
            )
            return regime_figure(outcomes, what=what)
        fan = self.panels[int(name.removeprefix("fan"))]
        return fan_figure(
            summary,
            what=fan.title,
            panels=[fan.panel],
            ylabel=fan.ylabel,
            kind=fan.kind,
            panel_size=PANEL_SIZE,
            overlay=True,
            span=span,
            observed=self.observed,
        )

    def png(self, name: str) -> bytes:
        """Chart ``name`` as PNG bytes at the current week (cached until the week changes)."""
        with self._lock:
            week = self.dm.week
            cached = self._png.get(name)
            if cached is not None and cached[0] == week:
                return cached[1]
            data = figure_png(self.figure(name), dpi=FIG_DPI)
            self._png[name] = (week, data)
            return data

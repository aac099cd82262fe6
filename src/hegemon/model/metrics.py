"""The recorder (ODD 7.12): writes the declared metrics (hegemon.scenario.observables.METRICS)
into preallocated arrays, one series per metric and actor (and target) its roles name."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from hegemon.scenario.observables import METRICS, Role

if TYPE_CHECKING:
    from hegemon.model.model import HegemonModel


SeriesKey = tuple[str, str | None, str | None]  # (metric, actor, target)
Reader = Callable[[Any, Any, Any], np.ndarray]  # (model, actor, target) -> values, shape (R,)

# How each declared metric is read off the model, for an actor and a target of its roles.
READERS: dict[str, Reader] = {
    "influence": lambda m, power, _: power.influence,
    "influence_over": lambda m, power, local: local.share[power.name],
    "trust": lambda m, local, power: local.trust[power.name],
    "credibility": lambda m, power, _: power.credibility,
    "peacekeepers": lambda m, power, _: power.peacekeepers,
    "peacekeeping_cost_musd": lambda m, power, _: power.peacekeeping_cost_musd,
    "peacekeeping_cost_cum_musd": lambda m, power, _: power.peacekeeping_cost_cum_musd,
    "regional_cost_cum_musd": lambda m, power, _: power.regional_cost_cum_musd,
    "military_budget_musd": lambda m, actor, _: actor.military_budget_musd,
    "gdp_busd": lambda m, actor, _: actor.gdp_busd,
    "territory": lambda m, side, _: m.dispute.territory[side.name],
    "ceasefire": lambda m, *_: m.dispute.ceasefire.astype(np.float64),
    "clashes_cum": lambda m, *_: m.dispute.clashes,
    "commitments_failed_cum": lambda m, power, local: sum(
        (c.failures for c in m.commitments if c.patron is power and c.client is local),
        np.zeros(m.R),
    ),
    "peacekeepers_staying": lambda m, power, _: sum(
        (d.staying_troops for d in power.own_mandates), np.zeros(m.R)
    ),
    "war": lambda m, *_: m.dispute.at_war.astype(np.float64),
    "coercion": lambda m, *_: (
        np.zeros(m.R) if m.dispute.coercion is None else m.dispute.coercion.active * 1.0
    ),
}
DISPUTE_METRICS = frozenset({"territory", "ceasefire", "clashes_cum", "war", "coercion"})


def _in_role(model: HegemonModel, role: Role) -> list[Any]:
    """The agents a metric's actor or target column names (``[None]`` when unused)."""
    if role == "power":
        return model.powers
    if role == "local state":
        return model.local_states
    if role == "actor":
        return [*model.powers, *model.local_states]
    if role == "side":
        return list(model.dispute.sides) if model.dispute is not None else []
    return [None]


def series_plan(model: HegemonModel) -> list[tuple[SeriesKey, Reader, Any, Any]]:
    """Every series the model records: its key, its reader, its actor and its target."""
    plan = []
    for metric in METRICS.values():
        if metric.name in DISPUTE_METRICS and model.dispute is None:
            continue
        for actor in _in_role(model, metric.actor):
            for target in _in_role(model, metric.target):
                key = (metric.name, getattr(actor, "name", None), getattr(target, "name", None))
                plan.append((key, READERS[metric.name], actor, target))
    return plan


def observe(model: HegemonModel) -> dict[SeriesKey, np.ndarray]:
    """The model's state now, one array of shape (R,) per series."""
    return {key: read(model, a, t) for key, read, a, t in series_plan(model)}


class Recorder:
    """Writes every series at every step into arrays of shape (steps + 1, R); a row not yet
    recorded holds NaN when :attr:`series` is read.

    With ``ends=(window, whole, ends)`` it records only what the scalar outcomes read
    (``READ_WHOLE`` and ``READ_ENDS`` of hegemon.model.outcomes): the series of the metrics
    in ``whole`` at every step, those of the metrics in ``ends`` at step 0 and the final
    ``window`` steps only (arrays of 1 + ``window`` rows, whose last ``window`` rows are the
    final weeks), no others."""

    def __init__(
        self,
        steps: int,
        replicates: int,
        ends: tuple[int, frozenset[str], frozenset[str]] | None = None,
    ):
        self.steps = steps
        self.replicates = replicates
        self._series: dict[SeriesKey, np.ndarray] = {}
        self._plan: list[tuple[SeriesKey, Reader, Any, Any]] | None = None
        self._ends_plan: list[tuple[SeriesKey, Reader, Any, Any]] = []
        self._unset = 0  # rows from here on are not yet recorded (nor set to NaN)
        self._ends = ends
        self._final = steps + 1  # the first step of the final window the ends arrays keep
        if ends is not None and 1 + ends[0] < steps + 1:
            self._final = steps + 1 - ends[0]

    @property
    def series(self) -> dict[SeriesKey, np.ndarray]:
        """Every series by key, NaN in the rows not yet recorded. The rows are allocated
        unset and set only when recorded (or when read before they are), so a whole run
        writes its memory once, not twice."""
        if self._unset <= self.steps:
            for store in self._series.values():
                if len(store) == self.steps + 1:  # the ends arrays start as NaN
                    store[self._unset :] = np.nan
            self._unset = self.steps + 1
        return self._series

    @series.setter
    def series(self, series: dict[SeriesKey, np.ndarray]) -> None:
        self._series = series

    def record(self, model: HegemonModel, step: int) -> None:
        if self._plan is None:
            self._plan = series_plan(model)
            if self._ends is not None:
                _, whole, ends = self._ends
                if self._final > self.steps:  # the final window is the whole run
                    whole = whole | ends
                self._ends_plan = [p for p in self._plan if p[0][0] in ends - whole]
                self._plan = [p for p in self._plan if p[0][0] in whole]
                rows = 1 + self.steps + 1 - self._final
                for key, *_ in self._ends_plan:
                    self._series[key] = np.full((rows, self.replicates), np.nan)
        for key, read, actor, target in self._plan:
            store = self._series.get(key)
            if store is None:
                store = self._series[key] = np.empty((self.steps + 1, self.replicates))
                store[:step] = np.nan
            store[step] = read(model, actor, target)
        if self._ends_plan and (step == 0 or step >= self._final):
            row = 0 if step == 0 else 1 + step - self._final
            for key, read, actor, target in self._ends_plan:
                self._series[key][row] = read(model, actor, target)
        self._unset = max(self._unset, step + 1)

"""The dashboard's model side: what the page runs and what its charts show (no solara here).

:class:`DashboardModel` is the ``mesa.Model`` that the page's SolaraViz drives. It wraps one
:class:`~hegemon.model.model.HegemonModel` for the chosen scenario, with the sliders applied as
``--set``-style overrides, and, when ``compare_with`` names a second scenario, a second
HegemonModel run as that scenario's file says (no slider overrides), with the same seed and
replicate indices: common random numbers, so the two differ only by what the scenarios say.
One ``step()`` advances both by one week, in lockstep.

The functions below compute what the charts draw, from the weeks simulated so far:
:func:`fan` (median, 50% and 90% bands over replicates), :func:`survival` (share of replicates
whose ceasefire has held through each week) and :func:`regime_shares`. Regimes are classified
*as if the run ended at the current week* (the start-to-now changes stand in for the
start-to-horizon ones); once the horizon is reached this is exactly the classification of
``hegemon run``'s outcomes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import mesa
import numpy as np
import pandas as pd

from hegemon.analysis.regimes import REGIMES, classify
from hegemon.model.model import HegemonModel
from hegemon.model.outcomes import scalar_outcomes
from hegemon.plots import style as st
from hegemon.scenario import bundled_names, load_scenario
from hegemon.scenario.distributions import is_distribution
from hegemon.scenario.keypaths import get, parameter_problem
from hegemon.scenario.schema import Peacekeeping, Scenario

__all__ = [
    "DEFAULT_REPLICATES",
    "KNOBS",
    "NONE",
    "QUANTILES",
    "Charts",
    "DashboardModel",
    "Fan",
    "Knob",
    "Panel",
    "Series",
    "central_value",
    "default_parameters",
    "fan",
    "outcomes_at",
    "panels",
    "regime_shares",
    "scenario_choices",
    "slider_overrides",
    "survival",
]

NONE = "none"  # compare_with: no second scenario
DEFAULT_REPLICATES = 200
MIN_REPLICATES = 20
MAX_REPLICATES = 1000
REPLICATE_STEP = 20
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class Knob:
    """A slider: a keyword of :class:`DashboardModel` and the scenario key path it sets."""

    name: str
    path: str
    label: str
    min: float
    max: float
    step: float
    integer: bool = False
    fallback: float = 0.0  # slider position for a scenario that lacks the parameter

    def snap(self, value: float) -> float | int:
        """``value`` on the slider's grid, inside its range."""
        snapped = self.min + round((float(value) - self.min) / self.step) * self.step
        snapped = min(max(snapped, self.min), self.max)
        return round(snapped) if self.integer else round(snapped, 6)


KNOBS: tuple[Knob, ...] = (
    Knob("resolve", "actors.Russia.resolve", "Russia's resolve", 0.0, 1.0, 0.05, fallback=0.4),
    Knob(
        "regional_effort",
        "actors.Russia.regional_effort",
        "Russia's regional effort",
        0.0,
        0.03,
        0.001,
        fallback=0.009,
    ),
    Knob(
        "troops",
        "relations.peacekeeping.troops",
        "Peacekeepers (troops)",
        0,
        6000,
        20,
        integer=True,
        fallback=1960,
    ),
    Knob(
        "turkey_support",
        "relations.turkish_arms.musd_per_year",
        "Turkey's arms (US$ m/year)",
        0,
        1000,
        25,
        integer=True,
        fallback=200,
    ),
)
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
    """``KEY=VALUE`` overrides for the sliders' values, and the key paths skipped because the
    scenario has no such parameter (e.g. peacekeepers in a scenario without a mandate).
    A value of None leaves the scenario's own value or distribution."""
    overrides: list[str] = []
    skipped: list[str] = []
    for name, value in values.items():
        if value is None:
            continue
        knob = KNOB_BY_NAME[name]
        if parameter_problem(scenario, knob.path) is not None:
            skipped.append(knob.path)
            continue
        text = str(round(float(value))) if knob.integer else f"{float(value):.6g}"
        overrides.append(f"{knob.path}={text}")
    return overrides, skipped


def default_parameters(scenario: str | Path = "baseline") -> dict[str, float | int]:
    """Where the sliders start: the scenario's own value (the median of a distribution),
    snapped to the slider's grid; the knob's fallback if the scenario lacks the parameter."""
    spec = load_scenario(scenario)
    out: dict[str, float | int] = {}
    for knob in KNOBS:
        value = central_value(spec, knob.path)
        out[knob.name] = knob.snap(knob.fallback if value is None else value)
    return out


def scenario_choices(current: str | None = None) -> list[str]:
    """Scenarios the page offers: the bundled ones, and ``current`` if it is a file."""
    names = bundled_names()
    if current is not None and current not in names:
        names = [str(current), *names]
    return names


class DashboardModel(mesa.Model):
    """One or two HegemonModels stepped together, week by week, for the dashboard.

    ``fix_parameters`` applies the slider keywords (``resolve``, ``regional_effort``,
    ``troops``, ``turkey_support``) to the chosen scenario as overrides; a keyword left None,
    or ``fix_parameters=False``, keeps the scenario's own value or range. The comparison
    scenario always runs as its file says. Both use ``seed`` and replicates ``0..R-1``
    (``rng`` only seeds Mesa's own generators of this wrapper, which draw nothing).

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
        turkey_support: float | None = None,
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
            "turkey_support": turkey_support,
        }
        spec = load_scenario(self.scenario_name)
        self.overrides: list[str] = []
        self.skipped: list[str] = []
        if self.fix_parameters:
            self.overrides, self.skipped = slider_overrides(spec, self.values)
            if self.overrides:
                spec = load_scenario(self.scenario_name, self.overrides)
        self.primary = HegemonModel(spec, replicates=self.replicates, seed=self.seed)
        self.comparison: HegemonModel | None = None
        if self.compare_with != NONE:
            other = load_scenario(self.compare_with)
            self.comparison = HegemonModel(other, replicates=self.replicates, seed=self.seed)
        self.labels = self._labels()
        self.horizon = max(m.horizon for m in self.models)
        self.running = self.week < self.horizon

    def _labels(self) -> list[str]:
        first = self.primary.spec.name + (" (sliders)" if self.overrides else "")
        if self.comparison is None:
            return [first]
        second = self.comparison.spec.name
        if second == first:
            second += " (again)"
        elif second == self.primary.spec.name:
            second += " (as in the file)"
        return [first, second]

    @property
    def models(self) -> list[HegemonModel]:
        """The HegemonModels shown: the chosen scenario, then the comparison if any."""
        return [self.primary] if self.comparison is None else [self.primary, self.comparison]

    @property
    def week(self) -> int:
        return max(m.week for m in self.models)

    @property
    def date(self) -> dt.date:
        return self.primary.date_of(self.primary.week)

    def step(self) -> None:
        """One week for every wrapped model that has not reached its horizon."""
        for m in self.models:
            if m.week < m.horizon:
                m.step()
        self.running = self.week < self.horizon

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
class Fan:
    """Quantiles over replicates of one series, weeks 0..week: ``q`` has one row per
    quantile in :data:`QUANTILES` (5%, 25%, 50%, 75%, 95%)."""

    weeks: np.ndarray
    dates: np.ndarray
    q: np.ndarray

    @property
    def median(self) -> np.ndarray:
        return self.q[2]


def _week(model: HegemonModel, week: int | None) -> int:
    """The last week recorded (a model caught mid-step, by a render in another thread, has
    counted the new week but not yet recorded it), or ``week`` if earlier."""
    recorded = model.week if getattr(model, "_between_steps", True) else model.week - 1
    return recorded if week is None else min(int(week), recorded)


def _dates(model: HegemonModel, n: int) -> np.ndarray:
    start = np.datetime64(model.spec.start, "D")
    return start + 7 * np.arange(n).astype("timedelta64[D]")


def fan(
    model: HegemonModel,
    metric: str,
    actor: str | None = None,
    target: str | None = None,
    week: int | None = None,
) -> Fan:
    """The fan of ``(metric, actor, target)`` over replicates, up to ``week`` (default: now)."""
    w = _week(model, week)
    values = model.recorder.series[metric, actor, target][: w + 1]
    q = np.quantile(values, QUANTILES, axis=1)
    return Fan(weeks=np.arange(w + 1), dates=_dates(model, w + 1), q=q)


def survival(model: HegemonModel, week: int | None = None) -> np.ndarray | None:
    """Share of replicates whose ceasefire has held in every week up to each week
    (weeks 0..week), or None when the scenario has no dispute."""
    if model.dispute is None:
        return None
    w = _week(model, week)
    held = model.recorder.series["ceasefire", None, None][: w + 1] >= 0.5
    return np.logical_and.accumulate(held, axis=0).mean(axis=1)


def outcomes_at(model: HegemonModel, week: int | None = None) -> pd.DataFrame:
    """The scalar outcomes per replicate as if the run ended at ``week`` (default: now)."""
    w = _week(model, week)
    view = SimpleNamespace(
        recorder=SimpleNamespace(series={k: v[: w + 1] for k, v in model.recorder.series.items()}),
        powers=model.powers,
        local_states=model.local_states,
        dispute=model.dispute,
        draws=model.draws,
    )
    return pd.DataFrame(scalar_outcomes(view))  # type: ignore[arg-type]


def regime_shares(model: HegemonModel, week: int | None = None) -> pd.Series:
    """Share of replicates in each regime (index: every regime, in order), classified as if
    the run ended at ``week`` (default: now); at the horizon, the run's own regimes."""
    regimes = classify(outcomes_at(model, week), model.spec)
    shares = regimes.value_counts(normalize=True)
    return shares.reindex(list(REGIMES), fill_value=0.0).astype(float)


@dataclass(frozen=True)
class Series:
    metric: str
    actor: str | None
    target: str | None
    label: str
    colour: str


@dataclass(frozen=True)
class Panel:
    """One fan-chart panel: its title, y-axis label and series."""

    title: str
    ylabel: str
    series: tuple[Series, ...]
    share: bool  # a 0..1 quantity


def panels(spec: Scenario) -> list[Panel]:
    """The fan-chart panels for a scenario, from its focus: the focal power's and its
    rival's influence, the ally's trust in the focal power, and the focal power's cumulative
    cost (peacekeeping where it sponsors a mandate, else all its regional spending)."""
    f = spec.focus
    powers = {p.name for p in spec.powers}
    influence = tuple(
        Series("influence", name, None, name, st.actor_colour(name))
        for name in (f.power, f.rival)
        if name in powers
    )
    out = [Panel("Regional influence", "share", influence, True)]
    out.append(
        Panel(
            f"{f.ally}'s trust in {f.power}",
            "trust (0-1)",
            (Series("trust", f.ally, f.power, f.power, st.actor_colour(f.power)),),
            True,
        )
    )
    keeps_peace = any(m.sponsor == f.power for m in spec.relations_of(Peacekeeping))
    metric = "peacekeeping_cost_cum_musd" if keeps_peace else "regional_cost_cum_musd"
    what = "peacekeeping" if keeps_peace else "regional"
    out.append(
        Panel(
            f"{f.power}'s cumulative {what} cost",
            "US$ m",
            (Series(metric, f.power, None, f.power, st.actor_colour(f.power)),),
            False,
        )
    )
    return out


# ---- the figures (matplotlib only: Altair's charts stay blank offline)
#
# Each figure is built once per DashboardModel and then updated in place at every step: new
# data for the bands, lines and bars, drawn over a cached image of the axes, ticks and labels
# (redrawn only when the y limits change), then encoded as PNG: 10-20 ms a figure at R=200.

FIG_DPI = 96
FIG_WIDTH = 5.4  # inches
FIG_HEIGHT = 3.6
LINESTYLES = ("-", "--")
CHART_NAMES = ("fan0", "fan1", "fan2", "survival", "regimes")


def _xdates(model: HegemonModel, n: int) -> np.ndarray:
    """Matplotlib date numbers (days since 1970) of weeks 0..n-1 of ``model``."""
    start = (model.spec.start - dt.date(1970, 1, 1)).days
    return start + 7.0 * np.arange(n)


def _share_top(highest: float) -> float:
    """Upper y limit for a 0-1 share: the first of 0.1, 0.2, ... 0.8, 1 that clears it."""
    for top in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8):
        if highest <= 0.95 * top:
            return top
    return 1.0


def _nice_top(highest: float) -> float:
    """Upper y limit for an amount: 1, 2, 2.5 or 5 times a power of ten, at least 10 (so
    the axis, and the cached background, change only now and then)."""
    if not np.isfinite(highest) or highest <= 9.5:
        return 10.0
    scale = 10.0 ** np.floor(np.log10(highest))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if highest <= 0.95 * m * scale:
            return float(m * scale)
    return float(10.0 * scale)


class _Chart:
    """A figure with one axes, fixed margins (inches) and a date axis over the horizon."""

    def __init__(self, dm: DashboardModel, height: float = FIG_HEIGHT, bottom: float = 0.35):
        from matplotlib.figure import Figure

        self.dm = dm
        self.fig = Figure(figsize=(FIG_WIDTH, height), dpi=FIG_DPI, facecolor="white")
        self.fig.subplots_adjust(
            left=0.8 / FIG_WIDTH,
            right=1 - 0.15 / FIG_WIDTH,
            top=1 - 0.32 / height,
            bottom=bottom / height,
        )
        self.ax = self.fig.add_subplot()
        st.style_axes(self.ax)
        self.dynamic: list[Any] = []  # artists redrawn at every update; the rest is cached
        self._background: Any = None
        self._background_key: Any = None

    def background_key(self) -> Any:
        """What the cached background depends on besides the static artists."""
        return self.ax.get_ylim()

    def render(self) -> bytes:
        """Update and draw the chart; PNG bytes. Only the dynamic artists are drawn, over a
        cached image of the rest (axes, ticks, labels), which is redrawn when its key (the
        y limits) changes."""
        import io

        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from PIL import Image

        self.update()
        canvas = self.fig.canvas
        if not isinstance(canvas, FigureCanvasAgg):
            canvas = FigureCanvasAgg(self.fig)
        key = self.background_key()
        if self._background is None or key != self._background_key:
            for artist in self.dynamic:
                artist.set_visible(False)
            canvas.draw()
            for artist in self.dynamic:
                artist.set_visible(True)
            self._background = canvas.copy_from_bbox(self.fig.bbox)
            self._background_key = key
        else:
            canvas.restore_region(self._background)
        for artist in self.dynamic:
            self.fig.draw_artist(artist)
        image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def date_axis(self) -> None:
        import matplotlib.dates as mdates

        x = _xdates(self.dm.primary, self.dm.horizon + 1)
        self.ax.set_xlim(x[0], x[-1])  # the whole horizon: the fan grows rightwards
        start, end = self.dm.primary.spec.start, self.dm.primary.date_of(self.dm.horizon)
        years = [dt.date(y, 1, 1) for y in range(start.year + 1, end.year + 1)]
        self.ax.set_xticks([float(mdates.date2num(d)) for d in years], [str(d.year) for d in years])

    def title(self, text: str) -> Any:
        return self.ax.set_title(text, loc="left", fontsize=st.PANEL_TITLE_SIZE, fontweight="bold")

    def scenario_key(self) -> None:
        """A legend line under the axes saying which line style is which scenario."""
        if len(self.dm.models) < 2:
            return
        from matplotlib.lines import Line2D

        handles = [
            Line2D([], [], color=st.NEUTRAL, linestyle=LINESTYLES[i], linewidth=1.6)
            for i in range(len(self.dm.models))
        ]
        self.fig.legend(
            handles,
            self.dm.labels,
            loc="lower center",
            ncols=len(handles),
            frameon=False,
            fontsize=st.NOTE_SIZE,
            borderaxespad=0.1,
        )

    def update(self) -> None:
        raise NotImplementedError


class FanChart(_Chart):
    """A fan chart: median, 50% and 90% bands over replicates, weeks 0..now. A comparison
    scenario is drawn dashed, with its 50% band only."""

    def __init__(self, dm: DashboardModel, panel: Panel):
        two = len(dm.models) > 1
        super().__init__(dm, height=FIG_HEIGHT + (0.25 if two else 0), bottom=0.6 if two else 0.35)
        self.panel = panel
        self.items: list[tuple[HegemonModel, Series, Any, Any, Any]] = []
        for i, model in enumerate(dm.models):
            for s in panel.series:
                if (s.metric, s.actor, s.target) not in model.recorder.series:
                    continue  # the comparison scenario may have other actors
                x = _xdates(model, 1)
                zero = np.zeros(1)
                band90 = None
                if i == 0:
                    band90 = self.ax.fill_between(
                        x, zero, zero, color=s.colour, alpha=st.BAND_ALPHA_90, lw=0
                    )
                alpha50 = st.BAND_ALPHA_50 if i == 0 else st.BAND_ALPHA_90
                band50 = self.ax.fill_between(x, zero, zero, color=s.colour, alpha=alpha50, lw=0)
                (line,) = self.ax.plot(
                    x,
                    zero,
                    color=s.colour,
                    ls=LINESTYLES[i % 2],
                    lw=1.6,
                    label=s.label if i == 0 else None,
                )
                self.items.append((model, s, band90, band50, line))
                self.dynamic += [a for a in (band90, band50, line) if a is not None]
        self.title(panel.title)
        self.ax.set_ylabel(panel.ylabel, fontsize=st.LABEL_SIZE)
        self.date_axis()
        if panel.share:
            self.ax.yaxis.set_major_formatter(lambda v, _p: f"{v:.2f}")
        else:
            self.ax.yaxis.set_major_formatter(lambda v, _p: f"{v:,.0f}")
        if len(panel.series) > 1:
            self.ax.legend(loc="upper right", fontsize=st.NOTE_SIZE, frameon=False, ncols=2)
        self.scenario_key()
        self.update()

    def update(self) -> None:
        highest = 0.0
        for model, s, band90, band50, line in self.items:
            f = fan(model, s.metric, s.actor, s.target)
            x = _xdates(model, len(f.weeks))
            if band90 is not None:
                _set_band(band90, x, f.q[0], f.q[4])
            _set_band(band50, x, f.q[1], f.q[3])
            line.set_data(x, f.median)
            highest = max(highest, float(np.nanmax(f.q[4 if band90 is not None else 3])))
        top = _share_top(highest) if self.panel.share else _nice_top(highest)
        if self.ax.get_ylim() != (0.0, top):
            self.ax.set_ylim(0.0, top)


def _set_band(band: Any, x: np.ndarray, low: np.ndarray, high: np.ndarray) -> None:
    """New outline for a band drawn by fill_between (any matplotlib >= 3.8)."""
    xs = np.concatenate([x, x[::-1]])
    ys = np.concatenate([low, high[::-1]])
    band.set_verts([np.column_stack([xs, ys])])


class SurvivalChart(_Chart):
    """Share of replicates whose ceasefire has held so far, per scenario."""

    def __init__(self, dm: DashboardModel):
        super().__init__(dm)
        self.lines: list[tuple[HegemonModel, Any]] = []
        for i, model in enumerate(dm.models):
            if model.dispute is None:
                continue
            (line,) = self.ax.plot(
                _xdates(model, 1),
                np.ones(1),
                drawstyle="steps-post",
                color=st.scenario_colour(i),
                ls=LINESTYLES[i % 2],
                lw=1.8,
                label=dm.labels[i],
            )
            self.lines.append((model, line))
            self.dynamic.append(line)
        self.title("Ceasefire holding")
        self.ax.set_ylabel("share of replicates", fontsize=st.LABEL_SIZE)
        self.ax.set_ylim(0.0, 1.03)
        self.ax.yaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
        self.date_axis()
        self.legend = None
        if self.lines:
            self.legend = self.ax.legend(loc="lower left", fontsize=st.NOTE_SIZE, frameon=False)
            self.dynamic.append(self.legend)
        else:
            self.ax.text(
                0.5, 0.5, "no dispute in this scenario", ha="center", transform=self.ax.transAxes
            )
        self.update()

    def background_key(self) -> Any:
        return None

    def update(self) -> None:
        for j, (model, line) in enumerate(self.lines):
            curve = survival(model)
            assert curve is not None
            line.set_data(_xdates(model, len(curve)), curve)
            if self.legend is not None:
                label = self.dm.labels[self.dm.models.index(model)]
                self.legend.get_texts()[j].set_text(f"{label}: {curve[-1]:.0%} holding")


class RegimeChart(_Chart):
    """Stacked bars: the share of replicates in each outcome regime, per scenario."""

    def __init__(self, dm: DashboardModel):
        n = len(dm.models)
        super().__init__(dm, height=1.55 + 0.45 * n, bottom=0.75)
        from matplotlib.patches import Patch

        st.style_axes(self.ax, grid="x")
        self.fig.subplots_adjust(left=1.45 / FIG_WIDTH)
        self.ys = np.arange(n)[::-1].astype(float)
        self.bars: list[list[tuple[str, Any, Any]]] = []
        for y in self.ys:
            row = []
            for regime in REGIMES:
                (bar,) = self.ax.barh(y, 0.0, color=st.regime_colour(regime), height=0.6)
                dark = regime in ("managed_decline", "collapse")
                text = self.ax.text(
                    0,
                    y,
                    "",
                    ha="center",
                    va="center",
                    fontsize=st.NOTE_SIZE,
                    color="white" if dark else st.TEXT,
                )
                row.append((regime, bar, text))
                self.dynamic += [bar, text]
            self.bars.append(row)
        self.ax.set_yticks(self.ys, [_short(label) for label in dm.labels])
        self.ax.set_ylim(-0.5, n - 0.5)
        self.ax.set_xlim(0.0, 1.0)
        self.ax.xaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
        self.fig.legend(
            [Patch(color=st.regime_colour(r)) for r in REGIMES],
            [st.regime_label(r) for r in REGIMES],
            loc="lower center",
            ncols=3,
            frameon=False,
            fontsize=st.NOTE_SIZE,
            borderaxespad=0.1,
        )
        # a plain text, not set_title, whose position Axes.draw recomputes (and so it would be
        # misplaced when drawn alone over the cached background)
        self.title_text = self.ax.text(
            0.0,
            1.0 + 0.1 / self.ax.get_position().height / self.fig.get_figheight(),
            "Regimes",
            transform=self.ax.transAxes,
            ha="left",
            va="bottom",
            fontsize=st.PANEL_TITLE_SIZE,
            fontweight="bold",
            color=st.TEXT,
        )
        self.dynamic.append(self.title_text)
        self.update()

    def background_key(self) -> Any:
        return None

    def update(self) -> None:
        for model, row in zip(self.dm.models, self.bars, strict=True):
            shares = regime_shares(model)
            left = 0.0
            for regime, bar, text in row:
                share = float(shares[regime])
                bar.set_x(left)
                bar.set_width(share)
                text.set_position((left + share / 2, bar.get_y() + bar.get_height() / 2))
                text.set_text(f"{share:.0%}" if share >= 0.08 else "")
                left += share
        if self.dm.week >= self.dm.horizon:
            self.title_text.set_text("Regimes at the horizon")
        else:
            self.title_text.set_text(f"Regimes if the run ended now (week {self.dm.week})")


def _short(label: str, width: int = 18) -> str:
    """A label broken onto two lines if long (for the regime bars' y axis)."""
    if len(label) <= width or " " not in label:
        return label
    head, _, tail = label.partition(" ")
    return f"{head}\n{tail}"


class Charts:
    """The page's figures for one DashboardModel: built once, updated in place when the week
    changes, and returned as PNG bytes. Safe to call from several threads."""

    def __init__(self, dm: DashboardModel):
        import threading

        self.dm = dm
        self.panels = panels(dm.primary.spec)
        self._lock = threading.Lock()
        self._charts: dict[str, _Chart] = {}
        self._png: dict[str, tuple[int, bytes]] = {}

    def names(self) -> list[str]:
        """The charts there are, in page order."""
        return [f"fan{i}" for i in range(len(self.panels))] + ["survival", "regimes"]

    def _chart(self, name: str) -> _Chart:
        if name not in self._charts:
            if name.startswith("fan"):
                self._charts[name] = FanChart(self.dm, self.panels[int(name[3:])])
            elif name == "survival":
                self._charts[name] = SurvivalChart(self.dm)
            elif name == "regimes":
                self._charts[name] = RegimeChart(self.dm)
            else:
                raise KeyError(name)
            self._png.pop(name, None)
        return self._charts[name]

    def figure(self, name: str) -> Any:
        """The matplotlib Figure of chart ``name``, up to date."""
        with self._lock:
            chart = self._chart(name)
            chart.update()
            return chart.fig

    def png(self, name: str) -> bytes:
        """Chart ``name`` as PNG bytes at the current week (cached until the week changes)."""
        with self._lock:
            week = self.dm.week
            cached = self._png.get(name)
            if cached is not None and cached[0] == week:
                return cached[1]
            data = self._chart(name).render()
            self._png[name] = (week, data)
            return data

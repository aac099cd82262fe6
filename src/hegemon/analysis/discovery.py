"""Scenario discovery: in which region of the assumptions does an outcome of interest happen?

Sobol' indices say which assumption moves an output; scenario discovery asks the inverse
question (Bryant & Lempert 2010): given the cases where an outcome happens (``regime =
managed_decline``), which simple box of the uncertain parameters holds most of them, and
holds little else? Its quality is read in three numbers: **coverage** (the share of the
cases of interest inside the box), **density** (the share of the box that is cases of
interest) and **lift** (density over the base rate, the share of cases of interest overall).

The cases are the rows of a results folder: a run's replicates, each with its drawn
parameters (the outcomes columns ``param:<keypath>``), or a sweep's grid points or a
sensitivity analysis's samples, each with its sampled parameters and outputs averaged over
its replicates. :func:`parse_outcome` reads the outcome of interest
(``regime=managed_decline``, ``ceasefire_weeks<52``, ``influence_change__Russia<-0.05``)
against the columns the folder declares (:mod:`hegemon.scenario.observables`).

Two methods:

- **PRIM** (Friedman & Fisher 1999), the patient rule induction method, peels a box from
  the whole parameter space a few percent of the cases at a time, keeping the peel that
  raises density most, then pastes back what helps. Its **peeling trajectory** (coverage
  against density, one box per step) is the trade-off the analyst reads. The peeling and
  pasting are EMA Workbench's (``ema_workbench.analysis.prim``; Kwakkel 2017), the reference
  implementation of scenario discovery in Python, maintained and released (3.0, 2026) for
  Python 3.12; the standalone ``prim`` package is an older fork of the same code. EMA
  Workbench brings scikit-learn, statsmodels, seaborn and SALib, so it is the optional extra
  ``discover`` (``pip install 'hegemon[discover]'``).
- **CART** (Breiman et al. 1984): a classification tree (scikit-learn's
  ``DecisionTreeClassifier``, also in the extra) whose leaves are boxes; the leaves rich in
  cases of interest are the candidate boxes.

How a box is chosen, so that the command needs no interactive step: on PRIM's trajectory,
the box with the largest coverage − mass (proportional to the weighted relative accuracy
of subgroup discovery, mass × (density − base rate); Lavrač et al. 2004), which trades
coverage against density without favouring a tiny, dense box; then every restriction whose
**quasi-p value** (Bryant & Lempert 2010: the one-sided binomial probability of the box's
density if that restriction were lifted) is 0.05 or more is lifted, the least significant
first, until all that remain are significant. A box with no restriction left, or whose
density does not beat the base rate (one-sided binomial test at 0.05), is no box: the
outcome has no region more than chance explains. **Covering**: the cases in a box are set
aside and PRIM looks for a further box in the rest, up to ``max_boxes``. CART's leaves are
pruned and judged the same way, at the level 0.05 divided by the number of leaves
(Bonferroni), since the tree chose its splits on the same data. Quasi-p values are
computed here (:func:`quasi_p`) for both methods, with the definition EMA Workbench uses
(the tests check that they agree).
"""

from __future__ import annotations

import contextlib
import math
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import binom

from hegemon.analysis.regimes import REGIMES
from hegemon.analysis.sensitivity import outputs
from hegemon.errors import BadInput, HegemonError
from hegemon.scenario.keypaths import uncertain_parameters
from hegemon.scenario.observables import outcome_columns, parameter_column
from hegemon.scenario.schema import Scenario

Method = Literal["prim", "cart"]
METHODS: tuple[Method, ...] = ("prim", "cart")
OPERATORS = ("<=", ">=", "!=", "=", "<", ">")  # longest first, so "<=" is not read as "<"
INSTALL = "pip install 'hegemon[discover]'"
ALPHA = 0.05  # the level of every test: quasi-p values and the box against the base rate
MIN_CASES = 5  # covering stops when fewer cases of interest than this remain
REGIME = "regime"


# --------------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Column:
    """A column an outcome expression may name: what it is and how its values compare."""

    name: str
    label: str
    kind: Literal["regime", "binary", "number"]
    missing: str = ""  # what an empty value means; such values count as never reached


@dataclass
class Cases:
    """The rows scenario discovery runs on: ``inputs`` (one column per parameter, by key
    path) and ``values`` (the columns an outcome expression may name), aligned by row.
    ``unit`` names a row in words (``replicate``, ``sample``, ``grid point``)."""

    inputs: pd.DataFrame
    values: pd.DataFrame
    columns: dict[str, Column]
    unit: str
    note: str = ""  # said after the list of valid names when a name is unknown

    def __post_init__(self) -> None:
        varied = [c for c in self.inputs if self.inputs[c].nunique(dropna=True) > 1]
        self.inputs = _floats(self.inputs[varied])
        self.values = self.values.reset_index(drop=True)
        if self.inputs.shape[1] == 0:
            raise HegemonError(
                f"no parameter varies across the {self.unit}s: nothing to discover "
                "(run a scenario that gives parameters as distributions)"
            )

    def narrowed(self, parameters: Sequence[str]) -> Cases:
        """The same cases with only ``parameters`` (key paths) as inputs."""
        unknown = [p for p in parameters if p not in self.inputs]
        if unknown:
            raise HegemonError(
                f"{unknown[0]}: not a parameter that varies across the {self.unit}s "
                f"(expected one of: {', '.join(self.inputs)})"
            )
        return Cases(self.inputs[list(parameters)], self.values, self.columns, self.unit, self.note)


def _floats(frame: pd.DataFrame) -> pd.DataFrame:
    """NumPy float columns (not Arrow-backed ones, which make PRIM's peeling ten times
    slower), indexed from 0."""
    return pd.DataFrame(frame.to_numpy(dtype=float), columns=list(frame.columns))


def run_cases(outcomes: pd.DataFrame, scenario: Scenario) -> Cases:
    """The replicates of a run: inputs are the drawn parameters (``param:<keypath>``),
    values every declared outcome column present, and the regime."""
    inputs = {
        path: outcomes[parameter_column(path)]
        for path in uncertain_parameters(scenario)
        if parameter_column(path) in outcomes
    }
    declared = {
        name: Column(name, col.label, "binary" if col.outcome.kind == "binary" else "number",
                     col.outcome.missing)
        for name, col in outcome_columns(scenario).items()
        if name in outcomes
    }  # fmt: skip
    columns = {REGIME: Column(REGIME, "outcome regime", "regime")} if REGIME in outcomes else {}
    columns |= declared
    values = outcomes[list(columns)]
    return Cases(pd.DataFrame(inputs), values, columns, "replicate")


def sample_cases(
    table: pd.DataFrame, parameters: Sequence[str], scenario: Scenario, unit: str
) -> Cases:
    """The samples of a sensitivity analysis or the points of a sweep (``table``: one row
    per sample, the parameters by key path and the outputs averaged over replicates)."""
    columns = {
        o.name: Column(o.name, o.label, "number") for o in outputs(scenario) if o.name in table
    }
    note = (
        f"each {unit} averages its replicates, so it has no regime: "
        "use managed_decline_share, e.g. managed_decline_share>0.3"
    )
    return Cases(table[list(parameters)], table[list(columns)], columns, unit, note)


def sweep_table(sweep: pd.DataFrame, parameters: Sequence[str]) -> pd.DataFrame:
    """A sweep's long table (a row per point and output) as one row per grid point."""
    wide = sweep.pivot_table(index="point", columns="output", values="mean", observed=True)
    grid = sweep.groupby("point")[list(parameters)].first()
    return grid.join(wide).reset_index()


# --------------------------------------------------------------------------- the outcome


@dataclass(frozen=True)
class Condition:
    """An outcome of interest: ``column op value``."""

    column: Column
    op: str
    value: float | str | bool

    def __str__(self) -> str:
        return f"{self.column.name}{self.op}{_show(self.value)}"

    def select(self, values: pd.DataFrame) -> np.ndarray:
        """Which rows are cases of interest."""
        raw = values[self.column.name]
        if self.column.kind == "regime":
            hit = raw.astype(str).to_numpy() == self.value
            return ~hit if self.op == "!=" else hit
        if self.column.kind == "binary":
            hit = raw.astype(bool).to_numpy() == self.value
            return ~hit if self.op == "!=" else hit
        x = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        if self.column.missing:
            x = np.where(np.isnan(x), np.inf, x)  # empty: never reached within the horizon
        compare: dict[str, Callable[[Any, Any], Any]] = {
            "=": np.equal,
            "!=": np.not_equal,
            "<": np.less,
            "<=": np.less_equal,
            ">": np.greater,
            ">=": np.greater_equal,
        }
        with np.errstate(invalid="ignore"):
            return np.asarray(compare[self.op](x, self.value), dtype=bool)

    def words(self) -> str:
        """The outcome in words: ``Managed decline happens``, ``Weeks until the ceasefire
        broke is below 52``."""
        if self.column.kind == "regime":
            name = str(self.value).replace("_", " ")
            return f"{name[:1].upper()}{name[1:]} {'happens' if self.op == '=' else 'fails'}"
        ops = {
            "=": "is",
            "!=": "is not",
            "<": "is below",
            "<=": "is at most",
            ">": "is above",
            ">=": "is at least",
        }
        return f"{self.column.label} {ops[self.op]} {_show(self.value)}"


def _show(value: float | str | bool) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parse_outcome(text: str, cases: Cases) -> Condition:
    """Read ``COLUMN OP VALUE`` (an operator among = != < <= > >=) against the columns of
    ``cases``; raise :class:`BadInput` saying what is wrong, in one line."""
    import difflib

    def fail(key: str, message: str) -> BadInput:
        return BadInput(f"--outcome: {key}: {message}" if key else f"--outcome: {message}")

    pattern = "|".join(re.escape(op) for op in OPERATORS)
    match = re.fullmatch(rf"\s*([^<>=!\s]+)\s*({pattern})\s*(.*?)\s*", str(text))
    if match is None or not match.group(3):
        raise fail(
            "",
            f"expected COLUMN OP VALUE with OP one of {' '.join(OPERATORS[::-1])}, got "
            f"{text!r} (e.g. regime=managed_decline, ceasefire_weeks<52)",
        )
    name, op, raw = match.groups()
    names = list(cases.columns)
    if name not in cases.columns:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        what = "a parameter, not an outcome" if name.startswith("param:") else "unknown outcome"
        note = f"; {cases.note}" if cases.note and name == REGIME else ""
        raise fail(name, f"{what} ({hint}allowed: {', '.join(names)}){note}")
    column = cases.columns[name]
    value: float | str | bool
    if column.kind == "regime":
        if op not in ("=", "!="):
            raise fail(name, f"a regime is compared with = or !=, not {op}")
        if raw not in REGIMES:
            close = difflib.get_close_matches(raw, REGIMES, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise fail(name, f"unknown regime {raw!r} ({hint}allowed: {', '.join(REGIMES)})")
        value = raw
    elif column.kind == "binary":
        if op not in ("=", "!="):
            raise fail(name, f"true or false, compared with = or !=, not {op}")
        flags = {"true": True, "1": True, "false": False, "0": False}
        if raw.lower() not in flags:
            raise fail(name, f"expected true or false, got {raw!r}")
        value = flags[raw.lower()]
    else:
        try:
            value = float(raw)
        except ValueError:
            raise fail(name, f"expected a number, got {raw!r}") from None
        if not math.isfinite(value):
            raise fail(name, f"expected a finite number, got {raw!r}")
    return Condition(column, op, value)


# --------------------------------------------------------------------------- boxes


@dataclass
class Box:
    """A box: the limits of its restricted parameters (``None``: that side is open) and its
    statistics among the cases it was looked for in."""

    limits: dict[str, tuple[float | None, float | None]]
    qp: dict[str, tuple[float, float]] = field(default_factory=dict)  # per side; nan: open

    def inside(self, x: pd.DataFrame) -> np.ndarray:
        keep = np.ones(len(x), dtype=bool)
        for path, (low, high) in self.limits.items():
            v = x[path].to_numpy()
            if low is not None:
                keep &= v >= low
            if high is not None:
                keep &= v <= high
        return keep


def _sides(limits: dict[str, tuple[float | None, float | None]]) -> list[tuple[str, int]]:
    return [(p, s) for p, pair in limits.items() for s in (0, 1) if pair[s] is not None]


def _lift(
    limits: dict[str, tuple[float | None, float | None]], side: tuple[str, int]
) -> dict[str, tuple[float | None, float | None]]:
    """``limits`` with one side opened."""
    path, s = side
    pair = list(limits[path])
    pair[s] = None
    out = dict(limits)
    if pair == [None, None]:
        del out[path]
    else:
        out[path] = (pair[0], pair[1])
    return out


def exceed(k: Any, n: Any, rate: Any) -> Any:
    """One-sided binomial p-value: the probability of ``k`` or more cases of interest in
    ``n`` draws at ``rate`` (SciPy's ``binomtest(..., alternative="greater")``)."""
    return binom.sf(np.asarray(k) - 1, n, rate)


def quasi_p(x: pd.DataFrame, y: np.ndarray, box: Box) -> dict[str, tuple[float, float]]:
    """The quasi-p value of each restricted side of ``box`` (Bryant & Lempert 2010): the
    one-sided binomial probability of the box's cases of interest if its density were that
    of the box with the side lifted; ``nan`` for an open side."""
    sides = _sides(box.limits)
    tests = np.ones((len(sides), len(x)), dtype=bool)
    for i, (path, s) in enumerate(sides):
        v = x[path].to_numpy()
        bound = box.limits[path][s]
        tests[i] = v >= bound if s == 0 else v <= bound
    inside = tests.all(axis=0)
    n, k = int(inside.sum()), int(y[inside].sum())
    out: dict[str, list[float]] = {p: [math.nan, math.nan] for p in box.limits}
    if not sides:
        return {}
    # the box with side i lifted: every other side's test holds
    misses = (~tests).sum(axis=0)
    relaxed = (misses == 0)[None, :] | ((misses == 1)[None, :] & ~tests)
    counts = relaxed.sum(axis=1)
    rates = np.where(counts > 0, (relaxed & y[None, :]).sum(axis=1) / np.maximum(counts, 1), 0.0)
    values = exceed(k, n, rates) if n else np.ones(len(sides))
    for (path, s), value in zip(sides, values, strict=True):
        out[path][s] = float(value)
    return {p: (v[0], v[1]) for p, v in out.items()}


def prune(x: pd.DataFrame, y: np.ndarray, box: Box, alpha: float = ALPHA) -> Box:
    """Lift the restrictions whose quasi-p value is ``alpha`` or more, the least
    significant first, until every remaining one is significant."""
    limits = dict(box.limits)
    while limits:
        qp = quasi_p(x, y, Box(limits))
        sides = {(p, s): q[s] for p, q in qp.items() for s in (0, 1) if not math.isnan(q[s])}
        worst = max(sides, key=sides.__getitem__)
        if sides[worst] < alpha:
            return Box(limits, qp)
        limits = _lift(limits, worst)
    return Box({})


def _stats(y: np.ndarray, inside: np.ndarray, total_cases: int, total: int) -> dict[str, Any]:
    """A box's statistics among the rows ``y`` it was looked for in (coverage and mass
    are of all cases, ``total_cases`` of interest among ``total``)."""
    n, k = int(inside.sum()), int(y[inside].sum())
    base = float(y.mean()) if len(y) else 0.0
    density = k / n if n else 0.0
    return {
        "coverage": k / total_cases if total_cases else 0.0,
        "density": density,
        "mass": n / total if total else 0.0,
        "n": n,
        "cases": k,
        "base_rate": base,
        "lift": density / base if base else math.nan,
        "p_value": float(exceed(k, n, base)) if n else 1.0,
    }


def _limits_from(
    frame: pd.DataFrame, initial: pd.DataFrame
) -> dict[str, tuple[float | None, float | None]]:
    """EMA Workbench's box limits (a 2-row frame, low and high) as the restricted sides."""
    out: dict[str, tuple[float | None, float | None]] = {}
    for path in frame.columns:
        low, high = float(frame.at[0, path]), float(frame.at[1, path])
        pair = (
            low if low > float(initial.at[0, path]) else None,
            high if high < float(initial.at[1, path]) else None,
        )
        if pair != (None, None):
            out[path] = pair
    return out


# --------------------------------------------------------------------------- the methods


@dataclass
class Discovery:
    """What a method found: ``boxes`` (one row per box and restricted parameter: ``box,
    parameter, low, high, qp, qp_low, qp_high, range_low, range_high``), ``stats`` (one row
    per box: coverage, density, mass, restricted dimensions, lift, p-value), ``trajectory``
    (the candidate boxes: PRIM's peeling trajectory of every box looked for, or CART's
    leaves) and ``assigned`` (the box of each case, 0 for none)."""

    method: Method
    boxes: pd.DataFrame
    stats: pd.DataFrame
    trajectory: pd.DataFrame
    assigned: np.ndarray
    base_rate: float
    cases: int
    n: int


BOX_COLUMNS = [
    "box", "parameter", "low", "high", "qp", "qp_low", "qp_high", "range_low", "range_high",
]  # fmt: skip
STAT_COLUMNS = [
    "box", "coverage", "density", "mass", "res_dim", "n", "cases", "base_rate", "lift",
    "p_value",
]  # fmt: skip
TRAJECTORY_COLUMNS = [
    "box", "step", "coverage", "density", "mass", "res_dim", "n", "cases", "chosen",
]  # fmt: skip


def library_versions() -> dict[str, str | None]:
    """The versions of the libraries the methods run on."""
    found: dict[str, str | None] = {}
    for dist in ("ema_workbench", "scikit-learn"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    return found


def _prim_module() -> Any:
    """EMA Workbench's PRIM module, imported quietly and quickly."""
    try:
        with warnings.catch_warnings(), _shallow_stack():
            warnings.simplefilter("ignore")  # EMA Workbench warns about optional extras
            from ema_workbench.analysis import prim
    except ImportError:
        raise HegemonError(f"PRIM needs EMA Workbench: {INSTALL}") from None
    return prim


@contextlib.contextmanager
def _shallow_stack() -> Iterator[None]:
    """While EMA Workbench is imported, ``inspect.getouterframes`` without source lines.

    Its ``method_logger`` decorator reads the calling class's name from the stack at import
    time, and the standard function looks up the source of every frame, which in a process
    that has imported hegemon (some 1,800 modules) takes 10 to 20 s; the names are only used
    in debug logs. The frames returned are the same, without their source lines.
    """
    import inspect

    def frames(frame: Any, context: int = 1) -> list[inspect.FrameInfo]:
        out = []
        while frame is not None:
            code = frame.f_code
            out.append(
                inspect.FrameInfo(frame, code.co_filename, frame.f_lineno, code.co_name, None, None)
            )
            frame = frame.f_back
        return out

    real = inspect.getouterframes
    inspect.getouterframes = frames  # type: ignore[assignment]
    try:
        yield
    finally:
        inspect.getouterframes = real


def discover(
    inputs: pd.DataFrame,
    y: np.ndarray,
    method: Method = "prim",
    *,
    max_boxes: int = 3,
    alpha: float = ALPHA,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    seed: int = 0,
) -> Discovery:
    """Boxes of ``inputs`` (one column per parameter) where ``y`` (a boolean per row)
    holds, by PRIM with covering or by CART; see the module docstring for how boxes are
    chosen. ``seed`` fixes CART's tie-breaking."""
    if method not in METHODS:
        raise HegemonError(f"method must be 'prim' or 'cart', got {method!r}")
    x = _floats(inputs)
    y = np.asarray(y, dtype=bool)
    if len(y) != len(x):
        raise HegemonError(f"{len(y)} case flags for {len(x)} rows of parameters")
    total, total_cases = len(y), int(y.sum())
    if total_cases == 0 or total_cases == total:
        which = "no" if total_cases == 0 else "every"
        raise HegemonError(f"the outcome holds in {which} case: there is no region to find")
    if method == "prim":
        found, trajectory = _prim(x, y, max_boxes, alpha, peel_alpha, mass_min)
    else:
        found, trajectory = _cart(x, y, max_boxes, alpha, mass_min, seed)
    assigned = np.zeros(total, dtype=int)
    box_rows, stat_rows = [], []
    for number, (box, stats) in enumerate(found, start=1):
        assigned[(assigned == 0) & box.inside(x)] = number
        stat_rows.append({"box": number, **stats, "res_dim": len(box.limits)})
        for path, (low, high) in box.limits.items():
            q_low, q_high = box.qp[path]
            lo, hi = float(x[path].min()), float(x[path].max())
            box_rows.append(
                {
                    "box": number,
                    "parameter": path,
                    "low": lo if low is None else low,
                    "high": hi if high is None else high,
                    "qp": float(np.nanmax([q_low, q_high])),
                    "qp_low": q_low,
                    "qp_high": q_high,
                    "range_low": lo,
                    "range_high": hi,
                }
            )
    return Discovery(
        method,
        pd.DataFrame(box_rows, columns=BOX_COLUMNS),
        pd.DataFrame(stat_rows, columns=STAT_COLUMNS),
        pd.DataFrame(trajectory, columns=TRAJECTORY_COLUMNS).astype({"box": "Int64"}),
        assigned,
        total_cases / total,
        total_cases,
        total,
    )


def _prim(
    x: pd.DataFrame,
    y: np.ndarray,
    max_boxes: int,
    alpha: float,
    peel_alpha: float,
    mass_min: float,
) -> tuple[list[tuple[Box, dict[str, Any]]], list[dict[str, Any]]]:
    """PRIM with covering: a box, then a further box among the cases outside it."""
    prim = _prim_module()
    total, total_cases = len(y), int(y.sum())
    remaining = np.arange(total)
    found: list[tuple[Box, dict[str, Any]]] = []
    trajectory: list[dict[str, Any]] = []
    for number in range(1, max_boxes + 1):
        xr, yr = x.iloc[remaining].reset_index(drop=True), y[remaining]
        if yr.sum() < MIN_CASES or yr.all():
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            peeled = prim.Prim(xr, yr, peel_alpha=peel_alpha, paste_alpha=peel_alpha,
                               mass_min=mass_min).find_box()  # fmt: skip
        steps = peeled.peeling_trajectory
        cases_left, rows_left = int(yr.sum()), len(yr)
        for step, row in steps.iterrows():
            trajectory.append(
                {
                    "box": number,
                    "step": int(step),
                    "coverage": float(row["coverage"]) * cases_left / total_cases,
                    "density": float(row["density"]),
                    "mass": float(row["mass"]) * rows_left / total,
                    "res_dim": int(row["res_dim"]),
                    "n": int(row["n"]),
                    "cases": int(row["k"]),
                    "chosen": False,
                }
            )
        box, stats, step = _best(xr, yr, peeled.box_lims, total_cases, total, alpha)
        if box is None:
            break
        trajectory[step - len(steps)]["chosen"] = True
        found.append((box, stats))
        remaining = remaining[~box.inside(xr)]
    return found, trajectory


def _best(
    x: pd.DataFrame,
    y: np.ndarray,
    steps: list[pd.DataFrame],
    total_cases: int,
    total: int,
    alpha: float,
) -> tuple[Box | None, dict[str, Any], int]:
    """Of the boxes on a peeling trajectory, each pruned to its significant restrictions,
    the one with the largest coverage − mass (among the rows ``y`` it is looked for in)
    of those that beat the base rate; with its statistics and its step."""
    best: tuple[Box | None, dict[str, Any], int] = (None, {}, -1)
    top = -math.inf
    seen: list[dict[str, Any]] = []
    for step, frame in enumerate(steps):
        box = prune(x, y, Box(_limits_from(frame, steps[0])), alpha)
        if not box.limits or box.limits in seen:
            continue
        seen.append(box.limits)
        stats = _stats(y, box.inside(x), total_cases, total)
        gain = stats["cases"] / y.sum() - stats["n"] / len(y)
        if stats["p_value"] < alpha and gain > top:
            best, top = (box, stats, step), gain
    return best


def _cart(
    x: pd.DataFrame, y: np.ndarray, max_boxes: int, alpha: float, mass_min: float, seed: int
) -> tuple[list[tuple[Box, dict[str, Any]]], list[dict[str, Any]]]:
    """CART: the leaves of a classification tree, pruned and judged as PRIM's boxes are."""
    try:
        from sklearn.tree import DecisionTreeClassifier
    except ImportError:
        raise HegemonError(f"CART needs scikit-learn: {INSTALL}") from None
    total, total_cases = len(y), int(y.sum())
    leaf_size = max(1, int(mass_min * total))
    tree = DecisionTreeClassifier(min_samples_leaf=leaf_size, random_state=seed)
    tree.fit(x.to_numpy(), y)
    candidates = []
    for leaf, limits in _leaves(tree.tree_, list(x.columns)):
        inside = Box(limits).inside(x)
        stats = _stats(y, inside, total_cases, total)
        candidates.append((leaf, Box(limits), stats))
    candidates.sort(key=lambda c: c[2]["coverage"] - c[2]["mass"], reverse=True)
    alpha = alpha / len(candidates)  # the tree chose its leaves from these data: Bonferroni
    found: list[tuple[Box, dict[str, Any]]] = []
    trajectory = []
    rest = np.ones(total, dtype=bool)  # the cases outside the boxes kept so far
    for leaf, leaf_box, leaf_stats in candidates:
        keep = len(found) < max_boxes and leaf_stats["density"] > leaf_stats["base_rate"]
        if keep:
            xr, yr = x[rest].reset_index(drop=True), y[rest]
            box = prune(xr, yr, leaf_box, alpha) if yr.sum() >= MIN_CASES else Box({})
            stats = _stats(yr, box.inside(xr), total_cases, total)
            keep = bool(box.limits) and stats["p_value"] < alpha
        if keep:
            found.append((box, stats))
            rest &= ~box.inside(x)
        trajectory.append(
            {
                "box": len(found) if keep else pd.NA,
                "step": leaf,
                **{k: leaf_stats[k] for k in ("coverage", "density", "mass", "n", "cases")},
                "res_dim": len(leaf_box.limits),
                "chosen": keep,
            }
        )
    return found, trajectory


def _leaves(
    tree: Any, names: list[str]
) -> list[tuple[int, dict[str, tuple[float | None, float | None]]]]:
    """Every leaf of a fitted scikit-learn tree with the limits its path sets (a split
    sends ``x <= threshold`` left)."""
    out = []
    stack: list[tuple[int, dict[str, tuple[float | None, float | None]]]] = [(0, {})]
    while stack:
        node, limits = stack.pop()
        left, right = tree.children_left[node], tree.children_right[node]
        if left == right:  # a leaf
            out.append((int(node), limits))
            continue
        path, cut = names[tree.feature[node]], float(tree.threshold[node])
        low, high = limits.get(path, (None, None))
        stack.append((right, {**limits, path: (cut if low is None else max(low, cut), high)}))
        stack.append((left, {**limits, path: (low, cut if high is None else min(high, cut))}))
    return sorted(out)


# --------------------------------------------------------------------------- in words


def summary(
    condition: str,
    boxes: pd.DataFrame,
    stats: pd.DataFrame,
    *,
    base_rate: float,
    n: int,
    unit: str,
    label: Callable[[str], str] = str,
) -> list[str]:
    """The boxes in plain words, one line each: "Managed decline happens when Russia:
    resolve is below 0.4: 80% of its cases, 70% dense, lift 2.1 over the base rate 33%".
    ``condition`` is the outcome in words; ``label`` names a parameter."""
    if stats.empty:
        return [
            f"{condition} in {base_rate:.0%} of the {n:,} {unit}s; no box of the parameters "
            f"holds it more often than chance (every restriction has quasi-p >= {ALPHA})."
        ]
    lines = []
    for i, row in enumerate(stats.itertuples(index=False)):
        parts = boxes[boxes["box"] == row.box]
        where = " and ".join(_limit_words(r, label) for r in parts.itertuples(index=False))
        lead = f"{condition} when" if i == 0 else "  or when"
        share = "of its cases" if i == 0 else "more of its cases"
        base = "the base rate" if i == 0 else "the rate among the rest"
        lines.append(
            f"{lead} {where}: {row.coverage:.0%} {share}, {row.density:.0%} dense, "
            f"lift {row.lift:.1f} over {base} {row.base_rate:.0%}"
        )
    return lines


def _limit_words(row: Any, label: Callable[[str], str]) -> str:
    name = label(row.parameter)
    if math.isnan(row.qp_low):
        return f"{name} is below {row.high:.3g}"
    if math.isnan(row.qp_high):
        return f"{name} is above {row.low:.3g}"
    return f"{name} is between {row.low:.3g} and {row.high:.3g}"

"""Which assumption drives the decline? Parameter sweeps and global sensitivity analysis.

Both evaluate parameter samples through the vectorized engine
(:func:`hegemon.ensemble.samples.evaluate_samples`): each sample runs ``replicates``
replicates with common random numbers, and the outputs are averaged over them.

- A **sweep** is a grid over one or two parameters (``KEY=LO:HI:N``); the table gives each
  output's mean at each point, with the quantiles across replicates of a level or the
  confidence intervals of a share, in columns named apart (:func:`sweep`).
- **Morris** elementary effects (Morris 1991; Campolongo, Cariboni & Saltelli 2007: μ*) screen
  many parameters cheaply; **Sobol'** indices (Saltelli et al. 2010; first order S1 and total
  order ST, with bootstrap 95% intervals) apportion the variance of each output. Sampling and
  analysis are SALib's (Herman & Usher 2017; Iwanaga, Usher & Herman 2022).

By default the parameters are those the scenario gives as distributions, each varied
uniformly over its range (for a normal: mean ± 2 sd, within the parameter's bounds), so the
indices describe the plausible range the scenario states, not a particular prior.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hegemon.analysis.compare import phrase
from hegemon.analysis.regimes import classify
from hegemon.ensemble.samples import SampleStore, evaluate_samples
from hegemon.errors import HegemonError, ScenarioError
from hegemon.scenario.distributions import Normal
from hegemon.scenario.keypaths import parameter_problem, uncertain_parameters
from hegemon.scenario.loader import with_overrides
from hegemon.scenario.observables import OUTCOMES, OutcomeColumn
from hegemon.scenario.schema import Scenario

Z = {0.05: -1.6448536269514722, 0.25: -0.6744897501960817}


@dataclass(frozen=True)
class Output:
    """A per-sample output: the mean over replicates of an outcome column."""

    name: str
    column: str
    label: str
    binary: bool  # a share of replicates: its bands are confidence intervals


def outputs(scenario: Scenario) -> list[Output]:
    """The outputs analysed: the focal power's change in influence, its ally's change in
    trust, the ceasefire's survival at the horizon, the share of managed decline."""
    p, ally = scenario.focus.power, scenario.focus.ally
    picks = [
        OutcomeColumn(OUTCOMES["influence_change"], p),
        OutcomeColumn(OUTCOMES["trust_change"], ally, p),
    ]
    out = [Output(c.name, c.name, phrase(c), False) for c in picks]
    if scenario.conflict is not None:
        held = OUTCOMES["ceasefire_held"]
        out.append(
            Output("ceasefire_survival", held.column(), "ceasefire holding at horizon", True)
        )
    out.append(Output("managed_decline_share", "managed_decline", "share of managed decline", True))
    return out


def _with_outputs(frame: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Per-run outcomes with the regime, reduced to the columns the outputs need."""
    regime = classify(frame, scenario)
    keep = ["sample", "replicate"] + [
        o.column for o in outputs(scenario) if o.column in frame.columns
    ]
    out = frame[keep].copy()
    out["managed_decline"] = (regime == "managed_decline").to_numpy()
    if "ceasefire_held" in out:
        out["ceasefire_held"] = out["ceasefire_held"].astype(float)
    return out


def evaluate(
    scenario: Scenario,
    samples: dict[str, np.ndarray],
    replicates: int,
    seed: int,
    **engine: Any,
) -> pd.DataFrame:
    """Per-run outputs of every sample (columns ``sample``, ``replicate`` and the outputs)."""
    import functools

    for path, values in samples.items():
        check_values(scenario, path, [float(np.min(values)), float(np.max(values))])
    hook = functools.partial(_with_outputs, scenario=scenario)
    return evaluate_samples(scenario, samples, replicates, seed, hook=hook, **engine)


# --------------------------------------------------------------------------- sweeps


def parse_grid(spec: str) -> tuple[str, np.ndarray]:
    """``KEY=LO:HI:N`` -> (key, N evenly spaced values from LO to HI)."""
    key, sep, rng = spec.partition("=")
    parts = rng.split(":")
    try:
        if not sep or len(parts) != 3:
            raise ValueError
        lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
        if n < 2 or not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError
    except ValueError:
        raise HegemonError(
            f"--param {spec}: expected KEY=LO:HI:N with numbers LO, HI and N >= 2 points"
        ) from None
    return key.strip(), np.linspace(lo, hi, n)


#: The sweep table's band columns, by what they hold: for a level, quantiles of the output
#: across the runs at a point; for a share of runs, confidence intervals of the share (the
#: normal approximation, clipped to 0..1). A row fills one set; the other is empty.
RUN_QUANTILES = ("runs_q05", "runs_q25", "runs_q50", "runs_q75", "runs_q95")
SHARE_INTERVALS = ("ci90_low", "ci50_low", "ci50_high", "ci90_high")
BAND_MEANINGS = {
    "runs": "spread across runs (quantiles)",
    "ci": "confidence interval of the share",
}


def sweep(
    scenario: Scenario,
    grid: dict[str, np.ndarray],
    replicates: int = 200,
    seed: int = 0,
    **engine: Any,
) -> pd.DataFrame:
    """Outputs over a grid of one or two parameters: one row per point and output with the
    ``mean`` and ``n``, and bands of two meanings in columns of their own, said by
    ``bands``: ``runs_q05 .. runs_q95`` (a level: quantiles across the replicates) or
    ``ci50_low, ci50_high, ci90_low, ci90_high`` (a share of runs: its 50% and 90%
    confidence intervals)."""
    if not 1 <= len(grid) <= 2:
        raise HegemonError(f"a sweep takes one or two parameters, got {len(grid)}")
    axes = np.meshgrid(*grid.values(), indexing="ij")
    samples = {path: axis.ravel() for path, axis in zip(grid, axes, strict=True)}
    runs = evaluate(scenario, samples, replicates, seed, **engine)
    rows = []
    for out in outputs(scenario):
        if out.column not in runs:
            continue
        for point, values in runs.groupby("sample")[out.column]:
            v = values.to_numpy(dtype=float)
            row: dict[str, Any] = {"point": int(point)}
            row.update({path: float(samples[path][point]) for path in samples})
            row.update({"output": out.name, "label": out.label, "n": len(v)})
            mean = float(v.mean())
            bands = dict.fromkeys((*RUN_QUANTILES, *SHARE_INTERVALS), np.nan)
            if out.binary:
                se = math.sqrt(max(mean * (1 - mean), 0.0) / len(v))
                zs = (Z[0.05], Z[0.25], -Z[0.25], -Z[0.05])
                for name, z in zip(SHARE_INTERVALS, zs, strict=True):
                    bands[name] = min(max(mean + z * se, 0.0), 1.0)
            else:
                qs = np.quantile(v, [0.05, 0.25, 0.5, 0.75, 0.95])
                bands.update(zip(RUN_QUANTILES, qs.tolist(), strict=True))
            kind = "ci" if out.binary else "runs"
            rows.append({**row, "mean": mean, "bands": BAND_MEANINGS[kind], **bands})
    return pd.DataFrame(rows)


def sweep_bands(table: pd.DataFrame) -> pd.DataFrame:
    """The bands of sweep rows as fan-chart quantiles ``q05 .. q95`` (whatever they mean:
    the spread across runs, or for a share its confidence intervals around the share)."""
    out = pd.DataFrame(index=table.index)
    share = table["bands"].astype(str) == BAND_MEANINGS["ci"]
    ci = [table[c] for c in SHARE_INTERVALS]
    for name, runs, interval in zip(
        ("q05", "q25", "q50", "q75", "q95"),
        RUN_QUANTILES,
        (ci[0], ci[1], table["mean"], ci[2], ci[3]),
        strict=True,
    ):
        out[name] = pd.to_numeric(interval.where(share, table[runs]), errors="coerce")
    return out


# --------------------------------------------------------------------------- SALib


def parameter_ranges(
    scenario: Scenario, params: Sequence[str] | dict[str, Sequence[float]] | None = None
) -> dict[str, tuple[float, float]]:
    """The range each parameter is varied over: given, or from its distribution."""
    dists = uncertain_parameters(scenario)
    if params is None:
        if not dists:
            raise HegemonError(
                f"scenario {scenario.name!r} gives no parameter as a distribution; "
                "name the parameters to vary with --params"
            )
        params = list(dists)
    ranges: dict[str, tuple[float, float]] = {}
    items = params.items() if isinstance(params, dict) else [(p, None) for p in params]
    for path, given in items:
        problem = parameter_problem(scenario, path)
        if problem:
            raise HegemonError(f"{path}: {problem}")
        if given is not None:
            lo, hi = (float(x) for x in given)
        elif path in dists:
            dist = dists[path]
            lo, hi = dist.support()
            if isinstance(dist, Normal):
                lo, hi = max(lo, dist.mean - 2 * dist.sd), min(hi, dist.mean + 2 * dist.sd)
        else:
            raise HegemonError(f"{path}: a fixed value in the scenario; give its range")
        if not lo < hi:
            raise HegemonError(f"{path}: expected a range low < high, got {lo}..{hi}")
        check_values(scenario, path, [lo, hi])
        ranges[path] = (lo, hi)
    return ranges


DEFAULT_N = {"morris": 10, "sobol": 256}


def sample_count(method: str, n: int | None, dims: int) -> int:
    """Samples a method draws: Morris n·(D+1), Sobol' N·(D+2) (first and total order)."""
    base = n or DEFAULT_N[method]
    return base * (dims + 1) if method == "morris" else base * (dims + 2)


def check_values(scenario: Scenario, path: str, values: Sequence[float]) -> None:
    """Refuse a parameter path that is not a numeric parameter, or values outside its
    bounds (checked by the schema, as ``--set`` would)."""
    problem = parameter_problem(scenario, path)
    if problem:
        raise HegemonError(f"--param {path}: {problem}")
    for value in values:
        try:
            with_overrides(scenario, [f"{path}={value!r}"])
        except ScenarioError as err:
            message = err.problems[0].message
            raise HegemonError(f"--param {path}: {value:g} is out of range: {message}") from None


def design(
    method: str, ranges: dict[str, tuple[float, float]], n: int | None, seed: int
) -> np.ndarray:
    """SALib's sample for the method: one row per sample, one column per parameter."""
    if method not in ("morris", "sobol"):
        raise HegemonError(f"method must be 'morris' or 'sobol', got {method!r}")
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    problem = _problem(ranges)
    if method == "morris":
        return morris_sample.sample(problem, n or DEFAULT_N["morris"], num_levels=4, seed=seed)
    base = n or DEFAULT_N["sobol"]
    if base & (base - 1):
        raise HegemonError(f"Sobol' sampling needs n a power of two, got {base}")
    return sobol_sample.sample(problem, base, calc_second_order=False, seed=seed)


def indices_of(
    method: str,
    ranges: dict[str, tuple[float, float]],
    X: np.ndarray,
    Y: np.ndarray,
    seed: int,
) -> list[dict[str, Any]]:
    """SALib's indices of output ``Y`` for sample ``X``, one row per parameter: Morris
    ``mu, mu_star, mu_star_conf, sigma`` or Sobol' ``S1, S1_conf, ST, ST_conf``."""
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    problem = _problem(ranges)
    if method == "morris":
        res = morris_analyze.analyze(
            problem, X, Y, num_resamples=1000, conf_level=0.95, num_levels=4, seed=seed
        )
        keys = ("mu", "mu_star", "mu_star_conf", "sigma")
    else:
        # a Generator, not the seed: SALib's Sobol' analysis ignores a seed of 0 (it tests
        # ``if seed:``) and would draw its bootstrap from NumPy's global state
        res = sobol_analyze.analyze(
            problem,
            Y,
            calc_second_order=False,
            num_resamples=1000,
            seed=np.random.default_rng(seed),
        )
        keys = ("S1", "S1_conf", "ST", "ST_conf")
    return [
        {"parameter": path, **{k: float(res[k][j]) for k in keys}} for j, path in enumerate(ranges)
    ]


def _problem(ranges: dict[str, tuple[float, float]]) -> dict[str, Any]:
    return {"num_vars": len(ranges), "names": list(ranges), "bounds": list(ranges.values())}


def _per_sample(runs: pd.DataFrame, scenario: Scenario, n: int) -> dict[Output, np.ndarray]:
    means = runs.groupby("sample").mean(numeric_only=True).reindex(range(n))
    return {o: means[o.column].to_numpy() for o in outputs(scenario) if o.column in means}


def sensitivity(
    scenario: Scenario,
    method: str = "morris",
    *,
    params: Sequence[str] | dict[str, Sequence[float]] | None = None,
    n: int | None = None,
    replicates: int = 20,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    executor: Executor | None = None,
    chunk_size: int | None = None,
    store: SampleStore | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Morris or Sobol' indices of every output: (indices table, per-sample inputs and
    outputs). ``n`` is Morris's number of trajectories (default 10) or Sobol's base sample
    size N (default 256; a power of two), giving n·(D+1) or N·(D+2) samples. ``store``
    keeps the finished blocks of runs for a resume (:func:`evaluate_samples`)."""
    ranges = parameter_ranges(scenario, params)
    X = design(method, ranges, n, seed)
    samples = {path: X[:, j] for j, path in enumerate(ranges)}
    engine: dict[str, Any] = {
        "workers": workers,
        "executor": executor,
        "progress": progress,
        "store": store,
    }
    if chunk_size:
        engine["chunk_size"] = chunk_size
    runs = evaluate(scenario, samples, replicates, seed, **engine)
    results = _per_sample(runs, scenario, len(X))
    rows = []
    for out, Y in results.items():
        for row in indices_of(method, ranges, X, Y, seed):
            rows.append({"output": out.name, "label": out.label, **row})
    inputs = pd.DataFrame(samples).rename_axis("sample").reset_index()
    for out, Y in results.items():
        inputs[out.name] = Y
    key = "mu_star" if method == "morris" else "ST"
    indices = pd.DataFrame(rows).sort_values(["output", key], ascending=[True, False])
    return indices.reset_index(drop=True), inputs

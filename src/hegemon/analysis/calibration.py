"""Calibration: the posterior of a handful of uncertain parameters given the observations up to
a cut-off, by sequential Monte Carlo through the vectorized engine (docs/ODD.md, 8.6).

**Method.** A likelihood-tempered SMC sampler (Del Moral, Doucet & Jasra 2006) in the form of
ABC-SMC (Toni et al. 2009) with the adaptive schedule and MCMC moves of Del Moral, Doucet &
Jasra (2012), whose kernel is the observation model itself. A particle is a parameter vector
*and* one simulated trajectory: ``(θ, x)`` with ``x`` drawn from the model with ``θ`` and a
replicate index of its own. The targets are

    π_λ(θ, x) ∝ π(θ) p(x | θ) 1[x matches every binary observation] p(y | x)^λ,  0 ≤ λ ≤ 1,

with ``p(y | x)`` the product over observations of the observation model's ``loglik``
(:mod:`hegemon.analysis.observation`; binary states such as the ceasefire are observed
exactly, so a replicate whose ceasefire collapsed before the record says it did is never
accepted). At ``λ = 1`` the target's θ-marginal is the exact posterior under the observation
model: an ABC whose kernel is the model's error is exact for that error (Wilkinson 2013); for
the Gaussian channels ``λ`` plays the part of ABC's tolerance, ``ε = 1/√λ`` in units of each
observation's sd. Each generation (i) picks the next ``λ`` by bisection so that the effective
sample size of the reweighted particles is ``ess_fraction`` of the particles (Del Moral et
al. 2012), (ii) resamples them (systematic), and (iii) moves every particle with random-walk
Metropolis–Hastings steps on ``(θ, x)``: propose ``θ'`` from a normal around ``θ`` with the
particles' covariance scaled by ``2.38/√d`` (Roberts & Rosenthal 2001; adapted to the
acceptance rate), simulate a
fresh ``x'`` and accept with ``min(1, π(θ')p(y|x')^λ / π(θ)p(y|x)^λ)``; this kernel leaves
``π_λ`` invariant (Del Moral et al. 2012, section 3). Steps repeat until nine particles in ten
have moved (Drovandi & Pettitt 2011). The sampler works on ``z = Φ⁻¹(F(θ))``: the prior of
every parameter is standard normal there, whatever its distribution, so the walk needs no
bounds and the prior ratio is that of normals.

**Vectorized.** Every generation's particles (thousands) are simulated as one block of the
engine: one :class:`~hegemon.model.model.HegemonModel` with ``parameters=`` per replicate, split
only across workers (:func:`hegemon.ensemble.samples.observe_runs`), never one model per
particle.

**Library.** Written here on numpy/scipy after weighing the maintained libraries: pyabc
simulates one particle per call of its ``simulate_one`` (a vectorized block fits only by
working around its samplers), ELFI is batch-native but pins matplotlib below 3.9 (this
project draws with 3.9+), and sbi brings torch for neural posteriors the few parameters here
do not need. The sampler is checked against a case whose posterior is known in closed form
(a normal prior, a noisy simulator and a normal observation: ``tests/test_calibration.py``).

**The particles' past.** An accepted particle is a parameter vector and a trajectory whose
past agrees with the record. Its replicate index is kept (``replicate`` in the posterior
table), so a calibrated scenario (``{dist: sample}``, :mod:`hegemon.scenario.posterior`)
replays that trajectory bit for bit up to the cut-off and forecasts onward with fresh random
numbers: the forecast is conditioned on the record, not only on the parameters.

References: Toni, Welch, Strelkowa, Ipsen & Stumpf (2009), J. R. Soc. Interface 6:187–202;
Del Moral, Doucet & Jasra (2006), J. R. Stat. Soc. B 68:411–436; Del Moral, Doucet & Jasra
(2012), Stat. Comput. 22:1009–1020; Wilkinson (2013), Stat. Appl. Genet. Mol. Biol.
12:129–141; Drovandi & Pettitt (2011), Biometrics 67:225–233; Roberts & Rosenthal (2001),
Stat. Sci. 16:351–367.

>>> import numpy as np
>>> def simulate(z, ids):  # theta = z (a standard normal prior), observed exactly with sd 1
...     return -0.5 * (2.0 - z[:, 0]) ** 2, z.T
>>> fit = smc(simulate, 1, particles=2000, seed=1)
>>> bool(abs(fit.z[:, 0].mean() - 1.0) < 0.1)  # the posterior N(1, 1/2)
True
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from hegemon.analysis.observation import Observation, ObservationModel
from hegemon.analysis.scores import selection
from hegemon.errors import BadInput, HegemonError
from hegemon.scenario.distributions import Uniform, is_distribution, is_sample
from hegemon.scenario.keypaths import get, parameter_problem, value_problem
from hegemon.scenario.schema import WEEK_DAYS, Scenario

Simulator = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
SMC_KEY = 0x5EC  # keys the sampler's own random numbers apart from the model's streams
PARTICLES = 2000
REPEATS = 1  # trajectories per particle
QUANTILES = (0.05, 0.5, 0.95)


class CalibrationError(HegemonError):
    """A calibration that cannot go on (no particle fits the record, say)."""


# --------------------------------------------------------------------------- the sampler


@dataclass
class SMCResult:
    """The final particles (equally weighted after the last move), and one row per
    generation."""

    z: np.ndarray  # (N, d) in the standard-normal space of the prior
    loglik: np.ndarray  # (N,) of the trajectory kept
    ids: np.ndarray  # (N,) the replicate index each particle's trajectory was simulated with
    extra: np.ndarray  # (k, N) whatever the simulator returned beside the log-likelihood
    generations: pd.DataFrame
    simulations: int = 0

    @property
    def weight(self) -> np.ndarray:
        return np.full(len(self.loglik), 1.0 / len(self.loglik))


def ess(logw: np.ndarray) -> float:
    """Effective sample size of log-weights: ``(Σw)² / Σw²``."""
    finite = logw[np.isfinite(logw)]
    if finite.size == 0:
        return 0.0
    w = np.exp(finite - finite.max())
    return float(w.sum() ** 2 / (w**2).sum())


def systematic(weights: np.ndarray, u: float) -> np.ndarray:
    """Systematic resampling: the indices drawn by ``(u + i) / N`` (Kitagawa 1996)."""
    n = len(weights)
    cum = np.cumsum(weights)
    cum /= cum[-1]
    return np.minimum(np.searchsorted(cum, (u + np.arange(n)) / n, side="left"), n - 1)


def _log_mean_exp(a: np.ndarray, scale: float) -> np.ndarray:
    """``log mean_m exp(scale * a[:, m])`` per row (``-inf`` where every entry is)."""
    b = np.where(np.isfinite(a), scale * np.where(np.isfinite(a), a, 0.0), -np.inf)
    top = b.max(axis=1)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        out = safe + np.log(np.exp(b - safe[:, None]).mean(axis=1))
    return np.where(np.isfinite(top), out, -np.inf)


def smc(
    simulate: Simulator,
    dims: int,
    *,
    particles: int = PARTICLES,
    repeats: int = 1,
    seed: int = 0,
    ess_fraction: float = 0.5,
    move_target: float = 0.9,
    max_moves: int = 8,
    max_generations: int = 60,
    first_id: int = 0,
    progress: Callable[[int], None] | None = None,
) -> SMCResult:
    """Sample the tempered targets from the prior (``λ = 0``) to the posterior (``λ = 1``).

    ``simulate(z, ids)`` gets a block of runs (``z`` of shape ``(n, dims)``, the prior
    standard normal) and the replicate index of each, and returns the log-likelihood of each
    (``-inf`` where a hard constraint fails) and an array ``(k, n)`` to keep with them (their
    simulated observations). It is called once per block: the initial population and every
    move. Each particle carries ``repeats`` trajectories (one block of ``particles ×
    repeats`` runs): its likelihood is their mean, ``(1/M) Σ_m p(y | x_m)^λ``, an unbiased
    estimate whose lower variance lets the moves mix (the pseudo-marginal target of Andrieu
    & Roberts 2009, whose θ-marginal is still the posterior); at the end one trajectory per
    particle is kept with probability ``∝ p(y | x_m)``, so ``(θ, x)`` is a draw of the joint
    posterior. ``progress(n)`` is told of every ``n`` runs."""
    if particles < 2:
        raise ValueError(f"particles must be at least 2, got {particles}")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, SMC_KEY]))
    n, m = particles, repeats
    next_id = first_id

    def run(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(n, m) log-likelihoods, (k, n, m) kept values and (n, m) replicate ids."""
        nonlocal next_id
        count = len(z) * m
        ids = np.arange(next_id, next_id + count, dtype=np.int64)
        next_id += count
        ll, extra = simulate(np.repeat(z, m, axis=0), ids)
        if progress:
            progress(count)
        extra = np.asarray(extra, float)
        return (
            np.asarray(ll, float).reshape(len(z), m),
            extra.reshape(extra.shape[0], len(z), m),
            ids.reshape(len(z), m),
        )

    z = rng.standard_normal((n, dims))
    ll, extra, ids = run(z)
    alive = np.isfinite(ll).any(axis=1)
    if not alive.any():
        raise CalibrationError(
            f"none of {n * m} runs drawn from the prior matches the binary observations "
            "(e.g. the ceasefire): the prior cannot reproduce the record"
        )
    rows: list[dict[str, Any]] = [
        {
            "generation": 0,
            "temperature": 0.0,
            "tolerance": math.inf,
            "ess": float(alive.sum()),
            "acceptance": math.nan,
            "moves": 0,
            "moved": math.nan,
            "unique": n,
            "simulations": n * m,
            "alive_prior": float(np.isfinite(ll).mean()),
        }
    ]
    simulations = n * m
    lam = 0.0
    scale = 2.38 / math.sqrt(dims)
    logw = np.where(alive, 0.0, -np.inf)
    for generation in range(1, max_generations + 1):
        current = _log_mean_exp(ll, lam)

        def increment(new: float, ll: np.ndarray = ll, current: np.ndarray = current) -> np.ndarray:
            return _log_mean_exp(ll, new) - np.where(np.isfinite(current), current, 0.0)

        target = ess_fraction * ess(logw)
        if ess(logw + increment(1.0)) >= target:
            new = 1.0
        else:
            lo, hi = lam, 1.0
            for _ in range(50):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if ess(logw + increment(mid)) >= target else (lo, mid)
            new = max(lo, lam + 1e-9)
        logw = logw + increment(new)
        lam = new
        size = ess(logw)
        finite = np.isfinite(logw)
        w = np.where(finite, np.exp(logw - logw[finite].max()), 0.0)
        pick = systematic(w, float(rng.random()))
        z, ll, extra, ids = z[pick], ll[pick], extra[:, pick], ids[pick]
        logw = np.zeros(n)
        cov = np.atleast_2d(np.cov(z, rowvar=False)) + 1e-9 * np.eye(dims)
        chol = np.linalg.cholesky(cov)
        moved = np.zeros(n, dtype=bool)
        accepted = []
        moves = 0
        while moves < max_moves:
            moves += 1
            proposal = z + scale * rng.standard_normal((n, dims)) @ chol.T
            ll_new, extra_new, ids_new = run(proposal)
            simulations += n * m
            new_like, old_like = _log_mean_exp(ll_new, lam), _log_mean_exp(ll, lam)
            log_ratio = -0.5 * (proposal**2 - z**2).sum(axis=1) + (new_like - old_like)
            with np.errstate(invalid="ignore"):
                accept = np.isfinite(new_like) & (np.log(rng.random(n)) < log_ratio)
            z[accept], ll[accept], ids[accept] = proposal[accept], ll_new[accept], ids_new[accept]
            extra[:, accept] = extra_new[:, accept]
            moved |= accept
            rate = float(accept.mean())
            accepted.append(rate)
            scale *= 0.7 if rate < 0.15 else (1.25 if rate > 0.45 else 1.0)
            if moved.mean() >= move_target:
                break
        rows.append(
            {
                "generation": generation,
                "temperature": lam,
                "tolerance": 1 / math.sqrt(lam) if lam > 0 else math.inf,
                "ess": size,
                "acceptance": float(np.mean(accepted)),
                "moves": moves,
                "moved": float(moved.mean()),
                "unique": len(np.unique(z, axis=0)),
                "simulations": simulations,
                "alive_prior": math.nan,
            }
        )
        if lam >= 1.0:
            break
    else:
        raise CalibrationError(
            f"the sampler did not reach the posterior in {max_generations} generations "
            f"(temperature {lam:.3g}): the observations may contradict the model"
        )
    # one trajectory per particle, by its likelihood: (θ, x) is a draw of the joint posterior
    finite = np.where(np.isfinite(ll), ll, -np.inf)
    top = finite.max(axis=1, keepdims=True)
    prob = np.exp(finite - top)
    cum = np.cumsum(prob, axis=1)
    keep = (cum < rng.random((n, 1)) * cum[:, -1:]).sum(axis=1)
    keep = np.minimum(keep, m - 1)
    rows_ = np.arange(n)
    return SMCResult(
        z,
        ll[rows_, keep],
        ids[rows_, keep],
        extra[:, rows_, keep],
        pd.DataFrame(rows),
        simulations,
    )


# --------------------------------------------------------------------------- the problem


@dataclass(frozen=True)
class Prior:
    """The prior of one calibrated parameter: a scenario distribution (or a uniform range)."""

    path: str
    dist: Any  # a distribution of hegemon.scenario.distributions

    def theta(self, z: np.ndarray) -> np.ndarray:
        """The parameter at standard-normal ``z``: ``F⁻¹(Φ(z))``."""
        u = np.clip(special.ndtr(z), 1e-15, 1 - 1e-15)
        return np.asarray(self.dist.ppf(u), dtype=np.float64)

    def describe(self) -> str:
        d = self.dist.model_dump(exclude_none=True)
        kind = d.pop("dist")
        return f"{kind}(" + ", ".join(f"{k}={v:g}" for k, v in d.items()) + ")"


def priors(
    scenario: Scenario, params: Sequence[str] | dict[str, Sequence[float]] | None = None
) -> list[Prior]:
    """The calibrated parameters and their priors: ``params`` (key paths, or key paths with
    ``[low, high]`` uniform ranges), else the scenario's ``calibration:`` block. A key path's
    prior is the scenario's distribution. Raises :class:`BadInput` for an unknown path,
    one without a prior, or none at all."""
    spec: Any = params
    if spec is None:
        if scenario.calibration is None:
            raise BadInput(
                f"scenario {scenario.name} has no calibration: block; list the parameters to "
                "calibrate there or pass --params FILE"
            )
        spec = scenario.calibration.parameters
    items = list(spec.items()) if isinstance(spec, dict) else [(p, None) for p in spec]
    if not items:
        raise BadInput("no parameters to calibrate")
    out = []
    for path, rng in items:
        problem = parameter_problem(scenario, path)
        if problem:
            raise BadInput(f"calibration: unknown parameter {path!r}: {problem}")
        if rng is not None:
            lo, hi = (float(x) for x in rng)
            if not lo < hi:
                raise BadInput(f"calibration: {path}: expected low < high, got [{lo}, {hi}]")
            for bound in (lo, hi):
                problem = value_problem(scenario, path, bound)
                if problem:
                    raise BadInput(f"calibration: {path}: {problem}")
            out.append(Prior(path, Uniform(dist="uniform", low=lo, high=hi)))
            continue
        value = get(scenario, path)
        if not is_distribution(value) or is_sample(value):
            raise BadInput(
                f"calibration: {path!r} has no prior (it is {value!r}): give it a distribution "
                "in the scenario, or a [low, high] range"
            )
        out.append(Prior(path, value))
    if len({p.path for p in out}) != len(out):
        raise BadInput("calibration: a parameter is listed twice")
    return out


@dataclass
class Problem:
    """What a calibration fits: the observations used (with their steps), the ones left
    out and why, the priors and the observation model."""

    scenario: Scenario  # run to the cut-off
    used: pd.DataFrame  # rows of the observations table, with ``step``
    left_out: pd.DataFrame  # rows with ``reason``
    priors: list[Prior]
    model: ObservationModel
    cutoff: dt.date

    @property
    def keys(self) -> list[tuple[str, str | None, str | None, int]]:
        return [
            (str(r.metric), _name(r.actor), _name(r.target), int(r.step))
            for r in self.used.itertuples(index=False)
        ]

    @property
    def observations(self) -> list[Observation]:
        return [Observation.of(row) for _, row in self.used.iterrows()]

    def parameters(self, z: np.ndarray) -> dict[str, np.ndarray]:
        return {p.path: p.theta(z[:, i]) for i, p in enumerate(self.priors)}

    def loglik(self, values: np.ndarray) -> np.ndarray:
        """``log p(y | x)`` of every run (columns of ``values``, one row per observation);
        ``-inf`` where a binary state does not match (observed exactly)."""
        total = np.zeros(values.shape[1])
        for obs, x in zip(self.observations, values, strict=True):
            if self.model.channel(obs) == "binary":
                total = np.where(x == obs.value, total, -np.inf)
            else:
                total = total + self.model.loglik(obs, x)
        return total


def _name(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def calibration_problem(
    scenario: Scenario,
    table: pd.DataFrame,
    cutoff: dt.date,
    *,
    params: Sequence[str] | dict[str, Sequence[float]] | None = None,
    model: ObservationModel | None = None,
    recorded: set[tuple[str, str | None, str | None]] | None = None,
) -> Problem:
    """The calibration problem: the observations of ``table`` (an observations file's
    table) dated after the scenario's start and on or before ``cutoff`` that
    :func:`~hegemon.analysis.scores.selection` keeps (one poll is never counted twice: the
    polls the initial values cite are the prior's), of the series the model records
    (``recorded``). Raises :class:`BadInput` for a cut-off outside the observations."""
    from hegemon.scenario.loader import with_overrides

    model = model or ObservationModel()
    found = priors(scenario, params)
    first, last = table["date"].min().date(), table["date"].max().date()
    if not (scenario.start < cutoff <= scenario.end):
        raise BadInput(
            f"--cutoff {cutoff} is outside the scenario's run ({scenario.start} to {scenario.end})"
        )
    if not (first <= cutoff <= last):
        raise BadInput(f"--cutoff {cutoff} is outside the observations (dated {first} to {last})")
    reasons = selection(table, scenario, model=model)
    reasons = reasons.where(
        (reasons != "") | (table["date"] <= pd.Timestamp(cutoff)),
        f"after the cut-off {cutoff}: the forecast's test, not the calibration's data",
    )
    steps = ((table["date"] - pd.Timestamp(scenario.start)).dt.days // WEEK_DAYS).astype(int)
    if recorded is not None:
        for index, row in table.iterrows():
            key = (str(row["metric"]), _name(row["actor"]), _name(row["target"]))
            if not reasons[index] and key not in recorded:
                reasons[index] = f"{row['metric']} is not recorded by the model"
    marked = table.assign(step=steps, reason=reasons)
    used = marked[marked["reason"] == ""].reset_index(drop=True)
    if used.empty:
        raise BadInput(
            f"no observation to calibrate on: none dated after the start ({scenario.start}) "
            f"and on or before the cut-off {cutoff} is evidence"
        )
    until = with_overrides(scenario, [f"until={cutoff.isoformat()}"])
    return Problem(until, used, marked[marked["reason"] != ""], found, model, cutoff)


@dataclass
class Calibration:
    """A finished calibration: the posterior table, the generations, a table of the
    parameters (prior and posterior summaries), the problem and the sampler's result."""

    problem: Problem
    result: SMCResult
    seed: int
    repeats: int = 1
    posterior: pd.DataFrame = field(init=False)
    parameters: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        p, r = self.problem, self.result
        theta = p.parameters(r.z)
        table = pd.DataFrame(
            {
                "particle": np.arange(len(r.ids), dtype=np.int64),
                "weight": r.weight,
                "replicate": r.ids.astype(np.int64),
                **theta,
                "loglik": r.loglik,
            }
        )
        for i, line in enumerate(p.used["line"]):
            table[f"simulated:line{int(line)}"] = r.extra[i]
        self.posterior = table
        rows = []
        grid = (np.arange(4000) + 0.5) / 4000
        for prior in p.priors:
            prior_draws = prior.theta(special.ndtri(grid))
            post = theta[prior.path]
            pq = np.quantile(prior_draws, QUANTILES)
            qq = np.quantile(post, QUANTILES)
            rows.append(
                {
                    "parameter": prior.path,
                    "prior": prior.describe(),
                    "prior_mean": float(prior_draws.mean()),
                    "prior_q05": pq[0],
                    "prior_q95": pq[2],
                    "posterior_mean": float(post.mean()),
                    "posterior_sd": float(post.std(ddof=1)),
                    "posterior_q05": qq[0],
                    "posterior_q50": qq[1],
                    "posterior_q95": qq[2],
                    "width_ratio": float((qq[2] - qq[0]) / (pq[2] - pq[0]))
                    if pq[2] > pq[0]
                    else math.nan,
                }
            )
        self.parameters = pd.DataFrame(rows)

    @property
    def generations(self) -> pd.DataFrame:
        return self.result.generations


def calibrate(
    problem: Problem,
    seed: int = 0,
    *,
    particles: int | None = None,
    repeats: int | None = None,
    workers: int = 1,
    executor: Any = None,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Calibration:
    """Run the sampler on ``problem``: every block of particles is one vectorized model per
    worker (``chunk_size`` runs at most; default: the block split evenly over the workers).
    The particles' trajectories are replicates of ``seed``; the sampler's own draws come
    from ``seed`` too, so a seed gives the same posterior, bit for bit."""
    from hegemon.ensemble.samples import observe_runs

    block = problem.scenario.calibration
    n = particles or (block.particles if block else PARTICLES)
    m = repeats or (block.repeats if block else REPEATS)
    keys = problem.keys
    size = chunk_size or max(1, math.ceil(n * m / max(workers, 1)))

    def simulate(z: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = observe_runs(
            problem.scenario,
            seed,
            ids,
            problem.parameters(z),
            keys,
            workers=workers,
            executor=executor,
            chunk_size=size,
        )
        return problem.loglik(values), values

    result = smc(
        simulate, len(problem.priors), particles=n, repeats=m, seed=seed, progress=progress
    )
    return Calibration(problem, result, seed, m)


def expected_simulations(particles: int) -> int:
    """A rough count of the simulations a calibration takes, for a progress bar."""
    return particles * 20

"""The observation model: how an observed value relates to the model's metric at its date.

For one observation ``y`` of a metric and the values ``x`` of that metric in the ensemble's
replicates at the observation's date (an array of shape ``(replicates,)``), the observation
model gives the distribution of what would be observed if replicate ``r`` were the world:

* **polls** (``trust``): a poll share of ``n`` respondents is the model's trust through its
  link ``g`` (identity, or ``1 − x`` for an inverse indicator), plus a between-question
  deviation of sd ``tau`` pooled across pollsters and questions (one poll per question cannot
  estimate a bias of its own), plus binomial sampling error with a design effect:
  ``y | x_r ~ N(g(x_r), tau² + deff · g(x_r)(1 − g(x_r)) / n)``, ``n`` = ``default_n``
  where the poll does not report it;
* **measured shares** (``territory``, other shares): ``y | x_r ~ N(x_r, share_sd²)``;
* **levels** (``peacekeepers``, costs): ``y | x_r ~ N(x_r, (level_relative_sd · max(|y|, 1))²)``;
* **counts** (``clashes_cum``, ``commitments_failed_cum``): ``y | x_r ~ N(x_r, count_sd²)``,
  the definitional uncertainty of what counts as one incident;
* **binary states** (``ceasefire``): observed exactly; the likelihood keeps a misreading
  chance ``binary_error``: ``P(y | x_r) = 1 − ε`` if ``y = x_r``, else ``ε``.

The ensemble's predictive distribution of ``y`` is the equal-weight mixture of these over the
replicates. :meth:`ObservationModel.loglik` gives ``log p(y | x_r)`` per replicate (for a
likelihood-based calibration), :meth:`ObservationModel.distance` ``|y − g(x_r)| / sd_r`` (for
approximate Bayesian computation), :meth:`ObservationModel.log_predictive` the log density of
the mixture at ``y`` and :meth:`ObservationModel.predictive_sample` a deterministic sample of
the mixture (each replicate's value plus ``nodes`` normal quantiles of its noise), from which
the scores take their quantiles and CRPS. The equations and defaults are in docs/ODD.md,
section 7.13.

>>> import numpy as np
>>> om = ObservationModel()
>>> obs = Observation("trust", 0.64, n=1500)
>>> round(float(om.noise_sd(obs, np.array([0.6]))[0]), 4)
0.0523
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from hegemon.scenario.observables import METRICS

POLL_METRICS = frozenset({"trust"})  # latent attitudes, observed through opinion polls


@dataclass(frozen=True)
class Observation:
    """One observed value: the metric, the value, a poll's sample size and the link."""

    metric: str
    value: float
    n: int | None = None
    link: str = "identity"

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Observation:
        """From a row of :attr:`Observations.table` (or any mapping with these keys)."""
        n = row.get("n")
        link = row.get("link")
        return cls(
            str(row["metric"]),
            float(row["value"]),
            None if n is None or pd.isna(n) else int(n),
            "identity" if link is None or pd.isna(link) or not link else str(link),
        )

    @property
    def kind(self) -> str:
        return METRICS[self.metric].kind


@dataclass(frozen=True)
class ObservationModel:
    """The observation model's parameters (defaults and reasons in docs/ODD.md, 7.13)."""

    tau: float = 0.05  # between-question sd of poll shares, pooled
    design_effect: float = 1.5  # of a clustered national sample
    default_n: int = 1000  # a poll's sample size where not reported
    share_sd: float = 0.01  # measurement sd of a measured share (territory)
    level_relative_sd: float = 0.10  # measurement sd of a level, relative to the observed value
    count_sd: float = 1.0  # one incident either way
    binary_error: float = 0.01  # chance the record of a binary state is misread
    inverse: bool = False  # link inverse indicators (1 − trust); left out by default
    nodes: int = 32  # normal quantiles per replicate in the predictive sample

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    # ---- per replicate

    def channel(self, obs: Observation) -> str:
        """``poll``, ``share``, ``level``, ``count`` or ``binary``."""
        if obs.kind == "binary":
            return "binary"
        if obs.metric in POLL_METRICS:
            return "poll"
        return obs.kind

    def mean(self, obs: Observation, values: np.ndarray) -> np.ndarray:
        """``g(x_r)``: the value each replicate predicts for the observation."""
        x = np.asarray(values, dtype=float)
        return 1.0 - x if obs.link == "complement" else x

    def noise_sd(self, obs: Observation, values: np.ndarray) -> np.ndarray:
        """The sd of the observation given each replicate (0 for a binary state)."""
        mu = self.mean(obs, values)
        channel = self.channel(obs)
        if channel == "poll":
            n = obs.n or self.default_n
            p = np.clip(mu, 0.0, 1.0)
            return np.sqrt(self.tau**2 + self.design_effect * p * (1.0 - p) / n)
        if channel == "share":
            return np.full(mu.shape, self.share_sd)
        if channel == "level":
            return np.full(mu.shape, self.level_relative_sd * max(abs(obs.value), 1.0))
        if channel == "count":
            return np.full(mu.shape, self.count_sd)
        return np.zeros(mu.shape)

    def loglik(self, obs: Observation, values: np.ndarray) -> np.ndarray:
        """``log p(y | x_r)`` for every replicate: shape ``(replicates,)``."""
        mu = self.mean(obs, values)
        if self.channel(obs) == "binary":
            eps = self.binary_error
            return np.where(mu == obs.value, math.log1p(-eps), math.log(eps))
        from scipy import stats  # imported when needed: the figures' observations need none

        sd = np.maximum(self.noise_sd(obs, values), 1e-12)  # a zero sd: a point mass
        return stats.norm.logpdf(obs.value, mu, sd)

    def distance(self, obs: Observation, values: np.ndarray) -> np.ndarray:
        """``|y − g(x_r)|`` in units of the observation's sd (plain for a binary state):
        shape ``(replicates,)``, for approximate Bayesian computation."""
        mu = self.mean(obs, values)
        sd = self.noise_sd(obs, values)
        gap = np.abs(obs.value - mu)
        return gap if self.channel(obs) == "binary" else gap / sd

    # ---- the ensemble's predictive distribution

    def probability(self, values: np.ndarray) -> float:
        """For a binary state: the ensemble's probability that it is 1."""
        return float(np.mean(np.asarray(values, dtype=float)))

    def log_predictive(self, obs: Observation, values: np.ndarray) -> float:
        """Log density (log probability for a binary state) of the observed value under the
        equal-weight mixture over replicates."""
        from scipy import special

        ll = self.loglik(obs, values)
        return float(special.logsumexp(ll) - math.log(len(ll)))

    def predictive_sample(self, obs: Observation, values: np.ndarray) -> np.ndarray:
        """A deterministic sample of the predictive mixture: each replicate's ``g(x_r)``
        plus its noise sd times ``nodes`` standard-normal quantiles, censored at the metric's
        bounds (0..1 for a share, at least 0 otherwise); the replicates' values themselves for
        a binary state."""
        mu = self.mean(obs, values)
        if self.channel(obs) == "binary":
            return mu
        from scipy import stats

        z = stats.norm.ppf((np.arange(self.nodes) + 0.5) / self.nodes)
        sd = self.noise_sd(obs, values)
        sample = (mu[:, None] + sd[:, None] * z[None, :]).ravel()
        high = 1.0 if obs.kind == "share" else np.inf
        return np.clip(sample, 0.0, high)  # censored at the metric's bounds


def between_question_sd(table: Any, default_n: int = 1000, design_effect: float = 1.5) -> float:
    """The pooled between-question sd ``tau`` of poll shares, estimated from the polls that
    asked several questions of one sample (same date, source, actor and target, identity
    link): half the mean squared difference of their pairs, less the sampling variance of
    a difference; 0 if negative. ``table`` is :attr:`Observations.table`."""
    polls = table[(table["metric"].isin(POLL_METRICS)) & (table["link"] == "identity")]
    squares, sampling = [], []
    for _, group in polls.groupby(["date", "source", "actor", "target"]):
        values = group["value"].to_numpy(float)
        ns = group["n"].fillna(default_n).to_numpy(float)
        for i in range(len(values)):
            for j in range(i + 1, len(values)):
                squares.append((values[i] - values[j]) ** 2)
                sampling.append(
                    design_effect
                    * (values[i] * (1 - values[i]) / ns[i] + values[j] * (1 - values[j]) / ns[j])
                )
    if not squares:
        return math.nan
    return math.sqrt(max(np.mean(squares) / 2 - np.mean(sampling) / 2, 0.0))

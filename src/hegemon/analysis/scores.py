"""Forecast scores of an ensemble against observations: bands, coverage, CRPS, Brier and log
scores, totals and skill against a reference (docs/ODD.md, section 8.5).

Every score is of the predictive distribution of the *observed* value
(:mod:`hegemon.analysis.observation`): each replicate's value of the metric at the
observation's date plus the observation's noise. CRPS (of continuous and count metrics) and
the Brier score (of binary ones) come from ``scoringrules``; lower is better for both and for
the log score (the negative log predictive density, in nats).

>>> import numpy as np
>>> om = ObservationModel(count_sd=0.0)
>>> round(score(Observation("clashes_cum", 5.0), np.array([3.0, 3.0]), om)["crps"], 6)
2.0
>>> round(score(Observation("ceasefire", 1.0), np.array([1.0] * 7 + [0.0] * 3), om)["brier"], 6)
0.09
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from hegemon.analysis.observation import Observation, ObservationModel
from hegemon.scenario.observables import METRICS
from hegemon.scenario.schema import Scenario

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
BAND_COLUMNS = ("q05", "q25", "median", "q75", "q95")
SUMMARY_MEMBERS = 200  # pseudo-replicates rebuilt from a summary's quantiles
SCORE_COLUMNS = (
    "replicates", "model_median", *BAND_COLUMNS, "in50", "in90", "crps", "brier", "log_score",
)  # fmt: skip


# --------------------------------------------------------------------------- which rows count


def selection(
    table: pd.DataFrame,
    scenario: Scenario,
    *,
    since: dt.date | None = None,
    model: ObservationModel | None = None,
) -> pd.Series:
    """Why each observation is left out of the scores ("" where it is scored).

    Left out: rows dated on or before the scenario's start (they can inform its initial
    values, never test them); rows whose source the scenario cites for the initial value of
    the same metric and actor (``actors.<A>.sources.<metric>``: a prior, not evidence, so
    one poll is never counted twice); inverse indicators unless ``model.inverse``; and,
    with ``since``, rows dated before it.
    """
    model = model or ObservationModel()
    start = pd.Timestamp(scenario.start)
    actors = {a.name: a for a in scenario.actors}
    reasons = []
    for row in table.itertuples(index=False):
        cited = actors[row.actor].sources.get(row.metric, "") if row.actor in actors else ""
        if row.date <= start:
            reason = f"dated on or before the start ({scenario.start}): not evidence"
        elif cited and re.search(rf"(?<![\w]){re.escape(row.source)}(?![\w])", cited):
            reason = (
                f"the scenario's initial {row.metric} of {row.actor} cites {row.source}: "
                "a prior, not evidence"
            )
        elif row.link == "complement" and not model.inverse:
            reason = "inverse indicator: not linked by default"
        elif since is not None and row.date < pd.Timestamp(since):
            reason = f"before --since {since}"
        else:
            reason = ""
        reasons.append(reason)
    return pd.Series(reasons, index=table.index, dtype=object)


# --------------------------------------------------------------------------- one observation


def crps(observed: float, sample: np.ndarray) -> float:
    """CRPS of the empirical distribution of ``sample`` (``scoringrules``, exact)."""
    import scoringrules as sr

    return float(sr.crps_ensemble(observed, np.asarray(sample, float), estimator="qd"))


def brier(observed: float, probability: float) -> float:
    """Brier score of a probability forecast of a binary outcome (``scoringrules``)."""
    import scoringrules as sr

    return float(sr.brier_score(observed, probability))


def score(obs: Observation, values: np.ndarray, model: ObservationModel) -> dict[str, Any]:
    """Median and bands of the predictive distribution of ``obs``, coverage, CRPS (or Brier
    for a binary state) and log score, given the metric's ``values`` in the replicates."""
    values = np.asarray(values, dtype=float)
    sample = model.predictive_sample(obs, values)
    bands = np.quantile(sample, QUANTILES)
    out: dict[str, Any] = {
        "replicates": len(values),
        "model_median": float(np.median(model.mean(obs, values))),
        **{name: float(q) for name, q in zip(BAND_COLUMNS, bands, strict=True)},
        "log_score": -model.log_predictive(obs, values),
    }
    y = obs.value
    if model.channel(obs) == "binary":
        out |= {"in50": None, "in90": None, "crps": math.nan}
        out["brier"] = brier(y, model.probability(values))
    else:
        out |= {
            "in50": bool(bands[1] <= y <= bands[3]),
            "in90": bool(bands[0] <= y <= bands[4]),
            "crps": crps(y, sample),
            "brier": math.nan,
        }
    return out


def from_quantiles(row: Any, members: int = SUMMARY_MEMBERS) -> np.ndarray:
    """Pseudo-replicates from a summary row's 5, 25, 50, 75 and 95% quantiles: the quantile
    function interpolated linearly between them at ``members`` equally spaced levels, flat
    beyond 5% and 95% (the tails are put at q05 and q95)."""
    knots = np.array([row["q05"], row["q25"], row["q50"], row["q75"], row["q95"]], float)
    levels = (np.arange(members) + 0.5) / members
    return np.interp(levels, QUANTILES, knots)


def from_mean(mean: float, replicates: int) -> np.ndarray:
    """The replicates of a binary state rebuilt exactly from its mean over ``replicates``."""
    ones = round(mean * replicates)
    return np.r_[np.ones(ones), np.zeros(replicates - ones)]


# --------------------------------------------------------------------------- tables


def score_table(
    table: pd.DataFrame,
    ensembles: dict[int, tuple[np.ndarray, str, int]],
    reasons: pd.Series,
    model: ObservationModel,
) -> pd.DataFrame:
    """One row per observation of ``table``: the observation, ``used`` and ``reason``, and
    its scores where ``ensembles`` (by the observation's ``line``: the metric's values, how
    they were obtained, the step) has it."""
    rows = []
    for index, row in table.iterrows():
        record: dict[str, Any] = {
            **{k: row[k] for k in table.columns},
            "used": False,
            "reason": reasons[index],
            "ensemble": None,
            "step": None,
        }
        record |= dict.fromkeys(SCORE_COLUMNS)
        found = ensembles.get(int(row["line"]))
        if not reasons[index] and found is not None:
            values, source, step = found
            record |= {"used": True, "ensemble": source, "step": step}
            record |= score(Observation.of(row), values, model)
        rows.append(record)
    out = pd.DataFrame.from_records(rows)
    for column in ("model_median", *BAND_COLUMNS, "crps", "brier", "log_score"):
        out[column] = out[column].astype(float)
    for column in ("in50", "in90"):
        out[column] = out[column].astype("boolean")
    out["replicates"] = out["replicates"].astype("Int64")
    out["step"] = out["step"].astype("Int64")
    return out


def primary(metric: str) -> str:
    """The score a metric is judged by: ``brier`` for binary states, else ``crps``."""
    return "brier" if METRICS[metric].kind == "binary" else "crps"


def add_skill(scores: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """``scores`` with the reference's scores of the same observations (by ``line``), the
    skill ``1 − score / score_ref`` of each one's primary score (CRPS or Brier; positive:
    better than the reference) and the log-score gain ``log_score_ref − log_score`` (nats)."""
    ref = reference.set_index("line")[["crps", "brier", "log_score"]].add_suffix("_ref")
    out = scores.join(ref, on="line")
    skill = []
    for row in out.itertuples(index=False):
        name = primary(row.metric)
        own, base = getattr(row, name), getattr(row, f"{name}_ref")
        skill.append(_skill(own, base))
    out["skill"] = skill
    out["log_score_gain"] = out["log_score_ref"] - out["log_score"]
    return out


def _skill(score: float, reference: float) -> float:
    if not (np.isfinite(score) and np.isfinite(reference)):
        return math.nan
    if reference == 0:
        return 0.0 if score == 0 else -math.inf
    return 1.0 - score / reference


def totals(scores: pd.DataFrame) -> pd.DataFrame:
    """Per metric and for all scored observations (``group`` "all"): how many, mean CRPS
    (per metric only: units differ), mean Brier score, summed log score, coverage of the 50%
    and 90% bands (continuous and count metrics), and with a reference its totals, the skill
    of the summed primary score and the log-score gain."""
    used = scores[scores["used"]]
    groups: list[tuple[str, pd.DataFrame]] = [
        (str(m), g) for m, g in used.groupby("metric", sort=False)
    ]
    groups.append(("all", used))
    with_ref = "log_score_ref" in scores
    rows = []
    for name, g in groups:
        banded = g[g["in50"].notna()]
        row: dict[str, Any] = {
            "group": name,
            "observations": len(g),
            "crps": g["crps"].mean() if name != "all" else math.nan,
            "brier": g["brier"].mean(),
            "log_score": g["log_score"].sum() if len(g) else math.nan,
            "banded": len(banded),
            "covered50": int(banded["in50"].sum()),
            "covered90": int(banded["in90"].sum()),
            "coverage50": banded["in50"].mean() if len(banded) else math.nan,
            "coverage90": banded["in90"].mean() if len(banded) else math.nan,
        }
        if with_ref:
            row["crps_ref"] = g["crps_ref"].mean() if name != "all" else math.nan
            row["brier_ref"] = g["brier_ref"].mean()
            row["log_score_ref"] = g["log_score_ref"].sum() if len(g) else math.nan
            if name != "all":
                key = primary(name)
                row["skill"] = _skill(g[key].sum(), g[f"{key}_ref"].sum())
            else:
                row["skill"] = math.nan
            row["log_score_gain"] = row["log_score_ref"] - row["log_score"]
        rows.append(row)
    return pd.DataFrame.from_records(rows)


def format_scores(scores: pd.DataFrame, totals_table: pd.DataFrame) -> str:
    """The score table for a terminal: one line per scored observation, then the totals
    and the observations left out with their reasons."""
    used = scores[scores["used"]]
    lines = []
    cols = ["date", "metric", "who", "value", "median", "q05", "q95", "in90", "crps", "brier",
            "log_score"]  # fmt: skip
    if "skill" in scores:
        cols.append("skill")
    shown = used.assign(
        date=used["date"].dt.date.astype(str),
        who=[_who(a, t) for a, t in zip(used["actor"], used["target"], strict=True)],
    )[cols]
    lines.append(shown.to_string(index=False, float_format=_fmt, na_rep="-"))
    lines.append("")
    tcols = ["group", "observations", "crps", "brier", "log_score", "coverage50", "coverage90"]
    if "skill" in totals_table:
        tcols += ["skill", "log_score_gain"]
    lines.append(totals_table[tcols].to_string(index=False, float_format=_fmt, na_rep="-"))
    left = scores[~scores["used"]]
    if len(left):
        lines.append("")
        lines.append(f"Not scored ({len(left)}):")
        for row in left.itertuples(index=False):
            reason = row.reason or "no ensemble"
            lines.append(f"  line {row.line}: {row.date.date()} {row.metric}: {reason}")
    return "\n".join(lines)


def _who(actor: Any, target: Any) -> str:
    parts = [str(x) for x in (actor, target) if isinstance(x, str) and x]
    return "->".join(parts)


def _fmt(x: float) -> str:
    return f"{x:.3f}" if abs(x) < 1000 else f"{x:,.0f}"


def missing_metric_reason(metric: str) -> str:
    return f"{metric} is not recorded in these results"


# --------------------------------------------------------------------------- on the figures

OBSERVED_COLUMNS = ("metric", "actor", "target", "date", "value", "low", "high", "filled")


def observed_points(
    table: pd.DataFrame,
    scenario: Scenario,
    *,
    model: ObservationModel | None = None,
    cutoff: dt.date | None = None,
) -> pd.DataFrame:
    """The observations a figure shows, with their 95% intervals from the observation model:
    one row per observation that :func:`selection` keeps, ``low``/``high`` the value ∓ 1.96
    times its sd (7.13, evaluated at the observed value; censored at the metric's bounds; a
    binary state has none), and ``filled`` whether it is dated on or before ``cutoff``
    (every one when there is no cut-off): points a calibration used are drawn filled, the
    others hollow."""
    model = model or ObservationModel()
    reasons = selection(table, scenario, model=model)
    rows = []
    for index, row in table.iterrows():
        if reasons[index] or row["link"] == "complement":
            continue
        obs = Observation.of(row)
        sd = float(model.noise_sd(obs, np.array([obs.value]))[0])
        high = 1.0 if obs.kind in ("share", "binary") else np.inf
        rows.append(
            {
                "metric": str(row["metric"]),
                "actor": row["actor"] if isinstance(row["actor"], str) else None,
                "target": row["target"] if isinstance(row["target"], str) else None,
                "date": pd.Timestamp(row["date"]),
                "value": obs.value,
                "low": float(np.clip(obs.value - 1.959964 * sd, 0.0, high)),
                "high": float(np.clip(obs.value + 1.959964 * sd, 0.0, high)),
                "filled": cutoff is None or row["date"] <= pd.Timestamp(cutoff),
            }
        )
    return pd.DataFrame(rows, columns=list(OBSERVED_COLUMNS))

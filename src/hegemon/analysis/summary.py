"""Per-step summaries of an ensemble: mean and quantiles over replicates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from hegemon.model.metrics import SeriesKey

QUANTILES = {"q05": 0.05, "q25": 0.25, "q50": 0.50, "q75": 0.75, "q95": 0.95}
KEY_COLUMNS = ["scenario", "step", "date", "metric", "actor", "target"]


def dates(start: dt.date, steps: int) -> np.ndarray:
    """The date of every step from 0 to ``steps``, as datetime64[ns]."""
    return np.datetime64(start, "ns") + np.arange(steps + 1) * np.timedelta64(7, "D")


def summarize(
    scenario: str, start: dt.date, series: dict[SeriesKey, np.ndarray]
) -> pd.DataFrame:
    """One row per (step, metric, actor, target): mean, q05, q25, q50, q75, q95."""
    frames = []
    for (metric, actor, target), values in series.items():
        steps = values.shape[0] - 1
        q = np.quantile(values, list(QUANTILES.values()), axis=1)
        frame = {
            "scenario": scenario,
            "step": np.arange(steps + 1),
            "date": dates(start, steps),
            "metric": metric,
            "actor": actor,
            "target": target,
            "mean": values.mean(axis=1),
        }
        frame.update(dict(zip(QUANTILES, q, strict=True)))
        frames.append(pd.DataFrame(frame))
    return categorize(pd.concat(frames, ignore_index=True))


def categorize(frame: pd.DataFrame) -> pd.DataFrame:
    """Store the repeated string columns as categoricals (less memory, faster groupby)."""
    for col in ("scenario", "metric", "actor", "target", "event", "regime"):
        if col in frame and frame[col].dtype == object:
            frame[col] = frame[col].astype("category")
    return frame


def long_timeseries(
    scenario: str, start: dt.date, replicates: np.ndarray, series: dict[SeriesKey, np.ndarray]
) -> pd.DataFrame:
    """Every series in long format: scenario, replicate, step, date, metric, actor, target,
    value."""
    frames = []
    for (metric, actor, target), values in series.items():
        steps, n = values.shape[0] - 1, values.shape[1]
        frames.append(
            pd.DataFrame(
                {
                    "scenario": scenario,
                    "replicate": np.tile(replicates, steps + 1),
                    "step": np.repeat(np.arange(steps + 1), n),
                    "date": np.repeat(dates(start, steps), n),
                    "metric": metric,
                    "actor": actor,
                    "target": target,
                    "value": values.ravel(),
                }
            )
        )
    return categorize(pd.concat(frames, ignore_index=True))

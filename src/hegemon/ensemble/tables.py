"""The tables of the results folder built from arrays: summary, long timeseries, events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from hegemon.model.metrics import SeriesKey
from hegemon.scenario.schema import Scenario

QUANTILES = {"q05": 0.05, "q25": 0.25, "q50": 0.50, "q75": 0.75, "q95": 0.95}
KEY_COLUMNS = ["scenario", "step", "date", "metric", "actor", "target"]


def dates(start: dt.date, steps: int) -> np.ndarray:
    """The date of every step from 0 to ``steps``, as datetime64[ns]."""
    return np.datetime64(start, "ns") + np.arange(steps + 1) * np.timedelta64(7, "D")


def summary_table(
    scenario: str,
    start: dt.date,
    means: dict[SeriesKey, np.ndarray],
    quantiles: dict[SeriesKey, np.ndarray],
) -> pd.DataFrame:
    """One row per (step, metric, actor, target): mean, q05, q25, q50, q75, q95.

    ``means[key]`` has shape (steps + 1,); ``quantiles[key]`` (5, steps + 1).
    """
    keys = list(means)
    steps = means[keys[0]].shape[0] - 1
    block = steps + 1
    columns: dict[str, object] = {
        "scenario": pd.Categorical.from_codes(
            np.zeros(block * len(keys), dtype=np.int8), categories=[scenario]
        ),
        "step": np.tile(np.arange(block), len(keys)),
        "date": np.tile(dates(start, steps), len(keys)),
    }
    _key_columns(columns, keys, block)
    columns["mean"] = np.concatenate([means[k] for k in keys])
    stacked = np.concatenate([quantiles[k] for k in keys], axis=1)
    columns.update(zip(QUANTILES, stacked, strict=True))
    return pd.DataFrame(columns)


def events_table(scenario: Scenario, events: dict[str, np.ndarray]) -> pd.DataFrame:
    """The events of a block of replicates, ordered by replicate and step."""
    step = events["step"].astype(np.int64)
    frame = pd.DataFrame(
        {
            "scenario": scenario.name,
            "replicate": events["replicate"].astype(np.int64),
            "step": step,
            "date": dates(scenario.start, scenario.steps)[step],
            "event": events["event"],
            "actor": events["actor"],
            "target": events["target"],
            "detail": events["detail"],
        }
    )
    return frame.sort_values(["replicate", "step"], kind="stable", ignore_index=True)


def categorize(frame: pd.DataFrame) -> pd.DataFrame:
    """Store the repeated string columns as categoricals (less memory, faster groupby)."""
    for col in ("scenario", "metric", "actor", "target", "event", "regime"):
        if (
            col in frame
            and (frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col].dtype))
            and not isinstance(frame[col].dtype, pd.CategoricalDtype)
        ):
            frame[col] = frame[col].astype("category")
    return frame


def _labels(values: list[str | None]) -> tuple[np.ndarray, list[str]]:
    """A categorical column from per-row labels given once per block (None stays missing)."""
    categories = sorted({v for v in values if v is not None})
    codes = np.array([categories.index(v) if v is not None else -1 for v in values])
    return codes, categories


def _key_columns(columns: dict[str, object], keys: list[SeriesKey], block: int) -> None:
    """Add the metric, actor and target columns: each key repeated over a block of rows."""
    for i, name in enumerate(("metric", "actor", "target")):
        codes, categories = _labels([key[i] for key in keys])
        columns[name] = pd.Categorical.from_codes(np.repeat(codes, block), categories=categories)


TIMESERIES_ROWS = 2**20  # rows per batch of the long timeseries (the writer's row group)


def long_timeseries(
    scenario: str,
    start: dt.date,
    replicates: np.ndarray,
    series: dict[SeriesKey, np.ndarray],
    rows: int = TIMESERIES_ROWS,
) -> Iterator[pa.RecordBatch]:
    """Every series in long format (scenario, replicate, step, date, metric, actor, target,
    value; docs/results.md), in batches of whole series of about ``rows`` rows, built from
    the arrays: the string columns are dictionary-encoded codes (pandas reads them as
    categoricals), nothing is a Python object per row, and only one batch is in memory."""
    keys = list(series)
    first = series[keys[0]]
    steps, n = first.shape[0] - 1, first.shape[1]
    block = (steps + 1) * n
    per_batch = max(1, rows // block)
    labels = [_labels([key[i] for key in keys]) for i in range(3)]
    constant: dict[int, list[pa.Array]] = {}  # replicate, step, date for a batch of g series

    def repeated(g: int) -> list[pa.Array]:
        if g not in constant:
            constant[g] = [
                pa.array(np.tile(replicates.astype(np.int64), (steps + 1) * g)),
                pa.array(np.tile(np.repeat(np.arange(steps + 1, dtype=np.int64), n), g)),
                pa.array(np.tile(np.repeat(dates(start, steps), n), g)),
            ]
        return constant[g]

    for lo in range(0, len(keys), per_batch):
        batch = keys[lo : lo + per_batch]
        g = len(batch)
        name = _dictionary(np.zeros(g * block, dtype=np.int8), [scenario])
        coded = [
            _dictionary(np.repeat(codes[lo : lo + g], block), categories)
            for codes, categories in labels
        ]
        values = pa.array(np.concatenate([series[k].ravel() for k in batch]))
        yield pa.RecordBatch.from_arrays(
            [name, *repeated(g), *coded, values], schema=TIMESERIES_SCHEMA
        )


TIMESERIES_SCHEMA = pa.schema(
    [
        ("scenario", pa.dictionary(pa.int8(), pa.string())),
        ("replicate", pa.int64()),
        ("step", pa.int64()),
        ("date", pa.timestamp("ns")),
        ("metric", pa.dictionary(pa.int8(), pa.string())),
        ("actor", pa.dictionary(pa.int8(), pa.string())),
        ("target", pa.dictionary(pa.int8(), pa.string())),
        ("value", pa.float64()),
    ]
)


def _dictionary(codes: np.ndarray, categories: list[str]) -> pa.DictionaryArray:
    """A dictionary-encoded string column from codes into ``categories`` (-1: missing)."""
    if len(categories) > np.iinfo(np.int8).max:
        raise ValueError(f"{len(categories)} labels do not fit the int8 codes of the schema")
    missing = codes < 0
    indices = pa.array(codes.astype(np.int8), mask=missing if missing.any() else None)
    return pa.DictionaryArray.from_arrays(indices, pa.array(categories, pa.string()))

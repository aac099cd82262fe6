"""Shared fixtures: the baseline scenario and one seeded baseline ensemble per test session.

Figures are drawn with matplotlib's non-interactive Agg backend (set before anything imports
matplotlib, and inherited by the subprocesses that the CLI tests start).
"""

from __future__ import annotations

import os

os.environ["MPLBACKEND"] = "Agg"

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pytest

import hegemon
from hegemon.results import Results
from hegemon.scenario.schema import Scenario

BASELINE_SEED = 20201110
BASELINE_REPLICATES = 400


@pytest.fixture(scope="session", autouse=True)
def _agg_backend() -> Iterator[None]:
    """Keep MPLBACKEND=Agg for the whole session, whatever a test does to the environment."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MPLBACKEND", "Agg")
        yield


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    """The bundled baseline scenario, as loaded by ``hegemon.load_scenario``."""
    return hegemon.load_scenario("baseline")


@pytest.fixture(scope="session")
def baseline_seed() -> int:
    return BASELINE_SEED


@pytest.fixture(scope="session")
def baseline_ensemble(baseline: Scenario) -> Results:
    """400 replicates of the baseline with a fixed seed, every trajectory kept (~3 s)."""
    return hegemon.run(baseline, replicates=BASELINE_REPLICATES, seed=BASELINE_SEED, store="full")


def wide_series(
    timeseries: pd.DataFrame, metric: str, actor: str | None = None, target: str | None = None
) -> np.ndarray:
    """One series of a long ``timeseries`` table as an array (steps + 1, replicates)."""
    rows = timeseries[timeseries["metric"] == metric]
    rows = rows[rows["actor"].isna()] if actor is None else rows[rows["actor"] == actor]
    rows = rows[rows["target"].isna()] if target is None else rows[rows["target"] == target]
    if rows.empty:
        raise KeyError((metric, actor, target))
    table = rows.pivot(index="step", columns="replicate", values="value").sort_index()
    return table.sort_index(axis=1).to_numpy()


def summary_series(
    summary: pd.DataFrame,
    metric: str,
    actor: str | None = None,
    target: str | None = None,
    column: str = "mean",
) -> np.ndarray:
    """One column of the ``summary`` table for one series, ordered by step."""
    rows = summary[summary["metric"] == metric]
    rows = rows[rows["actor"].isna()] if actor is None else rows[rows["actor"] == actor]
    rows = rows[rows["target"].isna()] if target is None else rows[rows["target"] == target]
    if rows.empty:
        raise KeyError((metric, actor, target))
    return rows.sort_values("step")[column].to_numpy()


@pytest.fixture(scope="session")
def wide() -> Callable[..., np.ndarray]:
    """``wide(timeseries, metric, actor, target)``: a series as (steps + 1, replicates)."""
    return wide_series


@pytest.fixture(scope="session")
def summary_of() -> Callable[..., np.ndarray]:
    """``summary_of(summary, metric, actor, target, column)``: a summary column by step."""
    return summary_series

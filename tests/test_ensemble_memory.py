"""Bounded memory: a finished chunk's arrays are freed as soon as its results are dropped.

Agents and the model refer to each other, so a model is freed only when Python's garbage
collector next looks for cycles, which can be many chunks later; a worker that waited for it
held one chunk's trajectories per chunk run (hundreds of MB each at the default chunk size).
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pandas as pd
import pytest

import hegemon
from hegemon.ensemble.limits import SAMPLE_CHUNK_SIZE, SAMPLE_REPLICATES
from hegemon.ensemble.runner import chunks, simulate_block, simulate_chunk
from hegemon.model.model import HegemonModel
from hegemon.model.outcomes import scalar_outcomes
from hegemon.scenario import bundled_names


@pytest.fixture
def no_cycle_collection():
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def test_a_chunks_arrays_are_freed_without_the_cycle_collector(no_cycle_collection):
    scenario = hegemon.load_scenario("baseline", ["horizon_years=0.5", "until=null"])
    chunk = simulate_chunk(scenario, 1, 0, 50)
    arrays = [weakref.ref(a) for a in chunk.series.values()]
    assert arrays and all(a() is not None for a in arrays)
    del chunk
    assert all(a() is None for a in arrays)


@pytest.mark.parametrize(
    ("replicates", "chunk_size", "expected"),
    [
        (1000, 2000, [(0, 1000)]),  # one chunk: as it is
        (2000, 2000, [(0, 2000)]),
        (4500, 2000, [*((i, i + 500) for i in range(0, 4000, 500)), (4000, 4500)]),
        (
            9000,
            2000,
            [
                *((i, i + 500) for i in range(0, 4000, 500)),
                (4000, 6000),
                (6000, 8000),
                (8000, 9000),
            ],
        ),
        (10, 4, [(0, 4), (4, 8), (8, 10)]),  # chunks smaller than the head's: unchanged
    ],
)
def test_a_run_of_several_chunks_simulates_its_quantile_sample_in_smaller_chunks(
    replicates, chunk_size, expected
):
    # the sample's trajectories travel back whole, so its chunks are the memory peak
    blocks = chunks(replicates, chunk_size, head=(SAMPLE_REPLICATES, SAMPLE_CHUNK_SIZE))
    assert list(blocks) == expected and len(blocks) == len(expected)
    assert blocks[-1] == expected[-1] and blocks[1:3] == expected[1:3]


def test_the_sample_chunks_give_the_results_of_one_chunk(tmp_path):
    scenario = hegemon.load_scenario("baseline", ["horizon_years=0.5", "until=null"])
    one = hegemon.run(scenario, replicates=1200, seed=5, chunk_size=1200, store="full")
    many = hegemon.run(scenario, replicates=1200, seed=5, chunk_size=1000, store="full")
    assert many.manifest["chunk_size"] == 1000
    assert len(list((many.path / "timeseries.parquet").iterdir())) == 3  # 500, 500, 200
    for table in ("summary", "outcomes", "events"):
        pd.testing.assert_frame_equal(getattr(one, table), getattr(many, table), check_exact=True)
    keys = ["metric", "actor", "target", "replicate", "step"]
    series = [r.timeseries.sort_values(keys).reset_index(drop=True) for r in (one, many)]
    pd.testing.assert_frame_equal(*series, check_exact=True)


def test_a_results_table_can_be_read_in_part(tmp_path):
    scenario = hegemon.load_scenario("baseline", ["horizon_years=0.5", "until=null"])
    results = hegemon.run(scenario, replicates=20, seed=5, out=tmp_path / "r")
    part = hegemon.Results(results.path).columns("events", ["replicate", "event"])
    assert list(part.columns) == ["replicate", "event"]
    pd.testing.assert_frame_equal(part, results.events[["replicate", "event"]])
    again = hegemon.Results(results.path)
    again.columns("events", ["step"])
    assert "events" not in again._tables  # nothing kept


def _outcomes_and_bytes(scenario, record: str) -> tuple[dict[str, np.ndarray], int]:
    model = HegemonModel(scenario, replicates=np.arange(40), seed=3, record=record)
    model.run()
    return scalar_outcomes(model), sum(a.nbytes for a in model.recorder.series.values())


@pytest.mark.parametrize(
    ("name", "overrides", "smaller"),
    [
        *((name, [], 5) for name in bundled_names()),
        ("baseline", ["focus.window_weeks=0"], 5),  # the ends are the first and last step
        ("baseline", ["focus.window_weeks=520"], 1.2),  # the final window is the whole run
        ("baseline", ["horizon_years=0.05", "until=null"], 1.2),
    ],
)
def test_a_model_that_records_only_what_its_outcomes_read_has_the_same_outcomes(
    name, overrides, smaller
):
    """The runs of a sample record only what the scalar outcomes read (the whole series of
    some metrics, the first step and the final window of others): the same outcomes, bit for
    bit, in a fraction of the memory."""
    scenario = hegemon.load_scenario(name, overrides)
    full, full_bytes = _outcomes_and_bytes(scenario, "all")
    lean, lean_bytes = _outcomes_and_bytes(scenario, "outcomes")
    assert full.keys() == lean.keys()
    for column, values in full.items():
        assert np.array_equal(values, lean[column], equal_nan=True), column
    assert lean_bytes * smaller < full_bytes


def test_the_runs_of_a_sample_hold_no_series():
    scenario = hegemon.load_scenario("baseline", ["horizon_years=0.5", "until=null"])
    block = simulate_block(scenario, 1, np.arange(10), record="outcomes")
    assert block.series == {} and len(block.outcomes["clashes"]) == 10

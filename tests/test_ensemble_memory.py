"""Bounded memory: a finished chunk's arrays are freed as soon as its results are dropped.

Agents and the model refer to each other, so a model is freed only when Python's garbage
collector next looks for cycles, which can be many chunks later; a worker that waited for it
held one chunk's trajectories per chunk run (hundreds of MB each at the default chunk size).
"""

from __future__ import annotations

import gc
import weakref

import pytest

import hegemon
from hegemon.ensemble.runner import simulate_chunk


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

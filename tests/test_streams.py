"""The counter-based random numbers: fixed values, and batched draws equal to single ones.

Every published figure depends on these numbers, so a change to the hash or to the way
draws are batched must show up here, not silently in the results.
"""

from __future__ import annotations

import numpy as np
import pytest

from hegemon.model.streams import Streams

REPLICATES = np.array([0, 1, 999])


@pytest.fixture
def streams() -> Streams:
    return Streams(2020, REPLICATES)


def test_draws_are_the_published_ones(streams):
    """Values computed by the first release of the generator (seed 2020, week 3)."""
    assert streams.uniform("clash", 3).tolist() == [
        0.08431290116608742,
        0.7992773850326003,
        0.25041862372925133,
    ]
    assert streams.normal("growth:Russia", 3).tolist() == [
        0.709892154362533,
        -1.3288657991074786,
        0.21137851351702117,
    ]


@pytest.mark.parametrize("step", [0, 1, 260, 10**6])
def test_batched_draws_equal_one_call_per_stream(streams, step):
    names = ("clash", "clash_outcome", "growth:Turkey", "honour:csto")
    uniforms = streams.uniforms(names, step)
    normals = streams.normals(names, step)
    assert uniforms.shape == normals.shape == (len(names), len(REPLICATES))
    for i, name in enumerate(names):
        assert np.array_equal(uniforms[i], streams.uniform(name, step))
        assert np.array_equal(normals[i], streams.normal(name, step))
    reordered = streams.uniforms(names[::-1], step)
    assert np.array_equal(reordered, uniforms[::-1])


def test_a_replicates_draws_do_not_depend_on_its_batch(streams):
    alone = Streams(2020, REPLICATES[2:])
    assert streams.uniforms(("clash",), 7)[0, 2] == alone.uniform("clash", 7)[0]
    assert streams.normal("growth:Armenia", 7)[2] == alone.normals(("growth:Armenia",), 7)[0, 0]


def test_uniforms_lie_in_the_open_unit_interval():
    u = Streams(1, np.arange(100_000)).uniform("any", 0)
    assert u.min() > 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.005

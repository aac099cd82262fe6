"""Reproducibility: the same seed gives the same results bit for bit, whatever the chunking,
the number of workers, or the batch a replicate runs in; scenarios share random numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hegemon
from hegemon import load_scenario
from hegemon.model.model import HegemonModel
from hegemon.results import Results

SEED = 4242
N = 30
TABLES = ("summary", "outcomes", "events", "timeseries")


@pytest.fixture(scope="module")
def reference(baseline) -> Results:
    """30 replicates of the baseline in one chunk, in this process."""
    return hegemon.run(baseline, replicates=N, seed=SEED, store="full")


def sorted_timeseries(frame: pd.DataFrame) -> pd.DataFrame:
    """The timeseries in a canonical row order: the part files follow the chunks, so the
    row order (not the rows) depends on the chunk size."""
    keys = ["metric", "actor", "target", "replicate", "step"]
    out = frame.astype({c: str for c in ("scenario", "metric", "actor", "target")})
    return out.sort_values(keys, kind="stable", ignore_index=True)


def assert_same_results(a: Results, b: Results) -> None:
    """Equal tables, every number bit for bit."""
    tables = {name: (getattr(a, name), getattr(b, name)) for name in TABLES}
    tables["timeseries"] = tuple(sorted_timeseries(t) for t in tables["timeseries"])
    for name, (x, y) in tables.items():
        pd.testing.assert_frame_equal(x, y, check_exact=True, obj=name)
        assert x.select_dtypes("number").to_numpy().tobytes() == (
            y.select_dtypes("number").to_numpy().tobytes()
        ), name


def series_bytes(model: HegemonModel) -> dict:
    return {key: values.tobytes() for key, values in model.recorder.series.items()}


def test_same_seed_gives_identical_tables(baseline, reference):
    again = hegemon.run(baseline, replicates=N, seed=SEED, store="full")
    assert_same_results(reference, again)


def test_same_seed_gives_bitwise_equal_arrays(baseline):
    a = HegemonModel(baseline, replicates=12, seed=SEED)
    b = HegemonModel(baseline, replicates=12, seed=SEED)
    a.run()
    b.run()
    assert series_bytes(a) == series_bytes(b)
    for key, values in a.event_rows().items():
        assert np.array_equal(values, b.event_rows()[key]), key


def test_different_seed_gives_different_results(baseline, reference):
    other = hegemon.run(baseline, replicates=N, seed=SEED + 1, store="full")
    for column in ("influence_change__Russia", "trust_change__Armenia__Russia", "clashes"):
        assert not np.array_equal(
            reference.outcomes[column].to_numpy(), other.outcomes[column].to_numpy()
        ), column
    params = [c for c in reference.outcomes if c.startswith("param:")]
    assert params
    for column in params:
        assert not np.array_equal(reference.outcomes[column], other.outcomes[column]), column
    assert not reference.summary["mean"].equals(other.summary["mean"])


@pytest.mark.parametrize("k", [0, 7, 19])
def test_replicate_alone_equals_replicate_in_a_batch(baseline, k):
    batch = HegemonModel(baseline, replicates=20, seed=SEED)
    batch.run()
    alone = HegemonModel(baseline, replicates=[k], seed=SEED)
    alone.run()
    assert set(alone.recorder.series) == set(batch.recorder.series)
    for key, values in alone.recorder.series.items():
        mine = values[:, 0]
        theirs = batch.recorder.series[key][:, k]
        assert mine.tobytes() == theirs.tobytes(), key
    # and the same events, in the same order
    ev_alone = pd.DataFrame(alone.event_rows())
    ev_batch = pd.DataFrame(batch.event_rows())
    ev_batch = ev_batch[ev_batch["replicate"] == k].sort_values("step", kind="stable")
    ev_alone = ev_alone.sort_values("step", kind="stable")
    pd.testing.assert_frame_equal(
        ev_alone.reset_index(drop=True), ev_batch.reset_index(drop=True), check_dtype=False
    )


def test_replicate_ids_not_starting_at_zero(baseline):
    """A chunk of ids 10..14 reproduces columns 10..14 of a batch of 15."""
    batch = HegemonModel(baseline, replicates=15, seed=SEED)
    batch.run()
    chunk = HegemonModel(baseline, replicates=range(10, 15), seed=SEED)
    chunk.run()
    for key, values in chunk.recorder.series.items():
        theirs = np.ascontiguousarray(batch.recorder.series[key][:, 10:])
        assert values.tobytes() == theirs.tobytes(), key


def test_chunk_size_does_not_matter(baseline, reference):
    small = hegemon.run(baseline, replicates=N, seed=SEED, store="full", chunk_size=7)
    large = hegemon.run(baseline, replicates=N, seed=SEED, store="full", chunk_size=50)
    assert_same_results(small, large)
    assert_same_results(small, reference)


def test_workers_do_not_matter(baseline, reference):
    pooled = hegemon.run(baseline, replicates=N, seed=SEED, store="full", workers=2, chunk_size=7)
    assert_same_results(pooled, reference)


def test_common_random_numbers_across_scenarios(baseline):
    """The same replicate draws the same epistemic parameters in two scenarios that differ
    in one parameter, and the same exogenous shocks (GDP paths)."""
    changed = load_scenario("baseline", ["conflict.ally_deterrence=2.5"])
    a = hegemon.run(baseline, replicates=N, seed=SEED, store="full")
    b = hegemon.run(changed, replicates=N, seed=SEED, store="full")
    params_a = {c for c in a.outcomes if c.startswith("param:")}
    params_b = {c for c in b.outcomes if c.startswith("param:")}
    assert params_a == params_b and len(params_a) > 30
    for column in sorted(params_a):
        assert a.outcomes[column].to_numpy().tobytes() == b.outcomes[column].to_numpy().tobytes()
    # GDP follows its own stream: identical paths although the dispute differs
    for actor in ("Russia", "Turkey", "Armenia", "Azerbaijan"):
        gdp_a = a.timeseries.query("metric == 'gdp_busd' and actor == @actor")["value"]
        gdp_b = b.timeseries.query("metric == 'gdp_busd' and actor == @actor")["value"]
        assert gdp_a.to_numpy().tobytes() == gdp_b.to_numpy().tobytes(), actor
    # the change did change something
    assert not a.outcomes["clashes"].equals(b.outcomes["clashes"])


def test_common_random_numbers_when_one_parameter_changes(baseline):
    """Changing Russia's resolve shares every other draw; a new distribution for it maps
    the same uniform numbers (so the replicates keep their order)."""
    fixed = load_scenario("baseline", ["actors.Russia.resolve=0.9"])
    shifted = load_scenario(
        "baseline", ["actors.Russia.resolve={dist: uniform, low: 0.6, high: 0.95}"]
    )
    base = hegemon.run(baseline, replicates=N, seed=SEED, store="summary").outcomes
    fix = hegemon.run(fixed, replicates=N, seed=SEED, store="summary").outcomes
    shift = hegemon.run(shifted, replicates=N, seed=SEED, store="summary").outcomes
    path = "param:actors.Russia.resolve"
    assert path in base and path not in fix and path in shift
    common = sorted({c for c in base if c.startswith("param:")} & set(fix.columns))
    assert len(common) == sum(c.startswith("param:") for c in base) - 1
    for column in common:
        np.testing.assert_array_equal(base[column].to_numpy(), fix[column].to_numpy())
        np.testing.assert_array_equal(base[column].to_numpy(), shift[column].to_numpy())
    # same uniform number u: 0.2 + 0.4 u in the baseline, 0.6 + 0.35 u when shifted
    u_base = (base[path].to_numpy() - 0.2) / 0.4
    u_shift = (shift[path].to_numpy() - 0.6) / 0.35
    np.testing.assert_allclose(u_base, u_shift, rtol=0, atol=1e-12)

"""Benchmark: the engine alone, in one process: replicates per second of the five-year
baseline simulated as one vectorized model (``simulate_chunk``: the model, its recorder and
its outcomes; no tables, no files), and that throughput against one replicate at a time.

Run from the project root (about a minute):

    .venv/bin/python benchmarks/engine.py [--sizes 1 1000 10000] [--repeats 3]

Each size is timed ``--repeats`` times after one warm-up run of a few replicates (so that
imports and first-use caches are not counted); the table gives the median wall time, the
replicates per second and the ratio of that rate to the rate at R = 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from hegemon.ensemble.runner import simulate_chunk
from hegemon.scenario import load_scenario

SEED = 2020


def seconds(replicates: int, repeats: int) -> float:
    """Median wall time of simulating ``replicates`` replicates of the baseline at once."""
    scenario = load_scenario("baseline")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        simulate_chunk(scenario, SEED, 0, replicates)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 1000, 10_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    seconds(10, 1)  # warm-up
    rates = {r: r / seconds(r, args.repeats) for r in args.sizes}
    one = rates.get(1) or 1 / seconds(1, args.repeats)
    load = os.getloadavg()
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"one process; median of {args.repeats}; load average {load[0]:.2f} {load[1]:.2f}"
    )
    print(f"{'replicates':>10} {'seconds':>9} {'replicates/s':>13} {'x one at a time':>16}")
    for r, rate in rates.items():
        print(f"{r:>10,} {r / rate:9.3f} {rate:13,.0f} {rate / one:16.0f}")


if __name__ == "__main__":
    main()

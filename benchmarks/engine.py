"""Benchmark: the engine alone, in one process: replicates per second of the five-year
baseline simulated as one vectorized model (``simulate_chunk``: the model, its recorder and
its outcomes; no tables, no files), and that throughput against one replicate at a time.

Run from the project root (about a minute):

    .venv/bin/python benchmarks/engine.py [--sizes 1 1000 10000] [--repeats 3]

After one warm-up run of a few replicates (so that imports and first-use caches are not
counted), each size is simulated once more than ``--repeats`` times: the first run at a size
is reported on its own (a process's first touch of that much memory, which on a virtual
machine can cost as much as the simulation), and the table gives the median wall time of the
others, the replicates per second and the ratio of that rate to the rate at R = 1.
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


def seconds(replicates: int, repeats: int) -> tuple[float, float]:
    """Wall times of simulating ``replicates`` replicates of the baseline at once: the first
    run at that size, and the median of ``repeats`` runs after it."""
    scenario = load_scenario("baseline")
    times = []
    for _ in range(1 + repeats):
        start = time.perf_counter()
        simulate_chunk(scenario, SEED, 0, replicates)
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 1000, 10_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    seconds(10, 1)  # warm-up
    times = {r: seconds(r, args.repeats) for r in dict.fromkeys([1, *args.sizes])}
    one = 1 / times[1][1]
    load = os.getloadavg()
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"one process; median of {args.repeats} after a first run at each size; "
        f"load average {load[0]:.2f} {load[1]:.2f}"
    )
    head = ("replicates", "first run s", "seconds", "replicates/s", "x one at a time")
    print(f"{head[0]:>10} {head[1]:>11} {head[2]:>9} {head[3]:>13} {head[4]:>16}")
    for r in args.sizes:
        first, median = times[r]
        rate = r / median
        print(f"{r:>10,} {first:11.3f} {median:9.3f} {rate:13,.0f} {rate / one:16.0f}")


if __name__ == "__main__":
    main()

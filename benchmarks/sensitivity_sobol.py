"""Benchmark: a Sobol' analysis of eight parameters of the five-year baseline.

N = 512 with first and total order indices gives N·(D+2) = 5,120 samples; 20 replicates
each make 102,400 runs, evaluated through the vectorized engine on every core:

    .venv/bin/python benchmarks/sensitivity_sobol.py [--n 512] [--replicates 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from hegemon.analysis.sensitivity import sensitivity
from hegemon.ensemble.runner import default_workers
from hegemon.scenario import load_scenario

PARAMETERS = [
    "actors.Russia.resolve",
    "actors.Russia.regional_effort",
    "actors.Turkey.regional_effort",
    "relations.turkish_arms.musd_per_year",
    "relations.peacekeeping.cost_per_troop_week_usd",
    "conflict.clash_rate",
    "conflict.escalation",
    "trust.loss_on_failure",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--replicates", type=int, default=20)
    args = parser.parse_args()
    scenario = load_scenario("baseline")
    workers = default_workers()
    print(f"# {platform.machine()}, {os.cpu_count()} cores; workers {workers}")
    start = time.perf_counter()
    indices, samples = sensitivity(
        scenario,
        "sobol",
        params=PARAMETERS,
        n=args.n,
        replicates=args.replicates,
        seed=1,
        workers=workers,
    )
    elapsed = time.perf_counter() - start
    runs = len(samples) * args.replicates
    print(
        f"{len(samples):,} samples x {args.replicates} replicates = {runs:,} runs "
        f"in {elapsed:.1f} s ({runs / elapsed:,.0f} runs/s)"
    )
    top = indices.groupby("output", sort=False).head(3)
    print(top[["output", "parameter", "S1", "ST", "ST_conf"]].to_string(index=False))


if __name__ == "__main__":
    main()

"""Benchmark: ensemble throughput, mesa.batch_run side by side, peak memory, CLI start-up.

Run from the project root (takes a few minutes on two cores):

    .venv/bin/python benchmarks/ensemble_throughput.py [--quick] [--out benchmarks/results.json]

It measures, in one run on this machine:

1. replicates per second of the five-year baseline through ``hegemon.run`` (vectorized
   chunks on a process pool of all cores, ``store="summary"``) for R = 1 ... 100,000: the
   median of 5 runs up to R = 1,000, of 3 at 10,000, one run at 100,000;
2. the same model run one replicate at a time through ``mesa.batch_run`` (each model object
   is a ``HegemonModel`` with R = 1 and a DataCollector, as a Mesa user would write it), on
   the same number of processes, for R = 1, 100 and 1,000, and the ratio of the two
   throughputs: at R up to 1,000 against ``batch_run`` at the same R, above that against
   ``batch_run`` at 1,000 (its rate no longer grows with R: each replicate is a model);
3. the peak memory (proportional set size of the process and its workers, summed) of
   ``hegemon run -r 100000 --store summary``;
4. the wall time of ``hegemon --help``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import mesa
import numpy as np

from hegemon.api import run
from hegemon.ensemble.runner import default_workers
from hegemon.model.model import HegemonModel
from hegemon.scenario import load_scenario

SEED = 2020
HEGEMON = str(Path(sys.executable).with_name("hegemon"))


class OneReplicate(HegemonModel):
    """The baseline model run the classic Mesa way: one replicate per model object."""

    def __init__(self, replicate: int = 0, rng: int | None = None):
        super().__init__(load_scenario("baseline"), replicates=[replicate], seed=SEED)
        self.running = True
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "influence_russia": "influence_russia",
                "ceasefire": "ceasefire",
            }
        )

    @property
    def influence_russia(self) -> float:
        return float(self.actor("Russia").influence[0])

    @property
    def ceasefire(self) -> float:
        return float(self.dispute.ceasefire[0]) if self.dispute is not None else 1.0

    def step(self) -> None:
        super().step()
        self.datacollector.collect(self)
        self.running = self.week < self.horizon


def time_hegemon(replicates: int, workers: int, repeats: int = 1) -> float:
    """Median wall time of ``repeats`` runs of the baseline."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        results = run("baseline", replicates, SEED, store="summary", workers=workers)
        times.append(time.perf_counter() - start)
        assert len(results.outcomes) == replicates
        del results  # its temporary folder goes now, not during the next run
    return statistics.median(times)


def time_batch_run(replicates: int, workers: int) -> float:
    from mesa.batchrunner import batch_run  # sets the spawn start method: import it late

    start = time.perf_counter()
    rows = batch_run(
        OneReplicate,
        parameters={"replicate": list(range(replicates))},
        number_processes=workers,
        rng=[None],
        data_collection_period=-1,
        max_steps=10_000,
        display_progress=False,
    )
    elapsed = time.perf_counter() - start
    assert len(rows) == replicates
    return elapsed


def peak_memory_mib(args: list[str]) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak memory of it and all its descendants in MiB,
    as the sum of their proportional set sizes, so that shared pages count once)."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    done = threading.Event()

    def tree_rss() -> int:
        total = 0
        pids = [proc.pid]
        seen = set()
        while pids:
            pid = pids.pop()
            if pid in seen:
                continue
            seen.add(pid)
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            for line in rollup.splitlines():
                if line.startswith("Pss:"):  # shared pages counted once across processes
                    total += int(line.split()[1])
            pids.extend(int(c) for c in children)
        return total

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss())
            time.sleep(0.1)

    watcher = threading.Thread(target=poll)
    start = time.perf_counter()
    watcher.start()
    code = proc.wait()
    elapsed = time.perf_counter() - start
    done.set()
    watcher.join()
    if code != 0:
        raise RuntimeError(f"{args} exited with {code}")
    return elapsed, peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    workers = default_workers()
    sizes = [1, 100, 1000] if args.quick else [1, 100, 1000, 10_000, 100_000]
    batch_sizes = [1, 20] if args.quick else [1, 100, 1000]
    report: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": np.__version__,
        "workers": workers,
    }
    print(f"# {report['machine']}; Python {report['python']}; Mesa {report['mesa']}")
    time_hegemon(10, 1)  # warm imports and caches

    print("\n## hegemon.run (vectorized chunks, store='summary')")
    vectorized = {}
    for r in sizes:
        elapsed = time_hegemon(r, workers, repeats=5 if r <= 1000 else 3 if r <= 10_000 else 1)
        vectorized[r] = r / elapsed
        print(f"R = {r:>7,}: {elapsed:8.2f} s  {r / elapsed:10,.0f} replicates/s")
    report["hegemon_replicates_per_s"] = vectorized

    print("\n## mesa.batch_run (one replicate per model)")
    batch = {}
    for r in batch_sizes:
        elapsed = time_batch_run(r, workers)
        batch[r] = r / elapsed
        print(f"R = {r:>7,}: {elapsed:8.2f} s  {r / elapsed:10,.1f} replicates/s")
    report["batch_run_replicates_per_s"] = batch
    ratios = {r: v / batch[max(b for b in batch if b <= r)] for r, v in vectorized.items()}
    report["speedup_vs_batch_run"] = ratios
    print("\n## throughput ratio, hegemon / batch_run")
    for r, ratio in ratios.items():
        print(f"R = {r:>7,}: {ratio:10,.1f}x")

    big = 10_000 if args.quick else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        elapsed, mib = peak_memory_mib(
            [
                HEGEMON,
                "run",
                "-r",
                str(big),
                "--store",
                "summary",
                "--seed",
                str(SEED),
                "-o",
                f"{tmp}/big",
                "-q",
                "--no-figures",
            ]
        )
    report["peak_memory"] = {"replicates": big, "seconds": elapsed, "peak_pss_mib": mib}
    print(f"\n## hegemon run -r {big:,} --store summary: {elapsed:.1f} s, peak {mib:,.0f} MiB")

    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([HEGEMON, "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    report["help_seconds_median"] = statistics.median(times)
    print(f"\n## hegemon --help: median {statistics.median(times) * 1000:.0f} ms over 5 runs")

    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()

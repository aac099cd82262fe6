"""Benchmark: the wait a user feels, whole commands side by side with the start-up they need.

Run from the project root (takes several minutes on two cores):

    .venv/bin/python benchmarks/commands.py [--repeats 5] [--quick] [--against DIR]
        [--out benchmarks/commands.json]

Every command is a fresh process (``python -m hegemon ...``), timed from outside from its
start to its exit, ``--repeats`` times in turn (A B C ... A B C ...), so that a drift of the
machine's speed touches every command alike; the table gives the median and the ratio of the
median to the start-up reference, the median wall time of

- ``python -c "import hegemon, mesa, pandas, matplotlib.pyplot, pyarrow.parquet"``: what a run
  needs before it does anything (the reference), and ``import mesa`` alone;
- ``hegemon --help`` (what the CLI adds to Python's start-up);
- ``hegemon run -r 1000 --seed 1`` at its defaults (full store, figures), with
  ``--no-figures``, and with ``--store summary --no-figures``;
- ``hegemon plot`` of the folder of the first;
- ``hegemon compare`` of the five README scenarios at 1,000 replicates;

and, once each, the peak memory (proportional set size summed over the process and its
workers, sampled from ``/proc/<pid>/smaps_rollup`` every 50 ms) of
``hegemon run -r 100000 --store summary`` and ``hegemon run -r 10000`` (full store).
``--against DIR`` runs every command a second time, in turn with the first, from the source
tree ``DIR`` (for example ``git worktree add DIR main``: its ``src`` goes first on
``PYTHONPATH``), so that before and after are measured side by side under the same load.
The figures are written as JSON to ``--out`` (default: ``benchmarks/commands.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PYTHON = sys.executable
HEGEMON = [PYTHON, "-m", "hegemon"]
REFERENCE = "import hegemon, mesa, pandas, matplotlib.pyplot, pyarrow.parquet"
REFERENCE_NAME = "reference: import hegemon, mesa, pandas, matplotlib, pyarrow"
SCENARIOS = [
    "baseline",
    "no_peacekeepers",
    "russia_assertive",
    "turkey_restrained",
    "russia_overstretched",
]


def _pss_kib(root: int) -> int:
    """Proportional set size of ``root`` and all its descendants, summed (KiB): shared pages
    count once across the processes."""
    total, pids, seen = 0, [root], set()
    while pids:
        pid = pids.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
        for task in tasks:
            try:
                pids += [
                    int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()
                ]
            except OSError:
                continue
    return total


def measure(
    args: list[str], *, memory: bool = False, source: Path | None = None
) -> tuple[float, float | None]:
    """Run ``args`` to its end (with ``source``'s ``src`` first on the path); return its wall
    seconds and, with ``memory``, the peak of its process tree's summed PSS in MiB."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(source / "src"), env.get("PYTHONPATH", "")])
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak, done = 0, threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _pss_kib(proc.pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=poll) if memory else None
    if watcher:
        watcher.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    if watcher:
        watcher.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited with {proc.returncode}: {err.decode()[-500:]}")
    return elapsed, (peak / 1024 if memory else None)


def whole_commands(folder: Path, replicates: int) -> dict[str, list[str]]:
    """The commands to time, by name, writing their results under ``folder``."""
    r = ["-r", str(replicates), "--seed", "1", "-q", "--force"]
    return {
        REFERENCE_NAME: [PYTHON, "-c", REFERENCE],
        "import mesa": [PYTHON, "-c", "import mesa"],
        "hegemon --help": [*HEGEMON, "--help"],
        f"run -r {replicates}": [*HEGEMON, "run", *r, "-o", str(folder / "run")],
        f"run -r {replicates} --no-figures": [
            *HEGEMON, "run", *r, "--no-figures", "-o", str(folder / "nofig"),
        ],
        f"run -r {replicates} --store summary --no-figures": [
            *HEGEMON, "run", *r, "--store", "summary", "--no-figures",
            "-o", str(folder / "summary"),
        ],
        "plot (the folder of run)": [*HEGEMON, "plot", str(folder / "run")],
        f"compare 5 scenarios -r {replicates}": [
            *HEGEMON, "compare", *SCENARIOS, *r, "-o", str(folder / "compare"),
        ],
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each command")
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/commands.json"))
    parser.add_argument("--against", type=Path, help="a source tree to measure side by side")
    args = parser.parse_args()
    sources: dict[str, Path | None] = {"this tree": None}
    if args.against:
        sources["against"] = args.against.resolve()
    replicates = 100 if args.quick else 1000
    tmp = Path(tempfile.mkdtemp(prefix="hegemon-bench-"))
    for tree in sources:
        (tmp / tree).mkdir()
    commands = {tree: whole_commands(tmp / tree, replicates) for tree in sources}
    names = list(commands["this tree"])
    times: dict[tuple[str, str], list[float]] = {(t, n): [] for t in sources for n in names}
    peaks = {}
    try:
        measure(commands["this tree"][REFERENCE_NAME])  # warm the file cache
        for i in range(args.repeats):
            for name in names:
                for tree, source in sources.items():
                    times[tree, name].append(measure(commands[tree][name], source=source)[0])
            print(f"round {i + 1} of {args.repeats} done", file=sys.stderr)
        big, full = (10_000, 1000) if args.quick else (100_000, 10_000)
        memory = {
            f"run -r {big} --store summary": ["run", "-r", str(big), "--store", "summary"],
            f"run -r {full}": ["run", "-r", str(full)],
        }
        for name, words in memory.items():
            for tree, source in sources.items():
                command = [*HEGEMON, *words, "-q", "--force", "-o", str(tmp / tree / "big")]
                seconds, mib = measure(command, memory=True, source=source)
                peaks[tree, name] = {"seconds": seconds, "peak_pss_mib": mib}
                shutil.rmtree(tmp / tree / "big", ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    medians = {key: statistics.median(t) for key, t in times.items()}
    reference = {tree: medians[tree, REFERENCE_NAME] for tree in sources}
    load = os.getloadavg()
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"{platform.system()} {platform.release()}; load average at the end "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"# {machine}; Python {platform.python_version()}; median of {args.repeats} runs")
    for tree in sources:
        print(f"\n## {tree}" + (f" ({sources[tree]})" if sources[tree] else ""))
        print(f"{'command':<62} {'median s':>9} {'min':>7} {'max':>7} {'x ref':>7}")
        for name in names:
            t = times[tree, name]
            m = medians[tree, name]
            print(f"{name:<62} {m:9.2f} {min(t):7.2f} {max(t):7.2f} {m / reference[tree]:7.2f}")
        print(f"{'peak memory (PSS, summed over processes)':<62} {'MiB':>9} {'s':>7}")
        for (where, name), peak in peaks.items():
            if where == tree:
                print(f"{name:<62} {peak['peak_pss_mib']:9,.0f} {peak['seconds']:7.1f}")
    report = {
        "machine": machine,
        "python": platform.python_version(),
        "repeats": args.repeats,
        "replicates": replicates,
        "sources": {tree: str(source) if source else "." for tree, source in sources.items()},
        "seconds": {tree: {n: times[tree, n] for n in names} for tree in sources},
        "median_seconds": {tree: {n: medians[tree, n] for n in names} for tree in sources},
        "ratio_to_reference": {
            tree: {n: medians[tree, n] / reference[tree] for n in names} for tree in sources
        },
        "peak_memory": {
            tree: {n: p for (where, n), p in peaks.items() if where == tree} for tree in sources
        },
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{args.out}")


if __name__ == "__main__":
    main()

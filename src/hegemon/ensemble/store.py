"""Stream an ensemble to a results folder, chunk by chunk, with bounded memory and resume.

While a run is in progress its folder holds ``_work/progress.json`` (what is being run and
which chunks are done), one part file per finished chunk for each table, and per chunk the
exact partial sums and the quantile sample of the summary. A chunk is done once its outcomes
part exists (after its sums); parts are written to a temporary name and renamed, so a killed
run leaves only whole parts, and a resumed run computes only the missing chunks. A run of one
chunk keeps all of it but its timeseries part in memory (resuming it runs the chunk again).
Finishing merges the parts into the tables of the results folder (docs/results.md) and
removes ``_work``.

The summary is the same whatever the chunking:

- ``mean`` is an exact, order-independent sum: each value is split into two fixed-point
  integers (a resolution of 2**-52 absolute), integer sums do not depend on the order of
  addition, and the mean is rounded once at the end.
- quantiles are exact (linear interpolation between order statistics, as
  ``numpy.quantile``) up to
  ``SAMPLE_REPLICATES`` replicates; above that they are estimated from the first
  ``SAMPLE_REPLICATES`` replicates, which are a simple random sample of the ensemble because
  replicates are independent and identically distributed.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hegemon.ensemble.limits import SAMPLE_REPLICATES
from hegemon.ensemble.runner import Ensemble, default_workers, simulate_chunk
from hegemon.ensemble.tables import (
    QUANTILES,
    categorize,
    events_table,
    long_timeseries,
    summary_table,
)
from hegemon.errors import HegemonError
from hegemon.model.metrics import SeriesKey
from hegemon.scenario.schema import Scenario

WORK = "_work"
_HI = 2.0**12  # fixed-point scale of the high part
_LO = 2.0**40  # fixed-point scale of the low part (of the remainder)
_BLOCK_ELEMENTS = 2**15  # values per block of fixed_point_sum (256 KiB of float64)

OutcomeHook = Callable[[pd.DataFrame], pd.DataFrame]


def fixed_point_sum(values: np.ndarray) -> np.ndarray:
    """Exact sums over axis 1 as int64 pairs (high, low), shape (2, rows): each value is
    split into whole multiples of 2**-12 and of 2**-52 (truncated below that). Rows are
    taken a block at a time so that the temporaries stay in cache."""
    rows, columns = values.shape
    out = np.empty((2, rows), dtype=np.int64)
    block = max(1, _BLOCK_ELEMENTS // max(columns, 1))
    for r in range(0, rows, block):
        scaled = values[r : r + block] * _HI
        hi = scaled.astype(np.int64)  # truncation: the remainder keeps the sign of the value
        np.subtract(scaled, hi, out=scaled)
        scaled *= _LO
        out[0, r : r + block] = hi.sum(axis=1)
        out[1, r : r + block] = scaled.astype(np.int64).sum(axis=1)
    return out


def quantiles_by_row(values: np.ndarray, qs: list[float]) -> np.ndarray:
    """Quantiles of each row, shape (len(qs), rows): linear interpolation between order
    statistics, numpy's default definition, from one sort instead of one selection per
    quantile."""
    ordered = np.sort(values, axis=1)
    n = values.shape[1]
    position = np.asarray(qs) * (n - 1)
    lo = np.floor(position).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    t = position - lo
    a, b = ordered[:, lo], ordered[:, hi]
    diff = b - a
    # numpy's lerp: exact at both ends of the interval
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t).T


def fixed_point_mean(sums: np.ndarray, n: int) -> np.ndarray:
    hi, lo = sums
    return (hi.astype(np.float64) + lo.astype(np.float64) / _LO) / _HI / n


def _part(index: int) -> str:
    return f"part-{index:05d}"


def _key_name(key: SeriesKey) -> str:
    return "|".join("" if k is None else k for k in key)


def _key_from(name: str) -> SeriesKey:
    metric, actor, target = name.split("|")
    return metric, actor or None, target or None


class EnsembleStore:
    """A results folder being written; ``run`` describes the run for resume checks."""

    def __init__(self, folder: Path, run: dict[str, Any], scenario: Scenario, *, resume: bool):
        self.folder = folder
        self.work = folder / WORK
        self.run = run
        self.scenario = scenario
        self._kept: dict[tuple[str, str], dict[str, np.ndarray]] = {}
        self._chunks = -(-run["replicates"] // run["chunk_size"])
        self._added: set[int] = set()
        self._tables: dict[tuple[str, str], pd.DataFrame] = {}  # a run of one chunk's tables
        progress = self.work / "progress.json"
        if resume:
            if folder.is_symlink() or self.work.is_symlink():
                raise HegemonError(f"{folder}: is a symbolic link; refusing to resume through it")
            if not progress.is_file():
                raise HegemonError(f"{folder}: no interrupted run to resume here")
            saved = json.loads(progress.read_text())
            changed = [k for k in run if saved.get(k) != run[k]]
            if changed:
                raise HegemonError(
                    f"{folder}: the interrupted run differs in {', '.join(changed)}; "
                    "resume with the same scenario and options, or start afresh"
                )
        else:
            if folder.exists():
                raise HegemonError(f"{folder}: already exists")
            for sub in ("outcomes", "events", "sums", "sample", "timeseries"):
                (self.work / sub).mkdir(parents=True)
            _write_atomic(progress, json.dumps(run, indent=2).encode())

    def done(self) -> set[int]:
        """Indices of the chunks that are kept: added in this session, or on disk with their
        outcomes part (written last) and their sums."""
        return self.chunks_on_disk(self.folder) | self._added

    @staticmethod
    def chunks_on_disk(folder: Path) -> set[int]:
        """Indices of the chunks an unfinished run in ``folder`` has kept on disk."""
        work = folder / WORK
        marked = {int(p.stem.split("-")[1]) for p in (work / "outcomes").glob("part-*.parquet")}
        return {i for i in marked if (work / "sums" / f"{_part(i)}.npz").is_file()}

    def add(self, index: int, products: ChunkProducts) -> None:
        """Keep one finished chunk: on disk, its outcomes part last as the mark that it is
        done; a run of one chunk keeps all but its timeseries in memory (resuming it would
        run the chunk again: there is nothing to save by writing it twice)."""
        name = _part(index)
        self._kept["sums", name] = products.sums
        self._kept["sample", name] = products.sample
        if products.timeseries is not None:
            (self.work / "timeseries").mkdir(exist_ok=True)  # moved away by an earlier finish
            _write_parquet(self.work / "timeseries" / f"{name}.parquet", products.timeseries)
        if self._chunks == 1:
            self._tables["events", name] = products.events
            self._tables["outcomes", name] = products.outcomes
        else:
            _write_npz(self.work / "sums" / f"{name}.npz", products.sums)
            if products.sample:
                _write_npz(self.work / "sample" / f"{name}.npz", products.sample)
            _write_parquet(self.work / "events" / f"{name}.parquet", products.events)
            _write_parquet(self.work / "outcomes" / f"{name}.parquet", products.outcomes)
        self._added.add(index)

    def finish(self, chunks: int) -> None:
        """Merge the parts into the results tables; the work folder stays until
        :meth:`close`, so a failure after this point can still be resumed."""
        missing = sorted(set(range(chunks)) - self.done())
        if missing:
            raise HegemonError(f"{self.folder}: chunks {missing[:5]} are missing")
        parts = [_part(i) for i in range(chunks)]
        self._summary(parts)
        for table in ("events", "outcomes"):
            _merge_parts(
                [self._tables.get((table, p), self.work / table / f"{p}.parquet") for p in parts],
                self.folder / f"{table}.parquet",
            )
        parts_dir = self.work / "timeseries"
        if self.run["store"] == "full" and parts_dir.is_dir():  # moved already if resumed
            merged = self.folder / "timeseries.parquet"
            if merged.is_symlink():
                merged.unlink()
            elif merged.exists():
                shutil.rmtree(merged)
            os.replace(parts_dir, merged)

    def close(self) -> None:
        """Remove the work folder once the results folder is complete."""
        shutil.rmtree(self.work)

    def write_text(self, name: str, text: str) -> None:
        """Write a file of the results folder atomically (never through a planted link)."""
        _write_atomic(self.folder / name, text.encode("utf-8"))

    def _load(self, kind: str, part: str) -> dict[str, np.ndarray]:
        """A chunk's sums or sample: from memory if added in this session, else from disk."""
        kept = self._kept.get((kind, part))
        if kept is not None:
            return kept
        file = self.work / kind / f"{part}.npz"
        if not file.exists():
            return {}
        with np.load(file) as data:
            return {k: data[k] for k in data.files}

    def _summary(self, parts: list[str]) -> None:
        total: dict[str, np.ndarray] = {}
        for p in parts:
            for k, v in self._load("sums", p).items():
                total[k] = total[k] + v if k in total else v
        samples: dict[str, list[np.ndarray]] = {k: [] for k in total}
        for p in parts:
            for k, v in self._load("sample", p).items():
                samples[k].append(v)
        n = self.run["replicates"]
        qs = list(QUANTILES.values())
        means = {_key_from(k): fixed_point_mean(v, n) for k, v in total.items()}

        def quantiles_of(parts: list[np.ndarray]) -> np.ndarray:
            return quantiles_by_row(parts[0] if len(parts) == 1 else np.concatenate(parts, 1), qs)

        with ThreadPoolExecutor(default_workers()) as threads:  # numpy sorts outside the GIL
            found = threads.map(quantiles_of, samples.values())
            quantiles = dict(zip(map(_key_from, samples), found, strict=True))
        s = self.scenario
        _write_parquet(
            self.folder / "summary.parquet", summary_table(s.name, s.start, means, quantiles)
        )


@dataclass
class ChunkProducts:
    """What the results folder keeps of one chunk: small, except a full timeseries."""

    timeseries: pd.DataFrame | None
    sums: dict[str, np.ndarray]
    sample: dict[str, np.ndarray]
    events: pd.DataFrame
    outcomes: pd.DataFrame


def reduce_chunk(chunk: Ensemble, store: str, hook: OutcomeHook) -> ChunkProducts:
    """Turn a chunk's arrays into its tables, exact sums and quantile sample."""
    s = chunk.scenario
    # replicates come in ascending order: the sample is a leading block of columns (a view)
    keep = int(np.count_nonzero(chunk.replicates < SAMPLE_REPLICATES))
    # the sums on a second thread while this one builds the tables (one more thread only:
    # on a process pool every core already runs a chunk)
    with ThreadPoolExecutor(1) as second:
        sums = second.map(fixed_point_sum, chunk.series.values())
        outcomes = pd.DataFrame({"scenario": s.name, "replicate": chunk.replicates})
        outcomes = categorize(hook(pd.concat([outcomes, pd.DataFrame(chunk.outcomes)], axis=1)))
        events = events_table(s, chunk.events)
        timeseries = (
            long_timeseries(s.name, s.start, chunk.replicates, chunk.series)
            if store == "full"
            else None
        )
        return ChunkProducts(
            timeseries=timeseries,
            sums=dict(zip(map(_key_name, chunk.series), sums, strict=True)),
            sample={_key_name(k): v[:, :keep] for k, v in chunk.series.items()} if keep else {},
            events=events,
            outcomes=outcomes,
        )


def simulate_and_reduce(
    scenario: Scenario, seed: int, start: int, stop: int, store: str, hook: OutcomeHook
) -> ChunkProducts:
    """The work of one chunk on a worker: simulate, then reduce before sending back."""
    return reduce_chunk(simulate_chunk(scenario, seed, start, stop), store, hook)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(f".{path.stem}.tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def _merge_parts(parts: list[Path | pd.DataFrame], out: Path) -> None:
    """Concatenate parts (files, or frames kept in memory) into one Parquet file, one part in
    memory at a time."""
    tmp = out.with_name(f".{out.name}.tmp")
    schema = _unified_schema(parts)
    with pq.ParquetWriter(tmp, schema) as writer:
        for part in parts:
            table = (
                pa.Table.from_pandas(part, preserve_index=False)
                if isinstance(part, pd.DataFrame)
                else pq.read_table(part)
            )
            writer.write_table(_cast(table, schema))
    os.replace(tmp, out)


def _unified_schema(parts: list[Path | pd.DataFrame]) -> pa.Schema:
    """A schema every part can be cast to: dictionary columns as plain strings (categories
    differ from part to part) and null-typed columns widened to the type other parts have."""
    fields: dict[str, pa.DataType] = {}
    order: list[str] = []
    for part in parts:
        schema = (
            pa.Schema.from_pandas(part, preserve_index=False)
            if isinstance(part, pd.DataFrame)
            else pq.read_schema(part)
        )
        for f in schema:
            t = pa.string() if pa.types.is_dictionary(f.type) else f.type
            if f.name not in fields:
                order.append(f.name)
                fields[f.name] = t
            elif pa.types.is_null(fields[f.name]):
                fields[f.name] = t
    return pa.schema([(name, fields[name]) for name in order])


def _cast(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = []
    for f in schema:
        if f.name in table.column_names:
            col = table.column(f.name)
            if pa.types.is_dictionary(col.type):
                col = col.cast(pa.string())
            columns.append(col.cast(f.type))
        else:
            columns.append(pa.nulls(len(table), f.type))
    return pa.Table.from_arrays(columns, schema=schema)

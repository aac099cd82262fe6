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
- quantiles are exact (``numpy.quantile``, linear interpolation between order statistics)
  up to ``SAMPLE_REPLICATES`` replicates; above that they are estimated from the first
  ``SAMPLE_REPLICATES`` replicates, which are a simple random sample of the ensemble because
  replicates are independent and identically distributed.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
        self._writer: ThreadPoolExecutor | None = None  # a run of one chunk's timeseries
        self._writing: Future[None] | None = None
        progress = self.work / "progress.json"
        if resume:
            check_resume(folder, run, "run")
        else:
            if folder.exists():
                raise HegemonError(f"{folder}: already exists")
            for sub in ("outcomes", "events", "sums", "sample", "timeseries"):
                (self.work / sub).mkdir(parents=True)
            write_atomic(progress, json.dumps(run, indent=2).encode())

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
        run the chunk again: there is nothing to save by writing it twice) and writes its
        timeseries on a thread meanwhile (pyarrow writes without the interpreter lock), so
        that the writing overlaps the tables and the figures; :meth:`finish_timeseries`
        waits for it."""
        name = _part(index)
        if products.timeseries is not None:
            (self.work / "timeseries").mkdir(exist_ok=True)  # moved away by an earlier finish
            s = self.scenario
            batches = long_timeseries(s.name, s.start, products.replicates, products.timeseries)
            path = self.work / "timeseries" / f"{name}.parquet"
            if self._chunks == 1:
                self._writer = ThreadPoolExecutor(1, thread_name_prefix="hegemon-timeseries")
                self._writing = self._writer.submit(_write_batches, path, batches)
            else:  # one chunk's trajectories in memory at a time
                _write_batches(path, batches)
        if self._chunks == 1:
            self._kept["sums", name] = products.sums
            self._kept["sample", name] = products.sample
            self._tables["events", name] = products.events
            self._tables["outcomes", name] = products.outcomes
        else:  # on disk only: the summary reads the sample back one series at a time
            _write_npz(self.work / "sums" / f"{name}.npz", products.sums)
            if products.sample:
                _write_npz(self.work / "sample" / f"{name}.npz", products.sample)
            write_parquet(self.work / "events" / f"{name}.parquet", products.events)
            write_parquet(self.work / "outcomes" / f"{name}.parquet", products.outcomes)
        self._added.add(index)

    def finish(self, chunks: int) -> None:
        """Merge the parts into the summary, events and outcomes tables; the work folder
        stays until :meth:`close`, so a failure after this point can still be resumed. The
        timeseries follows with :meth:`finish_timeseries`."""
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

    def finish_timeseries(self) -> None:
        """Wait for the timeseries being written (raising its error, if any), then move its
        parts into place as ``timeseries.parquet``."""
        if self._writing is not None:
            try:
                self._writing.result()
            finally:
                self.stop_writing()
        parts_dir = self.work / "timeseries"
        if self.run["store"] == "full" and parts_dir.is_dir():  # moved already if resumed
            merged = self.folder / "timeseries.parquet"
            if merged.is_symlink():
                merged.unlink()
            elif merged.exists():
                shutil.rmtree(merged)
            os.replace(parts_dir, merged)

    def stop_writing(self) -> None:
        """Wait for the timeseries being written, if any, and end its thread, quietly (for
        a run that stops with an error: nothing writes into the folder once it is
        removed)."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = self._writing = None

    def close(self) -> None:
        """Remove the work folder once the results folder is complete."""
        shutil.rmtree(self.work)

    def write_text(self, name: str, text: str) -> None:
        """Write a file of the results folder atomically (never through a planted link)."""
        write_atomic(self.folder / name, text.encode("utf-8"))

    def _load(self, kind: str, part: str, key: str | None = None) -> dict[str, np.ndarray]:
        """A chunk's sums or sample (only series ``key`` when given): from memory if kept in
        this session (a run of one chunk), else from disk."""
        kept = self._kept.get((kind, part))
        if kept is not None:
            return kept if key is None else {k: kept[k] for k in (key,) if k in kept}
        file = self.work / kind / f"{part}.npz"
        if not file.exists():
            return {}
        with np.load(file) as data:
            return {k: data[k] for k in data.files if key is None or k == key}

    def _summary(self, parts: list[str]) -> None:
        total: dict[str, np.ndarray] = {}
        for p in parts:
            for k, v in self._load("sums", p).items():
                total[k] = total[k] + v if k in total else v
        n = self.run["replicates"]
        qs = list(QUANTILES.values())
        means = {_key_from(k): fixed_point_mean(v, n) for k, v in total.items()}

        def quantiles_of(key: str) -> np.ndarray:
            # one series of the sample at a time, shape (5, steps + 1). A NaN would make its
            # row all NaN (the exact mean would be meaningless too): the series hold none,
            # which test_fuzz_loader checks
            found = [v for p in parts for v in self._load("sample", p, key).values()]
            values = found[0] if len(found) == 1 else np.concatenate(found, 1)
            return np.quantile(values, qs, axis=1, method="linear")

        with ThreadPoolExecutor(default_workers()) as threads:  # numpy partitions outside the GIL
            found = threads.map(quantiles_of, total)
            quantiles = dict(zip(map(_key_from, total), found, strict=True))
        s = self.scenario
        write_parquet(
            self.folder / "summary.parquet", summary_table(s.name, s.start, means, quantiles)
        )


@dataclass
class ChunkProducts:
    """What the results folder keeps of one chunk: small, except a full timeseries, which
    stays the recorder's arrays (a fifth of the long table's size) until it is written."""

    replicates: np.ndarray
    timeseries: dict[SeriesKey, np.ndarray] | None
    sums: dict[str, np.ndarray]
    sample: dict[str, np.ndarray]
    events: pd.DataFrame
    outcomes: pd.DataFrame


def reduce_chunk(chunk: Ensemble, store: str, hook: OutcomeHook) -> ChunkProducts:
    """Turn a chunk's arrays into its tables, exact sums and quantile sample."""
    s = chunk.scenario
    # replicates come in ascending order: the sample is a leading block of columns (a view,
    # or the array itself when it is all of it, so that pickling sends it once)
    keep = int(np.count_nonzero(chunk.replicates < SAMPLE_REPLICATES))
    whole = keep == len(chunk.replicates)
    # the sums on a second thread while this one builds the tables (one more thread only:
    # on a process pool every core already runs a chunk)
    with ThreadPoolExecutor(1) as second:
        sums = second.map(fixed_point_sum, chunk.series.values())
        outcomes = pd.DataFrame({"scenario": s.name, "replicate": chunk.replicates})
        outcomes = categorize(hook(pd.concat([outcomes, pd.DataFrame(chunk.outcomes)], axis=1)))
        events = events_table(s, chunk.events)
        return ChunkProducts(
            replicates=chunk.replicates,
            timeseries=chunk.series if store == "full" else None,
            sums=dict(zip(map(_key_name, chunk.series), sums, strict=True)),
            sample={_key_name(k): v if whole else v[:, :keep] for k, v in chunk.series.items()}
            if keep
            else {},
            events=events,
            outcomes=outcomes,
        )


def simulate_and_reduce(
    scenario: Scenario, seed: int, start: int, stop: int, store: str, hook: OutcomeHook
) -> ChunkProducts:
    """The work of one chunk on a worker: simulate, then reduce before sending back."""
    return reduce_chunk(simulate_chunk(scenario, seed, start, stop), store, hook)


def check_resume(folder: Path, identity: dict[str, Any], what: str) -> None:
    """Refuse, in one line and removing nothing, to resume the unfinished ``what`` (a run,
    comparison, sweep or sensitivity analysis) in ``folder``: through a symbolic link, where
    there is no ``_work/progress.json``, or where the saved identity differs from
    ``identity`` (naming the keys that differ)."""
    work = folder / WORK
    if folder.is_symlink() or work.is_symlink():
        raise HegemonError(f"{folder}: is a symbolic link; refusing to resume through it")
    try:
        saved = json.loads((work / "progress.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise HegemonError(f"{folder}: no interrupted {what} to resume here") from None
    changed = [k for k in identity if not isinstance(saved, dict) or saved.get(k) != identity[k]]
    if changed:
        raise HegemonError(
            f"{folder}: the interrupted {what} differs in {', '.join(changed)}; resume with "
            "the same scenario and options, or pass --force to start afresh"
        )


def start_work(
    folder: Path,
    identity: dict[str, Any],
    what: str,
    *,
    target: Path,
    resume: bool,
    overwrite: bool,
) -> None:
    """Start the ``.partial`` folder of a comparison, sweep or sensitivity analysis afresh
    (``_work/progress.json`` holding ``identity``), or with ``resume`` check the one there
    (:func:`check_resume`). An unfinished one in the way of a fresh start is refused unless
    ``overwrite`` (then removed)."""
    if resume:
        check_resume(folder, identity, what)
        return
    if folder.exists():
        if not overwrite:
            raise HegemonError(
                f"{folder}: an interrupted {what} is here; continue it with --resume "
                f"{target}, or pass --force to start afresh"
            )
        shutil.rmtree(folder)
    try:
        (folder / WORK).mkdir(parents=True)
        write_atomic(
            folder / WORK / "progress.json", (json.dumps(identity, indent=2) + "\n").encode()
        )
    except OSError as err:
        shutil.rmtree(folder, ignore_errors=True)
        raise HegemonError(f"{folder}: cannot write: {err.strerror or err}") from None


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


#: How the long timeseries is encoded: dictionaries only for the columns of few distinct
#: values (the labels, the step and the date; a dictionary of the values would be as large
#: as the column, and building it was half the time of writing), and statistics only for the
#: columns a reader filters on by range (statistics of the labels prune nothing, since every
#: row group holds many series). The contents are the same whatever the encoding.
TIMESERIES_ENCODING: dict[str, Any] = {
    "use_dictionary": ["scenario", "metric", "actor", "target", "step", "date"],
    "write_statistics": ["replicate", "step", "date", "value"],
}


def _write_batches(path: Path, batches: Iterator[pa.RecordBatch]) -> None:
    """Write record batches to one Parquet file, a row group each, one batch in memory."""
    tmp = path.with_name(f".{path.name}.tmp")
    first = next(batches)
    with pq.ParquetWriter(tmp, first.schema, **TIMESERIES_ENCODING) as writer:
        writer.write_batch(first)
        for batch in batches:
            writer.write_batch(batch)
    os.replace(tmp, path)


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(f".{path.stem}.tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def _merge_parts(parts: list[Path | pd.DataFrame], out: Path) -> None:
    """Concatenate parts (files, or frames kept in memory) into one Parquet file, one part in
    memory at a time. Dictionary columns are written as plain strings (categories differ from
    part to part); a null-typed or missing column of a part takes the type the other parts
    have (pyarrow's default promotion)."""
    tmp = out.with_name(f".{out.name}.tmp")
    schemas = [_plain(_schema(part)) for part in parts]
    schema = pa.unify_schemas(schemas, promote_options="default").remove_metadata()
    with pq.ParquetWriter(tmp, schema) as writer:
        for part, plain in zip(parts, schemas, strict=True):
            table = (
                pa.Table.from_pandas(part, preserve_index=False)
                if isinstance(part, pd.DataFrame)
                else pq.read_table(part)
            )
            tables = [schema.empty_table(), table.cast(plain)]
            writer.write_table(pa.concat_tables(tables, promote_options="default"))
    os.replace(tmp, out)


def _schema(part: Path | pd.DataFrame) -> pa.Schema:
    if isinstance(part, pd.DataFrame):
        return pa.Schema.from_pandas(part, preserve_index=False)
    return pq.read_schema(part)


def _plain(schema: pa.Schema) -> pa.Schema:
    """The schema with dictionary columns as plain strings."""
    return pa.schema(
        [f.with_type(pa.string()) if pa.types.is_dictionary(f.type) else f for f in schema],
        metadata=schema.metadata,
    )

"""Export a results folder's tables for spreadsheets: CSV files, or one Excel workbook.

``csv`` writes every table of the folder as ``<table>.csv`` into a new folder (the
trajectories streamed batch by batch, so memory stays bounded), with ``exported.csv`` (each
table's rows and file) and a manifest of kind ``export``, so that ``--force`` knows the
folder for one it may replace. ``xlsx`` (needs openpyxl:
``pip install 'hegemon[export]'``) writes one workbook: a sheet per table that fits in a
sheet (at most 1,048,576 rows, the header included); the trajectories long where they
fit, else wide by replicate (a row per date and series, a column per replicate), else
not at all; and a first sheet, ``about``, saying where every table went and what was left
to the CSV export.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from hegemon.errors import HegemonError
from hegemon.results.folder import (
    WORKBOOK_CREATOR,
    atomic_folder,
    check_target,
    read_manifest,
    write_manifest,
)

Format = Literal["csv", "xlsx"]
SHEET_ROWS = 1_048_576  # Excel's limit, the header row included
SHEET_COLUMNS = 16_384
SERIES = ["date", "step", "metric", "actor", "target"]  # a row of the wide trajectories
SHEET_ORDER = ("summary", "outcomes", "events", "timeseries")


@dataclass(frozen=True)
class Table:
    """One table of a results folder: its name in the export and its Parquet file (or
    folder of parts)."""

    name: str
    path: Path

    def rows(self) -> int:
        import pyarrow.dataset as ds

        return int(ds.dataset(self.path).count_rows())

    def read(self) -> pd.DataFrame:
        return pd.read_parquet(self.path)

    def batches(self) -> Iterator[pd.DataFrame]:
        import pyarrow.dataset as ds

        for batch in ds.dataset(self.path).to_batches(batch_size=200_000):
            yield batch.to_pandas()


def tables(folder: Path) -> list[Table]:
    """Every table of a results folder of any kind, in export order (a comparison's runs'
    tables named ``<scenario>_<table>``)."""
    manifest = read_manifest(folder)
    if manifest["kind"] == "compare":
        found = _own_tables(folder)
        for sub in manifest["folders"]:
            found += [Table(f"{sub}_{t.name}", t.path) for t in _own_tables(folder / sub)]
        return found
    return _own_tables(folder)


def _own_tables(folder: Path) -> list[Table]:
    files = sorted(p for p in folder.glob("*.parquet"))
    rank = {name: i for i, name in enumerate(SHEET_ORDER)}
    files.sort(key=lambda p: (rank.get(p.stem, len(rank)), p.stem))
    return [Table(p.stem, p) for p in files]


def export(folder: Path | str, format: Format, out: Path | str, *, overwrite: bool = False) -> Path:
    """Export the tables of the results folder ``folder`` to ``out``: a folder of CSV files
    (``csv``) or an Excel workbook (``xlsx``); refuse to replace ``out`` unless
    ``overwrite``. Returns ``out``."""
    source, target = Path(folder), Path(out)
    found = tables(source)
    if format == "csv":
        with atomic_folder(target, overwrite=overwrite) as staging:
            written = []
            for table in found:
                _write_csv(table, staging / f"{table.name}.csv")
                written.append({"table": table.name, "rows": table.rows()})
            index = pd.DataFrame(written, columns=["table", "rows"])
            index.assign(file=index["table"] + ".csv").to_csv(staging / "exported.csv", index=False)
            write_manifest(
                staging, {"kind": "export", "format": "csv", "source": str(source.resolve())}
            )
        return target
    if format == "xlsx":
        _write_xlsx(source, found, target, overwrite=overwrite)
        return target
    raise HegemonError(f"format must be 'csv' or 'xlsx', got {format!r}")


def _write_csv(table: Table, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        for k, batch in enumerate(table.batches()):
            batch.to_csv(file, index=False, header=k == 0)
        if file.tell() == 0:  # an empty table: its header still
            table.read().to_csv(file, index=False)


def wide_by_replicate(timeseries: pd.DataFrame) -> pd.DataFrame:
    """The trajectories as one row per date and series, one column per replicate."""
    frame = timeseries.drop(columns=["scenario"], errors="ignore")
    for column in ("metric", "actor", "target"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    wide = frame.pivot_table(index=SERIES, columns="replicate", values="value", observed=True)
    wide.columns = [f"replicate {int(r)}" for r in wide.columns]
    return wide.reset_index()


def _write_xlsx(source: Path, found: list[Table], target: Path, *, overwrite: bool) -> None:
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise HegemonError("--format xlsx needs openpyxl: pip install 'hegemon[export]'") from None
    if target.suffix.lower() != ".xlsx":
        raise HegemonError(f"{target}: an Excel workbook's name ends in .xlsx")
    check_target(target, overwrite=overwrite)
    about: list[dict[str, object]] = []
    sheets: list[tuple[str, pd.DataFrame]] = []
    for table in found:
        rows = table.rows()
        sheet = table.name[:31]
        if rows < SHEET_ROWS:
            sheets.append((sheet, table.read()))
            about.append({"table": table.name, "rows": rows, "sheet": sheet, "how": "as is"})
            continue
        wide = _wide_if_it_fits(table)
        if wide is not None:
            sheets.append((sheet, wide))
            how = f"wide by replicate: a row per date and series ({len(wide):,} rows)"
            about.append({"table": table.name, "rows": rows, "sheet": sheet, "how": how})
            continue
        about.append(
            {
                "table": table.name,
                "rows": rows,
                "sheet": "",
                "how": f"left to the CSV export: {rows:,} rows do not fit in a sheet "
                f"(hegemon export {source} --format csv)",
            }
        )
    staging = target.with_name(f".{target.name}.tmp")
    try:
        with pd.ExcelWriter(staging, engine="openpyxl") as writer:
            note = pd.DataFrame(about, columns=["table", "rows", "sheet", "how"])
            note.to_excel(writer, sheet_name="about", index=False)
            for sheet, frame in sheets:
                _excel_ready(frame).to_excel(writer, sheet_name=sheet, index=False)
            writer.book.properties.creator = WORKBOOK_CREATOR
        staging.replace(target)
    finally:
        staging.unlink(missing_ok=True)


def _wide_if_it_fits(table: Table) -> pd.DataFrame | None:
    """The trajectories wide by replicate, when that fits in a sheet; None otherwise (and
    for other tables)."""
    if table.name != "timeseries":
        return None
    import pyarrow.dataset as ds

    data = ds.dataset(table.path)
    replicates = len(pd.unique(data.to_table(columns=["replicate"])["replicate"].to_numpy()))
    if replicates + len(SERIES) > SHEET_COLUMNS:
        return None
    wide = wide_by_replicate(table.read())
    return wide if len(wide) < SHEET_ROWS else None


def _excel_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame Excel can hold: plain text for categories, no time zones."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(object)
        elif isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_localize(None)
    return out

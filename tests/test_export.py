"""hegemon export: every table as CSV, or an Excel workbook that says what it left out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

import hegemon
from hegemon.cli import cli
from hegemon.results import export as ex

openpyxl = pytest.importorskip("openpyxl")
IN_PROCESS = ("--workers", "1")


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="hegemon")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "run"
    result = invoke(
        "run", "baseline", "-r", "3", "--years", "0.5", "-o", out, "-q", "--no-figures",
        *IN_PROCESS,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return out


def sheets(path: Path) -> dict[str, pd.DataFrame]:
    return pd.read_excel(path, sheet_name=None)


def test_csv_holds_every_table(run_folder, tmp_path):
    out = tmp_path / "csv"
    result = invoke("export", run_folder, "--format", "csv", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{out}\n"
    assert sorted(p.name for p in out.iterdir()) == [
        "events.csv", "exported.csv", "manifest.json", "outcomes.csv", "summary.csv",
        "timeseries.csv",
    ]  # fmt: skip
    for name in ("summary", "events", "outcomes", "timeseries"):
        csv = pd.read_csv(out / f"{name}.csv")
        table = pd.read_parquet(run_folder / f"{name}.parquet")
        assert list(csv.columns) == list(table.columns) and len(csv) == len(table)


def test_xlsx_holds_the_tables_and_says_where_they_went(run_folder, tmp_path):
    out = tmp_path / "run.xlsx"
    result = invoke("export", run_folder, "--format", "xlsx", "-o", out)
    assert result.exit_code == 0, result.stderr
    book = sheets(out)
    assert list(book) == ["about", "summary", "outcomes", "events", "timeseries"]
    about = book["about"].set_index("table")
    assert set(about["how"]) == {"as is"}
    outcomes = pd.read_parquet(run_folder / "outcomes.parquet")
    assert len(book["outcomes"]) == len(outcomes) == about.loc["outcomes", "rows"]


def test_xlsx_puts_trajectories_wide_or_leaves_them_to_the_csv(run_folder, tmp_path, monkeypatch):
    timeseries = pd.read_parquet(run_folder / "timeseries.parquet")
    wide = ex.wide_by_replicate(timeseries)
    # a sheet too short for the long trajectories but long enough for the wide ones
    monkeypatch.setattr(ex, "SHEET_ROWS", len(wide) + 1)
    out = hegemon.export(run_folder, "xlsx", out=tmp_path / "wide.xlsx")
    book = sheets(out)
    about = book["about"].set_index("table")
    assert about.loc["timeseries", "how"].startswith("wide by replicate")
    assert list(book["timeseries"].columns) == [*ex.SERIES, "replicate 0", "replicate 1",
                                                "replicate 2"]  # fmt: skip
    assert len(book["timeseries"]) == len(wide) == len(timeseries) // 3
    # too short for either: the workbook says the trajectories are left to the CSV
    monkeypatch.setattr(ex, "SHEET_ROWS", 10)
    out = hegemon.export(run_folder, "xlsx", out=tmp_path / "short.xlsx")
    book = sheets(out)
    about = book["about"].set_index("table")
    assert "timeseries" not in book and "summary" not in book
    assert about.loc["timeseries", "how"].startswith("left to the CSV export")
    assert "--format csv" in about.loc["timeseries", "how"]
    assert about.loc["outcomes", "how"] == "as is"  # 3 rows fit


def test_export_refuses_to_replace_and_names_the_workbook(run_folder, tmp_path):
    out = tmp_path / "csv"
    assert invoke("export", run_folder, "-o", out).exit_code == 0
    again = invoke("export", run_folder, "-o", out)
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert invoke("export", run_folder, "-o", out, "--force").exit_code == 0
    assert pd.read_csv(out / "exported.csv").set_index("table").loc["outcomes", "rows"] == 3
    bad = invoke("export", run_folder, "--format", "xlsx", "-o", tmp_path / "book")
    assert bad.exit_code == 1 and ".xlsx" in bad.stderr


def test_force_replaces_an_exported_workbook_and_nothing_else(run_folder, tmp_path):
    book = tmp_path / "book.xlsx"
    assert invoke("export", run_folder, "--format", "xlsx", "-o", book).exit_code == 0
    again = invoke("export", run_folder, "--format", "xlsx", "-o", book, "--force")
    assert again.exit_code == 0, again.stderr
    other = tmp_path / "theirs.xlsx"
    other.write_bytes(b"someone's workbook")
    refused = invoke("export", run_folder, "--format", "xlsx", "-o", other, "--force")
    assert refused.exit_code == 1 and "refusing to replace" in refused.stderr
    assert other.read_bytes() == b"someone's workbook"
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "notes.txt").write_text("mine")
    refused = invoke("export", run_folder, "-o", plain, "--force")
    assert refused.exit_code == 1 and (plain / "notes.txt").read_text() == "mine"


def test_export_of_a_comparison_names_the_runs_tables(tmp_path):
    folder = tmp_path / "cmp"
    result = invoke(
        "compare", "baseline", "no_peacekeepers", "-r", "2", "--years", "0.3", "-o", folder,
        "-q", "--no-figures", *IN_PROCESS,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = hegemon.export(folder, "csv", out=tmp_path / "csv")
    names = {p.stem for p in out.iterdir()}
    assert {"paired_differences", "baseline_summary", "no_peacekeepers_outcomes"} <= names

"""Observations as data: dated values of the results' metrics, read from CSV and validated.

An observations file has one row per observed value and the columns

    date,metric,actor,target,value,n,source,note

``date`` ISO ``YYYY-MM-DD`` (a poll's date is the middle of its fieldwork); ``metric`` a
metric of :data:`~hegemon.scenario.observables.METRICS`, with ``actor`` and ``target`` as in
the results schema (empty where the metric has none); ``value`` in the metric's unit (a share
in 0..1, a binary state 0 or 1, a count or a level at least 0); ``n`` the sample size of a
poll, empty otherwise; ``source`` a short key (``IRI2021``); ``note`` free text, such as the
poll's question. An optional column ``link`` says how the value relates to the metric:
``identity`` (the default, also when empty) or ``complement`` (an inverse indicator, which
observes 1 − the metric: "Russia is a political threat"). How an observation is compared
with the model is the observation model's business (``hegemon.analysis.observation``).

Problems are reported like a scenario's: one line each, naming the file, the line, the
column and what was expected (:class:`~hegemon.errors.Problem`).

>>> obs = read_observations("observations-2020-2022")
>>> obs.table.columns.tolist()[:6]
['line', 'date', 'metric', 'actor', 'target', 'value']
>>> str(obs.table["date"].max().date())
'2022-12-31'
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from hegemon.errors import Problem, ScenarioError
from hegemon.scenario.observables import METRICS, actors_in

if TYPE_CHECKING:
    from hegemon.scenario.schema import Scenario

COLUMNS = ("date", "metric", "actor", "target", "value", "n", "source", "note")
OPTIONAL_COLUMNS = ("link",)
LINKS = ("identity", "complement")
CONFLICT_METRICS = frozenset({"territory", "ceasefire", "clashes_cum"})
MAX_BYTES = 5 * 1024 * 1024
MAX_PROBLEMS = 20  # more are summarized in one line
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WHOLE = re.compile(r"^[0-9]+$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_ '-]*$")


class ObservationsError(ScenarioError):
    """An observations file that cannot be used; carries every problem found."""


@dataclass(frozen=True)
class Observations:
    """A validated observations file: ``table`` has one row per observation with the
    columns ``line`` (its line in the file), ``date`` (datetime64), ``metric``, ``actor``,
    ``target`` (None where unused), ``value`` (float), ``n`` (nullable Int64), ``source``,
    ``note`` and ``link``; ``sha256`` is that of the file's bytes."""

    path: Path
    table: pd.DataFrame
    sha256: str

    def __len__(self) -> int:
        return len(self.table)


def bundled_observations() -> list[str]:
    """The observations files that ship with hegemon, by name (without ``.csv``)."""
    folder = Path(str(resources.files("hegemon") / "scenarios"))
    return sorted(p.stem for p in folder.glob("*.csv"))


def bundled_observations_file(name: str) -> Path | None:
    """The bundled observations file called ``name`` (with or without ``.csv``), if any."""
    if "/" in name or "\\" in name:
        return None
    stem = name[:-4] if name.endswith(".csv") else name
    path = Path(str(resources.files("hegemon") / "scenarios")) / f"{stem}.csv"
    return path if stem and path.is_file() else None


def observations_path(name_or_path: str | Path) -> Path:
    """An observations file from a path, or from the name of a bundled file."""
    path = Path(name_or_path)
    try:
        if path.is_file():
            return path
    except (OSError, ValueError):
        pass
    bundled = bundled_observations_file(str(name_or_path))
    if bundled is not None:
        return bundled
    raise ObservationsError(
        [
            Problem(
                path,
                None,
                None,
                "no such observations file or bundled observations "
                f"(bundled: {', '.join(bundled_observations()) or 'none'})",
            )
        ]
    )


def read_observations(path: str | Path, scenario: Scenario | None = None) -> Observations:
    """Read and validate an observations file (a path, or a bundled name); with a
    ``scenario``, actors and targets are also checked against its actors.

    Raises :class:`ObservationsError` with one located problem per bad cell.
    """
    file = observations_path(path)
    raw = _read_bytes(file)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ObservationsError(
            [Problem(file, 1, None, f"not UTF-8 text ({err.reason} at byte {err.start})")]
        ) from None
    problems: list[Problem] = []
    rows = _parse(file, text, problems)
    if problems:
        raise ObservationsError(problems)
    if not rows:
        raise ObservationsError(
            [Problem(file, 1, None, "no observations (expected rows after the header)")]
        )
    records = []
    seen: dict[tuple, int] = {}
    for line, row in rows:
        record = _check_row(file, line, row, scenario, problems)
        if record is None:
            continue
        key = tuple(record[c] for c in ("date", "metric", "actor", "target", "source", "note"))
        if key in seen:
            problems.append(
                Problem(
                    file, line, None, f"duplicate of line {seen[key]} (one value counted twice)"
                )
            )
            continue
        seen[key] = line
        records.append(record)
    if problems:
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS
            problems = [
                *problems[:MAX_PROBLEMS],
                Problem(file, None, None, f"and {more} more problems"),
            ]
        raise ObservationsError(problems)
    table = pd.DataFrame.from_records(records)
    table["date"] = pd.to_datetime(table["date"]).astype("datetime64[ns]")
    table["n"] = table["n"].astype("Int64")
    table["value"] = table["value"].astype(float)
    table = table[["line", *COLUMNS, "link"]]
    return Observations(file, table, hashlib.sha256(raw).hexdigest())


def _read_bytes(file: Path) -> bytes:
    try:
        size = file.stat().st_size
        if size > MAX_BYTES:
            raise ObservationsError(
                [Problem(file, 1, None, f"file too large ({size:,} bytes; at most {MAX_BYTES:,})")]
            )
        return file.read_bytes()
    except OSError as err:
        raise ObservationsError(
            [Problem(file, 1, None, f"cannot read: {err.strerror or err}")]
        ) from None


def _parse(file: Path, text: str, problems: list[Problem]) -> list[tuple[int, dict[str, str]]]:
    """The rows of the file as (line, {column: text}); header problems go to ``problems``."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            problems.append(
                Problem(file, 1, None, f"empty file (expected a header: {','.join(COLUMNS)})")
            )
            return []
        header = [h.strip() for h in header]
        expected = ", ".join(COLUMNS)
        for name in header:
            if name not in COLUMNS and name not in OPTIONAL_COLUMNS:
                problems.append(
                    Problem(
                        file,
                        1,
                        name or "<empty>",
                        f"unknown column (expected the columns {expected}, and optionally "
                        f"{', '.join(OPTIONAL_COLUMNS)})",
                    )
                )
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            problems.append(
                Problem(
                    file, 1, None, f"missing column(s) {', '.join(missing)} (expected {expected})"
                )
            )
        duplicated = sorted({h for h in header if header.count(h) > 1})
        if duplicated:
            problems.append(Problem(file, 1, duplicated[0], "column given twice"))
        if problems:
            return []
        rows = []
        start = reader.line_num + 1
        for fields in reader:
            line = start
            start = reader.line_num + 1
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                problems.append(
                    Problem(
                        file,
                        line,
                        None,
                        f"expected {len(header)} fields ({','.join(header)}), got {len(fields)}",
                    )
                )
                continue
            rows.append((line, dict(zip(header, fields, strict=True))))
        return rows
    except csv.Error as err:
        problems.append(Problem(file, reader.line_num or 1, None, f"invalid CSV: {err}"))
        return []


def _check_row(
    file: Path,
    line: int,
    row: dict[str, str],
    scenario: Scenario | None,
    problems: list[Problem],
) -> dict[str, object] | None:
    before = len(problems)

    def bad(column: str, message: str) -> None:
        problems.append(Problem(file, line, column, message))

    text = {k: v.strip() for k, v in row.items()}
    date: dt.date | None = None
    if not _DATE.match(text["date"]):
        bad("date", f"expected an ISO date YYYY-MM-DD, got {text['date']!r}")
    else:
        try:
            date = dt.date.fromisoformat(text["date"])
        except ValueError:
            bad("date", f"expected a real date YYYY-MM-DD, got {text['date']!r}")

    metric = METRICS.get(text["metric"])
    if metric is None:
        bad("metric", f"unknown metric {text['metric']!r} (expected one of: {', '.join(METRICS)})")
    else:
        if scenario is not None and scenario.conflict is None and metric.name in CONFLICT_METRICS:
            bad("metric", f"{metric.name} needs a conflict, and scenario {scenario.name} has none")
        for column, role in (("actor", metric.actor), ("target", metric.target)):
            value = text[column]
            if not role:
                if value:
                    bad(column, f"expected no {column} for {metric.name}, got {value!r}")
                continue
            if not value:
                bad(column, f"expected a {role} for {metric.name}")
            elif scenario is not None:
                allowed = [a for a in actors_in(scenario, role) if a is not None]
                if value not in allowed:
                    bad(
                        column,
                        f"unknown {role} {value!r} for {metric.name} in scenario "
                        f"{scenario.name} (expected one of: {', '.join(allowed) or 'none'})",
                    )
            elif not _NAME.match(value):
                bad(column, f"expected the name of a {role}, got {value!r}")

    value = math.nan
    try:
        value = float(text["value"])
    except ValueError:
        bad("value", f"expected a number, got {text['value']!r}")
    else:
        if not math.isfinite(value):
            bad("value", f"expected a finite number, got {text['value']!r}")
        elif metric is not None:
            message = _range_problem(metric.kind, value)
            if message:
                bad("value", f"{message} for {metric.name}, got {text['value']}")

    n: int | None = None
    if text["n"]:
        if not _WHOLE.match(text["n"]) or int(text["n"]) < 1:
            bad(
                "n",
                "expected a positive whole number (a poll's sample size) or empty, "
                f"got {text['n']!r}",
            )
        else:
            n = int(text["n"])

    if not text["source"]:
        bad("source", "expected a source (a short key such as IRI2021)")

    link = text.get("link", "") or "identity"
    if link not in LINKS:
        bad("link", f"expected one of: {', '.join(LINKS)} (or empty), got {link!r}")
    elif link == "complement" and metric is not None and metric.kind != "share":
        bad("link", f"complement applies to shares only, and {metric.name} is a {metric.kind}")

    if len(problems) > before:
        return None
    return {
        "line": line,
        "date": date,
        "metric": text["metric"],
        "actor": text["actor"] or None,
        "target": text["target"] or None,
        "value": value,
        "n": n,
        "source": text["source"],
        "note": text["note"],
        "link": link,
    }


def _range_problem(kind: str, value: float) -> str:
    if kind == "share" and not 0.0 <= value <= 1.0:
        return "expected a share in 0..1"
    if kind == "binary" and value not in (0.0, 1.0):
        return "expected 0 or 1"
    if kind == "count" and (value < 0 or value != int(value)):
        return "expected a whole count at least 0"
    if kind == "level" and value < 0:
        return "expected a level at least 0"
    return ""

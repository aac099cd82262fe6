"""Regression baseline: the tables of every bundled scenario, bit for bit.

The hashes in ``tests/data/golden_hashes.json`` are of the ``outcomes``, ``summary`` and
``events`` tables of a seeded run of each bundled scenario and of ``tests/data/every_event.yaml``
(in which every kind of event occurs). They are taken of the tables' contents, rows sorted and
floats written exactly (``float.hex``), not of Parquet bytes, so that a newer pyarrow does not
change them. Each table is hashed as far as it existed when the hashes were recorded (the
outcome columns, metrics and event kinds listed beside the hashes), so a new metric, outcome or
kind of event adds to the tables without failing here, while any change to an existing number
does. A change that alters a recorded result fails here; refresh the hashes on purpose only,
with ``python tests/test_golden.py --refresh``, and say why in the commit.

Every scenario runs with the mechanisms added since the hashes were recorded switched off
(``MECHANISMS_OFF``, applied as ``--set`` overrides): with them off, every recorded number is
as it was, which is the test that each of them is switched off exactly.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

import pandas as pd
import pytest

import hegemon
from hegemon.scenario.loader import bundled_names, with_overrides

HERE = Path(__file__).parent
HASHES = HERE / "data" / "golden_hashes.json"
SEED = 7
REPLICATES = 200
TABLES = ("outcomes", "summary", "events")
MECHANISMS_OFF = [
    "war.enabled=false",
    "decisions.enabled=false",
    "exit.enabled=false",
    "attention.enabled=false",
    "coercion.enabled=false",
    "conflict.grievance_memory=0.0",
    "conflict.grievance_buildup=0.0",
    "trust.war_salience=1.0",
    "trust.record_fading=0.0",
    "focus.window_weeks=0",
]


def switched_off(source: str) -> hegemon.Scenario:
    """The scenario with every mechanism of ``MECHANISMS_OFF`` off (``conflict`` only where
    the scenario has one)."""
    scenario = hegemon.load_scenario(source)
    off = [o for o in MECHANISMS_OFF if scenario.conflict is not None or "conflict." not in o]
    return with_overrides(scenario, off)


def scenarios() -> dict[str, str]:
    """Name to what ``hegemon.run`` takes: the bundled scenarios and the every-event one."""
    out = {name: name for name in bundled_names()}
    out["every_event"] = str(HERE / "data" / "every_event.yaml")
    return out


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else value.hex()
    if value is None or value is pd.NA or value is pd.NaT:
        return "null"
    return str(value)


def table_digest(table: pd.DataFrame) -> str:
    """sha256 of a table's contents: columns by name, rows sorted, floats exact."""
    columns = sorted(table.columns)
    text = table[columns].astype(object).map(_cell)
    rows = sorted("\x1f".join(row) for row in text.itertuples(index=False, name=None))
    digest = hashlib.sha256("\x1e".join(columns).encode())
    for row in rows:
        digest.update(b"\x1e" + row.encode())
    return digest.hexdigest()


def recorded_part(results: hegemon.Results, scope: dict[str, list[str]]) -> dict[str, pd.DataFrame]:
    """The tables as far as ``scope`` (the recorded columns, metrics and event kinds) goes."""
    summary, events = results.summary, results.events
    return {
        "outcomes": results.outcomes[scope["columns"]],
        "summary": summary[summary["metric"].astype(str).isin(scope["metrics"])],
        "events": events[events["event"].astype(str).isin(scope["events"])],
    }


def record(source: str) -> dict[str, object]:
    """Hashes of a fresh run's tables, with the scope they cover."""
    results = hegemon.run(switched_off(source), replicates=REPLICATES, seed=SEED, store="summary")
    scope = {
        "columns": sorted(results.outcomes.columns),
        "metrics": sorted(set(results.summary["metric"].astype(str))),
        "events": sorted(set(results.events["event"].astype(str))),
    }
    tables = recorded_part(results, scope)
    return {**{name: table_digest(tables[name]) for name in TABLES}, "scope": scope}


@pytest.mark.parametrize("name", sorted(scenarios()))
def test_tables_are_bit_identical_to_the_recorded_ones(name: str) -> None:
    expected = json.loads(HASHES.read_text())[name]
    results = hegemon.run(
        switched_off(scenarios()[name]), replicates=REPLICATES, seed=SEED, store="summary"
    )
    missing = set(expected["scope"]["columns"]) - set(results.outcomes.columns)
    assert not missing, f"outcome columns gone: {sorted(missing)}"
    tables = recorded_part(results, expected["scope"])
    assert {name: table_digest(tables[name]) for name in TABLES} == {
        name: expected[name] for name in TABLES
    }


def test_every_kind_of_event_occurs_in_the_golden_runs() -> None:
    results = hegemon.run(
        scenarios()["every_event"], replicates=REPLICATES, seed=SEED, store="summary"
    )
    kinds = set(results.events["event"].astype(str))
    expected = {
        "set", "deploy", "withdraw", "start_support", "stop_support", "form_alliance",
        "end_alliance", "budget_shock", "budget_recovered", "transfer_territory", "clash",
        "commitment_honoured", "commitment_failed", "ceasefire_collapse",
        "peacekeepers_withdrawn", "mandate_renewal_agreed", "mandate_notice_given",
    }  # fmt: skip
    assert expected <= kinds


if __name__ == "__main__" and sys.argv[1:] == ["--refresh"]:
    HASHES.write_text(
        json.dumps({name: record(src) for name, src in sorted(scenarios().items())}, indent=1)
        + "\n"
    )

"""Fuzzing the scenario loader: any input gives a valid scenario or one clear ScenarioError.

Inputs are random YAML documents, random text and bytes, and random mutations of the bundled
scenarios, applied to the parsed data and dumped back with ``yaml.safe_dump`` (deleted keys,
wrong types, huge numbers, NaN and infinity, negative counts, dates before the start or past
the horizon, unicode and very long names, renamed and duplicated items) or applied to the
text (tags that would construct Python objects, alias bombs, truncation, binary garbage,
stray tabs, a second document, odd number spellings). For each input:

- ``load_scenario`` either returns a scenario, which must then run (``hegemon.run`` with two
  replicates and a short horizon) to tables without NaN or infinity, or raises ONE
  ``ScenarioError`` whose every problem renders as ``file:line: key: message`` on one line
  (the loader gives whole-file problems line 1, so a line is always there for a file);
  never another exception, never a hang (a SIGALRM time limit), never a memory blow-up;
- ``hegemon validate FILE`` exits 0 or 2, prints only ``ok:`` or ``error:`` lines, and never
  a traceback;
- a tag that would run code runs nothing (the file it would create is never created).

``extends:`` (safe paths) is tested here too: only bundled scenarios and files inside the
extending file's folder, unless ``allow_outside``. Output folders are in test_failures.py.

The default run stays under about a minute; the ``slow`` variants draw many more examples.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import re
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_bad_scenarios import run_cli, temporary_folders

import hegemon
from hegemon.errors import Problem, ScenarioError
from hegemon.scenario import yamldoc
from hegemon.scenario.loader import bundled_dir, load_scenario, with_overrides
from hegemon.scenario.schema import Scenario

BUNDLED = sorted(bundled_dir().glob("*.yaml"))
TEXTS = {path.name: path.read_text(encoding="utf-8") for path in BUNDLED}
DATA = {name: yaml.safe_load(text) for name, text in TEXTS.items()}
BASELINE = TEXTS["baseline.yaml"]
START = dt.date(2020, 11, 10)

MAX_STEPS = math.ceil(50 * 365.25 / 7) + 1  # horizon_years is at most 50
TIME_LIMIT = 30  # seconds for loading and validating any one input
RUN_LIMIT = 60  # seconds for a tiny run
MEMORY_LIMIT_MB = 1024  # growth of the process's peak memory for any one input

# ------------------------------------------------------------------------------- helpers


class Hang(Exception):
    """Raised by time_limit when the block takes too long."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Fail the block (with Hang) if it runs longer than ``seconds`` (SIGALRM, main thread)."""

    def alarm(signum: int, frame: Any) -> None:
        raise Hang(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


@contextlib.contextmanager
def bounded(seconds: float = TIME_LIMIT) -> Iterator[None]:
    """Neither a hang nor a memory blow-up: time limit and peak-memory growth (checked also
    when the block raises, e.g. a ScenarioError after reading an alias bomb)."""
    before = peak_mb()
    try:
        with time_limit(seconds):
            yield
    finally:
        grown = peak_mb() - before
        assert grown < MEMORY_LIMIT_MB, f"peak memory grew by {grown:.0f} MB"


PROBLEM_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?:(?P<key>.+?): )?(?P<message>.+)$")


def check_problem(problem: Problem, files: set[Path], lines: dict[Path, int]) -> None:
    """One problem, rendered as ``file:line: key: message`` on one line."""
    text = str(problem)
    assert "\n" not in text and "\r" not in text, text
    assert problem.message and problem.message.strip(), text
    assert problem.file is not None and Path(problem.file) in files, (problem.file, files)
    assert problem.line is not None, f"no line: {text}"
    assert 1 <= problem.line <= lines.get(Path(problem.file), problem.line), text
    prefix = f"{problem.file}:{problem.line}: " + (f"{problem.key}: " if problem.key else "")
    assert text == prefix + problem.message
    assert PROBLEM_LINE.match(text), text


YAML_BREAKS = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # what YAML counts as line breaks


def line_counts(paths: set[Path]) -> dict[Path, int]:
    """The number of lines of each file, as YAML counts them (text that is not UTF-8: bytes)."""
    counts = {}
    for path in paths:
        with contextlib.suppress(OSError):
            raw = path.read_bytes()
            text = raw.decode("utf-8", errors="replace")
            counts[path] = max(len(YAML_BREAKS.findall(text)), raw.count(b"\n")) + 1
    return counts


def load_or_problems(path: Path, *, files: set[Path] | None = None) -> Scenario | ScenarioError:
    """``load_scenario(path)``: a scenario, or a ScenarioError whose problems are all well
    formed. Any other exception propagates and fails the test."""
    allowed = {path, *BUNDLED} if files is None else files
    try:
        with bounded():
            return load_scenario(path)
    except ScenarioError as err:
        assert err.problems, "a ScenarioError without problems"
        counts = line_counts(allowed)
        for problem in err.problems:
            check_problem(problem, allowed, counts)
        assert str(err) == "\n".join(str(p) for p in err.problems)
        return err


def tiny_run(scenario: Scenario) -> None:
    """A valid scenario runs, over a short horizon, to tables without NaN or infinity."""
    assert scenario.steps <= MAX_STEPS, (
        f"a valid scenario of {scenario.steps} weeks: the horizon is limited to 50 years"
    )
    short = with_overrides(scenario, ["horizon_years=0.25", "until=null"])
    with bounded(RUN_LIMIT), np.errstate(all="ignore"):
        results = hegemon.run(short, replicates=2, seed=0)
    summary = results.summary
    stats = summary[["mean", "q05", "q25", "q50", "q75", "q95"]].to_numpy(float)
    assert np.isfinite(stats).all(), "NaN or inf in the summary"
    # with two replicates the mean lies between q05 and q95
    width = np.abs(stats).max(axis=1) * 1e-9
    assert (stats[:, 0] >= stats[:, 1] - width).all() and (stats[:, 0] <= stats[:, 5] + width).all()
    timeseries = results.timeseries
    assert timeseries is not None and np.isfinite(timeseries["value"].to_numpy(float)).all()
    outcomes = results.outcomes.select_dtypes("number")
    outcomes = outcomes.drop(columns=["ceasefire_weeks"], errors="ignore")  # null if it held
    assert np.isfinite(outcomes.to_numpy(float)).all(), "NaN or inf in the outcomes"
    first = summary.loc[summary["step"] == 0, "date"].iloc[0]
    assert first.date() == short.start, f"step 0 is dated {first}, not {short.start}"
    assert results.outcomes["regime"].notna().all()


def check_cli(path: Path, outcome: Scenario | ScenarioError) -> None:
    """``hegemon validate FILE``: exit 0 or 2, ``ok:``/``error:`` lines, no traceback."""
    with time_limit(TIME_LIMIT):
        result = run_cli("validate", path)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output + result.stderr
    lines = result.stderr.splitlines()
    if isinstance(outcome, ScenarioError):
        assert result.exit_code == 2, (result.exit_code, result.stderr)
        assert lines == [f"error: {p}" for p in outcome.problems]
    else:
        assert result.exit_code == 0, (result.exit_code, result.stderr)
        found: list = []  # valid but probably not meant (an event after the end): warned
        load_scenario(path, warnings=found)
        assert lines == [*(f"warning: {w}" for w in found), f"ok: {path}"]
    assert result.stdout == ""


def check_file(path: Path) -> Scenario | ScenarioError:
    """The whole contract for one input file."""
    outcome = load_or_problems(path)
    if isinstance(outcome, Scenario):
        tiny_run(outcome)
    check_cli(path, outcome)
    return outcome


# ----------------------------------------------------------------------------- strategies

HUGE_INT = 10**400
NASTY_SCALARS: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    -1960,
    0.0,
    -0.5,
    1.5,
    1e308,
    -1e308,
    5e-324,
    HUGE_INT,
    -HUGE_INT,
    math.nan,
    math.inf,
    -math.inf,
    "",
    "x",
    "0.5",
    "1e3",
    "2020-13-45",
    "Ереван",
    "\u202eaisuR",  # right-to-left override
    "Ռուսաստան 🇷🇺",
    "ю" * 10_000,
    "a" * 100_000,
    dt.date(1, 1, 1),
    dt.date(1600, 1, 1),
    dt.date(2019, 1, 1),
    dt.date(2100, 1, 1),
    dt.date(9999, 12, 31),
    [],
    {},
]


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(NASTY_SCALARS),
        st.integers(),
        st.floats(),
        st.text(max_size=30),
        st.dates(),
        st.booleans(),
    )


def yaml_values() -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.text(max_size=12), inner, max_size=4),
        ),
        max_leaves=8,
    )


def paths_in(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in nested data (the root is ())."""
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths_in(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths_in(value, (*prefix, index))
    return found


def get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def mutate_once(draw: st.DrawFn, data: Any) -> Any:
    """One random mutation somewhere in the data; returns the (possibly new) root."""
    paths = paths_in(data)
    path = draw(st.sampled_from(paths), label="where")
    operation = draw(
        st.sampled_from(
            [
                "delete",
                "replace",
                "replace",
                "number",
                "number",
                "date",
                "rename",
                "duplicate",
                "unknown_key",
                "root",
            ]
        ),
        label="mutation",
    )
    if operation == "root":
        return draw(st.one_of(scalars(), st.lists(scalars(), max_size=3)), label="new root")
    if path == ():
        return data
    parent, key = get(data, path[:-1]), path[-1]
    value = parent[key]
    if operation == "delete":
        del parent[key]
    elif operation == "replace":
        parent[key] = draw(yaml_values(), label="new value")
    elif operation == "number":
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else 1.0
        try:
            scaled = number * 1e300
        except OverflowError:  # an earlier mutation made it a huge integer
            scaled = math.inf
        parent[key] = draw(
            st.sampled_from(
                [
                    -number,
                    scaled,
                    number * 10**400 if isinstance(number, int) else HUGE_INT,
                    math.nan,
                    math.inf,
                    -math.inf,
                    -1,
                    0,
                    str(number),
                ]
            ),
            label="new number",
        )
    elif operation == "date":
        days = draw(st.sampled_from([-1, -365, -400 * 365, 60 * 365, 2_900_000]), label="days")
        try:
            parent[key] = START + dt.timedelta(days=days)
        except OverflowError:
            parent[key] = dt.date.max
    elif operation == "rename":
        if isinstance(value, str):
            parent[key] = draw(st.sampled_from(["Russland", "", "x" * 200, value + "_2"]))
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=20), label="new key")] = parent.pop(key)
    elif operation == "duplicate":
        if isinstance(parent, list):
            parent.insert(key, yaml.safe_load(yaml.safe_dump(value)))
    elif operation == "unknown_key" and isinstance(value, dict):
        value[draw(st.text(min_size=1, max_size=20), label="unknown key")] = 1
    return data


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[str, str]:
    """(bundled file name, YAML text): a bundled scenario with 1-4 mutations of its data."""
    name = draw(st.sampled_from(sorted(DATA)), label="bundled")
    data = yaml.safe_load(TEXTS[name])
    for _ in range(draw(st.integers(1, 4), label="mutations")):
        data = mutate_once(draw, data)
    return name, yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def bomb(levels: int, name: str = "lol") -> str:
    """A billion-laughs mapping under key ``name``: 9**levels strings once expanded."""
    lines = [f"{name}0: &{name}0 [{', '.join(['lol'] * 9)}]"]
    for i in range(1, levels):
        lines.append(f"{name}{i}: &{name}{i} [{', '.join([f'*{name}{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def python_tags(marker: Path) -> list[str]:
    """YAML values that would create ``marker`` (or import and run code) if constructed."""
    return [
        f"!!python/object/apply:os.system ['touch {marker}']",
        f"!!python/object/apply:subprocess.call [['touch', '{marker}']]",
        f"!!python/object/apply:builtins.open ['{marker}', 'w']",
        f"!!python/object/new:builtins.open ['{marker}', 'w']",
        "!!python/name:os.system ''",
        "!!python/module:os ''",
        f"!!python/object:pathlib.Path {{_str: '{marker}'}}",
    ]


NUMBER = re.compile(r"(?<=: )-?\d+(?:\.\d+)?(?=[ ,}\n])")
ODD_NUMBERS = [
    ".nan",
    ".NaN",
    ".inf",
    "-.inf",
    "1e308",
    "1e999",
    "-1e999",
    "9" * 400,
    "-" + "9" * 400,
    "-5",
    "0x1F",
    "0o17",
    "0100",
    "1_000",
    "1:30",
    "~",
    "null",
    "yes",
    "'12'",
    "[1, 2]",
    "{dist: uniform}",
    "{dist: normal, mean: .nan, sd: 1}",
    "{dist: beta, a: 0, b: .inf}",
    "{dist: triangular, low: 1, mode: 0, high: 2}",
    "{dist: uniform, low: -1e308, high: 1e308}",
]


@st.composite
def text_mutations(draw: st.DrawFn, marker: Path) -> bytes:
    """A bundled scenario's text with 1-3 textual mutations, as bytes."""
    text = TEXTS[draw(st.sampled_from(sorted(TEXTS)), label="bundled")]
    for _ in range(draw(st.integers(1, 3), label="mutations")):
        kind = draw(
            st.sampled_from(
                [
                    "number",
                    "number",
                    "tag",
                    "bomb",
                    "truncate",
                    "delete_line",
                    "duplicate_line",
                    "tab",
                    "second_document",
                    "control",
                    "date",
                ]
            ),
            label="mutation",
        )
        lines = text.split("\n")
        at = draw(st.integers(0, max(len(lines) - 1, 0)), label="line")
        if kind == "number":
            spots = list(NUMBER.finditer(text))
            if spots:
                spot = draw(st.sampled_from(spots), label="number")
                odd = draw(st.sampled_from(ODD_NUMBERS), label="spelling")
                text = text[: spot.start()] + odd + text[spot.end() :]
        elif kind == "tag":
            tag = draw(st.sampled_from(python_tags(marker)), label="tag")
            where = draw(st.sampled_from(["value", "key", "root", "item"]), label="tag at")
            if where == "root":
                text = tag + "\n"
            elif where == "key":
                text = text.replace("step: week", f"? {tag}\n: week", 1)
            elif where == "item":
                text = text.replace("actors:\n", f"actors:\n  - {tag}\n", 1)
            else:
                text = text.replace("title:", f"title: {tag}\nold_title:", 1)
        elif kind == "bomb":
            levels = draw(st.integers(5, 12), label="bomb levels")
            text = bomb(levels) + f"sources: {{bomb: *lol{levels - 1}}}\n" + text
        elif kind == "truncate":
            text = text[: draw(st.integers(0, len(text)), label="cut at")]
        elif kind == "delete_line" and lines:
            del lines[at]
            text = "\n".join(lines)
        elif kind == "duplicate_line" and lines:
            lines.insert(at, lines[at])
            text = "\n".join(lines)
        elif kind == "tab" and lines:
            lines[at] = "\t" + lines[at]
            text = "\n".join(lines)
        elif kind == "second_document":
            text = text + "\n---\nname: second\n"
        elif kind == "control":
            pos = draw(st.integers(0, len(text)), label="at")
            char = draw(st.sampled_from(["\x00", "\x07", "\x1b", "\ufffe", "\x85", "\u2028"]))
            text = text[:pos] + char + text[pos:]
        elif kind == "date":
            replacement = draw(
                st.sampled_from(["2020-02-30", "0001-01-01", "9999-12-31", "2019-11-10", "1e3"]),
                label="date",
            )
            text = re.sub(r"20\d\d-\d\d-\d\d", replacement, text, count=1)
    raw = text.encode("utf-8")
    if draw(st.booleans(), label="binary garbage") and draw(st.booleans()):
        pos = draw(st.integers(0, len(raw)), label="garbage at")
        raw = raw[:pos] + draw(st.binary(min_size=1, max_size=64), label="garbage") + raw[pos:]
    return raw


# --------------------------------------------------------------------------- hypothesis

FAST = {
    "deadline": None,  # time_limit guards against hangs; deadlines would be flaky under load
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    # No shrinking: each example writes files and may run the model, so shrinking a failure
    # takes minutes; the failing input is printed as drawn.
    "phases": [Phase.explicit, Phase.reuse, Phase.generate],
}


def _mutated(tmp_path_factory: pytest.TempPathFactory, document: tuple[str, str]) -> None:
    name, text = document
    path = tmp_path_factory.mktemp("fuzz") / name  # a fresh folder per example
    path.write_text(text, encoding="utf-8")
    check_file(path)


@settings(max_examples=40, **FAST)
@given(document=mutated_documents())
def test_mutated_bundled_scenarios(tmp_path_factory, document) -> None:
    _mutated(tmp_path_factory, document)


@pytest.mark.slow
@settings(max_examples=1000, **FAST)
@given(document=mutated_documents())
def test_mutated_bundled_scenarios_thoroughly(tmp_path_factory, document) -> None:
    _mutated(tmp_path_factory, document)


def _text_mutated(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    marker = folder / "pwned"
    raw = data.draw(text_mutations(marker), label="file")
    path = folder / "scenario.yaml"
    path.write_bytes(raw)
    outcome = check_file(path)
    assert not marker.exists(), "a YAML tag ran code"
    if b"!!python" in raw:
        assert isinstance(outcome, ScenarioError)


@settings(max_examples=40, **FAST)
@given(data=st.data())
def test_textually_mutated_bundled_scenarios(tmp_path_factory, data) -> None:
    _text_mutated(tmp_path_factory, data)


@pytest.mark.slow
@settings(max_examples=1000, **FAST)
@given(data=st.data())
def test_textually_mutated_bundled_scenarios_thoroughly(tmp_path_factory, data) -> None:
    _text_mutated(tmp_path_factory, data)


def random_documents() -> st.SearchStrategy[bytes]:
    dumped = yaml_values().map(
        lambda v: yaml.safe_dump(v, allow_unicode=True, sort_keys=False).encode()
    )
    return st.one_of(dumped, st.text().map(str.encode), st.binary(max_size=300))


def _random(tmp_path_factory: pytest.TempPathFactory, raw: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "random.yaml"
    path.write_bytes(raw)
    check_file(path)


@settings(max_examples=60, **FAST)
@given(raw=random_documents())
def test_random_documents(tmp_path_factory, raw) -> None:
    _random(tmp_path_factory, raw)


@pytest.mark.slow
@settings(max_examples=2000, **FAST)
@given(raw=random_documents())
def test_random_documents_thoroughly(tmp_path_factory, raw) -> None:
    _random(tmp_path_factory, raw)


# ------------------------------------------------------------- extreme inputs, one by one


def write(tmp_path: Path, text: str | bytes, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def edit(old: str, new: str, text: str = BASELINE) -> str:
    assert text.count(old) == 1, f"{old!r} is not in the baseline once"
    return text.replace(old, new)


def refused(path: Path, says: str = "", line: int | None = None) -> ScenarioError:
    outcome = check_file(path)
    assert isinstance(outcome, ScenarioError), f"{path.name} was accepted"
    if says:
        assert any(says in p.message for p in outcome.problems), str(outcome)
    if line is not None:
        assert [p.line for p in outcome.problems] == [line], str(outcome)
    return outcome


def test_a_file_over_5_mb_is_refused_at_once(tmp_path):
    path = write(tmp_path, BASELINE + "#" * (yamldoc.MAX_BYTES + 1 - len(BASELINE)) + "\n")
    assert path.stat().st_size > yamldoc.MAX_BYTES
    with time_limit(2):
        refused(path, "larger than 5 MB", line=1)


def test_a_file_just_under_5_mb_loads(tmp_path):
    filler = ("# " + "x" * 97 + "\n") * ((yamldoc.MAX_BYTES - len(BASELINE)) // 100)
    path = write(tmp_path, BASELINE + filler)
    assert yamldoc.MAX_BYTES - 200 < path.stat().st_size <= yamldoc.MAX_BYTES
    assert isinstance(check_file(path), Scenario)


@pytest.mark.parametrize("levels", [6, 9, 12])
def test_alias_bombs_are_refused_quickly(tmp_path, levels):
    text = bomb(levels) + f"sources: {{bomb: *lol{levels - 1}}}\n" + BASELINE
    path = write(tmp_path, text.replace("\nsources:\n", "\nold_sources:\n", 1))
    with bounded(10):
        err = refused(path)
    if 9**levels > yamldoc.MAX_NODES:
        assert "alias" in err.problems[0].message


def test_anchors_and_aliases_within_the_limit_are_fine(tmp_path):
    cost = "cost_per_troop_week_usd: {dist: uniform, low: 343, high: 491}"
    text = BASELINE.replace(cost, cost.replace(": {", ": &cost {"), 1)
    text = text.replace(cost, "cost_per_troop_week_usd: *cost", 1)
    assert "&cost" in text and "*cost" in text
    scenario = check_file(write(tmp_path, text))
    assert isinstance(scenario, Scenario)
    mandates = [r for r in scenario.relations if r.kind == "peacekeeping"]
    assert mandates[0].cost_per_troop_week_usd == mandates[1].cost_per_troop_week_usd


@pytest.mark.parametrize("depth", [101, 500, 5000])
def test_deep_nesting_is_refused(tmp_path, depth):
    text = BASELINE + "deep: " + "[" * depth + "]" * depth + "\n"
    refused(write(tmp_path, text), "nested")


@pytest.mark.parametrize(
    "raw",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\x00" * 100,
        b"\xff\xfe" + BASELINE.encode("utf-16-le"),
        b"PK\x03\x04" + os.urandom(200),
        bytes(range(256)),
        BASELINE.encode() + b"\xc3\x28",
    ],
    ids=["png", "zeros", "utf16", "zip", "all-bytes", "bad-utf8-at-end"],
)
def test_binary_garbage_is_refused(tmp_path, raw):
    refused(write(tmp_path, raw))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("- a\n- b\n", "expected a mapping"),
        ("just text\n", "expected a mapping"),
        ("42\n", "expected a mapping"),
        ("null\n", "expected a mapping"),
        ("", "empty"),
        ("---\n", "empty"),
        ("# only a comment\n", "empty"),
        ("!!python/object/apply:os.system ['true']\n", "expected a mapping"),
    ],
)
def test_a_root_that_is_not_a_mapping(tmp_path, text, says):
    refused(write(tmp_path, text), says, line=1)


@pytest.mark.parametrize("at", range(len(python_tags(Path("m")))))
@pytest.mark.parametrize("where", ["value", "key", "item", "nested", "merge"])
def test_python_tags_are_refused_and_run_nothing(tmp_path, at, where):
    marker = tmp_path / "pwned"
    tag = python_tags(marker)[at]
    texts = {
        "value": edit("title:", f"title: {tag}\nold_title:"),
        "key": edit("step: week", f"? {tag}\n: week"),
        "item": edit("actors:\n", f"actors:\n  - {tag}\n"),
        "nested": edit("  SIPRI:", f"  evil: {{a: [{tag}]}}\n  SIPRI:"),
        "merge": "base: &base {x: " + tag + "}\n" + edit("focus: {", "focus: {<<: *base, "),
    }
    path = write(tmp_path, texts[where])
    result = run_cli("run", path, "-r", "2", "-o", tmp_path / "out", "-q", "--no-figures")
    assert result.exit_code == 2, result.stderr
    # a tagged list or mapping used as a key is refused as a key before its tag is looked at
    nested = "[" in tag or "{" in tag
    says = "cannot be used as a key" if where == "key" and nested else "tags are not allowed"
    assert says in result.stderr
    refused(path, says)
    assert not marker.exists(), "a YAML tag ran code"
    assert not (tmp_path / "out").exists() and temporary_folders(tmp_path) == []


def test_a_python_tag_in_an_extended_file_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    write(tmp_path, edit("title:", f"title: {python_tags(marker)[0]}\nold_title:"), "parent.yaml")
    child = write(tmp_path, "extends: parent.yaml\nname: child\n", "child.yaml")
    outcome = load_or_problems(child, files={child, tmp_path / "parent.yaml", *BUNDLED})
    assert isinstance(outcome, ScenarioError)
    assert Path(outcome.problems[0].file).name == "parent.yaml"
    assert not marker.exists()


@pytest.mark.parametrize("tag", [0, 2, 4])
def test_python_tags_in_set_values_are_refused_on_one_line(tmp_path, tag):
    """``--set`` values are read with a SafeLoader: tags are refused. The message must stay on
    one line like every other problem (it quotes PyYAML's multi-line error today)."""
    marker = tmp_path / "pwned"
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", [f"title={python_tags(marker)[tag]}"])
    assert not marker.exists()
    for problem in info.value.problems:
        assert "\n" not in str(problem), str(problem)


HUGE = "9" * 400


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("troops: 1960 ", f"troops: {HUGE} ", "relations[peacekeeping].troops"),
        ("gdp_busd: 1493.08", f"gdp_busd: {HUGE}", "actors[Russia].gdp_busd"),
        ("credibility: 0.745", f"credibility: -{HUGE}", "trust.credibility"),
        ("troops: 1960 ", "troops: 1e999 ", "relations[peacekeeping].troops"),
        ("troops: 1960 ", "troops: .nan ", "relations[peacekeeping].troops"),
        ("troops: 1960 ", "troops: -.inf ", "relations[peacekeeping].troops"),
        ("troops: 1960 ", "troops: -1960 ", "relations[peacekeeping].troops"),
        ("horizon_years: 5", f"horizon_years: {HUGE}", "horizon_years"),
        ("horizon_years: 5", "horizon_years: .inf", "horizon_years"),
        ("horizon_years: 5", "horizon_years: .nan", "horizon_years"),
        ("horizon_years: 5", "horizon_years: -5", "horizon_years"),
        ("term_years: 5 ", "term_years: .nan ", "relations[peacekeeping].term_years"),
        ("notice_months: 6 ", "notice_months: .inf ", "relations[peacekeeping].notice_months"),
        ("{dist: uniform, low: 0.2, high: 0.6}", "{dist: uniform, low: .nan, high: 0.6}",
         "actors[Russia].resolve"),
        ("{dist: uniform, low: 0.2, high: 0.6}", "{dist: normal, mean: 0.4, sd: .nan}",
         "actors[Russia].resolve.sd"),
        ("{dist: uniform, low: 0.2, high: 0.6}", f"{{dist: uniform, low: 0.2, high: {HUGE}}}",
         "actors[Russia].resolve"),
    ],
)  # fmt: skip
def test_huge_and_non_finite_numbers_are_refused(tmp_path, old, new, key):
    """``10**400`` written as digits raised OverflowError in distributions._parse_param
    (``math.isfinite`` of a huge int) instead of a ScenarioError."""
    text = BASELINE.replace(old, new, 1)
    assert text != BASELINE
    err = refused(write(tmp_path, text))
    assert len(err.problems) == 1 and err.problems[0].key.startswith(key), str(err)


def unbounded_parameters() -> list[str]:
    """``--set`` paths of every numeric parameter of the baseline without an upper bound."""
    from hegemon.scenario import schema as sc
    from hegemon.scenario.distributions import Bounds

    def upper(model: Any, field: str) -> float | None:
        """The upper bound of a one-number parameter (None for anything else)."""
        info = model.model_fields[field]
        for meta in info.metadata:
            if isinstance(getattr(meta, "func", None), Bounds):
                return meta.func.hi
        return None

    sections = {
        "actors.Russia": sc.Power,
        "actors.Armenia": sc.LocalState,
        "relations.csto": sc.Alliance,
        "relations.turkish_arms": sc.ArmsSupport,
        "relations.peacekeeping": sc.Peacekeeping,
        "conflict": sc.Conflict,
        "influence": sc.Influence,
        "trust": sc.Trust,
        "war": sc.War,
        "decisions": sc.Decisions,
        "exit": sc.Exit,
        "attention": sc.Attention,
        "coercion": sc.Coercion,
    }
    return [
        f"{where}.{field}"
        for where, model in sections.items()
        for field in model.model_fields
        if upper(model, field) == math.inf
    ]


@pytest.mark.parametrize("path", unbounded_parameters())
def test_1e308_in_any_parameter_is_refused_or_runs_to_finite_tables(path):
    """A parameter with no upper bound accepts 1e308; the run must then stay finite and its
    summary right (the fixed-point sums of store.fixed_point_sum overflow int64 above about
    2.2e15 / replicates and silently give a mean of 0). Upper bounds in the schema would
    turn each of these into a ScenarioError."""
    try:
        scenario = load_scenario("baseline", [f"{path}=1.0e308"])
    except ScenarioError as err:
        assert all("\n" not in str(p) for p in err.problems)
        return
    tiny_run(scenario)


@pytest.mark.parametrize(
    "override",
    [
        f"actors.Russia.resolve={HUGE}",
        "start=9999-12-01",
        "title=" + "[" * 3000 + "]" * 3000,
    ],
    ids=["huge-int", "date-out-of-range", "deep-nesting"],
)
def test_set_values_give_a_scenario_error(override):
    """``--set`` goes through the same checks as files: a huge integer (OverflowError), a start
    whose horizon passes year 9999 (ValueError from Scenario.end) and deep nesting
    (RecursionError from yaml.load in apply_override) must each be one ScenarioError."""
    with time_limit(TIME_LIMIT), pytest.raises(ScenarioError) as info:
        load_scenario("baseline", [override])
    for problem in info.value.problems:
        assert "\n" not in str(problem)


def test_an_alias_bomb_in_a_set_value_is_refused_with_bounded_memory():
    """``--set`` values are not subject to the node limit of files: the error message renders
    the fully expanded input (yamldoc._show -> repr), so a 150-character value needs
    gigabytes. Run in a child process with 1.5 GB of address space."""
    levels = [
        f"&{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefg", "bcdefgh", strict=True)
    ]
    value = "[" + ", ".join(["&a [1,1,1,1,1,1,1,1,1]", *levels]) + "]"  # 9**8 ones
    assert len(value) < 400
    limit = 1536 * 1024 * 1024

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = subprocess.run(
        [sys.executable, "-m", "hegemon", "validate", "baseline", "--set", f"title={value}"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=cap,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    assert all(line.startswith("error: ") for line in proc.stderr.splitlines())


def baseline_with(**changes: Any) -> str:
    data = yaml.safe_load(BASELINE)
    for dotted, value in changes.items():
        *head, last = dotted.split("__")
        target = data
        for part in head:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@pytest.mark.parametrize(
    "changes",
    [
        {"events__0__date": dt.date(2020, 11, 9)},  # the day before the start
        {"events__5__date": dt.date(1, 1, 1)},
        {"until": dt.date(2019, 1, 1)},
        {"until": dt.date(2020, 11, 10)},
    ],
    ids=["event-day-before", "event-year-1", "until-before-start", "until-at-start"],
)
def test_dates_before_the_start_are_refused(tmp_path, changes):
    refused(write(tmp_path, baseline_with(**changes)), "after")


@pytest.mark.parametrize(
    "changes",
    [
        {"events__5__date": dt.date(2030, 1, 1)},  # past the horizon: ignored
        {"events__5__date": dt.date(9999, 12, 31)},
        {"until": dt.date(2021, 11, 10), "horizon_years": None},
        {"relations__3__start": dt.date(2019, 11, 10)},
        {"relations__3__start": dt.date(2024, 1, 1)},
    ],
    ids=["event-past-horizon", "event-year-9999", "until-1y", "mandate-1y-early",
         "mandate-later"],
)  # fmt: skip
def test_dates_within_reason_give_a_scenario_that_runs(tmp_path, changes):
    assert isinstance(check_file(write(tmp_path, baseline_with(**changes))), Scenario)


@pytest.mark.parametrize(
    "changes",
    [
        {"start": dt.date(9999, 12, 1)},  # ValueError in Scenario.end (schema.py)
        {"start": dt.date(9999, 12, 1), "events": []},
        {"until": dt.date(9999, 1, 1)},  # 415,000 weekly steps
        {"until": dt.date(2300, 1, 1)},  # 14,565 steps, and dates past pandas' range
        {"start": dt.date(1600, 1, 1), "events": []},  # dates before pandas' range
        {"start": dt.date(2500, 1, 1), "events": []},  # dates after pandas' range
        {"relations__3__start": dt.date(1, 1, 1)},  # RecursionError in MandateTerm
        {"relations__3__start": dt.date(1800, 1, 1), "relations__3__term_years": 0.5},
        {"relations__3__start": dt.date(9999, 12, 31)},  # OverflowError in MandateTerm
    ],
    ids=[
        "start-9999",
        "start-9999-no-events",
        "until-9999",
        "until-2300",
        "start-1600",
        "start-2500",
        "mandate-from-year-1",
        "mandate-from-1800-half-year-terms",
        "mandate-from-9999",
    ],
)
def test_extreme_dates_are_refused_or_run(tmp_path, changes):
    """Dates far from the start are valid dates, so they must be refused with a located
    problem or run correctly. Today they raise ValueError, OverflowError or RecursionError,
    run for 400,000 steps, or write wrong dates (numpy datetime64[ns] wraps around outside
    1677-2262)."""
    check_file(write(tmp_path, baseline_with(**changes)))


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "Ռուսաստանի կառավարվող անկումը 🇦🇲 " * 3},
        {"description": "ю" * 1_000_000},
        {"actors__0__description": "\u202eright-to-left\u202c and \u200bzero-width"},
        {"sources": {"Ереван": "источник", "emoji 🙂": "x" * 10_000}},
        {"name": "a" * 80},
        {"actors__0__name": "A" + "b" * 79},
    ],
    ids=["armenian-title", "long-description", "bidi", "unicode-keys", "long-name", "long-actor"],
)
def test_unicode_and_long_text_is_fine(tmp_path, changes):
    text = baseline_with(**changes)
    if "actors__0__name" in changes:  # rename Russia everywhere it is referenced
        text = text.replace("Russia", changes["actors__0__name"])
    assert isinstance(check_file(write(tmp_path, text)), Scenario)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"name": "a" * 81}, "at most 80"),
        ({"name": "Ереван"}, "matching"),
        ({"name": "x" * 100_000}, "at most 80"),
        ({"actors__0__name": "Rus\u0000sia"}, "matching"),
        ({"actors__0__name": "🇷🇺"}, "matching"),
        ({"relations__0__id": "csto " * 100}, "at most 80"),
    ],
    ids=["name-81", "name-cyrillic", "name-100k", "nul-in-name", "emoji-name", "long-id"],
)
def test_unicode_and_long_names_are_refused_on_one_line(tmp_path, changes, says):
    err = refused(write(tmp_path, baseline_with(**changes)), says)
    for problem in err.problems:
        assert len(str(problem)) < 1000, "the message quotes the whole value"


@pytest.mark.parametrize(
    "changes",
    [
        {"relations__3__troops": -1},
        {"events__3__troops": -60},
        {"actors__0__military_budget_musd": -61712.5},
        {"events": [{"id": "x", "date": START, "kind": "budget_shock", "actor": "Russia",
                     "factor": 0.5, "weeks": -3}]},
        {"events": [{"id": "x", "date": START, "kind": "budget_shock", "actor": "Russia",
                     "factor": 0.5, "weeks": 0}]},
        {"actors": []},
        {"conflict__sides": ["Armenia"]},
    ],
    ids=["troops", "deploy", "budget", "weeks", "zero-weeks", "no-actors", "one-side"],
)  # fmt: skip
def test_negative_counts_are_refused(tmp_path, changes):
    refused(write(tmp_path, baseline_with(**changes)))


# ---------------------------------------------------------------------- safe paths: extends


@pytest.fixture
def folders(tmp_path) -> tuple[Path, Path]:
    """(project folder, a folder beside it) with a valid parent scenario in each."""
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (project / "parent.yaml").write_text(BASELINE)
    (outside / "other.yaml").write_text(BASELINE)
    return project, outside


def child(folder: Path, ref: str, name: str = "child.yaml", extra: str = "") -> Path:
    return write(folder, f"extends: {ref}\nname: child\n{extra}", name)


def refused_extends(path: Path, says: str, **kwargs: Any) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, **kwargs)
    problems = info.value.problems
    assert len(problems) == 1, problems
    assert problems[0].key is not None and problems[0].line is not None
    assert says in problems[0].message, str(problems[0])
    assert "\n" not in str(problems[0])


def test_extends_a_bundled_scenario_or_a_file_in_the_folder(folders):
    project, _ = folders
    assert load_scenario(child(project, "baseline")).name == "child"
    assert load_scenario(child(project, "parent.yaml", "b.yaml")).name == "child"
    (project / "sub").mkdir()
    (project / "sub" / "deeper.yaml").write_text(BASELINE)
    assert load_scenario(child(project, "sub/deeper.yaml", "c.yaml")).name == "child"


def test_extends_outside_the_folder_is_refused_unless_allowed(folders):
    project, outside = folders
    (project / "sub").mkdir()
    refs = ["../outside/other.yaml", str(outside / "other.yaml"), "sub/../../outside/other.yaml"]
    for n, ref in enumerate(refs):
        path = child(project, ref, f"c{n}.yaml")
        refused_extends(path, "outside the folder")
        assert load_scenario(path, allow_outside=True).name == "child"
        result = run_cli("validate", path)
        assert result.exit_code == 2 and "--allow-outside" in result.stderr
        assert run_cli("validate", path, "--allow-outside").exit_code == 0


def test_a_symlink_inside_the_folder_that_points_outside_is_refused(folders):
    project, outside = folders
    (project / "link.yaml").symlink_to(outside / "other.yaml")
    (project / "linkdir").symlink_to(outside)
    refused_extends(child(project, "link.yaml"), "outside the folder")
    refused_extends(child(project, "linkdir/other.yaml", "d.yaml"), "outside the folder")
    assert load_scenario(project / "child.yaml", allow_outside=True).name == "child"


def test_a_symlink_inside_the_folder_to_a_device_is_refused(folders):
    project, _ = folders
    (project / "zero.yaml").symlink_to("/dev/zero")
    with time_limit(10):
        refused_extends(child(project, "zero.yaml"), "outside the folder")
        refused_extends(child(project, "zero.yaml"), "no scenario", allow_outside=True)


def test_a_symlink_within_the_folder_is_followed(folders):
    project, _ = folders
    (project / "alias.yaml").symlink_to(project / "parent.yaml")
    assert load_scenario(child(project, "alias.yaml")).name == "child"


def test_extends_cycles_are_refused(folders):
    project, _ = folders
    child(project, "b.yaml", "a.yaml")
    child(project, "a.yaml", "b.yaml")
    refused_extends(project / "a.yaml", "extends itself")
    refused_extends(child(project, "self.yaml", "self.yaml"), "extends itself")
    (project / "loop.yaml").symlink_to(project / "self.yaml")
    refused_extends(child(project, "loop.yaml", "via-link.yaml"), "extends itself")


def test_a_missing_parent_is_refused(folders):
    project, _ = folders
    refused_extends(child(project, "nothere.yaml"), "no scenario 'nothere.yaml'")
    refused_extends(child(project, "baselin", "b.yaml"), "no scenario 'baselin'")
    refused_extends(child(project, "../baseline", "c.yaml"), "no scenario")
    (project / "dir.yaml").mkdir()
    refused_extends(child(project, "dir.yaml", "d.yaml"), "no scenario")
    os.mkfifo(project / "fifo.yaml")
    with time_limit(10):
        refused_extends(child(project, "fifo.yaml", "e.yaml"), "no scenario")


@pytest.mark.parametrize("value", ["5", "[a, b]", "{a: 1}", "''", "null"])
def test_extends_must_be_a_name_or_a_path(folders, value):
    project, _ = folders
    path = child(project, value)
    if value == "null":  # extends: null is no parent, and then the file misses keys
        assert isinstance(load_or_problems(path), ScenarioError)
        return
    refused_extends(path, "expected a scenario name or a path")


@pytest.mark.parametrize(
    "ref",
    ['"a\\0.yaml"', '"' + "a" * 5000 + '.yaml"', '"' + "a" * 5000 + '"', '"a\\0"'],
    ids=["nul-yaml", "long-yaml", "long-name", "nul-name"],
)
def test_odd_extends_values_give_a_scenario_error(folders, ref):
    """A NUL byte raised ValueError (loader._parent_path: ``candidate.resolve()``), a name
    longer than the file system allows raised OSError ENAMETOOLONG (``is_file()``)."""
    project, _ = folders
    outcome = load_or_problems(child(project, ref), files={project / "child.yaml"})
    assert isinstance(outcome, ScenarioError)


@pytest.mark.parametrize(
    ("section", "item"),
    [
        ("actors", "{name: Iran, remove: true}"),
        ("relations", "{id: iran_pact, remove: true}"),
        ("events", "{id: nothing, remove: true}"),
    ],
)
def test_removing_an_item_that_does_not_exist_is_refused(folders, section, item):
    project, _ = folders
    path = child(project, "baseline", extra=f"{section}:\n  - {item}\n")
    refused_extends(path, "cannot remove")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems[0].line == 4  # the item's line in the child


@pytest.mark.parametrize(
    "item",
    ["{name: [1], remove: true}", "{name: {a: 1}, remove: true}", "{name: [Russia]}"],
    ids=["list-name-removed", "mapping-name-removed", "list-name"],
)
def test_an_item_named_by_a_list_or_mapping_gives_a_scenario_error(folders, item):
    """loader.merge_items looks names up in a dict: an unhashable name raised TypeError."""
    project, _ = folders
    path = child(project, "baseline", extra=f"actors:\n  - {item}\n")
    assert isinstance(load_or_problems(path, files={path, *BUNDLED}), ScenarioError)


def test_removing_an_existing_item_works(folders):
    project, _ = folders
    path = child(project, "baseline", extra="events:\n  - {id: aghdam, remove: true}\n")
    assert "aghdam" not in [e.id for e in load_scenario(path).events]


def test_a_long_chain_of_extends_gives_a_clear_error(folders):
    """1,200 files each extending the next exhaust the recursion limit; the loader reports
    "the document is nested too deeply" about a two-line file. A chain limit would say what
    is wrong."""
    project, _ = folders
    for i in range(1200):
        child(project, f"chain{i + 1}.yaml", f"chain{i}.yaml")
    (project / "chain1200.yaml").write_text(BASELINE)
    with time_limit(TIME_LIMIT), pytest.raises(ScenarioError) as info:
        load_scenario(project / "chain0.yaml")
    assert "extends" in str(info.value), str(info.value)


def test_mutated_children_of_bundled_scenarios_still_resolve_their_parent(tmp_path):
    """The bundled scenarios that extend another, copied elsewhere, still find it by name."""
    children = [name for name, data in DATA.items() if data.get("extends")]
    assert children, "no bundled scenario extends another: the mutations miss a case"
    for name in children:
        path = write(tmp_path, TEXTS[name], name)
        assert load_scenario(path).name == DATA[name]["name"]


# ------------------------------------------------------------------ helpers of this module


def test_time_limit_interrupts_a_hang():
    with pytest.raises(Hang), time_limit(0.2):
        while True:
            pass


def test_problem_lines_are_checked():
    good = Problem(Path("f.yaml"), 3, "a.b", "expected a number")
    check_problem(good, {Path("f.yaml")}, {Path("f.yaml"): 10})
    for bad in (
        Problem(Path("f.yaml"), None, "a", "m"),
        Problem(Path("f.yaml"), 11, "a", "m"),
        Problem(Path("f.yaml"), 1, "a", "two\nlines"),
        Problem(Path("g.yaml"), 1, "a", "m"),
    ):
        with pytest.raises(AssertionError):
            check_problem(bad, {Path("f.yaml")}, {Path("f.yaml"): 10})

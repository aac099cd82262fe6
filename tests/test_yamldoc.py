"""Tests for hegemon.scenario.yamldoc: safe YAML reading, origins and validation messages."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Annotated, Literal

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hegemon.errors import Problem, ScenarioError
from hegemon.scenario import yamldoc
from hegemon.scenario.yamldoc import (
    YamlDoc,
    key_name,
    locate,
    problems_from_validation,
    read_yaml,
)

# --------------------------------------------------------------------------- helpers


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read_error(path: Path, text: str | None = None) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        read_yaml(path, text)
    return info.value


def assert_one_line(err: ScenarioError, path: Path, line: int) -> str:
    """The error is one problem, rendered as one line `path:line: ...`; returns the message."""
    text = str(err)
    assert "\n" not in text, text
    assert len(err.problems) == 1
    assert text.startswith(f"{path}:{line}: "), text
    return err.problems[0].message


NESTED = """\
# a comment
name: test
start: 2020-11-10
actors:
  - name: Russia
    kind: power
    resolve: 0.8
  - name: Armenia
    kind: local
    stance: pro
settings:
  inner:
    deep: [1, 2,
      3]
"""


# --------------------------------------------------------------------------- reading


def test_origins_for_nested_keys_and_list_items(tmp_path: Path) -> None:
    path = write(tmp_path, NESTED)
    doc = read_yaml(path)
    assert isinstance(doc, YamlDoc)
    assert doc.path == path
    assert doc.origins[()] == (path, 1)
    expected = {
        ("name",): 2,
        ("start",): 3,
        ("actors",): 4,
        ("actors", 0): 5,
        ("actors", 0, "name"): 5,
        ("actors", 0, "resolve"): 7,
        ("actors", 1): 8,
        ("actors", 1, "kind"): 9,
        ("actors", 1, "stance"): 10,
        ("settings", "inner"): 12,
        ("settings", "inner", "deep"): 13,
        ("settings", "inner", "deep", 2): 14,
    }
    for key, line in expected.items():
        assert doc.origins[key] == (path, line), key
    assert doc.data["actors"][1] == {"name": "Armenia", "kind": "local", "stance": "pro"}
    assert doc.data["start"] == dt.date(2020, 11, 10)


def test_text_argument_is_parsed_but_path_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "not-on-disk.yaml"
    doc = read_yaml(path, "a: 1\n")
    assert doc.data == {"a": 1}
    assert doc.origins[("a",)] == (path, 1)
    err = read_error(path, "a: [1\n")
    assert str(err).startswith(f"{path}:")


def test_scalars_are_plain_python_values(tmp_path: Path) -> None:
    text = (
        "f1: 1e3\nf2: 5e-1\nf3: 2.5E+3\nf4: 2.5e3\nf5: -1E2\nf6: 0.25\n"
        "i: 12\nb: true\nn: null\ne:\ns: hello\nq: '1e3'\nd: 2020-11-10\nbad_date: 2020-13-45\n"
    )
    data = read_yaml(write(tmp_path, text)).data
    assert data["f1"] == 1000.0 and isinstance(data["f1"], float)
    assert data["f2"] == 0.5 and isinstance(data["f2"], float)
    assert data["f3"] == 2500.0 and data["f4"] == 2500.0 and data["f5"] == -100.0
    assert data["f6"] == 0.25
    assert data["i"] == 12 and isinstance(data["i"], int)
    assert data["b"] is True and data["n"] is None and data["e"] is None
    assert data["s"] == "hello" and data["q"] == "1e3"
    assert data["d"] == dt.date(2020, 11, 10)
    assert data["bad_date"] == "2020-13-45"  # left for the schema to report
    # PyYAML's own SafeLoader is not modified by our resolver.
    assert yaml.safe_load("x: 1e3") == {"x": "1e3"}


def test_scalar_keys_are_stringified(tmp_path: Path) -> None:
    data = read_yaml(write(tmp_path, "1: one\ntrue: yes\n2020-01-01: d\n")).data
    assert data == {"1": "one", "true": True, "2020-01-01": "d"}


def test_keys_equal_as_values_stay_distinct(tmp_path: Path) -> None:
    # 1, 1.0, 0x1 and true are equal as Python values: kept apart by the text as written
    path = write(tmp_path, "1: a\n1.0: b\n0x1: c\ntrue: d\n~: e\n")
    doc = read_yaml(path)
    assert doc.data == {"1": "a", "1.0": "b", "0x1": "c", "true": "d", "~": "e"}
    assert [doc.origins[(key,)] for key in doc.data] == [(path, line) for line in range(1, 6)]


def test_number_spellings_resolve_as_yaml_1_1_with_dotless_floats(tmp_path: Path) -> None:
    text = "a: .5e3\nb: -.5e3\nc: +_\nd: ._\ne: =\nf: 0100\ng: 1:30\nh: yes\ni: 0o17\nj: 1_000\n"
    data = read_yaml(write(tmp_path, text)).data
    assert data == {
        "a": 500.0,
        "b": -500.0,
        "c": "+_",
        "d": "._",
        "e": "=",
        "f": 64,
        "g": 90,
        "h": True,
        "i": "0o17",
        "j": 1000,
    }
    assert all(type(v) in (float, int, str, bool) for v in data.values())
    assert type(data["a"]) is float and type(data["f"]) is int


def test_anchors_and_merge_keys(tmp_path: Path) -> None:
    text = """\
base: &base
  resolve: 0.5
  kind: power
actors:
  - <<: *base
    name: Russia
    resolve: 0.9
  - <<: [*base, {stance: pro}]
    name: Turkey
copy: *base
"""
    path = write(tmp_path, text)
    doc = read_yaml(path)
    assert doc.data["actors"][0] == {"name": "Russia", "resolve": 0.9, "kind": "power"}
    assert doc.data["actors"][1] == {
        "name": "Turkey",
        "resolve": 0.5,
        "kind": "power",
        "stance": "pro",
    }
    assert doc.data["copy"] == {"resolve": 0.5, "kind": "power"}
    assert doc.origins[("actors", 0, "resolve")] == (path, 7)  # the explicit key wins
    assert doc.origins[("actors", 1, "kind")] == (path, 3)  # merged from the anchor


# --------------------------------------------------------------------------- read errors

ERROR_CASES = [
    # (id, text, line, message fragment)
    ("syntax", "a: 1\nb: [1, 2\nc: 3\n", 3, "invalid YAML"),
    ("mapping-values", "a: b: c\n", 1, "invalid YAML: mapping values are not allowed"),
    ("tab", "a:\n\t- 1\n", 2, "invalid YAML"),
    ("empty", "", 1, "the file is empty; expected a mapping of scenario keys"),
    ("comments-only", "# nothing\n\n# here\n", 1, "the file is empty"),
    ("bare-document", "---\n", 1, "the file is empty"),
    ("root-list", "- a\n- b\n", 1, "expected a mapping of scenario keys"),
    ("root-scalar", "hello\n", 1, "expected a mapping of scenario keys"),
    ("duplicate", "a: 1\nb:\n  x: 1\n  y: 2\n  x: 3\n", 5, "duplicate key 'x' (first at line 3)"),
    ("duplicate-top", "a: 1\na: 2\n", 2, "duplicate key 'a' (first at line 1)"),
    ("python-tag", "a: !!python/object/apply:os.system ['echo hi']\n", 1, "tags are not allowed"),
    ("python-name", "a: !!python/name:os.system ''\n", 1, "tags are not allowed"),
    ("local-tag", "a: 1\nb: !custom x\n", 2, "tags are not allowed"),
    ("set-tag", "a: !!set {x, y}\n", 1, "tags are not allowed"),
    ("tagged-key", "!!python/str a: 1\n", 1, "tags are not allowed"),
    ("bad-explicit-int", "a: !!int abc\n", 1, "cannot read 'abc' as !!int"),
    ("complex-key", "? [a, b]\n: 1\n", 1, "cannot be used as a key"),
    ("mapping-key", "{a: 1}: 2\n", 1, "cannot be used as a key"),
    ("two-documents", "a: 1\n---\nb: 2\n", 2, "more than one YAML document"),
    ("undefined-alias", "a: 1\nb: *nope\n", 2, "undefined alias"),
    ("recursive-alias", "a: &x [1, *x]\n", 1, "refers to itself"),
    ("recursive-merge", "a: &x {b: 1, <<: *x}\n", 1, "refers to itself"),
    ("bad-merge", "a: &x 1\nb:\n  <<: *x\n", 3, "merge key"),
    ("control-char", "a: 1\nb: \x01\n", 2, "non-printable character"),
    ("nul", "a: \x00\n", 1, "non-printable character"),
    ("too-deep", "a: " + "[" * 150 + "]" * 150 + "\n", 1, "nested more than"),
    ("too-deep-composer", "a: " + "[" * 3000 + "]" * 3000 + "\n", 1, "nested too deeply"),
]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_read_errors_are_one_line_with_file_and_line(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    path = write(tmp_path, text)
    message = assert_one_line(read_error(path), path, line)
    assert fragment in message


def test_duplicate_key_names_the_key_path(tmp_path: Path) -> None:
    path = write(tmp_path, "actors:\n  - name: a\n    name: b\n")
    err = read_error(path)
    assert err.problems[0].key == "actors[a].name"  # a list item is named by its name


def test_python_tag_is_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = write(tmp_path, f"a: !!python/object/apply:os.system ['touch {marker}']\n")
    assert_one_line(read_error(path), path, 1)
    assert not marker.exists()


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    assert "does not exist" in assert_one_line(read_error(path), path, 1)


def test_directory(tmp_path: Path) -> None:
    assert "directory" in assert_one_line(read_error(tmp_path), tmp_path, 1)


def test_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "garbage.yaml"
    path.write_bytes(b"a: 1\n" + bytes(range(256)) * 8)
    message = assert_one_line(read_error(path), path, 3)  # bytes 0..9 end with b"\n"
    assert "not UTF-8" in message


def test_binary_that_is_valid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "zeros.yaml"
    path.write_bytes(b"\x00" * 64)
    assert "non-printable" in assert_one_line(read_error(path), path, 1)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffname: Ереван\n".encode())
    assert read_yaml(path).data == {"name": "Ереван"}


def test_file_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamldoc, "MAX_BYTES", 1000)
    path = write(tmp_path, "a: " + "x" * 2000 + "\n")
    assert "larger than" in assert_one_line(read_error(path), path, 1)
    assert "larger than" in assert_one_line(read_error(path, path.read_text()), path, 1)


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for name in "bcdefghij":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    path = write(tmp_path, "\n".join(lines) + "\n")
    start = time.perf_counter()
    err = read_error(path)
    assert time.perf_counter() - start < 5
    assert "\n" not in str(err)
    assert re.match(rf"{re.escape(str(path))}:\d+: ", str(err))
    assert "alias" in err.problems[0].message


def test_many_aliases_below_the_limit_are_fine(tmp_path: Path) -> None:
    path = write(tmp_path, "base: &b {x: 1, y: 2}\nitems: [" + ", ".join(["*b"] * 200) + "]\n")
    assert len(read_yaml(path).data["items"]) == 200


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_any_text_gives_a_doc_or_a_scenario_error(text: str) -> None:
    try:
        doc = read_yaml("fuzz.yaml", text)
    except ScenarioError as err:
        assert len(err.problems) == 1 and "\n" not in str(err)
        assert str(err).startswith("fuzz.yaml:")
    else:
        assert isinstance(doc.data, dict)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_give_a_doc_or_a_scenario_error(raw: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        path.write_bytes(raw)
        try:
            read_yaml(path)
        except ScenarioError as err:
            assert "\n" not in str(err)


# --------------------------------------------------------------------------- locate / key_name


def test_locate_and_key_name_skip_union_tags(tmp_path: Path) -> None:
    path = write(tmp_path, NESTED)
    doc = read_yaml(path)
    assert locate(doc, ("actors", 0, "power", "resolve")) == (path, 7)
    assert key_name(doc, ("actors", 0, "power", "resolve")) == "actors[Russia].resolve"
    assert key_name(doc, ("actors", 1, "function-after[check(), Local]", "stance")) == (
        "actors[Armenia].stance"
    )
    # A key that is not in the data stops at its deepest existing parent.
    assert locate(doc, ("actors", 1, "missing")) == (path, 8)
    assert locate(doc, ()) == (path, 1)
    assert key_name(doc, ()) == ""
    assert key_name(doc, ("settings", "inner", "deep", 2)) == "settings.inner.deep[2]"
    assert locate(doc, ("nope",)) == (path, 1)


def test_key_name_uses_id_and_falls_back_to_index(tmp_path: Path) -> None:
    doc = read_yaml(write(tmp_path, "events:\n  - id: e1\n    x: 1\n  - x: 2\n  - id: 5\n"))
    assert key_name(doc, ("events", 0, "x")) == "events[e1].x"
    assert key_name(doc, ("events", 1, "x")) == "events[1].x"
    assert key_name(doc, ("events", 2)) == "events[2]"


# --------------------------------------------------------------------------- validation


class Power(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["power"]
    name: str
    resolve: float = Field(ge=0)


class Local(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["local"]
    name: str
    stance: Literal["pro", "anti", "neutral"]


Actor = Annotated[Power | Local, Field(discriminator="kind")]


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: dt.date
    label: str

    @field_validator("label")
    @classmethod
    def _not_tbd(cls, value: str) -> str:
        if value == "TBD":
            raise ValueError("label must be a real description, not 'TBD'")
        return value


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    start: dt.date
    steps: int = 10
    mode: int | str = 0
    actors: list[Actor]
    events: list[Event] = []


BAD = """\
name: test
start: 2020-11-10
steps: many
mode: [1]
colour: red
actors:
  - kind: power
    name: Russia
    resolve: -5
    resolv: 1
  - kind: local
    name: Armenia
    stance: maybe
  - kind: empire
    name: Rome
  - name: Nobody
events:
  - date: 2020-13-45
    label: ok
  - label: no date
  - date: 2021-01-01
    label: TBD
"""


def validate(doc: YamlDoc, model: type[BaseModel] | None = Scenario) -> dict[str, Problem]:
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate(doc.data)
    problems = problems_from_validation(doc, info.value, model=model)
    keys = [p.key for p in problems]
    assert len(keys) == len(set(keys)), "one problem per location"
    for problem in problems:
        assert "\n" not in str(problem)
        assert str(problem).startswith(f"{doc.path}:{problem.line}: {problem.key}: ")
    return {p.key: p for p in problems if p.key}


def test_problems_name_line_key_and_expectation(tmp_path: Path) -> None:
    path = write(tmp_path, BAD)
    problems = validate(read_yaml(path))

    def check(key: str, line: int, message: str) -> None:
        problem = problems[key]
        assert (problem.file, problem.line) == (path, line), problem
        assert problem.message == message, problem

    check("steps", 3, "expected an integer, got 'many'")
    check("mode", 4, "expected an integer or a string, got a list [1]")
    check("colour", 5, "unknown key (allowed: name, start, steps, mode, actors, events)")
    check("actors[Russia].resolve", 9, "expected a number >= 0, got -5")
    check(
        "actors[Russia].resolv",
        10,
        "unknown key (did you mean 'resolve'? allowed: kind, name, resolve)",
    )
    check("actors[Armenia].stance", 13, "expected one of 'pro', 'anti', 'neutral', got 'maybe'")
    check("actors[Rome].kind", 14, "expected one of 'power', 'local', got 'empire'")
    check(
        "actors[Nobody].kind",
        16,
        "required key is missing (expected one of 'power', 'local')",
    )
    assert problems["events[0].date"].line == 18
    assert problems["events[0].date"].message.startswith(
        "expected a date YYYY-MM-DD, got '2020-13-45'"
    )
    check("events[1].date", 20, "required key is missing")
    check("events[2].label", 22, "label must be a real description, not 'TBD'")
    assert str(problems["steps"]) == f"{path}:3: steps: expected an integer, got 'many'"


def test_problems_are_sorted_by_line(tmp_path: Path) -> None:
    doc = read_yaml(write(tmp_path, BAD))
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate(doc.data)
    lines = [p.line or 0 for p in problems_from_validation(doc, info.value)]
    assert lines == sorted(lines)


def test_problems_without_model_still_explain(tmp_path: Path) -> None:
    problems = validate(read_yaml(write(tmp_path, BAD)), model=None)
    assert problems["colour"].message == "unknown key"
    assert problems["actors[Nobody].kind"].message == "required key is missing"
    assert problems["actors[Russia].resolve"].message == "expected a number >= 0, got -5"


def test_missing_top_level_key_and_wrong_containers(tmp_path: Path) -> None:
    path = write(tmp_path, "name: [a]\nactors: {a: 1}\n")
    problems = validate(read_yaml(path))
    assert problems["start"].line == 1
    assert problems["start"].message == "required key is missing"
    assert problems["name"].message == "expected a string, got a list ['a']"
    assert problems["actors"].line == 2
    assert problems["actors"].message == "expected a list, got a mapping {'a': 1}"


def test_bool_and_date_in_string_field_hint_quotes(tmp_path: Path) -> None:
    path = write(tmp_path, "name: no\nstart: 2020-11-10\nactors: []\nevents:\n  - date: x\n")
    problems = validate(read_yaml(path))
    assert problems["name"].message == (
        "expected a string, got false (put it in quotes to make it text)"
    )
    assert problems["events[0].date"].message == "expected a date YYYY-MM-DD, got 'x'"
    assert problems["events[0].label"].line == 5


def test_long_inputs_are_truncated(tmp_path: Path) -> None:
    path = write(tmp_path, f"name: x\nstart: {'y' * 500}\nactors: []\n")
    message = validate(read_yaml(path))["start"].message
    assert message.endswith("...")
    assert len(message) < 120


class Knobs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    share: float = Field(default=0.5, gt=0, le=1)
    flag: bool = False
    tags: list[str] = Field(default=[], min_length=1)
    table: dict[str, int] = {}
    nothing: None = None
    when: dt.date = dt.date(2020, 1, 1)


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("share: 0", "share", "expected a number > 0, got 0"),
        ("share: 1.5", "share", "expected a number <= 1, got 1.5"),
        ("share: lots", "share", "expected a number, got 'lots'"),
        ("share: [1]", "share", "expected a number, got a list [1]"),
        ("flag: perhaps", "flag", "expected true or false, got 'perhaps'"),
        ("tags: []", "tags", "expected at least 1 item, got 0"),
        ("tags: x", "tags", "expected a list, got 'x'"),
        ("table: [1]", "table", "expected a mapping, got a list [1]"),
        ("table: {a: x}", "table.a", "expected an integer, got 'x'"),
        ("nothing: 1", "nothing", "expected null (no value), got 1"),
        ("when: 2020-02-30", "when", "expected a date YYYY-MM-DD, got '2020-02-30'"),
        ("when: 5", "when", "expected a date YYYY-MM-DD, got 5"),
    ],
)
def test_messages_by_error_type(tmp_path: Path, text: str, key: str, message: str) -> None:
    path = write(tmp_path, text + "\n")
    doc = read_yaml(path)
    with pytest.raises(ValidationError) as info:
        Knobs.model_validate(doc.data)
    (problem,) = problems_from_validation(doc, info.value, model=Knobs)
    assert problem.key == key
    assert problem.line == 1
    assert problem.message.startswith(message), problem.message


def test_model_level_error_has_no_key(tmp_path: Path) -> None:
    class Pair(BaseModel):
        a: int
        b: int

        @field_validator("b")
        @classmethod
        def _check(cls, value: int) -> int:
            return value

    doc = read_yaml(write(tmp_path, "a: 1\n"))
    with pytest.raises(ValidationError) as info:
        Pair.model_validate([1, 2])
    (problem,) = problems_from_validation(doc, info.value)
    assert problem.key is None and problem.line == 1
    assert str(problem).startswith(f"{doc.path}:1: expected a mapping of keys")

"""Read scenario YAML safely, remember where every key is, and explain validation errors.

Schema-independent: `read_yaml` turns a file into plain Python data plus a map from key
paths to line numbers, and `problems_from_validation` turns a pydantic `ValidationError`
for ANY model into one `file:line: key: message` line per problem.

Behaviour choices:

* Parsing uses PyYAML's composer over `yaml.SafeLoader`; the data is built here from the
  node tree, so only plain YAML values are produced (str, int, float, bool, None,
  datetime.date/datetime, list, dict). Any other tag (python/*, !!set, !!binary, local
  `!tags`) is refused.
* YAML 1.1 resolution as in PyYAML, except that floats without a dot (`1e3`, `5e-1`,
  `2.5e3`) are floats, not strings. A date-like scalar that is not a real date
  (`2020-13-45`) stays a string, so the schema can report it.
* Merge keys (`<<: *base`, or `<<: [*a, *b]`) are supported with YAML semantics: keys
  written in the mapping win over merged ones, and earlier merged mappings win over later.
* Limits: files over `MAX_BYTES` (5 MB), documents with more than `MAX_NODES` (100,000)
  nodes counting alias expansions ("billion laughs"), and nesting deeper than `MAX_DEPTH`
  are refused. Recursive aliases are refused.
* Scalar mapping keys that are not strings (`1: x`, `true: x`) become the text as written
  ("1", "true"); lists or mappings used as keys are refused. Duplicate keys are refused.
* Problems about the file as a whole (missing, unreadable, too large, empty) are reported
  at line 1 so every message has the same `file:line:` shape.

Why not ruamel.yaml (evaluated with 0.19): its round-trip loader has key lines in `.lc`, but
it builds the values before they can be checked: `1:` and `true:` keys collide as duplicates
(the text as written is lost), a non-date such as `2020-13-45` aborts the load, a recursive
alias quietly becomes None, `!!python/...` and local tags come back as tagged objects, merged
keys have no line, and its YAML 1.1 resolver reads `.5e3` as text and `+_` as a broken int.
Keeping today's values and messages would take a custom constructor plus a walk doing the
same limit checks, as much code as the builder below, so the reader stays on PyYAML's nodes.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import pydantic
import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hegemon.errors import Problem, ScenarioError

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "YamlDoc",
    "key_name",
    "locate",
    "problems_from_validation",
    "read_yaml",
]

MAX_BYTES = 5 * 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 100
_SHOW_CHARS = 60

_T = "tag:yaml.org,2002:"
_MAP, _SEQ, _STR, _MERGE, _VALUE, _TIMESTAMP = (
    _T + name for name in ("map", "seq", "str", "merge", "value", "timestamp")
)
_SCALAR_CONSTRUCTORS = {
    _T + "null": SafeConstructor.construct_yaml_null,
    _T + "bool": SafeConstructor.construct_yaml_bool,
    _T + "int": SafeConstructor.construct_yaml_int,
    _T + "float": SafeConstructor.construct_yaml_float,
    _T + "timestamp": SafeConstructor.construct_yaml_timestamp,
    _T + "str": SafeConstructor.construct_yaml_str,
    _VALUE: SafeConstructor.construct_yaml_str,  # a bare `=` is just text
}


class _Loader(yaml.SafeLoader):
    """SafeLoader whose resolver also reads `1e3`-style numbers as floats."""


_Loader.add_implicit_resolver(
    _T + "float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


@dataclass
class YamlDoc:
    """Plain data read from a YAML file, with the line of every key and list item."""

    data: dict[str, Any]
    origins: dict[tuple[str | int, ...], tuple[Path, int]]
    path: Path


class _Fail(Exception):
    """Internal: a problem found while reading, turned into a ScenarioError by read_yaml."""

    def __init__(self, line: int | None, message: str, key: str | None = None):
        super().__init__(message)
        self.line = line
        self.message = message
        self.key = key


# --------------------------------------------------------------------------- reading


def read_yaml(path: Path | str, text: str | None = None) -> YamlDoc:
    """Read a YAML mapping safely (text given: parse it, but report `path` in errors).

    Raises ScenarioError with a single Problem for anything that is not a readable,
    well-formed, reasonably sized YAML mapping.
    """
    file = Path(path)
    try:
        if text is None:
            text = _read_text(file)
        else:
            if len(text) > MAX_BYTES:
                raise _Fail(1, _too_large())
            text = text.removeprefix("\ufeff")
        root = _compose(text)
        if root is None or (isinstance(root, ScalarNode) and root.value == "" and not root.style):
            raise _Fail(1, "the file is empty; expected a mapping of scenario keys")
        if not isinstance(root, MappingNode):
            got = "a list" if isinstance(root, SequenceNode) else f"{root.value!r}"
            raise _Fail(
                _line(root),
                f"expected a mapping of scenario keys (`key: value` lines) at the top "
                f"level, got {_clip(got)}",
            )
        builder = _Builder(file)
        data = builder.build(root, (), 0)
    except _Fail as fail:
        raise ScenarioError([Problem(file, fail.line, fail.key, fail.message)]) from None
    return YamlDoc(data=data, origins=builder.origins, path=file)


def _too_large() -> str:
    return f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; refusing to read it"


def _read_text(file: Path) -> str:
    """Bytes of the file as UTF-8 text, or _Fail with a reason the user can act on."""
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise _Fail(1, "the file does not exist") from None
    except IsADirectoryError:
        raise _Fail(1, "this is a directory, not a YAML file") from None
    except PermissionError:
        raise _Fail(1, "cannot read the file: permission denied") from None
    except OSError as err:
        raise _Fail(1, f"cannot read the file: {err.strerror or err}") from None
    if len(raw) > MAX_BYTES:
        raise _Fail(1, _too_large())
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise _Fail(
            line,
            f"the file is not UTF-8 text (byte 0x{raw[err.start]:02x} at offset {err.start}); "
            f"is it a binary file?",
        ) from None


def _compose(text: str) -> Node | None:
    """The single document's node tree, or _Fail for syntax and reader errors."""
    loader = None
    try:
        loader = _Loader(text)
        return loader.get_single_node()
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        char = err.character if isinstance(err.character, str) else chr(err.character)
        raise _Fail(
            line,
            f"the file contains a non-printable character #x{ord(char):02x}; is it a binary file?",
        ) from None
    except yaml.composer.ComposerError as err:
        if err.context and err.context.startswith("expected a single document"):
            raise _Fail(
                _mark_line(err.problem_mark),
                "the file holds more than one YAML document ('---'); expected exactly one",
            ) from None
        raise _Fail(_mark_line(err.problem_mark), _yaml_message(err)) from None
    except yaml.MarkedYAMLError as err:
        raise _Fail(_mark_line(err.problem_mark), _yaml_message(err)) from None
    except yaml.YAMLError as err:
        raise _Fail(1, f"invalid YAML: {_one_line(str(err))}") from None
    except RecursionError:
        raise _Fail(1, "the document is nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()


def _mark_line(mark: Any) -> int:
    return mark.line + 1 if mark is not None else 1


def _yaml_message(err: yaml.MarkedYAMLError) -> str:
    problem = err.problem or "invalid syntax"
    if err.context:
        where = f" (line {err.context_mark.line + 1})" if err.context_mark is not None else ""
        return _one_line(f"invalid YAML: {problem}, {err.context}{where}")
    return _one_line(f"invalid YAML: {problem}")


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_T) :] if tag.startswith(_T) else tag


def _path_text(prefix: tuple[str | int, ...]) -> str | None:
    text = ""
    for seg in prefix:
        text = _join_key(text, seg)
    return _clip(text, 80) if text else None


def _item_path_text(prefix: tuple[str | int, ...], node: MappingNode) -> str | None:
    """Like _path_text, but a list item is named by its own name or id when it has one."""
    if prefix and isinstance(prefix[-1], int):
        for k, v in node.value:
            if (
                isinstance(k, ScalarNode)
                and k.value in ("name", "id")
                and isinstance(v, ScalarNode)
                and v.value
            ):
                return f"{_path_text(prefix[:-1]) or ''}[{_key_text(v.value)}]"
    return _path_text(prefix)


def load_value(text: str, origin: Path, key: str) -> Any:
    """A single YAML value (as given to ``--set KEY=VALUE``), read with the same rules and
    limits as files; problems are reported against ``origin`` and ``key``."""
    if "\n" in text or "\r" in text:
        raise ScenarioError([Problem(origin, None, key, "expected a value on one line")])
    try:
        doc = read_yaml(origin, text="value: " + text)
    except ScenarioError as err:
        raise ScenarioError([Problem(origin, None, key, p.message) for p in err.problems]) from None
    return doc.data.get("value")


class _Builder:
    """Builds plain data from a node tree, recording origins and enforcing the limits."""

    def __init__(self, file: Path):
        self.file = file
        self.origins: dict[tuple[str | int, ...], tuple[Path, int]] = {(): (file, 1)}
        self.count = 0
        self.active: set[int] = set()
        self.constructor = SafeConstructor()

    def tick(self, node: Node, prefix: tuple[str | int, ...]) -> None:
        self.count += 1
        if self.count > MAX_NODES:
            raise _Fail(
                _line(node),
                f"the document has more than {MAX_NODES:,} values once aliases are expanded; "
                f"refusing it (alias bomb?)",
                _path_text(prefix),
            )

    def enter(self, node: Node, prefix: tuple[str | int, ...]) -> None:
        if id(node) in self.active:
            raise _Fail(
                _line(node), "an alias refers to itself (recursive data)", _path_text(prefix)
            )
        self.active.add(id(node))

    def check_tag(self, node: Node, expected: str, prefix: tuple[str | int, ...]) -> None:
        if node.tag != expected:
            raise self.tag_error(node, prefix)

    def tag_error(self, node: Node, prefix: tuple[str | int, ...]) -> _Fail:
        return _Fail(
            _line(node),
            f"tags are not allowed (found {_short_tag(node.tag)!r}); use plain YAML values",
            _path_text(prefix),
        )

    def build(self, node: Node, prefix: tuple[str | int, ...], depth: int) -> Any:
        self.tick(node, prefix)
        if depth > MAX_DEPTH:
            raise _Fail(
                _line(node),
                f"the document is nested more than {MAX_DEPTH} levels deep",
                _path_text(prefix),
            )
        if isinstance(node, ScalarNode):
            return self.scalar(node, prefix)
        self.enter(node, prefix)
        try:
            if isinstance(node, SequenceNode):
                self.check_tag(node, _SEQ, prefix)
                items = []
                for index, item in enumerate(node.value):
                    here = (*prefix, index)
                    self.origins[here] = (self.file, _line(item))
                    items.append(self.build(item, here, depth + 1))
                return items
            self.check_tag(node, _MAP, prefix)
            mapping: dict[str, Any] = {}
            for key, key_node, value_node in self.pairs(node, prefix):
                here = (*prefix, key)
                self.origins[here] = (self.file, _line(key_node))
                mapping[key] = self.build(value_node, here, depth + 1)
            return mapping
        finally:
            self.active.discard(id(node))

    def scalar(self, node: ScalarNode, prefix: tuple[str | int, ...]) -> Any:
        construct = _SCALAR_CONSTRUCTORS.get(node.tag)
        if construct is None:
            raise self.tag_error(node, prefix)
        try:
            return construct(self.constructor, node)
        except Exception:
            if node.tag == _TIMESTAMP:  # looks like a date but is not one: let the schema say so
                return node.value
            raise _Fail(
                _line(node),
                f"cannot read {_clip(repr(node.value))} as {_short_tag(node.tag)}",
                _path_text(prefix),
            ) from None

    def key(self, node: Node, prefix: tuple[str | int, ...]) -> str:
        if not isinstance(node, ScalarNode):
            raise _Fail(
                _line(node),
                "a list or mapping cannot be used as a key; use a plain text key",
                _path_text(prefix),
            )
        if node.tag not in _SCALAR_CONSTRUCTORS:
            raise self.tag_error(node, prefix)
        return node.value  # non-string scalars keep the text as written: `1: x` -> "1"

    def pairs(
        self, node: MappingNode, prefix: tuple[str | int, ...]
    ) -> list[tuple[str, Node, Node]]:
        """(key, key node, value node) of a mapping, duplicates refused, merge keys applied."""
        explicit: dict[str, tuple[Node, Node]] = {}
        merges: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            self.tick(key_node, prefix)
            if key_node.tag == _MERGE and isinstance(key_node, ScalarNode):
                if merges:
                    raise _Fail(
                        _line(key_node),
                        f"duplicate key '<<' (first at line {_line(merges[0][0])})",
                        _path_text(prefix),
                    )
                merges.append((key_node, value_node))
                continue
            key = self.key(key_node, prefix)
            if key in explicit:
                raise _Fail(
                    _line(key_node),
                    f"duplicate key {key!r} (first at line {_line(explicit[key][0])})",
                    _join_key(_item_path_text(prefix, node) or "", key),
                )
            explicit[key] = (key_node, value_node)
        result = [(key, k, v) for key, (k, v) in explicit.items()]
        for merge_key, source in merges:
            if isinstance(source, MappingNode):
                sources = [source]
            elif isinstance(source, SequenceNode) and all(
                isinstance(item, MappingNode) for item in source.value
            ):
                self.check_tag(source, _SEQ, prefix)
                sources = source.value
            else:
                raise _Fail(
                    _line(merge_key),
                    "a merge key '<<' needs a mapping or a list of mappings (e.g. `<<: *base`)",
                    _path_text(prefix),
                )
            present = set(explicit)
            for merged in sources:
                self.check_tag(merged, _MAP, prefix)
                self.enter(merged, prefix)
                try:
                    for key, k, v in self.pairs(merged, prefix):
                        if key not in present:
                            present.add(key)
                            result.append((key, k, v))
                finally:
                    self.active.discard(id(merged))
        return result


# --------------------------------------------------------------------------- locating


def _walk(doc: YamlDoc, loc: Sequence[str | int]) -> list[tuple[str | int, Any]]:
    """The segments of loc that exist in the data, each with the value they lead to."""
    current: Any = doc.data
    found: list[tuple[str | int, Any]] = []
    for seg in loc:
        if isinstance(current, dict) and isinstance(seg, str) and seg in current:
            current = current[seg]
        elif (
            isinstance(current, list)
            and isinstance(seg, int)
            and not isinstance(seg, bool)
            and -len(current) <= seg < len(current)
        ):
            seg = seg % len(current)
            current = current[seg]
        else:
            continue  # a union tag or other segment pydantic adds that is not in the data
        found.append((seg, current))
    return found


def locate(doc: YamlDoc, loc: Sequence[str | int]) -> tuple[Path, int | None]:
    """(file, line) of the deepest prefix of loc that exists in doc.origins.

    Segments of loc that are not keys of the data at that level (pydantic inserts union
    tags such as 'power' or 'function-after[...]') are skipped.
    """
    best: tuple[Path, int | None] = doc.origins.get((), (doc.path, None))
    prefix: tuple[str | int, ...] = ()
    for seg, _value in _walk(doc, loc):
        prefix = (*prefix, seg)
        if prefix in doc.origins:
            best = doc.origins[prefix]
    return best


def key_name(doc: YamlDoc, loc: Sequence[str | int]) -> str:
    """Human key path such as 'actors[Russia].resolve' or 'events[2].date'.

    A list index becomes [name] when the item is a mapping with a 'name' or 'id' string,
    otherwise [index]; union tags and other non-data segments are skipped, as in locate.
    """
    text = ""
    for seg, value in _walk(doc, loc):
        if isinstance(seg, int) and isinstance(value, dict):
            labels = [value.get(k) for k in ("name", "id")]  # names as the schema reads them
            label = next((x.strip() for x in labels if isinstance(x, str) and x.strip()), None)
            text += f"[{_key_text(label)}]" if label is not None else f"[{seg}]"
        else:
            text = _join_key(text, seg)
    return text


def _key_text(key: str) -> str:
    return key if key.isprintable() else repr(key)


def _join_key(base: str, seg: str | int) -> str:
    if isinstance(seg, int):
        return f"{base}[{seg}]"
    return f"{base}.{_key_text(seg)}" if base else _key_text(seg)


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class _Msg:
    """What was expected and what was found, or else a complete message."""

    expected: str | None = None
    got: str | None = None
    text: str | None = None

    def render(self) -> str:
        if self.expected is None:
            return self.text or "invalid value"
        return f"expected {self.expected}" + (f", got {self.got}" if self.got is not None else "")


def problems_from_validation(
    doc: YamlDoc,
    error: pydantic.ValidationError,
    *,
    model: type[Any] | None = None,
) -> list[Problem]:
    """One Problem per distinct location, each saying what was expected and what was found.

    Several pydantic errors at the same location (from unions) are merged into one line.
    Pass the validated `model` class to list the allowed keys for unknown keys and the
    allowed tags when a discriminator key is missing.
    """
    groups: dict[tuple[Path, int | None, str], list[_Msg]] = {}
    for err in error.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        kind = err.get("type", "")
        ctx = err.get("ctx") or {}
        data_loc: tuple[str | int, ...] = loc
        suffix: str | int | None = None
        if kind in ("missing", "missing_argument", "missing_keyword_only_argument") and loc:
            data_loc, suffix = loc[:-1], loc[-1]
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            disc = _discriminator(ctx)
            if disc is not None:
                if kind == "union_tag_invalid" and _has_key(doc, loc, disc):
                    data_loc = (*loc, disc)
                else:
                    suffix = disc
        file, line = locate(doc, data_loc)
        key = key_name(doc, data_loc)
        if suffix is not None:
            key = _join_key(key, suffix)
        msg = _describe(kind, err, ctx, model, loc)
        if loc and loc[-1] == "[key]":
            msg = _Msg(text=f"invalid key: {msg.render()}")
        groups.setdefault((file, line, key), []).append(msg)
    problems = [
        Problem(file, line, key or None, _merge(msgs)) for (file, line, key), msgs in groups.items()
    ]
    return sorted(problems, key=lambda p: p.line if p.line is not None else 0)


def _has_key(doc: YamlDoc, loc: Sequence[str | int], key: str) -> bool:
    found = _walk(doc, loc)
    value = found[-1][1] if found else doc.data
    return isinstance(value, dict) and key in value


def _discriminator(ctx: Mapping[str, Any]) -> str | None:
    disc = ctx.get("discriminator")
    if not isinstance(disc, str):
        return None
    if len(disc) >= 2 and disc[0] == disc[-1] and disc[0] in "'\"":
        return disc[1:-1]
    return disc if disc.isidentifier() else None


def _merge(msgs: list[_Msg]) -> str:
    unique = list(dict.fromkeys(msgs))
    same_input = len({m.got for m in unique}) == 1
    if len(unique) > 1 and same_input and all(m.expected is not None for m in unique):
        expected = " or ".join(dict.fromkeys(m.expected for m in unique if m.expected))
        return _one_line(_Msg(expected, unique[0].got).render())
    return _one_line("; ".join(dict.fromkeys(m.render() for m in unique)))


_EXPECTED = {
    "float_parsing": "a number",
    "float_type": "a number",
    "int_parsing": "an integer",
    "int_type": "an integer",
    "int_from_float": "a whole number",
    "int_parsing_size": "an integer of reasonable size",
    "finite_number": "a finite number",
    "decimal_parsing": "a decimal number",
    "decimal_type": "a decimal number",
    "string_type": "a string",
    "string_sub_type": "a string",
    "string_unicode": "a string",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "frozen_set_type": "a list",
    "iterable_type": "a list",
    "dict_type": "a mapping",
    "mapping_type": "a mapping",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "dataclass_type": "a mapping of keys",
    "dataclass_exact_type": "a mapping of keys",
    "date_parsing": "a date YYYY-MM-DD",
    "date_from_datetime_parsing": "a date YYYY-MM-DD",
    "date_from_datetime_inexact": "a date YYYY-MM-DD",
    "date_type": "a date YYYY-MM-DD",
    "date_past": "a date in the past",
    "date_future": "a date in the future",
    "datetime_parsing": "a date-time YYYY-MM-DDTHH:MM:SS",
    "datetime_from_date_parsing": "a date-time YYYY-MM-DDTHH:MM:SS",
    "datetime_type": "a date-time YYYY-MM-DDTHH:MM:SS",
    "datetime_object_invalid": "a date-time YYYY-MM-DDTHH:MM:SS",
    "time_parsing": "a time HH:MM[:SS]",
    "time_type": "a time HH:MM[:SS]",
    "timedelta_parsing": "a duration",
    "timedelta_type": "a duration",
    "none_required": "null (no value)",
    "uuid_parsing": "a UUID",
    "uuid_type": "a UUID",
    "url_parsing": "a URL",
    "url_type": "a URL",
}
_BOUNDS = {
    "greater_than": ("gt", ">"),
    "greater_than_equal": ("ge", ">="),
    "less_than": ("lt", "<"),
    "less_than_equal": ("le", "<="),
}
_DETAIL_TYPES = {"date_parsing", "date_from_datetime_parsing", "datetime_parsing", "time_parsing"}
_DATE_LIKE = re.compile(r"'[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")  # pydantic's detail only helps then


def _describe(
    kind: str,
    err: Mapping[str, Any],
    ctx: Mapping[str, Any],
    model: type[Any] | None,
    loc: tuple[str | int, ...],
) -> _Msg:
    """Plain-English message for one pydantic error."""
    value = err.get("input")
    got = _show(value)
    if kind in ("missing", "missing_argument", "missing_keyword_only_argument"):
        return _Msg(text="required key is missing")
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        return _Msg(text=_unknown_key(model, loc))
    if kind in _BOUNDS:
        name, op = _BOUNDS[kind]
        bound = ctx.get(name)
        what = "a date" if isinstance(bound, date) else "a number"
        if isinstance(bound, float) and bound.is_integer() and abs(bound) < 1e15:
            bound = int(bound)  # ge=0 on a float field: say ">= 0", not ">= 0.0"
        return _Msg(f"{what} {op} {_show(bound)}", got)
    if kind == "multiple_of":
        return _Msg(f"a multiple of {_show(ctx.get('multiple_of'))}", got)
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", ""))
        return _Msg(_one_of(expected), got + _did_you_mean(value, expected))
    if kind == "union_tag_invalid":
        expected, tag = str(ctx.get("expected_tags", "")), ctx.get("tag")
        return _Msg(_one_of(expected, always_list=True), _show(tag) + _did_you_mean(tag, expected))
    if kind == "union_tag_not_found":
        tags = _union_tags(model, loc, _discriminator(ctx))
        hint = f" (expected one of {', '.join(map(repr, tags))})" if tags else ""
        return _Msg(text=f"required key is missing{hint}")
    if kind in ("too_short", "too_long"):
        limit = ctx.get("min_length" if kind == "too_short" else "max_length")
        word = "at least" if kind == "too_short" else "at most"
        actual = ctx.get("actual_length")
        items = "item" if limit == 1 else "items"
        return _Msg(f"{word} {limit} {items}", str(actual) if actual is not None else None)
    if kind in ("string_too_short", "string_too_long"):
        limit = ctx.get("min_length" if kind == "string_too_short" else "max_length")
        word = "at least" if kind == "string_too_short" else "at most"
        chars = "character" if limit == 1 else "characters"
        return _Msg(f"a string of {word} {limit} {chars}", got)
    if kind == "string_pattern_mismatch":
        return _Msg(f"a string matching {ctx.get('pattern')!r}", got)
    if kind == "value_error":
        return _Msg(text=str(err.get("msg", "")).removeprefix("Value error, "))
    if kind == "assertion_error":
        return _Msg(text=str(err.get("msg", "")).removeprefix("Assertion failed, "))
    if kind in _EXPECTED:
        if kind in _DETAIL_TYPES and isinstance(ctx.get("error"), str) and _DATE_LIKE.match(got):
            got = f"{got} ({ctx['error']})"
        if kind == "string_type" and _is_plain_scalar(value):
            got = f"{got} (put it in quotes to make it text)"
        return _Msg(_EXPECTED[kind], got)
    message = str(err.get("msg", kind))
    if _is_plain_scalar(value) or isinstance(value, str):
        message += f", got {got}"
    return _Msg(text=message)


def _is_plain_scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | date)


def _show(value: Any) -> str:
    """A short, one-line, YAML-flavoured rendering of an input value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, dict):
        return "a mapping " + _clip(repr(value), _SHOW_CHARS - 10)
    if isinstance(value, list | tuple):
        return "a list " + _clip(repr(list(value)), _SHOW_CHARS - 7)
    return _clip(repr(value))


def _clip(text: str, limit: int = _SHOW_CHARS) -> str:
    text = _one_line(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _choices(expected: str) -> list[str]:
    """pydantic's "'a', 'b' or 'c'" as the list of choices ``['a', 'b', 'c']``."""
    head, sep, last = expected.rpartition(" or ")
    parts = [*head.split(", "), last] if sep else expected.split(", ")
    return [part for part in parts if part]


def _did_you_mean(value: Any, expected: str) -> str:
    """`` (did you mean 'deploy'?)`` when ``value`` is a near miss of one of the choices."""
    if not isinstance(value, str):
        return ""
    names = [c.strip("'\"") for c in _choices(expected)]
    close = difflib.get_close_matches(value, names, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _one_of(expected: str, *, always_list: bool = False) -> str:
    """pydantic's "'a', 'b' or 'c'" as "one of 'a', 'b', 'c'"."""
    parts = _choices(expected)
    if len(parts) == 1 and not always_list:
        return parts[0]
    return "one of " + ", ".join(parts)


# ---------------------------------------------------------------- walking the model class


def _unwrap(tp: Any) -> list[Any]:
    """The alternatives of a type: Annotated stripped, unions and Optional flattened."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [alt for arg in typing.get_args(tp) for alt in _unwrap(arg)]
    if isinstance(tp, typing.TypeAliasType):
        return _unwrap(tp.__value__)
    return [tp]


def _fields(tp: Any) -> dict[str, Any] | None:
    """Input key -> annotation of a pydantic model or dataclass, or None for other types."""
    if not isinstance(tp, type):
        return None
    fields = getattr(tp, "__pydantic_fields__", None) or getattr(tp, "model_fields", None)
    if not isinstance(fields, dict):
        return None
    keys: dict[str, Any] = {}
    for name, info in fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
        keys[alias if isinstance(alias, str) else name] = info.annotation
    return keys


def _step(tp: Any, seg: str | int) -> list[Any]:
    """Types reached from tp by one loc segment (empty if the segment does not apply)."""
    fields = _fields(tp)
    if fields is not None:
        return _unwrap(fields[seg]) if isinstance(seg, str) and seg in fields else []
    origin = typing.get_origin(tp) or tp
    args = typing.get_args(tp)
    if not isinstance(origin, type):
        return []
    if isinstance(seg, int) and issubclass(origin, tuple) and args:
        if len(args) == 2 and args[1] is Ellipsis:
            return _unwrap(args[0])
        return _unwrap(args[seg]) if 0 <= seg < len(args) else []
    is_collection = issubclass(origin, Sequence | set | frozenset)
    if isinstance(seg, int) and is_collection and args and not issubclass(origin, str | bytes):
        return _unwrap(args[0])
    if isinstance(seg, str) and issubclass(origin, Mapping) and len(args) == 2:
        return _unwrap(args[1])
    return []


def _literals(tp: Any) -> list[Any]:
    values = []
    for alt in _unwrap(tp):
        if typing.get_origin(alt) is typing.Literal:
            values.extend(typing.get_args(alt))
    return values


def _matches_tag(tp: Any, tag: str) -> bool:
    if getattr(tp, "__name__", None) == tag:
        return True
    fields = _fields(tp) or {}
    for annotation in fields.values():
        for value in _literals(annotation):
            if str(value.value if isinstance(value, Enum) else value) == tag:
                return True
    return False


def _types_at(model: type[Any] | None, loc: Sequence[str | int]) -> list[Any]:
    """Candidate types at loc inside model; union tags in loc narrow the candidates."""
    if model is None:
        return []
    candidates = [model]
    for seg in loc:
        reached = [t for c in candidates for t in _step(c, seg)]
        if reached:
            candidates = reached
        elif isinstance(seg, str):
            narrowed = [c for c in candidates if _matches_tag(c, seg)]
            candidates = narrowed or candidates
    return candidates


def _unknown_key(model: type[Any] | None, loc: tuple[str | int, ...]) -> str:
    allowed: dict[str, None] = {}
    for tp in _types_at(model, loc[:-1]):
        allowed.update(dict.fromkeys(_fields(tp) or {}))
    if not allowed:
        return "unknown key"
    names = list(allowed)
    bad = loc[-1] if loc else None
    close = difflib.get_close_matches(bad, names, n=1) if isinstance(bad, str) else []
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key ({hint}allowed: {', '.join(names)})"


def _union_tags(model: type[Any] | None, loc: Sequence[str | int], disc: str | None) -> list[Any]:
    if disc is None:
        return []
    tags: list[Any] = []
    for tp in _types_at(model, loc):
        for value in _literals((_fields(tp) or {}).get(disc)):
            tags.append(value.value if isinstance(value, Enum) else value)
    return list(dict.fromkeys(tags))

"""Key paths: the one way to name a parameter of a scenario (``actors.Russia.resolve``).

A key path is a dotted path into the scenario; items of the ``actors`` and ``relations``
lists are named by their ``name`` or ``id``, and a mapping of parameters takes one more part
(``actors.Armenia.trust.Russia``). This module parses key paths, finds what they name, says
why a path cannot be read, set or given a value, and lists the scenario's uncertain
parameters. ``--set``, set events, sweeps, sensitivity analysis, the dashboard and the model
all go through it.

>>> from hegemon import load_scenario
>>> path = KeyPath.parse("actors.Russia.resolve")
>>> (path.section, path.item, path.field, path.key)
('actors', 'Russia', 'resolve', None)
>>> float(get(load_scenario("baseline"), "relations.peacekeeping.troops"))
1960.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from hegemon.scenario.distributions import is_distribution, is_param_field, param_bounds

if TYPE_CHECKING:
    from hegemon.scenario.schema import Scenario

LISTS = ("actors", "relations")  # sections whose items are named by name or id
SECTIONS = (  # sections that are one object
    "conflict",
    "trust",
    "influence",
    "war",
    "decisions",
    "exit",
    "attention",
    "coercion",
)

# Parameters read once when the model starts; an event that set them would do nothing.
INITIAL_CONDITIONS = frozenset(
    {"gdp_busd", "military_budget_musd", "credibility", "credibility_memory"}
)


class KeyPathError(ValueError):
    """A key path that names nothing the caller can use; the message says why."""


@dataclass(frozen=True)
class KeyPath:
    """A parsed key path: its parts, and for parameter paths the section, the list item
    (actor or relation), the field and the key of a mapping."""

    parts: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> KeyPath:
        """Split ``text`` at its dots; every part must be non-empty."""
        parts = tuple(str(text).strip().split("."))
        if not all(parts):
            raise KeyPathError(f"{text!r} is not a key path (expected e.g. actors.Russia.resolve)")
        return cls(parts)

    def __str__(self) -> str:
        return ".".join(self.parts)

    @property
    def section(self) -> str:
        return self.parts[0]

    @property
    def item(self) -> str | None:
        """The actor or relation named (None for the one-object sections)."""
        return self.parts[1] if self.section in LISTS and len(self.parts) > 1 else None

    @property
    def _rest(self) -> tuple[str, ...]:
        return self.parts[2:] if self.section in LISTS else self.parts[1:]

    @property
    def field(self) -> str | None:
        return self._rest[0] if self._rest else None

    @property
    def key(self) -> str | None:
        """The key in a mapping of parameters (``Russia`` in ``actors.Armenia.trust.Russia``),
        or the field of a nested section (``min_influence`` in ``...renewal.min_influence``)."""
        return self._rest[1] if len(self._rest) > 1 else None


def _named(items: list[Any], part: str) -> Any:
    return next(
        (x for x in items if part in (getattr(x, "name", None), getattr(x, "id", None))), None
    )


def locate(scenario: Scenario, path: str | KeyPath) -> tuple[BaseModel, str, str | None]:
    """The object, field and mapping key that a numeric parameter's path names; raises
    :class:`KeyPathError` saying why when the path names no numeric parameter."""
    kp = path if isinstance(path, KeyPath) else KeyPath.parse(path)
    parts = kp.parts
    obj: Any = scenario
    for i, part in enumerate(parts):
        if isinstance(obj, list):
            obj = _named(obj, part)
            if obj is None:
                raise KeyPathError(f"no item {part!r} in {'.'.join(parts[:i])!r}")
        elif isinstance(obj, BaseModel):
            info = type(obj).model_fields.get(part)
            if info is None:
                raise KeyPathError(f"{'.'.join(parts[: i + 1])!r} is not a key of the scenario")
            if is_param_field(info):
                value = getattr(obj, part)
                rest = parts[i + 1 :]
                if isinstance(value, dict) and len(rest) == 1 and rest[0] in value:
                    return obj, part, rest[0]
                if not isinstance(value, dict) and not rest and value is not None:
                    return obj, part, None
                break
            obj = getattr(obj, part)
        else:
            break
    raise KeyPathError(f"{str(kp)!r} is not a numeric parameter")


def get(scenario: Scenario, path: str | KeyPath) -> Any:
    """The value (a number or a distribution) of the parameter at ``path``."""
    owner, field, key = locate(scenario, path)
    value = getattr(owner, field)
    return value[key] if key is not None else value


def parameter_problem(scenario: Scenario, path: str) -> str | None:
    """Why ``path`` does not name a numeric parameter of the scenario (None if it does)."""
    try:
        locate(scenario, path)
    except KeyPathError as err:
        return str(err)
    return None


def settable_problem(scenario: Scenario, path: str) -> str | None:
    """Why an event cannot set ``path`` (None if it can): it must name a numeric parameter,
    not a mapping, read by the model after it starts."""
    kp = KeyPath.parse(path)
    if kp.section in LISTS:
        items = scenario.actors if kp.section == "actors" else scenario.relations
        if kp.item is None or _named(list(items), kp.item) is None:
            return f"unknown {kp.section[:-1]} {kp.item!r} in path {path!r}"
    elif getattr(scenario, kp.section, None) is None:
        return f"the scenario has no {kp.section!r} section"
    try:
        owner, field, key = locate(scenario, kp)
    except KeyPathError:
        return f"{path!r} is not a numeric parameter"
    if key is not None or isinstance(getattr(owner, field), dict):
        return f"{path!r} is not a numeric parameter"
    if field in INITIAL_CONDITIONS:
        return f"{path!r} is an initial condition; an event cannot change it later"
    return None


def _range(value: Any) -> tuple[float, float]:
    """The smallest and largest values a number or a distribution takes."""
    return value.support() if is_distribution(value) else (float(value), float(value))


def value_problem(scenario: Scenario, path: str, value: Any, change: str = "value") -> str | None:
    """Why ``value`` is outside the bounds of the parameter at ``path`` (None if inside).

    With ``change`` ``"factor"`` or ``"shift"`` the value multiplies or is added to the
    parameter's value in the scenario (its range, for a distribution): every result must lie
    within the bounds. (An earlier event may have changed the value by the time this one
    applies; the model clips the result to the bounds then.)
    """
    owner, field, key = locate(scenario, path)
    bounds = param_bounds(type(owner).model_fields[field])
    try:
        if bounds is None:
            return None
        if change == "value":
            bounds(value)
            return None
        current = getattr(owner, field)
        lo, hi = _range(current[key] if key is not None else current)
        vlo, vhi = _range(value)
        if change == "factor":
            ends = [a * b for a in (lo, hi) for b in (vlo, vhi) if not (math.isinf(a) and b == 0)]
        else:
            ends = [lo + vlo, hi + vhi]
        low, high = min(ends), max(ends)
        if low < bounds.lo or high > bounds.hi:
            shown = f"{low:g}..{high:g}" if low != high else f"{low:g}"
            raise ValueError(
                f"expected the {change} to keep {path} {bounds.describe()}, "
                f"got {shown} (from {lo:g}..{hi:g})"
            )
    except ValueError as err:
        return str(err)
    return None


def bounds_of(scenario: Scenario, path: str) -> tuple[float | None, float | None]:
    """The (low, high) bounds the schema sets on the parameter at ``path`` (None: unbounded)."""
    owner, field, _ = locate(scenario, path)
    bounds = param_bounds(type(owner).model_fields[field])
    if bounds is None:
        return None, None
    return (
        None if bounds.lo == -math.inf else bounds.lo,
        None if bounds.hi == math.inf else bounds.hi,
    )


def uncertain_parameters(scenario: Scenario) -> dict[str, Any]:
    """Every parameter the scenario gives as a distribution, by key path."""
    found: dict[str, Any] = {}

    def walk(obj: BaseModel, path: str) -> None:
        for field, info in type(obj).model_fields.items():
            value = getattr(obj, field)
            key = f"{path}.{field}" if path else field
            if isinstance(value, BaseModel) and not is_distribution(value):
                walk(value, key)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, BaseModel):
                        label = getattr(item, "name", None) or getattr(item, "id", None)
                        walk(item, f"{key}.{label}")
            elif is_param_field(info):
                items = value.items() if isinstance(value, dict) else [(None, value)]
                for sub, v in items:
                    if is_distribution(v):
                        found[key if sub is None else f"{key}.{sub}"] = v

    walk(scenario, "")
    return found


def item_index(items: list[Any], part: str) -> int | None:
    """The index of the list item a key-path part names: by ``name`` or ``id``, else a digit."""
    for index, item in enumerate(items):
        names = [item.get(k) for k in ("name", "id")] if isinstance(item, dict) else []
        if part.strip() in [n.strip() for n in names if isinstance(n, str)]:
            return index
    if part.isdigit() and int(part) < len(items):
        return int(part)
    return None

"""Find, read, override and validate scenarios; every error names the file, line and key.

Bundled scenarios live in the package (``hegemon/scenarios``) and can be named without a
path (``baseline``). ``--set KEY=VALUE`` overrides are applied to the document before
validation, so they are typed and checked by the schema like the file itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hegemon.errors import Problem, ScenarioError
from hegemon.scenario.schema import Scenario, cross_reference_problems
from hegemon.scenario.yamldoc import (
    YamlDoc,
    key_name,
    locate,
    problems_from_validation,
    read_yaml,
)

SET_ORIGIN = Path("--set")


def bundled_dir() -> Path:
    """The folder of the scenarios that ship with hegemon."""
    return Path(str(resources.files("hegemon") / "scenarios"))


def bundled_names() -> list[str]:
    return sorted(p.stem for p in bundled_dir().glob("*.yaml"))


def scenario_path(name_or_path: str | Path) -> Path:
    """A scenario file from a path, or from the name of a bundled scenario."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.suffix == "" and path.parent == Path("."):
        bundled = bundled_dir() / f"{path.name}.yaml"
        if bundled.is_file():
            return bundled
    raise ScenarioError(
        [
            Problem(
                path,
                None,
                None,
                "no such scenario file or bundled scenario "
                f"(bundled: {', '.join(bundled_names())})",
            )
        ]
    )


def load_scenario(name_or_path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Load and validate a scenario, applying ``KEY=VALUE`` overrides first.

    >>> load_scenario("baseline", ["horizon_years=2"]).steps
    105
    """
    doc = read_yaml(scenario_path(name_or_path))
    for item in overrides:
        apply_override(doc, item)
    return validate(doc)


def with_overrides(scenario: Scenario, overrides: Sequence[str]) -> Scenario:
    """A copy of ``scenario`` with ``KEY=VALUE`` overrides applied and validated."""
    if not overrides:
        return scenario
    data = scenario.model_dump(mode="json", exclude_none=True)
    doc = YamlDoc(data=data, origins={}, path=Path(f"<scenario {scenario.name}>"))
    for item in overrides:
        apply_override(doc, item)
    return validate(doc)


def validate(doc: YamlDoc) -> Scenario:
    """Validate a document into a Scenario, or raise ScenarioError with located problems."""
    try:
        scenario = Scenario.model_validate(doc.data, context={"defer_references": True})
    except ValidationError as err:
        raise ScenarioError(problems_from_validation(doc, err, model=Scenario)) from None
    problems = [
        Problem(*locate(doc, loc), key_name(doc, loc), message)
        for loc, message in cross_reference_problems(scenario)
    ]
    if problems:
        raise ScenarioError(problems)
    return scenario


def apply_override(doc: YamlDoc, item: str) -> None:
    """Apply ``KEY=VALUE`` to the document: KEY is a dotted path whose list items are
    addressed by name or id (``actors.Russia.resolve``), VALUE is read as YAML."""
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError([Problem(SET_ORIGIN, None, item, "expected KEY=VALUE")])
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as err:
        raise ScenarioError(
            [Problem(SET_ORIGIN, None, key, f"value is not valid YAML: {err}")]
        ) from None
    parts = key.split(".")
    node: Any = doc.data
    loc: list[str | int] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            index = _find_item(node, part)
            if index is None:
                names = [str(x.get("name", x.get("id"))) for x in node if isinstance(x, dict)]
                raise ScenarioError(
                    [
                        Problem(
                            SET_ORIGIN,
                            None,
                            key,
                            f"no item named {part!r} (expected one of: {', '.join(names)})",
                        )
                    ]
                )
            loc.append(index)
            if last:
                node[index] = value
            else:
                node = node[index]
        elif isinstance(node, dict):
            loc.append(part)
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
        else:
            raise ScenarioError(
                [Problem(SET_ORIGIN, None, key, f"{'.'.join(parts[:i])!r} has no keys to set")]
            )
    doc.origins[tuple(loc)] = (SET_ORIGIN, None)  # type: ignore[assignment]


def _find_item(items: list[Any], part: str) -> int | None:
    for index, item in enumerate(items):
        if isinstance(item, dict) and part in (item.get("name"), item.get("id")):
            return index
    if part.isdigit() and int(part) < len(items):
        return int(part)
    return None

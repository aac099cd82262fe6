"""Find, read, override and validate scenarios; every error names the file, line and key.

Bundled scenarios live in the package (``hegemon/scenarios``) and can be named without a
path (``baseline``). ``--set KEY=VALUE`` overrides are applied to the document before
validation, so they are typed and checked by the schema like the file itself.
"""

from __future__ import annotations

import difflib
import stat
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from hegemon.errors import Problem, ScenarioError
from hegemon.scenario.keypaths import item_index
from hegemon.scenario.schema import Scenario, cross_reference_problems, scenario_warnings
from hegemon.scenario.yamldoc import (
    YamlDoc,
    key_name,
    load_value,
    locate,
    problems_from_validation,
    read_yaml,
)

SET_ORIGIN = Path("--set")
MAX_EXTENDS = 20  # longest chain of extends: (a cycle is refused before)


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
    what = _not_a_file(path)
    if what:
        raise ScenarioError([Problem(path, None, None, f"is {what}, not a scenario file")])
    names = bundled_names()
    close = difflib.get_close_matches(path.name, names, n=1) if path.suffix == "" else []
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ScenarioError(
        [
            Problem(
                path,
                None,
                None,
                f"no such scenario file or bundled scenario ({hint}bundled: {', '.join(names)})",
            )
        ]
    )


def _not_a_file(path: Path) -> str | None:
    """What ``path`` is when it exists but is not a regular file (never opened: a named pipe
    would block, a device would never end)."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return None
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((what for test, what in kinds if test(mode)), None)


def load_scenario(
    name_or_path: str | Path,
    overrides: Sequence[str] = (),
    *,
    allow_outside: bool = False,
    warnings: list[Problem] | None = None,
    late_events: bool = True,
) -> Scenario:
    """Load and validate a scenario, resolving ``extends:`` and applying ``KEY=VALUE``
    overrides first. ``warnings``, when given, receives what is valid but probably not meant
    (:func:`~hegemon.scenario.schema.scenario_warnings`), located like errors.

    ``extends:`` names a bundled scenario or a file relative to the extending file, inside
    its folder unless ``allow_outside``.

    >>> load_scenario("baseline", ["horizon_years=2"]).steps
    105
    """
    scenario, doc = _load(name_or_path, overrides, allow_outside, warnings, late_events)
    scenario._observations_file = _named_observations(doc, scenario, allow_outside)
    return scenario


def _load(
    name_or_path: str | Path,
    overrides: Sequence[str],
    allow_outside: bool,
    warnings: list[Problem] | None,
    late_events: bool,
) -> tuple[Scenario, YamlDoc]:
    """The validated scenario and its document; ``warnings`` receives its warnings."""
    doc = read_document(scenario_path(name_or_path), allow_outside=allow_outside)
    for item in overrides:
        apply_override(doc, item)
    scenario = validate(doc)
    if warnings is not None:
        warnings.extend(
            Problem(*locate(doc, loc), key_name(doc, loc), message)
            for loc, message in scenario_warnings(scenario, late_events=late_events)
        )
    return scenario, doc


def scenario_observations(
    name_or_path: str | Path,
    overrides: Sequence[str] = (),
    *,
    allow_outside: bool = False,
    warnings: list[Problem] | None = None,
) -> tuple[Scenario, Path | None]:
    """The scenario and the observations file it names (None if it names none), resolved
    relative to the file that says ``observations:`` (a parent's, if inherited)."""
    scenario, doc = _load(name_or_path, overrides, allow_outside, warnings, late_events=True)
    return scenario, _named_observations(doc, scenario, allow_outside)


def _named_observations(doc: YamlDoc, scenario: Scenario, allow_outside: bool) -> Path | None:
    if scenario.observations is None:
        return None
    origin, _ = locate(doc, ("observations",))
    relative_to = None if origin == SET_ORIGIN else Path(origin)
    return observations_file(
        scenario.observations, relative_to, allow_outside=allow_outside, doc=doc
    )


def observations_file(
    ref: str,
    relative_to: Path | None,
    *,
    allow_outside: bool = False,
    doc: YamlDoc | None = None,
) -> Path:
    """The file an ``observations:`` value names: a bundled observations file (``name`` or
    ``name.csv``), or a ``.csv`` file relative to the scenario file ``relative_to`` (the
    current folder for ``--set``), inside that file's folder unless ``allow_outside``, as
    for ``extends:``. Problems are located at the ``observations`` key of ``doc``."""
    from hegemon.scenario.observations import bundled_observations, bundled_observations_file

    where = locate(doc, ("observations",)) if doc is not None else (relative_to, None)

    def problem(message: str) -> ScenarioError:
        return ScenarioError([Problem(*where, "observations", message)])

    folder = relative_to.parent if relative_to is not None else Path(".")
    try:
        candidate = folder / ref
        if candidate.suffix == ".csv":
            if not allow_outside and not candidate.resolve().is_relative_to(folder.resolve()):
                name = (
                    f"the folder of {relative_to.name}"
                    if relative_to is not None
                    else "the current folder"
                )
                raise problem(
                    f"{ref!r} is outside {name}; only bundled observations "
                    "and files in that folder can be named (pass --allow-outside to permit it)"
                )
            if candidate.is_file():
                return candidate
        bundled = bundled_observations_file(ref)
        if bundled is not None and "/" not in ref:
            return bundled
    except (OSError, ValueError) as err:
        raise problem(f"cannot use {ref[:60]!r} as observations: {err}") from None
    raise problem(
        f"no observations {ref!r} (expected a bundled name: "
        f"{', '.join(bundled_observations()) or 'none'}; or a .csv file relative to "
        f"{relative_to.name if relative_to is not None else 'the current folder'})"
    )


def read_document(
    path: Path, *, allow_outside: bool = False, _chain: tuple[Path, ...] = ()
) -> YamlDoc:
    """Read a scenario file and everything it extends, merged into one document."""
    doc = read_yaml(path)
    parent_ref = doc.data.get("extends")
    if parent_ref is None:
        return doc
    where = locate(doc, ("extends",))
    if not isinstance(parent_ref, str) or not parent_ref:
        raise ScenarioError([Problem(*where, "extends", "expected a scenario name or a path")])
    parent_path = _parent_path(doc.path, parent_ref, where, allow_outside)
    chain = (*_chain, doc.path.resolve())
    if len(chain) > MAX_EXTENDS:
        raise ScenarioError(
            [Problem(*where, "extends", f"more than {MAX_EXTENDS} scenarios extend one another")]
        )
    if parent_path.resolve() in chain:
        cycle = " -> ".join(p.name for p in (*chain, parent_path.resolve()))
        raise ScenarioError([Problem(*where, "extends", f"extends itself: {cycle}")])
    parent = read_document(parent_path, allow_outside=allow_outside, _chain=chain)
    return merge_documents(parent, doc)


def _parent_path(
    child: Path, ref: str, where: tuple[Path, int | None], allow_outside: bool
) -> Path:
    try:
        return _find_parent(child, ref, where, allow_outside)
    except (OSError, ValueError) as err:  # a NUL byte, a name too long for the file system
        raise ScenarioError(
            [Problem(*where, "extends", f"cannot use {ref[:60]!r} as a scenario: {err}")]
        ) from None


def _find_parent(
    child: Path, ref: str, where: tuple[Path, int | None], allow_outside: bool
) -> Path:
    candidate = child.parent / ref
    if candidate.suffix in (".yaml", ".yml"):
        folder = child.parent.resolve()
        if not allow_outside and not candidate.resolve().is_relative_to(folder):
            raise ScenarioError(
                [
                    Problem(
                        *where,
                        "extends",
                        f"{ref!r} is outside the folder of {child.name}; only bundled "
                        "scenarios and files in that folder can be extended "
                        "(pass --allow-outside to permit it)",
                    )
                ]
            )
        if candidate.is_file():
            return candidate
    elif "/" not in ref and (bundled_dir() / f"{ref}.yaml").is_file():
        return bundled_dir() / f"{ref}.yaml"
    raise ScenarioError(
        [
            Problem(
                *where,
                "extends",
                f"no scenario {ref!r} to extend (expected a bundled name: "
                f"{', '.join(bundled_names())}; or a .yaml file relative to {child.name})",
            )
        ]
    )


KEYED_LISTS = {"actors": "name", "relations": "id", "events": "id"}


def merge_documents(parent: YamlDoc, child: YamlDoc) -> YamlDoc:
    """The child's values over the parent's: mappings merge key by key (but ``{dist:
    sample}`` replaces the parent's value whole), the lists of actors,
    relations and events merge item by item by name or id (``remove: true`` drops an
    inherited item), and any other value is replaced. Every key keeps its origin."""
    origins: dict[tuple[str | int, ...], tuple[Path, int]] = {
        (): child.origins.get((), (child.path, 1))
    }

    def copy(
        doc: YamlDoc, src: tuple[str | int, ...], dst: tuple[str | int, ...], value: Any
    ) -> Any:
        for key, origin in doc.origins.items():
            if key[: len(src)] == src:
                origins[dst + key[len(src) :]] = origin
        return value

    def merge(p: Any, c: Any, ppath: tuple, cpath: tuple, out: tuple) -> Any:
        if isinstance(c, dict) and c.get("dist") == "sample":  # a joint draw replaces
            return copy(child, cpath, out, c)
        if isinstance(p, dict) and isinstance(c, dict):
            result = {}
            for key in [*p, *(k for k in c if k not in p)]:
                if key in p and key in c:
                    result[key] = merge(p[key], c[key], (*ppath, key), (*cpath, key), (*out, key))
                    origins[(*out, key)] = child.origins.get((*cpath, key), origins.get(out))
                elif key in p:
                    result[key] = copy(parent, (*ppath, key), (*out, key), p[key])
                else:
                    result[key] = copy(child, (*cpath, key), (*out, key), c[key])
            return result
        field = out[-1] if len(out) == 1 else None
        if field in KEYED_LISTS and isinstance(p, list) and isinstance(c, list):
            return merge_items(p, c, ppath, cpath, out, KEYED_LISTS[field])
        return copy(child, cpath, out, c)

    def merge_items(p: list, c: list, ppath: tuple, cpath: tuple, out: tuple, key: str) -> list:
        result: list[Any] = []
        index = {
            item[key].strip(): i  # names are compared as the schema reads them: stripped
            for i, item in enumerate(p)
            if isinstance(item, dict) and isinstance(item.get(key), str)
        }
        overrides: dict[int, int] = {}
        removed: set[int] = set()
        added: list[int] = []
        first: dict[str, int] = {}
        for j, item in enumerate(c):
            name = item.get(key) if isinstance(item, dict) else None
            name = name.strip() if isinstance(name, str) else None
            if name is not None and name in first:  # which of the two is meant? refuse
                _, line = locate(child, (*cpath, first[name]))
                raise ScenarioError(
                    [
                        Problem(
                            *locate(child, (*cpath, j)),
                            f"{out[-1]}[{name}]",
                            f"listed twice in this file (first on line {line}); give each "
                            f"{'actor' if key == 'name' else 'item'} once, with all its keys",
                        )
                    ]
                )
            if name is not None:
                first[name] = j
            if isinstance(item, dict) and item.get("remove") is True:
                if name not in index:
                    raise ScenarioError(
                        [
                            Problem(
                                *locate(child, (*cpath, j)),
                                f"{out[-1]}[{name}]",
                                f"cannot remove {name!r}: the extended scenario has no such item",
                            )
                        ]
                    )
                removed.add(index[name])
            elif name in index:
                overrides[index[name]] = j
            else:
                added.append(j)
        for i, item in enumerate(p):
            if i in removed:
                continue
            at = (*out, len(result))
            if i in overrides:
                j = overrides[i]
                result.append(merge(item, c[j], (*ppath, i), (*cpath, j), at))
                origins[at] = child.origins.get((*cpath, j), origins.get(out))
            else:
                result.append(copy(parent, (*ppath, i), at, item))
        for j in added:
            result.append(copy(child, (*cpath, j), (*out, len(result)), c[j]))
        return result

    data = merge(parent.data, child.data, (), (), ())
    return YamlDoc(data=data, origins=origins, path=child.path)


def with_overrides(scenario: Scenario, overrides: Sequence[str]) -> Scenario:
    """A copy of ``scenario`` with ``KEY=VALUE`` overrides applied and validated (a posterior
    table already read stays with it while ``posterior:`` is unchanged)."""
    if not overrides:
        return scenario
    data = scenario.model_dump(mode="json", exclude_none=True)
    doc = YamlDoc(data=data, origins={}, path=Path(f"<scenario {scenario.name}>"))
    for item in overrides:
        apply_override(doc, item)
    table = scenario.posterior_table
    keep = table is not None and doc.data.get("posterior") == data.get("posterior")
    out = validate(doc, posterior_table=table if keep else None)
    if doc.data.get("observations") == data.get("observations"):
        out._observations_file = scenario.observations_file
    return out


def validate(doc: YamlDoc, *, posterior_table: Any = None) -> Scenario:
    """Validate a document into a Scenario, or raise ScenarioError with located problems.

    A ``posterior:`` table is read relative to the file that names it and checked against
    its sha256 and the parameters' bounds (``posterior_table``: one already read)."""
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
    if scenario.posterior is not None:
        scenario._posterior_table = posterior_table or _read_posterior(doc, scenario)
    return scenario


def _read_posterior(doc: YamlDoc, scenario: Scenario) -> Any:
    """The posterior table ``posterior.table`` names, relative to the file that says it,
    checked: its sha256, a column for every ``{dist: sample}``, values within bounds."""
    from hegemon.scenario.distributions import is_sample
    from hegemon.scenario.keypaths import uncertain_parameters, value_problem
    from hegemon.scenario.posterior import PosteriorError, read_posterior

    spec = scenario.posterior
    assert spec is not None
    origin, line = locate(doc, ("posterior", "table"))
    folder = Path(".") if origin == SET_ORIGIN else Path(origin).parent
    try:
        ref = Path(spec.table)
        if ref.is_absolute() or ".." in ref.parts or ref.suffix != ".parquet":
            raise PosteriorError(
                f"expected a .parquet file in the scenario's folder, got {spec.table!r}"
            )
        table = read_posterior(folder / ref, spec.sha256)
        for path, value in uncertain_parameters(scenario).items():
            if not is_sample(value):
                continue
            values = table.column(value.column or path)
            if path.startswith("events."):
                continue
            for bound in (float(values.min()), float(values.max())):
                problem = value_problem(scenario, path, bound)
                if problem:
                    raise PosteriorError(f"column {value.column or path!r}: {problem}")
    except PosteriorError as err:
        raise ScenarioError([Problem(origin, line, "posterior.table", str(err))]) from None
    return table


def apply_override(doc: YamlDoc, item: str) -> None:
    """Apply ``KEY=VALUE`` to the document: KEY is a dotted path whose list items are
    addressed by name or id (``actors.Russia.resolve``), VALUE is read as YAML."""
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError([Problem(SET_ORIGIN, None, item, "expected KEY=VALUE")])
    if key.split(".")[0] == "extends":
        raise ScenarioError(
            [
                Problem(
                    SET_ORIGIN,
                    None,
                    "extends",
                    "cannot be set on the command line (extends: is resolved when the file is "
                    "read); write a scenario file that extends the one you want",
                )
            ]
        )
    value = load_value(text, SET_ORIGIN, key) if text.strip() else None
    parts = key.split(".")
    node: Any = doc.data
    loc: list[str | int] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            index = item_index(node, part)
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


class ParameterList(BaseModel):
    """A ``--params`` file: the parameters to vary, as key paths or paths with ranges."""

    model_config = ConfigDict(extra="forbid")
    parameters: list[str] | dict[str, tuple[float, float] | None]


def read_parameter_list(path: Path) -> list[str] | dict[str, tuple[float, float]]:
    """Read a ``--params`` file (``parameters:`` a list of key paths, or a mapping of key
    path to ``[low, high]`` or null for the scenario's own range)."""
    doc = read_yaml(path)
    try:
        spec = ParameterList.model_validate(doc.data)
    except ValidationError as err:
        raise ScenarioError(problems_from_validation(doc, err, model=ParameterList)) from None
    if isinstance(spec.parameters, list):
        return spec.parameters
    if all(v is None for v in spec.parameters.values()):
        return list(spec.parameters)
    missing = [k for k, v in spec.parameters.items() if v is None]
    if missing:
        raise ScenarioError(
            [
                Problem(
                    *locate(doc, ("parameters", missing[0])),
                    f"parameters.{missing[0]}",
                    "give [low, high] for every parameter, or for none",
                )
            ]
        )
    return {k: v for k, v in spec.parameters.items() if v is not None}

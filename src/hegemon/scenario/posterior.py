"""A scenario's posterior table: the accepted particles of a calibration, as a joint
distribution that also replays their past.

A calibrated scenario (``hegemon calibrate`` writes one) says

.. code-block:: yaml

    posterior:
      table: posterior.parquet     # beside the scenario file
      sha256: 4f0c...              # of the table's bytes: a changed table is refused
      seed: 3                      # the seed the particles were simulated with
      cutoff: 2022-12-31           # their past is replayed up to this date
    conflict:
      clash_rate: {dist: sample}   # a column of the table (default: the key path)

and every parameter given as ``{dist: sample}`` takes its value from one row of the table,
the same row for all of them, drawn once per replicate by the rows' ``weight`` from the
replicate's counter-based stream ``posterior`` (so correlations are kept and a run is
bit-reproducible). The row's ``replicate`` column is the replicate index the particle was
simulated with: up to the cut-off the model draws its random numbers (and its other
parameters) as that replicate of ``seed`` did, so it replays the particle's past bit for bit,
and after the cut-off as its own replicate of the run's seed (docs/ODD.md, 4.9 and 8.6).

The table (Parquet) has one row per particle: ``particle`` (its number), ``weight``
(non-negative, normalised on reading), ``replicate`` (a non-negative integer) and one float
column per parameter.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REQUIRED = ("particle", "weight", "replicate")
MAX_BYTES = 200 * 1024 * 1024


class PosteriorError(ValueError):
    """A posterior table that cannot be used; the message says why."""


@dataclass(frozen=True, eq=False)
class PosteriorTable:
    """A posterior table read and checked: its columns as arrays, and how to draw rows."""

    path: Path
    sha256: str
    particle: np.ndarray  # int64
    weight: np.ndarray  # float64, sums to 1
    replicate: np.ndarray  # uint64: the replicate index each particle was simulated with
    columns: dict[str, np.ndarray] = field(default_factory=dict)  # float64, per parameter

    def __len__(self) -> int:
        return len(self.weight)

    def rows(self, u: np.ndarray) -> np.ndarray:
        """The rows drawn by uniform numbers ``u`` in (0, 1): the inverse of the weights'
        cumulative distribution (rows in table order)."""
        cum = np.cumsum(self.weight)
        cum /= cum[-1]
        return np.minimum(np.searchsorted(cum, np.asarray(u), side="right"), len(cum) - 1)

    def column(self, name: str) -> np.ndarray:
        try:
            return self.columns[name]
        except KeyError:
            raise PosteriorError(
                f"the posterior table has no column {name!r} "
                f"(columns: {', '.join(self.columns) or 'none'})"
            ) from None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_CACHE: dict[tuple[str, str], PosteriorTable] = {}


def read_posterior(path: Path, sha256: str | None = None) -> PosteriorTable:
    """Read and check a posterior table; with ``sha256``, refuse a file whose bytes differ.

    Raises :class:`PosteriorError` saying what is wrong.
    """
    import pandas as pd

    try:
        if not path.is_file():
            raise PosteriorError(f"no posterior table {str(path)!r}")
        if path.stat().st_size > MAX_BYTES:
            raise PosteriorError(f"{path.name} is larger than {MAX_BYTES >> 20} MB")
        digest = file_sha256(path)
    except OSError as err:
        raise PosteriorError(f"cannot read {path.name}: {err.strerror or err}") from None
    if sha256 is not None and digest != sha256:
        raise PosteriorError(
            f"{path.name} has sha256 {digest[:12]}..., not the {sha256[:12]}... the scenario "
            "names: the table changed since the scenario was written"
        )
    key = (str(path.resolve()), digest)
    if key in _CACHE:
        return _CACHE[key]
    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises many kinds
        raise PosteriorError(f"{path.name} is not a Parquet table ({type(err).__name__})") from None
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise PosteriorError(f"{path.name} has no column {missing[0]!r} (needs {REQUIRED})")
    if frame.empty:
        raise PosteriorError(f"{path.name} has no rows")
    weight = _floats(frame, "weight", path)
    if (weight < 0).any() or not math.isfinite(weight.sum()) or weight.sum() <= 0:
        raise PosteriorError(f"{path.name}: weights must be non-negative with a positive sum")
    replicate = _floats(frame, "replicate", path)
    if (replicate < 0).any() or (replicate != np.floor(replicate)).any():
        raise PosteriorError(f"{path.name}: replicate must hold non-negative whole numbers")
    columns = {
        str(c): _floats(frame, c, path)
        for c in frame.columns
        if c not in REQUIRED and "." in str(c)  # key paths; other columns are diagnostics
    }
    table = PosteriorTable(
        path=path,
        sha256=digest,
        particle=frame["particle"].to_numpy(np.int64),
        weight=weight / weight.sum(),
        replicate=frame["replicate"].to_numpy(np.uint64),
        columns=columns,
    )
    _CACHE[key] = table
    return table


def _floats(frame: Any, column: str, path: Path) -> np.ndarray:
    try:
        values = frame[column].to_numpy(np.float64)
    except (TypeError, ValueError):
        raise PosteriorError(f"{path.name}: column {column!r} must hold numbers") from None
    if not np.isfinite(values).all():
        raise PosteriorError(f"{path.name}: column {column!r} holds a missing or infinite value")
    return values


LIST_KEYS = {"actors": "name", "relations": "id", "events": "id"}


def sample_overrides(paths: list[str]) -> dict[str, Any]:
    """The part of a scenario document that gives every parameter at ``paths`` as
    ``{dist: sample}`` (list items of actors, relations and events by name or id)."""
    from hegemon.scenario.keypaths import KeyPath

    doc: dict[str, Any] = {}
    for path in paths:
        parts = KeyPath.parse(path).parts
        if parts[0] in LIST_KEYS:
            items = doc.setdefault(parts[0], [])
            key = LIST_KEYS[parts[0]]
            item = next((i for i in items if i[key] == parts[1]), None)
            if item is None:
                item = {key: parts[1]}
                items.append(item)
            node, rest = item, parts[2:]
        else:
            node, rest = doc.setdefault(parts[0], {}), parts[1:]
        for part in rest[:-1]:
            node = node.setdefault(part, {})
        node[rest[-1]] = {"dist": "sample"}
    return doc


def calibrated_text(
    *,
    extends: str,
    name: str,
    title: str,
    question: str,
    observations: str,
    table: str,
    sha256: str,
    seed: int,
    cutoff: Any,
    paths: list[str],
    header: str = "",
) -> str:
    """The YAML text of a calibrated scenario: it ``extends`` the calibrated one, names its
    observations and posterior table, and gives the calibrated parameters as
    ``{dist: sample}`` (its own ``calibration:`` block is cleared: its parameters are no
    longer priors)."""
    import yaml

    doc: dict[str, Any] = {
        "extends": extends,
        "name": name,
        "title": title,
        "question": question,
        "observations": observations,
        "calibration": None,
        "posterior": {
            "table": table,
            "sha256": sha256,
            "seed": int(seed),
            "cutoff": cutoff,
        },
        **sample_overrides(paths),
    }
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    return ("\n".join(lines) + "\n" if lines else "") + text

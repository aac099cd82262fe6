"""The results floor: every results folder is written and recognised here.

A folder is written beside its target and renamed into place when complete, so a folder
that exists is always whole; its ``manifest.json`` is written last and says the folder's
``kind``: ``run`` (one scenario's tables), ``compare`` (several runs and their paired
differences), ``sweep`` or ``sensitivity`` (tables over parameter samples), ``discover``
(the boxes of the parameters where an outcome happens), ``score`` (a run scored against
observations) and ``calibrate`` (the posterior of a scenario's parameters given observations,
and the calibrated scenario).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import glob
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import yaml

from hegemon.errors import BadInput, HegemonError
from hegemon.scenario.schema import Scenario

Kind = Literal[
    "run", "compare", "sweep", "sensitivity", "discover", "score", "calibrate", "export"
]  # fmt: skip
KINDS: tuple[Kind, ...] = (
    "run", "compare", "sweep", "sensitivity", "discover", "score", "calibrate", "export",
)  # fmt: skip
TABLES = ("summary", "timeseries", "events", "outcomes")
DEPENDENCIES = ("mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "matplotlib", "click")
# the table that tells a folder's kind where its manifest does not (folders of version 0.1)
_KIND_MARKERS: tuple[tuple[str, Kind], ...] = (
    ("paired_differences.parquet", "compare"),
    ("sweep.parquet", "sweep"),
    ("indices.parquet", "sensitivity"),
    ("scores.parquet", "score"),
    ("posterior.parquet", "calibrate"),
    ("boxes.parquet", "discover"),
    ("exported.csv", "export"),
    ("summary.parquet", "run"),
)


def scenario_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML text (what the sha256 in the manifest is taken of):
    ``extends:`` is already applied, so the text stands alone."""
    data = scenario.model_dump(mode="json", exclude_none=True, exclude={"extends"})
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def kind_of(path: Path) -> Kind:
    """The kind of the results folder at ``path``, from its manifest."""
    return read_manifest(path)["kind"]


def read_manifest(path: Path, kind: Kind | None = None) -> dict[str, Any]:
    """The manifest of the results folder at ``path`` (with its ``kind``); refuse a folder
    without one, or of another kind than ``kind``."""
    file = Path(path) / "manifest.json"
    if not file.is_file():
        raise HegemonError(f"{path}: not a results folder (no manifest.json)")
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise HegemonError(f"{file}: not a hegemon manifest (unreadable JSON)") from None
    if not isinstance(manifest, dict):
        raise HegemonError(f"{file}: not a hegemon manifest (expected a JSON object)")
    if "kind" not in manifest:
        found = next((k for name, k in _KIND_MARKERS if (Path(path) / name).exists()), None)
        if found is None:
            raise HegemonError(f"{path}: incomplete results folder (no summary.parquet)")
        manifest["kind"] = found
    if kind is not None and manifest["kind"] != kind:
        raise HegemonError(f"{path}: a {manifest['kind']} folder, not a {kind} folder")
    return manifest


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` (last: a folder with a manifest is complete)."""
    text = json.dumps(dict(manifest, end_time=now()), indent=2) + "\n"
    (folder / "manifest.json").write_text(text, encoding="utf-8")


@contextlib.contextmanager
def atomic_folder(target: Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; when the block ends without error,
    rename it to ``target`` (replacing it only if ``overwrite``); on error remove it. So a
    folder at ``target`` is always complete."""
    check_target(target, overwrite=overwrite)
    staging = staging_folder(target)
    try:
        yield staging
        move_into_place(staging, target, overwrite=overwrite)
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise HegemonError(f"{target}: cannot write: {err.strerror or err}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def check_folder_name(target: Path) -> None:
    """Refuse an output path that names no new folder: ``.``, ``""`` (the same), ``..`` or
    ``/`` (one line, exit status 2 in the CLI)."""
    name = Path(target).name
    if name not in ("", ".", ".."):
        return
    text = str(target)
    why = {".": "the current folder", "/": "the root folder"}.get(text)
    why = why or ("a parent folder" if name == ".." else "no new folder")
    raise BadInput(
        f"-o {str(target)!r}: not a name for a results folder (it is {why}); give a new "
        "folder's name, e.g. -o results/mine"
    )


def check_target(target: Path, *, overwrite: bool, partial: bool = False) -> None:
    """Refuse a folder to write that names no new folder, is a symbolic link, or exists
    without ``overwrite``, or exists and is not a folder hegemon may replace: a results
    folder (its manifest says its kind), an empty folder or, with ``partial``, an
    interrupted run's ``.partial`` folder."""
    check_folder_name(target)
    if target.is_symlink():
        raise HegemonError(f"{target}: is a symbolic link; refusing to write through it")
    if not target.exists():
        return
    ours = replaceable(target, partial=partial)
    if not ours:
        raise HegemonError(
            f"{target}: already exists and is not a hegemon results folder (no manifest.json "
            "of a run, comparison, sweep or sensitivity analysis) nor a workbook it exported; "
            "refusing to replace it: choose another folder"
        )
    if not overwrite:
        raise HegemonError(
            f"{target}: already exists; choose another folder or pass --force to replace it"
        )


def results_kind(path: Path) -> Kind | None:
    """The kind of the complete results folder at ``path``, or None if it is not one: its
    ``manifest.json`` is a JSON object whose ``kind`` is one of :data:`KINDS`, beside the
    table that kind always holds."""
    file = Path(path) / "manifest.json"
    try:
        if not Path(path).is_dir() or not file.is_file():
            return None
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    kind = manifest.get("kind") if isinstance(manifest, dict) else None
    marker = next((name for name, k in _KIND_MARKERS if k == kind), None)
    if marker is None or not (Path(path) / marker).is_file():
        return None
    return kind


_WORK_FOLDERS = {"outcomes", "events", "sums", "sample", "timeseries"}


def interrupted_run(path: Path) -> bool:
    """Whether ``path`` is an interrupted run's (or comparison's) ``.partial`` folder: it has
    ``_work/progress.json``, or is complete, or holds only the empty folders a run makes
    before its first file."""
    path = Path(path)
    if not path.is_dir() or path.is_symlink():
        return False
    work = path / "_work"
    if (work / "progress.json").is_file() or results_kind(path) is not None:
        return True
    if {p.name for p in path.iterdir()} != {"_work"} or not work.is_dir():
        return False
    inside = list(work.iterdir())
    return all(p.name in _WORK_FOLDERS and p.is_dir() and not any(p.iterdir()) for p in inside)


def replaceable(path: Path, *, partial: bool = False) -> bool:
    """Whether ``--force`` may replace what is at ``path``: a results folder, an empty folder
    or, with ``partial``, an interrupted run's ``.partial`` folder. Anything else (a file, a
    project, someone's data) is never deleted."""
    path = Path(path)
    if path.is_file() and not path.is_symlink():
        return hegemon_workbook(path)
    if path.is_symlink() or not path.is_dir():
        return False
    if results_kind(path) is not None or not any(path.iterdir()):
        return True
    return partial and interrupted_run(path)


WORKBOOK_CREATOR = "hegemon export"  # the creator in the properties of a workbook it writes


def hegemon_workbook(path: Path) -> bool:
    """Whether ``path`` is an Excel workbook that ``hegemon export`` wrote (its document
    properties name it as the creator), which ``--force`` may replace."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as book:
            core = book.read("docProps/core.xml").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return f"<dc:creator>{WORKBOOK_CREATOR}</dc:creator>" in core


def _owner() -> str:
    """Who makes a staging folder: this host and process, written into its name, so that a
    later save can tell a folder left by a killed process from one in use."""
    return f"{socket.gethostname()}-{os.getpid()}"


def remove_stale(target: Path) -> None:
    """Remove the hidden staging (``.tmp``) and trash (``.old``) folders beside ``target`` that
    a process of this host left when it was killed (its pid is not running any more)."""
    host = socket.gethostname()
    try:
        found = list(target.parent.glob(f".{glob.escape(target.name)}.{glob.escape(host)}-*"))
    except OSError:
        return
    for folder in found:
        pid = folder.name[len(f".{target.name}.{host}-") :].split(".", 1)[0]
        if not folder.name.endswith((".tmp", ".old")) or not pid.isdigit():
            continue
        if folder.is_dir() and not folder.is_symlink() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def staging_folder(target: Path) -> Path:
    """An empty temporary folder beside ``target``, on the same file system (and, first, the
    stale ones a killed process left there removed)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(target)
        prefix = f".{target.name}.{_owner()}."
        return Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=target.parent))
    except OSError as err:
        raise HegemonError(
            f"{target.parent}: cannot create the results folder: {err.strerror or err}"
        ) from None


def move_into_place(staging: Path, target: Path, *, overwrite: bool) -> None:
    """Rename a complete ``staging`` folder to ``target``, replacing it if ``overwrite``."""
    if target.exists():
        check_target(target, overwrite=overwrite)  # again: it may have changed meanwhile
        prefix = f".{target.name}.{_owner()}."
        trash = Path(tempfile.mkdtemp(prefix=prefix, suffix=".old", dir=target.parent))
        os.replace(target, trash / target.name)
        os.replace(staging, target)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(staging, target)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def make_manifest(
    scenario: Scenario,
    *,
    kind: Kind = "run",
    seed: int,
    replicates: int,
    store: str,
    command: str | None,
    resolved: str | None = None,
) -> dict[str, Any]:
    """Everything needed to reproduce a run and to know what produced it (``resolved``: the
    scenario's YAML text, if already made)."""
    return {
        "kind": kind,
        "scenario": scenario.name,
        "scenario_sha256": hashlib.sha256(
            (resolved or scenario_yaml(scenario)).encode()
        ).hexdigest(),
        "seed": seed,
        "replicates": replicates,
        "store": store,
        "start": scenario.start.isoformat(),
        "end": scenario.end.isoformat(),
        "steps": scenario.steps,
        "step": scenario.step,
        "versions": dict(versions()),
        "git_commit": git_commit(),
        "command": command if command is not None else " ".join(sys.argv),
        "start_time": now(),
    }


@functools.cache
def versions() -> dict[str, str | None]:
    """The versions of Python, hegemon and its dependencies (read once per process)."""
    found: dict[str, str | None] = {"python": sys.version.split()[0]}
    for dist in ("hegemon", *DEPENDENCIES):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    return found


def git_commit() -> str | None:
    """The commit of the hegemon source tree, when it is a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


class TableFolder:
    """A results folder of Parquet tables, read lazily by name: the base of the folders of
    samples, scores and calibrations. ``kinds``: the manifest kinds the class reads."""

    kinds: tuple[Kind, ...] = ()

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.manifest: dict[str, Any] = read_manifest(self.path)
        self.kind: Kind = self.manifest["kind"]
        if self.kind not in self.kinds:
            raise HegemonError(
                f"{self.path}: a {self.kind} folder, not a {' or '.join(self.kinds)} folder"
            )
        self._tables: dict[str, Any] = {}

    @classmethod
    def load(cls, path: Path | str) -> Any:
        return cls(path)

    def table(self, name: str) -> Any:
        """The table ``name``.parquet of the folder, as a pandas DataFrame (read once)."""
        if name not in self._tables:
            import pandas as pd

            self._tables[name] = pd.read_parquet(self.path / f"{name}.parquet")
        return self._tables[name]

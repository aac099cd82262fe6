"""The layering contract: scenario → model → ensemble → analysis → results → plots → faces.

A module may import modules of its own layer and of the layers below it, never above. Every
import counts, including those inside functions and under ``TYPE_CHECKING``: a lazy import
is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "hegemon"

# Lowest first. ``errors`` is the floor every layer may use.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("errors", ("hegemon.errors",)),
    ("scenario", ("hegemon.scenario",)),
    ("model", ("hegemon.model",)),
    ("ensemble", ("hegemon.ensemble",)),
    ("analysis", ("hegemon.analysis",)),
    ("results", ("hegemon.results",)),
    ("plots", ("hegemon.plots",)),
    ("faces", ("hegemon", "hegemon.api", "hegemon.cli", "hegemon.dashboard", "hegemon.__main__")),
)


def layer_of(module: str) -> int:
    """The rank of the layer a module belongs to (the longest matching prefix wins)."""
    best, rank = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    if rank < 0:
        raise AssertionError(f"{module} is on no layer: add it to LAYERS")
    return rank


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """Every hegemon module that ``path`` imports, with the line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return [(line, name) for line, name in found if name.split(".")[0] == "hegemon"]


SOURCES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_imports_a_higher_layer(path: Path) -> None:
    own = layer_of(module_name(path))
    upward = [
        f"line {line}: {name} ({LAYERS[layer_of(name)][0]})"
        for line, name in imports(path)
        if layer_of(name) > own
    ]
    assert not upward, f"{module_name(path)} ({LAYERS[own][0]}) imports upward: {upward}"


def test_the_contract_sees_every_layer() -> None:
    seen = {layer_of(module_name(p)) for p in SOURCES}
    assert seen == set(range(len(LAYERS)))


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    """The check itself: a model module that imports the CLI is reported."""
    assert layer_of("hegemon.cli") > layer_of("hegemon.model.model")
    assert layer_of("hegemon.plots.figures") > layer_of("hegemon.results")
    assert layer_of("hegemon") == layer_of("hegemon.api")

"""hegemon: an agent-based simulation of geopolitical influence, built on Mesa.

>>> import hegemon
>>> results = hegemon.run(hegemon.load_scenario("baseline"), replicates=10, seed=1)
>>> results.summary.columns[:6].tolist()
['scenario', 'step', 'date', 'metric', 'actor', 'target']
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "Comparison",
    "Results",
    "Scenario",
    "calibrate",
    "compare",
    "discover",
    "draw",
    "export",
    "load_scenario",
    "run",
    "save",
    "score",
    "sensitivity",
    "sweep",
]

if TYPE_CHECKING:
    from hegemon.api import (
        calibrate,
        compare,
        discover,
        draw,
        export,
        run,
        save,
        score,
        sensitivity,
        sweep,
    )
    from hegemon.results import Comparison, Results
    from hegemon.scenario import Scenario, load_scenario

_LAZY = {
    "run": "hegemon.api",
    "calibrate": "hegemon.api",
    "compare": "hegemon.api",
    "sweep": "hegemon.api",
    "sensitivity": "hegemon.api",
    "discover": "hegemon.api",
    "draw": "hegemon.api",
    "export": "hegemon.api",
    "save": "hegemon.api",
    "score": "hegemon.api",
    "Results": "hegemon.results",
    "Comparison": "hegemon.results",
    "Scenario": "hegemon.scenario",
    "load_scenario": "hegemon.scenario",
}


def __getattr__(name: str) -> Any:
    """Import the public API on first use, so that ``hegemon --help`` stays fast."""
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'hegemon' has no attribute {name!r}")

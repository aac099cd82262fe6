"""Values the engine derives from its arrays, computed again only when one of them changes.

The model never writes into a parameter or a state array that a derived value reads: an
event sets a parameter to a new array, and ground, honours and invocations move by new
arrays. So "the same inputs" is "the same objects", a check that costs nothing beside the
arithmetic it saves (the weekly drift of growth, a side's unmet claim, a power's
credibility, the discount of its record).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Derived:
    """``compute(*inputs)``, kept until it is asked for with inputs that are not all the
    same objects as the last time."""

    def __init__(self, compute: Callable[..., Any]):
        self.compute = compute
        self._inputs: tuple[Any, ...] | None = None
        self._value: Any = None

    def __call__(self, *inputs: Any) -> Any:
        last = self._inputs
        if last is None or any(a is not b for a, b in zip(inputs, last, strict=True)):
            self._value = self.compute(*inputs)
            self._inputs = inputs
        return self._value

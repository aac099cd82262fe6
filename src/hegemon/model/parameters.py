"""Turn a scenario's parameters into per-replicate arrays (the epistemic draws)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
from pydantic import BaseModel

from hegemon.model.streams import Streams
from hegemon.scenario.distributions import is_distribution, is_param_field


class ParameterDraws:
    """Draws every parameter once per replicate and remembers the ones that vary.

    A parameter at key path ``actors.Russia.resolve`` given as a distribution is drawn from
    the replicate's stream ``param:actors.Russia.resolve``: the same draw in every scenario
    that gives that parameter the same distribution.
    """

    def __init__(
        self, streams: Streams, replicates: int, fixed: dict[str, np.ndarray] | None = None
    ):
        self.streams = streams
        self.replicates = replicates
        self.fixed = fixed or {}
        self.drawn: dict[str, np.ndarray] = {}

    def value(self, path: str, value: Any) -> np.ndarray:
        """A parameter's values, shape (replicates,): given per replicate in ``fixed`` (a
        sweep or a sensitivity sample), else drawn from its distribution, else constant."""
        if path in self.fixed:
            values = np.asarray(self.fixed[path], dtype=np.float64)
            self.drawn[path] = values
            return values.copy()
        if is_distribution(value):
            draws = value.ppf(self.streams.parameter(path)).astype(np.float64)
            self.drawn[path] = draws
            return draws
        return np.full(self.replicates, float(value))

    def resolve(self, spec: BaseModel, path: str) -> SimpleNamespace:
        """A namespace with ``spec``'s fields: numeric parameters as arrays, mappings of
        parameters as dicts of arrays, nested sections resolved, everything else as is."""
        out = {}
        for field, info in type(spec).model_fields.items():
            value = getattr(spec, field)
            key = f"{path}.{field}"
            if value is not None and is_param_field(info):
                if isinstance(value, dict):
                    out[field] = {k: self.value(f"{key}.{k}", v) for k, v in value.items()}
                else:
                    out[field] = self.value(key, value)
            elif isinstance(value, BaseModel):
                out[field] = self.resolve(value, key)
            else:
                out[field] = value
        return SimpleNamespace(**out)

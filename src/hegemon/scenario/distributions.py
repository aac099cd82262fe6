"""Epistemic parameters: a number, or a distribution drawn once per replicate.

Any numeric parameter of a scenario may be written as a plain number or as a mapping
``{dist: uniform|normal|beta|triangular, ...}``, or ``{dist: sample}`` (a column of the
scenario's posterior table, drawn jointly by rows; see ``hegemon.scenario.posterior``). A
distribution is turned into per-replicate values by its quantile function applied to uniform
numbers from the replicate's random stream, so that replicate k gets the same draw whatever
the chunking (see ``hegemon.model.streams``).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, get_args

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    model_validator,
)


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def support(self) -> tuple[float, float]:
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantile function at ``u`` (uniform numbers in (0, 1))."""
        raise NotImplementedError


class Uniform(_Dist):
    """Every value in ``[low, high]`` equally likely."""

    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low <= self.high:
            raise ValueError(f"uniform needs low <= high, got low={self.low}, high={self.high}")
        return self

    def support(self) -> tuple[float, float]:
        return self.low, self.high

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * u


class Normal(_Dist):
    """Normal with ``mean`` and ``sd``, truncated to ``[low, high]`` (default: the parameter's
    allowed range)."""

    dist: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)
    low: float = -math.inf
    high: float = math.inf

    @model_validator(mode="after")
    def _inside(self) -> Normal:
        if not self.low <= self.mean <= self.high:
            raise ValueError(f"normal needs low <= mean <= high, got mean={self.mean}")
        return self

    def support(self) -> tuple[float, float]:
        return self.low, self.high

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy import stats

        a = (self.low - self.mean) / self.sd
        b = (self.high - self.mean) / self.sd
        return np.asarray(stats.truncnorm.ppf(u, a, b, loc=self.mean, scale=self.sd))


class Beta(_Dist):
    """Beta(a, b) rescaled to ``[low, high]`` (default 0..1)."""

    dist: Literal["beta"]
    a: float = Field(gt=0)
    b: float = Field(gt=0)
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _ordered(self) -> Beta:
        if not self.low < self.high:
            raise ValueError(f"beta needs low < high, got low={self.low}, high={self.high}")
        return self

    def support(self) -> tuple[float, float]:
        return self.low, self.high

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy import stats

        return self.low + (self.high - self.low) * np.asarray(stats.beta.ppf(u, self.a, self.b))


class Triangular(_Dist):
    """Triangular on ``[low, high]`` with its peak at ``mode``."""

    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(
                "triangular needs low <= mode <= high and low < high, "
                f"got low={self.low}, mode={self.mode}, high={self.high}"
            )
        return self

    def support(self) -> tuple[float, float]:
        return self.low, self.high

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy import stats

        c = (self.mode - self.low) / (self.high - self.low)
        return np.asarray(
            stats.triang.ppf(u, c, loc=self.low, scale=self.high - self.low), dtype=float
        )


class Sample(_Dist):
    """A column of the scenario's posterior table (``posterior:``, a joint distribution):
    every parameter given as ``{dist: sample}`` takes its value from the same row, drawn
    once per replicate by weight, so the particles' correlations are kept. ``column`` names
    the table's column (default: the parameter's key path). The values live in the table,
    not here: the loader checks them against the parameter's bounds."""

    dist: Literal["sample"]
    column: str | None = Field(None, min_length=1, max_length=200)

    def support(self) -> tuple[float, float]:
        return -math.inf, math.inf

    def ppf(self, u: np.ndarray) -> np.ndarray:
        raise TypeError("a sample distribution is drawn by rows of the posterior table")


Distribution = Annotated[Uniform | Normal | Beta | Triangular | Sample, Field(discriminator="dist")]
_DIST_ADAPTER: TypeAdapter[Any] = TypeAdapter(Distribution)
DIST_KINDS = ("uniform", "normal", "beta", "triangular", "sample")


def parse_distribution(value: dict[str, Any]) -> Any:
    """A distribution from its mapping (``{dist: uniform, low: 0, high: 1}``)."""
    return _DIST_ADAPTER.validate_python(value)


def _parse_param(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"expected a number or a distribution, got {value!r}")
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ValueError(f"expected a finite number, got {str(value)[:40]}")
        return number
    if isinstance(value, _Dist):
        return value
    if isinstance(value, dict):
        if value.get("dist") not in DIST_KINDS:
            raise ValueError(
                "expected a distribution mapping with dist: one of "
                f"{', '.join(DIST_KINDS)}, got dist={value.get('dist')!r}"
            )
        return _DIST_ADAPTER.validate_python(value)
    raise ValueError(f"expected a number or a distribution mapping, got {value!r}")


class Bounds:
    """Allowed range of a parameter; checked for numbers and for a distribution's support."""

    def __init__(self, lo: float = -math.inf, hi: float = math.inf):
        self.lo, self.hi = lo, hi

    def __call__(self, value: float | _Dist) -> float | _Dist:
        if isinstance(value, Sample):
            return value  # its values are in the posterior table, checked by the loader
        if isinstance(value, Normal):
            if not self.lo <= value.mean <= self.hi:
                raise ValueError(f"expected a normal mean {self.describe()}, got {value.mean}")
            value = value.model_copy(
                update={"low": max(value.low, self.lo), "high": min(value.high, self.hi)}
            )
        lo, hi = value.support() if isinstance(value, _Dist) else (value, value)
        if lo < self.lo or hi > self.hi:
            what = "values" if isinstance(value, _Dist) else "a number"
            shown = f"{lo}..{hi}" if lo != hi else f"{lo}"
            raise ValueError(f"expected {what} {self.describe()}, got {shown}")
        return value

    def describe(self) -> str:
        if math.isinf(self.hi):
            return f">= {self.lo:g}"
        if math.isinf(self.lo):
            return f"<= {self.hi:g}"
        return f"in [{self.lo:g}, {self.hi:g}]"


class _BoundsInSchema:
    """Puts a parameter's bounds in its JSON Schema: ``minimum``/``maximum`` on the number
    (a distribution's support is checked against them when the file is read)."""

    def __init__(self, lo: float, hi: float):
        self.lo, self.hi = lo, hi

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema = handler(core_schema)
        for option in schema.get("anyOf", [schema]):
            if option.get("type") == "number":
                if math.isfinite(self.lo):
                    option["minimum"] = self.lo
                if math.isfinite(self.hi):
                    option["maximum"] = self.hi
        return schema


def Param(lo: float = -math.inf, hi: float = math.inf) -> Any:
    """A numeric parameter in ``[lo, hi]``: a number, or a distribution within those bounds."""
    return Annotated[
        float | Distribution,
        BeforeValidator(_parse_param),
        AfterValidator(Bounds(lo, hi)),
        _BoundsInSchema(lo, hi),
    ]


def is_distribution(value: Any) -> bool:
    return isinstance(value, _Dist)


def is_sample(value: Any) -> bool:
    """Whether ``value`` is a column of the posterior table (``{dist: sample}``)."""
    return isinstance(value, Sample)


def param_bounds(info: Any) -> Bounds | None:
    """The bounds a field declared with :func:`Param` checks, if any."""

    def find(metadata: Any) -> Bounds | None:
        for m in metadata:
            if isinstance(getattr(m, "func", None), Bounds):
                return m.func
        return None

    found = find(info.metadata)
    tp = info.annotation
    while found is None and tp is not None:
        found = find(getattr(tp, "__metadata__", ()))
        args = [a for a in get_args(tp) if a is not type(None)]
        tp = args[-1] if args else None
    return found


def is_param_field(info: Any) -> bool:
    """Whether a pydantic field (or a mapping/optional of it) was declared with :func:`Param`."""

    def declared(tp: Any) -> bool:
        for m in getattr(tp, "__metadata__", ()):
            if getattr(m, "func", None) is _parse_param:
                return True
        return any(declared(arg) for arg in get_args(tp))

    return any(getattr(m, "func", None) is _parse_param for m in info.metadata) or declared(
        info.annotation
    )

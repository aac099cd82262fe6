"""Counter-based random numbers: replicate k's draws depend only on (seed, k, step, stream).

Each draw is a hash (SplitMix64 finalizer, Steele et al. 2014) of the seed, the replicate
index, the step and a stream id derived from the stream's name. Nothing is carried from one
draw to the next, so a replicate gives the same numbers alone, in a batch of ten or in a chunk
on a remote worker, and replicate k draws the same numbers in every scenario that uses the
same stream names: comparisons between scenarios use common random numbers.
"""

from __future__ import annotations

import zlib

import numpy as np

_GOLDEN_INT = 0x9E3779B97F4A7C15
_MASK = 0xFFFFFFFFFFFFFFFF
_GOLDEN = np.uint64(_GOLDEN_INT)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_TO_UNIT = 2.0**-53
EPISTEMIC_STEP = 2**40  # a step index no simulation reaches: parameter draws live here


def _mix(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """SplitMix64 finalizer on uint64 arrays (wrapping arithmetic), into ``out`` where given
    (which may be ``x``), else into a new array: the input is left as it was."""
    x = np.bitwise_xor(x, x >> _S30, out=out)
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


def _unit(base: np.ndarray, step: int) -> np.ndarray:
    """The step's uniform numbers in (0, 1) of the streams whose base keys are ``base``."""
    bits = base + np.uint64(((step + 1) * _GOLDEN_INT) & _MASK)
    bits = _mix(bits, out=bits)
    bits >>= np.uint64(11)
    unit = bits.astype(np.float64)
    unit += 0.5
    unit *= _TO_UNIT
    return unit


def stream_id(name: str) -> int:
    """Stable 32-bit id of a stream name (the same in every process and Python version)."""
    return zlib.crc32(name.encode("utf-8"))


def _replicate_base(seed: int, replicates: np.ndarray) -> np.ndarray:
    seed_key = _mix(np.array([seed & _MASK], dtype=np.uint64) + _GOLDEN)
    return _mix(seed_key ^ (np.asarray(replicates, dtype=np.uint64) * _GOLDEN))


class Streams:
    """Uniform and normal draws for a block of replicates, keyed by stream name and step.

    With ``replay=(seed, replicates, until)``, every draw of a step up to ``until`` and every
    epistemic draw is that of replicate ``replicates[r]`` of ``seed`` instead of replicate
    ``r``'s own: a calibrated scenario replays its particles' past this way (ODD 4.9)."""

    def __init__(
        self,
        seed: int,
        replicates: np.ndarray,
        replay: tuple[int, np.ndarray, int] | None = None,
    ):
        self.replicates = np.asarray(replicates, dtype=np.uint64)
        self._base = _replicate_base(seed, self.replicates)
        self._past: np.ndarray | None = None
        self.until = -1
        if replay is not None:
            past_seed, past_ids, self.until = replay
            self._past = _replicate_base(past_seed, past_ids)
        self._cache: dict[tuple[str, bool], np.ndarray] = {}
        self._stacked: dict[tuple[tuple[str, ...], bool], np.ndarray] = {}

    def _replays(self, step: int) -> bool:
        return self._past is not None and (step <= self.until or step == EPISTEMIC_STEP)

    def _stream_base(self, name: str, past: bool = False) -> np.ndarray:
        base = self._cache.get((name, past))
        if base is None:
            sid = np.uint64((stream_id(name) * 0x94D049BB133111EB) & _MASK)
            own = self._past if past and self._past is not None else self._base
            base = self._cache[name, past] = _mix(own ^ sid)
        return base

    def uniform(self, name: str, step: int) -> np.ndarray:
        """Uniform numbers in the open interval (0, 1), one per replicate."""
        return _unit(self._stream_base(name, self._replays(step)), step)

    def own_uniform(self, name: str, step: int) -> np.ndarray:
        """``uniform`` of the replicates' own streams, whatever they replay."""
        return _unit(self._stream_base(name), step)

    def normal(self, name: str, step: int) -> np.ndarray:
        """Standard normal numbers, one per replicate (Box-Muller on two uniform streams)."""
        return self.normals((name,), step)[0]

    def uniforms(self, names: tuple[str, ...], step: int) -> np.ndarray:
        """``uniform(name, step)`` for every name, shape (len(names), replicates), from one
        hash over all the streams (the same numbers as one call per name)."""
        past = self._replays(step)
        bases = self._stacked.get((names, past))
        if bases is None:
            bases = self._stacked[names, past] = np.stack(
                [self._stream_base(n, past) for n in names]
            )
        return _unit(bases, step)

    def normals(self, names: tuple[str, ...], step: int) -> np.ndarray:
        """``normal(name, step)`` for every name, shape (len(names), replicates)."""
        u = self.uniforms((*names, *(name + "#2" for name in names)), step)
        u1, u2 = u[: len(names)], u[len(names) :]
        # sqrt(-2 log u1) * cos(2 pi u2), operation for operation, in the draws' own memory
        radius = np.log(u1, out=u1)
        radius *= -2.0
        np.sqrt(radius, out=radius)
        angle = np.multiply(2.0 * np.pi, u2, out=u2)
        np.cos(angle, out=angle)
        radius *= angle
        return radius

    def parameter(self, path: str) -> np.ndarray:
        """Uniform numbers for the once-per-replicate draw of the parameter at ``path``."""
        return self.uniform("param:" + path, EPISTEMIC_STEP)

"""Random numbers keyed by purpose, so that every draw is reproducible and shareable.

Two kinds:

- :func:`generator` gives a NumPy generator for one (seed, purpose, key) — used to build the world
  (customers, traits, invoices, ability shocks) month by month, so that a longer world starts with
  exactly the same months as a shorter one.
- :func:`uniform` is a counter-based hash: the uniform for (seed, purpose, id, day) is a pure function
  of those numbers. The day-step process draws all its outcome noise this way, so two policies that
  touch the same invoice on the same day see the same number (common random numbers), however many
  other invoices each of them touches.
"""

from __future__ import annotations

import hashlib

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_DAY = np.uint64(0xD1B54A32D192ED03)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_MASK = (1 << 64) - 1


def purpose_key(seed: int, purpose: str) -> int:
    """A stable 64-bit key for (seed, purpose), the same on every platform and run."""
    digest = hashlib.blake2b(f"{int(seed)}:{purpose}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def generator(seed: int, purpose: str, *keys: int) -> np.random.Generator:
    """A generator for one purpose (and e.g. month); independent of every other purpose."""
    entropy = [purpose_key(seed, purpose) & 0xFFFFFFFF, purpose_key(seed, purpose) >> 32]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=keys)))


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, in place."""
    shifted = np.right_shift(x, _S30)
    x ^= shifted
    x *= _M1
    x ^= np.right_shift(x, _S27, out=shifted)
    x *= _M2
    x ^= np.right_shift(x, _S31, out=shifted)
    return x


def uniform(key: int, ids: np.ndarray, day: int | np.ndarray = 0) -> np.ndarray:
    """Uniforms in (0, 1), one per id, as a pure function of (key, id, day)."""
    return _uniform_owned(key, np.asarray(ids).astype(np.uint64), day)


def _uniform_owned(key: int, x: np.ndarray, day: int | np.ndarray) -> np.ndarray:
    """:func:`uniform` of the uint64 ids ``x``, which it overwrites (no temporaries)."""
    x *= _GOLDEN
    if isinstance(day, np.ndarray):
        x += day.astype(np.uint64) * _DAY + np.uint64(key & _MASK)
    else:
        x += np.uint64((int(key) + int(day) * 0xD1B54A32D192ED03) & _MASK)
    _mix(x)
    x >>= _S11
    out = x.astype(np.float64)
    out += 0.5
    out *= 1.0 / (1 << 53)
    return out


def uniforms(key: int, ids: np.ndarray, day: int, count: int) -> np.ndarray:
    """``count`` independent uniforms per id, shape (count, len(ids)), in one pass."""
    ids = np.asarray(ids).astype(np.uint64, copy=False)
    lanes = np.arange(count, dtype=np.uint64)[:, None] * np.uint64(0x632BE59BD9B4E019)
    return _uniform_owned(key, (ids[None, :] + lanes).ravel(), day).reshape(count, len(ids))


def exponential(key: int, ids: np.ndarray, day: int | np.ndarray = 0) -> np.ndarray:
    """Unit-mean exponentials: thresholds for cumulative hazards."""
    u = uniform(key, ids, day)
    np.log(u, out=u)
    return np.negative(u, out=u)


class Keys:
    """The hash keys of one noise stream (history, a roll-out, an oracle replication)."""

    PURPOSES = (
        "threshold",
        "notice_threshold",
        "issue",
        "autopay",
        "partial",
        "instalment",
        "plan_request",
        "contact",
        "log_shift",
        "log_channel",
        "log_hour",
        "log_welcome",
        "log_pre_arm",
    )

    def __init__(self, seed: int, stream: str) -> None:
        self.seed = int(seed)
        self.stream = stream
        for purpose in self.PURPOSES:
            setattr(self, purpose, purpose_key(seed, f"{stream}/{purpose}"))

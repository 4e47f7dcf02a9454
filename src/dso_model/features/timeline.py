"""Sorted event timelines and "what was known strictly before t" look-ups.

Every feature is a question of the form "over the entries of group g (a customer, an invoice)
with a time strictly before t, what is the count / sum / last value?". A :class:`Timeline` sorts
entries once by a composite integer key ``group << 34 | seconds``, keeps per-group cumulative sums,
and answers a whole batch of such questions with one ``np.searchsorted(side="left")``: the
``left`` side is what makes an entry at exactly ``t`` unknown. Cumulative sums restart at every
group, so one customer's figures never depend on another customer's rows (and the Dask backend,
which sees other neighbours, gives bit-identical results).

Times are whole seconds relative to a :class:`Clock` base; ``NEVER`` stands for "not happened".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dso_model.errors import DsoInputError

SHIFT = 34  # bits of relative seconds in a key: about 544 years
NEVER = (1 << SHIFT) - 1
DAY = 86_400
NAT = np.iinfo(np.int64).min


def epoch_seconds(values: pd.Series | np.ndarray | pd.Index) -> np.ndarray:
    """Whole seconds since 1970 as int64 (``NAT`` for missing)."""
    arr = np.asarray(values)
    if arr.dtype.kind != "M":
        arr = pd.to_datetime(pd.Series(values)).to_numpy()
    return arr.astype("datetime64[s]").view(np.int64)


@dataclass(frozen=True)
class Clock:
    """Maps absolute seconds to relative ones (``0 .. NEVER - 1``); missing maps to ``NEVER``."""

    base: int

    @classmethod
    def spanning(cls, *arrays: np.ndarray) -> Clock:
        finite = [a[a != NAT] for a in arrays if len(a)]
        lows = [int(a.min()) for a in finite if len(a)]
        low = min(lows) if lows else 0
        return cls(base=low - low % DAY - DAY)  # a day of margin: day starts stay >= 0

    def rel(self, seconds: np.ndarray) -> np.ndarray:
        out = seconds - self.base
        missing = seconds == NAT
        out[missing] = NEVER
        if len(out) and (out[~missing] >= NEVER).any():
            raise DsoInputError("dates span more than 500 years; check the date columns")
        if len(out) and (out[~missing] < 0).any():
            raise ValueError("a time before the clock base")
        return out


def compose(groups: np.ndarray, rel: np.ndarray) -> np.ndarray:
    """Composite sort key; relative times are clipped to the representable range."""
    return (groups.astype(np.int64) << SHIFT) | np.clip(rel, 0, NEVER)


@dataclass
class Timeline:
    """Entries of many groups, sorted by (group, time); see the module docstring."""

    keys: np.ndarray
    first: np.ndarray  # first[g]: index of group g's first entry; first[ngroups] == len(keys)
    order: np.ndarray  # sorted position -> input row
    cum: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.keys)

    def probe(self, groups: np.ndarray, rel: np.ndarray) -> Probe:
        """Look up, for each (group, t), the entries of the group strictly before t."""
        idx = np.searchsorted(self.keys, compose(groups, rel), side="left")
        return Probe(self, idx, self.first[groups])


def build_timeline(
    groups: np.ndarray,
    rel: np.ndarray,
    ngroups: int,
    cumulative: Mapping[str, np.ndarray] | None = None,
    values: Mapping[str, np.ndarray] | None = None,
    presorted: bool = False,
) -> Timeline:
    """Sort entries by (group, time), ties in input order, and precompute per-group sums.

    ``cumulative`` columns become inclusive per-group running sums; ``values`` are kept as they
    are (in sorted order), for "last value" look-ups.
    """
    keys = compose(groups, rel)
    order = np.arange(len(keys)) if presorted else np.argsort(keys, kind="stable")
    keys = keys[order]
    first = np.searchsorted(keys, compose(np.arange(ngroups + 1), np.zeros(ngroups + 1, np.int64)))
    sorted_groups = groups[order]
    cum = running_sums(
        {k: np.asarray(v)[order] for k, v in (cumulative or {}).items()}, sorted_groups, first
    )
    kept = {k: np.asarray(v)[order] for k, v in (values or {}).items()}
    return Timeline(keys=keys, first=first, order=order, cum=cum, values=kept)


def running_sums(
    columns: dict[str, np.ndarray], groups: np.ndarray, first: np.ndarray
) -> dict[str, np.ndarray]:
    """Inclusive running sums restarting at every group, exact in both branches.

    Whole-number columns use one int64 cumulative sum minus the total at the group's start
    (integers do not round); fractional ones use pandas' per-group cumulative sum, which never
    adds another group's values, so a customer's sums do not depend on its neighbours.
    """
    out: dict[str, np.ndarray] = {}
    fractional = {}
    for name, values in columns.items():
        if values.dtype.kind in "biu":
            total = np.cumsum(values, dtype=np.int64)
            before = np.concatenate([[0], total])[first[groups]] if len(total) else total
            out[name] = total - before
        else:
            fractional[name] = values.astype(np.float64, copy=False)
    if fractional:
        sums = pd.DataFrame(fractional).groupby(groups, sort=False).cumsum()
        out.update({name: sums[name].to_numpy() for name in fractional})
    return out


class Probe:
    """The answer of :meth:`Timeline.probe`: entry ranges ``[start, idx)`` per query."""

    def __init__(self, timeline: Timeline, idx: np.ndarray, start: np.ndarray) -> None:
        self.timeline = timeline
        self.idx = idx
        self.start = start
        self._any: np.ndarray | None = None

    @property
    def count(self) -> np.ndarray:
        return self.idx - self.start

    @property
    def any(self) -> np.ndarray:
        if self._any is None:
            self._any = self.idx > self.start
        return self._any

    def total(self, column: str) -> np.ndarray:
        """Sum of ``column`` over the entries before t (0 when there are none)."""
        cum = self.timeline.cum[column]
        if not len(cum):
            return np.zeros(len(self.idx))
        return np.where(self.any, cum[self.idx - 1], 0.0)  # idx - 1 == -1 only where masked

    def last(self, column: str, back: int | np.ndarray = 0, fill: float = np.nan) -> np.ndarray:
        """Value of the entry ``back`` places before the last one before t (``fill`` if none)."""
        if isinstance(back, int) and back == 0:
            values = self.timeline.values[column]
            if not len(values):
                return np.full(len(self.idx), fill)
            return np.where(self.any, values[self.idx - 1], fill)
        pos = self.idx - 1 - back
        return take(self.timeline.values[column], pos, pos >= self.start, fill)


@dataclass
class Window:
    """Entries in ``[earlier, now)`` of the same groups: the difference of two probes."""

    now: Probe
    earlier: Probe

    @property
    def count(self) -> np.ndarray:
        return self.now.idx - self.earlier.idx

    def total(self, column: str) -> np.ndarray:
        return self.now.total(column) - self.earlier.total(column)


def take(array: np.ndarray, pos: np.ndarray, valid: np.ndarray, fill: float) -> np.ndarray:
    """``array[pos]`` where ``valid``, else ``fill``; safe on empty arrays."""
    if len(array) == 0:
        return np.full(np.shape(pos), fill, dtype=np.float64)
    got = array[np.clip(pos, 0, len(array) - 1)]
    return np.where(valid, got, fill)


def group_cummax(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Running maximum that restarts at every group (input sorted by group)."""
    if len(values) == 0:
        return values.copy()
    return pd.Series(values).groupby(groups, sort=False).cummax().to_numpy()


def days(seconds: np.ndarray) -> np.ndarray:
    return seconds / DAY

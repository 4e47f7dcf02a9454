"""Fast key look-ups on id columns (hash joins in Arrow, several times faster than pandas'
``Index.get_indexer``, ``isin`` and ``map`` on string columns; a direct table for ids that are
small whole numbers, such as numbered ids)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


class _Mismatch(Exception):
    """Keys and values are not of one Arrow type family: let pandas compare them."""


def _aligned(values, keys) -> tuple[pa.Array, pa.Array]:
    v, k = pa.array(values, from_pandas=True), pa.array(keys, from_pandas=True)
    if k.type == v.type:
        return v, k
    both_text = all(pa.types.is_string(t) or pa.types.is_large_string(t) for t in (v.type, k.type))
    if both_text or pa.types.is_null(k.type):
        return v, k.cast(v.type)
    raise _Mismatch


def _whole_numbers(values: np.ndarray) -> np.ndarray:
    """Which of ``values`` are whole numbers from 0 up, stored as such (not NaN, not -0.0)."""
    if values.dtype.kind != "f":
        return values >= 0
    return (values >= 0) & (np.floor(values) == values) & ~np.signbit(values)


def _direct_positions(values, keys) -> np.ndarray | None:
    """Positions through a table indexed by the key itself, when the keys are distinct whole
    numbers from 0 up to a few times their count and both sides are of one numeric type (the
    same matches as Arrow's: equal numbers, NaN never found); None otherwise."""
    dtype = keys.dtype
    if not isinstance(dtype, np.dtype) or dtype.kind not in "iuf" or values.dtype != dtype:
        return None
    k = np.asarray(keys)
    size = 4 * len(k) + 1024
    if not (_whole_numbers(k).all() and k.max(initial=0) < size):
        return None
    table = np.full(size, -1, dtype=np.int64)
    table[k.astype(np.int64)] = np.arange(len(k))
    v = np.asarray(values)
    usable = _whole_numbers(v) & (v < size)
    return np.where(usable, table[np.where(usable, v, 0).astype(np.int64)], -1)


def positions_in(values: pd.Series | pd.Index, keys: pd.Series | pd.Index) -> np.ndarray:
    """Position of each of ``values`` in ``keys`` (unique), ``-1`` when absent or missing."""
    if len(values) == 0:
        return np.empty(0, dtype=np.int64)
    direct = _direct_positions(values, keys)
    if direct is not None:
        return direct
    try:
        v, k = _aligned(values, keys)
        found = pc.index_in(v, value_set=k)
    except (_Mismatch, pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return pd.Index(keys).get_indexer(values)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def contains(values: pd.Series | pd.Index, keys: pd.Series | pd.Index) -> np.ndarray:
    """Boolean mask: which of ``values`` are among ``keys`` (a faster ``isin`` for id columns)."""
    if len(values) == 0 or len(keys) == 0:
        return np.zeros(len(values), dtype=bool)
    direct = _direct_positions(values, keys)
    if direct is not None:
        return direct >= 0
    try:
        v, k = _aligned(values, keys)
        found = pc.is_in(v, value_set=k)
    except (_Mismatch, pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return pd.Index(values).isin(keys)
    return found.fill_null(False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def map_values(values: pd.Series, mapping: pd.Series, fill: float = np.nan) -> np.ndarray:
    """``values.map(mapping)`` for a uniquely indexed ``mapping``, as a float array."""
    pos = positions_in(values, mapping.index)
    out = np.full(len(values), fill, dtype=float)
    hit = pos >= 0
    out[hit] = mapping.to_numpy(dtype=float)[pos[hit]]
    return out


def map_dates(values: pd.Series, mapping: pd.Series) -> np.ndarray:
    """``values.map(mapping)`` for a uniquely indexed ``mapping`` of dates, as ``datetime64[ns]``
    (NaT where a value is absent)."""
    pos = positions_in(values, mapping.index)
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    hit = pos >= 0
    out[hit] = mapping.to_numpy(dtype="datetime64[ns]")[pos[hit]]
    return out


def mapped_once(values: pd.Series, lookup) -> pd.Series:
    """``values.map(lookup)`` for a Python function ``lookup``, called once per distinct value."""
    return values.map({v: lookup(v) for v in pd.unique(values)})


def values_of(values: pd.Series, mapping: dict, fill: float = np.nan) -> np.ndarray:
    """``values.map(mapping).fillna(fill)`` as a float array, looked up once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    table = np.array([mapping.get(v, np.nan) for v in uniques], dtype=float)
    table[np.isnan(table)] = fill
    return table[codes]


def first_appearances(codes: np.ndarray) -> np.ndarray:
    """The first position of each code, in code order, for codes numbered in order of first
    appearance (``pd.factorize``'s, without missing values); found in one pass, no sort."""
    codes = np.asarray(codes)
    if not len(codes):
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)

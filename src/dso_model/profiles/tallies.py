"""Counts and shares per numbered id (see :func:`~dso_model.profiles.number_ids`) by ``bincount``.

Each gives what ``flags.groupby(ids).size()`` / ``.sum()`` / ``.mean()`` gives (ids without rows
left out, missing ids skipped, a float index named like ``ids``) without hashing the ids. Only
counts of rows and of 0/1 flags: whole numbers, so the totals are exact in any order and equal
pandas' to the bit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _codes(ids: pd.Series) -> tuple[np.ndarray | None, np.ndarray]:
    """Which ids are known (None: all of them) and the known ones as integers."""
    values = ids.to_numpy(dtype=float)
    known = ~np.isnan(values)
    if known.all():
        return None, values.astype(np.int64)
    return known, values[known].astype(np.int64)


def _index(present: np.ndarray, ids: pd.Series) -> pd.Index:
    return pd.Index(present.astype(float), name=ids.name)


def count_by(ids: pd.Series) -> pd.Series:
    """Rows per id."""
    _, codes = _codes(ids)
    rows = np.bincount(codes)
    present = np.flatnonzero(rows)
    return pd.Series(rows[present], index=_index(present, ids))


def _flag_totals(ids: pd.Series, flags) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Per id with rows: the sum and the number of the flags that are not missing."""
    known, codes = _codes(ids)
    values = np.asarray(flags, dtype=float)
    if known is not None:
        values = values[known]
    rows = np.bincount(codes)
    seen = ~np.isnan(values)
    if seen.all():
        total, counted = np.bincount(codes, weights=values, minlength=len(rows)), rows
    else:
        total = np.bincount(codes[seen], weights=values[seen], minlength=len(rows))
        counted = np.bincount(codes[seen], minlength=len(rows))
    present = np.flatnonzero(rows)
    return _index(present, ids), total[present].astype(float), counted[present]


def sum_by(ids: pd.Series, flags: pd.Series | np.ndarray) -> pd.Series:
    """Sum of 0/1 ``flags`` per id (missing flags skipped); integers for boolean flags."""
    index, total, _ = _flag_totals(ids, flags)
    if np.asarray(flags).dtype == bool:
        total = total.astype(np.int64)
    return pd.Series(total, index=index)


def share_by(ids: pd.Series, flags: pd.Series | np.ndarray) -> pd.Series:
    """Mean of 0/1 ``flags`` per id (missing flags skipped; NaN when all are missing)."""
    index, total, counted = _flag_totals(ids, flags)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.Series(total / counted, index=index)

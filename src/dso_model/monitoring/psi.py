"""Population stability index (PSI): how far a feature's distribution moved from a reference.

PSI = sum over bins of (actual% - expected%) * ln(actual% / expected%). Bins are the reference's
quantiles (so each holds about the same share of the reference); missing values get a bin of their
own, because a feature going missing more often is drift too. Usual reading: < 0.1 stable,
0.1-0.25 moderate shift, > 0.25 major shift.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

EPSILON = 1e-4  # floor of a bin share, so empty bins give a finite PSI


def quantile_edges(reference: np.ndarray, n_bins: int = 10) -> np.ndarray:
    """Inner bin edges at the reference's quantiles (duplicates removed: discrete features)."""
    values = reference[np.isfinite(reference)]
    if not len(values):
        return np.array([], dtype=float)
    qs = np.quantile(values, np.linspace(0, 1, n_bins + 1)[1:-1])
    return np.unique(qs)


def bin_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of ``values`` per bin: one bin per interval between ``edges``, then a missing bin."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    idx = np.searchsorted(edges, values[finite], side="right")
    counts = np.bincount(idx, minlength=len(edges) + 1).astype(float)
    counts = np.append(counts, float((~finite).sum()))
    total = counts.sum()
    return counts / total if total > 0 else counts


def population_stability_index(
    expected: Sequence[float] | np.ndarray,
    actual: Sequence[float] | np.ndarray,
    n_bins: int = 10,
) -> float:
    """PSI of ``actual`` against the reference ``expected`` (NaN when either is empty)."""
    expected = np.asarray(expected, dtype=float)
    actual = np.asarray(actual, dtype=float)
    if not len(expected) or not len(actual):
        return float("nan")
    edges = quantile_edges(expected, n_bins)
    e = np.maximum(bin_shares(expected, edges), EPSILON)
    a = np.maximum(bin_shares(actual, edges), EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_table(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: Sequence[str] | None = None,
    n_bins: int = 10,
) -> pd.DataFrame:
    """PSI per numeric column shared by both frames, largest first: columns feature, psi."""
    if columns is None:
        columns = [
            c
            for c in reference.columns
            if c in current.columns and pd.api.types.is_numeric_dtype(reference[c])
        ]
    rows = [
        (
            c,
            population_stability_index(
                reference[c].to_numpy(float), current[c].to_numpy(float), n_bins
            ),
        )
        for c in columns
    ]
    table = pd.DataFrame(rows, columns=["feature", "psi"])
    return table.sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)


def psi_level(psi: float, moderate: float = 0.1, major: float = 0.25) -> str:
    """'stable', 'moderate' or 'major' by the usual PSI reading."""
    if not np.isfinite(psi) or psi < moderate:
        return "stable"
    return "moderate" if psi < major else "major"

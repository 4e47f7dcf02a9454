"""Decision patterns of a LightGBM model: which rows fall on the same side of every split.

A tree model's output for a row (its prediction, and its TreeSHAP contributions) depends only on
the side of every split the row falls on, so rows of one pattern get the very same values, bit for
bit: scoring the first row of each pattern and copying its values to the others is exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def decision_patterns(booster: Any, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray] | None:
    """The first row of each distinct split pattern and each row's pattern number; None when the
    patterns cannot be read safely (non-numeric columns) or there are too few rows to gain."""
    if len(X) < 2 or X.shape[1] < booster.num_feature():
        return None
    inverse = column_patterns(split_points(booster), X)
    if inverse is None:
        return None
    return first_rows(inverse), inverse


def column_patterns(
    points: dict[int, list] | None, X: pd.DataFrame, first_feature: int = 0
) -> np.ndarray | None:
    """Pattern number of each row of ``X`` (in order of first appearance) over the splits
    (``points``, from :func:`split_points`) on its columns, the booster's features
    ``first_feature``, ``first_feature + 1``, ...; splits on the other features are left out.
    None when the patterns cannot be read safely (non-numeric columns, categorical splits)."""
    if points is None or not all(isinstance(t, np.dtype) and t.kind in "fiub" for t in X.dtypes):
        return None
    keys = _split_keys(points, X.to_numpy(np.float64), first_feature)
    inverse, _ = pd.factorize(_row_hash(keys, len(X)))
    stand_in = first_rows(inverse)[inverse]
    if not all(np.array_equal(key, key[stand_in]) for key in keys):
        return None
    return inverse


def first_rows(inverse: np.ndarray) -> np.ndarray:
    """The first row of each pattern, in pattern order."""
    return np.unique(inverse, return_index=True)[1]


def split_points(booster: Any) -> dict[int, list] | None:
    """Per feature index, the thresholds of its numerical splits; None if any split is
    categorical."""
    points: dict[int, list] = {}
    stack = [tree["tree_structure"] for tree in booster.dump_model()["tree_info"]]
    while stack:
        node = stack.pop()
        if "split_feature" not in node:
            continue
        if node.get("decision_type", "<=") != "<=":
            return None
        points.setdefault(int(node["split_feature"]), []).append(float(node["threshold"]))
        stack += [node["left_child"], node["right_child"]]
    return points


def _split_keys(points: dict[int, list], matrix: np.ndarray, first_feature: int) -> list:
    """Per split feature among the matrix's columns, each row's key: missing, zero, and how many
    thresholds (each widened by one unit in the last place on both sides) lie below the value;
    equal keys mean the same side of every split, whatever the split's missing-value rule."""
    keys = []
    for feature in sorted(points):
        column = feature - first_feature
        if not 0 <= column < matrix.shape[1]:
            continue
        t = np.asarray(points[feature])
        edges = np.unique(np.concatenate([t, np.nextafter(t, -np.inf), np.nextafter(t, np.inf)]))
        value = matrix[:, column]
        key = np.searchsorted(edges, value, side="left").astype(np.int32) * 2
        key += np.abs(value) <= 1e-35
        key[np.isnan(value)] = -1
        keys.append(key)
    return keys


def _row_hash(keys: list, n: int) -> np.ndarray:
    """A 64-bit hash of each row's keys (collisions are checked by the caller)."""
    h = np.full(n, 0x9E3779B97F4A7C15, dtype=np.uint64)
    prime, shift = np.uint64(0x100000001B3), np.uint64(29)
    with np.errstate(over="ignore"):
        for key in keys:
            h ^= key.astype(np.uint64)
            h *= prime
            h ^= h >> shift
    return h

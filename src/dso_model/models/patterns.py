"""Decision patterns of a LightGBM model: which rows fall on the same side of every split.

A tree model's output for a row (its prediction, and its TreeSHAP contributions) depends only on
the side of every split the row falls on, so rows of one pattern get the very same values, bit for
bit: scoring the first row of each pattern and copying its values to the others is exact. The
same holds tree by tree (:class:`TreePatterns`): over one iteration's few dozen splits a
million rows fall into a few thousand patterns, which is what makes TreeSHAP on every open invoice
affordable.
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
    if points is None or not _numeric(X):
        return None
    keys = _split_keys(points, X.to_numpy(np.float64), first_feature)
    inverse, _ = pd.factorize(_row_hash(keys, len(X)))
    stand_in = first_rows(inverse)[inverse]
    if not all(np.array_equal(key, key[stand_in]) for key in keys):
        return None
    return inverse


class TreePatterns:
    """Rows' patterns over the splits of any run of a model's boosting iterations.

    A tree's output for a row depends only on the side of each of the tree's own splits the row
    falls on, so the rows of one pattern over some iterations' splits get the very same values
    from those iterations' trees. A tree has a few dozen splits where the whole model has
    thousands: a million rows fall into thousands of patterns per iteration even where they fall
    into hundreds of thousands over the whole model. Each row's key over every split of the model
    is computed once (:meth:`of`); patterns over fewer splits coarsen those keys.
    """

    def __init__(
        self,
        iterations: list[dict[int, list]],
        matrix: np.ndarray,
        categorical: frozenset[int] = frozenset(),
    ) -> None:
        self.iterations = iterations
        self.matrix = matrix  # the rows, as float64 in the booster's feature order
        self.categorical = categorical  # features split on categories: keyed by exact value
        features = sorted({f for points in iterations for f in points})
        self.edges = {
            f: _edges(np.concatenate([p[f] for p in iterations if f in p]))
            for f in features
            if f not in categorical
        }
        self.keys = {f: _keys_on(e, matrix[:, f]) + 1 for f, e in self.edges.items()}  # 0: NaN
        self.sizes = {}  # keys per categorical feature
        for f in sorted(categorical):
            codes, values = pd.factorize(matrix[:, f])
            self.keys[f], self.sizes[f] = codes + 1, len(values) + 1  # 0: NaN
        self.n_rows = len(matrix)

    @classmethod
    def of(cls, booster: Any, X: pd.DataFrame) -> TreePatterns | None:
        """The patterns of ``X``'s rows (columns in the booster's feature order); None when they
        cannot be read safely (non-numeric columns) or ``X`` is empty."""
        if not len(X) or X.shape[1] < booster.num_feature() or not _numeric(X):
            return None
        trees = booster.dump_model()["tree_info"]
        per_iteration = max(booster.num_model_per_iteration(), 1)
        iterations, categorical = [], set()
        for start in range(0, len(trees), per_iteration):
            points: dict[int, list] = {}
            for tree in trees[start : start + per_iteration]:
                _add_splits(tree["tree_structure"], points, categorical)
            iterations.append(points)
        return cls(iterations, X.to_numpy(np.float64), frozenset(categorical))

    def __len__(self) -> int:
        """The number of boosting iterations."""
        return len(self.iterations)

    def over(
        self, iterations: range, rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Over the splits of ``iterations``: a row standing for each pattern and each row's
        pattern number, for the rows ``rows`` (positions; all rows by default). Stand-ins are
        positions among those rows."""
        points: dict[int, list] = {}
        for i in iterations:
            for feature, thresholds in self.iterations[i].items():
                points.setdefault(feature, []).extend(thresholds)
        n = self.n_rows if rows is None else len(rows)
        code, capacity, part = np.zeros(n, dtype=np.int64), 1, np.empty(n, dtype=np.int64)
        for feature in sorted(points):
            keys = self.keys[feature] if rows is None else self.keys[feature][rows]
            if feature in self.categorical:
                radix = self.sizes[feature]
                part[:] = keys
            else:
                lookup, radix = _coarsening(self.edges[feature], _edges(points[feature]))
                np.take(lookup, keys, out=part)
            if capacity * radix >= 2**62:
                code, uniques = pd.factorize(code)
                capacity = len(uniques)
            code *= radix
            code += part
            capacity *= radix
        inverse, uniques = pd.factorize(code)
        stand_in = np.empty(len(uniques), dtype=np.int64)
        stand_in[inverse] = np.arange(n)  # any row of a pattern stands for it
        return stand_in, inverse


def _add_splits(root: dict, points: dict[int, list], categorical: set[int]) -> None:
    """Add one tree's numerical thresholds to ``points`` and its category-split features to
    ``categorical`` (each split feature gets an entry in ``points``)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if "split_feature" not in node:
            continue
        thresholds = points.setdefault(int(node["split_feature"]), [])
        if node.get("decision_type", "<=") == "<=":
            thresholds.append(float(node["threshold"]))
        else:
            categorical.add(int(node["split_feature"]))
        stack += [node["left_child"], node["right_child"]]


def _coarsening(edges: np.ndarray, subset: np.ndarray) -> tuple[np.ndarray, int]:
    """Lookup from a key over ``edges`` (shifted by one, 0 for missing) to the key over
    ``subset`` of those edges (shifted the same way), and how many such keys there are."""
    below = np.concatenate([[0], np.cumsum(np.isin(edges, subset))])
    lookup = np.empty(2 * len(below) + 1, dtype=np.int64)
    lookup[0] = 0
    lookup[1::2] = 2 * below + 1
    lookup[2::2] = 2 * below + 2
    return lookup, 2 * len(subset) + 3


def first_rows(inverse: np.ndarray) -> np.ndarray:
    """The first row of each pattern, in pattern order."""
    return np.unique(inverse, return_index=True)[1]


def split_points(booster: Any) -> dict[int, list] | None:
    """Per feature index, the thresholds of its numerical splits; None if any split is
    categorical."""
    points: dict[int, list] = {}
    for tree in booster.dump_model()["tree_info"]:
        if not _add_split_points(tree["tree_structure"], points):
            return None
    return points


def _add_split_points(root: dict, points: dict[int, list]) -> bool:
    """Add the thresholds of one tree's splits to ``points``; False if a split is categorical."""
    stack = [root]
    while stack:
        node = stack.pop()
        if "split_feature" not in node:
            continue
        if node.get("decision_type", "<=") != "<=":
            return False
        points.setdefault(int(node["split_feature"]), []).append(float(node["threshold"]))
        stack += [node["left_child"], node["right_child"]]
    return True


def _split_keys(points: dict[int, list], matrix: np.ndarray, first_feature: int) -> list:
    """Per split feature among the matrix's columns, each row's key: missing, zero, and how many
    thresholds (each widened by one unit in the last place on both sides) lie below the value;
    equal keys mean the same side of every split, whatever the split's missing-value rule."""
    keys = []
    for feature in sorted(points):
        column = feature - first_feature
        if 0 <= column < matrix.shape[1]:
            keys.append(_keys_on(_edges(points[feature]), matrix[:, column]))
    return keys


def _edges(thresholds) -> np.ndarray:
    """The thresholds and their neighbours one unit in the last place away, sorted, distinct."""
    t = np.asarray(thresholds, dtype=np.float64)
    return np.unique(np.concatenate([t, np.nextafter(t, -np.inf), np.nextafter(t, np.inf)]))


def _keys_on(edges: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Key of each value over ``edges``: ``2 * (edges below it) + is_zero``, -1 when missing."""
    key = np.searchsorted(edges, value, side="left").astype(np.int32) * 2
    key += np.abs(value) <= 1e-35
    key[np.isnan(value)] = -1
    return key


def _numeric(X: pd.DataFrame) -> bool:
    return all(isinstance(t, np.dtype) and t.kind in "fiub" for t in X.dtypes)


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

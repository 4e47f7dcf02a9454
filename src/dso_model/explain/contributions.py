"""TreeSHAP contributions of a LightGBM model, computed by LightGBM itself (``pred_contrib``).

LightGBM's native TreeSHAP gives exact SHAP values, fast, with no extra dependency and no shape
changes between versions; the ``shap`` package is used only to draw. Contributions are in the
model's raw output units: days for the delay regressors, log-odds for the late classifier. For
every row they add up, with the expected value, to the raw prediction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dso_model.models.patterns import TreePatterns

DELAY_PARTS = ("mean", "median", "late")


@dataclass(frozen=True)
class Contributions:
    """SHAP values (rows x features), the expected value and the model output, row-aligned.

    ``values`` keeps the index of the explained feature frame (invoice ids) and its columns.
    ``expected_value`` is the model's average raw output over its training data (the "bias"
    column of ``pred_contrib``); ``output`` is the raw prediction of each row.
    """

    values: pd.DataFrame
    expected_value: float
    output: pd.Series
    units: str = "days"

    def __len__(self) -> int:
        return len(self.values)

    @property
    def features(self) -> list[str]:
        return [str(c) for c in self.values.columns]

    def max_additivity_error(self) -> float:
        """Largest |sum of contributions + expected value - output| over the rows."""
        if not len(self.values):
            return 0.0
        total = self.values.to_numpy().sum(axis=1) + self.expected_value
        return float(np.max(np.abs(total - self.output.to_numpy())))

    def subset(self, index: pd.Index | np.ndarray) -> Contributions:
        """The rows with these index labels."""
        return Contributions(
            self.values.loc[index], self.expected_value, self.output.loc[index], self.units
        )


def resolve_booster(model: Any, part: str = "mean") -> Any:
    """The ``lightgbm.Booster`` behind ``model``.

    Accepts a Booster, a LightGBM sklearn model, a wrapper holding one in ``booster_`` (the
    delay estimators), or a :class:`~dso_model.models.delay.DelayModel`, from which ``part``
    picks the expected delay (``mean``: additive in days, the default for DSO attribution), the
    median quantile model (``median``) or the late classifier (``late``, log-odds).
    """
    import lightgbm as lgb

    if isinstance(model, lgb.Booster):
        return model
    if hasattr(model, "quantile_") and hasattr(model, "late_"):
        return resolve_booster(_delay_part(model, part), part)
    inner = getattr(model, "booster_", None)
    if inner is None and hasattr(model, "get_booster"):
        inner = model.get_booster()
    if inner is None:
        raise TypeError(f"cannot find a LightGBM booster in {type(model).__name__}")
    return resolve_booster(inner, part)


def _delay_part(model: Any, part: str) -> Any:
    if part not in DELAY_PARTS:
        raise ValueError(f"part must be one of {DELAY_PARTS}, not {part!r}")
    if part == "mean" and getattr(model, "mean_", None) is not None:
        return model.mean_
    if part == "late":
        return model.late_
    quantiles = list(np.round(model.quantile_.quantiles_, 6))
    if 0.5 not in quantiles:
        raise ValueError("the delay model has neither a mean nor a median part to explain")
    return model.quantile_.boosters_[quantiles.index(0.5)]


def units_of(booster: Any) -> str:
    """Output units of the booster's raw score: "log-odds" for binary, else "days"."""
    objective = str(booster.params.get("objective", "")) if booster.params else ""
    if not objective:
        objective = booster.dump_model(num_iteration=1).get("objective", "")
    return "log-odds" if str(objective).startswith(("binary", "cross_entropy")) else "days"


METHODS = ("exact", "saabas")


def tree_contributions(
    model: Any,
    X: pd.DataFrame,
    *,
    part: str = "mean",
    method: str = "exact",
    chunk_size: int = 200_000,
    num_threads: int = 0,
) -> Contributions:
    """Per-feature contributions of ``model`` on ``X`` (one row per invoice, index kept).

    ``method="exact"``: TreeSHAP through LightGBM's ``pred_contrib`` (cost grows with trees x
    leaves x depth squared). ``method="saabas"``: path attribution (each split credits its feature
    with the change of the node value along the invoice's path), read off the leaves LightGBM
    routes each row to; it also adds up exactly to the prediction, costs trees x depth per row and
    is meant for bulk reason codes on large models. Rows go in chunks of ``chunk_size``.
    """
    _check_method(method)
    booster = resolve_booster(model, part)
    names = booster.feature_name()
    missing = [n for n in names if n not in X.columns]
    if missing:
        raise KeyError(f"the feature frame lacks model features: {missing[:5]}")
    matrix = X[names]
    explain = _explainer(booster, method)
    parts = [
        explain(booster, matrix.iloc[i : i + chunk_size], num_threads)
        for i in range(0, len(matrix), max(chunk_size, 1))
    ]
    raw = _stacked(parts, len(names) + 1)
    values = pd.DataFrame(raw[:, :-1], index=X.index, columns=names)
    expected = float(raw[0, -1]) if len(raw) else _expected_value(booster, matrix)
    output = pd.Series(raw.sum(axis=1), index=X.index, name="output")
    return Contributions(values, expected, output, units_of(booster))


def _stacked(parts: list[np.ndarray], width: int) -> np.ndarray:
    """The chunks' rows one after the other (a single chunk as it is, not copied)."""
    if len(parts) == 1:
        return parts[0]
    return np.vstack(parts) if parts else np.zeros((0, width))


def _leaf_paths(node: dict, value: float | None, acc: dict, out: dict) -> None:
    """Fill ``out[leaf_index]`` with {feature: summed change of node value along the path}."""
    if "leaf_index" in node:
        out[int(node["leaf_index"])] = dict(acc)
        return
    feature = int(node["split_feature"])
    here = float(node["internal_value"])
    for side in ("left_child", "right_child"):
        child = node[side]
        child_value = float(child.get("internal_value", child.get("leaf_value", 0.0)))
        step = dict(acc)
        step[feature] = step.get(feature, 0.0) + child_value - here
        _leaf_paths(child, child_value, step, out)


def _saabas_explainer(booster: Any):
    """A chunk explainer: a sparse (all leaves x features) table of path contributions, and the
    bias; a row's contributions are the sum of its leaves' rows."""
    from scipy import sparse

    dump = booster.dump_model(num_iteration=booster.best_iteration or None)
    n_features = len(booster.feature_name())
    rows, cols, vals, offsets, bias, start = [], [], [], [], 0.0, 0
    for tree in dump["tree_info"]:
        root = tree["tree_structure"]
        paths: dict[int, dict[int, float]] = {}
        if "leaf_index" in root or "split_feature" not in root:
            bias += float(root.get("leaf_value", 0.0))
            paths[0] = {}
        else:
            bias += float(root["internal_value"])
            _leaf_paths(root, None, {}, paths)
        for leaf, contrib in paths.items():
            for feature, delta in contrib.items():
                rows.append(start + leaf)
                cols.append(feature)
                vals.append(delta)
        offsets.append(start)
        start += max(paths) + 1
    table = sparse.csr_matrix((vals, (rows, cols)), shape=(start, n_features))
    offsets_arr = np.asarray(offsets, dtype=np.int64)

    def explain(booster: Any, chunk: pd.DataFrame, num_threads: int) -> np.ndarray:
        kwargs = {"num_threads": num_threads} if num_threads else {}
        leaves = np.asarray(booster.predict(chunk, pred_leaf=True, **kwargs), dtype=np.int64)
        leaves = leaves.reshape(len(chunk), -1) + offsets_arr[None, : leaves.shape[-1]]
        n, t = leaves.shape
        onehot = sparse.csr_matrix(
            (np.ones(n * t), leaves.ravel(), np.arange(0, n * t + 1, t)), shape=(n, start)
        )
        out = np.empty((n, n_features + 1))
        out[:, :-1] = (onehot @ table).toarray()
        out[:, -1] = bias
        return out

    return explain


def booster_contributions(
    booster: Any, X: pd.DataFrame, method: str = "exact", num_threads: int = 0
) -> np.ndarray:
    """Contributions of a raw booster on ``X`` by ``method`` (as in :func:`tree_contributions`):
    ``(n_rows, n_features + 1)``, the bias last, like LightGBM's ``pred_contrib``."""
    _check_method(method)
    return _explainer(booster, method)(booster, X, num_threads)


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")


def _explainer(booster: Any, method: str):
    return _contrib_chunk if method == "exact" else _saabas_explainer(booster)


def _contrib_chunk(booster: Any, chunk: pd.DataFrame, num_threads: int) -> np.ndarray:
    kwargs = {"num_threads": num_threads} if num_threads else {}
    return distinct_contributions(booster, chunk, **kwargs)


ITERATIONS_PER_BLOCK = 10  # fixed: it sets the order of the additions
MAX_PATTERN_SHARE = 0.5  # patterns for more than this share of the rows: explain the rows


def distinct_contributions(booster: Any, X: pd.DataFrame, **predict_kwargs) -> np.ndarray:
    """``booster.predict(X, pred_contrib=True)``, computed iteration by iteration on one row per
    pattern of the iteration's own splits.

    TreeSHAP values add up over trees, and a tree's values for a row depend only on the side of
    each of the tree's splits the row falls on (:class:`~dso_model.models.patterns.TreePatterns`):
    an iteration explains one row per pattern of its splits, often a few thousand where the rows
    fall into hundreds of thousands of patterns over the whole model. Iterations go in blocks of
    ``ITERATIONS_PER_BLOCK``: the iterations' values are summed in tree order per pattern of the
    block's splits, then copied to every row of the pattern and added to the running total.
    Where patterns would not save much (large trees, many distinct rows) the rows themselves
    are explained, in the same order: either way a row gets the same values, whatever other rows
    are explained with it. They equal LightGBM's whole-model values up to rounding (LightGBM
    adds each leaf's share to the running total): a few units in the last place.
    """
    patterns = TreePatterns.of(booster, X)
    if patterns is None:
        return np.asarray(booster.predict(X, pred_contrib=True, **predict_kwargs), dtype=np.float64)
    total = None
    for start in range(0, len(patterns), ITERATIONS_PER_BLOCK):
        block = range(start, min(start + ITERATIONS_PER_BLOCK, len(patterns)))
        rows, row_pattern = _worth_it(*patterns.over(block))
        block_values = None
        for iteration in block:
            stand_in, pattern = _worth_it(*patterns.over(range(iteration, iteration + 1), rows))
            explained = _chosen(rows, stand_in)
            values = booster.predict(
                patterns.matrix if explained is None else patterns.matrix[explained],
                pred_contrib=True,
                start_iteration=iteration,
                num_iteration=1,
                **predict_kwargs,
            )
            block_values = _add_by_pattern(block_values, np.asarray(values, np.float64).T, pattern)
        total = _add_by_pattern(total, block_values, row_pattern)
    return total.T


def _worth_it(stand_in: np.ndarray, inverse: np.ndarray) -> tuple[np.ndarray | None, ...]:
    """The patterns, or ``(None, None)`` when there are nearly as many as rows."""
    if len(stand_in) > MAX_PATTERN_SHARE * len(inverse):
        return None, None
    return stand_in, inverse


def _chosen(rows: np.ndarray | None, stand_in: np.ndarray | None) -> np.ndarray | None:
    """Positions of the rows to explain (``stand_in`` among ``rows``); None for all rows."""
    if stand_in is None:
        return rows
    return stand_in if rows is None else rows[stand_in]


def _add_by_pattern(
    total: np.ndarray | None, values: np.ndarray, inverse: np.ndarray | None
) -> np.ndarray:
    """``total`` plus ``values[:, inverse]`` (columns x rows; ``values`` has one column per
    pattern, or per row when ``inverse`` is None), row by row, skipping rows of zeros."""
    values = np.ascontiguousarray(values)
    n = values.shape[1] if inverse is None else len(inverse)
    if total is None:
        total = np.zeros((values.shape[0], n))
    row = np.empty(n)
    for j in np.flatnonzero(np.any(values != 0, axis=1)):
        if inverse is None:
            total[j] += values[j]
        else:
            np.take(values[j], inverse, out=row)
            total[j] += row
    return total


def _expected_value(booster: Any, matrix: pd.DataFrame) -> float:
    empty_row = pd.DataFrame(np.full((1, matrix.shape[1]), np.nan), columns=matrix.columns)
    return float(booster.predict(empty_row, pred_contrib=True)[0, -1])


def raw_prediction(model: Any, X: pd.DataFrame, *, part: str = "mean") -> pd.Series:
    """The booster's raw score on ``X`` (what the contributions add up to)."""
    booster = resolve_booster(model, part)
    raw = booster.predict(X[booster.feature_name()], raw_score=True)
    return pd.Series(np.asarray(raw, dtype=float), index=X.index, name="output")

"""Evaluation metrics for delay predictions: point error, ranking, calibration, interval coverage.

Every metric accepts optional weights (the invoice amount for the money-weighted versions) and
ignores rows whose truth is unknown (NaN). :func:`evaluate_predictions` computes them all for a
prediction frame, overall and per group, in one long table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

METRIC_DIRECTIONS = {
    "mae": "min",
    "within_3": "max",
    "within_7": "max",
    "bias": "abs",
    "roc_auc": "max",
    "pr_auc": "max",
    "brier": "min",
    "ece": "min",
    "coverage": "target",
    "interval_width": "min",
}


def _clean(*arrays: np.ndarray, weight: np.ndarray | None = None):
    arrays = [np.asarray(a, dtype=float) for a in arrays]
    w = np.ones(len(arrays[0])) if weight is None else np.asarray(weight, dtype=float)
    ok = np.logical_and.reduce([np.isfinite(a) for a in arrays] + [np.isfinite(w)])
    return [a[ok] for a in arrays], w[ok]


def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(x * w) / np.sum(w)) if np.sum(w) > 0 else float("nan")


def regression_metrics(
    y: np.ndarray, pred: np.ndarray, weight: np.ndarray | None = None
) -> dict[str, float]:
    """MAE, mean signed error (bias) and the share of predictions within 3 and 7 days."""
    (y, pred), w = _clean(y, pred, weight=weight)
    if not len(y):
        return {k: float("nan") for k in ("mae", "bias", "within_3", "within_7")}
    err = pred - y
    return {
        "mae": _wmean(np.abs(err), w),
        "bias": _wmean(err, w),
        "within_3": _wmean((np.abs(err) <= 3).astype(float), w),
        "within_7": _wmean((np.abs(err) <= 7).astype(float), w),
    }


def expected_calibration_error(
    y: np.ndarray, p: np.ndarray, weight: np.ndarray | None = None, n_bins: int = 10
) -> float:
    """Weighted mean |observed rate - mean predicted| over equal-width probability bins."""
    (y, p), w = _clean(y, p, weight=weight)
    if not len(y):
        return float("nan")
    bins = np.clip((p * n_bins).astype(int), 0, n_bins - 1)
    gap = np.bincount(bins, weights=w * (y - p), minlength=n_bins)
    return float(np.sum(np.abs(gap)) / np.sum(w))


def calibration_curve(
    y: np.ndarray, p: np.ndarray, weight: np.ndarray | None = None, n_bins: int = 10
) -> pd.DataFrame:
    """Per equal-width bin: mean predicted probability, observed rate, count and weight."""
    (y, p), w = _clean(y, p, weight=weight)
    bins = np.clip((p * n_bins).astype(int), 0, n_bins - 1)
    frame = pd.DataFrame({"bin": bins, "y": y * w, "p": p * w, "w": w})
    agg = frame.groupby("bin").agg(y=("y", "sum"), p=("p", "sum"), w=("w", "sum"), n=("w", "size"))
    return pd.DataFrame(
        {
            "bin_low": agg.index / n_bins,
            "mean_predicted": agg["p"] / agg["w"],
            "observed_rate": agg["y"] / agg["w"],
            "count": agg["n"],
            "weight": agg["w"],
        }
    ).reset_index(drop=True)


def classification_metrics(
    y: np.ndarray, p: np.ndarray, weight: np.ndarray | None = None
) -> dict[str, float]:
    """ROC-AUC, PR-AUC (average precision), Brier score and ECE of a late probability."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    (y, p), w = _clean(y, p, weight=weight)
    out = {
        "roc_auc": float("nan"),
        "pr_auc": float("nan"),
        "brier": float("nan"),
        "ece": float("nan"),
    }
    if not len(y):
        return out
    out["brier"] = _wmean((p - y) ** 2, w)
    out["ece"] = expected_calibration_error(y, p, w)
    if 0 < y.sum() < len(y):
        out["roc_auc"] = float(roc_auc_score(y, p, sample_weight=w))
        out["pr_auc"] = float(average_precision_score(y, p, sample_weight=w))
    return out


def interval_metrics(
    y: np.ndarray, lower: np.ndarray, upper: np.ndarray, weight: np.ndarray | None = None
) -> dict[str, float]:
    """Share of true delays inside ``[lower, upper]`` and the mean interval width."""
    (y, lo, hi), w = _clean(y, lower, upper, weight=weight)
    if not len(y):
        return {"coverage": float("nan"), "interval_width": float("nan")}
    inside = ((y >= lo) & (y <= hi)).astype(float)
    return {"coverage": _wmean(inside, w), "interval_width": _wmean(hi - lo, w)}


def score_frame(frame: pd.DataFrame, weight: np.ndarray | None = None) -> dict[str, float]:
    """Every metric the columns of ``frame`` allow.

    ``frame`` holds truths ``days_late_capped`` / ``late`` and any of the predictions
    ``days_late_pred``, ``p_late``, ``days_late_lower`` + ``days_late_upper``.
    """
    out: dict[str, float] = {"n": float(np.isfinite(frame["days_late_capped"]).sum())}
    if "days_late_pred" in frame:
        out |= regression_metrics(frame["days_late_capped"], frame["days_late_pred"], weight)
    if "p_late" in frame:
        out |= classification_metrics(frame["late"], frame["p_late"], weight)
    if "days_late_lower" in frame and "days_late_upper" in frame:
        out |= interval_metrics(
            frame["days_late_capped"], frame["days_late_lower"], frame["days_late_upper"], weight
        )
    return out


def evaluate_predictions(
    predictions: Mapping[str, pd.DataFrame],
    truth: pd.DataFrame,
    groups: pd.DataFrame | None = None,
    amount: pd.Series | None = None,
) -> pd.DataFrame:
    """Long table of metrics: one row per (model, weighting, group_by, group, metric).

    ``predictions`` maps a model name to its prediction frame; ``truth`` has ``late`` and
    ``days_late_capped``; ``groups`` holds grouping columns (segment, history, latent group...);
    all indexed by invoice id. ``amount`` adds the amount-weighted versions.
    """
    rows = []
    weightings = {"count": None} if amount is None else {"count": None, "amount": amount}
    for model, pred in predictions.items():
        frame = truth.join(pred, how="inner")
        for weighting, w in weightings.items():
            weights = None if w is None else w.reindex(frame.index).to_numpy(dtype=float)
            for group_by, group, mask in _group_masks(frame.index, groups):
                metrics = score_frame(frame.loc[mask], None if weights is None else weights[mask])
                rows += [
                    (model, weighting, group_by, group, name, value)
                    for name, value in metrics.items()
                ]
    return pd.DataFrame(
        rows, columns=["model", "weighting", "group_by", "group", "metric", "value"]
    )


def _group_masks(index: pd.Index, groups: pd.DataFrame | None):
    yield "all", "all", np.ones(len(index), dtype=bool)
    if groups is None:
        return
    aligned = groups.reindex(index)
    for column in aligned.columns:
        values = aligned[column].astype("object").fillna("missing").astype(str).to_numpy()
        for value in sorted(set(values)):
            yield column, value, values == value


def summarize(
    metrics: pd.DataFrame,
    keys: Sequence[str] = ("model", "weighting", "group_by", "group", "metric"),
) -> pd.DataFrame:
    """Mean over folds (and any other column not in ``keys``) of a long metrics table."""
    return metrics.groupby(list(keys), sort=False, as_index=False)["value"].mean()

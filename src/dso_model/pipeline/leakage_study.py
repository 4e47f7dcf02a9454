"""What a random split and leaky features would have claimed, next to the honest time split.

:func:`leakage_study` scores the same delay model on the same data with {walk-forward time
split, shuffled random split} x {point-in-time features, + a hindsight customer aggregate (the
customer's mean days late over all its invoices, this one and later ones included), + the
invoice's own outcome columns that an adapter keeps aside (days to settle, days late,
disputed...)}: the shortcuts that make a benchmark look better than any model can do in
production. This module measures them; nothing here is for scoring.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from dso_model.models.delay import DelayModel
from dso_model.models.evaluation import score_frame
from dso_model.models.labels import delay_outcomes, unbiased_labels
from dso_model.pipeline.settings import TrainSettings
from dso_model.pipeline.train import DELAY_MODEL, FeatureMatrix, TrainResult, make_trainer, train

LEAK_PREFIX = "leak_"
HINDSIGHT_MEAN = "leak_customer_mean_days_late"
STUDY_METRICS = ("mae", "within_7", "roc_auc", "pr_auc")
TIME_SPLIT = "time split (walk-forward)"
RANDOM_SPLIT = "random split"
POINT_IN_TIME = "point-in-time features"
HINDSIGHT = "+ customer mean over all invoices"
OUTCOMES = "+ the invoice's outcome columns"
_TRUE_WORDS = frozenset({"yes", "y", "true", "1"})
_FALSE_WORDS = frozenset({"no", "n", "false", "0"})


@dataclass
class LeakageStudy:
    """The study's results: a side-by-side table, the per-fold scores and the honest run."""

    table: pd.DataFrame  # one row per (split, features), one column per metric (mean over folds)
    scores: pd.DataFrame  # long: split, features, fold, metric, value
    honest: TrainResult  # walk-forward, point-in-time: the delay model against its baselines


def _as_number(column: pd.Series) -> pd.Series:
    """A numeric version of an outcome column: numbers stay, yes/no flags become 1/0."""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return column.astype(float)
    words = column.astype("string").str.strip().str.lower()
    flags = words.map(lambda w: 1.0 if w in _TRUE_WORDS else 0.0 if w in _FALSE_WORDS else np.nan)
    return pd.to_numeric(column, errors="coerce").fillna(flags.astype(float))


def leaky_columns(
    invoices: pd.DataFrame, outcomes: pd.DataFrame, delay_column: str = "DaysLate"
) -> pd.DataFrame:
    """Leaky columns per invoice (indexed by invoice id, prefixed ``leak_``): every outcome
    column as a number, and the customer's mean of ``delay_column`` over all of its invoices."""
    frame = outcomes.set_index("invoice_id")
    out = frame.apply(_as_number).add_prefix(LEAK_PREFIX)
    customer = invoices.set_index("invoice_id")["customer_id"].reindex(out.index)
    if delay_column in frame:
        delay = _as_number(frame[delay_column])
        out[HINDSIGHT_MEAN] = delay.groupby(customer.to_numpy()).transform("mean").to_numpy()
    out.index.name = "invoice_id"
    return out


def with_leaky_features(features: FeatureMatrix, leaks: pd.DataFrame) -> FeatureMatrix:
    """The feature matrix with the leaky columns joined on (same rows, same order)."""
    joined = features.frame.join(leaks.reindex(features.frame.index))
    return FeatureMatrix(joined, features.categorical)


def random_split_masks(
    n: int, n_splits: int = 3, val_share: float = 0.2, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Shuffled K-fold over ``n`` rows: (train, validation, test) boolean masks per fold; the
    validation rows (for early stopping) are a random ``val_share`` of the non-test rows."""
    from sklearn.model_selection import KFold

    rng = np.random.default_rng(seed)
    masks = []
    for rest, test in KFold(n_splits, shuffle=True, random_state=seed).split(np.arange(n)):
        val = rng.choice(rest, size=max(1, round(val_share * len(rest))), replace=False)
        train_mask, val_mask, test_mask = (np.zeros(n, dtype=bool) for _ in range(3))
        train_mask[rest], val_mask[val], test_mask[test] = True, True, True
        train_mask[val] = False
        masks.append((train_mask, val_mask, test_mask))
    return masks


def random_split_predictions(
    settings: TrainSettings,
    data: Any,
    features: FeatureMatrix,
    n_splits: int = 3,
    val_share: float = 0.2,
) -> pd.DataFrame:
    """Out-of-fold delay-model predictions of every invoice from shuffled K-fold splits, each
    model trained on every outcome known at the data's as-of date (the usual random-split
    benchmark)."""
    known = delay_outcomes(data.portfolio.invoices, data.portfolio.as_of, settings.labels)
    X = features.frame
    trainer = make_trainer(settings.trainer)
    parts = []
    try:
        for tr, va, te in random_split_masks(len(X), n_splits, val_share, settings.seed):
            model = DelayModel(settings.model, trainer, features.categorical)
            model.fit(X.loc[tr], known.loc[tr], eval_set=(X.loc[va], known.loc[va]))
            parts.append(model.predict(X.loc[te]))
    finally:
        trainer.close()
    return pd.concat(parts).reindex(X.index)


def scores_on_windows(
    predictions: pd.DataFrame, data: Any, settings: TrainSettings, windows: TrainResult
) -> pd.DataFrame:
    """Score predictions on the invoices of each walk-forward test window of ``windows`` (so a
    random split is judged on the same invoices as the time split); one row per fold and
    metric, count-weighted, whole book."""
    invoices = data.portfolio.invoices
    truth = unbiased_labels(delay_outcomes(invoices, data.portfolio.as_of, settings.labels))
    truth = truth[["late", "days_late_capped"]]
    rows = []
    for fold in windows.folds:
        test = fold.fold.window(invoices["issue_date"], "test")
        scores = score_frame(truth.loc[test].join(predictions))
        rows += [(fold.fold.index, metric, value) for metric, value in scores.items()]
    return pd.DataFrame(rows, columns=["fold", "metric", "value"])


def time_split_scores(result: TrainResult) -> pd.DataFrame:
    """The delay model's per-fold test scores (count-weighted, whole book) of a training run."""
    m = result.metrics
    keep = (m["model"] == DELAY_MODEL) & (m["weighting"] == "count") & (m["group_by"] == "all")
    return m.loc[keep, ["fold", "metric", "value"]].reset_index(drop=True)


def leak_sets(leaks: pd.DataFrame) -> dict[str, list[str]]:
    """The study's feature sets beyond the point-in-time ones: the hindsight customer aggregate
    alone (the plausible-looking mistake), then every leaky column (the blatant one)."""
    sets: dict[str, list[str]] = {POINT_IN_TIME: []}
    if HINDSIGHT_MEAN in leaks:
        sets[HINDSIGHT] = [HINDSIGHT_MEAN]
    sets[OUTCOMES] = list(leaks.columns)
    return sets


def leakage_study(
    settings: TrainSettings,
    data: Any,
    features: FeatureMatrix,
    leaks: pd.DataFrame,
    n_splits: int = 3,
    val_share: float = 0.2,
    metrics: tuple[str, ...] = STUDY_METRICS,
) -> LeakageStudy:
    """Score the delay model with {time split, random split} x the feature sets of
    :func:`leak_sets` (point-in-time first), every one on the invoices of the walk-forward test
    windows: only what the model may learn from changes, never what it is judged on.

    ``settings`` are the training pipeline's (the walk-forward folds come from there); ``leaks``
    comes from :func:`leaky_columns`. Only the honest run computes the baselines.
    """
    honest = train(settings, data, features)
    bare = replace(settings, baselines=())
    parts = []
    for kind, columns in leak_sets(leaks).items():
        matrix = with_leaky_features(features, leaks[columns]) if columns else features
        timed = honest if not columns else train(bare, data, matrix)
        shuffled = random_split_predictions(settings, data, matrix, n_splits, val_share)
        parts.append(time_split_scores(timed).assign(split=TIME_SPLIT, features=kind))
        random_scores = scores_on_windows(shuffled, data, settings, honest)
        parts.append(random_scores.assign(split=RANDOM_SPLIT, features=kind))
    scores = pd.concat(parts, ignore_index=True)[["split", "features", "fold", "metric", "value"]]
    return LeakageStudy(study_table(scores, metrics), scores, honest)


def study_table(scores: pd.DataFrame, metrics: tuple[str, ...] = STUDY_METRICS) -> pd.DataFrame:
    """Mean over folds: one row per (split, features) in study order, one column per metric."""
    wanted = scores[scores["metric"].isin(metrics)]
    table = wanted.pivot_table(
        index=["split", "features"], columns="metric", values="value", aggfunc="mean", sort=False
    )
    order = sorted(
        table.index, key=lambda key: (key[0] != TIME_SPLIT, list(table.index).index(key))
    )
    return table.loc[order, [m for m in metrics if m in table.columns]]


_SHORT = {
    TIME_SPLIT: "time",
    RANDOM_SPLIT: "random",
    POINT_IN_TIME: "point_in_time",
    HINDSIGHT: "hindsight_mean",
    OUTCOMES: "outcomes",
}


def study_metrics(table: pd.DataFrame) -> dict[str, float]:
    """The study table as flat metric names for tracking, e.g. ``random.outcomes.mae``."""
    return {
        f"{_SHORT.get(split, split)}.{_SHORT.get(kind, kind)}.{metric}": float(value)
        for (split, kind), row in table.iterrows()
        for metric, value in row.items()
        if pd.notna(value)
    }

"""The training pipeline: features -> walk-forward folds -> delay model and baselines -> metrics.

``train(settings, data)`` is pure with respect to configuration and tracking: it takes typed
settings and loaded data and returns a :class:`TrainResult`. The ``dso-train`` app, the search and
notebooks all call it; MLflow logging happens afterwards from the result.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dso_model.models.baselines import LinearBaseline, customer_history, history_baselines
from dso_model.models.delay import DelayModel
from dso_model.models.evaluation import calibration_curve, evaluate_predictions, score_frame
from dso_model.models.labels import delay_outcomes, unbiased_labels
from dso_model.models.matrix import categorical_columns, to_model_matrix
from dso_model.models.splits import Fold, walk_forward_folds
from dso_model.pipeline.groups import evaluation_groups
from dso_model.pipeline.oracle import oracle_predictions
from dso_model.pipeline.settings import TrainerSettings, TrainSettings

log = logging.getLogger("dso_model")

DELAY_MODEL = "delay_model"


@dataclass(frozen=True)
class FeatureMatrix:
    """Numeric model inputs, one row per invoice (indexed by invoice id, invoice-table order)."""

    frame: pd.DataFrame
    categorical: tuple[str, ...] = ()


@dataclass
class FoldResult:
    """One fold: its windows, the fitted delay model and every model's test predictions."""

    fold: Fold
    model: DelayModel
    test_predictions: dict[str, pd.DataFrame]
    val_metrics: dict[str, float]
    sizes: dict[str, int]


@dataclass
class TrainResult:
    """What a training job produced; everything MLflow logs comes from here."""

    settings: TrainSettings
    data_name: str
    data_fingerprint: str
    folds: list[FoldResult]
    metrics: pd.DataFrame
    summary: pd.DataFrame
    calibration: pd.DataFrame
    test_frame: pd.DataFrame
    input_example: pd.DataFrame
    categorical: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def model(self) -> DelayModel:
        """The delay model of the last fold: the one scored on the latest test window."""
        return self.folds[-1].model

    @property
    def test_window(self) -> str:
        return self.folds[-1].fold.test_window_tag()

    def score(
        self, metric: str = "mae", model: str = DELAY_MODEL, weighting: str = "count"
    ) -> float:
        """Mean over folds of a test metric, whole portfolio."""
        s = self.summary
        hit = s[
            (s["model"] == model)
            & (s["weighting"] == weighting)
            & (s["group_by"] == "all")
            & (s["metric"] == metric)
        ]
        return float(hit["value"].iloc[0]) if len(hit) else float("nan")

    def last_fold_score(self, metric: str = "mae") -> float:
        """The delay model's test metric on the last fold (the champion comparison window)."""
        m = self.metrics
        hit = m[
            (m["fold"] == self.folds[-1].fold.index)
            & (m["model"] == DELAY_MODEL)
            & (m["weighting"] == "count")
            & (m["group_by"] == "all")
            & (m["metric"] == metric)
        ]
        return float(hit["value"].iloc[0]) if len(hit) else float("nan")

    def val_score(self, metric: str = "mae") -> float:
        """Mean over folds of the delay model's validation metric (what a search may optimise)."""
        return float(np.nanmean([f.val_metrics.get(metric, np.nan) for f in self.folds]))


def data_fingerprint(invoices: pd.DataFrame) -> str:
    """Short hash of the invoice facts the models learn from (ids, dates, amounts, payments)."""
    cols = [
        c
        for c in ("invoice_id", "customer_id", "issue_date", "due_date", "amount", "paid_date")
        if c in invoices
    ]
    hashed = pd.util.hash_pandas_object(invoices[cols], index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()[:16]


def feature_cutoffs(invoices: pd.DataFrame, settings: TrainSettings) -> pd.DataFrame:
    """When each invoice is scored (its features' cut-off): by default its issue date."""
    from dso_model.features import training_cutoffs

    return training_cutoffs(invoices, rule=settings.cutoff_rule, days=settings.cutoff_days)


def prepare_features(portfolio: Any, settings: TrainSettings) -> FeatureMatrix:
    """Point-in-time features of every invoice as a numeric matrix (compute once, reuse often)."""
    from dso_model.features import FeatureConfig, build_features, categorical_features

    config = FeatureConfig.from_mapping(settings.features)
    cutoffs = feature_cutoffs(portfolio.invoices, settings)
    features = build_features(portfolio, cutoffs, config)
    features = features.reindex(portfolio.invoices["invoice_id"].to_numpy())
    registered = [c for c in categorical_features(config) if c in features.columns]
    categorical = tuple(dict.fromkeys([*registered, *categorical_columns(features)]))
    return FeatureMatrix(to_model_matrix(features), categorical)


def make_trainer(settings: TrainerSettings) -> Any:
    """The LightGBM trainer the settings ask for."""
    if settings.kind == "dask":
        from dso_model.models.dask_trainer import DaskTrainer

        return DaskTrainer(
            settings.scheduler_address, settings.n_workers, settings.threads_per_worker
        )
    from dso_model.models.boosting import LocalTrainer

    return LocalTrainer()


def train(settings: TrainSettings, data: Any, features: FeatureMatrix | None = None) -> TrainResult:
    """Walk-forward training and evaluation of the delay model against the baselines.

    ``data`` is a :class:`dso_model.data.LoadedData` (``portfolio``, optional ``truth`` and
    ``simulation``). ``features`` may be passed to reuse a matrix across calls (a search).
    """
    portfolio = data.portfolio
    invoices = portfolio.invoices
    features = features or prepare_features(portfolio, settings)
    X = features.frame
    folds = walk_forward_folds(invoices, portfolio.as_of, settings.split)
    context = _evaluation_context(data, settings)
    trainer = make_trainer(settings.trainer)
    try:
        results = [_run_fold(f, X, features.categorical, context, settings, trainer) for f in folds]
    finally:
        trainer.close()
    return _collect(settings, data, results, context, X, features.categorical)


@dataclass(frozen=True)
class _Context:
    invoices: pd.DataFrame
    truth: pd.DataFrame
    history: pd.DataFrame
    groups: pd.DataFrame
    amount: pd.Series
    oracle: pd.DataFrame | None


def _evaluation_context(data: Any, settings: TrainSettings) -> _Context:
    invoices = data.portfolio.invoices
    truth = unbiased_labels(delay_outcomes(invoices, data.portfolio.as_of, settings.labels))
    history = customer_history(invoices, feature_cutoffs(invoices, settings), settings.labels)
    groups = evaluation_groups(data, history, settings.group_columns)
    amount = pd.Series(invoices["amount"].to_numpy(dtype=float), index=truth.index)
    oracle = None
    if "oracle" in settings.baselines:
        oracle = oracle_predictions(data, settings.labels)
    return _Context(invoices, truth, history, groups, amount, oracle)


def _run_fold(
    fold: Fold,
    X: pd.DataFrame,
    categorical: tuple[str, ...],
    ctx: _Context,
    settings: TrainSettings,
    trainer: Any,
) -> FoldResult:
    known = delay_outcomes(ctx.invoices, fold.cutoff, settings.labels)
    issue = ctx.invoices["issue_date"]
    tr, va, te = (fold.window(issue, part) for part in ("train", "val", "test"))
    log.info(
        "fold %d: train %d, validation %d, test %d invoices",
        fold.index,
        tr.sum(),
        va.sum(),
        te.sum(),
    )
    model = DelayModel(settings.model, trainer, categorical)
    model.fit(X.loc[tr], known.loc[tr], eval_set=(X.loc[va], known.loc[va]))
    val_frame = unbiased_labels(known.loc[va]).join(model.predict(X.loc[va]))
    if settings.refit:  # learn from everything known at the cut-off, incl. validation and gap
        before = issue.to_numpy() < np.datetime64(fold.cutoff)
        model.refit(X.loc[before], known.loc[before])
    predictions = {DELAY_MODEL: model.predict(X.loc[te])}
    predictions |= _baseline_predictions(X, known, tr, te, ctx, settings)
    sizes = {"train": int(tr.sum()), "val": int(va.sum()), "test": int(te.sum())}
    return FoldResult(fold, model, predictions, score_frame(val_frame), sizes)


def _baseline_predictions(
    X, known, tr, te, ctx: _Context, settings: TrainSettings
) -> dict[str, pd.DataFrame]:
    train_labels = unbiased_labels(known.loc[tr])
    fallback_delay = float(np.nanmean(train_labels["days_late_capped"]))
    fallback_late = float(np.nanmean(train_labels["late"]))
    test_ids = X.index[te]
    history = ctx.history.loc[test_ids]
    out = {
        name: pred
        for name, pred in history_baselines(
            history, fallback_delay, fallback_late, settings.labels
        ).items()
        if name in settings.baselines
    }
    if "linear" in settings.baselines:
        out["linear"] = LinearBaseline().fit(X.loc[tr], known.loc[tr]).predict(X.loc[te])
    if ctx.oracle is not None:
        out["oracle"] = ctx.oracle.reindex(test_ids)
    return out


def _collect(
    settings, data, results: list[FoldResult], ctx: _Context, X: pd.DataFrame, categorical
) -> TrainResult:
    tables = []
    for r in results:
        table = evaluate_predictions(r.test_predictions, ctx.truth, ctx.groups, ctx.amount)
        tables.append(table.assign(fold=r.fold.index, test_window=r.fold.test_window_tag()))
    metrics = pd.concat(tables, ignore_index=True)
    keys = ["model", "weighting", "group_by", "group", "metric"]
    summary = metrics.groupby(keys, sort=False, as_index=False)["value"].mean()
    test_frame = _pooled_test_frame(results, ctx)
    calibration = _pooled_calibration(results, ctx, settings.calibration_bins)
    last = results[-1]
    example_ids = X.index[last.fold.window(ctx.invoices["issue_date"], "test")][:5]
    return TrainResult(
        settings=settings,
        data_name=getattr(data, "name", "data"),
        data_fingerprint=data_fingerprint(ctx.invoices),
        folds=results,
        metrics=metrics,
        summary=summary,
        calibration=calibration,
        test_frame=test_frame,
        input_example=X.loc[example_ids].reset_index(drop=True),
        categorical=tuple(categorical),
    )


def _pooled_test_frame(results: list[FoldResult], ctx: _Context) -> pd.DataFrame:
    """Truth, groups, amount and the delay model's predictions on every fold's test window."""
    frames = [r.test_predictions[DELAY_MODEL].assign(fold=r.fold.index) for r in results]
    pred = pd.concat(frames)
    return (
        ctx.truth[["late", "days_late_capped"]]
        .join(pred, how="inner")
        .join(ctx.groups)
        .assign(amount=ctx.amount)
    )


def _pooled_calibration(results: list[FoldResult], ctx: _Context, n_bins: int) -> pd.DataFrame:
    curves = []
    for name in results[-1].test_predictions:
        pred = pd.concat([r.test_predictions[name] for r in results if name in r.test_predictions])
        if "p_late" not in pred or pred["p_late"].isna().all():
            continue
        joined = ctx.truth[["late"]].join(pred[["p_late"]], how="inner")
        curves.append(
            calibration_curve(joined["late"], joined["p_late"], n_bins=n_bins).assign(model=name)
        )
    return pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()

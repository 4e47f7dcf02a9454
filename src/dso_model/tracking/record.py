"""Log a :class:`~dso_model.pipeline.train.TrainResult` to the active MLflow run."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from dso_model.pipeline.report import render_results, results_table, results_title
from dso_model.pipeline.train import DELAY_MODEL, TrainResult

_UNSAFE = re.compile(r"[^0-9A-Za-z_\-. /]")
BATCH = 500


def metric_key(*parts: object) -> str:
    """A metric name MLflow accepts, from dotted parts."""
    return ".".join(_UNSAFE.sub("_", str(p)) for p in parts)


def metrics_to_log(result: TrainResult) -> dict[str, float]:
    """Aggregated test metrics (every group), per-fold test metrics (whole portfolio), validation."""
    out: dict[str, float] = {}
    for row in result.summary.itertuples(index=False):
        weighting = () if row.weighting == "count" else (row.weighting,)
        group = () if row.group_by == "all" else (row.group_by, row.group)
        out[metric_key(row.model, *weighting, *group, row.metric)] = row.value
    whole = result.metrics[result.metrics["group_by"] == "all"]
    for row in whole.itertuples(index=False):
        weighting = () if row.weighting == "count" else (row.weighting,)
        out[metric_key(f"fold{row.fold}", row.model, *weighting, row.metric)] = row.value
    for fold in result.folds:
        for name, value in fold.val_metrics.items():
            out[metric_key(f"fold{fold.fold.index}", "val", DELAY_MODEL, name)] = value
    for name in ("mae", "pr_auc", "brier", "ece", "coverage"):
        out[metric_key("val", DELAY_MODEL, name)] = result.val_score(name)
        out[metric_key("last_fold", DELAY_MODEL, name)] = result.last_fold_score(name)
    return {k: float(v) for k, v in out.items() if pd.notna(v)}


def log_metrics(metrics: Mapping[str, float]) -> None:
    import mlflow

    items = list(metrics.items())
    for start in range(0, len(items), BATCH):
        mlflow.log_metrics(dict(items[start : start + BATCH]))


def fold_table(result: TrainResult) -> pd.DataFrame:
    rows = []
    for r in result.folds:
        f = r.fold
        rows.append(
            {
                "fold": f.index,
                "train_start": f.train_start.date(),
                "val_start": f.val_start.date(),
                "val_end": f.val_end.date(),
                "cutoff": f.cutoff.date(),
                "test_end": f.test_end.date(),
                **{f"n_{k}": v for k, v in r.sizes.items()},
                **{f"rounds_{k}": v for k, v in r.model.boosting_rounds().items()},
            }
        )
    return pd.DataFrame(rows)


def log_tables(result: TrainResult) -> str:
    """Results table (text, CSV), metrics, folds, calibration and importance as artifacts."""
    import mlflow

    table = results_table(result)
    text = render_results(table, results_title(result))
    mlflow.log_text(text, "results/results_table.txt")
    mlflow.log_text(table.to_csv(), "results/results_table.csv")
    mlflow.log_text(result.metrics.to_csv(index=False), "results/metrics_by_fold.csv")
    mlflow.log_text(result.summary.to_csv(index=False), "results/metrics_summary.csv")
    mlflow.log_text(fold_table(result).to_csv(index=False), "results/folds.csv")
    mlflow.log_text(result.calibration.to_csv(index=False), "results/calibration_curve.csv")
    mlflow.log_text(result.model.feature_importance().to_csv(), "results/feature_importance.csv")
    return text


def log_figures(result: TrainResult) -> None:
    import mlflow

    from dso_model.tracking.plots import calibration_figure, importance_figure, residuals_figure

    figures = {
        "plots/calibration.png": lambda: calibration_figure(result.calibration),
        "plots/residuals_by_group.png": lambda: residuals_figure(
            result.test_frame, list(result.settings.group_columns)
        ),
        "plots/feature_importance.png": lambda: importance_figure(
            result.model.feature_importance()
        ),
    }
    for path, make in figures.items():
        fig = make()
        mlflow.log_figure(fig, path)


def log_train_result(result: TrainResult, params: Mapping[str, str] | None = None) -> str:
    """Parameters, metrics, tables and figures of one job; returns the rendered results table."""
    import mlflow

    if params:
        items = list(params.items())
        for start in range(0, len(items), 100):
            mlflow.log_params(dict(items[start : start + 100]))
    rounds = result.model.boosting_rounds()
    mlflow.log_params({f"fitted.rounds.{k}": v for k, v in rounds.items()})
    log_metrics(metrics_to_log(result))
    text = log_tables(result)
    log_figures(result)
    return text


def log_config_artifacts(config_yaml: str, overrides: list[str] | None) -> None:
    """The composed Hydra config and the command-line overrides."""
    import mlflow

    mlflow.log_text(config_yaml, "config/config.yaml")
    mlflow.log_text("\n".join(overrides or []) + "\n", "config/overrides.txt")


def log_and_register(
    result: TrainResult, model_name: str, metric: str = "mae", register: bool = True
) -> Any:
    """Log the last fold's model and (``register``) register it; ``champion`` moves only if it
    wins. Returns the registry decision, or None when the model is only logged."""
    import mlflow

    from dso_model.tracking.model import log_delay_model, register_and_promote

    info = log_delay_model(result.model, result.input_example)
    if not register:
        return None
    window = f"{result.data_fingerprint}:{result.test_window}"
    decision = register_and_promote(
        info.model_uri, model_name, window, metric, result.last_fold_score(metric)
    )
    mlflow.set_tags(
        {
            "registry.model_name": decision.model_name,
            "registry.version": decision.version,
            "registry.champion": str(decision.promoted).lower(),
            "registry.decision": decision.reason,
        }
    )
    return decision


def log_censoring(by_cutoff: pd.DataFrame, summary: pd.DataFrame) -> None:
    """The censoring study's tables and its mean bias per strategy as metrics."""
    import mlflow

    mlflow.log_text(by_cutoff.to_csv(index=False), "results/censoring_by_cutoff.csv")
    mlflow.log_text(summary.to_csv(index=False), "results/censoring_summary.csv")
    metrics = {
        metric_key("censoring", r.strategy, r.population, r.quantity, name): float(getattr(r, name))
        for r in summary.itertuples(index=False)
        for name in ("bias", "abs_bias", "mae")
    }
    log_metrics(metrics)

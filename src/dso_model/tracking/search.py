"""A tracked hyper-parameter search: one parent run, one nested run per trial."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dso_model.tracking.params import flatten_params


@dataclass
class SearchOutcome:
    """The study, the best parameters and the best trial's training result."""

    study: Any
    best_params: dict[str, Any]
    best_value: float
    best_result: Any


def tracked_search(
    train_with: Callable[[dict[str, Any]], Any],
    space: Mapping[str, Mapping[str, Any]],
    n_trials: int,
    metric: str = "mae",
    seed: int = 0,
) -> SearchOutcome:
    """Optimise the mean validation ``metric`` over folds; call inside the parent run.

    ``train_with(params)`` returns a :class:`TrainResult`. Each trial logs its parameters and its
    validation and test metrics in a nested run; only validation drives the choice.
    """
    import mlflow

    from dso_model.models.evaluation import METRIC_DIRECTIONS
    from dso_model.models.search import run_search
    from dso_model.tracking.record import log_metrics, metrics_to_log

    results: dict[int, Any] = {}

    def objective(params: dict[str, Any], number: int) -> float:
        with mlflow.start_run(run_name=f"trial-{number}", nested=True):
            mlflow.log_params(flatten_params({"model": {"params": params}}))
            result = train_with(params)
            log_metrics(metrics_to_log(result))
            value = result.val_score(metric)
            mlflow.log_metric(f"objective.val.{metric}", value)
        results[number] = result
        return value

    direction = "maximize" if METRIC_DIRECTIONS.get(metric) == "max" else "minimize"
    study = run_search(objective, space, n_trials, seed, direction=direction)
    best = study.best_trial
    return SearchOutcome(study, dict(best.params), float(best.value), results[best.number])

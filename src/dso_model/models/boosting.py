"""LightGBM settings and trainers shared by every delay model.

A trainer turns an unfitted LightGBM sklearn model into a fitted one. :class:`LocalTrainer` fits in
process with early stopping on the validation set; :class:`DaskTrainer` fits with ``lightgbm.dask``
on a Dask cluster (no early stopping there) and hands back an ordinary local model, so prediction,
pickling and model logging are the same whichever trainer was used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

OBJECTIVES = ("binary", "regression", "regression_l1", "quantile")


@dataclass(frozen=True)
class BoostingParams:
    """LightGBM hyper-parameters (sklearn names). ``early_stopping_rounds=0`` turns it off."""

    n_estimators: int = 2000
    learning_rate: float = 0.1
    num_leaves: int = 31
    max_depth: int = -1
    min_child_samples: int = 40
    subsample: float = 0.7
    subsample_freq: int = 1
    colsample_bytree: float = 0.5
    reg_alpha: float = 0.0
    reg_lambda: float = 1.0
    max_bin: int = 63
    early_stopping_rounds: int = 50
    n_jobs: int = 0  # 0: one thread for small data, all cores for large (see auto_threads)
    seed: int = 0

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None) -> BoostingParams:
        known = {k: v for k, v in (values or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def lgbm_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``lightgbm.LGBMModel`` (without the early-stopping setting)."""
        kwargs = asdict(self)
        kwargs.pop("early_stopping_rounds")
        kwargs["random_state"] = kwargs.pop("seed")
        kwargs["verbosity"] = -1
        kwargs["deterministic"] = True
        kwargs["force_row_wise"] = True
        return kwargs


def make_lgbm(objective: str, params: BoostingParams, alpha: float | None = None) -> Any:
    """An unfitted LightGBM sklearn model for ``objective`` (see :data:`OBJECTIVES`)."""
    import lightgbm as lgb

    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; expected one of {OBJECTIVES}")
    kwargs = params.lgbm_kwargs()
    if objective == "binary":
        return lgb.LGBMClassifier(objective="binary", **kwargs)
    if objective == "quantile":
        return lgb.LGBMRegressor(objective="quantile", alpha=float(alpha), **kwargs)
    return lgb.LGBMRegressor(objective=objective, **kwargs)


AUTO_THREADS_MIN_ROWS = 100_000


def auto_threads(n_rows: int) -> int:
    """Threads for a fit when ``n_jobs`` is 0: one below ``AUTO_THREADS_MIN_ROWS`` rows (more
    threads only add synchronisation cost there, badly so on a busy machine), else every core."""
    import os

    return 1 if n_rows < AUTO_THREADS_MIN_ROWS else max(1, os.cpu_count() or 1)


def predict_on_every_core(models: Iterable[Any]) -> None:
    """Let fitted LightGBM models predict on every core.

    A fit under ``AUTO_THREADS_MIN_ROWS`` rows keeps one thread (:func:`auto_threads`), and the
    scikit-learn wrappers predict with the threads they were fitted with: a model trained on a
    small book would score a large one on one core. Each row is scored on its own, so the
    predictions do not change.
    """
    for model in models:
        model.set_params(n_jobs=-1)


def resolve_threads(model: Any, n_rows: int) -> Any:
    """Replace an automatic ``n_jobs`` (0 or None) by :func:`auto_threads`."""
    if model.get_params().get("n_jobs") in (0, None):
        model.set_params(n_jobs=auto_threads(n_rows))
    return model


class Trainer(Protocol):
    """Fits a LightGBM sklearn model; returns a fitted, local model."""

    def fit(
        self,
        model: Any,
        X: pd.DataFrame,
        y: np.ndarray,
        *,
        sample_weight: np.ndarray | None = None,
        eval_set: tuple[pd.DataFrame, np.ndarray] | None = None,
        eval_weight: np.ndarray | None = None,
        early_stopping_rounds: int = 0,
        categorical: tuple[str, ...] = (),
    ) -> Any: ...


def eval_kwargs(model: Any, eval_set: tuple[Any, Any]) -> dict[str, Any]:
    """The validation set in the spelling this LightGBM accepts (``eval_X`` since 4.6)."""
    import inspect

    if "eval_X" in inspect.signature(model.fit).parameters:
        return {"eval_X": (eval_set[0],), "eval_y": (eval_set[1],)}
    return {"eval_set": [eval_set]}


def _categorical_arg(X: pd.DataFrame, categorical: tuple[str, ...]) -> list[str] | str:
    names = [c for c in categorical if c in X.columns]
    return names if names else "auto"


class LocalTrainer:
    """Fit in this process, with early stopping on the validation set when one is given."""

    def fit(
        self,
        model: Any,
        X: pd.DataFrame,
        y: np.ndarray,
        *,
        sample_weight: np.ndarray | None = None,
        eval_set: tuple[pd.DataFrame, np.ndarray] | None = None,
        eval_weight: np.ndarray | None = None,
        early_stopping_rounds: int = 0,
        categorical: tuple[str, ...] = (),
    ) -> Any:
        import lightgbm as lgb

        resolve_threads(model, len(X))
        kwargs: dict[str, Any] = {"categorical_feature": _categorical_arg(X, categorical)}
        if eval_set is not None and len(eval_set[0]):
            kwargs |= eval_kwargs(model, eval_set)
            if eval_weight is not None:
                kwargs["eval_sample_weight"] = [eval_weight]
            if early_stopping_rounds > 0:
                kwargs["callbacks"] = [
                    lgb.early_stopping(early_stopping_rounds, verbose=False),
                    lgb.log_evaluation(0),
                ]
        return model.fit(X, y, sample_weight=sample_weight, **kwargs)

    def close(self) -> None:
        """Nothing to release."""


def best_iteration(model: Any) -> int:
    """Boosting rounds the fitted model uses (the early-stopped count when it stopped early)."""
    best = getattr(model, "best_iteration_", None)
    return int(best) if best else int(model.n_estimators_)

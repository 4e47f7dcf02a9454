"""Direct LightGBM delay models, sklearn style, and their conformal / isotonic calibration.

- :class:`LateClassifier`: P(paid more than ``grace`` days after due), trained only on invoices
  whose grace period had elapsed at the cut-off (so the label is known without selecting on it).
- :class:`DelayQuantileRegressor`: quantiles of the delay capped at the horizon, trained where the
  horizon elapsed; the outer pair is widened or narrowed on the validation fold (conformalized
  quantile regression) so the interval covers its nominal share.
- :class:`DelayMeanRegressor`: expected capped delay (squared error).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from dso_model.models.boosting import (
    BoostingParams,
    LocalTrainer,
    Trainer,
    best_iteration,
    make_lgbm,
)

CALIBRATIONS = ("none", "isotonic")


def _fit_lgbm(
    estimator: Any,
    objective: str,
    X: pd.DataFrame,
    y: np.ndarray,
    eval_set: tuple[pd.DataFrame, np.ndarray] | None,
    alpha: float | None = None,
    rounds: int | None = None,
) -> Any:
    """Fit one LightGBM model; ``rounds`` fixes the number of trees (a refit: no early stopping)."""
    params = estimator.params or BoostingParams()
    if rounds is not None:
        params = replace(params, n_estimators=int(rounds), early_stopping_rounds=0)
        eval_set = None
    trainer = estimator.trainer or LocalTrainer()
    return trainer.fit(
        make_lgbm(objective, params, alpha=alpha),
        X,
        y,
        eval_set=eval_set if eval_set is not None and len(eval_set[0]) else None,
        early_stopping_rounds=params.early_stopping_rounds,
        categorical=estimator.categorical,
    )


class LateClassifier(BaseEstimator):
    """Binary LightGBM for "paid late", optionally recalibrated (isotonic) on validation."""

    def __init__(
        self,
        params: BoostingParams | None = None,
        calibration: str = "none",
        trainer: Trainer | None = None,
        categorical: tuple[str, ...] = (),
    ) -> None:
        self.params = params
        self.calibration = calibration
        self.trainer = trainer
        self.categorical = categorical

    def fit(
        self,
        X: pd.DataFrame,
        y: np.ndarray,
        eval_set: tuple[pd.DataFrame, np.ndarray] | None = None,
    ) -> LateClassifier:
        if self.calibration not in CALIBRATIONS:
            raise ValueError(f"calibration must be one of {CALIBRATIONS}")
        y = np.asarray(y, dtype=int)
        self.booster_ = _fit_lgbm(self, "binary", X, y, eval_set)
        self.calibrator_ = None
        if self.calibration == "isotonic" and eval_set is not None and len(eval_set[0]) >= 50:
            from sklearn.isotonic import IsotonicRegression

            raw = self.booster_.predict_proba(eval_set[0])[:, 1]
            self.calibrator_ = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)
            self.calibrator_.fit(raw, np.asarray(eval_set[1], dtype=float))
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def refit(self, X: pd.DataFrame, y: np.ndarray) -> LateClassifier:
        """Refit on more data with the early-stopped number of trees; the calibration stays."""
        rounds = best_iteration(self.booster_)
        self.booster_ = _fit_lgbm(self, "binary", X, np.asarray(y, dtype=int), None, rounds=rounds)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = self.booster_.predict_proba(X)[:, 1]
        if self.calibrator_ is not None:
            p = self.calibrator_.predict(p)
        return np.column_stack([1 - p, p])


def conformal_margin(lower: np.ndarray, upper: np.ndarray, y: np.ndarray, coverage: float) -> float:
    """CQR margin: how much to widen (or, if negative, narrow) both ends to reach ``coverage``."""
    scores = np.maximum(lower - y, y - upper)
    n = len(scores)
    if n == 0:
        return 0.0
    level = min(1.0, np.ceil((n + 1) * coverage) / n)
    return float(np.quantile(scores, level, method="higher"))


class DelayQuantileRegressor(BaseEstimator):
    """One LightGBM quantile model per level; the outermost pair is conformalized on validation."""

    def __init__(
        self,
        quantiles: Sequence[float] = (0.1, 0.5, 0.9),
        params: BoostingParams | None = None,
        conformal: bool = True,
        trainer: Trainer | None = None,
        categorical: tuple[str, ...] = (),
    ) -> None:
        self.quantiles = quantiles
        self.params = params
        self.conformal = conformal
        self.trainer = trainer
        self.categorical = categorical

    def fit(
        self,
        X: pd.DataFrame,
        y: np.ndarray,
        eval_set: tuple[pd.DataFrame, np.ndarray] | None = None,
    ) -> DelayQuantileRegressor:
        self.quantiles_ = np.asarray(sorted(self.quantiles), dtype=float)
        y = np.asarray(y, dtype=float)
        self.boosters_ = [
            _fit_lgbm(self, "quantile", X, y, eval_set, alpha=q) for q in self.quantiles_
        ]
        self.margin_ = 0.0
        if self.conformal and eval_set is not None and len(self.quantiles_) >= 2:
            raw = self._raw(eval_set[0])
            nominal = self.quantiles_[-1] - self.quantiles_[0]
            self.margin_ = conformal_margin(raw[:, 0], raw[:, -1], np.asarray(eval_set[1]), nominal)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def refit(self, X: pd.DataFrame, y: np.ndarray) -> DelayQuantileRegressor:
        """Refit every quantile with its early-stopped number of trees; the margin stays."""
        y = np.asarray(y, dtype=float)
        self.boosters_ = [
            _fit_lgbm(self, "quantile", X, y, None, alpha=q, rounds=best_iteration(b))
            for q, b in zip(self.quantiles_, self.boosters_, strict=True)
        ]
        return self

    def _raw(self, X: pd.DataFrame) -> np.ndarray:
        raw = np.column_stack([b.predict(X) for b in self.boosters_])
        return np.sort(raw, axis=1)  # no crossing quantiles

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """``(n, n_quantiles)`` delays; the first and last columns carry the conformal margin."""
        out = self._raw(X)
        if len(self.quantiles_) >= 2:
            out[:, 0] -= self.margin_
            out[:, -1] += self.margin_
            out = np.sort(out, axis=1)
        return out


class DelayMeanRegressor(BaseEstimator):
    """Expected delay (capped at the horizon) by squared-error LightGBM."""

    def __init__(
        self,
        params: BoostingParams | None = None,
        trainer: Trainer | None = None,
        categorical: tuple[str, ...] = (),
    ) -> None:
        self.params = params
        self.trainer = trainer
        self.categorical = categorical

    def fit(
        self,
        X: pd.DataFrame,
        y: np.ndarray,
        eval_set: tuple[pd.DataFrame, np.ndarray] | None = None,
    ) -> DelayMeanRegressor:
        self.booster_ = _fit_lgbm(self, "regression", X, np.asarray(y, dtype=float), eval_set)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def refit(self, X: pd.DataFrame, y: np.ndarray) -> DelayMeanRegressor:
        """Refit on more data with the early-stopped number of trees."""
        rounds = best_iteration(self.booster_)
        self.booster_ = _fit_lgbm(
            self, "regression", X, np.asarray(y, dtype=float), None, rounds=rounds
        )
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.booster_.predict(X)

"""The payment-delay model: hazard curve, late probability, expected delay and intervals in one.

:class:`DelayModel` fits, on the same features and the same cut-off:
a :class:`~dso_model.models.hazard.DiscreteHazardModel` on every invoice (censored ones included)
for P(paid by due) and P(paid within 30/60/90 days after due); a
:class:`~dso_model.models.estimators.LateClassifier` on invoices whose grace elapsed; quantile and
mean regressors of the delay capped at the horizon on invoices whose horizon elapsed. ``predict``
returns one row per invoice with the columns in :meth:`DelayModel.prediction_columns`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from dso_model.errors import DsoInputError
from dso_model.models.boosting import BoostingParams, Trainer, best_iteration
from dso_model.models.estimators import DelayMeanRegressor, DelayQuantileRegressor, LateClassifier
from dso_model.models.hazard import DEFAULT_EDGES, DiscreteHazardModel
from dso_model.models.labels import LabelConfig

POINT_ESTIMATES = ("median", "mean", "hazard_median", "hazard_mean")


@dataclass(frozen=True)
class DelayModelConfig:
    """What the delay model predicts and how its parts are trained."""

    labels: LabelConfig = field(default_factory=LabelConfig)
    hazard_edges: tuple[float, ...] = DEFAULT_EDGES
    paid_within_days: tuple[int, ...] = (30, 60, 90)
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)
    point: str = "median"
    fit_mean: bool = True
    conformal: bool = True
    late_calibration: str = "none"
    params: BoostingParams = field(default_factory=BoostingParams)
    hazard_params: BoostingParams | None = None

    def __post_init__(self) -> None:
        if self.point not in POINT_ESTIMATES:
            raise ValueError(f"point must be one of {POINT_ESTIMATES}")
        if self.point == "median" and 0.5 not in self.quantiles:
            raise ValueError("point='median' needs 0.5 among the quantiles")
        if self.point == "mean" and not self.fit_mean:
            raise ValueError("point='mean' needs fit_mean")
        if any(d > self.labels.horizon_days for d in self.paid_within_days):
            raise ValueError("paid_within_days must not exceed the label horizon")

    def edges(self) -> tuple[float, ...]:
        """Hazard bucket edges, always including due (0), the grace, the checkpoints, the horizon."""
        wanted = {
            *self.hazard_edges,
            0,
            self.labels.grace_days,
            *self.paid_within_days,
            self.labels.horizon_days,
        }
        return tuple(sorted(float(e) for e in wanted if e <= self.labels.horizon_days))


def _subset(
    X: pd.DataFrame, outcomes: pd.DataFrame, mask_col: str, target: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows whose ``target`` is known without selecting on it (``mask_col``), and the target."""
    mask = outcomes[mask_col].to_numpy(dtype=bool)
    return X.loc[mask], outcomes[target].to_numpy()[mask]


MIN_LABELS = 20


def _require_labels(y: np.ndarray, what: str) -> None:
    """Stop with a clear message when too few invoices have a known ``what`` to learn from."""
    if len(y) < MIN_LABELS:
        raise DsoInputError(
            f"only {len(y)} training invoice(s) with a known {what} (need {MIN_LABELS})",
            table="invoices",
            hint="use more history before the training cut-off, or a shorter labels.horizon_days",
        )


class DelayModel(BaseEstimator):
    """All payment-delay predictions from one ``fit(X, outcomes, eval_set)``."""

    def __init__(
        self,
        config: DelayModelConfig | None = None,
        trainer: Trainer | None = None,
        categorical: tuple[str, ...] = (),
    ) -> None:
        self.config = config
        self.trainer = trainer
        self.categorical = categorical

    def fit(
        self,
        X: pd.DataFrame,
        outcomes: pd.DataFrame,
        eval_set: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    ) -> DelayModel:
        cfg = self.config or DelayModelConfig()
        common = {"trainer": self.trainer, "categorical": self.categorical}
        train_late = _subset(X, outcomes, "grace_elapsed", "late")
        train_delay = _subset(X, outcomes, "horizon_elapsed", "days_late_capped")
        _require_labels(train_late[1], "late / on-time outcome")
        _require_labels(train_delay[1], "delay up to the horizon")
        late_set = self._eval_subset(eval_set, "grace_elapsed", "late")
        delay_set = self._eval_subset(eval_set, "horizon_elapsed", "days_late_capped")
        hazard_params = cfg.hazard_params or cfg.params
        self.hazard_ = DiscreteHazardModel(cfg.edges(), hazard_params, **common)
        self.hazard_.fit(X, outcomes, eval_set=eval_set)
        self.late_ = LateClassifier(cfg.params, cfg.late_calibration, **common)
        self.late_.fit(*train_late, eval_set=late_set)
        self.quantile_ = DelayQuantileRegressor(cfg.quantiles, cfg.params, cfg.conformal, **common)
        self.quantile_.fit(*train_delay, eval_set=delay_set)
        self.mean_ = None
        if cfg.fit_mean:
            self.mean_ = DelayMeanRegressor(cfg.params, **common)
            self.mean_.fit(*train_delay, eval_set=delay_set)
        self.config_ = cfg
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_train_ = {
            "all": len(X),
            "late": len(train_delay[1]),
            "periods": self.hazard_.n_periods_,
        }
        return self

    def refit(self, X: pd.DataFrame, outcomes: pd.DataFrame) -> DelayModel:
        """Refit every part on more data (e.g. train + validation + the gap, labels as known at
        the cut-off) with the number of trees early stopping chose; calibrations stay as fitted.

        Early stopping needs data the model did not see, but the most recent invoices carry the
        most recent behaviour: this lets the final model learn from them too.
        """
        self.hazard_.refit(X, outcomes)
        self.late_.refit(*_subset(X, outcomes, "grace_elapsed", "late"))
        delay = _subset(X, outcomes, "horizon_elapsed", "days_late_capped")
        self.quantile_.refit(*delay)
        if self.mean_ is not None:
            self.mean_.refit(*delay)
        self.n_train_ = {"all": len(X), "late": len(delay[1]), "periods": self.hazard_.n_periods_}
        return self

    @staticmethod
    def _eval_subset(eval_set, mask_col: str, target: str):
        if eval_set is None:
            return None
        return _subset(eval_set[0], eval_set[1], mask_col, target)

    def prediction_columns(self) -> list[str]:
        cfg = self.config_
        within = [f"p_paid_within_{d}" for d in cfg.paid_within_days]
        quants = [f"days_late_q{round(q * 100):02d}" for q in sorted(cfg.quantiles)]
        return [
            "p_late",
            "days_late_pred",
            "expected_days_late",
            "days_late_lower",
            "days_late_upper",
            *quants,
            "p_paid_by_due",
            *within,
            "p_late_hazard",
            "expected_days_late_hazard",
            "days_late_median_hazard",
        ]

    def lightgbm_models(self) -> list[Any]:
        """The fitted LightGBM models of every part: hazard, late, quantiles and mean."""
        models = [self.hazard_.booster_, self.late_.booster_, *self.quantile_.boosters_]
        return models + ([self.mean_.booster_] if self.mean_ is not None else [])

    def predict(self, X: pd.DataFrame, hazard_cdf: np.ndarray | None = None) -> pd.DataFrame:
        """One row per invoice, same index as ``X``.

        ``hazard_cdf``: the hazard part's ``predict_cdf(X)`` when the caller already has it.
        """
        cfg = self.config_
        cdf = self.hazard_.predict_cdf(X) if hazard_cdf is None else hazard_cdf
        out: dict[str, np.ndarray] = {"p_late": self.late_.predict_proba(X)[:, 1]}
        quant = self.quantile_.predict(X)
        for i, q in enumerate(self.quantile_.quantiles_):
            out[f"days_late_q{round(q * 100):02d}"] = quant[:, i]
        out["days_late_lower"], out["days_late_upper"] = quant[:, 0], quant[:, -1]
        checkpoints = [0, cfg.labels.grace_days, *cfg.paid_within_days]
        within = self.hazard_.paid_within_from_cdf(cdf, checkpoints)
        out["p_paid_by_due"] = within[:, 0]
        out["p_late_hazard"] = 1.0 - within[:, 1]
        for i, d in enumerate(cfg.paid_within_days):
            out[f"p_paid_within_{d}"] = within[:, 2 + i]
        out["expected_days_late_hazard"] = self.hazard_.expected_from_cdf(cdf)
        out["days_late_median_hazard"] = self.hazard_.quantile_from_cdf(cdf, 0.5)
        mean = self.mean_.predict(X) if self.mean_ is not None else out["expected_days_late_hazard"]
        out["expected_days_late"] = mean
        out["days_late_pred"] = self._point(out)
        return pd.DataFrame(out, index=X.index)[self.prediction_columns()]

    def _point(self, out: dict[str, np.ndarray]) -> np.ndarray:
        return {
            "median": lambda: out["days_late_q50"],
            "mean": lambda: out["expected_days_late"],
            "hazard_median": lambda: out["days_late_median_hazard"],
            "hazard_mean": lambda: out["expected_days_late_hazard"],
        }[self.config_.point]()

    def boosting_rounds(self) -> dict[str, int]:
        """Rounds each part kept after early stopping (for the run's parameters)."""
        rounds = {
            "hazard": best_iteration(self.hazard_.booster_),
            "late": best_iteration(self.late_.booster_),
        }
        for q, booster in zip(self.quantile_.quantiles_, self.quantile_.boosters_, strict=True):
            rounds[f"q{round(q * 100):02d}"] = best_iteration(booster)
        if self.mean_ is not None:
            rounds["mean"] = best_iteration(self.mean_.booster_)
        return rounds

    def feature_importance(self) -> pd.DataFrame:
        """Gain importance per feature for each part (columns: hazard, late, median, ...)."""
        parts: dict[str, Any] = {"late": self.late_.booster_, "hazard": self.hazard_.booster_}
        parts.update(
            {
                f"q{round(q * 100):02d}": b
                for q, b in zip(self.quantile_.quantiles_, self.quantile_.boosters_, strict=True)
            }
        )
        cols = {}
        for name, model in parts.items():
            booster = model.booster_
            cols[name] = pd.Series(
                booster.feature_importance(importance_type="gain"), index=booster.feature_name()
            )
        table = pd.DataFrame(cols).fillna(0.0)
        return table.loc[[c for c in table.index if c in set(self.feature_names_in_)]]

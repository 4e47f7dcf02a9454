"""Discrete-time hazard model of the payment date, robust to right-censoring.

Days late (relative to the due date) are cut into buckets by ``edges``: bucket ``j`` holds delays in
``(edges[j-1], edges[j]]`` (the first bucket starts at minus infinity, the last edge is the
horizon). Each invoice becomes one row per bucket it was at risk in (person-period expansion): the
bucket it was paid in has ``event = 1``, earlier buckets ``event = 0``. An invoice still unpaid at
the cut-off contributes only the buckets it fully survived, so open invoices inform the model
instead of being dropped. A binary LightGBM on ``(features, bucket)`` gives the hazard ``h_j``, the
survival curve is ``S_j = prod_{i<=j}(1 - h_i)`` and every probability, quantile and expected
delay is read off that curve.
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
from dso_model.models.patterns import column_patterns, first_rows, split_points

BUCKET_COLUMN = "hazard_bucket"
DEFAULT_EDGES = (-7, 0, 7, 14, 21, 30, 45, 60, 90)


def person_periods(
    days_observed: np.ndarray, paid: np.ndarray, edges: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expand invoices into at-risk periods.

    Returns ``(row, bucket, event)``: for every period the position of its invoice in the input,
    the bucket index and whether the invoice was paid in that bucket. A paid invoice is at risk up
    to its payment bucket (or through the horizon when paid later); an unpaid invoice censored at
    ``c`` (known unpaid through day ``c - 1``) counts every bucket whose last day is before ``c``.
    """
    edges_arr = np.asarray(edges, dtype=float)
    n_buckets = len(edges_arr)
    obs = np.asarray(days_observed, dtype=float)
    paid = np.asarray(paid, dtype=bool)
    # paid: the bucket holding the delay; unpaid: the number of buckets fully survived
    event_bucket = np.searchsorted(edges_arr, obs, side="left")
    n_rows = np.minimum(event_bucket + paid.astype(int), n_buckets)
    row = np.repeat(np.arange(len(obs)), n_rows)
    starts = np.repeat(np.cumsum(n_rows) - n_rows, n_rows)
    bucket = np.arange(len(row)) - starts
    event = paid[row] & (bucket == event_bucket[row])
    return row, bucket, event.astype(np.int8)


def _with_bucket(X: pd.DataFrame, row: np.ndarray, bucket: np.ndarray) -> pd.DataFrame:
    expanded = X.iloc[row].reset_index(drop=True)
    expanded[BUCKET_COLUMN] = bucket.astype(float)
    return expanded


def interpolate_quantiles(cdf: np.ndarray, edges: np.ndarray, lower: float, q: float) -> np.ndarray:
    """Delay at which the cumulative paid share reaches ``q``, linear within buckets.

    ``cdf[:, j]`` is P(days late <= edges[j]); below the first edge the curve rises linearly from
    ``lower``. Where ``q`` is never reached within the horizon the answer is the horizon.
    """
    n = cdf.shape[0]
    full = np.hstack([np.zeros((n, 1)), cdf])
    points = np.concatenate([[lower], edges])
    j = (full < q).sum(axis=1)  # first knot index with cdf >= q
    reached = j < full.shape[1]
    j = np.clip(j, 1, full.shape[1] - 1)
    lo_p, hi_p = full[np.arange(n), j - 1], full[np.arange(n), j]
    frac = np.where(hi_p > lo_p, (q - lo_p) / np.maximum(hi_p - lo_p, 1e-12), 1.0)
    value = points[j - 1] + np.clip(frac, 0, 1) * (points[j] - points[j - 1])
    return np.where(reached, value, edges[-1])


class DiscreteHazardModel(BaseEstimator):
    """LightGBM discrete-time hazard of payment, by days relative to the due date.

    ``fit(X, outcomes)`` takes the features and the outcome frame of
    :func:`dso_model.models.labels.delay_outcomes` (``paid`` and ``days_observed``), censored
    invoices included. ``eval_set=(X_val, outcomes_val)`` drives early stopping.
    """

    def __init__(
        self,
        edges: Sequence[float] = DEFAULT_EDGES,
        params: BoostingParams | None = None,
        trainer: Trainer | None = None,
        categorical: tuple[str, ...] = (),
    ) -> None:
        self.edges = edges
        self.params = params
        self.trainer = trainer
        self.categorical = categorical

    def _expand(self, X: pd.DataFrame, outcomes: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
        row, bucket, event = person_periods(
            outcomes["days_observed"].to_numpy(), outcomes["paid"].to_numpy(), self.edges_
        )
        return _with_bucket(X, row, bucket), event

    def fit(
        self,
        X: pd.DataFrame,
        outcomes: pd.DataFrame,
        eval_set: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    ) -> DiscreteHazardModel:
        self.edges_ = np.asarray(sorted(self.edges), dtype=float)
        X_pp, y_pp = self._expand(X, outcomes)
        fit_eval = self._expand(*eval_set) if eval_set is not None else None
        self.booster_ = self._fit_booster(X_pp, y_pp, fit_eval, self.params or BoostingParams())
        self._fit_bucket_means(outcomes)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_periods_ = len(y_pp)
        return self

    def refit(self, X: pd.DataFrame, outcomes: pd.DataFrame) -> DiscreteHazardModel:
        """Refit on more data (censored invoices included) with the early-stopped tree count."""
        params = replace(
            self.params or BoostingParams(),
            n_estimators=best_iteration(self.booster_),
            early_stopping_rounds=0,
        )
        X_pp, y_pp = self._expand(X, outcomes)
        self.booster_ = self._fit_booster(X_pp, y_pp, None, params)
        self._fit_bucket_means(outcomes)
        self.n_periods_ = len(y_pp)
        return self

    def _fit_booster(self, X_pp, y_pp, fit_eval, params: BoostingParams) -> Any:
        trainer = self.trainer or LocalTrainer()
        return trainer.fit(
            make_lgbm("binary", params),
            X_pp,
            y_pp,
            eval_set=fit_eval,
            early_stopping_rounds=params.early_stopping_rounds,
            categorical=self.categorical,
        )

    def _fit_bucket_means(self, outcomes: pd.DataFrame) -> None:
        """Mean delay of the payments seen in each bucket (for expected values and quantiles)."""
        paid = outcomes.loc[outcomes["paid"].to_numpy(dtype=bool), "days_observed"].to_numpy()
        lower_default = self.edges_[0] - (self.edges_[1] - self.edges_[0])
        self.lower_bound_ = float(np.quantile(paid, 0.01)) if len(paid) else lower_default
        self.lower_bound_ = min(self.lower_bound_, self.edges_[0] - 1)
        bucket = np.searchsorted(self.edges_, paid, side="left")
        mids = np.concatenate(
            [[(self.lower_bound_ + self.edges_[0]) / 2], (self.edges_[1:] + self.edges_[:-1]) / 2]
        )
        sums = np.bincount(bucket, weights=paid, minlength=len(self.edges_) + 1)
        counts = np.bincount(bucket, minlength=len(self.edges_) + 1)
        seen = counts[: len(self.edges_)] > 0
        self.bucket_means_ = np.where(
            seen, sums[: len(mids)] / np.maximum(counts[: len(mids)], 1), mids
        )

    def predict_hazard(self, X: pd.DataFrame) -> np.ndarray:
        """``(n_invoices, n_buckets)`` probabilities of being paid in each bucket if still unpaid.

        Invoices on the same side of every split of the booster get the same probabilities, so
        each decision pattern is scored once (the bucket column is the same for all rows).
        """
        frame = X.reset_index(drop=True)
        pattern = column_patterns(split_points(self.booster_.booster_), frame)
        if pattern is not None:
            frame = frame.iloc[first_rows(pattern)].reset_index(drop=True)
        columns = []
        for j in range(len(self.edges_)):  # one pass per bucket keeps memory at one copy of X
            frame[BUCKET_COLUMN] = float(j)
            columns.append(self.booster_.predict_proba(frame)[:, 1])
        hazard = np.column_stack(columns)
        return hazard if pattern is None else hazard[pattern]

    def predict_cdf(self, X: pd.DataFrame) -> np.ndarray:
        """``cdf[:, j]`` = P(paid at most ``edges[j]`` days after the due date)."""
        return 1.0 - np.cumprod(1.0 - self.predict_hazard(X), axis=1)

    def predict_paid_within(self, X: pd.DataFrame, days: Sequence[float]) -> np.ndarray:
        """P(paid at most ``d`` days after due) for each ``d`` in ``days`` (each must be an edge)."""
        return self.paid_within_from_cdf(self.predict_cdf(X), days)

    def paid_within_from_cdf(self, cdf: np.ndarray, days: Sequence[float]) -> np.ndarray:
        """:meth:`predict_paid_within` from a ``cdf`` already given by :meth:`predict_cdf`."""
        return np.column_stack([cdf[:, self._edge_index(d)] for d in days])

    def _edge_index(self, d: float) -> int:
        hits = np.flatnonzero(self.edges_ == float(d))
        if not len(hits):
            raise ValueError(f"{d} is not a hazard bucket edge {list(self.edges_)}")
        return int(hits[0])

    def predict_quantile(self, X: pd.DataFrame, q: float) -> np.ndarray:
        return self.quantile_from_cdf(self.predict_cdf(X), q)

    def quantile_from_cdf(self, cdf: np.ndarray, q: float) -> np.ndarray:
        """:meth:`predict_quantile` from a ``cdf`` already given by :meth:`predict_cdf`."""
        return interpolate_quantiles(cdf, self.edges_, self.lower_bound_, q)

    def predict_expected(self, X: pd.DataFrame) -> np.ndarray:
        """Expected delay capped at the horizon (restricted mean of the survival curve)."""
        return self.expected_from_cdf(self.predict_cdf(X))

    def expected_from_cdf(self, cdf: np.ndarray) -> np.ndarray:
        """:meth:`predict_expected` from a ``cdf`` already given by :meth:`predict_cdf`."""
        mass = np.diff(np.hstack([np.zeros((len(cdf), 1)), cdf]), axis=1)
        tail = 1.0 - cdf[:, -1]
        return mass @ self.bucket_means_ + tail * self.edges_[-1]

    def feature_importance(self) -> pd.Series:
        booster: Any = self.booster_
        names = booster.booster_.feature_name()
        gain = booster.booster_.feature_importance(importance_type="gain")
        return pd.Series(gain, index=names, name="gain")

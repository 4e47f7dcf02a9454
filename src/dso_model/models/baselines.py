"""Baselines scored on the same folds as the delay model.

- ``on_time``: every invoice paid on its due date (0 days late, no chance of being late);
- ``customer_mean``: the customer's mean delay over invoices paid before the cut-off (point in
  time), the portfolio's training mean for customers without any;
- ``last_delay``: the delay of the customer's most recently paid invoice;
- ``linear``: logistic regression (late) and a least-absolute-deviation line (days late, the
  median like the model's point prediction) on the same features;
- ``oracle``: on simulated data, the simulator's own expected delay from the true latent traits.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning

from dso_model.models.labels import LabelConfig

BASELINES = ("on_time", "customer_mean", "last_delay", "linear", "oracle")


def customer_history(
    invoices: pd.DataFrame, cutoffs: pd.DataFrame, config: LabelConfig | None = None
) -> pd.DataFrame:
    """Per invoice: the customer's payment record known strictly before the invoice's cut-off.

    ``cutoffs`` has ``invoice_id`` and ``cutoff``. Returns, indexed by invoice id: ``past_paid``
    (invoices paid before the cut-off), ``past_mean_delay`` (mean delay capped at the horizon),
    ``past_late_share`` and ``last_delay`` (NaN without history).
    """
    cfg = config or LabelConfig()
    paid = invoices.loc[invoices["paid_date"].notna(), ["customer_id", "paid_date", "due_date"]]
    delay = (paid["paid_date"] - paid["due_date"]).dt.days.clip(upper=cfg.horizon_days)
    events = pd.DataFrame(
        {
            "customer_id": paid["customer_id"].to_numpy(),
            "at": paid["paid_date"].to_numpy(dtype="datetime64[ns]"),
            "delay": delay.to_numpy(dtype=float),
        }
    ).sort_values(["at", "customer_id"], kind="stable")
    events["is_late"] = (events["delay"] > cfg.grace_days).astype(float)
    grouped = events.groupby("customer_id", sort=False)
    events["n"] = grouped.cumcount() + 1.0
    events["sum"] = grouped["delay"].cumsum()
    events["late"] = grouped["is_late"].cumsum()
    queries = cutoffs[["invoice_id", "cutoff"]].merge(
        invoices[["invoice_id", "customer_id"]], on="invoice_id"
    )
    queries["cutoff"] = queries["cutoff"].astype("datetime64[ns]")
    joined = pd.merge_asof(
        queries.sort_values("cutoff", kind="stable"),
        events,
        left_on="cutoff",
        right_on="at",
        by="customer_id",
        allow_exact_matches=False,
    ).set_index("invoice_id")
    n = joined["n"].fillna(0.0)
    return pd.DataFrame(
        {
            "past_paid": n,
            "past_mean_delay": joined["sum"] / n.where(n > 0),
            "past_late_share": joined["late"] / n.where(n > 0),
            "last_delay": joined["delay"].where(n > 0),
        }
    ).reindex(cutoffs["invoice_id"].to_numpy())


def history_baselines(
    history: pd.DataFrame,
    fallback_delay: float,
    fallback_late: float,
    config: LabelConfig | None = None,
) -> dict[str, pd.DataFrame]:
    """``on_time``, ``customer_mean`` and ``last_delay`` predictions from :func:`customer_history`."""
    cfg = config or LabelConfig()
    idx = history.index
    last = history["last_delay"]
    return {
        "on_time": pd.DataFrame({"days_late_pred": 0.0, "p_late": 0.0}, index=idx),
        "customer_mean": pd.DataFrame(
            {
                "days_late_pred": history["past_mean_delay"].fillna(fallback_delay),
                "p_late": history["past_late_share"].fillna(fallback_late),
            }
        ),
        "last_delay": pd.DataFrame(
            {
                "days_late_pred": last.fillna(fallback_delay),
                "p_late": (last > cfg.grace_days).astype(float).where(last.notna(), fallback_late),
            }
        ),
    }


class LinearBaseline(BaseEstimator):
    """Logistic regression for late and a linear median regression (least absolute deviation, by
    stochastic gradient descent) for the capped delay, on the same features.

    Missing values are imputed by the training median and every feature is standardized; the
    predicted delay is clipped to the range seen in training.
    """

    def __init__(
        self, C: float = 1.0, alpha: float = 1e-4, max_iter: int = 500, seed: int = 0
    ) -> None:
        self.C = C
        self.alpha = alpha
        self.max_iter = max_iter
        self.seed = seed

    def _pipeline(self, model):
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(), model
        )

    def _median_line(self):
        from sklearn.linear_model import SGDRegressor

        return SGDRegressor(
            loss="epsilon_insensitive",
            epsilon=0.0,
            alpha=self.alpha,
            max_iter=50,
            random_state=self.seed,
        )

    def fit(self, X: pd.DataFrame, outcomes: pd.DataFrame) -> LinearBaseline:
        from sklearn.linear_model import LogisticRegression

        late = outcomes["grace_elapsed"].to_numpy(dtype=bool)
        delay = outcomes["horizon_elapsed"].to_numpy(dtype=bool)
        y_late = outcomes["late"].to_numpy()[late].astype(int)
        self.classifier_ = self._pipeline(LogisticRegression(C=self.C, max_iter=self.max_iter))
        if len(np.unique(y_late)) < 2:  # one class only: a constant rate
            self.classifier_ = None
            self.constant_late_ = float(y_late.mean()) if len(y_late) else 0.0
        else:
            self.classifier_.fit(X.loc[late], y_late)
        y_delay = outcomes["days_late_capped"].to_numpy()[delay]
        self.regressor_ = self._pipeline(self._median_line())
        with warnings.catch_warnings():  # SGD stops at max_iter on purpose: a baseline, not a fit
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.regressor_.fit(X.loc[delay], y_delay)
        self.delay_range_ = (float(np.min(y_delay)), float(np.max(y_delay)))
        return self

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        p = (
            self.classifier_.predict_proba(X)[:, 1]
            if self.classifier_ is not None
            else np.full(len(X), self.constant_late_)
        )
        days = np.clip(self.regressor_.predict(X), *self.delay_range_)  # a line has no bounds
        return pd.DataFrame({"days_late_pred": days, "p_late": p}, index=X.index)

"""Model performance decay as outcomes arrive, month by month.

Two views:

- **Payment delay.** A delay model trained at the monitoring cutoff predicts, for every invoice
  issued afterwards, its days late and its chance of being late (features at the issue date).
  As months pass those invoices settle; per issue month the monitor reports MAE of the delay
  (capped at the label horizon, only invoices whose horizon has elapsed), and calibration of the
  late probability (Brier, expected calibration error, mean predicted against observed rate).
  The model is ``dso_model.models.DelayModel`` on ``dso_model.features``; when that cannot be
  trained (too little data) the documented fallback is the ``customer_mean`` baseline: the
  customer's mean delay and late share before the issue date.
- **Profile scores.** For each profiling date whose proxy horizon has ended, the stress and
  unwilling probabilities against the proxy outcomes that followed (AUC, Brier, ECE).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dso_model.contract.portfolio import Portfolio

log = logging.getLogger("dso_model")


@dataclass(frozen=True)
class DecaySettings:
    """How delay predictions for the decay view are made."""

    source: str = "delay_model"  # delay_model | customer_mean
    horizon_days: int = 90
    grace_days: int = 0
    n_estimators: int = 200
    seed: int = 7


def delay_model_predictions(
    portfolio: Portfolio, cutoff: pd.Timestamp, settings: DecaySettings
) -> pd.DataFrame:
    """Train the delay model on invoices issued before ``cutoff`` (labels as known then) and
    predict every invoice issued from ``cutoff`` on; index invoice_id, columns days_late_pred,
    p_late."""
    from dso_model.features import build_features, training_cutoffs
    from dso_model.models.boosting import BoostingParams
    from dso_model.models.delay import DelayModel, DelayModelConfig
    from dso_model.models.labels import LabelConfig, delay_outcomes
    from dso_model.models.matrix import categorical_columns, to_model_matrix

    inv = portfolio.invoices
    features = build_features(portfolio, training_cutoffs(inv, rule="issue_date"))
    X = to_model_matrix(features.reindex(inv["invoice_id"].to_numpy()))
    before = (inv["issue_date"] < cutoff).to_numpy()
    labels = LabelConfig(settings.grace_days, settings.horizon_days)
    outcomes = delay_outcomes(inv[before], cutoff, labels)
    params = BoostingParams(
        n_estimators=settings.n_estimators, early_stopping_rounds=0, seed=settings.seed
    )
    cfg = DelayModelConfig(labels=labels, params=params, conformal=False, fit_mean=False)
    model = DelayModel(cfg, categorical=categorical_columns(features)).fit(X[before], outcomes)
    pred = model.predict(X[~before])
    return pred[["days_late_pred", "p_late"]]


def customer_mean_predictions(
    portfolio: Portfolio, cutoff: pd.Timestamp, settings: DecaySettings
) -> pd.DataFrame:
    """Fallback: the customer's mean delay and late share before each invoice's issue date."""
    from dso_model.models.baselines import customer_history
    from dso_model.models.labels import LabelConfig

    inv = portfolio.invoices
    after = inv[inv["issue_date"] >= cutoff]
    cutoffs = pd.DataFrame({"invoice_id": after["invoice_id"], "cutoff": after["issue_date"]})
    hist = customer_history(inv, cutoffs, LabelConfig(settings.grace_days, settings.horizon_days))
    return pd.DataFrame(
        {
            "days_late_pred": hist["past_mean_delay"].fillna(0.0).to_numpy(),
            "p_late": hist["past_late_share"].fillna(0.5).to_numpy(),
        },
        index=pd.Index(after["invoice_id"].to_numpy(), name="invoice_id"),
    )


def delay_predictions(
    portfolio: Portfolio, cutoff: pd.Timestamp, settings: DecaySettings | None = None
) -> tuple[pd.DataFrame, str]:
    """Predictions for invoices issued from ``cutoff`` on, and which source made them."""
    settings = settings or DecaySettings()
    if settings.source == "delay_model":
        try:
            return delay_model_predictions(portfolio, cutoff, settings), "delay_model"
        except (ImportError, ValueError) as exc:  # too little data, or models not installed
            log.warning("delay model unavailable for the decay view (%s); using customer_mean", exc)
    return customer_mean_predictions(portfolio, cutoff, settings), "customer_mean"


def delay_decay(
    invoices: pd.DataFrame,
    predictions: pd.DataFrame,
    known_at: pd.Timestamp,
    settings: DecaySettings | None = None,
) -> pd.DataFrame:
    """Per issue month: invoices, those with a known outcome, MAE, bias, Brier, ECE, rates."""
    from dso_model.models.evaluation import classification_metrics, regression_metrics
    from dso_model.models.labels import LabelConfig, delay_outcomes, unbiased_labels

    settings = settings or DecaySettings()
    labels = LabelConfig(settings.grace_days, settings.horizon_days)
    truth = unbiased_labels(delay_outcomes(invoices, known_at, labels))
    frame = predictions.join(truth[["late", "days_late_capped"]], how="inner")
    month = invoices.set_index("invoice_id")["issue_date"].reindex(frame.index).dt.to_period("M")
    rows = []
    for period, part in frame.groupby(month.to_numpy(), sort=True):
        reg = regression_metrics(part["days_late_capped"], part["days_late_pred"])
        cls = classification_metrics(part["late"], part["p_late"])
        known = part["late"].notna()
        rows.append(
            {
                "month": pd.Period(period, "M").start_time,
                "invoices": int(len(part)),
                "with_outcome": int(part["days_late_capped"].notna().sum()),
                "mae": reg["mae"],
                "bias": reg["bias"],
                "brier": cls["brier"],
                "ece": cls["ece"],
                "roc_auc": cls["roc_auc"],
                "late_rate": float(part.loc[known, "late"].mean()) if known.any() else np.nan,
                "p_late_mean": float(part.loc[known, "p_late"].mean()) if known.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


def score_decay(profiles: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Per profiling date and score: AUC, Brier and ECE of the probability against the proxy.

    ``profiles`` has as_of, customer_id, p_stress, p_unwilling; ``labels`` has as_of,
    customer_id, stress, unwilling (NaN while the horizon is open).
    """
    from dso_model.models.evaluation import classification_metrics

    merged = profiles.merge(labels, on=["as_of", "customer_id"], how="inner")
    rows = []
    for as_of, part in merged.groupby("as_of", sort=True):
        for score, label, subset in (
            ("p_stress", "stress", part),
            ("p_unwilling", "unwilling", part[part["stress"] == 0]),
        ):
            known = subset.dropna(subset=[score, label])
            if not len(known):
                continue
            m = classification_metrics(known[label].to_numpy(float), known[score].to_numpy(float))
            rows.append(
                {
                    "as_of": as_of,
                    "score": score,
                    "n": int(len(known)),
                    "observed_rate": float(known[label].mean()),
                    "predicted_rate": float(known[score].mean()),
                    "roc_auc": m["roc_auc"],
                    "brier": m["brier"],
                    "ece": m["ece"],
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "as_of",
            "score",
            "n",
            "observed_rate",
            "predicted_rate",
            "roc_auc",
            "brier",
            "ece",
        ],
    )

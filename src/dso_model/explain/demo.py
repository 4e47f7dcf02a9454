"""A synthetic feature frame with every registered feature and a known delay structure.

For tests, examples and the reason-code benchmark: it gives registry-named features at any size
in a second, with days late driven mostly by payment history and channel response, a little by
the invoice and hardly at all by the calendar. It is not point-in-time feature engineering (the
simulator and :mod:`dso_model.features` are); it exists to exercise the explanation code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _base_frame(rng: np.random.Generator, n: int, names: list[str]) -> dict[str, np.ndarray]:
    """Every feature as mild noise in a plausible range (counts, shares, days)."""
    cols: dict[str, np.ndarray] = {}
    for name in names:
        if "share" in name or "rate" in name:
            cols[name] = rng.beta(2.0, 5.0, n)
        elif "days" in name:
            cols[name] = rng.integers(0, 120, n).astype(float)
        else:
            cols[name] = rng.poisson(2.0, n).astype(float)
    return cols


def make_explain_dataset(
    n_invoices: int = 4000, seed: int = 0, start: str = "2024-01-01", months: int = 12
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """``(invoices, features, days_late)`` indexed alike by invoice id.

    ``invoices`` has customer_id, issue_date, amount, segment, country; ``features`` has every
    feature of the default registry; ``days_late`` is the simulated delay the model learns.
    """
    from dso_model.features.registry import feature_names

    rng = np.random.default_rng(seed)
    n = n_invoices
    cols = _base_frame(rng, n, feature_names())
    forget = rng.beta(1.5, 3.0, n)  # latent: how often the customer forgets to pay
    paid = rng.integers(0, 12, n).astype(float)
    late = rng.binomial(paid.astype(int), np.clip(forget * 1.3, 0, 1)).astype(float)
    cols["hist_paid_count"] = paid
    cols["hist_late_share"] = np.where(paid > 0, late / np.maximum(paid, 1), np.nan)
    cols["hist_days_late_mean"] = np.where(paid > 0, 20 * forget + rng.normal(0, 2, n), np.nan)
    cols["hist_on_time_streak"] = np.where(paid > 0, rng.poisson(3 * (1 - forget)), np.nan)
    open_rate = np.clip(0.8 - forget * 0.5 + rng.normal(0, 0.1, n), 0, 1)
    cols["ch_email_open_rate"] = open_rate
    cols["ch_sms_reply_rate"] = np.clip(open_rate * 0.6 + rng.normal(0, 0.05, n), 0, 1)
    amount = np.round(rng.lognormal(6.5, 1.0, n), 2)
    cols["inv_amount"] = amount
    cols["inv_log_amount"] = np.log1p(amount)
    cols["inv_terms_days"] = rng.choice([14.0, 30.0, 60.0], n)
    segment = rng.integers(0, 3, n)
    cols["attr_segment"] = segment.astype(float)
    cols["attr_country"] = rng.integers(0, 2, n).astype(float)
    cols["attr_autopay"] = (rng.random(n) < 0.2).astype(float)
    cols["inv_due_weekday"] = rng.integers(0, 7, n).astype(float)
    cols["inv_due_month"] = rng.integers(1, 13, n).astype(float)
    cols["inv_due_weekend"] = (cols["inv_due_weekday"] >= 5).astype(float)
    hidden_history = np.where(paid > 0, 0.0, 6.0)  # new customers are a little later
    days_late = (
        25 * forget * (1 - 0.7 * open_rate)
        + np.where(np.isnan(cols["hist_late_share"]), 0.0, 8 * cols["hist_late_share"])
        + hidden_history
        + 2.5 * (np.log(amount) - 6.5)
        - 8 * cols["attr_autopay"]
        + 0.8 * cols["inv_due_weekend"]
        + rng.normal(0, 2.0, n)
        - 4.0
    )
    ids = pd.Index([f"INV{i:08d}" for i in range(n)], name="invoice_id")
    issue = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, months * 30, n), unit="D")
    invoices = pd.DataFrame(
        {
            "customer_id": [f"C{c:06d}" for c in rng.integers(0, max(n // 8, 1), n)],
            "issue_date": np.asarray(issue, dtype="datetime64[ns]"),
            "amount": amount,
            "segment": np.array(["consumer", "sme", "corporate"])[segment],
            "country": np.array(["ES", "GB"])[cols["attr_country"].astype(int)],
        },
        index=ids,
    )
    features = pd.DataFrame(cols, index=ids)[feature_names()]
    return invoices, features, days_late


def train_demo_model(features: pd.DataFrame, days_late: np.ndarray, **params) -> object:
    """A small LightGBM regressor of days late (the shape of the delay model's mean part).

    One thread by default: on a busy machine OpenMP threads fighting for cores are far slower.
    """
    import lightgbm as lgb

    settings = {
        "n_estimators": 150,
        "learning_rate": 0.08,
        "num_leaves": 15,
        "min_child_samples": 20,
        "subsample": 0.8,
        "subsample_freq": 1,
        "colsample_bytree": 0.8,
        "n_jobs": 1,
        "random_state": 0,
        "verbosity": -1,
        "deterministic": True,
        "force_row_wise": True,
    }
    settings.update(params)
    return lgb.LGBMRegressor(**settings).fit(features, days_late)

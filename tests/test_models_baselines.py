"""Baselines: customer history strictly before the cut-off, fallbacks for cold starts."""

import numpy as np
import pandas as pd
import pytest

from dso_model.models.baselines import LinearBaseline, customer_history, history_baselines
from dso_model.models.labels import LabelConfig, delay_outcomes
from dso_model.models.toy import make_delay_dataset

D = pd.Timestamp


def test_customer_history_uses_only_payments_before_the_cutoff():
    inv = pd.DataFrame(
        {
            "invoice_id": ["i1", "i2", "i3", "i4", "j1"],
            "customer_id": ["c", "c", "c", "c", "new"],
            "issue_date": [
                D("2024-01-01"),
                D("2024-02-01"),
                D("2024-03-01"),
                D("2024-03-10"),
                D("2024-03-10"),
            ],
            "due_date": [
                D("2024-01-31"),
                D("2024-03-02"),
                D("2024-03-31"),
                D("2024-04-09"),
                D("2024-04-09"),
            ],
            # i1 10 days late, i2 paid 2 days early ON the day i4 is issued, i3 open
            "paid_date": [D("2024-02-10"), D("2024-03-10")] + [pd.NaT] * 3,
        }
    )
    cutoffs = inv[["invoice_id", "issue_date"]].rename(columns={"issue_date": "cutoff"})
    h = customer_history(inv, cutoffs, LabelConfig(grace_days=0, horizon_days=90))
    assert h.loc["i1", "past_paid"] == 0 and np.isnan(h.loc["i1", "past_mean_delay"])
    assert h.loc["i3", "past_paid"] == 1 and h.loc["i3", "last_delay"] == 10
    # the payment dated on i4's cut-off is not yet known at it
    assert h.loc["i4", "past_paid"] == 1 and h.loc["i4", "past_mean_delay"] == 10
    assert h.loc["j1", "past_paid"] == 0
    preds = history_baselines(h, fallback_delay=3.0, fallback_late=0.25)
    assert preds["customer_mean"].loc["j1", "days_late_pred"] == 3.0
    assert preds["last_delay"].loc["i4", "p_late"] == 1.0
    assert preds["on_time"]["days_late_pred"].eq(0).all()


def test_linear_baseline_learns_the_signal():
    inv, X = make_delay_dataset(1500, 150, seed=3)
    outcomes = delay_outcomes(inv, inv.attrs["as_of"])
    model = LinearBaseline().fit(X, outcomes)
    pred = model.predict(X)
    corr = np.corrcoef(pred["days_late_pred"], X["trait_signal"])[0, 1]
    assert corr > 0.8
    assert pred["p_late"].between(0, 1).all()
    assert model.fit(X, outcomes) is model
    assert pytest.approx(pred["p_late"].mean(), abs=0.1) == np.nanmean(outcomes["late"])

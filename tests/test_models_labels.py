"""Delay labels at a cut-off, censoring, and the person-period expansion of the hazard model."""

import numpy as np
import pandas as pd
import pytest

from dso_model.models.hazard import interpolate_quantiles, person_periods
from dso_model.models.labels import LabelConfig, delay_outcomes, unbiased_labels

D = pd.Timestamp


def _invoices() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "invoice_id": ["early", "late", "open_recent", "open_old", "paid_after_cutoff"],
            "due_date": [D("2024-01-31")] * 3 + [D("2023-09-01"), D("2024-01-31")],
            "paid_date": [D("2024-01-25"), D("2024-02-20"), pd.NaT, pd.NaT, D("2024-03-15")],
        }
    )


def test_labels_at_a_cutoff_censor_open_invoices():
    out = delay_outcomes(_invoices(), "2024-03-01", LabelConfig(grace_days=0, horizon_days=90))
    assert out.loc["early", "days_late"] == -6  # early payment is a negative delay
    assert out.loc["late", "days_late"] == 20
    assert out.loc["late", "late"] == 1 and out.loc["early", "late"] == 0
    # open at the cut-off: censored at cutoff - due = 30 days, known late, capped delay unknown
    assert not out.loc["open_recent", "paid"]
    assert out.loc["open_recent", "days_observed"] == 30
    assert out.loc["open_recent", "late"] == 1
    assert np.isnan(out.loc["open_recent", "days_late_capped"])
    # open beyond the horizon: the capped delay is known to be the horizon
    assert out.loc["open_old", "days_late_capped"] == 90
    # a payment after the cut-off is not known at the cut-off
    assert not out.loc["paid_after_cutoff", "paid"]
    assert out.loc["paid_after_cutoff", "days_observed"] == 30


def test_grace_decides_late_and_unbiased_labels_drop_unelapsed_windows():
    inv = pd.DataFrame(
        {
            "invoice_id": ["a", "b"],
            "due_date": [D("2024-02-25"), D("2024-01-01")],
            "paid_date": [D("2024-02-20"), D("2024-01-04")],
        }
    )
    out = delay_outcomes(inv, "2024-03-01", LabelConfig(grace_days=5, horizon_days=30))
    assert out.loc["b", "late"] == 0  # 3 days late, within the grace
    assert out.loc["a", "late"] == 0 and not out.loc["a", "grace_elapsed"]
    clean = unbiased_labels(out)
    assert np.isnan(clean.loc["a", "late"])  # paid, but its grace had not elapsed: not scored
    assert clean.loc["b", "days_late_capped"] == 3


def test_label_config_rejects_a_horizon_inside_the_grace():
    with pytest.raises(ValueError):
        LabelConfig(grace_days=10, horizon_days=5)


def test_person_periods_count_at_risk_buckets():
    edges = [-7, 0, 7, 30]
    obs = np.array([-10.0, 3.0, 45.0, 5.0, 0.0])
    paid = np.array([True, True, True, False, False])
    row, bucket, event = person_periods(obs, paid, edges)
    frame = pd.DataFrame({"row": row, "bucket": bucket, "event": event})
    per_row = frame.groupby("row").agg(
        n=("bucket", "size"), events=("event", "sum"), last=("bucket", "max")
    )
    # paid 10 days early: one period, paid in it; paid 3 late: buckets 0,1,2 with the event in 2
    assert per_row.loc[0].tolist() == [1, 1, 0]
    assert per_row.loc[1].tolist() == [3, 1, 2]
    # paid after the horizon: survives all four buckets, no event
    assert per_row.loc[2].tolist() == [4, 0, 3]
    # unpaid, censored at 5 (known unpaid through day 4): survived (-inf,-7] and (-7,0] only
    assert per_row.loc[3].tolist() == [2, 0, 1]
    # unpaid, censored at 0 (unpaid through day -1): survived only the first bucket
    assert per_row.loc[4].tolist() == [1, 0, 0]


def test_quantiles_interpolate_within_buckets_and_cap_at_the_horizon():
    edges = np.array([0.0, 10.0, 20.0])
    cdf = np.array([[0.2, 0.6, 0.8], [0.1, 0.2, 0.3]])
    q50 = interpolate_quantiles(cdf, edges, lower=-10.0, q=0.5)
    assert q50[0] == pytest.approx(7.5)  # 0.2 at 0, 0.6 at 10 -> 0.5 at 7.5
    assert q50[1] == 20.0  # never reaches one half within the horizon
    assert interpolate_quantiles(cdf, edges, -10.0, 0.1)[0] == pytest.approx(-5.0)

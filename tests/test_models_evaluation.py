"""Evaluation metrics against hand computations and scikit-learn."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from dso_model.models.estimators import conformal_margin
from dso_model.models.evaluation import (
    calibration_curve,
    classification_metrics,
    evaluate_predictions,
    expected_calibration_error,
    interval_metrics,
    regression_metrics,
)


def test_regression_metrics_by_hand_and_weighted():
    y = np.array([0.0, 10.0, 5.0, np.nan])
    pred = np.array([2.0, 2.0, 5.0, 1.0])
    m = regression_metrics(y, pred)
    assert m["mae"] == pytest.approx(10 / 3)
    assert m["within_3"] == pytest.approx(2 / 3)
    assert m["within_7"] == pytest.approx(2 / 3)
    w = regression_metrics(y, pred, weight=np.array([1.0, 3.0, 0.0, 1.0]))
    assert w["mae"] == pytest.approx((2 + 24) / 4)


def test_classification_metrics_match_sklearn():
    rng = np.random.default_rng(0)
    p = rng.random(500)
    y = (rng.random(500) < p).astype(float)
    m = classification_metrics(y, p)
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert m["pr_auc"] == pytest.approx(average_precision_score(y, p))
    assert m["brier"] == pytest.approx(brier_score_loss(y, p))
    assert m["ece"] < 0.08  # drawn from its own probabilities: nearly calibrated


def test_ece_and_calibration_curve_by_hand():
    y = np.array([0, 0, 1, 1, 1.0])
    p = np.array([0.05, 0.05, 0.95, 0.95, 0.15])
    # bins: [0,0.1): p .05,.05 y 0,0 -> gap .1 ; [0.1,0.2): p .15 y 1 -> .85 ; [0.9,1): .95,.95 y 1,1 -> .1
    assert expected_calibration_error(y, p) == pytest.approx((0.1 + 0.85 + 0.1) / 5)
    curve = calibration_curve(y, p)
    assert curve["count"].sum() == 5
    assert curve.loc[curve["bin_low"] == 0.9, "observed_rate"].item() == 1.0


def test_interval_coverage_and_conformal_margin_reach_nominal():
    rng = np.random.default_rng(1)
    y = rng.normal(size=4000)
    lower, upper = np.full(4000, -0.5), np.full(4000, 0.5)  # too narrow: ~38 % coverage
    assert interval_metrics(y, lower, upper)["coverage"] == pytest.approx(0.38, abs=0.03)
    margin = conformal_margin(lower[:2000], upper[:2000], y[:2000], 0.8)
    cov = interval_metrics(y[2000:], lower[2000:] - margin, upper[2000:] + margin)["coverage"]
    assert cov == pytest.approx(0.8, abs=0.03)


def test_evaluate_predictions_groups_and_amount_weighting():
    idx = pd.Index(["a", "b", "c", "d"], name="invoice_id")
    truth = pd.DataFrame({"late": [1, 0, 1, 0.0], "days_late_capped": [10, 0, 5, -2.0]}, index=idx)
    pred = pd.DataFrame(
        {"days_late_pred": [0, 0, 5, 0.0], "p_late": [0.9, 0.1, 0.8, 0.2]}, index=idx
    )
    groups = pd.DataFrame({"segment": ["sme", "sme", "consumer", "consumer"]}, index=idx)
    amount = pd.Series([100.0, 1.0, 1.0, 1.0], index=idx)
    table = evaluate_predictions({"m": pred}, truth, groups, amount).set_index(
        ["weighting", "group_by", "group", "metric"]
    )["value"]
    assert table[("count", "all", "all", "mae")] == pytest.approx(12 / 4)
    assert table[("count", "segment", "sme", "mae")] == pytest.approx(5)
    assert table[("amount", "all", "all", "mae")] == pytest.approx((1000 + 0 + 0 + 2) / 103)
    assert table[("count", "all", "all", "roc_auc")] == 1.0

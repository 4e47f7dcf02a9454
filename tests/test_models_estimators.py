"""The delay model and its parts: sklearn conventions, censoring, calibration, intervals."""

import numpy as np
import pandas as pd
import pytest

from dso_model.models.boosting import BoostingParams
from dso_model.models.delay import DelayModel, DelayModelConfig
from dso_model.models.evaluation import classification_metrics, interval_metrics, regression_metrics
from dso_model.models.hazard import DiscreteHazardModel
from dso_model.models.labels import LabelConfig, delay_outcomes, unbiased_labels
from dso_model.models.toy import make_delay_dataset

FAST = BoostingParams(
    n_estimators=80, learning_rate=0.15, num_leaves=15, early_stopping_rounds=10, max_bin=63
)


def _censored_sample(n: int = 6000, seed: int = 0):
    """Delays from a known mixture, most invoices censored independently of their delay."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n)
    delay = np.where(group == 1, rng.normal(20, 6, n), rng.normal(-3, 3, n)).round()
    censor = rng.uniform(-10, 60, n).round()
    paid = (delay < censor) | (rng.random(n) < 0.2)
    observed = np.where(paid, delay, censor)
    X = pd.DataFrame({"group": group.astype(float), "noise": rng.normal(size=n)})
    outcomes = pd.DataFrame({"paid": paid, "days_observed": observed})
    return X, outcomes, delay


def test_hazard_model_recovers_the_delay_distribution_under_censoring():
    X, outcomes, delay = _censored_sample()
    model = DiscreteHazardModel(edges=(-7, 0, 7, 14, 21, 30, 45, 60), params=FAST).fit(X, outcomes)
    assert model.n_periods_ > len(X)
    assert hasattr(model, "booster_") and hasattr(model, "edges_")
    for g in (0.0, 1.0):
        rows = X["group"].to_numpy() == g
        cdf = model.predict_cdf(X[rows]).mean(axis=0)
        truth = np.array([(delay[rows] <= e).mean() for e in model.edges_])
        assert np.abs(cdf - truth).max() < 0.05
    naive = delay[outcomes["paid"].to_numpy()]
    # dropping the censored invoices overstates paying by 7 days late; the hazard model does not
    true_share = (delay <= 7).mean()
    assert (naive <= 7).mean() - true_share > 0.05
    assert abs(model.predict_paid_within(X, [7])[:, 0].mean() - true_share) < 0.03
    cdf = model.predict_cdf(X)
    assert (np.diff(cdf, axis=1) >= -1e-12).all() and (cdf >= 0).all() and (cdf <= 1).all()


def test_hazard_scored_once_per_decision_pattern_is_bitwise_the_row_by_row_hazard():
    from dso_model.models.hazard import BUCKET_COLUMN

    X, outcomes, _ = _censored_sample()
    model = DiscreteHazardModel(edges=(-7, 0, 7, 14), params=FAST).fit(X, outcomes)
    rows = pd.concat([X, X.iloc[::3], X.iloc[::5].assign(noise=np.nan)], ignore_index=True)
    every_row = np.column_stack(
        [
            model.booster_.predict_proba(rows.assign(**{BUCKET_COLUMN: float(j)}))[:, 1]
            for j in range(len(model.edges_))
        ]
    )
    assert np.array_equal(model.predict_hazard(rows), every_row)


@pytest.fixture(scope="module")
def fitted():
    inv, X = make_delay_dataset(6000, 500, seed=5)
    cut = pd.Timestamp("2023-06-01")
    issue = inv["issue_date"]
    tr = (issue < cut - pd.Timedelta(days=180)).to_numpy()
    va = (
        (issue >= cut - pd.Timedelta(days=180)) & (issue < cut - pd.Timedelta(days=90))
    ).to_numpy()
    te = ((issue >= cut) & (issue < cut + pd.Timedelta(days=90))).to_numpy()
    known = delay_outcomes(inv, cut)
    cfg = DelayModelConfig(labels=LabelConfig(0, 90), params=FAST)
    model = DelayModel(cfg)
    returned = model.fit(X[tr], known[tr], eval_set=(X[va], known[va]))
    truth = unbiased_labels(delay_outcomes(inv, inv.attrs["as_of"]))[te]
    return returned, model, X[te], truth


def test_delay_model_follows_sklearn_conventions(fitted):
    returned, model, X_test, _ = fitted
    assert returned is model
    assert model.get_params()["config"].params is FAST
    learned = [k for k in vars(model) if k.endswith("_") and not k.startswith("_")]
    assert {"hazard_", "late_", "quantile_", "mean_", "config_", "feature_names_in_"} <= set(
        learned
    )
    pred = model.predict(X_test)
    assert list(pred.columns) == model.prediction_columns()
    assert pred.index.equals(X_test.index)
    assert (
        pred[["p_late", "p_paid_by_due", "p_paid_within_30"]]
        .apply(lambda s: s.between(0, 1).all())
        .all()
    )
    assert (pred["p_paid_within_30"] >= pred["p_paid_by_due"] - 1e-9).all()
    assert (pred["days_late_lower"] <= pred["days_late_q50"] + 1e-9).all()
    assert (pred["days_late_q50"] <= pred["days_late_upper"] + 1e-9).all()
    assert set(model.boosting_rounds()) == {"hazard", "late", "q10", "q50", "q90", "mean"}
    assert set(model.feature_importance().index) <= set(X_test.columns)


def test_delay_model_is_accurate_calibrated_and_covers(fitted):
    _, model, X_test, truth = fitted
    pred = model.predict(X_test)
    frame = truth.join(pred)
    cls = classification_metrics(frame["late"], frame["p_late"])
    assert cls["roc_auc"] > 0.75 and cls["ece"] < 0.06
    cov = interval_metrics(
        frame["days_late_capped"], frame["days_late_lower"], frame["days_late_upper"]
    )
    assert 0.72 < cov["coverage"] < 0.88
    model_mae = regression_metrics(frame["days_late_capped"], frame["days_late_pred"])["mae"]
    constant = regression_metrics(frame["days_late_capped"], np.zeros(len(frame)))["mae"]
    assert model_mae < 0.85 * constant


def test_point_estimate_settings_are_checked():
    with pytest.raises(ValueError, match="0.5"):
        DelayModelConfig(quantiles=(0.1, 0.9), point="median")
    with pytest.raises(ValueError, match="horizon"):
        DelayModelConfig(paid_within_days=(30, 120))
    edges = DelayModelConfig(
        labels=LabelConfig(grace_days=3, horizon_days=60), paid_within_days=(30, 60)
    ).edges()
    assert 3.0 in edges and max(edges) == 60.0 and 90.0 not in edges


def test_refit_keeps_the_early_stopped_rounds_and_learns_from_more_data():
    inv, X = make_delay_dataset(3000, 300, seed=8)
    cut = pd.Timestamp("2023-06-01")
    issue = inv["issue_date"]
    tr = (issue < cut - pd.Timedelta(days=180)).to_numpy()
    va = (
        (issue >= cut - pd.Timedelta(days=180)) & (issue < cut - pd.Timedelta(days=90))
    ).to_numpy()
    before = (issue < cut).to_numpy()
    known = delay_outcomes(inv, cut)
    model = DelayModel(DelayModelConfig(params=FAST)).fit(
        X[tr], known[tr], eval_set=(X[va], known[va])
    )
    rounds, margin = model.boosting_rounds(), model.quantile_.margin_
    first = model.predict(X[~before])
    assert model.refit(X[before], known[before]) is model
    assert model.boosting_rounds() == rounds and model.quantile_.margin_ == margin
    assert model.n_train_["all"] == before.sum()
    assert not np.allclose(model.predict(X[~before])["p_late"], first["p_late"])


def test_too_few_known_outcomes_is_a_clear_error():
    from dso_model.errors import DsoInputError

    inv, X = make_delay_dataset(200, 20, seed=9)
    known = delay_outcomes(inv, inv["issue_date"].min() + pd.Timedelta(days=20))
    with pytest.raises(DsoInputError, match="known"):
        DelayModel(DelayModelConfig(params=FAST)).fit(X, known)

"""The response model on synthetic logs whose read probability and effect of reading are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dso_model.policy.response import (
    EffectModel,
    LgbmParams,
    ReadModel,
    ResponseModel,
    stabilised_weights,
)

FAST = LgbmParams(n_estimators=80, learning_rate=0.1, num_leaves=15, min_child_samples=40)


def synthetic_logs(n: int = 6000, seed: int = 0):
    """Customers who read e-mail at 10 far more than SMS at 20; reading saves 12 balance-days
    for 'forgetful' invoices and nothing for the others; readers are no better payers."""
    rng = np.random.default_rng(seed)
    forgetful = rng.uniform(size=n) < 0.4
    late_history = np.where(forgetful, rng.normal(15, 4, n), rng.normal(2, 2, n))
    channel = rng.choice(["email", "sms"], n)
    hour = rng.choice([10, 20], n)
    p_read = np.where(channel == "email", 0.6, 0.2) * np.where(hour == 10, 1.0, 0.5)
    read = rng.uniform(size=n) < p_read
    base = 10 + 1.2 * late_history + rng.normal(0, 4, n)
    y = base - 12 * (read & forgetful)
    units = pd.DataFrame(
        {
            "customer_id": [f"C{i % 1500}" for i in range(n)],
            "invoice_id": [f"I{i}" for i in range(n)],
            "send_date": pd.Timestamp("2024-05-06"),
            "hour": hour,
            "channel": channel,
            "template": "pre_due_reminder",
            "tone": "friendly",
            "propensity": 0.25,
            "offset": -3,
            "read": read,
            "y": y,
        }
    )
    X = pd.DataFrame({"hist_days_late_mean": late_history, "inv_amount": rng.uniform(50, 80, n)})
    customers = pd.DataFrame(
        {"customer_id": units["customer_id"].unique(), "timezone": "Europe/Madrid"}
    )
    return units, X, customers, forgetful, p_read


def test_read_model_ranks_channels_and_hours():
    units, X, customers, _, p_true = synthetic_logs()
    model = ResponseModel(read=ReadModel(FAST), effect=EffectModel(FAST, FAST)).fit(
        X, units, customers
    )
    p = model.read_probability(X, units, customers)
    for (ch, h), truth in {("email", 10): 0.6, ("email", 20): 0.3, ("sms", 10): 0.2}.items():
        rows = (units["channel"] == ch) & (units["hour"] == h)
        assert abs(p[rows].mean() - truth) < 0.05, (ch, h, p[rows].mean())


def test_effect_of_reading_is_recovered_per_segment():
    units, X, customers, forgetful, _ = synthetic_logs()
    model = ResponseModel(read=ReadModel(FAST), effect=EffectModel(FAST, FAST)).fit(
        X, units, customers
    )
    effect = model.effect_of_reading(X, units, customers)
    assert abs(effect[forgetful].mean() - (-12)) < 3
    assert abs(effect[~forgetful].mean()) < 3
    assert model.info_["units"] == len(units)


def test_weights_are_stabilised_and_clipped():
    p = np.array([0.5, 0.1, np.nan, 0.01])
    w = stabilised_weights(p, clip=10)
    assert np.isclose(w[2], 1.0)  # no propensity: weight 1
    assert w[0] < w[1] < w[3]
    assert np.isclose(w[3] / w[1], 10)  # inverse propensities, scaled
    capped = stabilised_weights(p, clip=2)
    assert capped.max() == 2 and capped.min() == 0.5


@pytest.mark.parametrize("design_rows", [500_000, 97])
def test_grid_and_shared_feature_rows_score_bitwise_like_every_row_on_its_own(
    monkeypatch, design_rows
):
    """Scoring once per decision pattern (in parts or not) changes no bit of the read grid or of
    the effect."""
    monkeypatch.setattr("dso_model.policy.response.DESIGN_ROWS", design_rows)
    from dso_model.contract.spec import CHANNELS
    from dso_model.policy.response import (
        EFFECT_ACTION_FEATURES,
        READ_ACTION_FEATURES,
        _design,
        action_features,
    )

    units, X, customers, _, _ = synthetic_logs()
    model = ResponseModel(read=ReadModel(FAST), effect=EffectModel(FAST, FAST)).fit(
        X, units, customers
    )
    slots, hours = units.iloc[:700], (9, 10, 20)
    grid = slots.loc[slots.index.repeat(len(CHANNELS) * len(hours))].reset_index(drop=True)
    grid["channel"] = np.tile(np.repeat(list(CHANNELS), len(hours)), len(slots))
    grid["hour"] = np.tile(hours, len(CHANNELS) * len(slots))
    design = _design(
        X.iloc[np.repeat(np.arange(700), len(CHANNELS) * len(hours))],
        action_features(grid, customers, model.portfolio_timezone),
        READ_ACTION_FEATURES,
    )
    every_cell = model.read.model_.predict_proba(design)[:, 1].reshape(700, len(CHANNELS), -1)
    assert np.array_equal(model.read_grid(X.iloc[:700], slots, customers, hours), every_cell)
    rows = np.arange(len(units)) % 700
    acts = action_features(units, customers, model.portfolio_timezone)
    every_row = model.effect.model_.predict(_design(X.iloc[rows], acts, EFFECT_ACTION_FEATURES))
    assert np.array_equal(
        model.effect_of_reading(X.iloc[:700], units, customers, rows=rows), every_row
    )


def test_a_category_column_goes_to_lightgbm_as_a_frame():
    from dso_model.policy.response import _design_matrices

    numbers = pd.DataFrame({"a": np.arange(3, dtype=np.float32), "b": [1, 2, 3]})
    acts = pd.DataFrame({"act_channel": np.array([0, 1, 2], dtype=np.int16)})
    x, a = _design_matrices(numbers, acts)
    assert x.shape == (3, 2) and a.dtype == np.float64
    assert _design_matrices(numbers.assign(b=pd.Categorical(["x", "y", "x"])), acts) is None
    assert _design_matrices(numbers.assign(b=[True, False, True]), acts) is None

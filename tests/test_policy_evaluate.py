"""Evaluation pieces: balance-days, decision days, the off-policy check's estimates, the targets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dso_model.policy.evaluate import holdout_split, target_check
from dso_model.policy.logs import balance_days
from dso_model.policy.ope_check import (
    LoggedArms,
    choose_fixed,
    choose_none,
    decision_days,
    estimate_targets,
    feasible_offsets,
)
from dso_model.policy.report import evaluation_metrics, markdown_table, response_uplift

START = pd.Timestamp("2024-07-01")  # a Monday


def _payments(rows):
    return pd.DataFrame(
        rows, columns=["payment_id", "invoice_id", "payment_date", "amount"]
    ).astype({"payment_date": "datetime64[ns]"})


def test_balance_days_count_the_unpaid_share_over_the_horizon():
    invoices = pd.DataFrame({"invoice_id": ["a", "b", "c", "d"], "amount": 100.0})
    payments = _payments(
        [
            ("p1", "a", START + pd.Timedelta(days=10), 50.0),
            ("p2", "a", START + pd.Timedelta(days=30), 50.0),
            ("p3", "b", START + pd.Timedelta(days=10), 50.0),  # the rest never comes
            ("p4", "c", START - pd.Timedelta(days=5), 100.0),  # paid before the start
            ("p5", "d", START + pd.Timedelta(days=75), 100.0),  # paid after the horizon
        ]
    )
    units = pd.DataFrame({"invoice_id": ["a", "b", "c", "d"], "start": START})
    days = balance_days(units, invoices, payments, 60)
    assert np.allclose(days, [0.5 * 10 + 0.5 * 30, 0.5 * 10 + 0.5 * 60, 0.0, 60.0])


def test_decision_days_and_feasible_offsets():
    issue = pd.Series(pd.to_datetime(["2024-07-01", "2024-07-03", "2024-07-08"]))
    days = pd.Series(decision_days(issue, START))
    # a policy first sees an invoice on the first weekly decision day after its issue
    assert list(days.dt.strftime("%Y-%m-%d")) == ["2024-07-08", "2024-07-08", "2024-07-15"]
    due = pd.Series(pd.to_datetime(["2024-07-10", "2024-07-30", "2024-07-15"]))
    feasible = feasible_offsets(due, days, (-7, -3, -1, 0))
    assert feasible.tolist() == [
        [False, False, True, True],  # decided two days before due: -1 and 0 are still ahead
        [True, True, True, True],
        [False, False, False, True],
    ]


def _logged_arms(n: int, seed: int):
    """Logged pre-due arms chosen at random (none / -7 / -3) with known probabilities; a reminder
    3 days before due saves 6 balance-days on 'forgetful' invoices, one 7 days before saves 2."""
    rng = np.random.default_rng(seed)
    forgetful = rng.uniform(size=n) < 0.5
    arms = np.array([np.nan, -7.0, -3.0])
    probs = np.array([0.5, 0.3, 0.2])
    pick = rng.choice(3, n, p=probs)
    offset = arms[pick]
    saving = np.where(offset == -3, 6.0, np.where(offset == -7, 2.0, 0.0)) * forgetful
    y = 30 + 10 * forgetful - saving + rng.normal(0, 5, n)
    invoices = pd.DataFrame(
        {
            "invoice_id": [f"I{i}" for i in range(n)],
            "customer_id": [f"C{i}" for i in range(n)],
            "offset": offset,
            "arm_prob": probs[pick],
            "y": y,
        }
    )
    X = pd.DataFrame({"forgetful": forgetful.astype(float)})
    truth = {
        "none": 30 + 10 * forgetful.mean(),
        "remind_3": 30 + 10 * forgetful.mean() - 6 * forgetful.mean(),
    }
    return LoggedArms(invoices, X, np.ones((n, 2), dtype=bool)), truth


class TrueRewardModel:
    """The expected outcome of each arm (the design is the features plus the arm's offset)."""

    def predict(self, design: pd.DataFrame) -> np.ndarray:
        f, off = design["forgetful"].to_numpy(), design["arm_offset"].to_numpy()
        saving = np.where(off == -3, 6.0, np.where(off == -7, 2.0, 0.0))
        return 30 + 10 * f - saving * f


def test_estimates_of_pre_due_targets_recover_their_value():
    logged, truth = _logged_arms(20_000, seed=1)
    offsets = (-7, -3)
    targets = {"none": choose_none, "remind_3": choose_fixed(-3, offsets)}
    est = estimate_targets(logged, targets, TrueRewardModel())
    assert set(est["estimator"]) == {"ips", "snips", "dr"}
    for row in est.itertuples():
        assert abs(row.value - truth[row.target]) < 4 * row.se, row
        assert row.lower < row.value < row.upper
    shares = est.groupby("target")["contacted_share"].first()
    assert shares["none"] == 0.0 and shares["remind_3"] == 1.0
    # with the true reward model, DR is tighter than IPS
    se = est.set_index(["target", "estimator"])["se"]
    assert se["remind_3", "dr"] < se["remind_3", "ips"]


def test_holdout_split_is_reproducible():
    ids = pd.Series([f"C{i}" for i in range(2000)])
    a, b = holdout_split(ids, 0.3, seed=4), holdout_split(ids, 0.3, seed=4)
    assert a.equals(b)
    assert 0.25 < len(a) / len(ids) < 0.35
    assert not a.equals(holdout_split(ids, 0.3, seed=5))


def test_target_check_and_metrics():
    table = pd.DataFrame(
        {
            "policy": ["reactive_dunning", "next_best_action", "oracle"],
            "dso": [80.0, 72.0, 70.0],
            "contacts": [1000.0, 900.0, 1200.0],
            "complaints_per_1000": [20.0, 15.0, 10.0],
        }
    )
    check = target_check(table)
    assert check["dso_change_vs_dunning_pct"] == pytest.approx(-10.0)
    assert check["contacts_ratio_vs_dunning"] == pytest.approx(0.9)
    assert check["complaints_diff_vs_dunning"] == pytest.approx(-5.0)
    assert check["share_of_oracle_reduction_pct"] == pytest.approx(80.0)
    assert target_check(table[table["policy"] != "next_best_action"]) == {}
    text = markdown_table(table)
    assert text.splitlines()[0] == "| policy | dso | contacts | complaints_per_1000 |"
    assert "| next_best_action | 72.00 | 900.00 | 15.00 |" in text

    from dso_model.policy.evaluate import PolicyEvaluation

    metrics = evaluation_metrics(PolicyEvaluation(table, check, None, {}))
    assert metrics["oracle.dso"] == 70.0
    assert metrics["target.share_of_oracle_reduction_pct"] == pytest.approx(80.0)


def test_too_short_a_history_for_profiles_says_what_to_change():
    from dso_model.errors import DsoInputError
    from dso_model.policy.evaluate import _train_profiles
    from dso_model.sim import load_preset, simulate

    sim = simulate(
        load_preset("small", seed=2, n_customers=60, months=4, **{"oracle.replications": 1})
    )
    cut = pd.Timestamp(sim.config.start) + pd.DateOffset(months=2)
    ids = pd.Index(sim.portfolio.customers["customer_id"])
    with pytest.raises(DsoInputError, match="eval.profiles=false") as info:
        _train_profiles(sim.portfolio.snapshot(cut), cut, ids)
    assert "history" in info.value.problem


class _KnownResponse:
    """P(read) grows with the channel, the hour and x; reading saves offset + x balance-days."""

    def read_probability(self, X, actions, customers):
        channel = actions["channel"].map({"email": 0, "sms": 1}).fillna(2).to_numpy()
        return 0.1 * channel + 0.01 * actions["hour"].to_numpy() + 0.01 * X["x"].to_numpy()

    def effect_of_reading(self, X, actions, customers):
        return -(actions["offset"].to_numpy(float) + X["x"].to_numpy())


def test_response_uplift_averages_the_product_per_invoice():
    invoices = pd.DataFrame({"invoice_id": ["i2", "i1"], "customer_id": ["c1", "c2"]})
    features = pd.DataFrame({"x": [1.0, 3.0]}, index=pd.Index(["i1", "i2"], name="invoice_id"))
    table = response_uplift(
        _KnownResponse(),
        features,
        invoices,
        pd.DataFrame({"customer_id": ["c1", "c2"]}),
        START,
        hours=[9, 13],
        offsets=[-3, 5],
        templates=["pre_due_reminder"],
    )
    assert len(table) == 5 * 2 * 2  # channels x hours x offsets x templates
    row = table.set_index(["channel", "hour", "offset"]).loc[("sms", 13, 5)]
    assert row["p_read"] == pytest.approx((0.24 + 0.26) / 2)
    assert row["days_saved"] == pytest.approx(((5 + 1) + (5 + 3)) / 2)
    assert row["uplift"] == pytest.approx((0.24 * 6 + 0.26 * 8) / 2)  # not 0.25 x 7
    # a negative saving (a message that delays payment) is priced at zero, as the policy does
    early = table.set_index(["channel", "hour", "offset"]).loc[("email", 9, -3)]
    assert early["days_saved"] == pytest.approx((0 + 0) / 2)


def test_a_fit_for_another_start_or_other_customers_is_not_reused():
    from dso_model.policy import PolicyConfig
    from dso_model.policy.evaluate import (
        EvalSettings,
        TrainedPolicy,
        default_start,
        holdout_split,
        run_evaluation,
    )
    from dso_model.sim import load_preset, simulate

    sim = simulate(
        load_preset("small", seed=2, n_customers=60, months=4, **{"oracle.replications": 1})
    )
    settings = EvalSettings(horizon_months=1, profiles=False)
    start = default_start(sim, settings.horizon_months)
    ids = sim.portfolio.customers["customer_id"]
    train_ids = pd.Index(ids[~ids.isin(holdout_split(ids, settings.holdout_share, settings.seed))])

    def fit(cut, customers):
        return TrainedPolicy(None, None, None, cut=cut, customers=customers)

    assert fit(start, train_ids).fitted_for(start, train_ids)
    for stale in (fit(start - pd.DateOffset(months=1), train_ids), fit(start, train_ids[1:])):
        assert not stale.fitted_for(start, train_ids)
        with pytest.raises(ValueError, match="not fitted before"):
            run_evaluation(sim, PolicyConfig(), settings, trained=stale, log=lambda _: None)

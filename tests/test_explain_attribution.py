"""Money-weighted attribution of predicted ADD: hand-checked values, and parts that add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dso_model.explain import Contributions, attribute_add, average_over, dso_waterfall
from dso_model.explain.drivers import BASELINE


def _contribs(values: np.ndarray, expected: float, columns=("a", "b", "c")) -> Contributions:
    index = pd.Index([f"I{i}" for i in range(len(values))], name="invoice_id")
    frame = pd.DataFrame(values, index=index, columns=list(columns))
    output = pd.Series(frame.sum(axis=1).to_numpy() + expected, index=index)
    return Contributions(frame, expected, output)


FAMILIES = {"a": "history", "b": "history", "c": "calendar"}


def test_hand_checked_add_and_split():
    # Two invoices of one period: 100 predicted 10 days late, 300 predicted 2 days early.
    contribs = _contribs(np.array([[4.0, 3.0, -1.0], [-2.0, -3.0, -1.0]]), expected=4.0)
    invoices = pd.DataFrame({"amount": [100.0, 300.0]}, index=contribs.values.index)
    out = attribute_add(contribs, invoices, FAMILIES).families.iloc[0]
    # ADD = 100 * 10 / 400 = 2.5 days; the early invoice adds nothing (clip_early).
    assert out["predicted_add"] == pytest.approx(2.5)
    assert out[BASELINE] == pytest.approx(100 * 4.0 / 400)
    assert out["history"] == pytest.approx(100 * 7.0 / 400)
    assert out["calendar"] == pytest.approx(100 * -1.0 / 400)
    assert out["credit_sales"] == 400.0
    unclipped = attribute_add(contribs, invoices, FAMILIES, clip_early=False).families.iloc[0]
    assert unclipped["predicted_add"] == pytest.approx((100 * 10 - 300 * 2) / 400)


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(1, 60),
    seed=st.integers(0, 10_000),
    expected=st.floats(-5, 20),
    clip=st.booleans(),
)
def test_parts_add_up_to_predicted_add_in_every_cell(n, seed, expected, clip):
    rng = np.random.default_rng(seed)
    contribs = _contribs(rng.normal(0, 6, (n, 3)), expected)
    invoices = pd.DataFrame(
        {
            "amount": rng.lognormal(5, 1, n),
            "period": rng.choice(pd.date_range("2024-01-01", periods=3, freq="MS"), n),
            "segment": rng.choice(["sme", "consumer"], n),
        },
        index=contribs.values.index,
    )
    for by in (None, "period", ("period", "segment")):
        att = attribute_add(contribs, invoices, FAMILIES, by=by, clip_early=clip)
        assert att.max_gap() < 1e-9
        fam = att.families
        features = att.features.sum(axis=1) + fam[BASELINE]
        np.testing.assert_allclose(features.to_numpy(), fam["predicted_add"].to_numpy(), atol=1e-9)
        assert fam["n_invoices"].sum() == n
    averaged = average_over(attribute_add(contribs, invoices, FAMILIES, by=("period", "segment")))
    assert averaged.by == ("segment",)
    assert averaged.max_gap() < 1e-9


def test_add_equals_overdue_receivables_in_a_steady_state():
    """Little's law: money-weighted days late / sales = overdue receivables / daily sales."""
    from dso_model.metrics import dso_measures

    rng = np.random.default_rng(1)
    days = pd.date_range("2023-01-01", "2024-12-31", freq="D")
    n = len(days) * 4
    issue = rng.choice(days, n)
    amount = rng.lognormal(5, 0.5, n)
    late = np.where(rng.random(n) < 0.4, rng.integers(1, 30, n), 0)
    due = issue + pd.to_timedelta(30, unit="D")
    invoices = pd.DataFrame(
        {
            "invoice_id": [f"I{i}" for i in range(n)],
            "customer_id": "C1",
            "issue_date": issue,
            "due_date": due,
            "amount": amount,
            "paid_date": due + pd.to_timedelta(late, unit="D"),
            "paid_amount": amount,
            "status": "paid",
        }
    )
    measured = dso_measures(invoices, start="2024-03-01", end="2024-12-01", freq="MS")
    in_window = (invoices["issue_date"] >= "2024-03-01") & (invoices["issue_date"] < "2024-12-01")
    window = invoices[in_window].set_index("invoice_id")
    window["period"] = window["issue_date"].dt.to_period("M").dt.start_time
    contribs = _contribs(np.zeros((len(window), 3)), 0.0)
    contribs = Contributions(
        contribs.values.set_axis(window.index),
        0.0,
        pd.Series(late[in_window.to_numpy()].astype(float), index=window.index),
    )
    att = average_over(attribute_add(contribs, window, FAMILIES, by="period"))
    predicted = att.families["predicted_add"].iloc[0]
    assert predicted == pytest.approx(measured["add"].mean(), rel=0.08)


def test_waterfall_chains_from_bpdso_to_dso():
    parts = pd.Series({"baseline": 2.0, "history": 5.0, "calendar": -0.5})
    steps = dso_waterfall(30.0, parts, measured_dso=40.0)
    assert list(steps["step"]) == [
        "BPDSO",
        "baseline",
        "history",
        "calendar",
        "predicted DSO",
        "model gap",
        "DSO",
    ]
    chain = steps[steps["kind"].isin(["part", "gap"])]
    assert (chain["start"].to_numpy()[1:] == chain["end"].to_numpy()[:-1]).all()
    assert steps.loc[steps["step"] == "predicted DSO", "end"].item() == pytest.approx(36.5)
    assert steps["end"].iloc[-1] == 40.0
    assert steps.loc[steps["step"] == "model gap", "delta"].item() == pytest.approx(3.5)


def test_attribution_needs_days_and_amounts():
    contribs = _contribs(np.ones((2, 3)), 1.0)
    invoices = pd.DataFrame({"amount": [1.0, 2.0]}, index=contribs.values.index)
    logit = Contributions(contribs.values, 1.0, contribs.output, units="log-odds")
    with pytest.raises(ValueError):
        attribute_add(logit, invoices, FAMILIES)
    with pytest.raises(KeyError):
        attribute_add(contribs, invoices.iloc[:1], FAMILIES)

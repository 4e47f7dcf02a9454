"""DSO measures against hand-computed examples."""

import pandas as pd
import pytest

from dso_model.metrics import dso_measures, receivables_at


def _invoices() -> pd.DataFrame:
    d = pd.Timestamp
    return pd.DataFrame(
        {
            "invoice_id": ["A", "B", "C", "D"],
            "customer_id": ["c1", "c1", "c2", "c2"],
            "issue_date": [d("2023-12-10"), d("2024-01-05"), d("2024-01-10"), d("2024-01-20")],
            "due_date": [d("2024-01-09"), d("2024-02-04"), d("2024-01-25"), d("2024-03-01")],
            "amount": [100.0, 200.0, 300.0, 50.0],
            "paid_date": [d("2024-01-20"), pd.NaT, pd.NaT, pd.NaT],
            "paid_amount": [100.0, 0.0, 100.0, 0.0],
            "segment": ["sme", "sme", "consumer", "consumer"],
        }
    )


def _payments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "payment_id": ["p1", "p2"],
            "invoice_id": ["A", "C"],
            "payment_date": [pd.Timestamp("2024-01-20"), pd.Timestamp("2024-01-28")],
            "amount": [100.0, 100.0],
        }
    )


def test_january_measures_match_hand_computation():
    out = dso_measures(_invoices(), _payments(), start="2024-01-01", end="2024-02-01")
    row = out.iloc[0]
    # opening 100 (A); sales 550; closing: B 200 + C 200 + D 50 = 450, current B + D = 250
    assert row["credit_sales"] == pytest.approx(550)
    assert row["opening_receivables"] == pytest.approx(100)
    assert row["receivables"] == pytest.approx(450)
    assert row["current_receivables"] == pytest.approx(250)
    assert row["dso"] == pytest.approx(450 / 550 * 31)
    assert row["bpdso"] == pytest.approx(250 / 550 * 31)
    assert row["add"] == pytest.approx(200 / 550 * 31)
    assert row["cei"] == pytest.approx((100 + 550 - 450) / (100 + 550 - 250) * 100)
    assert row["countback_dso"] == pytest.approx(450 / 550 * 31)


def test_countback_walks_back_through_months_without_sales():
    out = dso_measures(_invoices(), _payments(), start="2024-02-01", end="2024-03-01")
    row = out.iloc[0]
    assert row["credit_sales"] == 0
    assert pd.isna(row["dso"])  # no sales in the period: standard DSO undefined
    # 450 owed: February had no sales (29 days), then 450 of January's 550 over 31 days
    assert row["receivables"] == pytest.approx(450)
    assert row["countback_dso"] == pytest.approx(29 + 450 / 550 * 31)


def test_per_group_measures_add_up_to_the_portfolio():
    inv, pay = _invoices(), _payments()
    total = dso_measures(inv, pay, start="2024-01-01", end="2024-02-01")
    per = dso_measures(inv, pay, start="2024-01-01", end="2024-02-01", by="segment")
    assert set(per["segment"]) == {"sme", "consumer"}
    for col in ("credit_sales", "receivables", "current_receivables", "opening_receivables"):
        assert per[col].sum() == pytest.approx(total[col].iloc[0])
    sme = per.set_index("segment").loc["sme"]
    assert sme["dso"] == pytest.approx(200 / 200 * 31)  # B only, owed in full


def test_write_off_removes_the_remaining_balance():
    events = pd.DataFrame(
        {
            "event_id": ["e1"],
            "customer_id": ["c2"],
            "invoice_id": ["C"],
            "timestamp": [pd.Timestamp("2024-01-30")],
            "event_type": ["write_off"],
        }
    )
    out = dso_measures(
        _invoices(), _payments(), start="2024-01-01", end="2024-02-01", events=events
    )
    assert out.iloc[0]["receivables"] == pytest.approx(250)
    assert out.iloc[0]["overdue_receivables"] == pytest.approx(0)


def test_paid_date_stands_for_payments_when_a_source_has_none():
    inv = _invoices()
    at = receivables_at(inv, None, "2024-01-21")
    # A was settled on 2024-01-20 (from paid_date); C's partial payment has no date: still owed
    assert at["receivables"] == pytest.approx(200 + 300 + 50)
    assert at["current"] == pytest.approx(200 + 300 + 50)
    at_feb = receivables_at(inv, None, "2024-02-01")
    assert at_feb["overdue"] == pytest.approx(300)


def test_outstanding_sums_the_payments_like_a_groupby_on_the_text_ids():
    """Payments matched by number give, bit for bit, the sums of a groupby on the invoice ids."""
    import numpy as np

    from dso_model.metrics.dso import outstanding_at

    rng = np.random.default_rng(4)
    ids = np.array([f"inv-{i}" for i in range(300)], dtype=object)
    invoices = pd.DataFrame(
        {
            "invoice_id": ids,
            "issue_date": pd.Timestamp("2024-01-01"),
            "amount": rng.uniform(10, 1000, 300).round(2),
        }
    )
    payments = pd.DataFrame(
        {
            "invoice_id": np.r_[rng.choice(ids, 5000), ["unknown", None]],
            "payment_date": pd.Timestamp("2024-01-02")
            + pd.to_timedelta(rng.integers(0, 90, 5002), unit="D"),
            "amount": rng.uniform(0.01, 7.0, 5002),
        }
    )
    at = pd.Timestamp("2024-02-15")
    paid = payments[payments["payment_date"] < at].groupby("invoice_id")["amount"].sum()
    by_text = invoices["amount"] - invoices["invoice_id"].map(paid).fillna(0.0)
    owed = outstanding_at(invoices, payments, at).to_numpy()
    assert np.array_equal(owed, np.clip(by_text.to_numpy(), 0.0, None))


def test_one_ledger_measures_like_the_tables_measured_each_time():
    from dso_model.metrics import Ledger

    invoices, payments = _invoices(), _payments()
    ledger = Ledger.of(invoices, payments)
    window = (invoices["issue_date"] >= pd.Timestamp("2024-01-01")).to_numpy()
    at = pd.Timestamp("2024-02-01")
    assert ledger.receivables_at(at, window) == receivables_at(invoices[window], payments, at)
    assert ledger.receivables_at(at) == receivables_at(invoices, payments, at)
    pd.testing.assert_frame_equal(
        dso_measures(invoices, payments, start="2024-01-01", end="2024-03-01", ledger=ledger),
        dso_measures(invoices, payments, start="2024-01-01", end="2024-03-01"),
        check_exact=True,
    )


@pytest.mark.parametrize(
    "groups",
    [
        pd.Series(["b", None, "a", "b", "c", "a"], name="_group"),
        pd.Series([2.0, 1.0, None, 2.0, 1.0, 3.0], name="_group"),
        pd.Series(pd.Categorical(["y", "x", None, "y", "x", "x"], categories=["y", "x", "z"])),
    ],
)
def test_group_sums_from_numbers_are_the_groupby_sums(groups):
    from dso_model.metrics.dso import _group_sums, _numbered

    data = pd.DataFrame({"a": [0.1, 0.2, 0.3, 1e16, 0.7, 1.1], "b": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    pd.testing.assert_frame_equal(
        _group_sums(data, _numbered(groups)),
        data.groupby(groups, sort=True).sum(),
        check_exact=True,
    )

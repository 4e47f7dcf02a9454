"""The data contract: schemas, the Portfolio and its point-in-time snapshot."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dso_model import Portfolio
from dso_model.contract.docs import render_contract
from dso_model.errors import DsoInputError

DOCS = Path(__file__).resolve().parents[1] / "docs" / "contract.md"


def _tables():
    d = pd.Timestamp
    customers = pd.DataFrame(
        {
            "customer_id": ["c1", "c2"],
            "created_date": [d("2023-01-01"), d("2023-06-01")],
            "segment": ["sme", "consumer"],
            "country": ["ES", "GB"],
            "language": ["es", "en"],
        }
    )
    invoices = pd.DataFrame(
        {
            "invoice_id": ["i1", "i2", "i3"],
            "customer_id": ["c1", "c1", "c2"],
            "issue_date": [d("2024-01-01"), d("2024-02-01"), d("2024-02-10")],
            "due_date": [d("2024-01-31"), d("2024-03-02"), d("2024-03-11")],
            "amount": [100.0, 200.0, 50.0],
            "currency": ["EUR", "EUR", "EUR"],
            "paid_date": [d("2024-02-05"), pd.NaT, pd.NaT],
            "paid_amount": [100.0, 80.0, 0.0],
            "status": ["paid", "partially_paid", "open"],
        }
    )
    payments = pd.DataFrame(
        {
            "payment_id": ["p1", "p2", "p3"],
            "invoice_id": ["i1", "i1", "i2"],
            "payment_date": [d("2024-01-20"), d("2024-02-05"), d("2024-03-10")],
            "amount": [40.0, 60.0, 80.0],
        }
    )
    return customers, invoices, payments


def test_committed_contract_page_matches_the_spec():
    assert DOCS.read_text() == render_contract(), "run: python -m dso_model.contract.docs"


def test_portfolio_validates_and_fills_optional_columns():
    p = Portfolio.from_tables(*_tables())
    assert p.as_of == pd.Timestamp("2024-03-11")  # day after the latest dated row
    assert {"timezone", "opt_out_sms", "credit_limit"} <= set(p.customers.columns)
    assert not p.customers["opt_out_sms"].any()
    assert len(p.contacts) == 0 and "propensity" in p.contacts.columns
    assert p.invoices["terms_days"].tolist() == [30, 30, 30]


def test_snapshot_recomputes_status_from_payments_known_before_the_date():
    p = Portfolio.from_tables(*_tables())
    snap = p.snapshot("2024-02-05")
    inv = snap.invoices.set_index("invoice_id")
    assert list(inv.index) == ["i1", "i2"]  # i3 not yet issued
    assert inv.loc["i1", "status"] == "partially_paid"  # 60 arrives on 2024-02-05 itself
    assert inv.loc["i1", "paid_amount"] == pytest.approx(40.0)
    assert pd.isna(inv.loc["i1", "paid_date"])
    later = p.snapshot("2024-02-06").invoices.set_index("invoice_id")
    assert later.loc["i1", "status"] == "paid"
    assert later.loc["i1", "paid_date"] == pd.Timestamp("2024-02-05")
    assert snap.payments["payment_date"].max() < pd.Timestamp("2024-02-05")


def test_paid_amount_must_match_payments():
    customers, invoices, payments = _tables()
    invoices.loc[1, "paid_amount"] = 90.0
    with pytest.raises(DsoInputError, match="sum of the invoice's payments"):
        Portfolio.from_tables(customers, invoices, payments)


def test_status_must_agree_with_paid_amount():
    customers, invoices, payments = _tables()
    invoices.loc[2, "paid_amount"] = 10.0  # 'open' with money received
    with pytest.raises(DsoInputError, match="'open'") as err:
        Portfolio.from_tables(customers, invoices)
    assert err.value.rows == [2]


def test_unknown_customer_reference_names_rows():
    customers, invoices, payments = _tables()
    invoices.loc[2, "customer_id"] = "ghost"
    with pytest.raises(DsoInputError) as err:
        Portfolio.from_tables(customers, invoices, payments)
    assert err.value.column == "customer_id" and err.value.examples == ["ghost"]


def test_unknown_currency_is_refused():
    customers, invoices, payments = _tables()
    invoices.loc[0, "currency"] = "XYZ"
    with pytest.raises(DsoInputError) as err:
        Portfolio.from_tables(customers, invoices, payments)
    assert err.value.column == "currency"


def test_parquet_round_trip(tmp_path):
    p = Portfolio.from_tables(*_tables())
    p.to_parquet(tmp_path / "pf")
    q = Portfolio.from_parquet(tmp_path / "pf")
    assert q.as_of == p.as_of
    pd.testing.assert_frame_equal(q.invoices, p.invoices)
    pd.testing.assert_frame_equal(q.customers, p.customers)
    assert not list((tmp_path / "pf").glob("*.tmp"))

"""Hand-checked feature values on small portfolios, and the pieces around them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dso_model.contract.portfolio import Portfolio
from dso_model.contract.spec import SEGMENTS
from dso_model.errors import DsoInputError
from dso_model.features import (
    FAMILIES,
    FEATURE_REGISTRY,
    CategoryEncoder,
    FeatureConfig,
    build_features,
    categorical_features,
    feature_names,
    scoring_cutoffs,
    training_cutoffs,
    write_features,
)
from dso_model.features.registry import DTYPES

D = pd.Timestamp


def customers(**extra) -> pd.DataFrame:
    row = {
        "customer_id": "C1",
        "created_date": D("2023-06-01"),
        "segment": "sme",
        "country": "ES",
        "language": "es",
    }
    return pd.DataFrame([{**row, **extra}])


def invoices(rows) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=[
            "invoice_id",
            "issue_date",
            "due_date",
            "amount",
            "paid_date",
            "paid_amount",
            "status",
        ],
    )
    return frame.assign(customer_id="C1", currency="EUR")


A_AND_B = [  # A: due 31 Jan, paid 10 Feb (10 days late); B: issued 10 Feb
    ("A", D("2024-01-01"), D("2024-01-31"), 100.0, D("2024-02-10"), 100.0, "paid"),
    ("B", D("2024-02-10"), D("2024-03-11"), 50.0, pd.NaT, 0.0, "open"),
]


def book(with_lines: bool, contacts=None, events=None, **customer_extra) -> Portfolio:
    pay = pd.DataFrame(
        {
            "payment_id": ["P1"],
            "invoice_id": ["A"],
            "payment_date": [D("2024-02-10")],
            "amount": [100.0],
        }
    )
    return Portfolio.from_tables(
        customers(**customer_extra),
        invoices(A_AND_B),
        pay if with_lines else None,
        contacts,
        events,
    )


def features_at(portfolio: Portfolio, invoice: str, cutoff: str) -> pd.Series:
    return build_features(
        portfolio, pd.DataFrame({"invoice_id": [invoice], "cutoff": [D(cutoff)]})
    ).iloc[0]


@pytest.mark.parametrize("with_lines", [True, False], ids=["payment-lines", "paid-date-only"])
def test_a_payment_on_the_cutoff_day_is_not_yet_known(with_lines):
    portfolio = book(with_lines)
    on_the_day = features_at(portfolio, "B", "2024-02-10")
    assert on_the_day["hist_paid_count"] == 0
    assert np.isnan(on_the_day["hist_days_late_mean"])
    assert on_the_day["exp_open_count"] == 1 and on_the_day["exp_open_balance"] == 100.0
    assert on_the_day["exp_overdue_count"] == 1 and on_the_day["exp_overdue_balance"] == 100.0
    assert on_the_day["exp_oldest_overdue_days"] == 10 and on_the_day["exp_oldest_open_days"] == 40
    day_after = features_at(portfolio, "B", "2024-02-11")
    assert day_after["hist_paid_count"] == 1 and day_after["hist_late_share"] == 1.0
    assert day_after["hist_days_late_mean"] == 10 and day_after["hist_days_to_pay_mean"] == 40
    assert day_after["hist_days_late_last1"] == 10 and day_after["hist_days_since_payment"] == 1
    assert day_after["exp_open_count"] == 0 and day_after["exp_overdue_balance"] == 0
    assert day_after["exp_amount_vs_mean"] == 0.5


def test_the_scored_invoice_never_describes_itself():
    portfolio = book(True)
    a_later = features_at(portfolio, "A", "2024-03-01")  # A itself is settled before this cut-off
    assert a_later["hist_paid_count"] == 0 and a_later["hist_invoices_issued"] == 1
    assert a_later["exp_open_count"] == 1 and a_later["exp_open_balance"] == 50.0  # B, not A
    assert a_later["exp_invoice_paid_share"] == 1.0


def test_partial_payments_and_write_offs():
    rows = [
        ("A", D("2024-01-01"), D("2024-01-31"), 100.0, pd.NaT, 40.0, "written_off"),
        ("B", D("2024-03-01"), D("2024-03-31"), 80.0, pd.NaT, 20.0, "partially_paid"),
    ]
    pay = pd.DataFrame(
        {
            "payment_id": ["P1", "P2"],
            "invoice_id": ["A", "B"],
            "payment_date": [D("2024-01-20"), D("2024-03-05")],
            "amount": [40.0, 20.0],
        }
    )
    events = pd.DataFrame(
        {
            "event_id": ["E1"],
            "customer_id": ["C1"],
            "invoice_id": ["A"],
            "timestamp": [D("2024-02-15 09:00")],
            "event_type": ["write_off"],
            "value": [60.0],
        }
    )
    portfolio = Portfolio.from_tables(customers(), invoices(rows), pay, None, events)
    before = features_at(portfolio, "B", "2024-02-15")  # the write-off is later that day
    assert before["exp_open_balance"] == 60.0 and before["exp_overdue_balance"] == 60.0
    assert before["hist_partial_payments"] == 1 and np.isnan(before["hist_write_offs"])
    after = features_at(portfolio, "B", "2024-03-10")
    assert after["exp_open_count"] == 0 and after["hist_write_offs"] == 1
    assert after["hist_written_off_amount"] == 60.0 and after["exp_invoice_paid_share"] == 0.25


def test_channel_features_are_missing_without_contacts_and_counted_with_them():
    without = features_at(book(True), "B", "2024-02-20")
    channel = [n for n, s in FEATURE_REGISTRY.items() if s.family == "channel"]
    assert without[channel].isna().all()
    contacts = pd.DataFrame(
        {
            "contact_id": ["K1", "K2"],
            "customer_id": ["C1", "C1"],
            "invoice_id": ["A", "A"],
            "timestamp": [D("2024-02-05 10:30"), D("2024-02-19 18:00")],
            "channel": ["email", "email"],
            "template": ["overdue_notice"] * 2,
            "outcome": ["replied", "delivered"],
        }
    )
    seen = features_at(book(True, contacts=contacts), "B", "2024-02-20")
    assert seen["ch_email_contacts"] == 2 and seen["ch_sms_contacts"] == 0
    assert seen["ch_email_open_rate"] == 0.5 and np.isnan(seen["ch_sms_open_rate"])
    assert seen["ch_email_paid_after_share"] == 1.0  # paid 10 Feb, within 7 days of 5 Feb
    assert seen["ch_response_hour_mean"] == 10 and seen["ch_contacts_7d"] == 1
    assert seen["ch_email_days_since"] == pytest.approx(0.25)


def test_holidays_follow_the_customer_country():
    rows = [("X", D("2023-12-01"), D("2024-01-06"), 10.0, pd.NaT, 0.0, "open")]  # due on Epiphany
    cutoff = pd.DataFrame({"invoice_id": ["X"], "cutoff": [D("2023-12-20")]})
    spain = build_features(Portfolio.from_tables(customers(), invoices(rows)), cutoff).iloc[0]
    assert (
        spain["inv_due_holiday"] == 1 and spain["inv_holidays_to_due"] == 3
    )  # 25 Dec, 1 and 6 Jan
    assert spain["inv_due_weekend"] == 1 and spain["inv_due_weekday"] == 5
    numeric = build_features(
        Portfolio.from_tables(customers(country="391"), invoices(rows)), cutoff
    ).iloc[0]
    assert np.isnan(numeric["inv_due_holiday"]) and np.isnan(numeric["inv_holidays_to_due"])


def test_outputs_are_numeric_in_registry_order_and_dtype():
    X = build_features(book(True), training_cutoffs(book(True).invoices))
    assert list(X.columns) == feature_names()
    assert X.index.name == "invoice_id" and list(X.index) == ["A", "B"]
    for name, spec in FEATURE_REGISTRY.items():
        assert str(X[name].dtype) == spec.dtype
        assert not isinstance(X[name].dtype, pd.CategoricalDtype)
    assert X.loc["A", "attr_segment"] == SEGMENTS.index("sme")


def test_registry_entries_are_complete():
    assert list(FEATURE_REGISTRY) == feature_names()
    for spec in FEATURE_REGISTRY.values():
        assert spec.family in FAMILIES and spec.dtype in DTYPES
        assert spec.description and spec.label_en and spec.label_es
    assert set(categorical_features()) == {
        "attr_segment",
        "attr_country",
        "attr_language",
        "inv_currency",
    }
    custom = FeatureConfig(windows_days=(30,), last_k=5)
    assert "hist_late_share_30d" in feature_names(
        custom
    ) and "hist_days_late_last5" in feature_names(custom)


def test_category_codes_are_stable_and_serialisable():
    train = pd.DataFrame(
        {"segment": ["sme", "consumer"], "country": ["ES", "FR"], "language": ["es", "fr"]}
    )
    encoder = CategoryEncoder().fit(train)
    assert encoder.transform("segment", ["corporate", "sme", None]).tolist() == [2, 1, -1]
    assert encoder.transform("country", ["FR", "ES", "DE"]).tolist() == [1, 0, -1]
    again = CategoryEncoder.from_dict(encoder.to_dict())
    assert again == encoder and again.transform("country", ["FR"]).tolist() == [1]
    scoring = build_features(book(True), training_cutoffs(book(True).invoices), encoder=encoder)
    assert (scoring["attr_country"] == 0).all()


def test_default_yaml_matches_the_dataclass_defaults():
    assert FeatureConfig.default() == FeatureConfig()
    assert FeatureConfig.from_mapping(FeatureConfig().to_dict()) == FeatureConfig()
    with pytest.raises(DsoInputError, match="unknown feature setting"):
        FeatureConfig.from_mapping({"window": [30]})
    with pytest.raises(DsoInputError):
        FeatureConfig(last_k=0)


def test_cutoff_rules():
    inv = invoices(A_AND_B)
    assert training_cutoffs(inv)["cutoff"].tolist() == [D("2024-01-01"), D("2024-02-10")]
    before_due = training_cutoffs(inv, rule="days_before_due", days=35)["cutoff"].tolist()
    assert before_due == [D("2024-01-01"), D("2024-02-10")]  # never before the issue date
    assert training_cutoffs(inv, rule="days_before_due", days=5)["cutoff"].tolist()[0] == D(
        "2024-01-26"
    )
    open_now = scoring_cutoffs(book(True), "2024-02-10")  # A's payment that day is not yet known
    assert open_now["invoice_id"].tolist() == ["A"]
    assert scoring_cutoffs(book(True), "2024-02-11")["invoice_id"].tolist() == ["B"]
    with pytest.raises(DsoInputError):
        training_cutoffs(inv, rule="whenever")


def test_bad_cutoffs_are_user_errors():
    with pytest.raises(DsoInputError, match="not in the portfolio"):
        build_features(book(True), pd.DataFrame({"invoice_id": ["Z"], "cutoff": [D("2024-01-01")]}))
    with pytest.raises(DsoInputError, match="need the column"):
        build_features(book(True), pd.DataFrame({"invoice_id": ["A"]}))


def test_written_file_holds_the_same_features(tmp_path):
    portfolio = book(True)
    cutoffs = training_cutoffs(portfolio.invoices)
    path = write_features(portfolio, cutoffs, tmp_path / "features.parquet", block_customers=1)
    written = pd.read_parquet(path).set_index("invoice_id")
    expected = build_features(portfolio, cutoffs)
    pd.testing.assert_frame_equal(written.drop(columns="cutoff"), expected, check_index_type=False)

"""Customer features, proxy outcomes and group assignment on a small hand-made portfolio."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dso_model.contract.portfolio import Portfolio
from dso_model.explain.contributions import booster_contributions
from dso_model.profiles import (
    BEHAVIOURAL_GROUPS,
    GROUP_LABELS,
    GROUPS,
    ModelConfig,
    ProfileModel,
    RuleConfig,
    assign_groups,
    customer_features,
    number_ids,
    proxy_labels,
)
from dso_model.profiles.customer_features import CUSTOMER_FEATURES


def toy_portfolio() -> Portfolio:
    """A: pays late, then in two parts after a plan request. B: paid on time, then ignores a notice.
    C: one open invoice, no enrichment. D: enrichment only, no invoice."""
    customers = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D"],
            "created_date": pd.to_datetime(
                ["2023-01-01", "2023-01-01", "2024-05-20", "2024-05-25"]
            ),
            "segment": ["sme", "consumer", "consumer", "sme"],
            "country": ["ES"] * 4,
            "language": ["es"] * 4,
            "credit_limit": [1000.0, None, None, 500.0],
        }
    )
    invoices = pd.DataFrame(
        {
            "invoice_id": ["A1", "A2", "A3", "B1", "B2", "B3", "C1"],
            "customer_id": ["A", "A", "A", "B", "B", "B", "C"],
            "issue_date": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-02-01",
                    "2024-03-01",
                    "2024-01-05",
                    "2024-02-05",
                    "2024-03-05",
                    "2024-05-21",
                ]
            ),
            "due_date": pd.to_datetime(
                [
                    "2024-01-31",
                    "2024-03-02",
                    "2024-03-31",
                    "2024-01-20",
                    "2024-02-20",
                    "2024-03-20",
                    "2024-06-05",
                ]
            ),
            "amount": [100.0, 200.0, 300.0, 50.0, 50.0, 50.0, 10.0],
            "currency": ["EUR"] * 7,
            "paid_date": pd.to_datetime(
                ["2024-01-30", "2024-03-20", "2024-05-01", "2024-01-19", "2024-02-19", None, None]
            ),
            "paid_amount": [100.0, 200.0, 300.0, 50.0, 50.0, 0.0, 0.0],
            "status": ["paid", "paid", "paid", "paid", "paid", "open", "open"],
        }
    )
    payments = pd.DataFrame(
        {
            "payment_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
            "invoice_id": ["A1", "A2", "A3", "B1", "B2", "A3"],
            "payment_date": pd.to_datetime(
                ["2024-01-30", "2024-03-20", "2024-04-10", "2024-01-19", "2024-02-19", "2024-05-01"]
            ),
            "amount": [100.0, 200.0, 100.0, 50.0, 50.0, 200.0],
        }
    )
    contacts = pd.DataFrame(
        {
            "contact_id": ["k1", "k2"],
            "customer_id": ["B", "A"],
            "invoice_id": ["B3", "A3"],
            "timestamp": pd.to_datetime(["2024-04-03 10:00", "2024-04-05 10:00"]),
            "channel": ["email", "sms"],
            "template": ["overdue_notice", "final_demand"],
            "tone": ["neutral", "firm"],
            "outcome": ["opened", "replied"],
        }
    )
    events = pd.DataFrame(
        {
            "event_id": ["e1"],
            "customer_id": ["A"],
            "invoice_id": ["A3"],
            "timestamp": pd.to_datetime(["2024-04-06 12:00"]),
            "event_type": ["plan_requested"],
        }
    )
    return Portfolio.from_tables(
        customers, invoices, payments, contacts, events, as_of="2024-07-01"
    )


@pytest.fixture(scope="module")
def portfolio() -> Portfolio:
    return toy_portfolio()


def test_features_describe_the_customers(portfolio):
    f = customer_features(portfolio, "2024-05-01")
    assert list(f.columns) == list(CUSTOMER_FEATURES)
    assert set(f.index) == {"A", "B"}  # C and D did not exist yet
    a, b = f.loc["A"], f.loc["B"]
    assert a["n_settled"] == 2 and a["late_share"] == 0.5 and a["days_late_mean"] == 9.0
    assert a["partial_payments_recent"] == 1 and a["plan_requests_recent"] == 1
    assert a["overdue_rel"] == pytest.approx(2.0)  # 200 owed against 100 billed a month
    assert a["overdue_growth_rel"] == pytest.approx(-1.0)  # 300 overdue a month earlier
    assert a["paid_after_escalation_share"] == 1.0  # paid 5 days after the final demand
    assert b["ignored_dunning_recent"] == 1 and b["paid_after_contact_share"] == 0.0
    assert b["opened_paid_share"] == 0.0 and a["opened_paid_share"] == 1.0
    assert a["has_enrichment"] == 1 and b["has_enrichment"] == 0


def test_features_use_only_what_was_known_before_the_date(portfolio):
    before = customer_features(portfolio, "2024-05-01")
    # The second instalment of A3 arrives on 2024-05-01 itself: not yet known at that date.
    assert before.loc["A", "partial_open_count"] == 1
    later = customer_features(portfolio, "2024-05-02")
    assert later.loc["A", "partial_open_count"] == 0 and later.loc["A", "n_settled"] == 3
    # Anything at or after the date cannot change the features.
    cut = portfolio.snapshot("2024-05-01")
    same = customer_features(cut, "2024-05-01")
    pd.testing.assert_frame_equal(before, same)
    taken = customer_features(cut, "2024-05-01", is_snapshot=True)
    pd.testing.assert_frame_equal(before, taken, check_exact=True)


def test_features_do_not_depend_on_how_the_ids_are_spelled(portfolio):
    """Ids are numbered internally in their sort order: renaming them so that the order changes
    gives the same features under the new names."""
    names = {"A": "K10", "B": "K9", "C": "K100", "D": "K0"}

    def renamed(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        if "customer_id" in out:
            out["customer_id"] = out["customer_id"].map(names)
        if "invoice_id" in out:
            first = out["invoice_id"].str[0].map(names)
            out["invoice_id"] = (first + "-" + out["invoice_id"].str[1:]).where(
                out["invoice_id"].notna()
            )
        return out

    tables = ("customers", "invoices", "payments", "contacts", "events")
    other = portfolio.with_tables(**{n: renamed(getattr(portfolio, n)) for n in tables})
    before = customer_features(portfolio, "2024-05-01")
    after = customer_features(other, "2024-05-01")
    pd.testing.assert_frame_equal(after, before.rename(index=names), check_exact=True)


def test_a_book_numbered_once_gives_the_features_of_every_date(portfolio):
    book = number_ids(portfolio)
    for date in ("2024-01-10", "2024-05-01", "2024-05-02", "2024-06-15"):
        pd.testing.assert_frame_equal(
            customer_features(book, date), customer_features(portfolio, date), check_exact=True
        )


def test_features_of_a_book_in_its_first_month(portfolio):
    """Nothing was overdue a month before the date: the growth of the overdue balance is 0."""
    f = customer_features(portfolio, "2024-01-10")
    assert set(f.index) == {"A", "B"} and (f["overdue_growth_rel"] == 0).all()


def test_proxies_read_the_window_and_censor_open_windows(portfolio):
    labels = proxy_labels(portfolio, "2024-04-01")
    assert labels.loc["A", "stress"] == 1  # partial payment and plan request in the window
    assert labels.loc["A", "partials"] == 1 and labels.loc["A", "plan_events"] == 1
    assert labels.loc["B", "stress"] == 0
    assert labels.loc["B", "unwilling"] == 1  # B3 unpaid despite the notice
    censored = proxy_labels(portfolio, "2024-06-01")
    assert censored["stress"].isna().all()


def test_unwilling_proxy_needs_a_read_notice_left_unpaid(portfolio):
    """B read a notice about B3 on 2024-04-03 and never paid it: unwilling. The same window with
    the notice unread, with B3 settled a week after the reading, or with B3 disputed, is not."""
    assert proxy_labels(portfolio, "2024-04-01").loc["B", "notices_ignored"] == 1
    unread = portfolio.with_tables(contacts=portfolio.contacts.assign(outcome="delivered"))
    assert proxy_labels(unread, "2024-04-01").loc["B", "unwilling"] == 0
    invoices = portfolio.invoices.copy()
    b3 = invoices["invoice_id"] == "B3"
    invoices.loc[b3, ["paid_date", "paid_amount", "status"]] = [
        pd.Timestamp("2024-04-10"),
        50.0,
        "paid",
    ]
    payment = pd.DataFrame(
        {
            "payment_id": ["p7"],
            "invoice_id": ["B3"],
            "payment_date": [pd.Timestamp("2024-04-10")],
            "amount": [50.0],
        }
    )
    paid = portfolio.with_tables(
        invoices=invoices, payments=pd.concat([portfolio.payments, payment], ignore_index=True)
    )
    assert proxy_labels(paid, "2024-04-01").loc["B", "unwilling"] == 0
    dispute = pd.DataFrame(
        {
            "event_id": ["e2"],
            "customer_id": ["B"],
            "invoice_id": ["B3"],
            "timestamp": [pd.Timestamp("2024-04-20 09:00")],
            "event_type": ["dispute_opened"],
        }
    )
    disputed = portfolio.with_tables(events=pd.concat([portfolio.events, dispute]))
    labels = proxy_labels(disputed, "2024-04-01")
    assert "B" not in labels.index or labels.loc["B", "unwilling"] == 0


def _fit_model(features: pd.DataFrame) -> ProfileModel:
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame(rng.normal(size=(n, len(features.columns))), columns=features.columns)
    stress = (X["partial_payments_recent"] + 0.3 * rng.normal(size=n) > 1).astype(float)
    unwilling = (X["ignored_dunning_recent"] + 0.3 * rng.normal(size=n) > 1).astype(float)
    labels = pd.DataFrame({"stress": stress, "unwilling": unwilling})
    cfg = ModelConfig(n_estimators=40, min_child_samples=5, early_stopping_rounds=0)
    return ProfileModel(cfg).fit(X, labels)


def test_model_learns_the_proxy_signals(portfolio):
    features = customer_features(portfolio, "2024-05-01")
    model = _fit_model(features)
    probe = pd.DataFrame(0.0, index=["calm", "stressed", "ignores"], columns=features.columns)
    probe.loc["stressed", "partial_payments_recent"] = 3.0
    probe.loc["ignores", "ignored_dunning_recent"] = 3.0
    scores = model.predict_scores(probe)
    assert scores.loc["stressed", "ability_score"] < scores.loc["calm", "ability_score"] - 0.5
    assert (
        scores.loc["ignores", "willingness_score"] < scores.loc["calm", "willingness_score"] - 0.5
    )
    contrib = model.contributions(probe, "stress")
    assert contrib.loc["stressed"].idxmax() == "partial_payments_recent"


def test_every_customer_gets_exactly_one_group_with_reasons(portfolio):
    features = customer_features(portfolio, "2024-07-01")
    model = _fit_model(features)
    rules = RuleConfig(
        min_judged_invoices=3, unable_below=0.5, unwilling_below=0.5, thresholds="fixed"
    )
    out = assign_groups(features, model, rules, pd.Timestamp("2024-07-01"))
    assert list(out["customer_id"]) == ["A", "B", "C", "D"]
    assert out["group"].isin(GROUPS).all() and out["customer_id"].is_unique
    groups = out.set_index("customer_id")["group"]
    assert groups["C"] == "data_available"  # one invoice, short history
    assert groups["D"] == "data_available"  # enrichment on file, no invoice yet
    assert groups["A"] in BEHAVIOURAL_GROUPS and groups["B"] in BEHAVIOURAL_GROUPS
    assert ((out["confidence"] >= 0.5) & (out["confidence"] <= 1.0)).all()
    for lang in ("en", "es"):
        assert (out[f"reason_1_{lang}"] != "").all()
        label = out.set_index("customer_id").loc["C", f"group_{lang}"]
        assert label == GROUP_LABELS["data_available"][lang]
    cold = out.set_index("customer_id").loc["C"]
    assert cold["reason_1"] == "short_history" and "3" in cold["reason_1_es"]


def test_reasons_by_path_attribution_or_none_leave_the_groups_alone(portfolio):
    features = customer_features(portfolio, "2024-07-01")
    model = _fit_model(features)
    rules = RuleConfig(
        min_judged_invoices=3, unable_below=0.5, unwilling_below=0.5, thresholds="fixed"
    )
    as_of = pd.Timestamp("2024-07-01")
    exact = assign_groups(features, model, rules, as_of)
    reason_cols = [c for c in exact.columns if c.startswith("reason_")]
    for method in ("saabas", None):
        other = assign_groups(features, model, rules, as_of, reasons_method=method)
        pd.testing.assert_frame_equal(
            other.drop(columns=reason_cols), exact.drop(columns=reason_cols)
        )
        if method is None:
            assert (other[reason_cols] == "").all().all()
        else:
            assert (other["reason_1_en"] != "").all()
            cold = exact["group"] == "data_available"  # rule reasons do not depend on the method
            pd.testing.assert_frame_equal(
                other.loc[cold, reason_cols], exact.loc[cold, reason_cols]
            )
    probe = features.iloc[:2]
    path = model.contributions(probe, "stress", method="saabas")
    log_odds = model.stress_.predict_proba(probe[model.feature_names_in_], raw_score=True)
    bias = booster_contributions(model.stress_.booster_, probe[model.feature_names_in_], "saabas")[
        :, -1
    ]
    np.testing.assert_allclose(path.sum(axis=1) + bias, log_odds, atol=1e-9)
    with pytest.raises(ValueError, match="method"):
        model.contributions(probe, "stress", method="lime")


def test_cold_start_routing_follows_history_and_enrichment(portfolio):
    features = customer_features(portfolio, "2024-07-01")
    rules = RuleConfig(min_judged_invoices=10)  # nobody has enough history: no model needed
    out = assign_groups(features, None, rules).set_index("customer_id")["group"]
    assert out["D"] == "data_available"  # enrichment, no invoices
    no_enrichment = features.assign(has_enrichment=0.0)
    out = assign_groups(no_enrichment, None, rules).set_index("customer_id")["group"]
    assert out["D"] == "no_data" and out["C"] == "data_available"

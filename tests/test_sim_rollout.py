"""Roll-outs: common random numbers, determinism, the reference policies and the API's guard rails."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dso_model.errors import DsoInputError
from dso_model.sim import (
    REFERENCE_POLICIES,
    load_preset,
    no_contact,
    oracle_policy,
    reactive_dunning,
    rollout,
    simulate,
    uniform_pre_due_reminder,
)

HORIZON = 3


@pytest.fixture(scope="module")
def sim():
    return simulate(load_preset("small", n_customers=800, **{"oracle.replications": 0}))


@pytest.fixture(scope="module")
def results(sim):
    return {
        name: rollout(sim, policy, horizon_months=HORIZON)
        for name, policy in REFERENCE_POLICIES.items()
    }


def test_policies_share_customers_invoices_and_shocks(results):
    a, b = results["no_contact"], results["reactive_dunning"]
    pd.testing.assert_frame_equal(
        a.portfolio.customers[["customer_id", "created_date", "segment"]],
        b.portfolio.customers[["customer_id", "created_date", "segment"]],
    )
    cols = ["invoice_id", "customer_id", "issue_date", "due_date", "amount"]
    pd.testing.assert_frame_equal(a.portfolio.invoices[cols], b.portfolio.invoices[cols])
    pd.testing.assert_series_equal(a.latent["ability"], b.latent["ability"])
    assert a.latent["customer_id"].tolist() == b.latent["customer_id"].tolist()
    # ... while what they did, and what came of it, differs
    assert len(a.portfolio.contacts) < len(b.portfolio.contacts)
    assert not a.portfolio.payments["payment_date"].equals(b.portfolio.payments["payment_date"])


def test_the_horizon_extends_the_world_past_the_history(sim, results):
    r = results["no_contact"]
    assert r.start == sim.portfolio.as_of
    assert r.end == r.start + pd.DateOffset(months=HORIZON)
    assert r.portfolio.invoices["issue_date"].max() >= r.start + pd.DateOffset(months=2)
    assert len(r.monthly) == HORIZON
    # the replayed history is the simulated one
    before = r.portfolio.invoices[r.portfolio.invoices["issue_date"] < r.start]
    assert before["invoice_id"].tolist() == sim.portfolio.invoices["invoice_id"].tolist()
    old = r.portfolio.contacts[r.portfolio.contacts["timestamp"] < r.start]
    pd.testing.assert_frame_equal(old.reset_index(drop=True), sim.portfolio.contacts)


def test_reference_policies_rank_as_expected(results):
    add = {name: r.summary["add"] for name, r in results.items()}
    assert add["oracle"] < add["reactive_dunning"] < add["no_contact"]
    assert add["uniform_pre_due_reminder"] < add["no_contact"]
    assert results["no_contact"].summary["contacts"] == 0
    s = results["reactive_dunning"].summary
    assert s["contact_cost"] > 0 and s["complaints_per_1000"] >= 0
    assert {
        "dso",
        "bpdso",
        "add",
        "cei",
        "complaints_per_1000",
        "public_posts_per_1000",
        "contacts",
        "contact_cost",
        "write_offs",
    } <= set(s)
    assert (
        results["reactive_dunning"]
        .portfolio.contacts["policy"]
        .isin(["logging", "reactive_dunning"])
        .all()
    )


def test_same_seed_same_outcome_other_seed_other_noise(sim, results):
    again = rollout(sim, reactive_dunning, horizon_months=HORIZON)
    assert again.summary == results["reactive_dunning"].summary
    other = rollout(sim, reactive_dunning, horizon_months=HORIZON, seed=11)
    assert other.summary["collected"] != again.summary["collected"]
    pd.testing.assert_series_equal(other.latent["ability"], again.latent["ability"])


def test_a_rollout_can_start_inside_the_history(sim):
    start = pd.Timestamp(sim.config.start) + pd.DateOffset(months=8)
    r = rollout(sim, uniform_pre_due_reminder, start=start, horizon_months=1)
    assert r.start == start and r.summary["contacts"] > 0
    with pytest.raises(DsoInputError, match="outside the simulated period"):
        rollout(sim, no_contact, start="2030-01-01", horizon_months=1)


def test_policies_see_the_observable_state_only(sim):
    seen = {}

    def peek(ctx):
        seen["date"] = ctx.date
        seen["columns"] = set(ctx.portfolio.invoices.columns)
        with pytest.raises(PermissionError):
            _ = ctx.truth
        assert (ctx.open_invoices["issue_date"] < ctx.date).all()
        assert ctx.portfolio.as_of == ctx.date
        assert (ctx.portfolio.events["timestamp"] < ctx.date).all()
        return no_contact(ctx)

    rollout(sim, peek, horizon_months=HORIZON, decision_every_days=100)
    assert seen["date"] == sim.portfolio.as_of and "status" in seen["columns"]
    assert getattr(oracle_policy, "needs_truth", False)


def test_bad_actions_are_user_errors(sim):
    def bad_channel(ctx):
        inv = ctx.open_invoices.head(1)
        return pd.DataFrame(
            {
                "customer_id": inv["customer_id"],
                "invoice_id": inv["invoice_id"],
                "send_date": ctx.date,
                "hour": 10,
                "channel": "fax",
                "template": "overdue_notice",
            }
        )

    with pytest.raises(DsoInputError, match="unknown channel"):
        rollout(sim, bad_channel, horizon_months=HORIZON)

    def unknown_customer(ctx):
        return pd.DataFrame(
            {
                "customer_id": ["C999999"],
                "invoice_id": [np.nan],
                "send_date": [ctx.date],
                "hour": [10],
                "channel": ["email"],
                "template": ["welcome_channel_check"],
            }
        )

    with pytest.raises(DsoInputError, match="unknown customers"):
        rollout(sim, unknown_customer, horizon_months=HORIZON)

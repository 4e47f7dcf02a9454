"""The decision layer: templates by group, value-based targeting, channels, limits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dso_model.policy.config import PolicyConfig
from dso_model.policy.decide import DecisionInputs, candidate_slots, decide, phase_of
from dso_model.policy.policy import to_actions

AS_OF = pd.Timestamp("2024-05-06")  # a Monday
READ = {"email": 0.5, "sms": 0.3, "phone": 0.6, "letter": 0.2, "push": 0.1}


class StubModel:
    """Reads by channel (best at 19:00); reading saves 20 balance-days on 'late' invoices."""

    def read_probability(self, X, actions, customers):
        base = actions["channel"].map(READ).to_numpy()
        return base * np.where(actions["hour"].to_numpy() == 19, 1.0, 0.6)

    def effect_of_reading(self, X, actions, customers):
        return np.where(X["late"].to_numpy() > 0, -20.0, 0.0)


def inputs(customers=None, invoices=None, groups=None, contacts=None, events=None, late=None):
    customers = (
        customers
        if customers is not None
        else pd.DataFrame(
            {
                "customer_id": ["A", "B", "C", "D", "E"],
                "timezone": "Europe/Madrid",
                "autopay": [False, False, False, False, True],
                "opt_out_email": [False, True, False, False, False],
            }
        )
    )
    invoices = (
        invoices
        if invoices is not None
        else pd.DataFrame(
            {
                "invoice_id": ["a", "b", "c", "d", "e"],
                "customer_id": ["A", "B", "C", "D", "E"],
                "due_date": AS_OF + pd.to_timedelta([3, 3, 3, -10, 3], unit="D"),
                "amount": [5000.0] * 5,
            }
        )
    )
    late = late if late is not None else [1, 1, 1, 1, 1]
    features = pd.DataFrame({"late": late}, index=pd.Index(invoices["invoice_id"]))
    groups = (
        groups
        if groups is not None
        else pd.Series(
            {
                "A": "able_willing",
                "B": "able_willing",
                "C": "unable",
                "D": "unwilling",
                "E": "able_willing",
            }
        )
    )
    empty_contacts = pd.DataFrame(
        {
            "customer_id": [],
            "invoice_id": [],
            "timestamp": pd.to_datetime([]),
            "channel": [],
            "template": [],
        }
    )
    return DecisionInputs(
        AS_OF,
        AS_OF + pd.Timedelta(days=7),
        invoices,
        features,
        customers,
        groups,
        contacts if contacts is not None else empty_contacts,
        events
        if events is not None
        else pd.DataFrame({"customer_id": [], "timestamp": pd.to_datetime([]), "event_type": []}),
    )


def test_phases():
    assert list(phase_of(np.array([-3, 0, 5]))) == ["pre_due", "due", "overdue"]


def test_templates_follow_the_group_and_phase():
    sent = decide(inputs(), StubModel(), PolicyConfig()).send.set_index("customer_id")
    assert sent.loc["A", "template"] == "pre_due_reminder" and sent.loc["A", "tone"] == "friendly"
    assert sent.loc["C", "template"] == "payment_plan_offer"
    assert sent.loc["D", "template"] == "final_demand" and sent.loc["D", "offset"] > 0
    assert "E" not in sent.index  # direct debit: never contacted


def test_channel_hour_and_opt_out():
    sent = decide(inputs(), StubModel(), PolicyConfig()).send.set_index("customer_id")
    assert sent.loc["A", "channel"] == "phone"  # 0.6 x 5000-euro invoice beats its 3.5 cost
    assert sent.loc["A", "hour"] == 19
    config = PolicyConfig.from_mapping(
        {"costs": {"email": 0.02, "sms": 0.08, "phone": 99.0, "letter": 1.2, "push": 0.01}}
    )
    sent = decide(inputs(), StubModel(), config).send.set_index("customer_id")
    assert sent.loc["A", "channel"] == "email"
    assert sent.loc["B", "channel"] == "sms"  # B refused e-mail


def test_no_value_no_contact():
    plan = decide(inputs(late=[0, 0, 0, 0, 0]), StubModel(), PolicyConfig())
    assert len(plan.send) == 0


def test_small_invoices_are_not_worth_a_call():
    small = inputs()
    small = DecisionInputs(**{**small.__dict__, "invoices": small.invoices.assign(amount=60.0)})
    sent = decide(small, StubModel(), PolicyConfig()).send.set_index("customer_id")
    assert sent.loc["A", "channel"] == "email"  # 0.5 x 20 x 60 x 0.0004 = 0.24 > 0.05


def test_one_pre_due_contact_per_invoice():
    contacts = pd.DataFrame(
        {
            "customer_id": ["A"],
            "invoice_id": ["a"],
            "timestamp": [AS_OF - pd.Timedelta(days=2)],
            "channel": ["email"],
            "template": ["pre_due_reminder"],
        }
    )
    slots = candidate_slots(inputs(contacts=contacts), PolicyConfig())
    assert set(slots.loc[slots["invoice_id"] == "a", "offset"]) == {3}  # after due only
    assert set(slots.loc[slots["invoice_id"] == "b", "offset"]) == {-3, -1, 0, 3}


def test_welcome_for_new_customers_and_actions_frame():
    groups = pd.Series(
        {"A": "no_data", "B": "able_willing", "C": "unable", "D": "unwilling", "E": "no_data"}
    )
    plan = decide(inputs(groups=groups, late=[0, 0, 0, 0, 0]), StubModel(), PolicyConfig())
    sent = plan.send
    assert list(sent["template"]) == ["welcome_channel_check"]
    assert sent["customer_id"].iloc[0] == "A"  # E pays by direct debit
    actions = to_actions(sent)
    assert list(actions.columns) == [
        "customer_id",
        "invoice_id",
        "send_date",
        "hour",
        "channel",
        "template",
        "tone",
    ]


@pytest.mark.parametrize("per_day", [0, 1])
def test_decisions_respect_the_limits(per_day):
    config = PolicyConfig.from_mapping({"limits": {"per_day": per_day}})
    plan = decide(inputs(), StubModel(), config)
    counts = plan.send.groupby(["customer_id", "send_date"]).size()
    assert (counts <= per_day).all()
    assert len(plan.send) > 0 if per_day else len(plan.send) == 0


class ChannelStub:
    """Phone reads best, so large invoices are worth a call and phone capacity binds."""

    def read_probability(self, X, actions, customers):
        return actions["channel"].map({**READ, "phone": 0.9}).to_numpy()

    def effect_of_reading(self, X, actions, customers):
        return np.full(len(actions), -25.0)


@pytest.mark.slow
def test_a_rollout_of_the_policy_breaks_no_cap():
    """On the simulator, week after week, what the policy sent respects every cap and capacity,
    history included, and never reaches a customer on direct debit."""
    from dso_model.policy.policy import NextBestActionPolicy
    from dso_model.sim import load_preset, rollout, simulate
    from test_policy_limits import cap_violations

    sim = simulate(
        load_preset("small", seed=3, n_customers=150, months=8, **{"oracle.replications": 1})
    )
    config = PolicyConfig.from_mapping({"limits": {"capacity": {"phone": 3, "letter": 5}}})
    start = pd.Timestamp(sim.config.end) - pd.DateOffset(months=2)
    result = rollout(
        sim, NextBestActionPolicy(ChannelStub(), config), start=start, horizon_months=2
    )
    contacts = result.portfolio.contacts
    history = contacts[contacts["timestamp"] < start]
    sent = contacts[contacts["timestamp"] >= start]
    sent = sent.assign(send_date=sent["timestamp"].dt.normalize())
    assert len(sent) > 100 and (sent["policy"] == "next_best_action").all()
    assert (sent.groupby("send_date")["channel"].apply(lambda c: (c == "phone").sum()) == 3).any()
    assert cap_violations(sent, history, config.limits) == []
    autopay = result.portfolio.customers.loc[
        result.portfolio.customers["autopay"].astype("boolean").fillna(False), "customer_id"
    ]
    assert not sent["customer_id"].isin(autopay).any()


class TimingStub(StubModel):
    """Reading saves most when the reminder comes ``best`` days from due."""

    def __init__(self, best: int):
        self.best = best

    def effect_of_reading(self, X, actions, customers):
        return np.where(actions["offset"].to_numpy() == self.best, -20.0, -5.0)


def test_the_pre_due_reminder_waits_for_its_best_day():
    base = inputs()
    one = base.invoices.iloc[[0]].assign(due_date=AS_OF + pd.Timedelta(days=9))
    week = DecisionInputs(**{**base.__dict__, "invoices": one, "features": base.features.iloc[[0]]})
    # the best day (due - 3) is in this week: sent then
    sent = decide(week, TimingStub(-3), PolicyConfig()).send
    assert list(sent["offset"]) == [-3]
    assert list(sent["send_date"]) == [AS_OF + pd.Timedelta(days=6)]
    # the best day (due - 1) is next week: nothing now, the reminder goes out next week
    assert len(decide(week, TimingStub(-1), PolicyConfig()).send) == 0
    later = DecisionInputs(
        **{
            **week.__dict__,
            "as_of": AS_OF + pd.Timedelta(days=7),
            "until": AS_OF + pd.Timedelta(days=14),
        }
    )
    sent = decide(later, TimingStub(-1), PolicyConfig()).send
    assert list(sent["offset"]) == [-1] and sent["template"].iloc[0] == "pre_due_reminder"

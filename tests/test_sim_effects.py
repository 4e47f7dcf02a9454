"""Contact effects point the way the issue asks: checked with roll-outs on common random numbers.

Every comparison is between two roll-outs of the same simulation and seed, so both face the same
customers, invoices and shocks; only the contacts differ.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dso_model.sim import empty_actions, load_preset, no_contact, rollout, simulate

HORIZON = 3


class TruthTargeted:
    """A test policy: ``template`` at ``offsets`` days from due, in each customer's preferred
    channel at their best hour, optionally only for customers in one latent group."""

    needs_truth = True

    def __init__(self, name, template, offsets, group=None, channel=None):
        self.name, self.template, self.offsets = name, template, offsets
        self.group, self.channel = group, channel

    def __call__(self, ctx):
        inv = ctx.open_invoices
        traits = ctx.truth.customers.set_index("customer_id")
        if self.group:
            group = ctx.truth.state.set_index("customer_id")["latent_group"]
            inv = inv[inv["customer_id"].map(group).eq(self.group).to_numpy()]
        parts = []
        for off in self.offsets:
            send = inv["due_date"] + pd.Timedelta(days=off)
            mine = inv[(send >= ctx.date) & (send < ctx.until)]
            if not len(mine):
                continue
            tr = traits.loc[mine["customer_id"]]
            hour = np.clip(np.rint(tr["best_hour"] - tr["tz_offset_hours"]), 0, 23)
            parts.append(
                pd.DataFrame(
                    {
                        "customer_id": mine["customer_id"].to_numpy(),
                        "invoice_id": mine["invoice_id"].to_numpy(),
                        "send_date": send[mine.index].to_numpy(),
                        "hour": hour.astype(int).to_numpy(),
                        "channel": self.channel or tr["preferred_channel"].to_numpy(),
                        "template": self.template,
                    }
                )
            )
        return pd.concat(parts, ignore_index=True) if parts else empty_actions()


@pytest.fixture(scope="module")
def sim():
    return simulate(
        load_preset("default", n_customers=1000, months=12, **{"oracle.replications": 0})
    )


@pytest.fixture(scope="module")
def runs(sim):
    policies = [
        no_contact,
        TruthTargeted("reminder", "pre_due_reminder", [-2]),
        TruthTargeted("plan_offer", "payment_plan_offer", [3, 17], group="unable"),
        TruthTargeted("firm", "final_demand", [1, 15, 29], group="unwilling"),
        TruthTargeted("weekly_firm", "final_demand", list(range(1, 90, 7)), channel="email"),
        TruthTargeted(
            "every_other_day_firm", "final_demand", list(range(1, 90, 2)), channel="email"
        ),
    ]
    return {p.name: rollout(sim, p, horizon_months=HORIZON) for p in policies}


def days_late(result, sim) -> pd.DataFrame:
    """Invoices due in the first two months of the horizon, days late censored at its end."""
    inv = result.portfolio.invoices
    start = result.start
    due = inv[(inv["due_date"] >= start) & (inv["due_date"] < start + pd.DateOffset(months=2))]
    settled = due["paid_date"].fillna(result.end)
    out = due.assign(
        days_late=(settled - due["due_date"]).dt.days,
        month=due["due_date"].dt.to_period("M").dt.start_time,
    )
    out = out.merge(result.latent[["customer_id", "month", "latent_group"]], how="left")
    traits = sim.truth.customers.set_index("customer_id")
    out["forgetfulness"] = out["customer_id"].map(traits["forgetfulness"]).fillna(0.0)
    out["autopay"] = out["customer_id"].map(traits["autopay"]).fillna(True).astype(bool)
    return out


def gain(runs, sim, policy: str, mask) -> float:
    """Mean days late saved by ``policy`` against no contact on the invoices in ``mask``."""
    base, treated = days_late(runs["no_contact"], sim), days_late(runs[policy], sim)
    assert base["invoice_id"].tolist() == treated["invoice_id"].tolist()
    m = mask(base)
    assert m.sum() > 50
    return float(base.loc[m, "days_late"].mean() - treated.loc[m, "days_late"].mean())


def forgetful(d):
    return (d["latent_group"] == "able_willing") & (d["forgetfulness"] >= 0.3) & ~d["autopay"]


def unable(d):
    return d["latent_group"] == "unable"


def unwilling(d):
    return d["latent_group"] == "unwilling"


def test_pre_due_reminder_in_the_preferred_channel_helps_the_forgetful_not_the_unable(runs, sim):
    helped = gain(runs, sim, "reminder", forgetful)
    assert helped > 4.0
    assert gain(runs, sim, "reminder", unable) < 0.3 * helped


def test_plan_offers_help_the_unable(runs, sim):
    """Plans get money flowing: a larger share of each invoice is paid by the horizon's end."""
    base, offered = days_late(runs["no_contact"], sim), days_late(runs["plan_offer"], sim)
    m = unable(base)
    paid_share = lambda d: (d["paid_amount"] / d["amount"])[m].mean()  # noqa: E731
    assert paid_share(offered) > paid_share(base) + 0.05
    ev = runs["plan_offer"].portfolio.events
    agreed = ev[(ev["event_type"] == "plan_agreed") & ev["invoice_id"].isin(base["invoice_id"][m])]
    assert len(agreed) > 0.2 * m.sum()


def test_firm_demands_move_the_unwilling_a_little(runs, sim):
    moved = gain(runs, sim, "firm", unwilling)
    assert 0.5 < moved < 15


def test_complaints_and_public_posts_grow_with_contact_pressure(runs):
    s = {name: r.summary for name, r in runs.items()}
    assert s["no_contact"]["complaints_per_1000"] == 0
    assert s["weekly_firm"]["complaints_per_1000"] > 0
    for measure in ("complaints_per_1000", "public_posts_per_1000", "opt_outs_per_1000"):
        assert s["every_other_day_firm"][measure] > 1.5 * s["weekly_firm"][measure], measure
    # not only more contacts: each contact is more likely to cause a complaint
    per_contact = {
        k: s[k]["complaints_per_1000"] / s[k]["contacts"]
        for k in ("weekly_firm", "every_other_day_firm")
    }
    assert per_contact["every_other_day_firm"] > 1.2 * per_contact["weekly_firm"]


def test_reputation_sensitive_customers_complain_more_under_pressure(runs, sim):
    result = runs["every_other_day_firm"]
    ev = result.portfolio.events
    complained = set(
        ev.loc[(ev["event_type"] == "complaint") & (ev["timestamp"] >= result.start), "customer_id"]
    )
    contacted = set(
        result.portfolio.contacts.loc[
            result.portfolio.contacts["timestamp"] >= result.start, "customer_id"
        ]
    )
    rep = sim.truth.customers.set_index("customer_id")["reputation_sensitivity"]
    rep = rep.reindex(sorted(contacted)).dropna()
    assert rep[rep.index.isin(complained)].mean() > rep[~rep.index.isin(complained)].mean() + 0.05


def test_heavy_pressure_erodes_willingness(runs):
    calm = runs["no_contact"].latent.set_index(["customer_id", "month"])["willingness"]
    harsh = runs["every_other_day_firm"].latent.set_index(["customer_id", "month"])["willingness"]
    last = calm.index.get_level_values("month").max()
    assert (harsh.xs(last, level="month") - calm.xs(last, level="month")).mean() < -0.02

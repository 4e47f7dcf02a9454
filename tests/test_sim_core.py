"""The simulator's output: the data contract, the truth tables, the logging policy, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dso_model.contract.portfolio import Portfolio
from dso_model.contract.spec import AMOUNT_TOLERANCE, CHANNELS, EVENT_TYPES, TEMPLATES
from dso_model.errors import DsoInputError
from dso_model.sim import (
    SimConfig,
    load_preset,
    load_simulation,
    oracle_predict_days_late,
    preset_names,
    simulate,
)
from dso_model.sim.noise import uniform
from dso_model.sim.world import build_world

TINY = {"n_customers": 400, "months": 9, "oracle.replications": 3}


@pytest.fixture(scope="module")
def sim():
    return simulate(load_preset("small", **TINY))


def test_presets_exist_and_default_yaml_matches_the_code_defaults():
    assert {"small", "default", "es_b2b", "consumer"} <= set(preset_names())
    assert load_preset("default") == SimConfig()
    assert load_preset("es_b2b").segments["consumer"].share == 0
    assert load_preset("small", seed=3, n_customers=50).seed == 3


def test_unknown_setting_is_a_user_error():
    with pytest.raises(DsoInputError, match="unknown simulator setting 'sim.payment.promise_dayz'"):
        load_preset("small", **{"payment.promise_dayz": 3})
    with pytest.raises(DsoInputError, match="unknown simulator preset"):
        load_preset("nope")


def test_output_passes_the_contract_again(sim):
    p = sim.portfolio
    again = Portfolio.from_tables(p.customers, p.invoices, p.payments, p.contacts, p.events)
    assert again.summary_counts() == p.summary_counts()
    assert p.as_of == pd.Timestamp("2024-10-01")
    assert set(p.invoices["status"]) == {"paid", "open", "partially_paid", "written_off"}


def test_customers_have_geography_enrichment_permissions_and_fake_identity(sim):
    c = sim.portfolio.customers
    assert set(c["language"]) <= {"es", "ca", "en"} and {"es", "en"} <= set(c["language"])
    assert set(c["timezone"]) <= {"Europe/Madrid", "Atlantic/Canary", "Europe/London"}
    assert set(c["country"]) == {"ES", "GB"}
    assert 0.2 < c["spend_level"].isna().mean() < 0.4  # enrichment share 0.7
    assert c["autopay"].isna().sum() == c["spend_level"].isna().sum()
    assert all(c[f"opt_out_{ch}"].notna().all() for ch in CHANNELS)
    assert 0 < c["opt_out_phone"].mean() < 0.2
    assert c["email"].str.endswith("@example.invalid").all()
    assert c["phone"].str.contains(" 000 ").all()
    assert (c["created_date"] >= pd.Timestamp("2024-01-01")).mean() > 0.15  # arrivals


def test_contacts_events_and_write_offs_look_like_collections(sim):
    p = sim.portfolio
    con, ev = p.contacts, p.events
    assert set(con["template"]) <= set(TEMPLATES) and set(con["channel"]) <= set(CHANNELS)
    assert (con["policy"] == "logging").all()
    assert con["propensity"].between(0, 1, inclusive="right").all()
    assert set(ev["event_type"]) <= set(EVENT_TYPES)
    assert {
        "promise_to_pay",
        "promise_kept",
        "complaint",
        "write_off",
        "plan_agreed",
        "dispute_opened",
        "opt_out",
        "social_mention",
    } <= set(ev["event_type"])
    wo = ev[ev["event_type"] == "write_off"]
    assert wo["invoice_id"].notna().all() and (wo["value"] > 0).all()
    written = p.invoices.loc[p.invoices["status"] == "written_off", "invoice_id"]
    assert set(written) == set(wo["invoice_id"])
    assert ev.loc[ev["event_type"] == "opt_out", "channel"].notna().all()
    assert ev.loc[ev["event_type"] == "social_mention", "sentiment"].between(-1, 1).all()
    # a promise resolves after it is made
    made = ev[ev["event_type"] == "promise_to_pay"].groupby("invoice_id")["timestamp"].min()
    done = ev[ev["event_type"].isin(["promise_kept", "promise_broken"])]
    assert (done["timestamp"].to_numpy() >= made.reindex(done["invoice_id"]).to_numpy()).all()


def test_logged_propensity_of_the_default_first_dunning_step(sim):
    log = sim.config.logging
    con = sim.portfolio.contacts.merge(sim.portfolio.invoices[["invoice_id", "due_date"]])
    allowed_all = (
        sim.portfolio.customers.set_index("customer_id")[[f"opt_out_{c}" for c in CHANNELS]]
        .sum(axis=1)
        .eq(0)
    )
    first = con[
        ((con["timestamp"].dt.normalize() - con["due_date"]).dt.days == 3)
        & (con["template"] == "overdue_notice")
        & (con["channel"] == "email")
        & (con["timestamp"].dt.hour == 10)
        & con["customer_id"].map(allowed_all).to_numpy()
    ]
    e_ch, e_t, e_h = log.explore_channel, log.explore_template, log.explore_hour
    expected = (
        (1 - log.explore_timing)
        * (1 - log.skip_prob)
        * (1 - e_ch + e_ch / 5)
        * (1 - e_t + e_t / 3)
        * (1 - e_h + e_h / len(log.hours))
    )
    assert len(first) > 50
    # a customer may opt out later in the period, which changes the channel options slightly
    assert np.isclose(first["propensity"], expected).mean() > 0.95


def test_pre_due_exploration_rate_matches_its_design(sim):
    truth = sim.truth.invoices
    arms = truth["log_pre_due_offset"].notna()
    eligible = truth["log_pre_due_prob"] < 1  # no direct debit
    assert abs(arms[eligible].mean() - sim.config.logging.pre_due_prob) < 0.02
    assert np.allclose(truth.loc[arms, "log_pre_due_prob"], sim.config.logging.pre_due_prob / 4)


def test_truth_tables(sim):
    t = sim.truth
    assert {
        "ability",
        "willingness",
        "forgetfulness",
        "resp_email",
        "resp_push",
        "best_hour",
        "reputation_sensitivity",
        "dispute_propensity",
    } <= set(t.customers.columns)
    assert set(t.monthly["latent_group"]) == {"able_willing", "unable", "unwilling"}
    per_month = t.monthly.groupby("month")["customer_id"].nunique()
    assert per_month.is_monotonic_increasing and len(per_month) == 9
    assert t.invoices["invoice_id"].tolist() == sim.portfolio.invoices["invoice_id"].tolist()
    assert t.invoices["oracle_expected_days_late"].notna().all()
    assert not set(t.customers.columns) & {"name", "email", "phone"}
    # the latent groups behave as labelled
    inv = sim.portfolio.invoices.merge(t.invoices[["invoice_id", "latent_group_at_issue"]])
    late = (inv["paid_date"].fillna(sim.portfolio.as_of) - inv["due_date"]).dt.days
    means = late.groupby(inv["latent_group_at_issue"]).mean()
    assert means["able_willing"] + 10 < min(means["unable"], means["unwilling"])


def test_oracle_predicts_realised_days_late(sim):
    """On invoices old enough to be settled or written off, the oracle beats a constant."""
    p = sim.portfolio
    inv = p.invoices
    wo = p.events[p.events["event_type"] == "write_off"].set_index("invoice_id")["timestamp"]
    settled = inv["paid_date"].fillna(inv["invoice_id"].map(wo.dt.normalize()))
    old = inv["due_date"] < p.as_of - pd.Timedelta(days=sim.config.payment.writeoff_after_days + 2)
    assert settled[old].notna().all()
    actual = (settled - inv["due_date"]).dt.days[old].to_numpy(dtype=float)
    predicted = oracle_predict_days_late(sim, inv.loc[old, "invoice_id"])
    assert np.corrcoef(actual, predicted)[0, 1] > 0.6
    assert np.sqrt(np.mean((actual - predicted) ** 2)) < 0.85 * actual.std()
    sd = sim.truth.invoices["oracle_days_late_sd"]
    assert sd.notna().all() and sd.mean() > 1  # irreducible noise remains
    assert np.isnan(oracle_predict_days_late(sim, ["no-such-invoice"])).all()


def test_same_seed_same_bytes_and_a_round_trip(sim, tmp_path):
    tiny = load_preset("small", **{**TINY, "n_customers": 120, "months": 5})
    first = simulate(tiny).save(tmp_path / "a")
    simulate(tiny).save(tmp_path / "b")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert len(files) == 10
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    other = simulate(tiny.replace(seed=7))
    assert not other.portfolio.invoices["amount"].equals(
        load_simulation(first).portfolio.invoices["amount"]
    )
    loaded = load_simulation(sim.save(tmp_path / "c"))
    assert loaded.config == sim.config
    pd.testing.assert_frame_equal(loaded.portfolio.invoices, sim.portfolio.invoices)
    pd.testing.assert_frame_equal(loaded.truth.monthly, sim.truth.monthly)


def test_a_longer_world_begins_with_the_same_months():
    cfg = load_preset("small", **TINY)
    short, long = build_world(cfg), build_world(cfg, months=12)
    n = short.n_invoices
    for key in ("customer", "issue", "due", "cents"):
        assert np.array_equal(short.invoices[key], long.invoices[key][:n])
    assert np.allclose(
        short.ability, long.ability[: short.n_customers, : short.path_months], equal_nan=True
    )


def test_hashed_uniforms_are_pure_functions_of_their_keys():
    ids = np.arange(10_000)
    assert np.array_equal(uniform(5, ids, 3), uniform(5, ids, 3))
    assert np.array_equal(uniform(5, ids[::-1], 3)[::-1], uniform(5, ids, 3))
    assert abs(uniform(5, ids, 4).mean() - 0.5) < 0.02
    assert abs(np.corrcoef(uniform(5, ids, 3), uniform(5, ids, 4))[0, 1]) < 0.05


def test_logging_plan_gives_each_day_its_contacts_in_schedule_order():
    """The compact plan lists, day by day, what a full day-sorted schedule would: the dunning
    steps stage by stage, then the pre-due contacts, each in invoice order."""
    from dso_model.sim.engine import build_tables
    from dso_model.sim.logging_policy import _timing, planned_for, schedule_new_invoices
    from dso_model.sim.noise import Keys, uniforms
    from dso_model.sim.state import State

    world = build_world(load_preset("small", **TINY))
    tables, state, keys = build_tables(world), State(world), Keys(3, "history")
    schedule_new_invoices(world, state, keys)
    log, idx = world.config.logging, np.arange(world.n_invoices)
    e, shift = _timing(world)
    days, codes = [], []
    for s, stage in enumerate(log.stages):
        u = uniforms(keys.log_shift, idx * 16 + s, 0, 2)
        drawn = np.where(u[0] < e / 2, -shift, np.where(u[0] >= 1 - e / 2, shift, 0))
        fire = u[1] >= log.skip_prob
        days.append((world.invoices["due"] + stage.offset + drawn)[fire])
        codes.append((idx * 16 + s)[fire])
    has = state.pre_arm >= 0
    offsets = np.asarray(log.pre_due_offsets)[state.pre_arm[has]]
    days.append(world.invoices["due"][has] + offsets)
    codes.append(idx[has] * 16 + len(log.stages) + state.pre_arm[has])
    days, codes = np.concatenate(days), np.concatenate(codes)
    order = np.argsort(days, kind="stable")
    days, codes = days[order], codes[order]
    assert has.any() and len(codes)
    for d in range(tables.calendar.n_days):
        invoices, steps = planned_for(world, tables, state, d)
        expected = codes[days == d]
        assert np.array_equal(invoices * 16 + steps, expected), d


def test_a_wide_spend_trend_spread_never_makes_an_amount_negative():
    # the yearly trend is a normal draw floored at -90 %: the far tail of a large book (or a wide
    # spread) would otherwise shrink spend by more than 100 % a year
    cfg = load_preset("small", **TINY, **{"segments.consumer.spend_trend_sd": 3.0})
    world = build_world(cfg)
    assert world.invoices["cents"].min() >= 100
    assert simulate(cfg).portfolio.invoices["amount"].gt(0).all()


def test_no_payment_leaves_a_balance_within_the_rounding_tolerance():
    # long plans after large part payments: an instalment that would leave a balance the contract
    # counts as settled pays it all (the snapshot would otherwise break the 'partially_paid' rule)
    stressed = {
        "payment.plan_instalments": 12,
        "payment.partial_range": (0.9, 0.99),
        "payment.partial_prob": 1.0,
        "payment.spontaneous_plan_rate": 0.05,
    }
    sim = simulate(load_preset("small", **TINY, **stressed))
    invoices = sim.portfolio.invoices.set_index("invoice_id")
    payments = sim.portfolio.payments.sort_values(["invoice_id", "payment_date", "payment_id"])
    amount = payments["invoice_id"].map(invoices["amount"])
    left = amount - payments.groupby("invoice_id")["amount"].cumsum()
    tolerance = AMOUNT_TOLERANCE * np.maximum(1.0, amount)
    assert (sim.portfolio.events["event_type"] == "plan_agreed").sum() > 50
    assert not ((left > 1e-9) & (left <= tolerance + 1e-9)).any()

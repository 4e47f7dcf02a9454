"""Hard limits: no generated plan breaks any limit (property tests), plus worked examples."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dso_model.contract.spec import CHANNELS
from dso_model.policy.config import LimitConfig
from dso_model.policy.limits import CAP_REASONS, apply_limits, is_quiet

ZONES = ("Europe/Madrid", "Atlantic/Canary", "Europe/London", "America/New_York", None)
BASE_DATES = ("2024-03-28", "2024-06-10", "2024-10-25", "2025-01-02")
# Disputes and opt-outs come up more often than the rest so that plans often run into them.
EVENT_TYPES = (
    "dispute_opened",
    "dispute_opened",
    "dispute_resolved",
    "opt_out",
    "opt_out",
    "opt_in",
    "complaint",
    "social_mention",
    "social_mention",
    "autopay_on",
    "autopay_off",
)
CAPS = (0, 1, 1, 2, 3, 5)
QUIET = ((21, 8), (22, 7), (0, 0), (20, 9), (9, 17), (0, 6), (23, 24))


@st.composite
def worlds(draw, tight_caps: bool = True):
    """A handful of customers with permissions, history, events, a plan and limit settings.

    With ``tight_caps=False`` the caps leave room for everything, so most rows meet the static
    limits (opt-outs, autopay, disputes, quiet hours, review) rather than a cap.
    """
    n_cust = draw(st.integers(1, 6))
    cust_ids = [f"C{i}" for i in range(n_cust)]
    base = pd.Timestamp(draw(st.sampled_from(BASE_DATES)))
    customers = pd.DataFrame(
        {
            "customer_id": cust_ids,
            "timezone": [draw(st.sampled_from(ZONES)) for _ in cust_ids],
            "autopay": [draw(st.sampled_from([False, None, False, True])) for _ in cust_ids],
            **{
                f"opt_out_{ch}": [draw(st.booleans()) and draw(st.booleans()) for _ in cust_ids]
                for ch in CHANNELS
            },
        }
    )
    invoices = {c: [f"{c}-I{k}" for k in range(draw(st.integers(1, 3)))] for c in cust_ids}

    def customer_invoice():
        c = draw(st.sampled_from(cust_ids))
        return c, draw(st.sampled_from(invoices[c]))

    def stamp(lo, hi):
        day = draw(st.integers(lo, hi))
        return base + pd.Timedelta(days=day, hours=draw(st.integers(0, 23)))

    event_rows = []
    for _ in range(draw(st.integers(0, 10))):
        c, inv = customer_invoice()
        event_rows.append(
            {
                "customer_id": c,
                "invoice_id": inv,
                "timestamp": stamp(-60, -1),
                "event_type": draw(st.sampled_from(EVENT_TYPES)),
                "channel": draw(st.sampled_from([*CHANNELS, None])),
                "sentiment": draw(st.sampled_from([-0.9, -0.1, 0.5, None])),
            }
        )
    contact_rows = []
    for _ in range(draw(st.integers(0, 15))):
        c, inv = customer_invoice()
        contact_rows.append(
            {
                "customer_id": c,
                "invoice_id": inv,
                "timestamp": stamp(-8, -1),
                "channel": draw(st.sampled_from(CHANNELS)),
            }
        )
    plan_rows = []
    for _ in range(draw(st.integers(1, 40))):
        c, inv = customer_invoice()
        plan_rows.append(
            {
                "customer_id": c,
                "invoice_id": inv,
                "send_date": base + pd.Timedelta(days=draw(st.integers(0, 9))),
                "hour": draw(st.integers(0, 23)),
                "channel": draw(st.sampled_from(CHANNELS)),
                "priority": draw(st.floats(0, 10, allow_nan=False)),
            }
        )

    def cap_map():
        if not tight_caps:
            return {}
        chans = draw(st.lists(st.sampled_from(CHANNELS), unique=True, max_size=5))
        return {ch: draw(st.sampled_from(CAPS)) for ch in chans}

    config = LimitConfig(
        quiet_hours=draw(st.sampled_from(QUIET)),
        hour_zone=draw(st.sampled_from(["customer", "portfolio"])),
        window_days=draw(st.integers(1, 7)),
        per_day=draw(st.sampled_from(CAPS)) if tight_caps else 99,
        per_window=draw(st.sampled_from(CAPS)) if tight_caps else 99,
        per_invoice_per_day=draw(st.sampled_from(CAPS)) if tight_caps else 99,
        per_channel_per_day=cap_map(),
        per_channel_per_window=cap_map(),
        capacity=cap_map(),
        review_days=draw(st.integers(1, 30)),
    )
    events = pd.DataFrame(
        event_rows,
        columns=["customer_id", "invoice_id", "timestamp", "event_type", "channel", "sentiment"],
    )
    events = events.astype({"sentiment": float, "timestamp": "datetime64[ns]"})
    contacts = pd.DataFrame(
        contact_rows, columns=["customer_id", "invoice_id", "timestamp", "channel"]
    ).astype({"timestamp": "datetime64[ns]"})
    return customers, events, contacts, pd.DataFrame(plan_rows), config, base


# ------------------------------------------------------------------ an independent, naive checker
def naive_static_ok(row, customers, events, as_of, config) -> bool:
    cust = customers.set_index("customer_id").loc[row.customer_id]
    ev = events[(events["customer_id"] == row.customer_id) & (events["timestamp"] < as_of)]
    ev = ev.sort_values("timestamp", kind="stable")
    auto = ev[ev["event_type"].isin(["autopay_on", "autopay_off"])]
    flagged = cust["autopay"] if pd.notna(cust["autopay"]) else False
    if bool(flagged) or (len(auto) and auto["event_type"].iloc[-1] == "autopay_on"):
        return False
    disp = ev[(ev["invoice_id"] == row.invoice_id)]
    opened = disp.loc[disp["event_type"] == "dispute_opened", "timestamp"]
    resolved = disp.loc[disp["event_type"] == "dispute_resolved", "timestamp"]
    if len(opened) and (not len(resolved) or resolved.max() < opened.max()):
        return False
    if bool(cust[f"opt_out_{row.channel}"]):
        return False
    opt = ev[ev["event_type"].isin(["opt_out", "opt_in"])]
    opt = opt[opt["channel"].isna() | (opt["channel"] == row.channel)]
    if len(opt) and opt["event_type"].iloc[-1] == "opt_out":
        return False
    return not naive_quiet(row, cust, config)


def naive_quiet(row, cust, config) -> bool:
    hour = int(row.hour)
    if config.hour_zone == "portfolio":
        zone = cust["timezone"] if isinstance(cust["timezone"], str) else None
        zone = zone or config.portfolio_timezone
        d = row.send_date
        naive = dt.datetime(d.year, d.month, d.day, hour)
        here = naive.replace(tzinfo=ZoneInfo(config.portfolio_timezone))
        hour = here.astimezone(ZoneInfo(zone)).hour
    start, end = config.quiet_hours
    if start == end:
        return False
    return start <= hour < end if start < end else hour >= start or hour < end


def naive_review(customer_id, events, as_of, config) -> bool:
    ev = events[
        (events["customer_id"] == customer_id)
        & (events["timestamp"] < as_of)
        & (events["timestamp"] >= as_of - pd.Timedelta(days=config.review_days))
    ]
    for e in ev.itertuples():
        if e.event_type == "complaint" and config.review_on_complaint:
            return True
        if e.event_type == "social_mention" and not (e.sentiment >= config.review_sentiment_below):
            return True
    return False


def cap_violations(sent: pd.DataFrame, contacts: pd.DataFrame, config: LimitConfig) -> list[str]:
    """Every cap a sent row breaks: counts of history + sent in the day and the window ending on
    each day something was sent, for what was sent (later windows hold no more than these)."""
    log = pd.concat(
        [
            contacts.assign(day=contacts["timestamp"].dt.normalize())[
                ["customer_id", "invoice_id", "channel", "day"]
            ],
            sent.assign(day=sent["send_date"])[["customer_id", "invoice_id", "channel", "day"]],
        ],
        ignore_index=True,
    )
    big = 10**9
    broken = []
    for day in sent["send_date"].unique():
        today = log[log["day"] == day]
        window = log[
            (log["day"] <= day) & (log["day"] > day - pd.Timedelta(days=config.window_days))
        ]
        for ch in CHANNELS:
            if (today["channel"] == ch).sum() > config.capacity.get(ch, big) and (
                sent[(sent["send_date"] == day) & (sent["channel"] == ch)].shape[0] > 0
            ):
                broken.append(f"capacity {ch} {day}")
        for c in sent.loc[sent["send_date"] == day, "customer_id"].unique():
            mine_t, mine_w = today[today["customer_id"] == c], window[window["customer_id"] == c]
            if len(mine_t) > config.per_day:
                broken.append(f"per_day {c}")
            if len(mine_w) > config.per_window:
                broken.append(f"per_window {c}")
            sent_channels = sent.loc[
                (sent["send_date"] == day) & (sent["customer_id"] == c), "channel"
            ].unique()
            for ch in sent_channels:  # history alone may exceed a cap; only sends can break it
                if (mine_t["channel"] == ch).sum() > config.per_channel_per_day.get(ch, big):
                    broken.append(f"per_channel_day {c} {ch}")
                if (mine_w["channel"] == ch).sum() > config.per_channel_per_window.get(ch, big):
                    broken.append(f"per_channel_window {c} {ch}")
        for inv in sent.loc[sent["send_date"] == day, "invoice_id"].unique():
            if (today["invoice_id"] == inv).sum() > config.per_invoice_per_day:
                broken.append(f"per_invoice {inv}")
    return broken


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(worlds(tight_caps=True), worlds(tight_caps=False)))
def test_no_generated_plan_breaks_a_limit(world):
    customers, events, contacts, plan, config, as_of = world
    result = apply_limits(
        plan, customers, contacts=contacts, events=events, as_of=as_of, config=config
    )
    out = result.plan
    assert len(out) == len(plan)
    assert set(out["decision"]) <= {"send", "review", "blocked"}
    sent = result.send
    for row in sent.itertuples():
        assert naive_static_ok(row, customers, events, as_of, config), row
        assert not naive_review(row.customer_id, events, as_of, config), row
    assert cap_violations(sent, contacts, config) == []
    for row in result.review.itertuples():
        assert naive_review(row.customer_id, events, as_of, config)
        assert naive_static_ok(row, customers, events, as_of, config)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_nothing_is_blocked_by_a_cap_it_would_not_break(world):
    """The allocator wastes nothing: adding any cap-blocked row to what was sent breaks a cap."""
    customers, events, contacts, plan, config, as_of = world
    result = apply_limits(
        plan, customers, contacts=contacts, events=events, as_of=as_of, config=config
    )
    sent = result.send
    capped = result.blocked[result.blocked["reason"].isin(CAP_REASONS)]
    for idx in capped.index[:8]:
        with_row = pd.concat([sent, capped.loc[[idx]]])
        assert cap_violations(with_row, contacts, config), capped.loc[idx]


def _one_customer(**extra) -> pd.DataFrame:
    base = {"customer_id": ["A"], "timezone": ["Europe/Madrid"], "autopay": [False]}
    return pd.DataFrame({**base, **extra})


def test_capacity_goes_to_the_highest_priority():
    customers = pd.DataFrame(
        {"customer_id": list("ABCD"), "timezone": "Europe/Madrid", "autopay": False}
    )
    plan = pd.DataFrame(
        {
            "customer_id": list("ABCD"),
            "invoice_id": ["a", "b", "c", "d"],
            "send_date": pd.Timestamp("2024-05-06"),
            "hour": 11,
            "channel": "phone",
            "priority": [1.0, 4.0, 3.0, 2.0],
        }
    )
    config = LimitConfig(capacity={"phone": 2})
    out = apply_limits(plan, customers, config=config).plan
    assert list(out["decision"]) == ["blocked", "send", "send", "blocked"]
    assert set(out.loc[out["decision"] == "blocked", "reason"]) == {"capacity"}


def test_phone_weekly_cap_counts_history():
    """No more than 7 calls in 7 days: six in history leave room for exactly one."""
    customers = _one_customer()
    history = pd.DataFrame(
        {
            "customer_id": "A",
            "invoice_id": "x",
            "timestamp": pd.date_range("2024-05-01 10:00", periods=6, freq="D"),
            "channel": "phone",
        }
    )
    plan = pd.DataFrame(
        {
            "customer_id": "A",
            "invoice_id": "x",
            "send_date": pd.to_datetime(["2024-05-07", "2024-05-07"]),
            "hour": [10, 15],
            "channel": "phone",
        }
    )
    config = LimitConfig(
        per_day=5,
        per_window=20,
        per_invoice_per_day=5,
        per_channel_per_day={"phone": 5},
        per_channel_per_window={"phone": 7},
        capacity={},
    )
    out = apply_limits(plan, customers, contacts=history, config=config).plan
    assert list(out["decision"]) == ["send", "blocked"]
    assert out["reason"].iloc[1] == "cap_channel_window"


def test_static_limits_and_review():
    customers = pd.DataFrame(
        {
            "customer_id": ["auto", "opt", "disp", "angry", "ok"],
            "timezone": [
                "Europe/Madrid",
                None,
                "Europe/London",
                "Europe/Madrid",
                "Atlantic/Canary",
            ],
            "autopay": [True, False, False, False, False],
            "opt_out_sms": [False, True, False, False, False],
        }
    )
    events = pd.DataFrame(
        {
            "customer_id": ["disp", "disp", "disp", "angry"],
            "invoice_id": ["d1", "d2", "d2", None],
            "timestamp": pd.to_datetime(["2024-05-01", "2024-05-01", "2024-05-03", "2024-05-04"]),
            "event_type": [
                "dispute_opened",
                "dispute_opened",
                "dispute_resolved",
                "social_mention",
            ],
            "sentiment": [np.nan, np.nan, np.nan, -0.8],
        }
    )
    plan = pd.DataFrame(
        {
            "customer_id": ["auto", "opt", "disp", "disp", "angry", "ok", "ok"],
            "invoice_id": ["a1", "o1", "d1", "d2", "g1", "k1", "k2"],
            "send_date": pd.Timestamp("2024-05-10"),
            "hour": [10, 10, 10, 11, 10, 22, 12],
            "channel": ["email", "sms", "email", "email", "email", "email", "email"],
        }
    )
    out = apply_limits(plan, customers, events=events).plan
    assert list(out["reason"]) == [
        "autopay",
        "opt_out",
        "dispute",
        "",
        "human_review",
        "quiet_hours",
        "",
    ]
    assert list(out["decision"]) == [
        "blocked",
        "blocked",
        "blocked",
        "send",
        "review",
        "blocked",
        "send",
    ]


def test_quiet_hours_follow_the_customer_zone():
    """10:00 in Madrid is 04:00 in New York: quiet there, fine in Madrid."""
    customers = pd.DataFrame(
        {"customer_id": ["M", "N"], "timezone": ["Europe/Madrid", "America/New_York"]}
    )
    plan = pd.DataFrame(
        {
            "customer_id": ["M", "N"],
            "send_date": pd.Timestamp("2024-05-06"),
            "hour": 10,
            "channel": "email",
        }
    )
    out = apply_limits(plan, customers, config=LimitConfig(hour_zone="portfolio")).plan
    assert list(out["decision"]) == ["send", "blocked"]


def test_is_quiet_wraps_midnight():
    hours = np.arange(24)
    quiet = is_quiet(hours, (21, 8))
    assert quiet[[21, 23, 0, 7]].all() and not quiet[[8, 12, 20]].any()
    assert not is_quiet(hours, (0, 0)).any()


def test_bad_time_zone_is_a_user_error():
    from dso_model.errors import DsoInputError

    customers = pd.DataFrame({"customer_id": ["A"], "timezone": ["Mars/Olympus"]})
    plan = pd.DataFrame(
        {"customer_id": ["A"], "send_date": ["2024-05-06"], "hour": [10], "channel": ["email"]}
    )
    with pytest.raises(DsoInputError, match="time zone"):
        apply_limits(plan, customers, config=LimitConfig(hour_zone="portfolio"))


def test_local_hour_grid_is_the_local_hour_of_every_row_and_hour():
    from dso_model.policy.limits import local_hour_grid, local_hours

    customers = pd.DataFrame(
        {"customer_id": ["A", "B", "C"], "timezone": ["Europe/Madrid", "America/New_York", None]}
    )
    plan = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "A", "B"],
            "send_date": pd.to_datetime(
                ["2024-03-31", "2024-03-31", "2024-03-10", "2024-10-27", "2024-03-31"]
            ),
        }
    )
    hours = (1, 2, 9, 20)
    config = LimitConfig(hour_zone="portfolio", portfolio_timezone="Europe/Madrid")
    every = plan.loc[plan.index.repeat(len(hours))].assign(hour=np.tile(hours, len(plan)))
    expected = local_hours(every, customers, config).reshape(len(plan), len(hours))
    grid = local_hour_grid(plan, hours, customers, config)
    assert np.array_equal(grid, expected, equal_nan=True) and np.isnan(grid).any()

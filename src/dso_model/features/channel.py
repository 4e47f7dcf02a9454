"""Channel response: contacts received per channel and what the customer did after them.

Outcomes are ordered (``CONTACT_OUTCOMES``): a reply was also opened and delivered, so the open rate
counts outcomes from "opened" up and the reply rate from "replied" up. A contact is followed by
payment when the customer paid anything on the contact's day or the ``response_window_days`` days
after; that is only known once the window has closed, so a contact counts towards the share only
when its last window day is before the cut-off. Without any contact on record before the cut-off
(a source without a contacts table), every feature here is missing, not zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dso_model.contract.spec import CHANNELS
from dso_model.features.context import Context, masked, ratio
from dso_model.features.encode import OUTCOME_RANK
from dso_model.features.timeline import DAY, Timeline, Window, build_timeline, group_cummax

OPENED, REPLIED, PROMISED = (OUTCOME_RANK[o] for o in ("opened", "replied", "promise_to_pay"))


def followed_by_payment(ctx: Context, contacts: pd.DataFrame) -> np.ndarray:
    """1 where the customer paid on the contact's day or within the window after it."""
    lines = ctx.lines_by_customer
    cust, day = contacts["cust"].to_numpy(), contacts["day"].to_numpy()
    span = (ctx.cfg.response_window_days + 1) * DAY
    paid = lines.probe(cust, day + span).idx - lines.probe(cust, day).idx
    return (paid > 0).astype(np.float64)


def resolved_time(ctx: Context, contacts: pd.DataFrame) -> np.ndarray:
    """The last second of the contact's payment window: known at t when this is before t."""
    span = (ctx.cfg.response_window_days + 1) * DAY
    return contacts["day"].to_numpy() + span - 1


def channel_features(ctx: Context) -> dict[str, np.ndarray]:
    contacts = ctx.book.contacts
    out = per_channel(ctx, contacts)
    out.update(all_channels(ctx, contacts))
    covered = ctx.covered(ctx.book.coverage.contacts)
    return {name: masked(values, covered) for name, values in out.items()}


def per_channel(ctx: Context, contacts: pd.DataFrame) -> dict[str, np.ndarray]:
    """Counts, rates and recency per channel: one timeline, one column set per channel."""
    rank, cust, time, channel = (
        contacts[c].to_numpy() for c in ("rank", "cust", "time", "channel")
    )
    cumulative, values = {}, {}
    for code, name in enumerate(CHANNELS):
        mine = channel == code
        cumulative.update(
            {
                f"{name}_n": mine,
                f"{name}_opened": mine & (rank >= OPENED),
                f"{name}_replied": mine & (rank >= REPLIED),
            }
        )
        values[f"{name}_last"] = group_cummax(np.where(mine, time, -1), cust)
    now = build_timeline(
        cust, time, ctx.book.ncust, presorted=True, cumulative=cumulative, values=values
    ).probe(ctx.tg.cust, ctx.tg.t)
    done = resolved_probe(ctx, contacts)
    out = {}
    for name in CHANNELS:
        n, p = now.total(f"{name}_n"), f"ch_{name}_"
        out[p + "contacts"] = n
        out[p + "open_rate"] = ratio(now.total(f"{name}_opened"), n)
        out[p + "reply_rate"] = ratio(now.total(f"{name}_replied"), n)
        out[p + "paid_after_share"] = ratio(done.total(f"{name}_followed"), done.total(f"{name}_n"))
        out[p + "days_since"] = ctx.since(now.last(f"{name}_last"))
    return out


def resolved_probe(ctx: Context, contacts: pd.DataFrame):
    """Contacts whose payment window closed before the cut-off, and which of them were followed."""
    followed = followed_by_payment(ctx, contacts)
    channel = contacts["channel"].to_numpy()
    cumulative = {}
    for code, name in enumerate(CHANNELS):
        mine = channel == code
        cumulative.update({f"{name}_n": mine, f"{name}_followed": mine & (followed > 0)})
    tl = build_timeline(
        contacts["cust"].to_numpy(),
        resolved_time(ctx, contacts),
        ctx.book.ncust,
        cumulative=cumulative,
        presorted=True,
    )  # same order as the contact times
    return tl.probe(ctx.tg.cust, ctx.tg.t)


def all_channels(ctx: Context, contacts: pd.DataFrame) -> dict[str, np.ndarray]:
    rank, cust, time, hour = (contacts[c].to_numpy() for c in ("rank", "cust", "time", "hour"))
    replied = rank >= REPLIED
    tl: Timeline = build_timeline(
        cust,
        time,
        ctx.book.ncust,
        presorted=True,
        values={"time": time},
        cumulative={
            "replied": replied,
            "reply_hour": np.where(replied, hour, 0),
            "promised": rank >= PROMISED,
        },
    )
    now = tl.probe(ctx.tg.cust, ctx.tg.t)
    out = {
        "ch_contacts": now.count.astype(np.float64),
        "ch_days_since_contact": ctx.since(now.last("time")),
        "ch_promise_rate": ratio(now.total("promised"), now.count),
        "ch_response_hour_mean": ratio(now.total("reply_hour"), now.total("replied")),
        "ch_invoice_contacts": invoice_contacts(ctx, contacts),
    }
    for days in ctx.cfg.pressure_windows_days:
        window = Window(now, tl.probe(ctx.tg.cust, ctx.before(days)))
        out[f"ch_contacts_{days}d"] = window.count.astype(np.float64)
    return out


def invoice_contacts(ctx: Context, contacts: pd.DataFrame) -> np.ndarray:
    about = contacts[contacts["inv"] >= 0]
    tl = build_timeline(about["inv"].to_numpy(), about["time"].to_numpy(), len(ctx.book.inv))
    return tl.probe(ctx.tg.inv, ctx.tg.t).count.astype(np.float64)

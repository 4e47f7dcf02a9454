"""Exposure at the cut-off: what the customer owes on its other invoices, and this invoice against it.

An invoice is open at ``t`` when it was issued before ``t`` and neither settled nor written off
before ``t``; it is overdue when, in addition, its due date is before ``t``. Balances come from
a running ledger per customer, so one ``searchsorted`` answers every cut-off:

* at issue: +amount (open), +1 open invoice;
* at each payment before the close: -payment (open; also overdue when on or after the due date);
* at the due date, if still open then: +what was unpaid then (overdue), +1 overdue invoice;
* at the close (settlement or write-off): -what was unpaid then, -1 (open, and overdue if due).
"""

from __future__ import annotations

import numpy as np

from dso_model.features.context import Context, ratio
from dso_model.features.timeline import DAY, NEVER, Probe, Timeline, build_timeline, group_cummax


def ledger(ctx: Context) -> Timeline:
    inv, lines, book = ctx.book.inv, ctx.book.lines, ctx.book
    codes = np.arange(len(inv))
    paid_at_due = book.by_invoice.probe(codes, inv.due).total("amount")
    paid_at_close = book.by_invoice.probe(codes, inv.close).total("amount")
    closes, due_first = inv.close < NEVER, inv.due < inv.close
    unpaid_close, unpaid_due = inv.amount - paid_at_close, inv.amount - paid_at_due
    before_close = lines.time < inv.close[lines.inv]
    overdue_line = before_close & (lines.time >= inv.due[lines.inv])
    entries = [
        ledger_entries(inv.cust, inv.issue, open_=inv.amount, n_open=1),
        ledger_entries(
            inv.cust[closes],
            inv.close[closes],
            open_=-unpaid_close[closes],
            n_open=-1,
            overdue=-np.where(due_first, unpaid_close, 0.0)[closes],
            n_overdue=-due_first[closes].astype(np.int64),
        ),
        ledger_entries(
            inv.cust[due_first], inv.due[due_first], overdue=unpaid_due[due_first], n_overdue=1
        ),
        ledger_entries(
            lines.cust[before_close],
            lines.time[before_close],
            open_=-lines.amount[before_close],
            overdue=-np.where(overdue_line, lines.amount, 0.0)[before_close],
        ),
    ]
    cols = {k: np.concatenate([e[k] for e in entries]) for k in entries[0]}
    cust, time = cols.pop("cust"), cols.pop("time")
    return build_timeline(cust, time, book.ncust, cumulative=cols)


def ledger_entries(
    cust, time, open_=0.0, n_open=0, overdue=0.0, n_overdue=0
) -> dict[str, np.ndarray]:
    """One block of ledger rows; scalars apply to every row of the block (counts stay integers)."""
    shape = cust.shape
    amounts = {"open": open_, "overdue": overdue}
    counts = {"n_open": n_open, "n_overdue": n_overdue}
    return {
        "cust": cust,
        "time": time,
        **{k: np.broadcast_to(np.asarray(v, dtype=np.float64), shape) for k, v in amounts.items()},
        **{k: np.broadcast_to(np.asarray(v, dtype=np.int64), shape) for k, v in counts.items()},
    }


def own_balances(ctx: Context) -> dict[str, np.ndarray]:
    """This invoice's own share of the ledger at its cut-off (to leave it out)."""
    inv, t = ctx.book.inv, ctx.tg.t
    code = ctx.tg.inv
    is_open = (inv.issue[code] < t) & ~(inv.close[code] < t)
    is_overdue = is_open & (inv.due[code] < t)
    unpaid = inv.amount[code] - ctx.own_lines.total("amount")
    return {
        "open": np.where(is_open, unpaid, 0.0),
        "n_open": is_open.astype(float),
        "overdue": np.where(is_overdue, unpaid, 0.0),
        "n_overdue": is_overdue.astype(float),
    }


def exposure_features(ctx: Context) -> dict[str, np.ndarray]:
    probe = ledger(ctx).probe(ctx.tg.cust, ctx.tg.t)
    own = own_balances(ctx)
    values = {k: probe.total(k) - own[k] for k in own}
    n_open, n_overdue = np.rint(values["n_open"]), np.rint(values["n_overdue"])
    inv, code = ctx.book.inv, ctx.tg.inv
    amount = inv.amount[code]
    open_balance = np.where(n_open > 0, values["open"], 0.0)
    credit = customer_values(ctx, "credit_limit")
    mean_amount = ratio(
        ctx.issued.total("amount") - np.where(ctx.self_issued, amount, 0.0),
        ctx.issued.count - ctx.self_issued,
    )
    return {
        "exp_open_count": n_open,
        "exp_open_balance": open_balance,
        "exp_overdue_count": n_overdue,
        "exp_overdue_balance": np.where(n_overdue > 0, values["overdue"], 0.0),
        "exp_oldest_open_days": oldest_age(ctx, inv.issue, ctx.issued),
        "exp_oldest_overdue_days": oldest_overdue(ctx),
        "exp_amount_vs_mean": ratio(amount, mean_amount),
        "exp_amount_vs_credit_limit": ratio(amount, credit),
        "exp_utilisation": ratio(open_balance + amount, credit),
        "exp_invoice_paid_share": ctx.own_lines.total("amount") / amount,
    }


def customer_values(ctx: Context, column: str) -> np.ndarray:
    customers = ctx.book.customers
    if column not in customers:
        return np.full(ctx.n, np.nan)
    values = customers[column].astype("float64").to_numpy(na_value=np.nan)
    return values[ctx.tg.cust]


def oldest_age(
    ctx: Context, start_time: np.ndarray, started: Probe, order: np.ndarray | None = None
) -> np.ndarray:
    """Days since ``start_time`` of the earliest-started other invoice still open at the cut-off.

    ``order`` lists invoice codes sorted by (customer, start time); the first one, in that order,
    whose close is not before ``t`` is found by a search on the running maximum of close times.
    """
    inv = ctx.book.inv
    order = np.arange(len(inv)) if order is None else order
    cust = inv.cust[order]
    reach = group_cummax(inv.close[order], cust)
    tl = build_timeline(cust, reach, ctx.book.ncust, presorted=True)
    first_open = tl.probe(ctx.tg.cust, ctx.tg.t).idx
    own = np.empty(len(order), np.int64)
    own[order] = np.arange(len(order))
    found = skip_own(first_open, own[ctx.tg.inv], started.idx, inv.close[order], ctx.tg.t)
    ok = found < started.idx
    when = (
        start_time[order][np.clip(found, 0, max(len(order) - 1, 0))]
        if len(order)
        else np.zeros(ctx.n)
    )
    return np.where(ok, (ctx.tg.t - when) / DAY, np.nan)


def skip_own(
    pos: np.ndarray, own: np.ndarray, end: np.ndarray, close: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Where the hit is the target invoice itself, step to the next invoice still open at t.

    The loop runs over positions, not rows: each pass advances every unresolved row by one.
    """
    pos = pos.copy()
    todo = (pos == own) & (pos < end)
    while todo.any():
        pos[todo] += 1
        nxt = np.clip(pos, 0, len(close) - 1)
        todo &= (pos < end) & (close[nxt] < t)
    return pos


def oldest_overdue(ctx: Context) -> np.ndarray:
    inv = ctx.book.inv
    order = np.lexsort((np.arange(len(inv)), inv.due, inv.cust))
    due_tl = build_timeline(inv.cust[order], inv.due[order], ctx.book.ncust, presorted=True)
    return oldest_age(ctx, inv.due, due_tl.probe(ctx.tg.cust, ctx.tg.t), order)

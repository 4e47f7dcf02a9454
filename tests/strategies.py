"""Hypothesis strategies for small random, contract-valid portfolios (shared by test modules).

``portfolios()`` draws 1-3 customers with up to 8 invoices, payments (either payment lines, some
partial, or only paid dates as in the IBM benchmark), contacts and events, all within a few
months, so that cut-offs land between events. ``cutoffs_for`` draws a cut-off per invoice.
Helpers build perturbed copies that stay valid (``rederive_invoices`` recomputes paid date,
paid amount and status from payment lines).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from dso_model.contract.portfolio import Portfolio
from dso_model.contract.spec import (
    AMOUNT_TOLERANCE,
    CHANNELS,
    CONTACT_OUTCOMES,
    EVENT_TYPES,
    LANGUAGES,
    SEGMENTS,
    TEMPLATES,
)

START = pd.Timestamp("2024-01-01")
SPAN_DAYS = 150
COUNTRIES = ("ES", "US", "MX", "391")
AMOUNTS = (10.0, 55.5, 100.0, 249.99, 1200.0)
EVENT_CHANNEL = {"opt_out", "opt_in", "complaint"}


def day(offset: int, minutes: int = 0) -> pd.Timestamp:
    return START + pd.Timedelta(days=int(offset), minutes=int(minutes))


@st.composite
def customers_frames(draw, n: int) -> pd.DataFrame:
    rows = []
    for i in range(n):
        enriched = draw(st.booleans())
        rows.append(
            {
                "customer_id": f"C{i}",
                "created_date": day(draw(st.integers(-400, 40))),
                "segment": draw(st.sampled_from(SEGMENTS)),
                "country": draw(st.sampled_from(COUNTRIES)),
                "language": draw(st.sampled_from(LANGUAGES)),
                "credit_limit": draw(st.sampled_from([np.nan, 0.0, 500.0, 5000.0]))
                if enriched
                else np.nan,
                "spend_level": draw(st.sampled_from([np.nan, 300.0])) if enriched else np.nan,
                "spend_trend": draw(st.sampled_from([np.nan, -0.2, 0.1])) if enriched else np.nan,
                "autopay": draw(st.sampled_from([None, True, False])) if enriched else None,
                "paperless": draw(st.sampled_from([None, True, False])) if enriched else None,
                **{f"opt_out_{ch}": draw(st.booleans()) for ch in CHANNELS},
            }
        )
    frame = pd.DataFrame(rows)
    for col in ("autopay", "paperless"):
        frame[col] = frame[col].astype("boolean")
    return frame


@st.composite
def invoice_rows(draw, n_customers: int, n: int) -> list[dict]:
    rows = []
    for j in range(n):
        issue = draw(st.integers(0, SPAN_DAYS - 30))
        terms = draw(st.sampled_from([0, 7, 14, 30]))
        rows.append(
            {
                "invoice_id": f"I{j}",
                "customer_id": f"C{draw(st.integers(0, n_customers - 1))}",
                "issue_date": day(issue),
                "due_date": day(issue + terms),
                "amount": draw(st.sampled_from(AMOUNTS)),
                "currency": draw(st.sampled_from(["EUR", "USD"])),
                "terms_days": terms,
            }
        )
    return rows


@st.composite
def payment_rows(draw, invoices: list[dict]) -> list[dict]:
    """0-3 lines per invoice, either settling it or leaving it partially paid."""
    rows = []
    for inv in invoices:
        n = draw(st.integers(0, 3))
        settles = draw(st.booleans())
        share = 1.0 if settles else draw(st.sampled_from([0.3, 0.5, 0.9]))
        offsets = sorted(draw(st.lists(st.integers(0, 60), min_size=n, max_size=n)))
        for k, offset in enumerate(offsets):
            amount = round(inv["amount"] * share / n, 2) if k < n - 1 else None
            if amount is None:
                amount = round(
                    inv["amount"] * share
                    - sum(r["amount"] for r in rows if r["invoice_id"] == inv["invoice_id"]),
                    2,
                )
            if amount <= 0:
                continue
            rows.append(
                {
                    "payment_id": f"P{len(rows)}",
                    "invoice_id": inv["invoice_id"],
                    "payment_date": inv["issue_date"] + pd.Timedelta(days=offset),
                    "amount": amount,
                }
            )
    return rows


@st.composite
def contact_rows(draw, invoices: list[dict], n_customers: int, n: int) -> list[dict]:
    rows = []
    for k in range(n):
        about = draw(st.none() | st.sampled_from(invoices)) if invoices else None
        cust = about["customer_id"] if about else f"C{draw(st.integers(0, n_customers - 1))}"
        low = (about["issue_date"] - START).days if about else 0
        template = draw(st.sampled_from(sorted(TEMPLATES)))
        rows.append(
            {
                "contact_id": f"K{k}",
                "customer_id": cust,
                "invoice_id": about["invoice_id"] if about else None,
                "timestamp": day(draw(st.integers(low, SPAN_DAYS)), draw(st.integers(0, 1439))),
                "channel": draw(st.sampled_from(CHANNELS)),
                "template": template,
                "tone": TEMPLATES[template][1],
                "outcome": draw(st.sampled_from(CONTACT_OUTCOMES)),
            }
        )
    return rows


@st.composite
def event_rows(draw, invoices: list[dict], n_customers: int, n: int) -> list[dict]:
    rows = []
    for k in range(n):
        kind = draw(st.sampled_from(EVENT_TYPES))
        about = draw(st.none() | st.sampled_from(invoices)) if invoices else None
        cust = about["customer_id"] if about else f"C{draw(st.integers(0, n_customers - 1))}"
        low = (about["issue_date"] - START).days if about else 0
        rows.append(
            {
                "event_id": f"E{k}",
                "customer_id": cust,
                "invoice_id": about["invoice_id"] if about else None,
                "timestamp": day(draw(st.integers(low, SPAN_DAYS)), draw(st.integers(0, 1439))),
                "event_type": kind,
                "channel": draw(st.sampled_from(CHANNELS)) if kind in EVENT_CHANNEL else None,
                "sentiment": draw(st.none() | st.sampled_from([-0.8, -0.1, 0.0, 0.6]))
                if kind in ("social_mention", "complaint")
                else None,
                "value": draw(st.sampled_from([10.0, 99.5]))
                if kind in ("write_off", "promise_to_pay")
                else None,
            }
        )
    return rows


@st.composite
def portfolios(
    draw, max_customers: int = 3, max_invoices: int = 8, max_contacts: int = 8, max_events: int = 8
) -> Portfolio:
    """A small valid portfolio; half of them keep only paid dates (no payment lines)."""
    n_cust = draw(st.integers(1, max_customers))
    customers = draw(customers_frames(n_cust))
    invoices = draw(invoice_rows(n_cust, draw(st.integers(1, max_invoices))))
    lines_mode = draw(st.booleans())
    payments = draw(payment_rows(invoices)) if lines_mode else []
    if not lines_mode:
        for inv in invoices:
            paid = draw(st.none() | st.integers(0, 60))
            inv["paid_date"] = (
                inv["issue_date"] + pd.Timedelta(days=paid) if paid is not None else pd.NaT
            )
    contacts = draw(contact_rows(invoices, n_cust, draw(st.integers(0, max_contacts))))
    events = draw(event_rows(invoices, n_cust, draw(st.integers(0, max_events))))
    return assemble_portfolio(customers, invoices, payments, contacts, events, lines_mode)


def assemble_portfolio(
    customers, invoices, payments, contacts, events, lines_mode: bool
) -> Portfolio:
    inv = pd.DataFrame(invoices)
    pay = pd.DataFrame(payments, columns=["payment_id", "invoice_id", "payment_date", "amount"])
    ev = pd.DataFrame(
        events,
        columns=[
            "event_id",
            "customer_id",
            "invoice_id",
            "timestamp",
            "event_type",
            "channel",
            "sentiment",
            "value",
        ],
    )
    inv = rederive_invoices(inv, pay, ev) if lines_mode else paid_date_status(inv, ev)
    con = pd.DataFrame(
        contacts,
        columns=[
            "contact_id",
            "customer_id",
            "invoice_id",
            "timestamp",
            "channel",
            "template",
            "tone",
            "outcome",
        ],
    )
    return Portfolio.from_tables(customers, inv, pay, con, ev, as_of=day(SPAN_DAYS + 90))


def rederive_invoices(
    invoices: pd.DataFrame, payments: pd.DataFrame, events: pd.DataFrame
) -> pd.DataFrame:
    """Paid date, paid amount and status consistent with the payment lines and write-offs."""
    inv = invoices.copy()
    paid_date, paid_amount = [], []
    for row in inv.itertuples():
        mine = payments[payments["invoice_id"] == row.invoice_id].sort_values(
            "payment_date", kind="stable"
        )
        total, settled = 0.0, pd.NaT
        for p in mine.itertuples():
            total += p.amount
            if pd.isna(settled) and total >= row.amount - AMOUNT_TOLERANCE * max(1.0, row.amount):
                settled = p.payment_date
        paid_date.append(settled)
        paid_amount.append(round(total, 2))
    inv["paid_date"] = pd.to_datetime(pd.Series(paid_date, index=inv.index, dtype="datetime64[ns]"))
    inv["paid_amount"] = paid_amount
    written = (
        set(events.loc[events["event_type"] == "write_off", "invoice_id"].dropna())
        if len(events)
        else set()
    )
    inv["status"] = [
        "paid"
        if pd.notna(d)
        else "partially_paid"
        if a > 0
        else "written_off"
        if i in written
        else "open"
        for d, a, i in zip(inv["paid_date"], inv["paid_amount"], inv["invoice_id"], strict=True)
    ]
    inv.loc[(inv["status"] == "partially_paid") & inv["invoice_id"].isin(written), "status"] = (
        "written_off"
    )
    return inv


def paid_date_status(invoices: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    inv = invoices.copy()
    if "paid_date" not in inv:
        inv["paid_date"] = pd.NaT
    inv["paid_date"] = pd.to_datetime(inv["paid_date"]).astype("datetime64[ns]")
    paid = inv["paid_date"].notna()
    inv["paid_amount"] = np.where(paid, inv["amount"], 0.0)
    written = (
        set(events.loc[events["event_type"] == "write_off", "invoice_id"].dropna())
        if len(events)
        else set()
    )
    inv["status"] = np.where(
        paid, "paid", np.where(inv["invoice_id"].isin(written), "written_off", "open")
    )
    return inv


@st.composite
def cutoffs_for(draw, portfolio: Portfolio, intraday: bool = True) -> pd.DataFrame:
    """A cut-off per invoice: a day (sometimes with a time) around the portfolio's span."""
    cuts = []
    for _ in range(len(portfolio.invoices)):
        minutes = draw(st.integers(0, 1439)) if intraday and draw(st.booleans()) else 0
        cuts.append(day(draw(st.integers(-5, SPAN_DAYS + 20)), minutes))
    return pd.DataFrame({"invoice_id": portfolio.invoices["invoice_id"].to_numpy(), "cutoff": cuts})


# ------------------------------------------------------------------------ perturbations after T
def _at_or_after(draw, low: pd.Timestamp) -> pd.Timestamp:
    """A time at or after ``low``: often exactly ``low`` or minutes later, else days later."""
    if draw(st.booleans()):
        return low + pd.Timedelta(minutes=draw(st.integers(0, 3)))
    return max(
        low,
        low.normalize()
        + pd.Timedelta(days=draw(st.integers(0, 40)), minutes=draw(st.integers(0, 1439))),
    )


def _day_at_or_after(draw, low: pd.Timestamp) -> pd.Timestamp:
    """A date (midnight) at or after ``low``; the cut-off day itself when ``low`` is midnight."""
    return low.ceil("D") + pd.Timedelta(
        days=draw(st.integers(0, 3)) if draw(st.booleans()) else draw(st.integers(0, 40))
    )


def _lines_mode(p: Portfolio) -> bool:
    return len(p.payments) > 0 or not p.invoices["paid_date"].notna().any()


@st.composite
def perturbed_after(draw, p: Portfolio, T: pd.Timestamp) -> tuple[Portfolio, set[str]]:
    """A valid copy of ``p`` with one row changed, added or deleted at or after ``T``.

    Returns the new portfolio and the ids of invoices whose own row was changed or removed
    (their features may legitimately change).
    """
    kind = draw(st.sampled_from(["payment", "contact", "event", "invoice"]))
    op = draw(st.sampled_from(["change", "add", "delete"]))
    handler = {
        "payment": _perturb_payment,
        "contact": _perturb_contact,
        "event": _perturb_event,
        "invoice": _perturb_invoice,
    }[kind]
    return handler(draw, p, T, op)


def _rebuild(p: Portfolio, **frames: pd.DataFrame) -> Portfolio:
    """``p`` with some tables replaced, invoice paid fields re-derived to stay contract-valid."""
    from dataclasses import replace

    new = {k: frames.get(k, getattr(p, k)) for k in ("invoices", "payments", "contacts", "events")}
    inv, pay, ev = new["invoices"], new["payments"], new["events"]
    if len(pay) or not inv["paid_date"].notna().any():
        new["invoices"] = rederive_invoices(inv, pay, ev)
    else:
        new["invoices"] = paid_date_status(inv, ev)
    return replace(p, **{k: v.reset_index(drop=True) for k, v in new.items()})


def _perturb_payment(draw, p: Portfolio, T, op):
    if not _lines_mode(p):
        inv = p.invoices.copy()
        later = (
            inv.index[inv["paid_date"] >= T] if op != "add" else inv.index[inv["paid_date"].isna()]
        )
        if not len(later):
            return p, set()
        i = draw(st.sampled_from(list(later)))
        if op == "delete":
            inv.loc[i, "paid_date"] = pd.NaT
        else:
            inv.loc[i, "paid_date"] = _day_at_or_after(draw, max(T, inv.loc[i, "issue_date"]))
        return _rebuild(p, invoices=inv), set()
    pay = p.payments.copy()
    later = pay.index[pay["payment_date"] >= T]
    if op == "add" or not len(later):
        j = draw(st.integers(0, len(p.invoices) - 1))
        issue = p.invoices["issue_date"].iloc[j]
        when = _day_at_or_after(draw, max(T, issue))
        row = {
            "payment_id": "P_new",
            "invoice_id": p.invoices["invoice_id"].iloc[j],
            "payment_date": when,
            "amount": draw(st.sampled_from([5.0, 50.0, 1200.0])),
        }
        return _rebuild(p, payments=pd.concat([pay, pd.DataFrame([row])], ignore_index=True)), set()
    i = draw(st.sampled_from(list(later)))
    if op == "delete":
        return _rebuild(p, payments=pay.drop(index=i)), set()
    pay.loc[i, "amount"] = draw(st.sampled_from([1.0, 30.0, 2000.0]))
    issue = p.invoices.set_index("invoice_id").loc[pay.loc[i, "invoice_id"], "issue_date"]
    pay.loc[i, "payment_date"] = _day_at_or_after(draw, max(T, issue))
    return _rebuild(p, payments=pay), set()


def _perturb_rows(draw, frame: pd.DataFrame, T, op, new_row: dict, change: dict):
    later = frame.index[frame["timestamp"] >= T]
    if op == "add" or not len(later):
        return pd.concat([frame, pd.DataFrame([new_row])], ignore_index=True)
    i = draw(st.sampled_from(list(later)))
    if op == "delete":
        return frame.drop(index=i)
    frame = frame.copy()
    for col, value in change.items():
        frame.loc[i, col] = value
    frame.loc[i, "timestamp"] = max(frame.loc[i, "timestamp"], _at_or_after(draw, T))
    return frame


def _perturb_contact(draw, p: Portfolio, T, op):
    cust = draw(st.sampled_from(list(p.customers["customer_id"])))
    new = {
        "contact_id": "K_new",
        "customer_id": cust,
        "invoice_id": None,
        "timestamp": _at_or_after(draw, T),
        "channel": draw(st.sampled_from(CHANNELS)),
        "template": "overdue_notice",
        "tone": "neutral",
        "outcome": draw(st.sampled_from(CONTACT_OUTCOMES)),
    }
    change = {
        "outcome": draw(st.sampled_from(CONTACT_OUTCOMES)),
        "channel": draw(st.sampled_from(CHANNELS)),
    }
    return _rebuild(p, contacts=_perturb_rows(draw, p.contacts, T, op, new, change)), set()


def _perturb_event(draw, p: Portfolio, T, op):
    cust = draw(st.sampled_from(list(p.customers["customer_id"])))
    kind = draw(st.sampled_from(EVENT_TYPES))
    mine = p.invoices[p.invoices["customer_id"] == cust]
    about = (
        draw(st.sampled_from(list(mine["invoice_id"])))
        if len(mine) and draw(st.booleans())
        else None
    )
    low = T if about is None else max(T, mine.set_index("invoice_id").loc[about, "issue_date"])
    new = {
        "event_id": "E_new",
        "customer_id": cust,
        "invoice_id": about,
        "timestamp": _at_or_after(draw, low),
        "event_type": kind,
        "channel": draw(st.sampled_from(CHANNELS)) if kind in EVENT_CHANNEL else None,
        "sentiment": -0.5 if kind in ("social_mention", "complaint") else None,
        "value": 10.0 if kind in ("write_off", "promise_to_pay") else None,
    }
    change = {"sentiment": draw(st.sampled_from([-1.0, 0.9]))}
    return _rebuild(p, events=_perturb_rows(draw, p.events, T, op, new, change)), set()


def _perturb_invoice(draw, p: Portfolio, T, op):
    inv = p.invoices
    later = inv.index[inv["issue_date"] >= T]
    if op == "add" or not len(later):
        issue = _day_at_or_after(draw, T)
        row = {
            "invoice_id": "I_new",
            "customer_id": draw(st.sampled_from(list(p.customers["customer_id"]))),
            "issue_date": issue,
            "due_date": issue + pd.Timedelta(days=14),
            "amount": 77.0,
            "currency": "EUR",
            "terms_days": 14,
            "paid_date": pd.NaT,
            "paid_amount": 0.0,
            "status": "open",
        }
        if not _lines_mode(p) and draw(st.booleans()):
            row.update(paid_date=issue + pd.Timedelta(days=3), paid_amount=77.0, status="paid")
        return _rebuild(p, invoices=pd.concat([inv, pd.DataFrame([row])], ignore_index=True)), {
            "I_new"
        }
    i = draw(st.sampled_from(list(later)))
    victim = inv.loc[i, "invoice_id"]
    if op == "delete":
        keep = lambda f: f[f["invoice_id"] != victim] if "invoice_id" in f else f  # noqa: E731
        return _rebuild(
            p,
            invoices=inv.drop(index=i),
            payments=keep(p.payments),
            contacts=keep(p.contacts),
            events=keep(p.events),
        ), {victim}
    changed = inv.copy()
    changed.loc[i, "amount"] = draw(st.sampled_from([1.0, 500.0]))
    changed.loc[i, "due_date"] = changed.loc[i, "issue_date"] + pd.Timedelta(
        days=draw(st.integers(0, 60))
    )
    changed.loc[i, "terms_days"] = (changed.loc[i, "due_date"] - changed.loc[i, "issue_date"]).days
    return _rebuild(p, invoices=changed), {victim}

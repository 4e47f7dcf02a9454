"""Step 2 of feature preparation: one coded block of customers on a clock, with settlements.

:func:`prepare_book` takes a block in the coded form of :mod:`dso_model.features.encode` and
derives, per invoice: payment lines (the payments table; an invoice with a paid date but no
payment lines, as in the IBM benchmark, counts as paid in full on its paid date), the settlement
time (when its payments first add up to its amount, within rounding), the write-off time (its
first ``write_off`` event) and the close time (the earlier of the two).

Nothing here reads ``invoices.status``, ``paid_amount`` or any column describing the extraction
date: those would leak the future into past cut-offs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dso_model.contract.spec import AMOUNT_TOLERANCE
from dso_model.features.encode import EVENT_CODE, Coded, Coverage
from dso_model.features.timeline import DAY, NAT, NEVER, Clock, Timeline, build_timeline


def relabel(frame: pd.DataFrame, **maps: np.ndarray) -> pd.DataFrame:
    """Replace global codes by block-local ones (``-1`` stays ``-1``)."""
    frame = frame.reset_index(drop=True)
    for column, local in maps.items():
        codes = frame[column].to_numpy()
        frame[column] = (
            np.where(codes >= 0, local[np.maximum(codes, 0)], -1) if len(local) else codes
        )
    return frame


@dataclass
class Invoices:
    """Invoices in code order: sorted by (customer, issue time, input row); times on the clock."""

    cust: np.ndarray
    issue: np.ndarray
    due: np.ndarray
    amount: np.ndarray
    terms: np.ndarray
    currency: np.ndarray
    settle: np.ndarray
    close: np.ndarray

    def __len__(self) -> int:
        return len(self.cust)


@dataclass
class Lines:
    """Payment lines sorted by (invoice code, time, input row)."""

    inv: np.ndarray
    cust: np.ndarray
    time: np.ndarray
    amount: np.ndarray
    real: np.ndarray
    partial: np.ndarray


@dataclass
class Book:
    """One block of customers, coded and on one clock, with derived settlements."""

    clock: Clock
    ncust: int
    customers: pd.DataFrame
    inv: Invoices
    lines: Lines
    by_invoice: Timeline  # payment lines keyed by invoice: amount and partial running sums
    contacts: pd.DataFrame  # cust, inv, time, channel, rank, hour, day; sorted by (cust, time)
    events: pd.DataFrame  # cust, inv, time, type, channel, sentiment, value; sorted by (cust, time)
    coverage: Coverage


@dataclass
class Targets:
    """The rows to compute, sorted by (invoice code, cut-off); ``row`` is the input position."""

    row: np.ndarray
    inv: np.ndarray
    cust: np.ndarray
    t: np.ndarray
    t_abs: np.ndarray


def prepare_book(coded: Coded, cuts: pd.DataFrame, coverage: Coverage) -> tuple[Book, Targets]:
    """Put one block on a clock, order its invoices and derive settlements and close times."""
    invoices = coded.invoices
    order = np.lexsort(
        (np.arange(len(invoices)), invoices["issue"].to_numpy(), invoices["cust"].to_numpy())
    )
    code_of_row = np.empty(len(order), np.int64)
    code_of_row[order] = np.arange(len(order))
    clock = Clock.spanning(
        invoices["issue"].to_numpy(),
        invoices["paid"].to_numpy(),
        cuts["t"].to_numpy(),
        coded.payments["time"].to_numpy(),
        coded.contacts["time"].to_numpy(),
        coded.events["time"].to_numpy(),
    )
    payments = relabel(coded.payments, inv=code_of_row)
    events = relabel(coded.events, inv=code_of_row)
    inv, lines = derive_invoices(invoices.take(order), payments, events, clock)
    by_invoice = build_timeline(
        lines.inv,
        lines.time,
        len(inv),
        presorted=True,
        cumulative={"amount": lines.amount, "partial": lines.partial},
    )
    book = Book(
        clock=clock,
        ncust=len(coded),
        customers=coded.customers,
        inv=inv,
        lines=lines,
        by_invoice=by_invoice,
        contacts=on_clock(relabel(coded.contacts, inv=code_of_row), clock, day=True),
        events=on_clock(events, clock),
        coverage=coverage,
    )
    return book, targets(relabel(cuts, inv=code_of_row), inv, clock)


def on_clock(frame: pd.DataFrame, clock: Clock, day: bool = False) -> pd.DataFrame:
    """Times relative to the clock (plus the start of the day), rows sorted by (customer, time)."""
    frame = frame.copy()
    seconds = frame["time"].to_numpy()
    frame["time"] = clock.rel(seconds.copy())
    if day:
        frame["day"] = clock.rel(seconds - seconds % DAY)
    order = np.lexsort((np.arange(len(frame)), frame["time"].to_numpy(), frame["cust"].to_numpy()))
    return frame.take(order).reset_index(drop=True)


def derive_invoices(
    frame: pd.DataFrame, payments: pd.DataFrame, events: pd.DataFrame, clock: Clock
) -> tuple[Invoices, Lines]:
    """Invoice arrays in code order, payment lines, settlement and close times."""
    amount = frame["amount"].to_numpy(np.float64)
    cust = frame["cust"].to_numpy(np.int64)
    lines = payment_lines(frame, payments, clock)
    lines.cust = cust[lines.inv]
    settle = settlement_times(lines, amount)
    inv = Invoices(
        cust=cust,
        issue=clock.rel(frame["issue"].to_numpy()),
        due=clock.rel(frame["due"].to_numpy()),
        amount=amount,
        terms=frame["terms"].to_numpy(np.float64),
        currency=frame["currency"].to_numpy(),
        settle=settle,
        close=np.minimum(settle, write_off_times(events, len(frame), clock)),
    )
    return inv, lines


def payment_lines(frame: pd.DataFrame, payments: pd.DataFrame, clock: Clock) -> Lines:
    """Real payment lines, plus one full payment on the paid date for invoices without lines."""
    real_inv = payments["inv"].to_numpy(np.int64)
    has_lines = np.zeros(len(frame), bool)
    has_lines[real_inv] = True
    paid = frame["paid"].to_numpy()
    synthetic = np.flatnonzero((paid != NAT) & ~has_lines)
    inv = np.concatenate([real_inv, synthetic])
    time = np.concatenate([clock.rel(payments["time"].to_numpy()), clock.rel(paid[synthetic])])
    amount = np.concatenate(
        [payments["amount"].to_numpy(np.float64), frame["amount"].to_numpy(np.float64)[synthetic]]
    )
    real = np.arange(len(inv)) < len(real_inv)
    order = np.lexsort((np.arange(len(inv)), time, inv))
    lines = Lines(
        inv=inv[order],
        cust=np.empty(0, np.int64),
        time=time[order],
        amount=amount[order],
        real=real[order],
        partial=np.zeros(len(inv), bool),
    )
    lines.partial = lines.real & ~settling_lines(lines, frame["amount"].to_numpy(np.float64))
    return lines


def settlement_threshold(amount: np.ndarray) -> np.ndarray:
    """Payments reaching this much settle an invoice (the contract's rounding tolerance)."""
    return amount - AMOUNT_TOLERANCE * np.maximum(1.0, amount)


def settling_lines(lines: Lines, amount: np.ndarray) -> np.ndarray:
    """True for the lines at or after which the invoice's running total reaches its amount."""
    if not len(lines.inv):
        return np.zeros(0, bool)
    running = pd.Series(lines.amount).groupby(lines.inv, sort=False).cumsum().to_numpy()
    return running >= settlement_threshold(amount[lines.inv])


def settlement_times(lines: Lines, amount: np.ndarray) -> np.ndarray:
    settle = np.full(len(amount), NEVER, dtype=np.int64)
    settled = settling_lines(lines, amount)
    first_inv, first_pos = np.unique(lines.inv[settled], return_index=True)
    settle[first_inv] = lines.time[settled][first_pos]
    return settle


def write_off_times(events: pd.DataFrame, ninv: int, clock: Clock) -> np.ndarray:
    """First write-off event per invoice (``NEVER`` if none)."""
    out = np.full(ninv, NEVER, dtype=np.int64)
    wo = events[(events["type"] == EVENT_CODE["write_off"]) & (events["inv"] >= 0)]
    np.minimum.at(out, wo["inv"].to_numpy(), clock.rel(wo["time"].to_numpy()))
    return out


def targets(cuts: pd.DataFrame, inv: Invoices, clock: Clock) -> Targets:
    code, t_abs = cuts["inv"].to_numpy(), cuts["t"].to_numpy()
    order = np.lexsort((t_abs, code))
    return Targets(
        row=cuts["row"].to_numpy()[order],
        inv=code[order],
        cust=inv.cust[code[order]],
        t=clock.rel(t_abs[order].copy()),
        t_abs=t_abs[order],
    )

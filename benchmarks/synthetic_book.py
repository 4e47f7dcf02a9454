"""Fast, vectorised synthetic portfolios of any size, for benchmarks (valid by construction).

Not a behavioural simulator (see ``dso_model.sim`` for that): just realistic shapes and volumes.
Each customer has the same number of invoices, issued every few weeks; most are paid (some in two
instalments, some late), the latest ones may still be open; contacts cluster around due dates.
The portfolio is built with the dataclass constructor, skipping validation, which at tens of
millions of rows would cost more than the features themselves; ``validate=True`` runs it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dso_model.contract.portfolio import Portfolio
from dso_model.contract.spec import CHANNELS, CONTACT_OUTCOMES, LANGUAGES, SEGMENTS, TEMPLATES

START = np.datetime64("2021-01-01", "D")
COUNTRIES = np.array(["ES", "US", "MX", "FR", "DE", "GB"])


def ids(prefix: str, n: int, width: int) -> pd.Series:
    """``prefix`` + zero-padded row numbers, built in Arrow (compact, no Python strings)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    digits = pc.utf8_lpad(pa.array(np.arange(n)).cast(pa.string()), width, padding="0")
    return pd.Series(
        pd.arrays.ArrowStringArray(pc.binary_join_element_wise(prefix, digits, "")), dtype="str"
    )


def pick(rng: np.random.Generator, values, n: int, p=None) -> pd.Series:
    return from_codes(values, rng.choice(len(values), size=n, p=p))


def from_codes(values, codes: np.ndarray) -> pd.Series:
    """Strings ``values[codes]`` built in Arrow, without a wide numpy unicode array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    taken = pc.take(pa.array(list(values), pa.large_string()), pa.array(codes))
    return pd.Series(pd.arrays.ArrowStringArray(taken), dtype="str")


def make_customers(rng: np.random.Generator, n: int) -> pd.DataFrame:
    enriched = rng.random(n) < 0.7
    frame = pd.DataFrame(
        {
            "customer_id": ids("C", n, 7),
            "created_date": (START - rng.integers(0, 2000, n)).astype("datetime64[ns]"),
            "segment": pick(rng, SEGMENTS, n, [0.6, 0.3, 0.1]),
            "country": pick(rng, COUNTRIES, n),
            "language": pick(rng, LANGUAGES, n),
            "credit_limit": np.where(enriched, rng.choice([1000.0, 5000.0, 20000.0], n), np.nan),
            "spend_level": np.where(enriched, rng.gamma(2.0, 400.0, n), np.nan),
            "spend_trend": np.where(enriched, rng.normal(0, 0.2, n), np.nan),
            "autopay": pd.array(np.where(enriched, rng.random(n) < 0.2, False), dtype="boolean"),
            "paperless": pd.array(rng.random(n) < 0.5, dtype="boolean"),
        }
    )
    for ch in CHANNELS:
        frame[f"opt_out_{ch}"] = rng.random(n) < 0.03
    return frame


def make_invoices(rng: np.random.Generator, n_cust: int, per: int):
    n = n_cust * per
    cust = np.repeat(np.arange(n_cust), per)
    gaps = rng.integers(5, 40, n).reshape(n_cust, per)
    issue = START + (rng.integers(0, 60, n_cust)[:, None] + np.cumsum(gaps, axis=1)).ravel()
    terms = rng.choice([0, 15, 30, 60], n, p=[0.1, 0.3, 0.5, 0.1])
    due = issue + terms
    lateness = np.repeat(rng.gamma(1.0, 6.0, n_cust), per)
    pay_day = due + np.round(rng.normal(lateness - 3, 6, n)).astype(np.int64)
    pay_day = np.maximum(pay_day, issue)
    last = issue.max()
    open_ = pay_day > last - 10
    amount = np.round(rng.lognormal(5.5, 1.0, n), 2) + 1.0
    return cust, issue, due, terms, pay_day, open_, amount


def make_payments(rng, inv_ids, issue, pay_day, open_, amount):
    """One line per paid invoice; 10 % paid in two instalments, 3 % of open ones partly paid."""
    split = (rng.random(len(amount)) < 0.1) & ~open_
    partial_open = open_ & (rng.random(len(amount)) < 0.03)
    first_day = np.where(
        split, np.maximum(issue, pay_day - rng.integers(1, 20, len(amount))), pay_day
    )
    first_day = np.where(partial_open, issue + 1, first_day)
    first_amt = np.where(split | partial_open, np.round(amount * 0.4, 2), amount)
    take_first = ~open_ | partial_open
    rows_first = np.flatnonzero(take_first)
    rows_second = np.flatnonzero(split)
    inv = np.concatenate([rows_first, rows_second])
    when = np.concatenate([first_day[rows_first], pay_day[rows_second]])
    amt = np.concatenate(
        [first_amt[rows_first], np.round(amount[rows_second] - first_amt[rows_second], 2)]
    )
    paid_amount = np.bincount(inv, weights=amt, minlength=len(amount))
    payments = pd.DataFrame(
        {
            "payment_id": ids("P", len(inv), 9),
            "invoice_id": inv_ids.take(inv).reset_index(drop=True),
            "payment_date": when.astype("datetime64[ns]"),
            "amount": amt,
        }
    )
    return payments, paid_amount


def make_contacts(rng, n_contacts, cust_ids, inv_ids, cust, due):
    which = rng.integers(0, len(inv_ids), n_contacts)
    offset = rng.integers(-5, 20, n_contacts).astype("timedelta64[D]") + rng.integers(
        8 * 60, 20 * 60, n_contacts
    ).astype("timedelta64[m]")
    stamp = (due[which].astype("datetime64[m]") + offset).astype("datetime64[ns]")
    templates = sorted(TEMPLATES)
    template = rng.integers(0, len(templates), n_contacts)
    frame = pd.DataFrame(
        {
            "contact_id": ids("K", n_contacts, 9),
            "customer_id": cust_ids.take(cust[which]).reset_index(drop=True),
            "invoice_id": inv_ids.take(which).reset_index(drop=True),
            "timestamp": stamp,
            "channel": pick(rng, CHANNELS, n_contacts, [0.45, 0.25, 0.15, 0.05, 0.10]),
            "template": from_codes(templates, template),
            "tone": from_codes([TEMPLATES[t][1] for t in templates], template),
            "outcome": pick(rng, CONTACT_OUTCOMES, n_contacts, [0.05, 0.45, 0.3, 0.15, 0.05]),
        }
    )
    return frame


def make_events(rng, n_events, cust_ids, inv_ids, cust, issue):
    kinds = np.array(
        [
            "dispute_opened",
            "dispute_resolved",
            "promise_to_pay",
            "promise_kept",
            "promise_broken",
            "plan_requested",
            "complaint",
            "social_mention",
        ]
    )
    which = rng.integers(0, len(inv_ids), n_events)
    kind_code = rng.integers(0, len(kinds), n_events)
    kind = kinds[kind_code]
    stamp = (
        issue[which].astype("datetime64[m]")
        + rng.integers(0, 60 * 24 * 40, n_events).astype("timedelta64[m]")
    ).astype("datetime64[ns]")
    mention = (kind == "social_mention") | (kind == "complaint")
    return pd.DataFrame(
        {
            "event_id": ids("E", n_events, 9),
            "customer_id": cust_ids.take(cust[which]).reset_index(drop=True),
            "invoice_id": pd.Series(
                np.where(kind == "dispute_opened", inv_ids.take(which).to_numpy(), None),
                dtype="str",
            ),
            "timestamp": stamp,
            "event_type": from_codes(kinds, kind_code),
            "channel": pd.Series([None] * n_events, dtype="str"),
            "sentiment": np.where(mention, np.round(rng.uniform(-1, 1, n_events), 2), np.nan),
            "value": np.nan,
        }
    )


def synthetic_portfolio(
    n_customers: int,
    invoices_per_customer: int = 20,
    contacts_per_invoice: float = 1.0,
    events_per_invoice: float = 0.05,
    seed: int = 0,
    validate: bool = False,
) -> Portfolio:
    """A portfolio of ``n_customers * invoices_per_customer`` invoices with payments, contacts, events."""
    rng = np.random.default_rng(seed)
    customers = make_customers(rng, n_customers)
    cust, issue, due, terms, pay_day, open_, amount = make_invoices(
        rng, n_customers, invoices_per_customer
    )
    inv_ids = ids("I", len(cust), 9)
    payments, paid_amount = make_payments(rng, inv_ids, issue, pay_day, open_, amount)
    invoices = pd.DataFrame(
        {
            "invoice_id": inv_ids,
            "customer_id": customers["customer_id"].take(cust).reset_index(drop=True),
            "issue_date": issue.astype("datetime64[ns]"),
            "due_date": due.astype("datetime64[ns]"),
            "amount": amount,
            "currency": from_codes(["EUR"], np.zeros(len(cust), np.int64)),
            "terms_days": terms.astype(np.int64),
            "paid_date": pd.Series(
                np.where(open_, np.datetime64("NaT"), pay_day).astype("datetime64[ns]")
            ),
            "paid_amount": paid_amount,
            "status": from_codes(
                ["paid", "partially_paid", "open"],
                np.where(~open_, 0, np.where(paid_amount > 0, 1, 2)),
            ),
        }
    )
    contacts = make_contacts(
        rng, int(len(cust) * contacts_per_invoice), customers["customer_id"], inv_ids, cust, due
    )
    events = make_events(
        rng, int(len(cust) * events_per_invoice), customers["customer_id"], inv_ids, cust, issue
    )
    if validate:
        return Portfolio.from_tables(
            customers, invoices, payments, contacts, events, name="synthetic"
        )
    as_of = pd.Timestamp(max(issue.max(), pay_day.max())) + pd.Timedelta(days=1)
    return Portfolio(customers, invoices, payments, contacts, events, as_of=as_of, name="synthetic")

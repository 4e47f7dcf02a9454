"""Step 1 of feature preparation: ids to integer codes, times to seconds, blocks of customers.

:func:`encode_portfolio` turns every id into an integer code (the row position of the customer or
invoice), every time into whole epoch seconds and every category into a small code; string work
happens here only. :func:`split_by_customer` cuts a large portfolio into blocks of whole customers
(the features of one customer never need another customer's rows) and carries the codes it had
to resolve for routing to each block. :class:`Coverage` records when each optional source starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dso_model.contract.spec import CHANNELS, CONTACT_OUTCOMES, EVENT_TYPES
from dso_model.errors import DsoInputError
from dso_model.features.encoding import CategoryEncoder, lookup
from dso_model.features.timeline import DAY, NAT, epoch_seconds

OUTCOME_RANK = {outcome: rank for rank, outcome in enumerate(CONTACT_OUTCOMES)}
EVENT_CODE = {event: code for code, event in enumerate(EVENT_TYPES)}
CHANNEL_CODE = {channel: code for code, channel in enumerate(CHANNELS)}
ENRICHMENT = ("credit_limit", "spend_level", "spend_trend", "autopay", "paperless")


# Event kinds whose features share one coverage start: a source that never records complaints
# (say) gives missing complaint features, even if it records other events.
EVENT_GROUPS: dict[str, tuple[str, ...]] = {
    "disputes": ("dispute_opened", "dispute_resolved"),
    "promises": ("promise_to_pay", "promise_kept", "promise_broken"),
    "plans": ("plan_requested", "plan_agreed"),
    "write_offs": ("write_off",),
    "reputation": ("complaint", "social_mention"),
}


@dataclass(frozen=True)
class Coverage:
    """When each optional source starts: before its first record, its features are missing.

    Computed on the whole portfolio (not per block), as epoch seconds or ``None`` for a source
    without records: payment lines, contacts, and each group of event kinds (``EVENT_GROUPS``).
    Deciding from the first record keeps the rule point-in-time: records at or after a cut-off
    can never turn that cut-off's features from missing to zero.
    """

    payment_lines: int | None
    contacts: int | None
    events: tuple[tuple[str, int | None], ...]

    @classmethod
    def of(cls, portfolio) -> Coverage:
        events = portfolio.events
        starts = []
        for group, kinds in EVENT_GROUPS.items():
            mine = events[events["event_type"].isin(kinds)] if len(events) else events
            starts.append((group, _first_second(mine, "timestamp")))
        return cls(
            payment_lines=_first_second(portfolio.payments, "payment_date"),
            contacts=_first_second(portfolio.contacts, "timestamp"),
            events=tuple(starts),
        )

    def event_group(self, group: str) -> int | None:
        return dict(self.events)[group]


def _first_second(frame: pd.DataFrame, column: str) -> int | None:
    if not len(frame):
        return None
    first = frame[column].min()
    return None if pd.isna(first) else int(epoch_seconds(pd.Series([first]))[0])


CODE = "_code"  # codes resolved while splitting by customer, carried to the block's encoder

# What the encoders read of a block's tables once the block's codes travel in ``CODE`` (the
# customers of a block are a plain slice, taken whole): other columns stay behind when a
# portfolio is cut into blocks.
BLOCK_COLUMNS: dict[str, tuple[str, ...]] = {
    "invoices": (
        "invoice_id", "issue_date", "due_date", "paid_date", "amount", "terms_days", "currency",
    ),
    "payments": ("payment_date", "amount"),
    "contacts": ("invoice_id", "timestamp", "channel", "outcome"),
    "events": (
        "invoice_id", "timestamp", "event_type", "channel", "sentiment", "value",
    ),
}  # fmt: skip


@dataclass
class Coded:
    """A portfolio as integer codes and epoch seconds, one frame per table (no id strings).

    Customer and invoice codes are row positions in ``customers`` and ``invoices``; ``-1`` stands
    for "no invoice". Categories are codes of the category encoder or of the contract's lists.
    """

    customers: pd.DataFrame
    invoices: pd.DataFrame
    payments: pd.DataFrame
    contacts: pd.DataFrame
    events: pd.DataFrame

    def __len__(self) -> int:
        return len(self.customers)


def encode_portfolio(portfolio, encoder: CategoryEncoder) -> Coded:
    """Code every table of ``portfolio`` (see :class:`Coded`)."""
    customers = portfolio.customers
    invoices = portfolio.invoices
    cust_of_invoice = codes_or_lookup(invoices, "customer_id", customers["customer_id"])
    _require_known(cust_of_invoice, invoices, "invoices", "customer_id")
    return Coded(
        customers=encode_customers(customers, encoder),
        invoices=pd.DataFrame(
            {
                "cust": cust_of_invoice,
                "issue": epoch_seconds(invoices["issue_date"]),
                "due": epoch_seconds(invoices["due_date"]),
                "paid": epoch_seconds(invoices["paid_date"])
                if "paid_date" in invoices
                else np.full(len(invoices), NAT),
                "amount": invoices["amount"].to_numpy(np.float64),
                "terms": _terms(invoices),
                "currency": encoder.transform("currency", invoices["currency"]),
            }
        ),
        payments=encode_payments(portfolio.payments, invoices),
        contacts=encode_contacts(portfolio.contacts, customers, invoices),
        events=encode_events(portfolio.events, customers, invoices),
    )


def codes_or_lookup(frame: pd.DataFrame, column: str, universe: pd.Series) -> np.ndarray:
    """The codes :func:`split_by_customer` already attached (``_code``), else a look-up."""
    if CODE in frame:
        return frame[CODE].to_numpy(np.int64)
    return lookup(frame[column], universe) if len(frame) else np.empty(0, np.int64)


def _terms(invoices: pd.DataFrame) -> np.ndarray:
    if "terms_days" in invoices:
        return invoices["terms_days"].to_numpy(np.float64)
    return ((invoices["due_date"] - invoices["issue_date"]).dt.days).to_numpy(np.float64)


def _require_known(codes: np.ndarray, frame: pd.DataFrame, table: str, column: str) -> None:
    bad = codes < 0
    if bad.any():
        raise DsoInputError(
            f"{int(bad.sum())} row(s) refer to unknown ids",
            table=table,
            column=column,
            examples=frame.loc[bad, column].head(5).tolist(),
        )


def encode_customers(customers: pd.DataFrame, encoder: CategoryEncoder) -> pd.DataFrame:
    out = {
        "created": epoch_seconds(customers["created_date"]),
        "segment": encoder.transform("segment", customers["segment"]),
        "country": encoder.transform("country", customers["country"]),
        "language": encoder.transform("language", customers["language"]),
        "country_name": customers["country"].astype("str").to_numpy(dtype=object),
    }
    for name in (*ENRICHMENT, *(f"opt_out_{ch}" for ch in CHANNELS)):
        out[name] = _floats(customers, name)
    return pd.DataFrame(out)


def _floats(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A column as float64 (booleans as 0/1), NaN where absent or missing."""
    if name not in frame:
        return np.full(len(frame), np.nan)
    return frame[name].astype("float64").to_numpy(na_value=np.nan)


def encode_payments(payments: pd.DataFrame, invoices: pd.DataFrame) -> pd.DataFrame:
    inv = codes_or_lookup(payments, "invoice_id", invoices["invoice_id"])
    _require_known(inv, payments, "payments", "invoice_id")
    return pd.DataFrame(
        {
            "inv": inv,
            "time": epoch_seconds(payments["payment_date"])
            if len(payments)
            else np.empty(0, np.int64),
            "amount": payments["amount"].to_numpy(np.float64) if len(payments) else np.empty(0),
        }
    )


def encode_contacts(
    contacts: pd.DataFrame, customers: pd.DataFrame, invoices: pd.DataFrame
) -> pd.DataFrame:
    if not len(contacts):
        return pd.DataFrame(
            {c: np.empty(0, np.int64) for c in ("cust", "inv", "time", "channel", "rank", "hour")}
        )
    cust = codes_or_lookup(contacts, "customer_id", customers["customer_id"])
    _require_known(cust, contacts, "contacts", "customer_id")
    time = epoch_seconds(contacts["timestamp"])
    return pd.DataFrame(
        {
            "cust": cust,
            "inv": _optional_lookup(contacts, "invoice_id", invoices["invoice_id"]),
            "time": time,
            "channel": lookup(contacts["channel"], list(CHANNELS)),
            "rank": lookup(contacts["outcome"], list(CONTACT_OUTCOMES)),
            "hour": (time % DAY) // 3600,
        }
    )


def encode_events(
    events: pd.DataFrame, customers: pd.DataFrame, invoices: pd.DataFrame
) -> pd.DataFrame:
    cols = ("cust", "inv", "time", "type", "channel", "sentiment", "value")
    if not len(events):
        return pd.DataFrame(
            {c: np.empty(0, np.float64 if c in ("sentiment", "value") else np.int64) for c in cols}
        )
    cust = codes_or_lookup(events, "customer_id", customers["customer_id"])
    _require_known(cust, events, "events", "customer_id")
    return pd.DataFrame(
        {
            "cust": cust,
            "inv": _optional_lookup(events, "invoice_id", invoices["invoice_id"]),
            "time": epoch_seconds(events["timestamp"]),
            "type": lookup(events["event_type"], list(EVENT_TYPES)),
            "channel": lookup(events["channel"], list(CHANNELS))
            if "channel" in events
            else np.full(len(events), -1),
            "sentiment": _floats(events, "sentiment"),
            "value": _floats(events, "value"),
        }
    )


def _optional_lookup(frame: pd.DataFrame, column: str, universe: pd.Series) -> np.ndarray:
    return lookup(frame[column], universe) if column in frame else np.full(len(frame), -1, np.int64)


def encode_cutoffs(cutoffs: pd.DataFrame, invoices: pd.DataFrame) -> pd.DataFrame:
    """Cut-offs as (invoice code, epoch seconds, input row)."""
    if CODE in cutoffs:
        inv = cutoffs[CODE].to_numpy(np.int64)
    else:
        inv = positions_of(cutoffs["invoice_id"], invoices["invoice_id"])
    if (inv < 0).any():
        bad = cutoffs.loc[inv < 0, "invoice_id"].head(5).tolist()
        raise DsoInputError(
            "cut-offs name invoices that are not in the portfolio",
            table="cutoffs",
            column="invoice_id",
            examples=bad,
        )
    t = epoch_seconds(cutoffs["cutoff"])
    if (t == NAT).any():
        raise DsoInputError("missing cut-off dates", table="cutoffs", column="cutoff")
    row = cutoffs["_row"].to_numpy(np.int64) if "_row" in cutoffs else np.arange(len(cutoffs))
    return pd.DataFrame({"inv": inv, "t": t, "row": row})


def positions_of(ids: pd.Series, universe: pd.Series) -> np.ndarray:
    """Like :func:`lookup`, with a shortcut when ``ids`` is ``universe`` in the same order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(ids) == len(universe) and len(ids):
        same = pc.all(
            pc.equal(pa.array(ids.astype("str")), pa.array(universe.astype("str")))
        ).as_py()
        if same:
            return np.arange(len(ids), dtype=np.int64)
    return lookup(ids, universe)


def split_by_customer(
    portfolio, cutoffs: pd.DataFrame, block_customers: int
) -> Iterator[tuple[object, pd.DataFrame]]:
    """Sub-portfolios of ``block_customers`` whole customers, each with its cut-offs.

    Routing rows to blocks needs their customer (payments and cut-offs through their invoice)
    resolved over the whole portfolio; those codes travel with the rows (as block-local codes in
    a ``_code`` column) so the block's encoder does not look them up again. ``cutoffs`` must carry
    ``_row``, the position of each cut-off in the caller's frame.
    """
    from dataclasses import replace

    customers = portfolio.customers
    size = max(1, block_customers)
    nblocks = max(1, -(-len(customers) // size))
    if nblocks == 1:
        yield portfolio, cutoffs
        return
    customer_ids, invoice_ids = customers["customer_id"], portfolio.invoices["invoice_id"]
    inv_cust = known(lookup(portfolio.invoices["customer_id"], customer_ids), "invoices")
    inv_block = inv_cust // size
    inv_local = local_positions(inv_block, nblocks)
    codes = {  # table -> (block of each row, block-local code of what the row refers to)
        "invoices": (inv_block, inv_cust % size),
        "contacts": by_customer(
            lookup(portfolio.contacts["customer_id"], customer_ids), size, "contacts"
        ),
        "events": by_customer(
            lookup(portfolio.events["customer_id"], customer_ids), size, "events"
        ),
    }
    pay_inv = known(positions_of(portfolio.payments["invoice_id"], invoice_ids), "payments")
    codes["payments"] = (inv_block[pay_inv], inv_local[pay_inv])
    cut_inv = known(positions_of(cutoffs["invoice_id"], invoice_ids), "cutoffs")
    cut_block, cut_local = inv_block[cut_inv], inv_local[cut_inv]
    slicers = {name: row_slicer(block, nblocks) for name, (block, _) in codes.items()}
    read = {name: columns_read(getattr(portfolio, name), name) for name in codes}
    cut_slicer = row_slicer(cut_block, nblocks)
    for b in range(nblocks):
        tables = {}
        for name, (_, local) in codes.items():
            rows = slicers[name](b)
            frame = getattr(portfolio, name)
            read = [c for c in BLOCK_COLUMNS[name] if c in frame]
            tables[name] = (
                frame[read].take(rows).reset_index(drop=True).assign(**{CODE: local[rows]})
            )
        tables["customers"] = customers.iloc[b * size : (b + 1) * size].reset_index(drop=True)
        rows = cut_slicer(b)
        yield (
            replace(portfolio, **tables),
            cutoffs.take(rows).reset_index(drop=True).assign(**{CODE: cut_local[rows]}),
        )


def columns_read(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """The columns of ``frame`` a block's encoder reads (see ``BLOCK_COLUMNS``)."""
    return frame[[c for c in BLOCK_COLUMNS[table] if c in frame]]


def known(codes: np.ndarray, table: str) -> np.ndarray:
    """``codes`` after checking that every reference resolved."""
    if (codes < 0).any():
        raise DsoInputError(
            f"{int((codes < 0).sum())} row(s) refer to unknown customers or invoices", table=table
        )
    return codes


def by_customer(cust: np.ndarray, size: int, table: str) -> tuple[np.ndarray, np.ndarray]:
    cust = known(cust, table)
    return cust // size, cust % size


def local_positions(block: np.ndarray, nblocks: int) -> np.ndarray:
    """Position of each row among the rows of its block, in row order."""
    order = np.argsort(block, kind="stable")
    starts = np.searchsorted(block[order], np.arange(nblocks))
    local = np.empty(len(block), np.int64)
    local[order] = np.arange(len(block)) - np.repeat(starts, np.diff(np.append(starts, len(block))))
    return local


def row_slicer(block: np.ndarray, nblocks: int):
    """A function giving the row positions of each block (in their original order)."""
    order = np.argsort(block, kind="stable").astype(np.int64)
    bounds = np.searchsorted(block[order], np.arange(nblocks + 1))
    return lambda b: order[bounds[b] : bounds[b + 1]]

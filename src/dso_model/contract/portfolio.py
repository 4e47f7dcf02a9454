"""The Portfolio: the five validated canonical tables of one collections book."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd

from dso_model.contract.lookup import contains, map_dates, map_values, positions_in
from dso_model.contract.schemas import validate_table
from dso_model.contract.spec import AMOUNT_TOLERANCE, TABLES
from dso_model.errors import DsoInputError

TABLE_NAMES = ("customers", "invoices", "payments", "contacts", "events")


def empty_table(table: str) -> pd.DataFrame:
    """An empty frame with the required columns of ``table``."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in TABLES[table].required_columns})


@dataclass(frozen=True)
class Portfolio:
    """Customers, invoices, payments, contacts and events, validated against the contract.

    ``as_of`` is the extraction date: what the tables know is known strictly before it. Build one
    with :meth:`from_tables`, which validates; the dataclass constructor trusts its input.
    """

    customers: pd.DataFrame
    invoices: pd.DataFrame
    payments: pd.DataFrame
    contacts: pd.DataFrame
    events: pd.DataFrame
    as_of: pd.Timestamp
    name: str = "portfolio"

    @classmethod
    def from_tables(
        cls,
        customers: pd.DataFrame,
        invoices: pd.DataFrame,
        payments: pd.DataFrame | None = None,
        contacts: pd.DataFrame | None = None,
        events: pd.DataFrame | None = None,
        *,
        as_of: str | pd.Timestamp | None = None,
        name: str = "portfolio",
        sources: dict[str, str] | None = None,
    ) -> Portfolio:
        """Validate every table and the references between them.

        ``sources`` maps a table name to the file it came from, for error messages; each frame's
        index should be the row number in that file.
        """
        sources = sources or {}
        raw = {
            "customers": customers,
            "invoices": invoices,
            "payments": payments if payments is not None else empty_table("payments"),
            "contacts": contacts if contacts is not None else empty_table("contacts"),
            "events": events if events is not None else empty_table("events"),
        }
        tables = {t: validate_table(df, t, sources.get(t)) for t, df in raw.items()}
        positions = ReferencePositions(tables)
        check_references(tables, sources, positions)
        check_payments_match(tables, sources, positions)
        if as_of is None:
            as_of = _latest_date(tables) + pd.Timedelta(days=1)
        tables = {t: df.reset_index(drop=True) for t, df in tables.items()}
        return cls(**tables, as_of=pd.Timestamp(as_of).normalize(), name=name)

    # ------------------------------------------------------------------ persistence
    def to_parquet(self, folder: str | os.PathLike[str]) -> Path:
        """Write each table as ``<folder>/<table>.parquet`` (atomically) plus ``meta.json``."""
        import json

        from dso_model.io.atomic import write_parquet_atomic, write_text_atomic

        folder = Path(folder)
        for table in TABLE_NAMES:
            write_parquet_atomic(getattr(self, table), folder / f"{table}.parquet")
        meta = {"name": self.name, "as_of": self.as_of.date().isoformat()}
        write_text_atomic(folder / "meta.json", json.dumps(meta, indent=2) + "\n")
        return folder

    @classmethod
    def from_parquet(cls, folder: str | os.PathLike[str], validate: bool = True) -> Portfolio:
        """Read a folder written by :meth:`to_parquet`."""
        import json

        folder = Path(folder)
        if not (folder / "invoices.parquet").exists():
            raise DsoInputError("not a portfolio folder (no invoices.parquet)", file=str(folder))
        frames = {}
        for table in TABLE_NAMES:
            path = folder / f"{table}.parquet"
            frames[table] = pd.read_parquet(path) if path.exists() else empty_table(table)
        meta_path = folder / "meta.json"
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        sources = {t: str(folder / f"{t}.parquet") for t in TABLE_NAMES}
        if not validate:
            return cls(
                **frames, as_of=pd.Timestamp(meta["as_of"]), name=meta.get("name", "portfolio")
            )
        return cls.from_tables(
            **frames, as_of=meta.get("as_of"), name=meta.get("name", folder.name), sources=sources
        )

    # ------------------------------------------------------------------ point in time
    def snapshot(self, as_of: str | pd.Timestamp) -> Portfolio:
        """The portfolio as it was known at the start of ``as_of``.

        Invoices issued on or after ``as_of`` disappear; payments, contacts and events at or after
        it are dropped; invoice status, paid amount and paid date are recomputed from the payments
        and write-offs known before it.
        """
        t = pd.Timestamp(as_of)
        inv = self.invoices[self.invoices["issue_date"] < t]
        all_pay = effective_payments(self.invoices, self.payments)
        pay = all_pay[
            (all_pay["payment_date"] < t) & contains(all_pay["invoice_id"], inv["invoice_id"])
        ]
        events = self.events[self.events["timestamp"] < t]
        contacts = self.contacts[self.contacts["timestamp"] < t]
        customers = self.customers[self.customers["created_date"] < t]
        inv = invoice_status_as_of(inv, pay, events, t)
        if not len(self.payments):
            pay = self.payments
        return replace(
            self,
            customers=customers.reset_index(drop=True),
            invoices=inv.reset_index(drop=True),
            payments=pay.reset_index(drop=True),
            contacts=contacts.reset_index(drop=True),
            events=events.reset_index(drop=True),
            as_of=t.normalize(),
        )

    def summary_counts(self) -> dict[str, int]:
        return {t: len(getattr(self, t)) for t in TABLE_NAMES}

    def with_tables(self, **tables: pd.DataFrame) -> Portfolio:
        unknown = set(tables) - {f.name for f in fields(self)}
        if unknown:
            raise TypeError(f"unknown tables: {sorted(unknown)}")
        return replace(self, **tables)


STATUS_BY_CODE = np.array(["paid", "written_off", "partially_paid", "open"], dtype=object)


def invoice_status_as_of(
    invoices: pd.DataFrame, payments: pd.DataFrame, events: pd.DataFrame, t: pd.Timestamp
) -> pd.DataFrame:
    """Recompute paid amount, paid date and status from payments and write-offs before ``t``.

    ``payments`` are the lines known before ``t`` (see :func:`effective_payments` for sources that
    only carry a paid date).
    """
    inv = invoices.copy(deep=False)  # copy-on-write: the new columns leave ``invoices`` as it is
    pay = payments.sort_values("payment_date", kind="stable")
    by_invoice = pay.groupby("invoice_id")["amount"]  # the ids are hashed once for both
    cum = by_invoice.cumsum()
    totals = by_invoice.sum()
    due_amount = map_values(pay["invoice_id"], inv.set_index("invoice_id")["amount"])
    settled = cum.to_numpy() >= due_amount - AMOUNT_TOLERANCE * np.maximum(1.0, due_amount)
    settle_date = pay.loc[settled].groupby("invoice_id")["payment_date"].min()
    inv["paid_amount"] = map_values(inv["invoice_id"], totals, fill=0.0)
    inv["paid_date"] = map_dates(inv["invoice_id"], settle_date)
    written_off = np.zeros(len(inv), dtype=bool)
    if len(events):
        wo = events[(events["event_type"] == "write_off") & events["invoice_id"].notna()]
        written_off = contains(inv["invoice_id"], wo["invoice_id"])
    status = np.select(
        [
            inv["paid_date"].notna().to_numpy(),
            written_off,
            (inv["paid_amount"] > 0).to_numpy(),
        ],
        [0, 1, 2],
        default=3,
    )
    inv["status"] = pd.array(STATUS_BY_CODE[status], dtype="str")
    return inv


def _latest_date(tables: dict[str, pd.DataFrame]) -> pd.Timestamp:
    candidates = [
        tables["invoices"]["issue_date"].max(),
        tables["invoices"]["paid_date"].max(),
        tables["payments"]["payment_date"].max() if len(tables["payments"]) else pd.NaT,
        tables["contacts"]["timestamp"].max() if len(tables["contacts"]) else pd.NaT,
        tables["events"]["timestamp"].max() if len(tables["events"]) else pd.NaT,
    ]
    dates = [pd.Timestamp(d) for d in candidates if pd.notna(d)]
    if not dates:
        raise DsoInputError("the portfolio has no dated rows", table="invoices")
    return max(dates).normalize()


class ReferencePositions:
    """Where each row's reference points in the referenced table, looked up once per column."""

    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        self.tables = tables
        self._found: dict[tuple[str, str, str], np.ndarray] = {}

    def __call__(self, table: str, column: str, target: str) -> np.ndarray:
        """Positions of ``table.column`` in ``target`` (``"table.column"``, unique); -1 if absent."""
        key = (table, column, target)
        if key not in self._found:
            target_table, target_col = target.split(".")
            known = self.tables[target_table][target_col]  # unique: checked by the table schema
            self._found[key] = positions_in(self.tables[table][column], known)
        return self._found[key]


def _reference_error(
    tables, sources, table: str, column: str, target: str, positions: ReferencePositions
) -> None:
    df = tables[table]
    if column not in df or not len(df):
        return
    target_table = target.split(".")[0]
    values = df[column]
    bad = values.notna() & (positions(table, column, target) < 0)
    if bad.any():
        idx = df.index[bad.to_numpy()][:5]
        raise DsoInputError(
            f"{bad.sum()} row(s) refer to an unknown {target_table[:-1]} ({target})",
            file=sources.get(table),
            table=table,
            column=column,
            rows=[int(i) for i in idx],
            examples=list(df.loc[idx, column]),
        )


def check_references(
    tables: dict[str, pd.DataFrame],
    sources: dict[str, str],
    positions: ReferencePositions | None = None,
) -> None:
    """Every reference declared in the spec resolves."""
    positions = positions or ReferencePositions(tables)
    for table, spec in TABLES.items():
        for col in spec.columns:
            if col.references:
                _reference_error(tables, sources, table, col.name, col.references, positions)
    pay = tables["payments"]
    if len(pay):
        inv = tables["invoices"]
        issue = inv["issue_date"].to_numpy()[
            positions("payments", "invoice_id", "invoices.invoice_id")
        ]
        early = pay["payment_date"].to_numpy() < issue
        if early.any():
            idx = pay.index[early][:5]
            raise DsoInputError(
                "payment dated before its invoice's issue date",
                file=sources.get("payments"),
                table="payments",
                column="payment_date",
                rows=[int(i) for i in idx],
                examples=[str(v.date()) for v in pay.loc[idx, "payment_date"]],
            )


def _paid_per_invoice(pay: pd.DataFrame, inv: pd.DataFrame, pos: np.ndarray) -> np.ndarray:
    """Sum of the payments of each invoice, in the invoices' order, from the payments' positions
    among the invoices (payments of unknown invoices and missing amounts count for nothing)."""
    known = pos >= 0
    amount = np.nan_to_num(pay["amount"].to_numpy(dtype=float, na_value=np.nan))
    return np.bincount(pos[known], weights=amount[known], minlength=len(inv))


def check_payments_match(
    tables: dict[str, pd.DataFrame],
    sources: dict[str, str],
    positions: ReferencePositions | None = None,
) -> None:
    """When payments are given, they add up to each invoice's paid amount."""
    pay, inv = tables["payments"], tables["invoices"]
    if not len(pay):
        return
    positions = positions or ReferencePositions(tables)
    paid = _paid_per_invoice(pay, inv, positions("payments", "invoice_id", "invoices.invoice_id"))
    tol = AMOUNT_TOLERANCE * np.maximum(1.0, inv["amount"])
    bad = (paid - inv["paid_amount"]).abs() > tol
    if bad.any():
        idx = inv.index[bad.to_numpy()][:5]
        raise DsoInputError(
            "paid_amount differs from the sum of the invoice's payments",
            file=sources.get("invoices"),
            table="invoices",
            column="paid_amount",
            rows=[int(i) for i in idx],
            examples=list(inv.loc[idx, "invoice_id"]),
        )


def effective_payments(invoices: pd.DataFrame, payments: pd.DataFrame) -> pd.DataFrame:
    """The payment lines, or one full settlement per paid invoice when a source has none.

    Some sources (the IBM benchmark, many ERP extracts) give a settled date per invoice and no
    payment lines; for point-in-time work that is a single payment of the paid amount on that date.
    """
    if len(payments):
        return payments[["payment_id", "invoice_id", "payment_date", "amount"]]
    paid = invoices[invoices["paid_date"].notna() & (invoices["paid_amount"] > 0)]
    return pd.DataFrame(
        {
            "payment_id": "settle-" + paid["invoice_id"].astype(str),
            "invoice_id": paid["invoice_id"].to_numpy(),
            "payment_date": paid["paid_date"].to_numpy(),
            "amount": paid["paid_amount"].to_numpy(dtype=float),
        }
    ).reset_index(drop=True)

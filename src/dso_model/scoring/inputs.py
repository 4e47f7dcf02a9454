"""The scoring job's view of the portfolio: point in time, identifiers only, open invoices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dso_model.errors import DsoInputError
from dso_model.scoring.privacy import strip_personal_data

BOOK_COLUMNS = (
    "invoice_id",
    "customer_id",
    "issue_date",
    "due_date",
    "currency",
    "amount",
    "outstanding",
)


def resolve_as_of(
    portfolio, as_of: str | pd.Timestamp | None, today: pd.Timestamp | None = None
) -> pd.Timestamp:
    """The scoring date: ``as_of`` if given, else today, never later than the data's extraction.

    The extraction date is the first day the tables know nothing about; scoring later than that
    would treat every payment since as missing, so it is refused.
    """
    known_until = pd.Timestamp(portfolio.as_of).normalize()
    if as_of is None or str(as_of).lower() == "today":
        today = (today or pd.Timestamp.today()).normalize()
        return min(today, known_until)
    try:
        value = pd.Timestamp(as_of).normalize()
    except (ValueError, TypeError) as exc:
        raise DsoInputError(f"as_of '{as_of}' is not a date", column="as_of") from exc
    if value > known_until:
        raise DsoInputError(
            f"as_of {value.date()} is after the data's extraction date {known_until.date()}",
            column="as_of",
            hint="score at or before the extraction date (leave as_of unset for the latest)",
        )
    return value


def point_in_time(portfolio, as_of: pd.Timestamp):
    """The portfolio as known at the start of ``as_of``, without personal or free-text columns."""
    return strip_personal_data(portfolio).snapshot(as_of)


def open_book(snapshot, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per invoice open at ``as_of`` (open or partially paid), with what is still owed.

    Which invoices are open is decided as for the feature package's scoring cut-offs; rows keep
    the invoice table's order and the index is a plain range.
    """
    from dso_model.features.cutoffs import open_at

    inv = snapshot.invoices
    book = inv.loc[open_at(inv, as_of)]
    outstanding = np.clip(
        book["amount"].to_numpy(float) - book["paid_amount"].to_numpy(float), 0.0, None
    )
    return pd.DataFrame(
        {
            "invoice_id": book["invoice_id"].astype("str").to_numpy(),
            "customer_id": book["customer_id"].astype("str").to_numpy(),
            "issue_date": book["issue_date"].to_numpy("datetime64[ns]"),
            "due_date": book["due_date"].to_numpy("datetime64[ns]"),
            "currency": book["currency"].astype("str").to_numpy(),
            "amount": book["amount"].to_numpy(float),
            "outstanding": outstanding,
        }
    )


def cutoffs_for(book: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Every open invoice is scored with what was known strictly before ``as_of``."""
    return pd.DataFrame(
        {"invoice_id": book["invoice_id"].to_numpy(), "cutoff": np.datetime64(as_of, "ns")}
    )

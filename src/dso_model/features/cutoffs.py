"""Cut-offs: the moment at which each invoice's features are computed.

Features use only what was known strictly before the cut-off. A cut-off is a timestamp; a date
means the start of that day, so anything dated on the cut-off day itself is not yet known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dso_model.errors import DsoInputError

RULES = ("issue_date", "days_before_due")


def training_cutoffs(
    invoices: pd.DataFrame, rule: str = "issue_date", days: int = 0
) -> pd.DataFrame:
    """One cut-off per invoice for training and back-tests.

    ``issue_date``: the issue date plus ``days`` (0: the moment the invoice is issued).
    ``days_before_due``: ``days`` before the due date, but never before the issue date.
    """
    if rule not in RULES:
        raise DsoInputError(f"unknown cut-off rule '{rule}'", hint=f"use one of {', '.join(RULES)}")
    if days < 0:
        raise DsoInputError("cut-off days must be >= 0")
    issue = pd.to_datetime(invoices["issue_date"])
    if rule == "issue_date":
        cutoff = issue + pd.Timedelta(days=days)
    else:
        cutoff = (pd.to_datetime(invoices["due_date"]) - pd.Timedelta(days=days)).where(
            lambda c: c >= issue, issue
        )
    return pd.DataFrame(
        {"invoice_id": invoices["invoice_id"].to_numpy(), "cutoff": cutoff.to_numpy()}
    )


def scoring_cutoffs(invoices, as_of: str | pd.Timestamp) -> pd.DataFrame:
    """The invoices open at ``as_of`` (issued before it, not settled or written off before it).

    Pass a :class:`~dso_model.contract.portfolio.Portfolio` to decide from payments and
    write-off events known before ``as_of``; a bare invoices table is judged by its paid date and
    its ``written_off`` status.
    """
    t = pd.Timestamp(as_of)
    if hasattr(invoices, "snapshot"):
        known = invoices.snapshot(t).invoices
        open_ = known[known["status"].isin(["open", "partially_paid"])]
    else:
        open_ = invoices[open_at(invoices, t)]
    return pd.DataFrame({"invoice_id": open_["invoice_id"].to_numpy(), "cutoff": t})


def open_at(invoices: pd.DataFrame, as_of: str | pd.Timestamp) -> np.ndarray:
    """Which rows of a bare invoices table are open at ``as_of``: issued before it, not paid
    before it (by their paid date) and not written off."""
    t = pd.Timestamp(as_of)
    paid = (
        pd.to_datetime(invoices["paid_date"])
        if "paid_date" in invoices
        else pd.Series(pd.NaT, index=invoices.index)
    )
    status = invoices["status"] if "status" in invoices else pd.Series("open", index=invoices.index)
    keep = (pd.to_datetime(invoices["issue_date"]) < t) & ~(paid < t) & (status != "written_off")
    return keep.to_numpy(dtype=bool)

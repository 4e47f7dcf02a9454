"""Evaluation groups per invoice: segment, cold start vs history, and the simulator's true group."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd


def history_group(history: pd.DataFrame) -> pd.Series:
    """``cold_start`` when the customer had no paid invoice before the cut-off, else ``history``."""
    return (history["past_paid"] > 0).map({True: "history", False: "cold_start"})


def segment_group(invoices: pd.DataFrame, customers: pd.DataFrame) -> pd.Series:
    """The customer's segment for every invoice."""
    segment = customers.set_index("customer_id")["segment"]
    values = invoices["customer_id"].map(segment).to_numpy()
    return pd.Series(values, index=pd.Index(invoices["invoice_id"].to_numpy(), name="invoice_id"))


def latent_group(invoices: pd.DataFrame, truth: Any) -> pd.Series | None:
    """The simulator's true latent group of the customer in the month the invoice was issued."""
    monthly = getattr(truth, "monthly", None)
    if monthly is None or "latent_group" not in monthly:
        return None
    months = pd.DataFrame(
        {
            "invoice_id": invoices["invoice_id"].to_numpy(),
            "customer_id": invoices["customer_id"].to_numpy(),
            "month": _month_start(invoices["issue_date"]),
        }
    )
    table = monthly[["customer_id", "month", "latent_group"]].copy()
    table["month"] = _month_start(table["month"])
    table = table.drop_duplicates(["customer_id", "month"], keep="last")
    merged = months.merge(table, on=["customer_id", "month"], how="left")
    return pd.Series(
        merged["latent_group"].to_numpy(), index=pd.Index(merged["invoice_id"], name="invoice_id")
    )


def _month_start(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.PeriodDtype):
        return values.dt.to_timestamp().reset_index(drop=True)
    dates = pd.to_datetime(values)
    return dates.dt.to_period("M").dt.to_timestamp().reset_index(drop=True)


def evaluation_groups(data: Any, history: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """One column per requested grouping the data supports, indexed by invoice id."""
    portfolio = data.portfolio
    builders = {
        "segment": lambda: segment_group(portfolio.invoices, portfolio.customers),
        "history": lambda: history_group(history),
        "latent_group": lambda: latent_group(portfolio.invoices, getattr(data, "truth", None)),
    }
    out = {}
    for name in columns:
        series = builders[name]() if name in builders else None
        if series is not None:
            out[name] = series
    return pd.DataFrame(out)

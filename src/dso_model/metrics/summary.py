"""A portfolio at a glance: counts, dates, lateness and monthly DSO measures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dso_model.contract.portfolio import Portfolio
from dso_model.metrics.dso import dso_measures


def portfolio_summary(portfolio: Portfolio) -> dict[str, Any]:
    """Headline figures of a portfolio as of its extraction date."""
    inv = portfolio.invoices
    paid = inv[inv["paid_date"].notna()]
    days_late = (paid["paid_date"] - paid["due_date"]).dt.days
    status = inv["status"].value_counts()
    return {
        "name": portfolio.name,
        "as_of": portfolio.as_of.date().isoformat(),
        "customers": len(portfolio.customers),
        "invoices": len(inv),
        "first_issue_date": inv["issue_date"].min().date().isoformat() if len(inv) else None,
        "last_issue_date": inv["issue_date"].max().date().isoformat() if len(inv) else None,
        "open": int(status.get("open", 0)),
        "paid": int(status.get("paid", 0)),
        "partially_paid": int(status.get("partially_paid", 0)),
        "written_off": int(status.get("written_off", 0)),
        "payments": len(portfolio.payments),
        "contacts": len(portfolio.contacts),
        "events": len(portfolio.events),
        "share_paid_late": float((days_late > 0).mean()) if len(paid) else np.nan,
        "mean_days_late": float(days_late.clip(lower=0).mean()) if len(paid) else np.nan,
        "mean_days_after_due": float(days_late.mean()) if len(paid) else np.nan,
        "total_amount": float(inv["amount"].sum()),
    }


def monthly_dso(portfolio: Portfolio, by: str | None = None) -> pd.DataFrame:
    """DSO measures for every calendar month from the first invoice to the extraction date."""
    inv = portfolio.invoices
    start = inv["issue_date"].min().to_period("M").start_time
    return dso_measures(
        inv,
        portfolio.payments,
        start=start,
        end=portfolio.as_of,
        by=by,
        customers=portfolio.customers,
        events=portfolio.events,
    )

"""Training and evaluation data from the logs: contacts, their outcomes, and balance-days.

The unit of the response model is a logged contact about an invoice. Its treatment is whether the
message was read (opened, answered), its outcome the invoice's *balance-days* over the next
``horizon_days``: the integral of the unpaid share of the invoice, i.e. how many days' worth of the
full amount stayed outstanding. A payment that comes a week sooner saves seven balance-days; a
partial payment saves its share. Receivables, and so DSO, are balance-days summed over invoices.

Contacts less than ``horizon_days`` before the cut-off are censored (their horizon is not over)
and left out of training; nothing after the cut-off is read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dso_model.contract.portfolio import Portfolio, effective_payments
from dso_model.contract.spec import CONTACT_OUTCOMES

READ_OUTCOMES = CONTACT_OUTCOMES[CONTACT_OUTCOMES.index("opened") :]
PRE_DUE_TEMPLATES = ("pre_due_reminder", "due_today_notice")


def balance_days(
    units: pd.DataFrame,
    invoices: pd.DataFrame,
    payments: pd.DataFrame,
    horizon_days: int,
    *,
    start_column: str = "start",
) -> np.ndarray:
    """Balance-days of each unit's invoice over [start, start + horizon_days).

    ``units`` has invoice_id and a start date; payments before the start count as already made.
    A write-off is not a payment: a written-off balance stays outstanding to the horizon.
    """
    amount = units["invoice_id"].map(invoices.set_index("invoice_id")["amount"]).to_numpy(float)
    pay = effective_payments(invoices, payments)
    frame = pd.DataFrame(
        {
            "unit": np.arange(len(units)),
            "invoice_id": units["invoice_id"].to_numpy(),
            "start": pd.to_datetime(units[start_column]).dt.normalize().to_numpy(),
        }
    )
    joined = frame.merge(pay[["invoice_id", "payment_date", "amount"]], on="invoice_id")
    elapsed = (joined["payment_date"] - joined["start"]).dt.days.to_numpy(float)
    share = joined["amount"].to_numpy(float) / amount[joined["unit"].to_numpy()]
    in_horizon = elapsed < horizon_days
    # paid before the start: no balance-days; within the horizon: outstanding until then
    days = np.where(in_horizon, np.clip(elapsed, 0.0, None), 0.0) * share
    paid_share = np.where(in_horizon, share, 0.0)
    total_days = np.bincount(joined["unit"], weights=days, minlength=len(units))
    total_paid = np.bincount(joined["unit"], weights=paid_share, minlength=len(units))
    unpaid = np.clip(1.0 - total_paid, 0.0, 1.0)
    return total_days + unpaid * horizon_days


def contact_units(
    portfolio: Portfolio, cut: pd.Timestamp, horizon_days: int, customers=None
) -> pd.DataFrame:
    """Logged contacts about an invoice whose horizon ended before ``cut``, with read and outcome.

    Columns: contact_id, customer_id, invoice_id, send_date, hour, channel, template, tone, propensity,
    policy, offset (days from due), read (bool), y (balance-days over the horizon).
    """
    cut = pd.Timestamp(cut)
    con = portfolio.contacts
    con = con[
        con["invoice_id"].notna() & (con["timestamp"] < cut - pd.Timedelta(days=horizon_days))
    ]
    if customers is not None:
        con = con[con["customer_id"].isin(customers)]
    due = con["invoice_id"].map(portfolio.invoices.set_index("invoice_id")["due_date"])
    date = con["timestamp"].dt.normalize()
    units = pd.DataFrame(
        {
            "contact_id": con["contact_id"].to_numpy(),
            "customer_id": con["customer_id"].to_numpy(),
            "invoice_id": con["invoice_id"].to_numpy(),
            "send_date": date.to_numpy(),
            "hour": con["timestamp"].dt.hour.to_numpy(),
            "channel": con["channel"].to_numpy(),
            "template": con["template"].to_numpy(),
            "tone": _column(con, "tone"),
            "propensity": _column(con, "propensity", np.nan),
            "policy": _column(con, "policy"),
            "offset": (date - due).dt.days.to_numpy(),
            "read": con["outcome"].isin(READ_OUTCOMES).to_numpy(),
        }
    )
    units["y"] = balance_days(
        units, portfolio.invoices, portfolio.payments, horizon_days, start_column="send_date"
    )
    return units


def _column(frame: pd.DataFrame, name: str, default=None) -> np.ndarray:
    if name in frame:
        return frame[name].to_numpy()
    return np.full(len(frame), default, dtype=object)


def pre_due_arms(portfolio: Portfolio, invoices: pd.DataFrame) -> pd.DataFrame:
    """The logged pre-due action of each invoice: offset, channel, hour and propensity.

    Invoices without a pre-due contact get offset NaN (the "none" arm). Only contacts by the
    logging policy count (a contact chosen by hand has no propensity).
    """
    con = portfolio.contacts
    con = con[
        con["template"].isin(PRE_DUE_TEMPLATES) & con["invoice_id"].isin(invoices["invoice_id"])
    ]
    if "policy" in con:
        con = con[con["propensity"].notna()]
    due = con["invoice_id"].map(invoices.set_index("invoice_id")["due_date"])
    con = con.assign(offset=(con["timestamp"].dt.normalize() - due).dt.days)
    con = con[con["offset"] <= 0].sort_values("timestamp").drop_duplicates("invoice_id")
    first = con.set_index("invoice_id")
    out = invoices[["invoice_id", "customer_id", "due_date", "amount"]].copy()
    out["offset"] = out["invoice_id"].map(first["offset"]).astype(float).to_numpy()
    out["channel"] = out["invoice_id"].map(first["channel"]).astype(object).to_numpy()
    out["hour"] = out["invoice_id"].map(first["timestamp"].dt.hour).astype(float).to_numpy()
    out["contact_propensity"] = out["invoice_id"].map(first["propensity"]).astype(float).to_numpy()
    return out

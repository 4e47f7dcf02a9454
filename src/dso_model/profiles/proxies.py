"""Observable proxy outcomes of ability and willingness: training labels, never features.

For a profiling date ``t`` and a horizon ``H`` the proxies look at what the customer did in
``[t, t + H)`` about what it owed: the invoices open at ``t`` or falling due in the first
``H - settle_days`` days of the window (its *exposure*). A real collections book can compute them
for any past date; the simulator's latent traits are not used.

- **stress** (ability proxy, 1 = cash-flow trouble): in the window the customer made at least
  ``stress_min_signals`` partial payments (instalments that left an invoice open) or asked for /
  agreed a payment plan. People who can pay settle in full; paying what one can, or asking for
  time, is what a customer short of cash does.
- **unwilling** (willingness proxy, 1 = does not pay though able): no stress signal, and at least
  ``min_ignored_unwilling`` notices about an invoice (reminder, dunning, escalation) that the
  customer *read* in the window while the invoice was open, and then did not settle that invoice
  within ``ignored_after_days``. A customer who can and will pay settles once a notice has made
  it aware; one who reads the notice and still does not pay is ignoring it. Unread notices prove
  nothing (a forgotten invoice looks the same), and invoices disputed before the window ends are
  left out.

Rows whose window ends after the portfolio's extraction date are censored (labels missing), as are
customers without exposure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dso_model.contract.lookup import map_dates
from dso_model.contract.portfolio import Portfolio, effective_payments
from dso_model.profiles.config import ProxyConfig
from dso_model.profiles.customer_features import (
    DUNNING_PURPOSES,
    INVOICE_PURPOSES,
    TEMPLATE_PURPOSE,
)

DAY = pd.Timedelta(days=1)
SETTLE_DAYS = 30  # invoices due in the last SETTLE_DAYS of the window are not yet judged
STRESS_EVENTS = ("plan_requested", "plan_agreed")
READ_OUTCOMES = ("opened", "replied", "promise_to_pay")  # contact outcomes that mean "read"


def payment_lines(portfolio: Portfolio) -> pd.DataFrame:
    """All payment lines with the customer and whether each left its invoice still open."""
    inv = portfolio.invoices.set_index("invoice_id")
    pay = effective_payments(portfolio.invoices, portfolio.payments)
    pay = pay.sort_values(["invoice_id", "payment_date"], kind="stable").copy()
    cum = pay.groupby("invoice_id", sort=False)["amount"].cumsum()
    pay["partial"] = cum < pay["invoice_id"].map(inv["amount"]) * (1 - 0.01)
    pay["customer_id"] = pay["invoice_id"].map(inv["customer_id"]).astype("str")
    return pay


def owed_at(invoices: pd.DataFrame, pay: pd.DataFrame, s: pd.Timestamp) -> pd.Series:
    """What remains unpaid of each invoice (index invoice_id) just before ``s``."""
    paid = pay[pay["payment_date"] < s].groupby("invoice_id")["amount"].sum()
    amount = invoices.set_index("invoice_id")["amount"]
    return (amount - paid.reindex(amount.index).fillna(0.0)).clip(lower=0.0)


def exposure_invoices(
    portfolio: Portfolio, pay: pd.DataFrame, t: pd.Timestamp, horizon_days: int
) -> pd.DataFrame:
    """Invoices the customer has to act on in the window: open at ``t`` and due early enough.

    Invoices written off before ``t`` and invoices disputed before the window ends are left out:
    a dispute is a disagreement about the invoice, not a verdict on ability or willingness.
    """
    inv = portfolio.invoices
    written = portfolio.events[portfolio.events["event_type"] == "write_off"]
    gone = set(written.loc[written["timestamp"] < t, "invoice_id"].dropna())
    judged_until = t + (horizon_days - SETTLE_DAYS) * DAY
    end = t + horizon_days * DAY
    disputed = portfolio.events.loc[
        (portfolio.events["event_type"] == "dispute_opened")
        & (portfolio.events["timestamp"] < end),
        "invoice_id",
    ]
    gone |= set(disputed.dropna())
    cand = inv[(inv["due_date"] < judged_until) & ~inv["invoice_id"].isin(gone)].copy()
    issued_before = cand["issue_date"] < t
    start = owed_at(cand, pay, t).reindex(cand["invoice_id"]).to_numpy()
    cand["owed_start"] = np.where(issued_before, start, cand["amount"].to_numpy())
    cand["owed_end"] = (
        owed_at(cand, pay, t + horizon_days * DAY).reindex(cand["invoice_id"]).to_numpy()
    )
    cand = cand[cand["owed_start"] > 0.01 * cand["amount"]]
    return cand.assign(customer_id=cand["customer_id"].astype("str"))


def read_notices(portfolio: Portfolio) -> pd.DataFrame:
    """Notices about one invoice that the customer read: customer, invoice, the day it was read,
    the day the invoice was settled (NaT: not yet) and the day a dispute was first opened on it."""
    c = portfolio.contacts
    purpose = c["template"].map(TEMPLATE_PURPOSE)
    read = c["outcome"].astype("str").isin(READ_OUTCOMES)
    notices = c.loc[read & purpose.isin(INVOICE_PURPOSES) & c["invoice_id"].notna()]
    invoices = portfolio.invoices.set_index("invoice_id")
    events = portfolio.events
    disputes = events[events["event_type"] == "dispute_opened"].dropna(subset=["invoice_id"])
    first_dispute = disputes.groupby("invoice_id")["timestamp"].min()
    return pd.DataFrame(
        {
            "customer_id": notices["customer_id"].astype("str").to_numpy(),
            "read_on": notices["timestamp"].dt.normalize().to_numpy(),
            "settled_on": map_dates(notices["invoice_id"], invoices["paid_date"]),
            "disputed_on": map_dates(notices["invoice_id"], first_dispute),
        }
    )


def ignored_notices(
    notices: pd.DataFrame, t: pd.Timestamp, horizon_days: int, ignored_after_days: int
) -> pd.Series:
    """Per customer: notices read in the window, on an invoice still open and not disputed by the
    window's end, whose invoice was not settled within ``ignored_after_days`` of the reading."""
    end = t + horizon_days * DAY
    read_by = end - ignored_after_days * DAY
    rows = notices[
        (notices["read_on"] >= t)
        & (notices["read_on"] < read_by)
        & ~(notices["settled_on"] < notices["read_on"])
        & ~(notices["disputed_on"] < end)
    ]
    acted = rows["settled_on"] - rows["read_on"] <= ignored_after_days * DAY
    return (~acted).groupby(rows["customer_id"]).sum()


def proxy_labels(
    portfolio: Portfolio,
    as_of: str | pd.Timestamp,
    proxies: ProxyConfig | None = None,
    pay: pd.DataFrame | None = None,
    notices: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Labels per customer at ``as_of``: stress, unwilling (NaN when censored), and their inputs.

    ``pay`` (:func:`payment_lines`) and ``notices`` (:func:`read_notices`) may be passed when
    labelling many dates of one portfolio.
    """
    cfg = proxies or ProxyConfig()
    t = pd.Timestamp(as_of).normalize()
    end = t + cfg.horizon_days * DAY
    pay = payment_lines(portfolio) if pay is None else pay
    notices = read_notices(portfolio) if notices is None else notices
    exposure = exposure_invoices(portfolio, pay, t, cfg.horizon_days)
    in_window = pay[(pay["payment_date"] >= t) & (pay["payment_date"] < end)]
    ev = portfolio.events[
        (portfolio.events["timestamp"] >= t) & (portfolio.events["timestamp"] < end)
    ]
    co = portfolio.contacts[
        (portfolio.contacts["timestamp"] >= t) & (portfolio.contacts["timestamp"] < end)
    ]
    g = exposure.groupby("customer_id")
    out = pd.DataFrame({"exposure": g["owed_start"].sum(), "unpaid_end": g["owed_end"].sum()})
    out.index.name = "customer_id"
    out["partials"] = in_window.groupby("customer_id")["partial"].sum().reindex(out.index).fillna(0)
    plans = ev[ev["event_type"].isin(STRESS_EVENTS)]
    out["plan_events"] = (
        plans.groupby(plans["customer_id"].astype("str")).size().reindex(out.index).fillna(0)
    )
    dun = co[co["template"].map(TEMPLATE_PURPOSE).isin(DUNNING_PURPOSES)]
    out["contacts"] = (
        dun.groupby(dun["customer_id"].astype("str")).size().reindex(out.index).fillna(0)
    )
    ignored = ignored_notices(notices, t, cfg.horizon_days, cfg.ignored_after_days)
    out["notices_ignored"] = ignored.reindex(out.index).fillna(0)
    return label_rows(out, cfg, censored=end > portfolio.as_of)


def label_rows(out: pd.DataFrame, cfg: ProxyConfig, censored: bool) -> pd.DataFrame:
    """Turn the window's counts into the two 0/1 labels (NaN when the window is not over)."""
    stress = (out["partials"] + out["plan_events"]) >= cfg.stress_min_signals
    unwilling = ~stress & (out["notices_ignored"] >= cfg.min_ignored_unwilling)
    out["stress"] = stress.astype(float)
    out["unwilling"] = unwilling.astype(float)
    if censored:
        out[["stress", "unwilling"]] = np.nan
    return out

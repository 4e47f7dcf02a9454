"""Observable proxy outcomes of ability and willingness: training labels, never features.

For a profiling date ``t`` and a horizon ``H`` the proxies look at what the customer did in
``[t, t + H)`` about what it owed: the invoices open at ``t`` or falling due in the first
``H - settle_days`` days of the window (its *exposure*). A real collections book can compute them
for any past date; the simulator's latent traits are not used.

- **stress** (ability proxy, 1 = cash-flow trouble): in the window the customer made at least
  ``stress_min_signals`` partial payments (instalments that left an invoice open) or asked for /
  agreed a payment plan. People who can pay settle in full; paying what one can, or asking for
  time, is what a customer short of cash does.
- **unwilling** (willingness proxy, 1 = does not pay though able): no stress signal, at least
  ``min_contacts_unwilling`` collection contacts in the window, and either at least
  ``unpaid_share_unwilling`` of the exposure still unpaid at ``t + H``, or an invoice settled more
  than ``late_days_unwilling`` days late within a few days of a firm (escalation) message: ignoring
  notices, or paying only once escalated.

Rows whose window ends after the portfolio's extraction date are censored (labels missing), as are
customers without exposure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dso_model.contract.portfolio import Portfolio, effective_payments
from dso_model.profiles.config import ProxyConfig, WindowConfig
from dso_model.profiles.customer_features import DUNNING_PURPOSES, TEMPLATE_PURPOSE

DAY = pd.Timedelta(days=1)
SETTLE_DAYS = 30  # invoices due in the last SETTLE_DAYS of the window are not yet judged
STRESS_EVENTS = ("plan_requested", "plan_agreed")


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


def firm_contacts(contacts: pd.DataFrame) -> pd.Series:
    purpose = contacts["template"].map(TEMPLATE_PURPOSE).fillna("other")
    tone = contacts["tone"] if "tone" in contacts else pd.Series("", index=contacts.index)
    return tone.eq("firm") | purpose.eq("escalation")


def escalation_only_customers(
    exposure: pd.DataFrame, contacts: pd.DataFrame, t, end, late_days: int, lag_days: int
) -> pd.Index:
    """Customers who settled an exposure invoice very late, within days of a firm message on it."""
    settled = exposure[(exposure["owed_end"] <= 0.01 * exposure["amount"])]
    paid = settled[["invoice_id", "customer_id", "due_date", "paid_date"]].dropna()
    paid = paid[
        ((paid["paid_date"] - paid["due_date"]) / DAY > late_days) & (paid["paid_date"] < end)
    ]
    firm = contacts[firm_contacts(contacts) & (contacts["timestamp"] < end)]
    pairs = paid.merge(firm[["invoice_id", "timestamp"]], on="invoice_id")
    gap = (pairs["paid_date"] - pairs["timestamp"].dt.normalize()) / DAY
    hit = pairs[(gap >= 0) & (gap <= lag_days)]
    return pd.Index(hit["customer_id"].unique(), dtype="str")


def proxy_labels(
    portfolio: Portfolio,
    as_of: str | pd.Timestamp,
    proxies: ProxyConfig | None = None,
    windows: WindowConfig | None = None,
    pay: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Labels per customer at ``as_of``: stress, unwilling (NaN when censored), and their inputs."""
    cfg, w = proxies or ProxyConfig(), windows or WindowConfig()
    t = pd.Timestamp(as_of).normalize()
    end = t + cfg.horizon_days * DAY
    pay = payment_lines(portfolio) if pay is None else pay
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
    out["unpaid_share"] = out["unpaid_end"] / out["exposure"]
    late_firm = escalation_only_customers(
        exposure, co, t, end, cfg.late_days_unwilling, w.escalation_response_days
    )
    out["escalation_only"] = out.index.isin(late_firm)
    return label_rows(out, cfg, censored=end > portfolio.as_of)


def label_rows(out: pd.DataFrame, cfg: ProxyConfig, censored: bool) -> pd.DataFrame:
    """Turn the window's counts into the two 0/1 labels (NaN when the window is not over)."""
    stress = (out["partials"] + out["plan_events"]) >= cfg.stress_min_signals
    ignores = (out["unpaid_share"] >= cfg.unpaid_share_unwilling) | out["escalation_only"]
    unwilling = ~stress & (out["contacts"] >= cfg.min_contacts_unwilling) & ignores
    out["stress"] = stress.astype(float)
    out["unwilling"] = unwilling.astype(float)
    if censored:
        out[["stress", "unwilling"]] = np.nan
    return out

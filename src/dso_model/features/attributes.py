"""Who the customer is: enrichment attributes, permissions and cold-start flags.

Enrichment columns of the customers table describe the customer as extracted; where dated events
exist (autopay on/off, paperless on, opt-out/opt-in per channel) the last one before the cut-off
wins, so a later change of mind never reaches an earlier cut-off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dso_model.contract.spec import CHANNELS
from dso_model.features.context import Context
from dso_model.features.encode import ENRICHMENT, EVENT_CODE
from dso_model.features.timeline import DAY, build_timeline


def attribute_features(ctx: Context, history: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    customers = ctx.book.customers
    cust = ctx.tg.cust
    out = {
        "attr_segment": customers["segment"].to_numpy()[cust],
        "attr_country": customers["country"].to_numpy()[cust],
        "attr_language": customers["language"].to_numpy()[cust],
        "attr_tenure_days": (ctx.tg.t_abs - customers["created"].to_numpy()[cust]) / DAY,
        "attr_credit_limit": column(customers, "credit_limit")[cust],
        "attr_spend_level": column(customers, "spend_level")[cust],
        "attr_spend_trend": column(customers, "spend_trend")[cust],
        "attr_autopay": state_at_cutoff(
            ctx, "autopay_on", "autopay_off", column(customers, "autopay")
        ),
        "attr_paperless": state_at_cutoff(
            ctx, "paperless_on", None, column(customers, "paperless")
        ),
    }
    for code, channel in enumerate(CHANNELS):
        static = column(customers, f"opt_out_{channel}")
        out[f"attr_opted_out_{channel}"] = state_at_cutoff(ctx, "opt_out", "opt_in", static, code)
    out.update(cold_start_flags(ctx, history))
    return out


def column(customers: pd.DataFrame, name: str) -> np.ndarray:
    """A coded customers column as float64 (NaN where missing)."""
    return customers[name].to_numpy(np.float64)


def state_at_cutoff(
    ctx: Context, on: str, off: str | None, static: np.ndarray, channel: int | None = None
) -> np.ndarray:
    """1/0 from the last on/off event before the cut-off, else the customer record."""
    ev = ctx.book.events
    kinds = (EVENT_CODE[on],) if off is None else (EVENT_CODE[on], EVENT_CODE[off])
    mask = ev["type"].isin(kinds).to_numpy()
    if channel is not None:
        mask = mask & (ev["channel"].to_numpy() == channel)
    picked = ev[mask]
    is_on = (picked["type"].to_numpy() == EVENT_CODE[on]).astype(np.float64)
    tl = build_timeline(
        picked["cust"].to_numpy(),
        picked["time"].to_numpy(),
        ctx.book.ncust,
        presorted=True,
        values={"on": is_on},
    )
    last = tl.probe(ctx.tg.cust, ctx.tg.t).last("on")
    return np.where(np.isnan(last), static[ctx.tg.cust], last)


def cold_start_flags(ctx: Context, history: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    issued = history["hist_invoices_issued"]
    paid = history["hist_paid_count"]
    enrichment = np.column_stack([column(ctx.book.customers, c) for c in ENRICHMENT])
    no_enrichment = np.isnan(enrichment).all(axis=1)[ctx.tg.cust]
    return {
        "attr_no_history": (issued == 0).astype(np.int8),
        "attr_short_history": ((issued > 0) & (paid < ctx.cfg.short_history_invoices)).astype(
            np.int8
        ),
        "attr_no_enrichment": no_enrichment.astype(np.int8),
    }

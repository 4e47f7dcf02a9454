"""The worklist: one row per open invoice with everything a collector needs, in a fixed layout.

Columns and dtypes are fixed so that the same inputs give byte-identical Parquet files, and rows
are ordered by priority (expected reduction of receivables in money-days), then by money-days at
risk, then by invoice id.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

ACTION_COLUMNS = {
    "contact": "bool",
    "decision": "str",
    "decision_reason": "str",
    "channel": "str",
    "send_date": "datetime64[ns]",
    "send_hour": "Int64",
    "template": "str",
    "tone": "str",
    "subject": "str",
    "message": "str",
    "expected_days_saved": "float64",
}


def reason_columns(languages: Sequence[str], top: int) -> list[str]:
    return [f"reason_{i}_{lang}" for lang in languages for i in range(1, top + 1)]


def worklist_columns(languages: Sequence[str] = ("en", "es"), top: int = 3) -> list[str]:
    """The worklist's columns, in order."""
    return [
        "as_of",
        "invoice_id",
        "customer_id",
        "currency",
        "amount",
        "outstanding",
        "issue_date",
        "due_date",
        "days_past_due",
        "p_late",
        "expected_days_late",
        "days_late_pred",
        "days_late_lower",
        "days_late_upper",
        "predicted_payment_date",
        "payment_date_lower",
        "payment_date_upper",
        "p_paid_next_month",
        "group",
        "group_confidence",
        *reason_columns(languages, top),
        *ACTION_COLUMNS,
        "money_days_at_risk",
        "priority",
        "priority_rank",
    ]


def empty_actions(index: pd.Index) -> pd.DataFrame:
    """No contact for anyone (what an invoice gets when the policy proposes nothing)."""
    missing = {"bool": False, "float64": 0.0, "datetime64[ns]": pd.NaT}
    return pd.DataFrame(
        {
            name: pd.Series(missing.get(kind, pd.NA), index=index, dtype=kind)
            for name, kind in ACTION_COLUMNS.items()
        }
    )


def priority_order(book: pd.DataFrame, timing: pd.DataFrame, actions: pd.DataFrame) -> np.ndarray:
    """Positions of ``book`` rows in worklist order: priority (money-days saved), then money-days
    at risk, then invoice id."""
    outstanding = book["outstanding"].to_numpy(float)
    saved = actions["expected_days_saved"].fillna(0.0).to_numpy(float)
    at_risk = outstanding * np.clip(timing["expected_days_late"].to_numpy(float), 0, None)
    keys = pd.DataFrame(
        {
            "priority": outstanding * saved,
            "risk": at_risk,
            "invoice_id": book["invoice_id"].to_numpy(),
        }
    )
    ordered = keys.sort_values(
        ["priority", "risk", "invoice_id"], ascending=[False, False, True], kind="stable"
    )
    return ordered.index.to_numpy(dtype=np.int64)  # keys has a range index: positions


def assemble_worklist(
    book: pd.DataFrame,
    timing: pd.DataFrame,
    reasons: pd.DataFrame,
    groups: pd.DataFrame,
    actions: pd.DataFrame,
    as_of: pd.Timestamp,
    languages: Sequence[str] = ("en", "es"),
    top: int = 3,
) -> pd.DataFrame:
    """Join the stages: ``timing`` and ``actions`` are row-aligned with ``book``; ``reasons`` may
    cover only some of its rows (same index labels); ``groups`` is keyed by customer."""
    names = reason_columns(languages, top)
    reasons = reasons.reindex(index=book.index, columns=names)
    frame = pd.concat(
        [book, timing, reasons, actions.reindex(columns=list(ACTION_COLUMNS))], axis=1
    )
    by_customer = groups.set_index("customer_id")
    frame["group"] = frame["customer_id"].map(by_customer["group"]).astype("str")
    frame["group_confidence"] = frame["customer_id"].map(by_customer["confidence"]).astype(float)
    frame["as_of"] = np.datetime64(as_of, "ns")
    outstanding = frame["outstanding"].to_numpy(float)
    saved = frame["expected_days_saved"].fillna(0.0).to_numpy(float)
    frame["expected_days_saved"] = saved
    frame["money_days_at_risk"] = outstanding * np.clip(
        frame["expected_days_late"].to_numpy(float), 0, None
    )
    frame["priority"] = outstanding * saved
    frame = frame.iloc[priority_order(book, timing, actions)]
    frame["priority_rank"] = np.arange(1, len(frame) + 1, dtype=np.int64)
    return normalise_types(frame.reset_index(drop=True)[worklist_columns(languages, top)])


def normalise_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Fixed dtypes per column (so Parquet schemas never depend on the data seen)."""
    out = frame.copy()
    for column in out.columns:
        kind = ACTION_COLUMNS.get(column)
        if kind == "bool":
            out[column] = out[column].fillna(False).astype(bool)
        elif kind is not None:
            out[column] = out[column].astype(kind)
        elif column.startswith("reason_") or column in (
            "invoice_id",
            "customer_id",
            "currency",
            "group",
        ):
            out[column] = out[column].astype("str")
    return out

"""What a simulated portfolio looks like in the three numbers presets are calibrated to.

- ``share_late``: invoices due in the measurement window that were paid after their due date, written
  off, or are still unpaid and past due at the extraction date.
- ``mean_days_late``: mean days late (paid date - due date) of the invoices in the window that were
  paid late.
- ``dso``: the mean of the monthly standard DSO (``dso_model.metrics.dso.dso_measures``) over the
  window's months.

The window is the second half of the simulated period (the first half lets the book settle), ending
one month before the extraction date so most invoices in it are resolved.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dso_model.contract.portfolio import Portfolio

# (low, high) per measure and preset; the preset files and docs/simulator.md state the same.
CALIBRATION_TARGETS: dict[str, dict[str, tuple[float, float]]] = {
    "default": {"share_late": (0.38, 0.58), "mean_days_late": (11, 24), "dso": (45, 70)},
    "small": {"share_late": (0.38, 0.58), "mean_days_late": (11, 24), "dso": (45, 70)},
    "es_b2b": {"share_late": (0.60, 0.80), "mean_days_late": (15, 30), "dso": (70, 100)},
    "consumer": {"share_late": (0.15, 0.35), "mean_days_late": (8, 20), "dso": (12, 28)},
}


def measurement_window(portfolio: Portfolio, months: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    end = portfolio.as_of
    start = end - pd.DateOffset(months=max(1, months // 2))
    return pd.Timestamp(start), pd.Timestamp(end - pd.DateOffset(months=1))


def calibration_summary(portfolio: Portfolio, months: int) -> dict[str, float]:
    """Share late, mean days late (of late payers), DSO, BPDSO and ADD of a simulated portfolio."""
    from dso_model.metrics.dso import dso_measures

    lo, hi = measurement_window(portfolio, months)
    inv = portfolio.invoices
    due = inv[(inv["due_date"] >= lo) & (inv["due_date"] < hi)]
    days = (due["paid_date"] - due["due_date"]).dt.days
    unresolved = due["paid_date"].isna()
    late = unresolved | (days > 0)
    paid_late = days[(days > 0) & ~unresolved]
    measures = dso_measures(inv, portfolio.payments, start=lo, end=hi, events=portfolio.events)
    return {
        "invoices": float(len(due)),
        "share_late": float(late.mean()) if len(due) else np.nan,
        "mean_days_late": float(paid_late.mean()) if len(paid_late) else 0.0,
        "mean_days_to_pay": float(days[~unresolved].mean()) if len(due) else np.nan,
        "write_off_share": float((due["status"] == "written_off").mean()) if len(due) else np.nan,
        "dso": float(measures["dso"].mean()),
        "bpdso": float(measures["bpdso"].mean()),
        "add": float(measures["add"].mean()),
    }

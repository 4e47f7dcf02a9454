"""When each open invoice will be paid: late probability, expected delay and payment date, given
that it is still unpaid at the scoring date.

The delay model predicts from the invoice's features; an invoice already past its due date at the
scoring date is known not to have been paid yet, which the unconditional prediction ignores. For
those, the delay distribution (:class:`~dso_model.scoring.curve.DelayCurve`) is conditioned on
"unpaid until today"; invoices not yet due keep the model's own estimates, floored at today.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dso_model.scoring.curve import EPS, DelayCurve, days_between

TIMING_COLUMNS = (
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
)


def conditional_late_probability(
    p_late: np.ndarray, curve: DelayCurve, elapsed: np.ndarray, grace_days: float
) -> np.ndarray:
    """P(late | unpaid before today): 1 once past the grace; before, the on-time mass that is
    already gone (paid early by others like it) is removed from the model's odds."""
    grace = np.full(len(elapsed), float(grace_days))
    on_time_total = curve.at(grace)
    on_time_left = np.clip(on_time_total - curve.at(elapsed - 1.0), 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = np.where(on_time_total > EPS, np.clip(on_time_left / on_time_total, 0.0, 1.0), 1.0)
    p = np.clip(np.asarray(p_late, dtype=float), 0.0, 1.0)
    denom = p + (1.0 - p) * kept
    conditional = np.where(denom > EPS, p / np.maximum(denom, EPS), 1.0)
    return np.where(elapsed > grace_days, 1.0, conditional)


def predict_timing(
    book: pd.DataFrame,
    delays: pd.DataFrame,
    curve: DelayCurve,
    as_of: pd.Timestamp,
    *,
    grace_days: float,
    interval: tuple[float, float],
    next_month_end: pd.Timestamp,
) -> pd.DataFrame:
    """Per open invoice (``book`` rows: ``due_date``), the :data:`TIMING_COLUMNS`.

    ``delays`` are the delay model's predictions for the same rows; ``interval`` the quantiles of
    the model's prediction interval (e.g. 0.1 and 0.9).
    """
    due = book["due_date"].to_numpy("datetime64[ns]")
    elapsed = days_between(np.full(len(book), np.datetime64(as_of, "ns")), due)
    overdue = elapsed > 0
    d = {c: delays[c].to_numpy(dtype=float) for c in delays.columns}
    point = np.where(
        overdue, curve.conditional_quantile(elapsed, 0.5), np.maximum(d["days_late_pred"], elapsed)
    )
    lower = np.where(
        overdue,
        curve.conditional_quantile(elapsed, interval[0]),
        np.maximum(d["days_late_lower"], elapsed),
    )
    upper = np.where(
        overdue,
        curve.conditional_quantile(elapsed, interval[1]),
        np.maximum(d["days_late_upper"], elapsed),
    )
    upper = np.maximum(upper, point)
    lower = np.minimum(lower, point)
    expected = np.where(
        overdue, curve.conditional_mean(elapsed), np.maximum(d["expected_days_late"], elapsed)
    )
    next_end = days_between(np.full(len(book), np.datetime64(next_month_end, "ns")), due)
    out = pd.DataFrame(
        {
            "days_past_due": elapsed,
            "p_late": conditional_late_probability(d["p_late"], curve, elapsed, grace_days),
            "expected_days_late": expected,
            "days_late_pred": point,
            "days_late_lower": lower,
            "days_late_upper": upper,
            "predicted_payment_date": _date(due, point),
            "payment_date_lower": _date(due, lower),
            "payment_date_upper": _date(due, upper),
            "p_paid_next_month": curve.paid_before(elapsed, next_end),
        },
        index=book.index,
    )
    return out


def _date(due: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Due date plus whole days (rounded up: a payment lands on a day, not before it)."""
    return due + np.ceil(np.round(days, 6)).astype("int64").astype("timedelta64[D]")

"""Payment-delay labels from invoices, as known at a cut-off: observed, censored or unknown.

Days late is ``paid_date - due_date`` in days (negative for early payment). At a cut-off ``K`` an
invoice paid strictly before ``K`` has an observed delay; an invoice still unpaid at ``K`` (open,
partially paid or written off) is right-censored at ``K - due_date``: its delay is known to be at
least that. Dropping such invoices keeps only the fast payers among recent invoices and biases
every model towards paying on time; the labels here keep them.

A label restricted to a horizon is unbiased only on invoices whose horizon elapsed before ``K``
(a condition on the due date, never on the outcome): ``late`` needs ``due + grace < K`` and the
capped delay ``min(days_late, horizon)`` needs ``due + horizon <= K``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

OUTCOME_COLUMNS = [
    "paid",
    "days_late",
    "days_observed",
    "grace_elapsed",
    "late",
    "horizon_elapsed",
    "days_late_capped",
]


@dataclass(frozen=True)
class LabelConfig:
    """How a delay becomes a label.

    ``grace_days``: an invoice is late when paid more than this many days after its due date.
    ``horizon_days``: delays are followed up to this many days after due; later is "not paid
    within the horizon" and the capped delay equals the horizon.
    """

    grace_days: int = 0
    horizon_days: int = 90

    def __post_init__(self) -> None:
        if self.grace_days < 0 or self.horizon_days <= self.grace_days:
            raise ValueError("need 0 <= grace_days < horizon_days")


def _days(delta: pd.Series | np.ndarray) -> np.ndarray:
    """Whole days of a timedelta array as float (NaN for NaT)."""
    values = np.asarray(delta, dtype="timedelta64[ns]")
    out = values.astype("timedelta64[D]").astype(float)
    out[np.isnat(values)] = np.nan
    return out


def delay_outcomes(
    invoices: pd.DataFrame, known_at: str | pd.Timestamp, config: LabelConfig | None = None
) -> pd.DataFrame:
    """Per invoice (indexed by invoice_id): what is known of its delay at ``known_at``.

    Columns: ``paid`` (settled strictly before ``known_at``), ``days_late`` (NaN unless paid),
    ``days_observed`` (the delay when paid, else the censoring point ``known_at - due``: the delay
    is known to be at least this), ``late`` and ``days_late_capped`` (NaN where not yet
    determined) and the unbiased-subset flags ``grace_elapsed`` / ``horizon_elapsed``.
    """
    cfg = config or LabelConfig()
    k = pd.Timestamp(known_at)
    due = invoices["due_date"].to_numpy(dtype="datetime64[ns]")
    paid_date = pd.to_datetime(invoices["paid_date"]).to_numpy(dtype="datetime64[ns]")
    paid = ~np.isnat(paid_date) & (paid_date < np.datetime64(k))
    days_late = np.where(paid, _days(paid_date - due), np.nan)
    censor_at = _days(np.datetime64(k) - due)
    observed = np.where(paid, days_late, censor_at)
    grace_elapsed = censor_at > cfg.grace_days
    horizon_elapsed = censor_at >= cfg.horizon_days
    late = np.where(paid | grace_elapsed, (observed > cfg.grace_days).astype(float), np.nan)
    capped = np.where(paid | horizon_elapsed, np.minimum(observed, cfg.horizon_days), np.nan)
    return pd.DataFrame(
        {
            "paid": paid,
            "days_late": days_late,
            "days_observed": observed,
            "grace_elapsed": grace_elapsed,
            "late": late,
            "horizon_elapsed": horizon_elapsed,
            "days_late_capped": capped,
        },
        index=pd.Index(invoices["invoice_id"].to_numpy(), name="invoice_id"),
    )


def unbiased_labels(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Outcomes with ``late`` / ``days_late_capped`` blanked where their window had not elapsed.

    Scoring on "known" labels alone would keep the fast payers among recent invoices; keeping only
    invoices whose grace (late) or horizon (capped delay) elapsed selects on the due date instead.
    """
    out = outcomes.copy()
    out["late"] = out["late"].where(out["grace_elapsed"])
    out["days_late_capped"] = out["days_late_capped"].where(out["horizon_elapsed"])
    return out

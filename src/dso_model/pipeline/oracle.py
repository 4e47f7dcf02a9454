"""The simulator's oracle as a baseline: predictions from the true latent traits (the noise floor).

The simulator records, per invoice, the Monte-Carlo expected days late and the probability of
being paid after the due date given the latent truth. Both are what a perfect analyst could know;
the realised delay still varies around them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dso_model.models.labels import LabelConfig

ORACLE_DAYS = "oracle_expected_days_late"
ORACLE_LATE = "oracle_prob_late"


def oracle_predictions(data: Any, labels: LabelConfig) -> pd.DataFrame | None:
    """Oracle ``days_late_pred`` (capped at the horizon like the target) and ``p_late`` (only when
    the late definition is the simulator's: paid after the due date, no grace); ``None`` for data
    that was not simulated."""
    truth_invoices = getattr(getattr(data, "truth", None), "invoices", None)
    if truth_invoices is None or ORACLE_DAYS not in truth_invoices:
        return None
    ids = data.portfolio.invoices["invoice_id"].to_numpy()
    table = truth_invoices.set_index("invoice_id").reindex(ids)
    days = table[ORACLE_DAYS].to_numpy(dtype=float)
    out = pd.DataFrame(
        {"days_late_pred": np.minimum(days, labels.horizon_days)},
        index=pd.Index(ids, name="invoice_id"),
    )
    if labels.grace_days == 0 and ORACLE_LATE in table:
        out["p_late"] = table[ORACLE_LATE].to_numpy(dtype=float)
    return out

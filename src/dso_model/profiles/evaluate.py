"""Profiles against the simulator's truth: confusion matrices, macro-F1, an oracle reference, and
whether cold-start customers were routed to the cold-start groups.

Alignment. A profile at date ``t`` (a month start) uses what was known strictly before ``t``. It is
compared with the latent group of

- ``previous``: the month that ended at ``t``, whose behaviour the profile has (partly) seen, and
- ``current``: the month that starts at ``t``, which it has to anticipate (shocks that begin that
  month cannot be seen yet).

The oracle reads the latent traits of the month *before* the compared month and thresholds them
as the simulator does: how well one could do knowing the traits exactly, one month late. Only
customers with a behavioural verdict are scored on the three behavioural groups.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dso_model.profiles.groups import BEHAVIOURAL_GROUPS, COLD_START_GROUPS

ALIGNMENTS = {"previous": -1, "current": 0}


def confusion(
    truth: Sequence[str] | np.ndarray,
    predicted: Sequence[str] | np.ndarray,
    labels: Sequence[str] = BEHAVIOURAL_GROUPS,
) -> pd.DataFrame:
    """Counts per (truth row, predicted column) over ``labels`` (other values ignored)."""
    t = pd.Series(np.asarray(truth, dtype=object))
    p = pd.Series(np.asarray(predicted, dtype=object))
    keep = t.isin(labels) & p.isin(labels)
    table = pd.crosstab(t[keep], p[keep]).reindex(
        index=list(labels), columns=list(labels), fill_value=0
    )
    table.index.name, table.columns.name = "truth", "predicted"
    return table.astype(int)


def f1_per_group(table: pd.DataFrame) -> pd.Series:
    """F1 of each group from a confusion table (0 when a group is never predicted nor true)."""
    tp = np.diag(table.to_numpy()).astype(float)
    predicted = table.sum(axis=0).to_numpy(dtype=float)
    actual = table.sum(axis=1).to_numpy(dtype=float)
    denom = predicted + actual
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    return pd.Series(f1, index=table.index, name="f1")


def macro_f1(
    truth: Sequence[str] | np.ndarray,
    predicted: Sequence[str] | np.ndarray,
    labels: Sequence[str] = BEHAVIOURAL_GROUPS,
) -> float:
    """Unweighted mean of the per-group F1 over ``labels``."""
    return float(f1_per_group(confusion(truth, predicted, labels)).mean())


def month_start(date: pd.Timestamp, shift: int = 0) -> pd.Timestamp:
    return (pd.Timestamp(date).to_period("M") + shift).start_time


def truth_groups(monthly: pd.DataFrame, month: pd.Timestamp) -> pd.Series:
    """Latent group per customer in the month starting at ``month`` (index customer_id)."""
    rows = monthly[monthly["month"] == month_start(month)]
    return rows.set_index(rows["customer_id"].astype("str"))["latent_group"].astype("str")


def oracle_groups(
    monthly: pd.DataFrame, month: pd.Timestamp, unable_below: float, unwilling_below: float
) -> pd.Series:
    """Thresholded latent traits of ``month``: unable, else unwilling, else able_willing."""
    rows = monthly[monthly["month"] == month_start(month)]
    group = np.where(
        rows["ability"].to_numpy() < unable_below,
        "unable",
        np.where(rows["willingness"].to_numpy() < unwilling_below, "unwilling", "able_willing"),
    )
    return pd.Series(group, index=pd.Index(rows["customer_id"].astype("str"), name="customer_id"))


def evaluation_rows(
    profiles: pd.DataFrame,
    monthly: pd.DataFrame,
    alignment: str = "previous",
    oracle_thresholds: tuple[float, float] = (0.3, 0.4),
) -> pd.DataFrame:
    """Per behavioural verdict: as_of, customer_id, predicted, truth and the oracle's group."""
    shift = ALIGNMENTS[alignment]
    rows = []
    behavioural = profiles[profiles["group"].isin(BEHAVIOURAL_GROUPS)]
    for as_of, part in behavioural.groupby("as_of", sort=True):
        target = month_start(as_of, shift)
        truth = truth_groups(monthly, target)
        oracle = oracle_groups(monthly, month_start(target, -1), *oracle_thresholds)
        ids = part["customer_id"].astype("str")
        rows.append(
            pd.DataFrame(
                {
                    "as_of": as_of,
                    "customer_id": ids.to_numpy(),
                    "predicted": part["group"].to_numpy(),
                    "truth": truth.reindex(ids).to_numpy(),
                    "oracle": oracle.reindex(ids).to_numpy(),
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=["as_of", "customer_id", "predicted", "truth", "oracle"])
    return pd.concat(rows, ignore_index=True).dropna(subset=["truth"])


def evaluate_against_truth(
    profiles: pd.DataFrame,
    monthly: pd.DataFrame,
    oracle_thresholds: tuple[float, float] = (0.3, 0.4),
) -> dict[str, object]:
    """Confusion matrices and macro-F1 of the profiles and of the oracle, for both alignments."""
    out: dict[str, object] = {}
    for alignment in ALIGNMENTS:
        rows = evaluation_rows(profiles, monthly, alignment, oracle_thresholds)
        model_table = confusion(rows["truth"], rows["predicted"])
        oracle_rows = rows.dropna(subset=["oracle"])
        oracle_table = confusion(oracle_rows["truth"], oracle_rows["oracle"])
        out[alignment] = {
            "rows": int(len(rows)),
            "confusion": model_table,
            "f1": f1_per_group(model_table),
            "macro_f1": float(f1_per_group(model_table).mean()),
            "oracle_confusion": oracle_table,
            "oracle_macro_f1": float(f1_per_group(oracle_table).mean()),
        }
    return out


def cold_start_routing(profiles: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """Where customers without enough history went, by what is known about them.

    ``features`` holds ``n_invoices`` and ``has_enrichment`` per (as_of, customer_id). Rows:
    ``no history, no enrichment`` (should all be no_data), ``no history, enrichment`` and
    ``short history`` (should be data_available); columns: groups, share in cold-start groups.
    """
    merged = profiles.merge(
        features[["as_of", "customer_id", "n_invoices", "has_enrichment", "n_judged"]],
        on=["as_of", "customer_id"],
    )
    kind = np.select(
        [
            (merged["n_invoices"] == 0) & (merged["has_enrichment"] == 0),
            merged["n_invoices"] == 0,
            merged["group"].isin(COLD_START_GROUPS),
        ],
        ["no history, no enrichment", "no history, enrichment", "short history"],
        default="enough history",
    )
    table = pd.crosstab(pd.Series(kind, name="customers"), merged["group"].rename("group"))
    table["cold_start_share"] = table[[g for g in COLD_START_GROUPS if g in table]].sum(
        axis=1
    ) / table.sum(axis=1)
    return table

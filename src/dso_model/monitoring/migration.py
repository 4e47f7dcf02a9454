"""Group migration between two profiling dates: transition matrices and who moved where."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from dso_model.profiles.groups import GROUPS


def transition_matrix(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    groups: Sequence[str] = GROUPS,
    normalize: bool = False,
) -> pd.DataFrame:
    """Customers per (group before, group now), rows = before, columns = now.

    Both frames carry ``customer_id`` and ``group``; only customers profiled at both dates count.
    With ``normalize`` each row sums to 1 (the share of a group that went to each group).
    """
    pair = previous[["customer_id", "group"]].merge(
        current[["customer_id", "group"]], on="customer_id", suffixes=("_from", "_to")
    )
    counts = pd.crosstab(pair["group_from"], pair["group_to"])
    counts = counts.reindex(index=list(groups), columns=list(groups), fill_value=0).astype(int)
    counts.index.name, counts.columns.name = "from", "to"
    if not normalize:
        return counts
    totals = counts.sum(axis=1).replace(0, 1)
    return counts.div(totals, axis=0)


def movers_into(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    targets: Sequence[str] = ("unable", "unwilling"),
) -> pd.DataFrame:
    """Customers now in one of ``targets`` who were in another group before.

    Columns: customer_id, group_from, group_to, plus the current row's confidence and reasons
    when present.
    """
    before = previous[["customer_id", "group"]].rename(columns={"group": "group_from"})
    pair = before.merge(current.rename(columns={"group": "group_to"}), on="customer_id")
    moved = pair[pair["group_to"].isin(list(targets)) & (pair["group_from"] != pair["group_to"])]
    return moved.reset_index(drop=True)


def migration_summary(matrix: pd.DataFrame) -> dict[str, float]:
    """Headline numbers of one transition matrix (counts): stayed, moved, moved into each group."""
    total = int(matrix.to_numpy().sum())
    stayed = int(sum(matrix.at[g, g] for g in matrix.index if g in matrix.columns))
    out: dict[str, float] = {
        "customers": total,
        "stayed": stayed,
        "moved": total - stayed,
        "moved_share": (total - stayed) / total if total else 0.0,
    }
    for g in matrix.columns:
        out[f"into_{g}"] = int(matrix[g].sum() - (matrix.at[g, g] if g in matrix.index else 0))
    return out

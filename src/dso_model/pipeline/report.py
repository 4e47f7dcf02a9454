"""The results table: every model's test metrics side by side, averaged over the folds."""

from __future__ import annotations

import io
import math

import pandas as pd

from dso_model.pipeline.train import DELAY_MODEL, TrainResult

TABLE_METRICS = (
    ("mae", "MAE (days)"),
    ("mae@amount", "MAE $-wtd"),
    ("within_3", "within ±3d"),
    ("within_7", "within ±7d"),
    ("roc_auc", "ROC-AUC"),
    ("pr_auc", "PR-AUC"),
    ("brier", "Brier"),
    ("ece", "ECE"),
    ("coverage", "coverage"),
)
MODEL_ORDER = (DELAY_MODEL, "oracle", "linear", "customer_mean", "last_delay", "on_time")


def results_table(result: TrainResult, group_by: str = "all", group: str = "all") -> pd.DataFrame:
    """One row per model, one column per headline metric (mean over test folds)."""
    s = result.summary
    s = s[(s["group_by"] == group_by) & (s["group"] == group)]
    count = s[s["weighting"] == "count"].pivot(index="model", columns="metric", values="value")
    amount = s[s["weighting"] == "amount"].pivot(index="model", columns="metric", values="value")
    table = count.join(amount.add_suffix("@amount"), how="left")
    columns = [m for m, _ in TABLE_METRICS if m in table]
    order = [m for m in MODEL_ORDER if m in table.index] + [
        m for m in table.index if m not in MODEL_ORDER
    ]
    out = table.loc[order, columns].rename(columns=dict(TABLE_METRICS))
    out.index.name = "model"
    return out


def _cell(value: float) -> str:
    return (
        "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"
    )


def render_results(table: pd.DataFrame, title: str) -> str:
    """The results table as text (rich); the caller prints it."""
    return render_frame(table, title)


def render_frame(table: pd.DataFrame, title: str) -> str:
    """Any frame as a rich text table: index levels first, numbers to three decimals."""
    from rich.console import Console
    from rich.table import Table

    rich_table = Table(title=title)
    names = [str(n or "") for n in table.index.names]
    for name in names:
        rich_table.add_column(name)
    for column in table.columns:
        rich_table.add_column(str(column), justify="right")
    for key, row in table.iterrows():
        keys = key if isinstance(key, tuple) else (key,)
        rich_table.add_row(*(str(k) for k in keys), *(_cell(v) for v in row.to_numpy()))
    console = Console(record=True, width=160, file=io.StringIO())
    console.print(rich_table)
    return console.export_text()


def results_title(result: TrainResult) -> str:
    s = result.settings
    nominal = round((max(s.model.quantiles) - min(s.model.quantiles)) * 100)
    return (
        f"{result.data_name}: {len(result.folds)} walk-forward test folds, last {result.test_window}; "
        f"days late capped at {s.labels.horizon_days}, late = > {s.labels.grace_days} days, "
        f"{nominal}% intervals"
    )

"""Terminal tables shared by the entry points (rich)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def _console():
    from rich.console import Console

    return Console(width=140)


def print_summary(summary: dict[str, Any], source: str = "") -> None:
    from rich.table import Table

    table = Table(title=f"Portfolio {summary['name']}" + (f"  ({source})" if source else ""))
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        if key == "name":
            continue
        if isinstance(value, float):
            value = f"{value:.1%}" if key.startswith("share") else f"{value:,.2f}"
        table.add_row(key.replace("_", " "), str(value))
    _console().print(table)


def print_frame(frame: pd.DataFrame, title: str, float_format: str = "{:,.2f}") -> None:
    """Print a DataFrame as a rich table (floats formatted, NaN as '-')."""
    from rich.table import Table

    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column), justify="right")
    for row in frame.itertuples(index=False):
        table.add_row(*[_cell(v, float_format) for v in row])
    _console().print(table)


def _cell(value: Any, float_format: str) -> str:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float):
        return "-" if pd.isna(value) else float_format.format(value)
    return str(value)


def print_dso_table(measures: pd.DataFrame) -> None:
    shown = measures.assign(month=measures["period_start"].dt.strftime("%Y-%m"))
    columns = [
        "month",
        "credit_sales",
        "receivables",
        "dso",
        "countback_dso",
        "bpdso",
        "add",
        "cei",
    ]
    print_frame(shown[columns], "DSO measures per month (days; CEI in %)")

"""Write a scoring run's files: the worklist (Parquet, and CSV when asked), the figures (JSON) and
the briefing (HTML).

Every file appears atomically (temporary file, then rename) and depends only on the inputs: no
timestamps, run ids or timings inside, so scoring the same data twice gives identical bytes.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from dso_model.io.atomic import write_parquet_atomic, write_text_atomic


@dataclass(frozen=True)
class OutputPaths:
    worklist: Path
    figures: Path
    briefing: Path | None
    worklist_csv: Path | None = None


def figures_document(result, model: dict[str, str]) -> dict[str, Any]:
    """The portfolio figures and the projection's assumptions, JSON-ready."""
    figures = {
        scenario: {m: _number(v) for m, v in result.figures[scenario].items()}
        for scenario in result.figures.columns
    }
    contacted = result.worklist["contact"]
    return {
        "as_of": result.as_of.date().isoformat(),
        "model": dict(model),
        "open_invoices": int(len(result.worklist)),
        "open_amount": _number(result.worklist["outstanding"].sum()),
        "contacts_recommended": int(contacted.sum()),
        "expected_money_days_saved": _number(result.worklist["priority"].sum()),
        "figures": figures,
        "next_month_assumptions": {
            "monthly_sales": _number(result.new_sales.monthly_sales),
            "owed_share_at_month_end": _number(result.new_sales.owed_share),
            "current_share_at_month_end": _number(result.new_sales.current_share),
        },
        "groups": {
            str(g): int(n) for g, n in result.groups["group"].value_counts().sort_index().items()
        },
    }


def _number(value: Any) -> float | None:
    value = float(value)
    return round(value, 6) if math.isfinite(value) else None


def write_outputs(
    result,
    folder: str | os.PathLike[str],
    *,
    model: dict[str, str],
    briefing=None,
    names: dict[str, str] | None = None,
) -> OutputPaths:
    """Write the worklist, figures and (when given) the briefing data into ``folder``; the worklist
    also as CSV when ``names`` has a ``worklist_csv`` file name."""
    names = {
        "worklist": "worklist.parquet",
        "figures": "figures.json",
        "briefing": "briefing.html",
        **(names or {}),
    }
    folder = Path(folder)
    worklist = write_parquet_atomic(result.worklist, folder / names["worklist"])
    csv = None
    if names.get("worklist_csv"):
        csv = write_worklist_csv(result.worklist, folder / names["worklist_csv"])
    text = json.dumps(figures_document(result, model), indent=2, sort_keys=True) + "\n"
    figures = write_text_atomic(folder / names["figures"], text)
    page = None
    if briefing is not None:
        from dso_model.briefing import write_briefing

        page = write_briefing(briefing, folder / names["briefing"])
    return OutputPaths(worklist, figures, page, csv)


def write_worklist_csv(worklist: pd.DataFrame, target: str | os.PathLike[str]) -> Path:
    """The worklist as UTF-8 CSV (ISO dates, full float precision), for spreadsheets and loaders."""
    from dso_model.io.atomic import write_atomic

    return write_atomic(
        target,
        lambda p: worklist.to_csv(p, index=False, encoding="utf-8", date_format="%Y-%m-%d"),
    )


def read_worklist(path: str | os.PathLike[str]) -> pd.DataFrame:
    return pd.read_parquet(path)

"""Render a :class:`BriefingData` into one self-contained HTML page (inline CSS, JS and images)."""

from __future__ import annotations

import json
import math
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dso_model.briefing.charts import drivers_chart, groups_chart, trend_chart
from dso_model.briefing.data import FIGURE_MEASURES, BriefingData, column_types
from dso_model.briefing.labels import column_label, text_for

TEMPLATE = "briefing.html.j2"


def _asset(name: str) -> str:
    return resources.files("dso_model.briefing").joinpath("templates", name).read_text("utf-8")


def _environment():
    import jinja2

    loader = jinja2.FunctionLoader(lambda name: _asset(name))
    return jinja2.Environment(loader=loader, autoescape=True, keep_trailing_newline=True)


def render_briefing(data: BriefingData) -> str:
    """The briefing page as a string; same data, same bytes."""
    from markupsafe import Markup

    words = text_for(data.lang)
    shown = len(data.worklist)
    context = {
        "lang": data.lang,
        "t": words,
        "portfolio_name": data.portfolio_name,
        "as_of": pd.Timestamp(data.as_of).date().isoformat(),
        "model": data.model,
        "figures": _figure_rows(data.figures, words),
        "groups": _group_rows(data.groups, data.lang),
        "migrations": _migration_table(data.migrations),
        "charts": {
            "trend": trend_chart(data.trend, words),
            "groups": groups_chart(data.groups, words),
            "drivers": drivers_chart(data.drivers, words),
        },
        "rows_note": words["rows_note"].format(shown=shown, total=data.worklist_total),
        "notes": list(data.notes),
        "css": Markup(_asset("briefing.css")),
        "js": Markup(_asset("briefing.js")),
        "worklist_json": Markup(worklist_json(data.worklist, data.lang)),
    }
    return _environment().get_template(TEMPLATE).render(**context)


def write_briefing(data: BriefingData, target: str | os.PathLike[str]) -> Path:
    """Render and write the briefing atomically (no half-written page after a failure)."""
    from dso_model.io.atomic import write_text_atomic

    return write_text_atomic(target, render_briefing(data))


# ----------------------------------------------------------------------------- formatting
def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "\u2013"
    return f"{float(value):,.{digits}f}"


def _figure_rows(figures: pd.DataFrame, words: dict[str, str]) -> list[dict[str, str]]:
    rows = []
    for measure in FIGURE_MEASURES:
        if measure not in figures.index:
            continue
        row = figures.loc[measure]
        without, with_ = row.get("next_without_actions"), row.get("next_with_actions")
        rows.append(
            {
                "measure": measure,
                "label": words.get(f"measure_{measure}", measure),
                "now": _fmt(row.get("now")),
                "without": _fmt(without),
                "with": _fmt(with_),
                "effect": _effect(measure, without, with_),
            }
        )
    return rows


def _effect(measure: str, without: Any, with_: Any) -> str:
    """CSS class telling whether the actions improve the measure (CEI up, the others down)."""
    try:
        change = float(with_) - float(without)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(change) or abs(change) < 1e-9:
        return ""
    better = change > 0 if measure == "cei" else change < 0
    return "better" if better else "worse"


def _group_rows(groups: pd.DataFrame, lang: str) -> list[dict[str, str]]:
    try:
        from dso_model.profiles.groups import group_label
    except ImportError:  # pragma: no cover - profiles ship with the package
        group_label = None
    return [
        {
            "group": str(r.group),
            "title": group_label(str(r.group), lang) if group_label else str(r.group),
            "customers": f"{int(r.customers):,}",
            "open_amount": _fmt(r.open_amount, 0),
        }
        for r in groups.itertuples(index=False)
    ]


def _migration_table(matrix: pd.DataFrame | None) -> dict[str, Any] | None:
    if matrix is None or not matrix.size or int(matrix.to_numpy().sum()) == 0:
        return None
    peak = max(int(matrix.to_numpy().max()), 1)
    rows = []
    for group, counts in matrix.iterrows():
        cells = [
            {"value": f"{int(v):,}", "alpha": f"{0.08 + 0.6 * int(v) / peak:.2f}"} for v in counts
        ]
        rows.append({"group": str(group), "cells": cells})
    return {"columns": [str(c) for c in matrix.columns], "rows": rows}


def _json_value(value: Any, kind: str) -> Any:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind == "date":
        return pd.Timestamp(value).date().isoformat()
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind in ("num", "money", "pct"):
        return round(float(value), 6)
    return str(value)


def worklist_json(worklist: pd.DataFrame, lang: str) -> str:
    """The worklist rows for the page's script, safe to embed inside a ``<script>`` element."""
    types = column_types(lang)
    columns = [c for c in worklist.columns if c in types]
    values = {c: worklist[c].astype(object).where(worklist[c].notna(), None) for c in columns}
    rows = [
        [_json_value(values[c].iat[i], types[c]) for c in columns] for i in range(len(worklist))
    ]
    words = text_for(lang)
    payload = {
        "columns": [{"key": c, "label": column_label(c, lang), "type": types[c]} for c in columns],
        "rows": rows,
        "words": {
            "yes": words["yes"],
            "no": words["no"],
            "shown": words["shown"],
            "of": words["of"],
        },
    }
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"), default=_json_default)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")

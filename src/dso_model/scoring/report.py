"""What ``dso-score`` prints: the portfolio figures, the actions and where the files are."""

from __future__ import annotations

import math

MEASURE_NAMES = {"dso": "DSO", "bpdso": "BPDSO", "add": "ADD", "cei": "CEI (%)"}


def _cell(value: float) -> str:
    return f"{value:10.1f}" if math.isfinite(float(value)) else f"{'-':>10}"


def render_summary(result, paths, model_uri: str) -> str:
    """A short plain-text summary; identifiers and aggregates only."""
    wl = result.worklist
    lines = [
        f"scored {len(wl):,} open invoices ({wl['outstanding'].sum():,.2f} owed) as of "
        f"{result.as_of.date()} with {model_uri}",
        f"recommended contacts: {int(wl['contact'].sum()):,}; expected reduction "
        f"{wl['priority'].sum():,.0f} money-days",
        "",
        f"{'':10}{'now':>10}{'next':>10}{'next+act':>10}",
    ]
    for key, name in MEASURE_NAMES.items():
        row = result.figures.loc[key]
        lines.append(
            f"{name:10}{_cell(row['now'])}{_cell(row['next_without_actions'])}"
            f"{_cell(row['next_with_actions'])}"
        )
    lines.append("")
    lines.append(f"worklist: {paths.worklist}")
    if paths.worklist_csv is not None:
        lines.append(f"worklist: {paths.worklist_csv}")
    lines.append(f"figures:  {paths.figures}")
    if paths.briefing is not None:
        lines.append(f"briefing: {paths.briefing}")
    return "\n".join(lines)

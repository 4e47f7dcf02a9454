"""What a briefing shows, as plain frames: the scoring job fills it, the renderer only formats it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# Worklist columns shown in the briefing: (worklist column, type for sorting and display).
# ``{lang}`` is replaced by the briefing's language. Identifiers only: no names, e-mails, phones.
WORKLIST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("priority_rank", "int"),
    ("invoice_id", "str"),
    ("customer_id", "str"),
    ("group", "str"),
    ("currency", "str"),
    ("outstanding", "money"),
    ("due_date", "date"),
    ("p_late", "pct"),
    ("expected_days_late", "num"),
    ("predicted_payment_date", "date"),
    ("contact", "bool"),
    ("channel", "str"),
    ("send_date", "date"),
    ("send_hour", "int"),
    ("template", "str"),
    ("reason_1_{lang}", "str"),
    ("priority", "money"),
)

FIGURE_MEASURES = ("dso", "bpdso", "add", "cei")


@dataclass(frozen=True)
class BriefingData:
    """Everything a briefing shows.

    ``figures``: one row per measure in :data:`FIGURE_MEASURES` with columns ``now``,
    ``next_without_actions`` and ``next_with_actions``. ``trend``: monthly ``period_start``,
    ``dso``, ``bpdso``, ``add`` (history), optionally with ``projected`` rows. ``groups``: one row
    per profile group with ``customers`` and ``open_amount``. ``migrations``: a transition matrix
    (rows: group a month ago, columns: group now) or ``None``. ``drivers``: ``label`` and
    ``share`` (part of the predicted delay each driver family explains). ``worklist``: the rows to
    show, already ordered (see :func:`worklist_view`); ``worklist_total`` counts all open invoices.
    """

    portfolio_name: str
    as_of: pd.Timestamp
    figures: pd.DataFrame
    trend: pd.DataFrame
    groups: pd.DataFrame
    worklist: pd.DataFrame
    worklist_total: int
    migrations: pd.DataFrame | None = None
    drivers: pd.DataFrame | None = None
    model: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    lang: str = "en"
    currency: str = ""


def worklist_view(worklist: pd.DataFrame, lang: str = "en", max_rows: int = 2000) -> pd.DataFrame:
    """The briefing's slice of a worklist: identifier columns only, highest priority first."""
    columns = [name.format(lang=lang) for name, _ in WORKLIST_COLUMNS]
    present = [c for c in columns if c in worklist.columns]
    ordered = worklist.sort_values(
        ["priority", "invoice_id"], ascending=[False, True], kind="stable"
    )
    return ordered[present].head(max_rows).reset_index(drop=True)


def column_types(lang: str = "en") -> dict[str, str]:
    """Display type of each briefing worklist column."""
    return {name.format(lang=lang): kind for name, kind in WORKLIST_COLUMNS}

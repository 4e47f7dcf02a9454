"""The HTML briefing as a file: self-contained, deterministic, escaped, ids only."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from dso_model.briefing import BriefingData, render_briefing, worklist_view, write_briefing
from dso_model.briefing.render import worklist_json

GROUPS = ("no_data", "data_available", "able_willing", "unable", "unwilling")
CHANNELS = ("email", "sms", "phone")


def sample_worklist(n: int = 40, seed: int = 3) -> pd.DataFrame:
    """A worklist shaped like the scoring job's, with known values for the tests to look for."""
    rng = np.random.default_rng(seed)
    as_of = pd.Timestamp("2024-06-01")
    due = as_of + pd.to_timedelta(rng.integers(-20, 40, n), unit="D")
    late = rng.uniform(0, 30, n)
    contact = np.arange(n) % 3 != 0
    frame = pd.DataFrame(
        {
            "invoice_id": [f"INV-{i:04d}" for i in range(n)],
            "customer_id": [f"C{i % 9:02d}" for i in range(n)],
            "group": [GROUPS[i % len(GROUPS)] for i in range(n)],
            "currency": "EUR",
            "outstanding": np.round(rng.uniform(100, 5000, n), 2),
            "due_date": due,
            "p_late": rng.uniform(0, 1, n),
            "expected_days_late": late,
            "predicted_payment_date": due + pd.to_timedelta(np.round(late), unit="D"),
            "contact": contact,
            "channel": np.where(contact, [CHANNELS[i % 3] for i in range(n)], None),
            "send_date": np.where(contact, due - pd.Timedelta(days=3), pd.NaT),
            "send_hour": np.where(contact, 10, np.nan),
            "template": np.where(contact, "pre_due_reminder", None),
            "reason_1_en": "Share paid late (last 365 days) is high",
            "reason_1_es": "Proporción pagada con retraso alta",
            "priority": np.round(rng.uniform(0, 1e5, n), 1),
        }
    )
    order = frame["priority"].rank(ascending=False, method="first").astype(int)
    return frame.assign(priority_rank=order)


def sample_briefing(n: int = 40, lang: str = "en", max_rows: int = 2000) -> BriefingData:
    months = pd.date_range("2023-07-01", periods=11, freq="MS")
    trend = pd.DataFrame(
        {
            "period_start": months,
            "dso": np.linspace(52, 47, len(months)),
            "bpdso": np.linspace(30, 31, len(months)),
            "projected": False,
            "scenario": "history",
        }
    )
    projected = pd.DataFrame(
        {
            "period_start": [pd.Timestamp("2024-06-01")] * 2,
            "dso": [46.0, 43.5],
            "bpdso": [31.0, 31.0],
            "projected": True,
            "scenario": ["without", "with"],
        }
    )
    figures = pd.DataFrame(
        {
            "now": [47.0, 31.0, 16.0, 81.0],
            "next_without_actions": [46.0, 31.0, 15.0, 82.0],
            "next_with_actions": [43.5, 31.0, 12.5, 85.0],
        },
        index=pd.Index(["dso", "bpdso", "add", "cei"], name="measure"),
    )
    groups = pd.DataFrame(
        {
            "group": list(GROUPS),
            "customers": [3, 5, 20, 4, 2],
            "open_amount": [1e3, 2e3, 5e4, 8e3, 6e3],
        }
    )
    matrix = pd.DataFrame(
        np.diag([3, 5, 18, 3, 2]) + np.eye(5, k=1, dtype=int),
        index=list(GROUPS),
        columns=list(GROUPS),
    )
    drivers = pd.DataFrame(
        {"label": ["Payment history", "Exposure", "The invoice"], "share": [0.55, 0.3, 0.15]}
    )
    worklist = sample_worklist(n)
    return BriefingData(
        portfolio_name="sample",
        as_of=pd.Timestamp("2024-06-01"),
        figures=figures,
        trend=pd.concat([trend, projected], ignore_index=True),
        groups=groups,
        migrations=matrix,
        drivers=drivers,
        worklist=worklist_view(worklist, lang=lang, max_rows=max_rows),
        worklist_total=len(worklist),
        model={"bundle": "1", "version": "3"},
        notes=("Projections assume next month's sales equal the last three months' average.",),
        lang=lang,
    )


def test_page_is_self_contained_and_complete(tmp_path):
    html = render_briefing(sample_briefing())
    assert html.startswith("<!DOCTYPE html>")
    for section in ("figures", "trend", "groups", "migrations", "drivers", "worklist-section"):
        assert f'id="{section}"' in html
    # no external resources: every image is embedded, styles and script are inline
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "<script src" not in html
    assert html.count('src="data:image/png;base64,') == 3
    path = write_briefing(sample_briefing(), tmp_path / "briefing.html")
    assert path.read_text(encoding="utf-8") == html
    assert [p.name for p in tmp_path.iterdir()] == ["briefing.html"]


def test_same_data_same_bytes():
    assert render_briefing(sample_briefing()) == render_briefing(sample_briefing())


def test_worklist_payload_round_trips_and_cannot_break_out_of_script():
    worklist = worklist_view(sample_worklist(6), max_rows=10)
    worklist.loc[0, "invoice_id"] = "</script><script>alert(1)</script>"
    text = worklist_json(worklist, "en")
    assert "</script>" not in text and "<" not in text
    payload = json.loads(text)
    assert (
        payload["rows"][0][
            payload["columns"].index(
                next(c for c in payload["columns"] if c["key"] == "invoice_id")
            )
        ]
        == "</script><script>alert(1)</script>"
    )
    keys = [c["key"] for c in payload["columns"]]
    assert len(payload["rows"]) == 6 and keys[0] == "priority_rank"
    due = payload["rows"][0][keys.index("due_date")]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", due)


def test_view_keeps_identifier_columns_only_and_highest_priority_first():
    worklist = sample_worklist(30).assign(
        name="Ana García", email="ana@example.com", phone="+34 600 000 000", message="Dear Ana"
    )
    view = worklist_view(worklist, lang="es", max_rows=10)
    assert len(view) == 10
    assert not {"name", "email", "phone", "message"} & set(view.columns)
    assert "reason_1_es" in view and "reason_1_en" not in view
    assert view["priority"].is_monotonic_decreasing
    assert view["priority"].iloc[0] == worklist["priority"].max()


@pytest.mark.parametrize("lang,word", [("en", "Worklist"), ("es", "Lista de trabajo")])
def test_language(lang, word):
    html = render_briefing(sample_briefing(lang=lang))
    assert word in html and f'<html lang="{lang}">' in html


def test_rows_note_counts_what_is_left_out():
    data = sample_briefing(n=40, max_rows=15)
    html = render_briefing(data)
    assert "15 highest-priority of 40" in html

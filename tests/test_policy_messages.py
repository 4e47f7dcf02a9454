"""Message templates: every template renders in every language and tone, safely."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dso_model.contract.spec import CHANNELS, TEMPLATES
from dso_model.errors import DsoInputError
from dso_model.policy.messages import (
    PAYMENT_LINK,
    available_messages,
    format_amount,
    format_date,
    render_message,
    render_plan,
)

FILES = available_messages()


def test_every_template_has_its_own_tone_in_spanish_and_english():
    for template, (_, tone) in TEMPLATES.items():
        for lang in ("es", "en"):
            mine = FILES[(FILES["template"] == template) & (FILES["language"] == lang)]
            assert tone in set(mine["tone"]), (template, lang)
    assert set(FILES["template"]) == set(TEMPLATES)


@pytest.mark.parametrize("row", FILES.to_dict("records"), ids=lambda r: "-".join(r.values()))
def test_every_file_renders_on_every_channel(row):
    for channel in CHANNELS:
        msg = render_message(
            row["template"],
            row["language"],
            tone=row["tone"],
            channel=channel,
            customer_name="Ana Pérez",
            amount=1234.5,
            currency="EUR",
            due_date=pd.Timestamp("2024-03-15"),
            invoice_id="INV-7",
        )
        assert (msg.template, msg.tone, msg.language) == (
            row["template"],
            row["tone"],
            row["language"],
        )
        text = msg.subject + " " + msg.body
        short = channel in ("sms", "push")
        assert "Ana Pérez" in msg.body
        if not (short and row["template"] == "welcome_channel_check"):
            assert format_amount(1234.5, "EUR", row["language"]) in text
        assert PAYMENT_LINK in msg.body
        assert "{{" not in text and "{%" not in text
        assert msg.subject and "\n" not in msg.subject
        if short:
            assert "\n" not in msg.body and len(msg.body) < 260
        if row["template"] != "welcome_channel_check":
            assert "INV-7" in text
        if not short:
            assert format_date("2024-03-15", row["language"]) in msg.body


def test_names_are_escaped_in_email_and_plain_in_sms():
    name = "<b>O'Brien & Co</b>"
    email = render_message(
        "pre_due_reminder",
        "en",
        customer_name=name,
        amount=10.0,
        due_date="2024-01-31",
        channel="email",
    )
    assert "<b>" not in email.body and "&lt;b&gt;O&#39;Brien &amp; Co&lt;/b&gt;" in email.body
    sms = render_message(
        "pre_due_reminder",
        "en",
        customer_name=name,
        amount=10.0,
        due_date="2024-01-31",
        channel="sms",
    )
    assert name in sms.body


def test_fallbacks_for_language_and_tone():
    assert render_message("final_demand", "pt", amount=5.0).language == "es"
    assert render_message("final_demand", "de", amount=5.0).language == "en"
    # a tone without its own file falls back to the template's tone
    assert render_message("final_demand", "es", tone="friendly", amount=5.0).tone == "firm"
    with pytest.raises(DsoInputError, match="unknown message template"):
        render_message("threat_letter", "es")


def test_local_formats():
    assert format_amount(1234.5, "EUR", "es") == "1.234,50 €"
    assert format_amount(1234.5, "EUR", "en") == "€1,234.50"
    assert format_amount(7.0, "MXN", "es") == "7,00 MXN"
    assert format_date("2024-03-15", "es") == "15 de marzo de 2024"
    assert format_date("2024-04-02", "ca") == "2 d'abril de 2024"
    assert format_date("2024-03-15", "en") == "15 March 2024"


def test_render_plan_uses_customer_language_and_invoice():
    customers = pd.DataFrame(
        {"customer_id": ["A", "B"], "language": ["es", "en"], "name": ["Lucía", None]}
    )
    invoices = pd.DataFrame(
        {
            "invoice_id": ["i1", "i2"],
            "amount": [50.0, 75.25],
            "currency": ["EUR", "GBP"],
            "due_date": pd.to_datetime(["2024-05-10", "2024-05-12"]),
        }
    )
    plan = pd.DataFrame(
        {
            "customer_id": ["A", "B"],
            "invoice_id": ["i1", "i2"],
            "channel": ["email", "sms"],
            "template": ["payment_plan_offer", "overdue_notice"],
            "tone": ["empathetic", "friendly"],
        }
    )
    out = render_plan(plan, customers, invoices)
    assert list(out["message_language"]) == ["es", "en"]
    assert "Lucía" in out["body"].iloc[0] and "50,00 €" in out["body"].iloc[0]
    assert "£75.25" in out["body"].iloc[1] and "customer" in out["body"].iloc[1]


def test_render_plan_equals_rendering_each_message_on_its_own():
    variants = available_messages()
    names = ['O\'Brien & <Sons> "Ltd"', None, "  Ana  "]
    channels = ["email", "sms", "push", "letter"]
    rows = [
        (v.template, v.tone, v.language, ch, names[k % 3], [None, "i1", "i2", "zz"][k % 4])
        for k, (v, ch) in enumerate((v, ch) for v in variants.itertuples() for ch in channels)
    ]
    plan = pd.DataFrame(
        {
            "customer_id": [f"c{k}" for k in range(len(rows))],
            "invoice_id": [r[5] for r in rows],
            "channel": [r[3] for r in rows],
            "template": [r[0] for r in rows],
            "tone": [r[1] for r in rows],
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": plan["customer_id"],
            "language": [r[2] for r in rows],
            "name": [r[4] for r in rows],
        }
    )
    invoices = pd.DataFrame(
        {
            "invoice_id": ["i1", "i2"],
            "amount": [1234.5, np.nan],
            "currency": ["EUR", None],
            "due_date": pd.to_datetime(["2024-05-10", None]),
        }
    )
    out = render_plan(plan, customers, invoices)
    amounts = {"i1": 1234.5}
    for k, r in enumerate(rows):
        one = render_message(
            r[0], r[2], tone=r[1], channel=r[3], customer_name=r[4],
            amount=amounts.get(r[5]), currency="EUR", due_date="2024-05-10" if r[5] == "i1" else None,
            invoice_id=r[5] if r[5] in ("i1", "i2", "zz") else None,
        )  # fmt: skip
        assert (out["subject"].iloc[k], out["body"].iloc[k]) == (one.subject, one.body)
        assert out["message_language"].iloc[k] == one.language

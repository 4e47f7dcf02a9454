"""Message rendering: Jinja2 templates per template id, tone and language.

Files live in ``templates/<template_id>/<tone>.<language>.j2``. Each file sets a ``subject`` and
renders the body; ``short`` is true for SMS and push, which get a one-line text. Variables are
autoescaped (an e-mail body is HTML-safe); plain-text channels get the text unescaped again, so a
name like "O'Brien" reads right in an SMS. The payment link is a placeholder the sending system
replaces with a real, signed link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from dso_model.contract.spec import TEMPLATES
from dso_model.errors import DsoInputError

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
PAYMENT_LINK = "[[payment_link]]"
SHORT_CHANNELS = ("sms", "push")
HTML_CHANNELS = ("email",)
LANGUAGE_FALLBACK = {"ca": "es", "pt": "es", "it": "es", "fr": "en", "de": "en"}
DEFAULT_LANGUAGE = "en"
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
MONTHS = {
    "en": "January February March April May June July August September October November December",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "ca": "gener febrer març abril maig juny juliol agost setembre octubre novembre desembre",
}


@dataclass(frozen=True)
class Message:
    """A rendered message and the variant actually used (after fallbacks)."""

    subject: str
    body: str
    template: str
    tone: str
    language: str


@cache
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


@cache
def available_messages() -> pd.DataFrame:
    """Every (template, tone, language) with a file."""
    rows = []
    for path in sorted(TEMPLATE_DIR.glob("*/*.*.j2")):
        tone, language = path.name.removesuffix(".j2").split(".")
        rows.append({"template": path.parent.name, "tone": tone, "language": language})
    return pd.DataFrame(rows, columns=["template", "tone", "language"])


def resolve_variant(template: str, tone: str | None, language: str) -> tuple[str, str]:
    """The (tone, language) file to use: the requested ones, else the template's own tone and
    the fallback language (Catalan to Spanish, then English)."""
    return _resolved_variant(template, tone, language)


@cache
def _resolved_variant(template: str, tone: str | None, language: str) -> tuple[str, str]:
    if template not in TEMPLATES:
        raise DsoInputError(
            f"unknown message template '{template}'",
            table="plan",
            column="template",
            examples=[template],
            hint=f"templates: {', '.join(TEMPLATES)}",
        )
    have = available_messages()
    have = have[have["template"] == template]
    tones = [t for t in (tone, TEMPLATES[template][1]) if t]
    languages = [x for x in (language, LANGUAGE_FALLBACK.get(language), DEFAULT_LANGUAGE) if x]
    for lang in languages:
        for t in tones:
            if ((have["tone"] == t) & (have["language"] == lang)).any():
                return t, lang
    raise DsoInputError(f"no message file for template '{template}'", table="templates")


def format_amount(amount: float, currency: str, language: str) -> str:
    """1.234,56 € in Spanish and Catalan, €1,234.56 in English; the ISO code for others."""
    symbol = CURRENCY_SYMBOLS.get(currency)
    plain = f"{amount:,.2f}"
    if language == "en":
        return f"{symbol}{plain}" if symbol else f"{currency} {plain}"
    local = plain.replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{local} {symbol or currency}"


def format_date(date, language: str) -> str:
    """15 March 2024 / 15 de marzo de 2024 / 15 de març de 2024; ISO for other languages."""
    if date is None or pd.isna(date):
        return ""
    date = pd.Timestamp(date)
    names = MONTHS.get(language)
    if names is None:
        return date.date().isoformat()
    month = names.split()[date.month - 1]
    if language == "en":
        return f"{date.day} {month} {date.year}"
    joiner = "d'" if language == "ca" and month[0] in "aeiou" else "de "
    return f"{date.day} {joiner}{month} de {date.year}"


def render_message(
    template: str,
    language: str,
    *,
    tone: str | None = None,
    channel: str = "email",
    customer_name: str | None = None,
    amount: float | None = None,
    currency: str = "EUR",
    due_date=None,
    invoice_id: str | None = None,
    payment_link: str = PAYMENT_LINK,
) -> Message:
    """Render one message for one customer and (optionally) one invoice."""
    from markupsafe import Markup

    tone, lang = resolve_variant(template, tone, language)
    jinja_template = _environment().get_template(f"{template}/{tone}.{lang}.j2")
    context = {
        "customer_name": customer_name or _GREETING_NAME[lang],
        "amount": format_amount(float(amount), currency, lang) if amount is not None else None,
        "due_date": format_date(due_date, lang),
        "invoice_id": invoice_id,
        "payment_link": payment_link,
        "short": channel in SHORT_CHANNELS,
        "channel": channel,
    }
    module = jinja_template.make_module(context)
    subject, body = str(module.subject).strip(), str(module).strip()
    if channel not in HTML_CHANNELS:
        subject, body = Markup(subject).unescape(), Markup(body).unescape()
    return Message(subject, body, template, tone, lang)


_GREETING_NAME = {"en": "customer", "es": "cliente", "ca": "client"}


def render_plan(
    plan: pd.DataFrame,
    customers: pd.DataFrame,
    invoices: pd.DataFrame,
    *,
    payment_link: str = PAYMENT_LINK,
) -> pd.DataFrame:
    """Add ``subject``, ``body`` and ``message_language`` to each row of a contact plan.

    Each variant (template, tone, language, channel and which values are present) is rendered
    once with markers in place of the values; every row then fills its own values in, escaped
    for HTML channels, exactly as a per-row render would.
    """
    cust = customers.set_index("customer_id")
    inv = invoices.set_index("invoice_id")
    inv = inv[~inv.index.duplicated()]
    languages = plan["customer_id"].map(cust["language"]).fillna(DEFAULT_LANGUAGE)
    names = plan["customer_id"].map(cust["name"]) if "name" in cust else pd.Series(None, plan.index)
    names = [None if pd.isna(name) else name for name in names.tolist()]
    invoice_ids = plan["invoice_id"] if "invoice_id" in plan else pd.Series(None, plan.index)
    looked_up = _invoice_columns(inv, invoice_ids, ("amount", "currency", "due_date"))
    tones = plan["tone"].tolist() if "tone" in plan else [None] * len(plan)
    dates: dict = {}
    messages = [
        _fill_message(
            template,
            str(language),
            tone,
            channel,
            name,
            amount,
            currency or "EUR",
            due_date,
            None if pd.isna(invoice_id) else invoice_id,
            payment_link,
            dates,
        )
        for template, language, tone, channel, name, amount, currency, due_date, invoice_id in zip(
            plan["template"].tolist(),
            languages.tolist(),
            tones,
            plan["channel"].tolist(),
            names,
            *looked_up,
            invoice_ids.tolist(),
            strict=True,
        )
    ]
    return plan.assign(
        subject=[m.subject for m in messages],
        body=[m.body for m in messages],
        message_language=[m.language for m in messages],
    )


def _invoice_columns(inv: pd.DataFrame, invoice_ids: pd.Series, columns) -> list[list]:
    """Per plan row, each column's value of its invoice (None when unknown or missing)."""
    ids = invoice_ids.astype(object)
    known = ids.notna().to_numpy()
    position = np.full(len(ids), -1, dtype=np.int64)
    if known.any():
        position[known] = inv.index.get_indexer(pd.Index(ids[known].tolist(), dtype=object))
    found = position >= 0
    out = []
    for column in columns:
        values = [None] * len(ids)
        picked = inv[column].take(position[found]).tolist()
        for k, value in zip(np.flatnonzero(found).tolist(), picked, strict=True):
            values[k] = None if pd.isna(value) else value
        out.append(values)
    return out


SLOTS = ("customer_name", "amount", "due_date", "invoice_id", "payment_link")
_MARKER = re.compile("\ue000([a-z_]+)\ue001")


@dataclass(frozen=True)
class _Skeleton:
    """A rendered variant: literal text with the names of the value slots between the pieces."""

    subject: tuple[str, ...]
    body: tuple[str, ...]
    tone: str
    language: str
    html: bool


@cache
def _skeleton(
    template: str, tone: str | None, language: str, channel: str, falsy: tuple
) -> _Skeleton | None:
    """The variant rendered with markers for the present values (``falsy`` holds, per slot, the
    value itself when it is None or empty, else ``True``); None when the text cannot be filled
    in safely (an ``&`` in the template's own text)."""
    tone_used, lang = resolve_variant(template, tone, language)
    jinja_template = _environment().get_template(f"{template}/{tone_used}.{lang}.j2")
    context = {
        slot: f"\ue000{slot}\ue001" if value is True else value
        for slot, value in zip(SLOTS, falsy, strict=True)
    }
    context |= {"short": channel in SHORT_CHANNELS, "channel": channel}
    module = jinja_template.make_module(context)
    subject, body = _MARKER.split(str(module.subject)), _MARKER.split(str(module))
    if any("&" in piece or "\ue000" in piece for piece in subject[::2] + body[::2]):
        return None
    return _Skeleton(tuple(subject), tuple(body), tone_used, lang, channel in HTML_CHANNELS)


def _filled(pieces: tuple[str, ...], values: dict[str, str]) -> str:
    out = list(pieces)
    for k in range(1, len(out), 2):
        out[k] = values[out[k]]
    return "".join(out).strip()


def _fill_message(
    template, language, tone, channel, customer_name, amount, currency, due_date, invoice_id,
    payment_link, dates: dict,
) -> Message:  # fmt: skip
    """One row's message from its variant's skeleton (a full render when there is none)."""
    from markupsafe import escape

    _, lang = resolve_variant(template, tone, language)
    key = (due_date, lang)
    if key not in dates:
        dates[key] = format_date(due_date, lang)
    values = {
        "customer_name": customer_name or _GREETING_NAME[lang],
        "amount": format_amount(float(amount), currency, lang) if amount is not None else None,
        "due_date": dates[key],
        "invoice_id": invoice_id,
        "payment_link": payment_link,
    }
    falsy = tuple(values[s] if not values[s] else True for s in SLOTS)
    skeleton = _skeleton(template, tone, language, channel, falsy)
    if skeleton is None:
        return render_message(
            template, language, tone=tone, channel=channel, customer_name=customer_name,
            amount=amount, currency=currency, due_date=due_date, invoice_id=invoice_id,
            payment_link=payment_link,
        )  # fmt: skip
    if skeleton.html:
        text = {s: str(escape(v)) for s, v in values.items() if v}
    else:
        text = {s: str(v) for s, v in values.items() if v}
    return Message(
        _filled(skeleton.subject, text),
        _filled(skeleton.body, text),
        template,
        skeleton.tone,
        skeleton.language,
    )

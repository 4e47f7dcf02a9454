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

from dso_model.contract.lookup import positions_in
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
    customer = positions_in(plan["customer_id"], customers["customer_id"])
    languages = _values_at(customers["language"], customer)
    has_names = "name" in customers
    names = _values_at(customers["name"], customer) if has_names else [None] * len(plan)
    invoice_ids = plan["invoice_id"] if "invoice_id" in plan else pd.Series(None, plan.index)
    invoice = positions_in(invoice_ids.astype(object), invoices["invoice_id"])
    columns = (
        plan["template"].tolist(),
        [DEFAULT_LANGUAGE if language is None else str(language) for language in languages],
        plan["tone"].tolist() if "tone" in plan else [None] * len(plan),
        plan["channel"].tolist(),
        names,
        *(_values_at(invoices[column], invoice) for column in ("amount", "currency", "due_date")),
        _none_for_missing(invoice_ids),
    )
    subject, body, language = _render_rows(columns, payment_link)
    return plan.assign(subject=subject, body=body, message_language=language)


def _values_at(column: pd.Series, position: np.ndarray) -> list:
    """The column's value at each position (the first row of a repeated id), None where the
    position is -1 or the value missing."""
    values = np.full(len(position), None, dtype=object)
    found = np.flatnonzero(position >= 0)
    values[found] = _none_for_missing(column.take(position[found]))
    return values.tolist()


def _none_for_missing(values: pd.Series) -> list:
    """The values as Python objects, None where missing."""
    out = values.to_numpy(dtype=object, copy=True)
    out[pd.isna(out)] = None
    return out.tolist()


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


def _render_rows(columns: tuple[list, ...], payment_link: str) -> tuple[list, list, list]:
    """Subject, body and language of each row of the columns (template, language, tone, channel,
    name, amount, currency, due date, invoice id): the rows of one variant are filled in
    together from its skeleton; a variant without one is rendered row by row."""
    values, variants = _slot_values(columns, payment_link)
    n = len(columns[0])
    subject, body, language = [None] * n, [None] * n, [None] * n
    for key, members in variants.items():
        skeleton = _skeleton(*key[:4], key[4:])
        if skeleton is None:
            texts = [_render_row([c[k] for c in columns], payment_link) for k in members]
        else:
            texts = _filled_variant(skeleton, values, np.asarray(members))
        for k, (sub, text, lang) in zip(members, texts, strict=True):
            subject[k], body[k], language[k] = sub, text, lang
    return subject, body, language


def _slot_values(columns: tuple[list, ...], payment_link: str) -> tuple[dict, dict]:
    """Each slot's text per row (None when empty), and the rows of each variant (template, tone,
    language, channel and, per slot, ``True`` or the empty value itself)."""
    template, language, tone, channel, name, amount, currency, due_date, invoice_id = columns
    lang = [resolve_variant(*variant)[1] for variant in zip(template, tone, language, strict=True)]
    dates: dict = {}
    texts = {
        "customer_name": [n or _GREETING_NAME[lg] for n, lg in zip(name, lang, strict=True)],
        "amount": [
            format_amount(float(a), c or "EUR", lg) if a is not None else None
            for a, c, lg in zip(amount, currency, lang, strict=True)
        ],
        "due_date": [_date_text(dates, d, lg) for d, lg in zip(due_date, lang, strict=True)],
        "invoice_id": list(invoice_id),
        "payment_link": [payment_link] * len(template),
    }
    present = [[text if not text else True for text in texts[slot]] for slot in SLOTS]
    variants: dict[tuple, list[int]] = {}
    for k, key in enumerate(zip(template, tone, language, channel, *present, strict=True)):
        variants.setdefault(key, []).append(k)
    values = {
        slot: np.array([str(text) if text else None for text in texts[slot]], dtype=object)
        for slot in SLOTS
    }
    return values, variants


def _date_text(dates: dict, date, language: str) -> str:
    """:func:`format_date`, once per date and language (``dates``: the texts so far)."""
    if (date, language) not in dates:
        dates[date, language] = format_date(date, language)
    return dates[date, language]


def _render_row(row: list, payment_link: str) -> tuple[str, str, str]:
    template, language, tone, channel, name, amount, currency, due_date, invoice_id = row
    message = render_message(
        template, language, tone=tone, channel=channel, customer_name=name, amount=amount,
        currency=currency or "EUR", due_date=due_date, invoice_id=invoice_id,
        payment_link=payment_link,
    )  # fmt: skip
    return message.subject, message.body, message.language


def _filled_variant(skeleton: _Skeleton, values: dict, members: np.ndarray):
    """(subject, body, language) of the rows ``members`` of one variant, from its skeleton."""
    texts = {slot: column[members] for slot, column in values.items()}
    if skeleton.html:
        texts = {slot: _html_escaped(column) for slot, column in texts.items()}
    subject = _joined(skeleton.subject, texts, len(members))
    body = _joined(skeleton.body, texts, len(members))
    return zip(subject, body, [skeleton.language] * len(members), strict=True)


def _joined(pieces: tuple[str, ...], texts: dict, n: int) -> list[str]:
    """The pieces with each row's slot texts between them, stripped."""
    out = np.full(n, pieces[0], dtype=object)
    for k in range(1, len(pieces), 2):
        out = out + texts[pieces[k]] + pieces[k + 1]
    return [text.strip() for text in out]


_HTML_SPECIAL = "[&<>\"']"


def _html_escaped(texts: np.ndarray) -> np.ndarray:
    """``str(markupsafe.escape(text))`` of each text, escaping only those that need it."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from markupsafe import escape

    special = pc.match_substring_regex(pa.array(texts, type=pa.string()), _HTML_SPECIAL)
    rows = np.flatnonzero(special.fill_null(False).to_numpy(zero_copy_only=False))
    if not len(rows):
        return texts
    out = texts.copy()
    out[rows] = [str(escape(text)) for text in texts[rows]]
    return out

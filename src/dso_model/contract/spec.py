"""The canonical tables, declared once.

Pandera schemas (:mod:`dso_model.contract.schemas`) and the contract page (``docs/contract.md``)
are both generated from these declarations, so the code and the documentation cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SEGMENTS = ("consumer", "sme", "corporate")
CHANNELS = ("email", "sms", "phone", "letter", "push")
INVOICE_STATUSES = ("open", "paid", "partially_paid", "written_off")
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "MXN", "BRL", "AUD", "CAD", "JPY", "CNY", "INR")
LANGUAGES = ("es", "en", "ca", "pt", "fr", "de", "it")
TONES = ("friendly", "neutral", "empathetic", "firm")
# Message templates known to the system: id -> (purpose, tone). The simulator's contact effects,
# the policy's action space and the Jinja2 message files all use these ids.
TEMPLATES: dict[str, tuple[str, str]] = {
    "welcome_channel_check": ("onboarding", "friendly"),
    "pre_due_reminder": ("reminder", "friendly"),
    "due_today_notice": ("reminder", "neutral"),
    "overdue_notice": ("dunning", "neutral"),
    "payment_plan_offer": ("plan_offer", "empathetic"),
    "final_demand": ("escalation", "firm"),
}
# Ordered: each outcome implies the ones before it (a reply was also opened and delivered).
CONTACT_OUTCOMES = ("failed", "delivered", "opened", "replied", "promise_to_pay")
EVENT_TYPES = (
    "dispute_opened",
    "dispute_resolved",
    "promise_to_pay",
    "promise_kept",
    "promise_broken",
    "plan_requested",
    "plan_agreed",
    "complaint",
    "social_mention",
    "opt_out",
    "opt_in",
    "paperless_on",
    "autopay_on",
    "autopay_off",
    "write_off",
)
# Amounts may differ from the invoice amount by rounding only.
AMOUNT_TOLERANCE = 0.01


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a canonical table."""

    name: str
    dtype: str  # "str", "date", "datetime", "float", "int", "bool"
    description: str
    required: bool = True
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    min_exclusive: bool = False
    unique: bool = False
    references: str | None = None  # "table.column"


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: its columns and the rules across columns."""

    name: str
    description: str
    key: str
    columns: tuple[ColumnSpec, ...]
    rules: tuple[str, ...] = field(default_factory=tuple)

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> ColumnSpec:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _opt_out(channel: str) -> ColumnSpec:
    return ColumnSpec(
        f"opt_out_{channel}",
        "bool",
        f"The customer refused contact by {channel}. Missing means no refusal on record.",
        required=False,
    )


CUSTOMERS = TableSpec(
    name="customers",
    description="One row per customer: who they are, enrichment attributes and contact permissions.",
    key="customer_id",
    columns=(
        ColumnSpec("customer_id", "str", "Customer identifier.", unique=True),
        ColumnSpec("created_date", "date", "When the customer relationship started."),
        ColumnSpec("segment", "str", "Customer segment.", allowed=SEGMENTS),
        ColumnSpec("country", "str", "Country code (ISO 3166 alpha-2 or the source's code)."),
        ColumnSpec("language", "str", "Preferred language for messages.", allowed=LANGUAGES),
        ColumnSpec(
            "timezone",
            "str",
            "IANA time zone for quiet hours; missing means the portfolio's zone.",
            required=False,
            nullable=True,
        ),
        ColumnSpec(
            "credit_limit",
            "float",
            "Credit limit in the invoice currency (enrichment).",
            required=False,
            nullable=True,
            min_value=0,
        ),
        ColumnSpec(
            "spend_level",
            "float",
            "Typical monthly spend (sales enrichment).",
            required=False,
            nullable=True,
            min_value=0,
        ),
        ColumnSpec(
            "spend_trend",
            "float",
            "Relative change of spend over the last year, e.g. -0.2 for a 20 % fall (enrichment).",
            required=False,
            nullable=True,
        ),
        ColumnSpec(
            "autopay",
            "bool",
            "Pays by direct debit; do not contact about invoices it settles by itself.",
            required=False,
            nullable=True,
        ),
        ColumnSpec(
            "paperless", "bool", "Receives invoices electronically.", required=False, nullable=True
        ),
        *(_opt_out(ch) for ch in CHANNELS),
        ColumnSpec(
            "name",
            "str",
            "Display name for messages. Personal data: never logged or tracked.",
            required=False,
            nullable=True,
        ),
        ColumnSpec(
            "email",
            "str",
            "E-mail address. Personal data: never logged or tracked.",
            required=False,
            nullable=True,
        ),
        ColumnSpec(
            "phone",
            "str",
            "Phone number. Personal data: never logged or tracked.",
            required=False,
            nullable=True,
        ),
    ),
)

INVOICES = TableSpec(
    name="invoices",
    description=(
        "One row per invoice as known at the extraction date. Open invoices are data: they are "
        "censored outcomes, not missing ones."
    ),
    key="invoice_id",
    columns=(
        ColumnSpec("invoice_id", "str", "Invoice identifier.", unique=True),
        ColumnSpec("customer_id", "str", "Who owes it.", references="customers.customer_id"),
        ColumnSpec("issue_date", "date", "Invoice date."),
        ColumnSpec("due_date", "date", "Due date; never before the issue date."),
        ColumnSpec("amount", "float", "Invoice amount.", min_value=0, min_exclusive=True),
        ColumnSpec("currency", "str", "ISO 4217 currency code.", allowed=CURRENCIES),
        ColumnSpec(
            "terms_days",
            "int",
            "Payment terms in days (due date minus issue date when the source does not say).",
            required=False,
            min_value=0,
        ),
        ColumnSpec(
            "paid_date",
            "date",
            "Date the invoice was settled in full; missing while not fully paid.",
            nullable=True,
            required=False,
        ),
        ColumnSpec(
            "paid_amount",
            "float",
            "Amount paid so far (0 when nothing).",
            required=False,
            min_value=0,
        ),
        ColumnSpec("status", "str", "Status at the extraction date.", allowed=INVOICE_STATUSES),
    ),
    rules=(
        "due_date >= issue_date",
        "paid_date >= issue_date where paid",
        "status 'paid' has a paid_date and paid_amount >= amount (within rounding)",
        "status 'open' has no paid_date and paid_amount = 0",
        "status 'partially_paid' has 0 < paid_amount < amount and no paid_date",
        "customer_id resolves to a customer",
    ),
)

PAYMENTS = TableSpec(
    name="payments",
    description="One row per payment received; an invoice can have several (partial payments).",
    key="payment_id",
    columns=(
        ColumnSpec("payment_id", "str", "Payment identifier.", unique=True),
        ColumnSpec("invoice_id", "str", "Invoice paid.", references="invoices.invoice_id"),
        ColumnSpec("payment_date", "date", "Date the money arrived."),
        ColumnSpec("amount", "float", "Amount received.", min_value=0, min_exclusive=True),
    ),
    rules=(
        "invoice_id resolves to an invoice",
        "payment_date >= the invoice's issue_date",
        "payments of an invoice add up to its paid_amount (within rounding)",
    ),
)

CONTACTS = TableSpec(
    name="contacts",
    description=(
        "One row per outbound contact: what was sent, when, by which policy and with what "
        "probability (the propensity, for off-policy evaluation), and what came of it."
    ),
    key="contact_id",
    columns=(
        ColumnSpec("contact_id", "str", "Contact identifier.", unique=True),
        ColumnSpec("customer_id", "str", "Who was contacted.", references="customers.customer_id"),
        ColumnSpec(
            "invoice_id",
            "str",
            "The invoice the contact was about, if any.",
            nullable=True,
            required=False,
            references="invoices.invoice_id",
        ),
        ColumnSpec("timestamp", "datetime", "When it was sent (local time of the portfolio)."),
        ColumnSpec("channel", "str", "Channel used.", allowed=CHANNELS),
        ColumnSpec("template", "str", "Message template id (see TEMPLATES for the built-in ones)."),
        ColumnSpec("tone", "str", "Tone of the message.", allowed=TONES, required=False),
        ColumnSpec(
            "policy", "str", "Which policy chose this action.", required=False, nullable=True
        ),
        ColumnSpec(
            "propensity",
            "float",
            "Probability with which the logging policy chose this action.",
            required=False,
            nullable=True,
            min_value=0,
            min_exclusive=True,
            max_value=1,
        ),
        ColumnSpec(
            "outcome",
            "str",
            "Best outcome observed; each implies those before it in the list.",
            allowed=CONTACT_OUTCOMES,
        ),
        ColumnSpec(
            "cost", "float", "Cost of the contact.", required=False, nullable=True, min_value=0
        ),
    ),
    rules=("customer_id resolves to a customer", "invoice_id, when given, resolves to an invoice"),
)

EVENTS = TableSpec(
    name="events",
    description=(
        "Dated customer events: disputes, promises to pay and whether they were kept, payment-plan "
        "requests, complaints, public social-media mentions with sentiment, opt-outs, write-offs."
    ),
    key="event_id",
    columns=(
        ColumnSpec("event_id", "str", "Event identifier.", unique=True),
        ColumnSpec("customer_id", "str", "Customer concerned.", references="customers.customer_id"),
        ColumnSpec(
            "invoice_id",
            "str",
            "Invoice concerned, if any.",
            nullable=True,
            required=False,
            references="invoices.invoice_id",
        ),
        ColumnSpec("timestamp", "datetime", "When it happened or became known."),
        ColumnSpec("event_type", "str", "What happened.", allowed=EVENT_TYPES),
        ColumnSpec(
            "channel",
            "str",
            "Channel concerned (opt-outs, complaints).",
            required=False,
            nullable=True,
            allowed=CHANNELS,
        ),
        ColumnSpec(
            "sentiment",
            "float",
            "Sentiment of a mention or complaint, -1 (hostile) to 1 (warm).",
            required=False,
            nullable=True,
            min_value=-1,
            max_value=1,
        ),
        ColumnSpec(
            "value",
            "float",
            "Amount promised or written off, when it applies.",
            required=False,
            nullable=True,
            min_value=0,
        ),
    ),
    rules=("customer_id resolves to a customer", "invoice_id, when given, resolves to an invoice"),
)

TABLES: dict[str, TableSpec] = {
    t.name: t for t in (CUSTOMERS, INVOICES, PAYMENTS, CONTACTS, EVENTS)
}

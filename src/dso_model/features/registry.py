"""The feature registry: every feature's name, family, meaning, type and readable labels.

The registry is the single list the pipeline fills, the documentation page is generated from, and
explanation code uses to group drivers by family and to build reason sentences (``label_en`` and
``label_es`` are short noun phrases such as "Share paid late (last 365 days)").
Names that depend on settings (windows, k) come from a :class:`FeatureConfig`;
``FEATURE_REGISTRY`` is the registry of the default settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from dso_model.contract.spec import CHANNELS
from dso_model.features.config import FeatureConfig

FAMILIES: dict[str, str] = {
    "history": "Payment behaviour of the customer on its other invoices, before the cut-off.",
    "exposure": "What the customer owes at the cut-off, and this invoice against it.",
    "channel": "Contacts received per channel and how the customer responded.",
    "reputation": "Complaints and public mentions.",
    "attributes": "Who the customer is (enrichment) and how much is known about it.",
    "invoice": "The invoice itself and the calendar around it.",
}
DTYPES = ("float64", "int8", "int32")

CHANNEL_ES = {
    "email": "correo electrónico",
    "sms": "SMS",
    "phone": "teléfono",
    "letter": "carta",
    "push": "notificación push",
}


@dataclass(frozen=True)
class FeatureSpec:
    """One feature. ``categorical`` features are stable integer codes (-1: missing or unknown)."""

    name: str
    family: str
    description: str
    dtype: str
    label_en: str
    label_es: str
    categorical: bool = False


def _f(name, family, description, label_en, label_es, dtype="float64", categorical=False):
    return FeatureSpec(name, family, description, dtype, label_en, label_es, categorical)


def history_specs(cfg: FeatureConfig) -> Iterator[FeatureSpec]:
    h = "history"
    yield _f(
        "hist_invoices_issued",
        h,
        "Number of the customer's other invoices issued before the cut-off.",
        "Earlier invoices",
        "Facturas anteriores",
    )
    yield _f(
        "hist_paid_count",
        h,
        "Other invoices settled in full before the cut-off.",
        "Invoices paid",
        "Facturas pagadas",
    )
    yield _f(
        "hist_late_share",
        h,
        "Share of those paid more than `grace_days` after their due date.",
        "Share paid late",
        "Proporción pagada con retraso",
    )
    yield _f(
        "hist_days_late_mean",
        h,
        "Mean days late of the invoices paid (early payments count as 0).",
        "Average days late",
        "Retraso medio en días",
    )
    yield _f(
        "hist_days_to_pay_mean",
        h,
        "Mean days from issue to settlement of the invoices paid.",
        "Average days to pay",
        "Días medios hasta el pago",
    )
    for w in cfg.windows_days:
        yield _f(
            f"hist_paid_count_{w}d",
            h,
            f"Other invoices settled in the {w} days before the cut-off.",
            f"Invoices paid (last {w} days)",
            f"Facturas pagadas (últimos {w} días)",
        )
        yield _f(
            f"hist_late_share_{w}d",
            h,
            f"Share paid late among invoices settled in the last {w} days.",
            f"Share paid late (last {w} days)",
            f"Proporción pagada con retraso (últimos {w} días)",
        )
        yield _f(
            f"hist_days_late_mean_{w}d",
            h,
            f"Mean days late of invoices settled in the last {w} days.",
            f"Average days late (last {w} days)",
            f"Retraso medio en días (últimos {w} días)",
        )
        yield _f(
            f"hist_days_to_pay_mean_{w}d",
            h,
            f"Mean days to pay of invoices settled in the last {w} days.",
            f"Average days to pay (last {w} days)",
            f"Días medios hasta el pago (últimos {w} días)",
        )
    hl = f"{cfg.decay_half_life_days:g}"
    yield _f(
        "hist_paid_weight_decay",
        h,
        f"Number of invoices paid, each weighted by 2^(-age/{hl} days): recent history depth.",
        "Recent payment history",
        "Historial de pagos reciente",
    )
    yield _f(
        "hist_late_share_decay",
        h,
        f"Share paid late, weighting each payment by 2^(-age/{hl} days).",
        "Share paid late (recent weighted more)",
        "Proporción pagada con retraso (lo reciente pesa más)",
    )
    yield _f(
        "hist_days_late_decay",
        h,
        f"Mean days late, weighting each payment by 2^(-age/{hl} days).",
        "Average days late (recent weighted more)",
        "Retraso medio (lo reciente pesa más)",
    )
    yield _f(
        "hist_days_to_pay_decay",
        h,
        f"Mean days to pay, weighting each payment by 2^(-age/{hl} days).",
        "Average days to pay (recent weighted more)",
        "Días medios hasta el pago (lo reciente pesa más)",
    )
    k = cfg.last_k
    for i in range(1, k + 1):
        yield _f(
            f"hist_days_late_last{i}",
            h,
            f"Days late of the {_ordinal(i) + ' ' if i > 1 else ''}most recently settled other invoice.",
            _last_en(i),
            _last_es(i),
        )
    yield _f(
        f"hist_days_late_median_last{k}",
        h,
        f"Median days late of the last {k} settled invoices.",
        f"Median days late (last {k} invoices)",
        f"Mediana de días de retraso (últimas {k} facturas)",
    )
    yield _f(
        f"hist_days_late_max_last{k}",
        h,
        f"Largest days late among the last {k} settled invoices.",
        f"Worst delay (last {k} invoices)",
        f"Mayor retraso (últimas {k} facturas)",
    )
    yield _f(
        "hist_days_late_trend",
        h,
        f"Least-squares slope of days late per invoice over the last {k} settled (needs 2); positive means getting later.",
        "Trend of delays",
        "Tendencia del retraso",
    )
    yield _f(
        "hist_on_time_streak",
        h,
        "Most recent settled invoices paid on time in a row.",
        "On-time payments in a row",
        "Pagos puntuales seguidos",
    )
    yield _f(
        "hist_days_since_late",
        h,
        "Days since the last settlement that was late; missing if never late.",
        "Days since a late payment",
        "Días desde el último pago con retraso",
    )
    yield _f(
        "hist_days_since_payment",
        h,
        "Days since the customer's last payment on any invoice (this one included).",
        "Days since last payment",
        "Días desde el último pago",
    )
    yield _f(
        "hist_partial_payments",
        h,
        "Instalments on other invoices that left them still open. Missing before the source's first payment line.",
        "Partial payments",
        "Pagos parciales",
    )
    yield _f(
        "hist_write_offs",
        h,
        "Write-off events of the customer.",
        "Invoices written off",
        "Facturas declaradas incobrables",
    )
    yield _f(
        "hist_written_off_amount",
        h,
        "Total amount written off.",
        "Amount written off",
        "Importe declarado incobrable",
    )
    yield _f(
        "hist_promises",
        h,
        "Promises to pay recorded as events.",
        "Promises to pay",
        "Promesas de pago",
    )
    yield _f(
        "hist_promises_kept", h, "Promises recorded as kept.", "Promises kept", "Promesas cumplidas"
    )
    yield _f(
        "hist_promises_broken",
        h,
        "Promises recorded as broken.",
        "Promises broken",
        "Promesas incumplidas",
    )
    yield _f(
        "hist_promise_kept_share",
        h,
        "Kept / (kept + broken).",
        "Share of promises kept",
        "Proporción de promesas cumplidas",
    )
    yield _f("hist_disputes", h, "Disputes opened.", "Disputes opened", "Disputas abiertas")
    yield _f(
        "hist_disputes_open",
        h,
        "Disputes opened minus disputes resolved (at least 0).",
        "Disputes unresolved",
        "Disputas sin resolver",
    )
    yield _f(
        "hist_days_since_dispute",
        h,
        "Days since the last dispute was opened.",
        "Days since a dispute",
        "Días desde la última disputa",
    )
    yield _f(
        "hist_plan_requests",
        h,
        "Payment-plan requests.",
        "Payment-plan requests",
        "Solicitudes de plan de pagos",
    )
    yield _f(
        "hist_plans_agreed",
        h,
        "Payment plans agreed.",
        "Payment plans agreed",
        "Planes de pago acordados",
    )


def exposure_specs(cfg: FeatureConfig) -> Iterator[FeatureSpec]:
    e = "exposure"
    yield _f(
        "exp_open_count",
        e,
        "Other invoices issued before the cut-off and neither settled nor written off before it.",
        "Other open invoices",
        "Otras facturas pendientes",
    )
    yield _f(
        "exp_open_balance",
        e,
        "What remains unpaid on those invoices at the cut-off.",
        "Open balance",
        "Saldo pendiente",
    )
    yield _f(
        "exp_overdue_count",
        e,
        "Other open invoices whose due date is before the cut-off.",
        "Overdue invoices",
        "Facturas vencidas",
    )
    yield _f(
        "exp_overdue_balance",
        e,
        "What remains unpaid on the overdue invoices.",
        "Overdue balance",
        "Saldo vencido",
    )
    yield _f(
        "exp_oldest_open_days",
        e,
        "Days since the issue of the oldest other open invoice.",
        "Age of oldest open invoice",
        "Antigüedad de la factura pendiente más antigua",
    )
    yield _f(
        "exp_oldest_overdue_days",
        e,
        "Days past due of the oldest overdue invoice.",
        "Days overdue (oldest invoice)",
        "Días vencida (factura más antigua)",
    )
    yield _f(
        "exp_amount_vs_mean",
        e,
        "This invoice's amount over the mean amount of the customer's earlier invoices.",
        "Amount against usual",
        "Importe frente al habitual",
    )
    yield _f(
        "exp_amount_vs_credit_limit",
        e,
        "This invoice's amount over the credit limit.",
        "Amount against credit limit",
        "Importe frente al límite de crédito",
    )
    yield _f(
        "exp_utilisation",
        e,
        "(Open balance + this invoice's amount) over the credit limit.",
        "Credit limit used",
        "Uso del límite de crédito",
    )
    yield _f(
        "exp_invoice_paid_share",
        e,
        "Share of this invoice paid before the cut-off (partial payments).",
        "Share of this invoice paid",
        "Parte de esta factura pagada",
    )


def channel_specs(cfg: FeatureConfig) -> Iterator[FeatureSpec]:
    c, k = "channel", cfg.response_window_days
    for ch in CHANNELS:
        es = CHANNEL_ES[ch]
        yield _f(
            f"ch_{ch}_contacts",
            c,
            f"Contacts sent to the customer by {ch}.",
            f"Contacts by {ch}",
            f"Contactos por {es}",
        )
        yield _f(
            f"ch_{ch}_open_rate",
            c,
            f"Share of {ch} contacts opened or better.",
            f"Open rate ({ch})",
            f"Tasa de apertura ({es})",
        )
        yield _f(
            f"ch_{ch}_reply_rate",
            c,
            f"Share of {ch} contacts replied to or better.",
            f"Reply rate ({ch})",
            f"Tasa de respuesta ({es})",
        )
        yield _f(
            f"ch_{ch}_paid_after_share",
            c,
            f"Share of {ch} contacts followed by a payment within {k} days (contacts whose window closed before the cut-off).",
            f"Payment after {ch} contact",
            f"Pago tras contacto por {es}",
        )
        yield _f(
            f"ch_{ch}_days_since",
            c,
            f"Days since the last {ch} contact.",
            f"Days since {ch} contact",
            f"Días desde el contacto por {es}",
        )
    yield _f(
        "ch_contacts",
        c,
        "Contacts sent through any channel.",
        "Contacts received",
        "Contactos recibidos",
    )
    for p in cfg.pressure_windows_days:
        yield _f(
            f"ch_contacts_{p}d",
            c,
            f"Contacts in the {p} days before the cut-off (contact pressure).",
            f"Contacts (last {p} days)",
            f"Contactos (últimos {p} días)",
        )
    yield _f(
        "ch_days_since_contact",
        c,
        "Days since the last contact of any channel.",
        "Days since last contact",
        "Días desde el último contacto",
    )
    yield _f(
        "ch_promise_rate",
        c,
        "Share of contacts answered with a promise to pay.",
        "Promise-to-pay rate",
        "Tasa de promesa de pago",
    )
    yield _f(
        "ch_response_hour_mean",
        c,
        "Mean hour of day at which the contacts that got a reply were sent.",
        "Usual reply hour",
        "Hora habitual de respuesta",
    )
    yield _f(
        "ch_invoice_contacts",
        c,
        "Contacts about this invoice.",
        "Contacts about this invoice",
        "Contactos sobre esta factura",
    )


def reputation_specs(cfg: FeatureConfig) -> Iterator[FeatureSpec]:
    r, w = "reputation", cfg.reputation_window_days
    yield _f("rep_complaints", r, "Complaints made by the customer.", "Complaints", "Quejas")
    yield _f(
        f"rep_complaints_{w}d",
        r,
        f"Complaints in the last {w} days.",
        f"Complaints (last {w} days)",
        f"Quejas (últimos {w} días)",
    )
    yield _f(
        "rep_days_since_complaint",
        r,
        "Days since the last complaint.",
        "Days since a complaint",
        "Días desde la última queja",
    )
    yield _f(
        "rep_mentions",
        r,
        "Public social-media mentions by the customer.",
        "Public mentions",
        "Menciones públicas",
    )
    yield _f(
        f"rep_mentions_{w}d",
        r,
        f"Public mentions in the last {w} days.",
        f"Public mentions (last {w} days)",
        f"Menciones públicas (últimos {w} días)",
    )
    yield _f(
        "rep_days_since_mention",
        r,
        "Days since the last public mention.",
        "Days since a public mention",
        "Días desde la última mención pública",
    )
    yield _f(
        "rep_mention_sentiment_mean",
        r,
        "Mean sentiment of the mentions that carry one (-1 hostile .. 1 warm).",
        "Tone of public mentions",
        "Tono de las menciones públicas",
    )
    yield _f(
        "rep_mention_negative_share",
        r,
        "Share of those mentions with negative sentiment.",
        "Share of negative mentions",
        "Proporción de menciones negativas",
    )


def attribute_specs(cfg: FeatureConfig) -> Iterator[FeatureSpec]:
    a = "attributes"
    yield _f(
        "attr_segment",
        a,
        "Segment code (see the category encoder).",
        "Segment",
        "Segmento",
        "int32",
        True,
    )
    yield _f(
        "attr_country",
        a,
        "Country code (see the category encoder).",
        "Country",
        "País",
        "int32",
        True,
    )
    yield _f(
        "attr_language",
        a,
        "Language code (see the category encoder).",
        "Language",
        "Idioma",
        "int32",
        True,
    )
    yield _f(
        "attr_tenure_days",
        a,
        "Days from the customer's start date to the cut-off.",
        "Customer tenure",
        "Antigüedad del cliente",
    )
    yield _f(
        "attr_credit_limit", a, "Credit limit (enrichment).", "Credit limit", "Límite de crédito"
    )
    yield _f(
        "attr_spend_level",
        a,
        "Typical monthly spend (enrichment).",
        "Spend level",
        "Nivel de gasto",
    )
    yield _f(
        "attr_spend_trend",
        a,
        "Relative change of spend over a year (enrichment).",
        "Spend trend",
        "Tendencia del gasto",
    )
    yield _f(
        "attr_autopay",
        a,
        "Pays by direct debit: the last autopay event before the cut-off, else the customer record.",
        "Direct debit",
        "Domiciliación bancaria",
    )
    yield _f(
        "attr_paperless",
        a,
        "Electronic invoicing: a paperless event before the cut-off, else the customer record.",
        "Electronic invoicing",
        "Factura electrónica",
    )
    for ch in CHANNELS:
        yield _f(
            f"attr_opted_out_{ch}",
            a,
            f"Refuses {ch} contact: the last opt-out/opt-in event for {ch} before the cut-off, else the customer record.",
            f"Refuses {ch}",
            f"Rechaza {CHANNEL_ES[ch]}",
        )
    yield _f(
        "attr_no_history",
        a,
        "1 when the customer has no other invoice issued before the cut-off.",
        "New customer, no history",
        "Cliente sin historial",
        "int8",
    )
    yield _f(
        "attr_short_history",
        a,
        f"1 when there is history but fewer than {cfg.short_history_invoices} invoices paid.",
        "Short payment history",
        "Historial de pagos corto",
        "int8",
    )
    yield _f(
        "attr_no_enrichment",
        a,
        "1 when credit limit, spend, autopay and paperless are all unknown.",
        "No enrichment data",
        "Sin datos de enriquecimiento",
        "int8",
    )


def invoice_specs(cfg: FeatureConfig) -> Iterator[FeatureSpec]:
    i, m = "invoice", cfg.month_end_days
    yield _f("inv_amount", i, "Invoice amount.", "Invoice amount", "Importe de la factura")
    yield _f(
        "inv_log_amount",
        i,
        "log(1 + amount).",
        "Invoice amount (log)",
        "Importe de la factura (log)",
    )
    yield _f("inv_terms_days", i, "Payment terms in days.", "Payment terms", "Plazo de pago")
    yield _f(
        "inv_currency",
        i,
        "Currency code (see the category encoder).",
        "Currency",
        "Moneda",
        "int32",
        True,
    )
    yield _f(
        "inv_days_to_due",
        i,
        "Days from the cut-off to the due date (negative once past due).",
        "Days to due date",
        "Días hasta el vencimiento",
    )
    yield _f(
        "inv_age_days",
        i,
        "Days from the issue date to the cut-off.",
        "Invoice age",
        "Antigüedad de la factura",
    )
    yield _f(
        "inv_disputed",
        i,
        "1 when a dispute about this invoice was opened before the cut-off.",
        "Invoice disputed",
        "Factura en disputa",
    )
    yield _f(
        "inv_issue_weekday",
        i,
        "Weekday of the issue date (0 = Monday).",
        "Issue weekday",
        "Día de emisión",
        "int8",
    )
    yield _f(
        "inv_issue_month_end",
        i,
        f"1 when issued in the last {m} days of a month.",
        "Issued at month-end",
        "Emitida a fin de mes",
        "int8",
    )
    yield _f(
        "inv_due_weekday",
        i,
        "Weekday of the due date (0 = Monday).",
        "Due weekday",
        "Día de vencimiento",
        "int8",
    )
    yield _f(
        "inv_due_month",
        i,
        "Month of the due date (1-12).",
        "Due month",
        "Mes de vencimiento",
        "int8",
    )
    yield _f(
        "inv_due_month_end",
        i,
        f"1 when due in the last {m} days of a month.",
        "Due at month-end",
        "Vence a fin de mes",
        "int8",
    )
    yield _f(
        "inv_due_weekend",
        i,
        "1 when the due date falls on a Saturday or Sunday.",
        "Due on a weekend",
        "Vence en fin de semana",
        "int8",
    )
    yield _f(
        "inv_due_holiday",
        i,
        "1 when the due date is a public holiday in the customer's country; missing when the country is not known to the holiday calendar.",
        "Due on a holiday",
        "Vence en festivo",
    )
    yield _f(
        "inv_holidays_to_due",
        i,
        "Public holidays from the cut-off to the due date (both included).",
        "Holidays before due date",
        "Festivos hasta el vencimiento",
    )
    yield _f(
        "inv_cutoff_weekday",
        i,
        "Weekday of the cut-off (0 = Monday).",
        "Weekday",
        "Día de la semana",
        "int8",
    )
    yield _f("inv_cutoff_month", i, "Month of the cut-off (1-12).", "Month", "Mes", "int8")


def _ordinal(i: int) -> str:
    return {1: "", 2: "2nd", 3: "3rd"}.get(i, f"{i}th")


def _last_en(i: int) -> str:
    return "Days late (last invoice)" if i == 1 else f"Days late ({_ordinal(i)} last invoice)"


def _last_es(i: int) -> str:
    which = {1: "última", 2: "penúltima", 3: "antepenúltima"}.get(i)
    return (
        f"Días de retraso ({which} factura)"
        if which
        else f"Días de retraso ({i}.ª factura más reciente)"
    )


SPEC_BUILDERS = (
    history_specs,
    exposure_specs,
    channel_specs,
    reputation_specs,
    attribute_specs,
    invoice_specs,
)


@cache
def feature_registry(config: FeatureConfig | None = None) -> tuple[FeatureSpec, ...]:
    """All features for ``config`` (default settings when ``None``), in output column order."""
    cfg = config or FeatureConfig()
    specs = tuple(spec for build in SPEC_BUILDERS for spec in build(cfg))
    names = [s.name for s in specs]
    assert len(names) == len(set(names)), "duplicate feature names"
    return specs


def feature_names(config: FeatureConfig | None = None) -> list[str]:
    return [s.name for s in feature_registry(config)]


def categorical_features(config: FeatureConfig | None = None) -> list[str]:
    """Features holding category codes (to declare as categorical to LightGBM)."""
    return [s.name for s in feature_registry(config) if s.categorical]


def features_by_family(config: FeatureConfig | None = None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {family: [] for family in FAMILIES}
    for spec in feature_registry(config):
        out[spec.family].append(spec.name)
    return out


FEATURE_REGISTRY: dict[str, FeatureSpec] = {s.name: s for s in feature_registry()}

"""Reason sentences in English and Spanish for every registered feature, with its value filled in.

Each :class:`Phrase` matches feature names by a regular expression (so windowed names such as
``hist_late_share_365d`` share one entry), says how the value is shown (``fmt``) and gives the
sentence for each language, with variants for missing, zero, one, negative, true and false values.
Placeholders: ``{v}`` the shown value, ``{n}`` / ``{late}`` (``share_of``: late of n), and the
named groups of the pattern (``{w}`` window days, ``{k}`` count, ``{ch}`` channel, ``{ord}``
ordinal). A feature no phrase matches is told as "<registry label>: <value>".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CASES = ("missing", "zero", "one", "negative", "positive", "true", "false")


@dataclass(frozen=True)
class Phrase:
    """How one family of feature names is put into words."""

    pattern: str
    fmt: str
    en: str
    es: str
    variants: tuple[tuple[str, str, str], ...] = ()  # (case, en, es), first match wins
    needs: str | None = None  # another feature whose value is {n}; may use the pattern's groups

    def template(self, case: str | None, lang: str) -> str:
        for name, en, es in self.variants:
            if name == case:
                return en if lang == "en" else es
        return self.en if lang == "en" else self.es

    def cases(self) -> tuple[str, ...]:
        return tuple(name for name, _, _ in self.variants)


def _p(pattern, fmt, en, es, *variants, needs=None) -> Phrase:
    return Phrase(pattern, fmt, en, es, tuple(variants), needs)


# fmt: off
_W = r"_(?P<w>\d+)d"
_CH = r"(?P<ch>email|sms|phone|letter|push)"
_NEVER_CH = ("missing", "Never contacted by {ch}", "Nunca contactado por {ch}")

HISTORY = (
    _p(r"hist_invoices_issued", "count", "Has {v} earlier invoices", "Tiene {v} facturas anteriores",
       ("zero", "No earlier invoices", "Sin facturas anteriores"),
       ("one", "Has 1 earlier invoice", "Tiene 1 factura anterior")),
    _p(r"hist_paid_count", "count", "Has paid {v} earlier invoices", "Ha pagado {v} facturas anteriores",
       ("zero", "Has not paid any earlier invoice yet", "Aún no ha pagado ninguna factura anterior"),
       ("one", "Has paid 1 earlier invoice", "Ha pagado 1 factura anterior")),
    _p(r"hist_paid_count" + _W, "count", "Paid {v} invoices in the last {w} days", "Pagó {v} facturas en los últimos {w} días",
       ("zero", "Paid no invoice in the last {w} days", "No pagó ninguna factura en los últimos {w} días"),
       ("one", "Paid 1 invoice in the last {w} days", "Pagó 1 factura en los últimos {w} días")),
    _p(r"hist_late_share", "share_of", "Paid {late} of the last {n} invoices late", "Pagó con retraso {late} de sus últimas {n} facturas",
       ("missing", "No paid invoice yet to judge punctuality", "Aún sin facturas pagadas para juzgar su puntualidad"),
       ("zero", "Paid none of the last {n} invoices late", "No pagó con retraso ninguna de sus últimas {n} facturas"),
       ("one", "Paid its only earlier invoice late", "Pagó con retraso su única factura anterior"),
       needs="hist_paid_count"),
    _p(r"hist_late_share" + _W, "share_of", "Paid {late} of {n} invoices late in the last {w} days", "Pagó con retraso {late} de {n} facturas en los últimos {w} días",
       ("missing", "No invoice paid in the last {w} days", "Ninguna factura pagada en los últimos {w} días"),
       ("zero", "Paid none of {n} invoices late in the last {w} days", "No pagó con retraso ninguna de {n} facturas en los últimos {w} días"),
       ("one", "Paid its only invoice of the last {w} days late", "Pagó con retraso su única factura de los últimos {w} días"),
       needs="hist_paid_count_{w}d"),
    _p(r"hist_days_late_mean", "days", "Pays {v} days late on average", "Paga con {v} días de retraso de media",
       ("missing", "No paid invoice yet", "Aún sin facturas pagadas"),
       ("zero", "Pays on time on average", "Paga a tiempo de media")),
    _p(r"hist_days_late_mean" + _W, "days", "Paid {v} days late on average in the last {w} days", "Pagó con {v} días de retraso de media en los últimos {w} días",
       ("missing", "No invoice paid in the last {w} days", "Ninguna factura pagada en los últimos {w} días"),
       ("zero", "Paid on time in the last {w} days", "Pagó a tiempo en los últimos {w} días")),
    _p(r"hist_days_to_pay_mean", "days", "Takes {v} days to pay on average", "Tarda {v} días de media en pagar",
       ("missing", "No paid invoice yet", "Aún sin facturas pagadas")),
    _p(r"hist_days_to_pay_mean" + _W, "days", "Took {v} days to pay on average in the last {w} days", "Tardó {v} días de media en pagar en los últimos {w} días",
       ("missing", "No invoice paid in the last {w} days", "Ninguna factura pagada en los últimos {w} días")),
    _p(r"hist_paid_weight_decay", "ratio", "Recent payment history weighs {v} invoices", "El historial de pagos reciente equivale a {v} facturas",
       ("zero", "No recent payment history", "Sin historial de pagos reciente")),
    _p(r"hist_late_share_decay", "percent", "Paid {v}% of invoices late, recent ones weighted more", "Pagó con retraso el {v} % de sus facturas (lo reciente pesa más)",
       ("missing", "No paid invoice yet", "Aún sin facturas pagadas")),
    _p(r"hist_days_late_decay", "days", "Pays {v} days late on average, recent invoices weighted more", "Paga con {v} días de retraso de media (lo reciente pesa más)",
       ("missing", "No paid invoice yet", "Aún sin facturas pagadas"),
       ("zero", "Pays on time lately", "Paga a tiempo últimamente")),
    _p(r"hist_days_to_pay_decay", "days", "Takes {v} days to pay on average, recent invoices weighted more", "Tarda {v} días de media en pagar (lo reciente pesa más)",
       ("missing", "No paid invoice yet", "Aún sin facturas pagadas")),
    _p(r"hist_days_late_last(?P<i>\d+)", "days", "Paid the {ord} invoice {v} days late", "Pagó la {ord} factura con {v} días de retraso",
       ("missing", "No earlier invoice paid yet", "Aún sin facturas anteriores pagadas"),
       ("zero", "Paid the {ord} invoice on the due date", "Pagó la {ord} factura el día del vencimiento"),
       ("negative", "Paid the {ord} invoice {v} days early", "Pagó la {ord} factura con {v} días de antelación")),
    _p(r"hist_days_late_median_last(?P<k>\d+)", "days", "Median delay of {v} days over the last {k} invoices", "Retraso mediano de {v} días en sus últimas {k} facturas",
       ("missing", "No paid invoice yet", "Aún sin facturas pagadas"),
       ("zero", "Usually pays on time (last {k} invoices)", "Suele pagar a tiempo (últimas {k} facturas)"),
       ("negative", "Usually pays {v} days early (last {k} invoices)", "Suele pagar con {v} días de antelación (últimas {k} facturas)")),
    _p(r"hist_days_late_max_last(?P<k>\d+)", "days", "Paid one of the last {k} invoices {v} days late", "Pagó una de sus últimas {k} facturas con {v} días de retraso",
       ("missing", "No paid invoice yet", "Aún sin facturas pagadas"),
       ("zero", "Paid each of the last {k} invoices on time", "Pagó a tiempo sus últimas {k} facturas"),
       ("negative", "Paid each of the last {k} invoices on time", "Pagó a tiempo sus últimas {k} facturas")),
    _p(r"hist_days_late_trend", "ratio", "Delays are growing by {v} days per invoice", "Los retrasos crecen {v} días por factura",
       ("missing", "Too few payments to see a trend", "Pocos pagos para ver una tendencia"),
       ("zero", "Delays are steady", "Los retrasos se mantienen estables"),
       ("negative", "Delays are shrinking by {v} days per invoice", "Los retrasos bajan {v} días por factura")),
    _p(r"hist_on_time_streak", "count", "Paid the last {v} invoices on time in a row", "Pagó a tiempo sus últimas {v} facturas seguidas",
       ("missing", "No payment history", "Sin historial de pagos"),
       ("zero", "Did not pay the last invoice on time", "No pagó a tiempo la última factura"),
       ("one", "Paid only the last invoice on time", "Solo pagó a tiempo la última factura")),
    _p(r"hist_days_since_late", "days", "Paid late {v} days ago", "Pagó con retraso hace {v} días",
       ("missing", "Has never paid late", "Nunca ha pagado con retraso")),
    _p(r"hist_days_since_payment", "days", "Last payment {v} days ago", "Último pago hace {v} días",
       ("missing", "No payment received yet", "Aún no se ha recibido ningún pago"),
       ("zero", "Paid today", "Pagó hoy")),
    _p(r"hist_partial_payments", "count", "Made {v} partial payments", "Hizo {v} pagos parciales",
       ("missing", "No payment records yet", "Aún sin registros de pago"),
       ("zero", "No partial payments", "Ningún pago parcial"),
       ("one", "Made 1 partial payment", "Hizo 1 pago parcial")),
    _p(r"hist_write_offs", "count", "{v} invoices written off", "{v} facturas declaradas incobrables",
       ("zero", "No invoice written off", "Ninguna factura declarada incobrable"),
       ("one", "1 invoice written off", "1 factura declarada incobrable")),
    _p(r"hist_written_off_amount", "amount", "Had {v} written off", "Se le declararon incobrables {v}",
       ("zero", "Nothing written off", "Nada declarado incobrable")),
    _p(r"hist_promises", "count", "Made {v} promises to pay", "Hizo {v} promesas de pago",
       ("zero", "No promise to pay on record", "Ninguna promesa de pago registrada"),
       ("one", "Made 1 promise to pay", "Hizo 1 promesa de pago")),
    _p(r"hist_promises_kept", "count", "Kept {v} promises to pay", "Cumplió {v} promesas de pago",
       ("zero", "Kept no promise to pay", "No cumplió ninguna promesa de pago"),
       ("one", "Kept 1 promise to pay", "Cumplió 1 promesa de pago")),
    _p(r"hist_promises_broken", "count", "Broke {v} promises to pay", "Incumplió {v} promesas de pago",
       ("zero", "Broke no promise to pay", "No incumplió ninguna promesa de pago"),
       ("one", "Broke 1 promise to pay", "Incumplió 1 promesa de pago")),
    _p(r"hist_promise_kept_share", "percent", "Kept {v}% of promises to pay", "Cumplió el {v} % de sus promesas de pago",
       ("missing", "No promise to pay to judge", "Sin promesas de pago que juzgar")),
    _p(r"hist_disputes", "count", "Opened {v} disputes", "Abrió {v} disputas",
       ("zero", "Never opened a dispute", "Nunca abrió una disputa"),
       ("one", "Opened 1 dispute", "Abrió 1 disputa")),
    _p(r"hist_disputes_open", "count", "{v} disputes still unresolved", "{v} disputas sin resolver",
       ("zero", "No unresolved dispute", "Ninguna disputa sin resolver"),
       ("one", "1 dispute still unresolved", "1 disputa sin resolver")),
    _p(r"hist_days_since_dispute", "days", "Opened a dispute {v} days ago", "Abrió una disputa hace {v} días",
       ("missing", "Has never opened a dispute", "Nunca ha abierto una disputa")),
    _p(r"hist_plan_requests", "count", "Asked for a payment plan {v} times", "Pidió un plan de pagos {v} veces",
       ("zero", "Never asked for a payment plan", "Nunca pidió un plan de pagos"),
       ("one", "Asked for a payment plan once", "Pidió un plan de pagos una vez")),
    _p(r"hist_plans_agreed", "count", "Agreed {v} payment plans", "Acordó {v} planes de pago",
       ("zero", "Never agreed a payment plan", "Nunca acordó un plan de pagos"),
       ("one", "Agreed 1 payment plan", "Acordó 1 plan de pagos")),
)

EXPOSURE = (
    _p(r"exp_open_count", "count", "Has {v} other invoices open", "Tiene {v} otras facturas pendientes",
       ("zero", "No other open invoice", "Ninguna otra factura pendiente"),
       ("one", "Has 1 other invoice open", "Tiene otra factura pendiente")),
    _p(r"exp_open_balance", "amount", "Owes {v} on other invoices", "Debe {v} en otras facturas",
       ("zero", "Owes nothing on other invoices", "No debe nada en otras facturas")),
    _p(r"exp_overdue_count", "count", "Has {v} overdue invoices", "Tiene {v} facturas vencidas",
       ("zero", "No overdue invoice", "Ninguna factura vencida"),
       ("one", "Has 1 overdue invoice", "Tiene 1 factura vencida")),
    _p(r"exp_overdue_balance", "amount", "Owes {v} overdue", "Debe {v} vencidos",
       ("zero", "Owes nothing overdue", "No debe nada vencido")),
    _p(r"exp_oldest_open_days", "days", "Oldest open invoice issued {v} days ago", "Su factura pendiente más antigua se emitió hace {v} días",
       ("missing", "No other open invoice", "Ninguna otra factura pendiente")),
    _p(r"exp_oldest_overdue_days", "days", "Oldest overdue invoice is {v} days past due", "Su factura vencida más antigua lleva {v} días vencida",
       ("missing", "No overdue invoice", "Ninguna factura vencida")),
    _p(r"exp_amount_vs_mean", "ratio", "Invoice is {v} times the usual amount", "La factura es {v} veces el importe habitual",
       ("missing", "No earlier invoice to compare the amount with", "Sin facturas anteriores con las que comparar el importe")),
    _p(r"exp_amount_vs_credit_limit", "percent", "Invoice is {v}% of the credit limit", "La factura supone el {v} % del límite de crédito",
       ("missing", "No credit limit on record", "Sin límite de crédito registrado")),
    _p(r"exp_utilisation", "percent", "Uses {v}% of the credit limit with this invoice", "Usa el {v} % de su límite de crédito con esta factura",
       ("missing", "No credit limit on record", "Sin límite de crédito registrado")),
    _p(r"exp_invoice_paid_share", "percent", "{v}% of this invoice already paid", "Ya pagado el {v} % de esta factura",
       ("zero", "Nothing paid on this invoice yet", "Nada pagado aún de esta factura")),
)

CHANNEL = (
    _p(r"ch_" + _CH + r"_contacts", "count", "Received {v} contacts by {ch}", "Recibió {v} contactos por {ch}",
       ("zero", "Never contacted by {ch}", "Nunca contactado por {ch}"),
       ("one", "Received 1 contact by {ch}", "Recibió 1 contacto por {ch}")),
    _p(r"ch_" + _CH + r"_open_rate", "percent", "Opens {v}% of contacts by {ch}", "Abre el {v} % de los contactos por {ch}", _NEVER_CH),
    _p(r"ch_" + _CH + r"_reply_rate", "percent", "Replies to {v}% of contacts by {ch}", "Responde al {v} % de los contactos por {ch}", _NEVER_CH),
    _p(r"ch_" + _CH + r"_paid_after_share", "percent", "Pays soon after {v}% of contacts by {ch}", "Paga poco después del {v} % de los contactos por {ch}", _NEVER_CH),
    _p(r"ch_" + _CH + r"_days_since", "days", "Last contacted by {ch} {v} days ago", "Último contacto por {ch} hace {v} días", _NEVER_CH),
    _p(r"ch_contacts", "count", "Received {v} contacts", "Recibió {v} contactos",
       ("zero", "Never contacted", "Nunca contactado"),
       ("one", "Received 1 contact", "Recibió 1 contacto")),
    _p(r"ch_contacts" + _W, "count", "Received {v} contacts in the last {w} days", "Recibió {v} contactos en los últimos {w} días",
       ("zero", "No contact in the last {w} days", "Ningún contacto en los últimos {w} días"),
       ("one", "Received 1 contact in the last {w} days", "Recibió 1 contacto en los últimos {w} días")),
    _p(r"ch_days_since_contact", "days", "Last contacted {v} days ago", "Último contacto hace {v} días",
       ("missing", "Never contacted", "Nunca contactado")),
    _p(r"ch_promise_rate", "percent", "Promises to pay after {v}% of contacts", "Promete pagar tras el {v} % de los contactos",
       ("missing", "Never contacted", "Nunca contactado")),
    _p(r"ch_response_hour_mean", "hour", "Replies to contacts sent around {v}", "Responde a los contactos enviados hacia las {v}",
       ("missing", "Has never replied to a contact", "Nunca ha respondido a un contacto")),
    _p(r"ch_invoice_contacts", "count", "Contacted {v} times about this invoice", "Contactado {v} veces por esta factura",
       ("zero", "Not contacted about this invoice", "Sin contactos por esta factura"),
       ("one", "Contacted once about this invoice", "Contactado una vez por esta factura")),
)

REPUTATION = (
    _p(r"rep_complaints", "count", "Made {v} complaints", "Presentó {v} quejas",
       ("zero", "No complaint", "Ninguna queja"), ("one", "Made 1 complaint", "Presentó 1 queja")),
    _p(r"rep_complaints" + _W, "count", "Made {v} complaints in the last {w} days", "Presentó {v} quejas en los últimos {w} días",
       ("zero", "No complaint in the last {w} days", "Ninguna queja en los últimos {w} días"),
       ("one", "Made 1 complaint in the last {w} days", "Presentó 1 queja en los últimos {w} días")),
    _p(r"rep_days_since_complaint", "days", "Complained {v} days ago", "Se quejó hace {v} días",
       ("missing", "Has never complained", "Nunca se ha quejado")),
    _p(r"rep_mentions", "count", "Mentioned the company publicly {v} times", "Mencionó públicamente a la empresa {v} veces",
       ("zero", "No public mention", "Ninguna mención pública"),
       ("one", "Mentioned the company publicly once", "Mencionó públicamente a la empresa una vez")),
    _p(r"rep_mentions" + _W, "count", "Mentioned the company publicly {v} times in the last {w} days", "Mencionó públicamente a la empresa {v} veces en los últimos {w} días",
       ("zero", "No public mention in the last {w} days", "Ninguna mención pública en los últimos {w} días"),
       ("one", "Mentioned the company publicly once in the last {w} days", "Mencionó públicamente a la empresa una vez en los últimos {w} días")),
    _p(r"rep_days_since_mention", "days", "Mentioned the company publicly {v} days ago", "Mencionó públicamente a la empresa hace {v} días",
       ("missing", "No public mention", "Ninguna mención pública")),
    _p(r"rep_mention_sentiment_mean", "sentiment", "Tone of public mentions {v} (-1 hostile, 1 warm)", "Tono de las menciones públicas {v} (-1 hostil, 1 cordial)",
       ("missing", "No public mention with a tone", "Ninguna mención pública con tono")),
    _p(r"rep_mention_negative_share", "percent", "{v}% of public mentions are negative", "El {v} % de las menciones públicas son negativas",
       ("missing", "No public mention with a tone", "Ninguna mención pública con tono")),
)

ATTRIBUTES = (
    _p(r"attr_segment", "code", "Segment: {v}", "Segmento: {v}", ("missing", "Segment unknown", "Segmento desconocido")),
    _p(r"attr_country", "code", "Country: {v}", "País: {v}", ("missing", "Country unknown", "País desconocido")),
    _p(r"attr_language", "code", "Language: {v}", "Idioma: {v}", ("missing", "Language unknown", "Idioma desconocido")),
    _p(r"attr_tenure_days", "days", "Customer for {v} days", "Cliente desde hace {v} días", ("zero", "Customer since today", "Cliente desde hoy")),
    _p(r"attr_credit_limit", "amount", "Credit limit of {v}", "Límite de crédito de {v}",
       ("missing", "No credit limit on record", "Sin límite de crédito registrado")),
    _p(r"attr_spend_level", "amount", "Spends about {v} a month", "Gasta unos {v} al mes",
       ("missing", "Spend not known", "Gasto desconocido")),
    _p(r"attr_spend_trend", "percent", "Spend grew {v}% over the year", "El gasto creció un {v} % en el año",
       ("missing", "Spend trend not known", "Tendencia del gasto desconocida"),
       ("zero", "Spend flat over the year", "Gasto estable en el año"),
       ("negative", "Spend fell {v}% over the year", "El gasto cayó un {v} % en el año")),
    _p(r"attr_autopay", "flag", "Pays by direct debit", "Paga por domiciliación bancaria",
       ("missing", "Direct debit not known", "Domiciliación desconocida"),
       ("false", "Does not pay by direct debit", "No paga por domiciliación bancaria")),
    _p(r"attr_paperless", "flag", "Receives invoices electronically", "Recibe las facturas en formato electrónico",
       ("missing", "Invoice delivery not known", "Forma de envío de facturas desconocida"),
       ("false", "Receives paper invoices", "Recibe las facturas en papel")),
    _p(r"attr_opted_out_" + _CH, "flag", "Refuses contact by {ch}", "Rechaza el contacto por {ch}",
       ("false", "Accepts contact by {ch}", "Acepta el contacto por {ch}")),
    _p(r"attr_no_history", "flag", "New customer with no history", "Cliente nuevo sin historial",
       ("false", "Has earlier invoices", "Tiene facturas anteriores")),
    _p(r"attr_short_history", "flag", "Short payment history", "Historial de pagos corto",
       ("false", "Enough payment history", "Historial de pagos suficiente")),
    _p(r"attr_no_enrichment", "flag", "No enrichment data about the customer", "Sin datos de enriquecimiento del cliente",
       ("false", "Enrichment data available", "Con datos de enriquecimiento")),
)

INVOICE = (
    _p(r"inv_amount", "amount", "Invoice amount of {v}", "Importe de la factura de {v}"),
    _p(r"inv_log_amount", "log_amount", "Invoice amount of {v}", "Importe de la factura de {v}"),
    _p(r"inv_terms_days", "days", "Payment terms of {v} days", "Plazo de pago de {v} días",
       ("zero", "Payable on receipt", "Pagadera a la vista")),
    _p(r"inv_currency", "code", "Invoiced in {v}", "Facturada en {v}"),
    _p(r"inv_days_to_due", "days", "Due in {v} days", "Vence en {v} días",
       ("zero", "Due today", "Vence hoy"), ("negative", "Due {v} days ago", "Venció hace {v} días")),
    _p(r"inv_age_days", "days", "Issued {v} days ago", "Emitida hace {v} días", ("zero", "Issued today", "Emitida hoy")),
    _p(r"inv_disputed", "flag", "This invoice is disputed", "Esta factura está en disputa",
       ("false", "This invoice is not disputed", "Esta factura no está en disputa")),
    _p(r"inv_issue_weekday", "weekday", "Issued on a {v}", "Emitida un {v}"),
    _p(r"inv_issue_month_end", "flag", "Issued at month-end", "Emitida a fin de mes",
       ("false", "Not issued at month-end", "No emitida a fin de mes")),
    _p(r"inv_due_weekday", "weekday", "Due on a {v}", "Vence un {v}"),
    _p(r"inv_due_month", "month", "Due in {v}", "Vence en {v}"),
    _p(r"inv_due_month_end", "flag", "Due at month-end", "Vence a fin de mes",
       ("false", "Not due at month-end", "No vence a fin de mes")),
    _p(r"inv_due_weekend", "flag", "Due on a weekend", "Vence en fin de semana",
       ("false", "Due on a weekday", "Vence en día laborable")),
    _p(r"inv_due_holiday", "flag", "Due on a public holiday", "Vence en festivo",
       ("missing", "Holidays unknown for the customer's country", "Festivos desconocidos para el país del cliente"),
       ("false", "Not due on a public holiday", "No vence en festivo")),
    _p(r"inv_holidays_to_due", "count", "{v} public holidays before the due date", "{v} festivos antes del vencimiento",
       ("missing", "Holidays unknown for the customer's country", "Festivos desconocidos para el país del cliente"),
       ("zero", "No public holiday before the due date", "Ningún festivo antes del vencimiento"),
       ("one", "1 public holiday before the due date", "1 festivo antes del vencimiento")),
    _p(r"inv_cutoff_weekday", "weekday", "Scored on a {v}", "Evaluada un {v}"),
    _p(r"inv_cutoff_month", "month", "Scored in {v}", "Evaluada en {v}"),
)

PHRASES: tuple[Phrase, ...] = HISTORY + EXPOSURE + CHANNEL + REPUTATION + ATTRIBUTES + INVOICE

CHANNEL_NAMES = {
    "en": {"email": "email", "sms": "SMS", "phone": "phone", "letter": "letter", "push": "push notification"},
    "es": {"email": "correo electrónico", "sms": "SMS", "phone": "teléfono", "letter": "carta", "push": "notificación push"},
}
WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"),
}
SEGMENT_NAMES = {
    "en": {"consumer": "consumer", "sme": "SME", "corporate": "corporate"},
    "es": {"consumer": "particular", "sme": "pyme", "corporate": "gran empresa"},
}
# Which category vocabulary decodes a "code" feature.
CODE_COLUMNS = {"attr_segment": "segment", "attr_country": "country", "attr_language": "language", "inv_currency": "currency"}
# fmt: on


def ordinal(i: int, lang: str) -> str:
    """The i-th most recent invoice: "last", "2nd last"... / "última", "penúltima"..."""
    if lang == "es":
        return {1: "última", 2: "penúltima", 3: "antepenúltima"}.get(i, f"{i}.ª última")
    return {1: "last", 2: "2nd last", 3: "3rd last"}.get(i, f"{i}th last")


def find_phrase(
    name: str, phrases: tuple[Phrase, ...] = PHRASES
) -> tuple[Phrase | None, dict[str, str]]:
    """The phrase whose pattern matches the whole name, and the pattern's named groups."""
    for phrase in phrases:
        match = re.fullmatch(phrase.pattern, name)
        if match:
            return phrase, {k: v for k, v in match.groupdict().items() if v is not None}
    return None, {}

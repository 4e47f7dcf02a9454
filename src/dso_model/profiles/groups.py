"""The five profile groups of the brief, with their Spanish and English labels.

Every customer is in exactly one group at a given date. ``no_data`` and ``data_available`` are the
cold-start groups (not enough payment history for a behavioural verdict); the other three are the
behavioural groups the ability and willingness scores decide between.
"""

from __future__ import annotations

GROUPS: tuple[str, ...] = ("no_data", "data_available", "able_willing", "unable", "unwilling")
COLD_START_GROUPS: tuple[str, ...] = ("no_data", "data_available")
BEHAVIOURAL_GROUPS: tuple[str, ...] = ("able_willing", "unable", "unwilling")

GROUP_LABELS: dict[str, dict[str, str]] = {
    "no_data": {
        "es": "Clientes de los que no hay datos disponibles",
        "en": "Customers with no data available",
    },
    "data_available": {
        "es": "Clientes de los que hay datos disponibles",
        "en": "Customers with data available (not enough payment history yet)",
    },
    "able_willing": {
        "es": "Clientes con capacidad y disposición para pagar",
        "en": "Customers able and willing to pay",
    },
    "unable": {
        "es": "Clientes que no pueden pagar",
        "en": "Customers unable to pay",
    },
    "unwilling": {
        "es": "Clientes que no pagan",
        "en": "Customers who do not pay (unwilling)",
    },
}

GROUP_ACTIONS: dict[str, dict[str, str]] = {
    "no_data": {
        "es": "Conocer al cliente: confirmar canal y recordar antes del vencimiento.",
        "en": "Get to know the customer: confirm the channel and remind before the due date.",
    },
    "data_available": {
        "es": "Usar los datos de enriquecimiento; recordatorio amable antes del vencimiento.",
        "en": "Use the enrichment data; a friendly reminder before the due date.",
    },
    "able_willing": {
        "es": "Un recordatorio oportuno basta.",
        "en": "A timely nudge is enough.",
    },
    "unable": {
        "es": "Ofrecer un plan de pagos, no presión.",
        "en": "Offer a payment plan, not pressure.",
    },
    "unwilling": {
        "es": "Escalado firme y seguimiento.",
        "en": "Firm escalation and follow-up.",
    },
}


def group_label(group: str, lang: str = "en") -> str:
    """The readable name of ``group`` in ``lang`` ("es" or "en")."""
    return GROUP_LABELS[group]["es" if lang == "es" else "en"]

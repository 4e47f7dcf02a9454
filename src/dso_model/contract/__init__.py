"""The data contract: the canonical tables every adapter and the simulator produce."""

from dso_model.contract.spec import (
    CHANNELS,
    CONTACT_OUTCOMES,
    CURRENCIES,
    EVENT_TYPES,
    INVOICE_STATUSES,
    SEGMENTS,
    TABLES,
    TEMPLATES,
    ColumnSpec,
    TableSpec,
)

__all__ = [
    "CHANNELS",
    "CONTACT_OUTCOMES",
    "CURRENCIES",
    "EVENT_TYPES",
    "INVOICE_STATUSES",
    "SEGMENTS",
    "TABLES",
    "TEMPLATES",
    "ColumnSpec",
    "TableSpec",
]

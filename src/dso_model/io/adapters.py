"""Map source files onto the canonical tables through a column mapping from config.

A source config names, per canonical table, the file and the source column of each canonical
column. Tables a source does not have are derived where that is honest (customers from an
invoice-level file) or left empty (contacts, events). Source columns that are not mapped never
reach the portfolio: outcome columns such as days late cannot leak into features.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from dso_model.contract.portfolio import Portfolio
from dso_model.contract.spec import TABLES
from dso_model.errors import DsoInputError
from dso_model.io.readers import ReadOptions, parse_bools, parse_dates, parse_numbers, read_source


@dataclass(frozen=True)
class TableSource:
    """One canonical table's file and column mapping (canonical name -> source column)."""

    path: str | None
    columns: dict[str, str]
    read: ReadOptions
    constants: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceConfig:
    """A whole source: its tables, defaults for missing canonical values, derived events."""

    name: str
    tables: dict[str, TableSource]
    defaults: dict[str, Any]
    customer_date_events: dict[str, str]  # source column -> event type (one dated event each)
    keep_outcomes: tuple[str, ...]
    as_of: str | None = None

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any]) -> SourceConfig:
        base_read = dict(cfg.get("read") or {})
        tables = {}
        for table, tcfg in (cfg.get("tables") or {}).items():
            if tcfg is None:
                continue
            read = ReadOptions.from_mapping({**base_read, **dict(tcfg.get("read") or {})})
            tables[table] = TableSource(
                path=tcfg.get("path"),
                columns=dict(tcfg.get("columns") or {}),
                read=read,
                constants=dict(tcfg.get("constants") or {}),
            )
        if cfg.get("path") and "invoices" in tables:
            inv = tables["invoices"]
            tables["invoices"] = TableSource(str(cfg["path"]), inv.columns, inv.read, inv.constants)
        return cls(
            name=str(cfg.get("name", "source")),
            tables=tables,
            defaults=dict(cfg.get("fill_values") or {}),
            customer_date_events=dict(cfg.get("customer_date_events") or {}),
            keep_outcomes=tuple(cfg.get("outcome_columns") or ()),
            as_of=cfg.get("as_of"),
        )


@dataclass(frozen=True)
class AdaptedSource:
    """The validated portfolio plus any outcome columns kept aside for analysis only."""

    portfolio: Portfolio
    outcomes: pd.DataFrame  # invoice_id + outcome columns; never an input to features


def _to_canonical(raw: pd.DataFrame, table: str, src: TableSource, file: str) -> pd.DataFrame:
    spec = TABLES[table]
    missing = [s for s in src.columns.values() if s not in raw.columns]
    if missing:
        raise DsoInputError(
            f"column '{missing[0]}' named in the mapping is not in the file",
            file=file,
            table=table,
            column=missing[0],
            hint=f"columns found: {', '.join(raw.columns[:20])}",
        )
    out = pd.DataFrame(index=raw.index)
    for canonical, source_col in src.columns.items():
        if canonical not in {c.name for c in spec.columns}:
            raise DsoInputError(
                f"'{canonical}' is not a column of the canonical table", file=file, table=table
            )
        col = spec.column(canonical)
        out[canonical] = _parse(
            raw[source_col], col.dtype, col.required, src.read, file, source_col
        )
    for canonical, value in src.constants.items():
        out[canonical] = value
    return out


def _parse(values, dtype: str, required: bool, read: ReadOptions, file: str, column: str):
    if dtype in ("date", "datetime"):
        return parse_dates(values, read, file=file, column=column, required=required)
    if dtype in ("float", "int"):
        return parse_numbers(values, read, file=file, column=column)
    if dtype == "bool":
        return parse_bools(values)
    return values.astype("str").str.strip()


def _complete_invoices(inv: pd.DataFrame, defaults: Mapping[str, Any]) -> pd.DataFrame:
    """Fill what an invoice-level file leaves implicit: currency, paid amount, status."""
    inv = inv.copy()
    if "currency" not in inv:
        inv["currency"] = defaults.get("currency", "EUR")
    if "paid_date" not in inv:
        inv["paid_date"] = pd.NaT
    if "paid_amount" not in inv:
        inv["paid_amount"] = inv["amount"].where(inv["paid_date"].notna(), 0.0)
    if "status" not in inv:
        status = pd.Series("open", index=inv.index, dtype="str")
        status[(inv["paid_amount"] > 0).to_numpy()] = "partially_paid"
        status[inv["paid_date"].notna().to_numpy()] = "paid"
        inv["status"] = status
    return inv


def _customers_from_invoices(
    inv: pd.DataFrame, raw: pd.DataFrame, src: TableSource | None, defaults: Mapping[str, Any]
) -> pd.DataFrame:
    """One customer per id seen in the invoices; attributes from the first row of each."""
    first = inv.sort_values("issue_date", kind="stable").groupby("customer_id", sort=True)
    customers = pd.DataFrame({"created_date": first["issue_date"].min()})
    customers.index.name = "customer_id"
    customers = customers.reset_index()
    if src is not None:
        attrs = (
            raw.loc[inv.index].assign(customer_id=inv["customer_id"]).groupby("customer_id").first()
        )
        spec = TABLES["customers"]
        for canonical, source_col in src.columns.items():
            if canonical != "customer_id" and source_col in attrs:
                values = customers["customer_id"].map(attrs[source_col])
                customers[canonical] = _parse(
                    values,
                    spec.column(canonical).dtype,
                    False,
                    src.read,
                    "(invoice file)",
                    source_col,
                )
    for column in ("segment", "country", "language"):
        if column not in customers:
            customers[column] = defaults.get(
                column, {"segment": "sme", "language": "en"}.get(column, "XX")
            )
    customers.index = pd.RangeIndex(1, len(customers) + 1)
    return customers


def _date_events(
    raw: pd.DataFrame, inv: pd.DataFrame, cfg: SourceConfig, file: str
) -> pd.DataFrame:
    """Customer-level date columns (e.g. a paperless sign-up date) as dated events."""
    frames = []
    for column, event_type in cfg.customer_date_events.items():
        if column not in raw:
            raise DsoInputError(
                "column named in customer_date_events is not in the file", file=file, column=column
            )
        dates = parse_dates(
            raw[column], cfg.tables["invoices"].read, file=file, column=column, required=False
        )
        per_customer = pd.DataFrame(
            {"customer_id": inv["customer_id"], "timestamp": dates}
        ).dropna()
        per_customer = (
            per_customer.groupby("customer_id", sort=True)["timestamp"].min().reset_index()
        )
        per_customer["event_type"] = event_type
        frames.append(per_customer)
    if not frames:
        return None
    events = pd.concat(frames, ignore_index=True)
    events.insert(0, "event_id", [f"{cfg.name}-ev{i}" for i in range(len(events))])
    return events


def adapt_source(cfg: SourceConfig) -> AdaptedSource:
    """Read, map, derive and validate a whole source into a :class:`Portfolio`."""
    if "invoices" not in cfg.tables or not cfg.tables["invoices"].path:
        raise DsoInputError(
            "the source config names no invoices file (data.path)", table="invoices"
        )
    inv_src = cfg.tables["invoices"]
    inv_file = str(inv_src.path)
    raw_inv = read_source(inv_file, inv_src.read)
    invoices = _complete_invoices(
        _to_canonical(raw_inv, "invoices", inv_src, inv_file), cfg.defaults
    )
    sources = {"invoices": inv_file}
    frames: dict[str, pd.DataFrame | None] = {"invoices": invoices}
    for table in ("customers", "payments", "contacts", "events"):
        src = cfg.tables.get(table)
        if src is not None and src.path:
            frames[table] = _to_canonical(
                read_source(src.path, src.read), table, src, str(src.path)
            )
            sources[table] = str(src.path)
        else:
            frames[table] = None
    if frames["customers"] is None:
        frames["customers"] = _customers_from_invoices(
            invoices, raw_inv, cfg.tables.get("customers"), cfg.defaults
        )
    else:
        for column in ("segment", "country", "language"):
            if column not in frames["customers"] and column in cfg.defaults:
                frames["customers"][column] = cfg.defaults[column]
    if frames["events"] is None:
        frames["events"] = _date_events(raw_inv, invoices, cfg, inv_file)
    portfolio = Portfolio.from_tables(**frames, as_of=cfg.as_of, name=cfg.name, sources=sources)
    return AdaptedSource(portfolio, _outcomes(raw_inv, invoices, cfg))


def _outcomes(raw: pd.DataFrame, invoices: pd.DataFrame, cfg: SourceConfig) -> pd.DataFrame:
    kept = [c for c in cfg.keep_outcomes if c in raw.columns]
    out = raw[kept].copy()
    out.insert(0, "invoice_id", invoices["invoice_id"].to_numpy())
    return out.reset_index(drop=True)


def source_file(cfg: SourceConfig) -> Path:
    return Path(cfg.tables["invoices"].path)

"""Pandera schemas built from :mod:`dso_model.contract.spec`, and validation with clear errors.

Validation reports row numbers through the DataFrame index: adapters index each table by the line
number in the source file, so a message can point at the rows a user can open and fix.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pandera.pandas as pa

from dso_model.contract.spec import AMOUNT_TOLERANCE, TABLES, ColumnSpec, TableSpec
from dso_model.errors import DsoInputError

PANDAS_DTYPES = {
    "str": "str",
    "date": "datetime64[ns]",
    "datetime": "datetime64[ns]",
    "float": "float64",
    "int": "int64",
    "bool": "boolean",
}


def _column_checks(col: ColumnSpec) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if col.allowed is not None:
        checks.append(pa.Check.isin(col.allowed, name=f"one of {', '.join(col.allowed)}"))
    if col.min_value is not None:
        if col.min_exclusive:
            checks.append(pa.Check.gt(col.min_value, name=f"greater than {col.min_value:g}"))
        else:
            checks.append(pa.Check.ge(col.min_value, name=f"at least {col.min_value:g}"))
    if col.max_value is not None:
        checks.append(pa.Check.le(col.max_value, name=f"at most {col.max_value:g}"))
    return checks


@cache
def schema_for(table: str) -> pa.DataFrameSchema:
    """The pandera schema of a canonical table (cross-table references are checked separately)."""
    spec = TABLES[table]
    columns = {
        col.name: pa.Column(
            PANDAS_DTYPES[col.dtype],
            checks=_column_checks(col),
            nullable=col.nullable,
            unique=col.unique,
            required=col.required,
            coerce=True,
        )
        for col in spec.columns
    }
    return pa.DataFrameSchema(columns, strict=False, name=table)


def _first_failure(spec: TableSpec, failures: pd.DataFrame, source: str | None) -> DsoInputError:
    failures = failures.copy()
    failures["column"] = failures["column"].fillna("")
    first = failures.iloc[0]
    same = failures[(failures["column"] == first["column"]) & (failures["check"] == first["check"])]
    rows = [int(i) for i in same["index"].dropna().unique()[:5]] if "index" in same else []
    check = str(first["check"])
    problem = _describe_check(check)
    more = failures.groupby(["column", "check"]).ngroups - 1
    hint = f"{more} other problem(s) in this table" if more > 0 else None
    return DsoInputError(
        problem,
        file=source,
        table=spec.name,
        column=str(first["column"]) or None,
        rows=rows,
        examples=list(same["failure_case"].head(5)),
        hint=hint,
    )


def _describe_check(check: str) -> str:
    if check == "column_in_dataframe":
        return "required column is missing"
    if check == "not_nullable":
        return "missing values in a required column"
    if check == "field_uniqueness":
        return "duplicate ids"
    if check.startswith("coerce_dtype") or check.startswith("dtype"):
        return f"values of the wrong type (expected {check.split('(', 1)[1].rstrip(')')})"
    return f"values break the rule: {check}"


def validate_table(df: pd.DataFrame, table: str, source: str | None = None) -> pd.DataFrame:
    """Coerce ``df`` to the canonical types of ``table`` and check its rules.

    Raises :class:`DsoInputError` naming the source, the column and up to five offending rows.
    """
    spec = TABLES[table]
    missing = [c for c in spec.required_columns if c not in df.columns]
    if missing:
        raise DsoInputError(
            f"required column(s) missing: {', '.join(missing)}",
            file=source,
            table=table,
            column=missing[0],
            hint=f"columns found: {', '.join(map(str, df.columns[:20]))}",
        )
    df = _fill_defaults(df, spec)
    try:
        df = schema_for(table).validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise _first_failure(spec, exc.failure_cases, source) from None
    _check_table_rules(df, table, source)
    return df


def _fill_defaults(df: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Add every optional column a source lacks, so canonical tables always have all columns."""
    df = df.copy()
    if spec.name == "invoices":
        if "terms_days" not in df:
            issue = pd.to_datetime(df["issue_date"], errors="coerce")
            due = pd.to_datetime(df["due_date"], errors="coerce")
            df["terms_days"] = (due - issue).dt.days.fillna(0).clip(lower=0).astype("int64")
        if "paid_amount" in df:
            df["paid_amount"] = pd.to_numeric(df["paid_amount"], errors="coerce").fillna(0.0)
    for col in spec.columns:
        if col.name.startswith("opt_out_"):
            df[col.name] = df[col.name].fillna(False).astype(bool) if col.name in df else False
        elif col.name not in df:
            value = _default_value(spec.name, col)
            df[col.name] = pd.Series(value, index=df.index, dtype=PANDAS_DTYPES[col.dtype])
    return df[[c.name for c in spec.columns] + [c for c in df.columns if c not in _names(spec)]]


def _names(spec: TableSpec) -> set[str]:
    return {c.name for c in spec.columns}


def _default_value(table: str, col: ColumnSpec):
    if table == "invoices" and col.name == "paid_amount":
        return 0.0
    if table == "contacts" and col.name == "tone":
        return "neutral"
    return {"date": pd.NaT, "datetime": pd.NaT, "float": np.nan, "bool": pd.NA}.get(col.dtype)


def _fail(table: str, source: str | None, column: str, mask: pd.Series, problem: str, df):
    if mask.any():
        bad = df.index[mask.to_numpy()]
        raise DsoInputError(
            problem,
            file=source,
            table=table,
            column=column,
            rows=[int(i) for i in bad[:5]],
            examples=list(df.loc[bad[:5], column]),
        )


def _check_table_rules(df: pd.DataFrame, table: str, source: str | None) -> None:
    if table != "invoices":
        return
    _fail(
        table,
        source,
        "due_date",
        df["due_date"] < df["issue_date"],
        "due date before issue date",
        df,
    )
    paid_before = df["paid_date"].notna() & (df["paid_date"] < df["issue_date"])
    _fail(table, source, "paid_date", paid_before, "paid date before issue date", df)
    tol = AMOUNT_TOLERANCE * np.maximum(1.0, df["amount"])
    status = df["status"]
    bad_paid = (status == "paid") & (
        df["paid_date"].isna() | (df["paid_amount"] < df["amount"] - tol)
    )
    _fail(
        table, source, "status", bad_paid, "'paid' needs a paid_date and paid_amount >= amount", df
    )
    bad_open = (status == "open") & (df["paid_date"].notna() | (df["paid_amount"] > 0))
    _fail(table, source, "status", bad_open, "'open' invoices cannot have payments", df)
    bad_partial = (status == "partially_paid") & (
        (df["paid_amount"] <= 0)
        | (df["paid_amount"] >= df["amount"] - tol)
        | df["paid_date"].notna()
    )
    _fail(
        table,
        source,
        "status",
        bad_partial,
        "'partially_paid' needs 0 < paid_amount < amount and no paid_date",
        df,
    )

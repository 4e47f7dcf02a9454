"""Personal data guard: names, e-mail addresses, phone numbers and free text never leave as
model artifacts, input examples or log lines; identifiers do.

The contract marks the personal columns ("Personal data" in their description). Columns a source
adds beyond the contract may hold anything (notes, addresses), so they are treated as free text.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pandas as pd

from dso_model.contract.spec import TABLES
from dso_model.errors import DsoInputError

PERSONAL_MARK = "Personal data"
MIN_LENGTH = 4  # shorter values (initials, "n/a") would match everywhere by chance


def personal_columns(table: str) -> tuple[str, ...]:
    """The contract columns of ``table`` that hold personal data."""
    return tuple(c.name for c in TABLES[table].columns if PERSONAL_MARK in c.description)


def safe_columns(table: str, frame: pd.DataFrame) -> list[str]:
    """Columns of ``frame`` that are in the contract and not personal."""
    known = {c.name for c in TABLES[table].columns} - set(personal_columns(table))
    return [c for c in frame.columns if c in known]


def strip_personal_data(portfolio):
    """The portfolio without personal and non-contract columns (what scoring and logging see)."""
    tables = {t: getattr(portfolio, t) for t in TABLES}
    return replace(portfolio, **{t: df[safe_columns(t, df)] for t, df in tables.items()})


def personal_values(portfolio) -> set[str]:
    """Every personal or free-text value of the portfolio, to look for in what is written."""
    values: set[str] = set()
    for table in TABLES:
        frame = getattr(portfolio, table)
        safe = set(safe_columns(table, frame))
        for column in frame.columns:
            if column in safe or not _is_text(frame[column]):
                continue
            values.update(v for v in frame[column].dropna().astype(str) if len(v) >= MIN_LENGTH)
    return values


def _is_text(column: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(column) or column.dtype == object


def find_personal_data(
    blobs: Iterable[tuple[str, bytes]], values: set[str]
) -> list[tuple[str, str]]:
    """``(where, value)`` for each personal value found in the named byte blobs."""
    needles = [(v, v.encode("utf-8")) for v in sorted(values)]
    hits = []
    for where, blob in blobs:
        hits.extend((where, v) for v, needle in needles if needle in blob)
    return hits


def files_under(folder: str | os.PathLike[str]) -> Iterable[tuple[str, bytes]]:
    """``(relative path, bytes)`` of every file under ``folder``."""
    root = Path(folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        yield str(path.relative_to(root)), path.read_bytes()


def check_no_personal_data(blobs: Iterable[tuple[str, bytes]], values: set[str]) -> None:
    """Refuse to go on when any personal value appears; the message names the files, not the data."""
    hits = find_personal_data(blobs, values)
    if hits:
        places = sorted({where for where, _ in hits})
        raise DsoInputError(
            f"personal data found in {len(places)} file(s) about to be tracked; nothing was logged",
            examples=places,
            hint="only identifiers may reach MLflow; report this as a bug",
        )

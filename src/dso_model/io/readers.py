"""Read one source file (CSV or Parquet) as text columns, indexed by source line number.

Everything is read as text first and parsed explicitly afterwards, so leading zeros in ids survive
and a bad value can be reported with the line a user can open in an editor.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dso_model.errors import DsoInputError


@dataclass(frozen=True)
class ReadOptions:
    """How a source file is written: format, encoding, separators and date style."""

    format: str = "csv"  # csv | parquet
    encoding: str = "utf-8"
    sep: str = ","
    decimal: str = "."
    thousands: str | None = None
    date_format: str | None = None  # strftime pattern; None: inferred, see dayfirst
    dayfirst: bool = False

    @classmethod
    def from_mapping(cls, mapping) -> ReadOptions:
        known = {k: v for k, v in dict(mapping or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)


def read_source(path: str | Path, options: ReadOptions) -> pd.DataFrame:
    """Read a file into text columns; the index is the line number of each row in the file."""
    path = Path(path)
    if not path.exists():
        raise DsoInputError("file not found", file=str(path))
    if options.format == "parquet":
        return _read_parquet(path)
    if options.format != "csv":
        raise DsoInputError(f"unknown format '{options.format}' (csv or parquet)", file=str(path))
    return _read_csv(path, options)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise DsoInputError(
            f"not a readable Parquet file ({exc.__class__.__name__})", file=str(path)
        ) from None
    df.index = pd.RangeIndex(1, len(df) + 1)
    return df


def _read_csv(path: Path, options: ReadOptions) -> pd.DataFrame:
    head = path.read_bytes()[:4096]
    if not head.strip():
        raise DsoInputError("the file is empty", file=str(path))
    if b"\x00" in head or head.startswith(b"PAR1"):
        raise DsoInputError(
            "this is not a CSV file (binary content)",
            file=str(path),
            hint="use format: parquet for Parquet files",
        )
    try:
        df = pd.read_csv(
            path,
            sep=options.sep,
            encoding=options.encoding,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
        )
    except UnicodeDecodeError as exc:
        raise DsoInputError(
            f"cannot decode the file as {options.encoding} (byte {exc.start})",
            file=str(path),
            hint="set the source's encoding, e.g. data.read.encoding=latin-1",
        ) from None
    except (pd.errors.ParserError, csv.Error) as exc:
        raise DsoInputError(f"not a valid CSV file: {exc}", file=str(path)) from None
    except pd.errors.EmptyDataError:
        raise DsoInputError("the file is empty", file=str(path)) from None
    if df.empty:
        raise DsoInputError("the file has a header but no rows", file=str(path))
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    df.index = pd.RangeIndex(2, len(df) + 2)  # line 1 is the header
    return df


def parse_dates(
    values: pd.Series, options: ReadOptions, *, file: str, column: str, required: bool
) -> pd.Series:
    """Parse a text column to dates; unparseable values stop with their line numbers."""
    text = values.astype("str").str.strip().replace({"": None})
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    elif options.date_format:
        parsed = pd.to_datetime(text, format=options.date_format, errors="coerce")
    else:
        parsed = pd.to_datetime(text, dayfirst=options.dayfirst, format="mixed", errors="coerce")
    bad = parsed.isna() & text.notna()
    if required:
        bad |= text.isna()
    if bad.any():
        rows = values.index[bad.to_numpy()]
        expected = options.date_format or ("day first" if options.dayfirst else "month first / ISO")
        raise DsoInputError(
            f"unparseable or missing dates (expected {expected})",
            file=file,
            column=column,
            rows=list(rows[:5]),
            examples=list(values.loc[rows[:5]]),
        )
    return parsed.astype("datetime64[ns]")


def parse_numbers(values: pd.Series, options: ReadOptions, *, file: str, column: str) -> pd.Series:
    """Parse a text column to floats, honouring decimal comma and thousands separators."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = values.astype("str").str.strip().replace({"": None})
    if options.thousands:
        text = text.str.replace(options.thousands, "", regex=False)
    if options.decimal != ".":
        text = text.str.replace(options.decimal, ".", regex=False)
    parsed = pd.to_numeric(text, errors="coerce")
    bad = parsed.isna() & text.notna()
    if bad.any():
        rows = values.index[bad.to_numpy()]
        raise DsoInputError(
            "values are not numbers",
            file=file,
            column=column,
            rows=list(rows[:5]),
            examples=list(values.loc[rows[:5]]),
            hint=f"decimal '{options.decimal}', thousands '{options.thousands or ''}'",
        )
    return parsed.astype(float)


def parse_bools(values: pd.Series) -> pd.Series:
    """Yes/no style text to a nullable boolean."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    text = values.astype("str").str.strip().str.lower()
    truthy = {"1", "true", "yes", "y", "si", "sí", "s", "t", "electronic"}
    falsy = {"0", "false", "no", "n", "f", "paper"}
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(truthy).to_numpy()] = True
    out[text.isin(falsy).to_numpy()] = False
    return out


def line_numbers(n: int) -> np.ndarray:
    return np.arange(2, n + 2)

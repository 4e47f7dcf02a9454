"""Explicit, stable category codes: the same category gets the same code at training and scoring.

Models and MLflow signatures see plain ``int32`` codes, never pandas ``category`` columns. Columns
whose values the contract fixes (segment, language, currency) take their code from the contract's
order, so they never move; open columns (country) learn a sorted vocabulary at ``fit``. Missing and
unknown values both get ``-1`` (LightGBM reads negative categories as missing). The fitted encoder
serialises to a plain dict for the exported model bundle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from dso_model.contract.lookup import positions_in
from dso_model.contract.spec import CURRENCIES, LANGUAGES, SEGMENTS

FIXED_VOCABULARIES: dict[str, tuple[str, ...]] = {
    "segment": SEGMENTS,
    "language": LANGUAGES,
    "currency": CURRENCIES,
}
ENCODED_COLUMNS = ("segment", "country", "language", "currency")
UNKNOWN = -1


def lookup(values: pd.Series, universe: pd.Series | list) -> np.ndarray:
    """Position of each value in ``universe`` (-1 for missing or unknown), compared as text."""
    return positions_in(_as_text(values), _as_text(universe))


def _as_text(values) -> pd.Series:
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype="str")
    return series if series.dtype == "str" else series.astype("str")


class CategoryEncoder:
    """Map category strings to stable integer codes.

    ``vocabularies`` pins the categories of some columns (code = position); ``fit`` learns the
    remaining columns of ``ENCODED_COLUMNS`` as the sorted distinct values it sees.
    """

    def __init__(self, vocabularies: Mapping[str, Sequence[str]] | None = None) -> None:
        self.vocabularies = vocabularies

    def fit(self, *frames: pd.DataFrame) -> CategoryEncoder:
        """Learn vocabularies from the columns of ``frames`` (e.g. customers and invoices)."""
        pinned = {
            **FIXED_VOCABULARIES,
            **{k: tuple(v) for k, v in (self.vocabularies or {}).items()},
        }
        learned: dict[str, tuple[str, ...]] = {}
        for column in ENCODED_COLUMNS:
            if column in pinned:
                learned[column] = tuple(str(v) for v in pinned[column])
                continue
            seen = [f[column].dropna().astype(str) for f in frames if column in f]
            values = pd.concat(seen).unique() if seen else []
            learned[column] = tuple(sorted(str(v) for v in values))
        self.vocabularies_ = learned
        return self

    def transform(self, column: str, values: pd.Series | np.ndarray | Sequence[Any]) -> np.ndarray:
        """Codes of ``values`` in ``column``'s vocabulary; missing or unknown -> ``-1``."""
        series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype="str")
        return lookup(series, list(self.vocabularies_[column])).astype(np.int32)

    def categories(self, column: str) -> tuple[str, ...]:
        return self.vocabularies_[column]

    def to_dict(self) -> dict[str, list[str]]:
        """A JSON-ready form of the fitted vocabularies."""
        return {column: list(values) for column, values in self.vocabularies_.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Sequence[str]]) -> CategoryEncoder:
        """Rebuild a fitted encoder from :meth:`to_dict` output."""
        encoder = cls(vocabularies=data)
        encoder.vocabularies_ = {k: tuple(str(v) for v in vals) for k, vals in data.items()}
        for column in ENCODED_COLUMNS:
            encoder.vocabularies_.setdefault(column, FIXED_VOCABULARIES.get(column, ()))
        return encoder

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CategoryEncoder) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        fitted = hasattr(self, "vocabularies_")
        sizes = {k: len(v) for k, v in self.vocabularies_.items()} if fitted else "unfitted"
        return f"CategoryEncoder({sizes})"

"""Turn one feature's values into reason sentences, vectorised.

Values are first reduced to what the sentence shows (rounded counts, days, percentages...), then
each distinct (case, shown values) combination is written once and every row points at its text.
Millions of rows need only as many string operations as there are distinct sentences.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dso_model.explain.phrases import (
    CHANNEL_NAMES,
    CODE_COLUMNS,
    MONTHS,
    PHRASES,
    SEGMENT_NAMES,
    WEEKDAYS,
    Phrase,
    find_phrase,
    ordinal,
)

LANGS = ("en", "es")
_SENTINEL = -9.0e300  # stands for "missing" in the factorised keys
UNKNOWN = {"en": "not known", "es": "desconocido"}


@dataclass(frozen=True)
class Wording:
    """Everything needed to word one feature: its phrase (or the generic label form)."""

    name: str
    phrase: Phrase
    groups: Mapping[str, str]
    label: Mapping[str, str]
    needs: str | None

    @classmethod
    def build(cls, name: str, registry: Mapping[str, Any], phrases=PHRASES) -> Wording:
        phrase, groups = find_phrase(name, phrases)
        spec = registry.get(name)
        label = {lang: str(getattr(spec, f"label_{lang}", name)) for lang in LANGS}
        if phrase is None:
            fmt = "code" if getattr(spec, "categorical", False) else "number"
            phrase = Phrase(name, fmt, "{label}: {v}", "{label}: {v}")
        needs = phrase.needs.format(**groups) if phrase.needs else None
        return cls(name, phrase, groups, label, needs)


def shown_values(fmt: str, v: np.ndarray, n: np.ndarray | None) -> dict[str, np.ndarray]:
    """What the sentence shows, as rounded numbers (NaN where missing)."""
    if fmt == "share_of":
        total = np.rint(n) if n is not None else np.full_like(v, np.nan)
        return {"late": np.rint(v * total), "n": total}
    if fmt in ("count", "days", "hour", "weekday", "month", "code"):
        return {"v": np.rint(v)}
    if fmt == "percent":
        return {"v": np.rint(v * 100.0)}
    if fmt in ("ratio", "sentiment"):
        return {"v": np.round(v, 1)}
    if fmt == "flag":
        return {"v": np.where(np.isnan(v), np.nan, (v >= 0.5).astype(float))}
    if fmt == "log_amount":
        return {"v": _significant(np.expm1(v))}
    return {"v": _significant(v)}


def _significant(v: np.ndarray, digits: int = 3) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.floor(np.log10(np.abs(v)))
    mag = np.where(np.isfinite(mag), mag, 0.0)
    scale = 10.0 ** (digits - 1 - mag)
    return np.where(v == 0, 0.0, np.round(v * scale) / scale)


def case_codes(phrase: Phrase, shown: dict[str, np.ndarray], raw: np.ndarray) -> np.ndarray:
    """Index of the variant each row uses (-1 for the main sentence, -2 for an unworded gap)."""
    key = shown.get("late", shown.get("v"))
    missing = np.isnan(raw)
    if phrase.fmt == "share_of":
        missing = missing | np.isnan(shown["n"]) | (shown["n"] <= 0)
    elif phrase.fmt == "code":
        missing = missing | (raw < 0)  # category code -1: missing or unknown
    tests = {
        "zero": key == 0,
        "one": (shown["n"] == 1) if phrase.fmt == "share_of" else key == 1,
        "negative": key < 0,
        "positive": key > 0,
        "true": key == 1,
        "false": key == 0,
    }
    conditions, choices = [], []
    for i, case in enumerate(phrase.cases()):
        if case != "missing":
            conditions.append(tests[case] & ~missing)
            choices.append(i)
    has_missing = "missing" in phrase.cases()
    missing_choice = phrase.cases().index("missing") if has_missing else -2
    codes = np.select(conditions, choices, default=-1) if conditions else np.full(len(raw), -1)
    return np.where(missing, missing_choice, codes).astype(np.int64)


def word_feature(
    wording: Wording,
    values: np.ndarray,
    needed: np.ndarray | None,
    langs: Sequence[str] = ("en",),
    categories: Mapping[str, Sequence[str]] | None = None,
) -> tuple[np.ndarray, dict[str, list[str]]]:
    """``(codes, texts)``: the sentence of row ``i`` in ``lang`` is ``texts[lang][codes[i]]``."""
    phrase = wording.phrase
    raw = np.asarray(values, dtype=float)
    shown = shown_values(phrase.fmt, raw, needed)
    cases = case_codes(phrase, shown, raw)
    names = sorted(shown)
    arrays = [cases.astype(float)] + [np.nan_to_num(shown[k], nan=_SENTINEL) for k in names]
    codes, first = factorize_rows(arrays)
    uniques = [tuple(a[i] for a in arrays) for i in first]
    texts = {
        lang: [
            _sentence(
                wording, int(row[0]), dict(zip(names, row[1:], strict=True)), lang, categories
            )
            for row in uniques
        ]
        for lang in langs
    }
    return codes, texts


def factorize_rows(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct rows of several aligned arrays, and the first row of each code."""
    n = len(arrays[0]) if arrays else 0
    codes = np.zeros(n, dtype=np.int64)
    for array in arrays:
        part, uniques = pd.factorize(array)
        codes = pd.factorize(codes * max(len(uniques), 1) + part)[0]
    first = np.full(codes.max() + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(first, codes, np.arange(n))
    return codes.astype(np.int64), first


def _sentence(wording: Wording, case: int, shown: dict[str, float], lang: str, categories) -> str:
    phrase = wording.phrase
    if case == -2:
        return f"{wording.label[lang]}: {UNKNOWN[lang]}"
    template = phrase.template(phrase.cases()[case] if case >= 0 else None, lang)
    signed = case >= 0 and phrase.cases()[case] == "negative"
    fields = {
        k: _show(phrase.fmt, wording.name, v, lang, categories, signed) for k, v in shown.items()
    }
    fields.update(_group_fields(wording.groups, lang))
    return _singular(template.format(label=wording.label[lang], **fields))


_ONE_DAY = re.compile(r"(?<![\d.,])1 (day|día)s\b")


def _singular(text: str) -> str:
    """ "1 days" -> "1 day", "1 días" -> "1 día"."""
    return _ONE_DAY.sub(r"1 \1", text)


def _group_fields(groups: Mapping[str, str], lang: str) -> dict[str, str]:
    out = {k: str(v) for k, v in groups.items()}
    if "ch" in groups:
        out["ch"] = CHANNEL_NAMES[lang].get(groups["ch"], groups["ch"])
    if "i" in groups:
        out["ord"] = ordinal(int(groups["i"]), lang)
    return out


def _show(fmt: str, name: str, value: float, lang: str, categories, absolute: bool) -> str:
    if value == _SENTINEL or not np.isfinite(value):
        return UNKNOWN[lang]
    v = abs(value) if absolute else value
    if fmt in ("count", "days", "percent", "share_of"):
        return _number(v, 0, lang)
    if fmt == "hour":
        return f"{int(v) % 24:02d}:00"
    if fmt == "weekday":
        return WEEKDAYS[lang][int(v) % 7]
    if fmt == "month":
        return MONTHS[lang][(int(v) - 1) % 12]
    if fmt == "code":
        return _category(name, int(v), lang, categories)
    if fmt in ("ratio", "sentiment"):
        text = _number(v, 1, lang)
        return f"+{text}" if fmt == "sentiment" and v > 0 else text
    return _number(v, 0 if abs(v) >= 100 else 2, lang)


def _number(v: float, decimals: int, lang: str) -> str:
    text = f"{v:,.{decimals}f}"
    if decimals and "." in text:
        text = text.rstrip("0").rstrip(".")
    if lang == "es":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def _category(name: str, code: int, lang: str, categories) -> str:
    from dso_model.features.encoding import FIXED_VOCABULARIES

    column = CODE_COLUMNS.get(name, name)
    vocab = (categories or {}).get(column) or FIXED_VOCABULARIES.get(column)
    if vocab is None or not 0 <= code < len(vocab):
        return UNKNOWN[lang] if code < 0 else f"#{code}"
    value = str(vocab[code])
    return SEGMENT_NAMES[lang].get(value, value) if column == "segment" else value

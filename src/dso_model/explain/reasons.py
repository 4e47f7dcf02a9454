"""Reason codes: the top drivers pushing each invoice late, as sentences in English and Spanish.

A driver is a feature with a positive SHAP contribution (it raises the predicted delay); the top
``k`` by size are worded from the phrase book (:mod:`dso_model.explain.phrases`) with the invoice's
feature values filled in, e.g. "Paid 4 of the last 5 invoices late" / "Pagó con retraso 4 de sus
últimas 5 facturas". Invoices with fewer than ``k`` drivers above ``min_impact`` get empty slots.

Everything is vectorised: the top drivers come from ``k`` row-wise ``argmax`` passes over the
contributions of the features the model uses; each feature's sentences are written once per
distinct shown value (:mod:`dso_model.explain.wording`) and the columns are assembled by Arrow
``take`` from the pool of distinct sentences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from dso_model.explain.contributions import Contributions, tree_contributions
from dso_model.explain.wording import LANGS, Wording, word_feature


def top_drivers(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column index and value of the ``k`` largest entries of each row, largest first.

    Columns that are zero on every row (features the model never uses) are skipped; when fewer
    than ``k`` columns remain, the missing ranks get index 0 and value ``-inf``.
    """
    n, f = values.shape
    k = min(k, f)
    idx = np.zeros((n, k), dtype=np.int64)
    impact = np.full((n, k), -np.inf)
    used = np.flatnonzero((values != 0).any(axis=0)) if n else np.arange(0)
    work = values[:, used].astype(float, copy=True)
    rows = np.arange(n)
    for r in range(min(k, len(used))):
        best = work.argmax(axis=1)
        idx[:, r] = used[best]
        impact[:, r] = work[rows, best]
        work[rows, best] = -np.inf
    return idx, impact


def _langs(lang: str | Sequence[str]) -> tuple[str, ...]:
    langs = (lang,) if isinstance(lang, str) else tuple(lang)
    unknown = [x for x in langs if x not in LANGS]
    if unknown:
        raise ValueError(f"reason codes are written in {LANGS}, not {unknown}")
    return langs


class _Words:
    """Cache of wordings per feature, built from the registry on first use."""

    def __init__(self, registry: Mapping[str, Any] | None) -> None:
        if registry is None:
            from dso_model.features.registry import FEATURE_REGISTRY

            registry = FEATURE_REGISTRY
        self.registry = registry
        self.cache: dict[str, Wording] = {}

    def __getitem__(self, name: str) -> Wording:
        if name not in self.cache:
            self.cache[name] = Wording.build(name, self.registry)
        return self.cache[name]


class _Columns:
    """Feature columns as float arrays, converted once per call."""

    def __init__(self, features: pd.DataFrame) -> None:
        self.features = features
        self.cache: dict[str, np.ndarray] = {}

    def get(self, name: str | None) -> np.ndarray | None:
        if name is None or name not in self.features.columns:
            return None
        if name not in self.cache:
            self.cache[name] = self.features[name].to_numpy(dtype=float, na_value=np.nan)
        return self.cache[name]


def _groups(keys: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(key, row positions) for every key >= 0, by one stable sort instead of a scan per key."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    cuts = np.flatnonzero(np.diff(sorted_keys)) + 1
    starts = np.concatenate([[0], cuts]) if len(keys) else np.zeros(0, dtype=np.int64)
    ends = np.concatenate([cuts, [len(keys)]]) if len(keys) else np.zeros(0, dtype=np.int64)
    return [
        (int(sorted_keys[a]), order[a:b])
        for a, b in zip(starts, ends, strict=True)
        if sorted_keys[a] >= 0
    ]


def _rank_texts(
    rank_idx: np.ndarray,
    valid: np.ndarray,
    columns: list[str],
    values: _Columns,
    words: _Words,
    langs: tuple[str, ...],
    categories,
) -> dict[str, Any]:
    """The sentences of one rank for every row, per language (missing where no driver)."""
    codes = np.full(len(rank_idx), -1, dtype=np.int64)
    pools: dict[str, list[str]] = {lang: [] for lang in langs}
    for j, rows in _groups(np.where(valid, rank_idx, -1)):
        wording = words[columns[j]]
        needed = values.get(wording.needs)
        local, texts = word_feature(
            wording,
            values.get(columns[j])[rows],
            None if needed is None else needed[rows],
            langs,
            categories,
        )
        codes[rows] = local + len(pools[langs[0]])
        for lang in langs:
            pools[lang].extend(texts[lang])
    return {lang: _take(pools[lang], codes) for lang in langs}


def _take(pool: list[str], codes: np.ndarray) -> Any:
    """``pool[codes]`` as a pandas string array (missing where ``codes`` < 0), built by Arrow."""
    import pyarrow as pa

    taken = pa.array(pool, type=pa.string()).take(pa.array(codes, mask=codes < 0))
    return pd.array(pa.chunked_array([taken]), dtype="str")


def reason_codes(
    contribs: Contributions | pd.DataFrame,
    features: pd.DataFrame,
    lang: str | Sequence[str] = "en",
    *,
    top: int = 3,
    min_impact: float = 0.0,
    details: bool = False,
    registry: Mapping[str, Any] | None = None,
    categories: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """One row per invoice: ``invoice_id``, ``reason_1`` .. ``reason_<top>``.

    With several languages the columns are ``reason_1_en``, ``reason_1_es``... ``details`` adds
    ``driver_<i>`` (feature name) and ``impact_<i>`` (its contribution, in model units: days).
    ``features`` holds the invoices' feature values (same index); ``categories`` are the category
    encoder's vocabularies (``CategoryEncoder.to_dict()``) to name countries and the like.
    """
    values = contribs.values if isinstance(contribs, Contributions) else contribs
    langs = _langs(lang)
    feats = features.reindex(values.index)
    columns = [str(c) for c in values.columns]
    idx, impact = top_drivers(values.to_numpy(dtype=float), top)
    words = _Words(registry)
    cols = _Columns(feats)
    out: dict[str, Any] = {"invoice_id": values.index.to_numpy()}
    for r in range(idx.shape[1]):
        valid = impact[:, r] > min_impact
        texts = _rank_texts(idx[:, r], valid, columns, cols, words, langs, categories)
        for language in langs:
            name = f"reason_{r + 1}" if len(langs) == 1 else f"reason_{r + 1}_{language}"
            out[name] = texts[language]
        if details:
            out[f"driver_{r + 1}"] = pd.array(
                np.where(valid, np.asarray(columns, dtype=object)[idx[:, r]], None), dtype="str"
            )
            out[f"impact_{r + 1}"] = np.where(valid, impact[:, r], np.nan)
    return pd.DataFrame(out)


def explain_reasons(
    model: Any,
    X: pd.DataFrame,
    lang: str | Sequence[str] = ("en", "es"),
    *,
    part: str = "mean",
    method: str = "exact",
    top: int = 3,
    min_impact: float = 0.0,
    chunk_size: int = 200_000,
    details: bool = True,
    registry: Mapping[str, Any] | None = None,
    categories: Mapping[str, Sequence[str]] | None = None,
    num_threads: int = 0,
) -> pd.DataFrame:
    """Reason codes straight from a model, chunk by chunk, with ``predicted_days_late`` (the
    explained output). Memory stays bounded for millions of invoices: only one chunk's
    contributions exist at a time. ``method``: see :func:`tree_contributions`."""
    frames = []
    for start in range(0, max(len(X), 1), chunk_size):
        chunk = X.iloc[start : start + chunk_size]
        contribs = tree_contributions(
            model, chunk, part=part, method=method, chunk_size=chunk_size, num_threads=num_threads
        )
        words = reason_codes(
            contribs,
            chunk,
            lang,
            top=top,
            min_impact=min_impact,
            details=details,
            registry=registry,
            categories=categories,
        )
        words.insert(1, "predicted_days_late", contribs.output.to_numpy())
        frames.append(words)
    return pd.concat(frames, ignore_index=True)

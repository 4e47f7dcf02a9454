"""Reason codes and drivers of the open invoices, from the delay model's TreeSHAP contributions.

Contributions are computed chunk by chunk (LightGBM's own ``pred_contrib``), worded into the top
reasons in each language, and summed by feature family for the briefing's drivers; only one
chunk's contribution matrix exists at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

FAMILY_LABELS = {
    "history": {"en": "Payment history", "es": "Historial de pagos"},
    "exposure": {"en": "Amount owed and exposure", "es": "Deuda y exposición"},
    "channel": {"en": "Contacts and responses", "es": "Contactos y respuestas"},
    "reputation": {"en": "Complaints and mentions", "es": "Quejas y menciones"},
    "attributes": {"en": "Customer attributes", "es": "Datos del cliente"},
    "invoice": {"en": "The invoice and calendar", "es": "La factura y el calendario"},
}


@dataclass(frozen=True)
class Explanation:
    """Reasons per open invoice (same row order as the model matrix) and family contributions."""

    reasons: pd.DataFrame
    families: pd.DataFrame


def explain_open_invoices(
    bundle,
    X: pd.DataFrame,
    languages: Sequence[str] = ("en", "es"),
    top: int = 3,
    chunk_size: int = 200_000,
    method: str = "exact",
) -> Explanation:
    """Top ``top`` reasons in each language and per-family contributions for every row of ``X``
    (``method``: exact TreeSHAP or path attribution, see
    :func:`~dso_model.explain.contributions.tree_contributions`)."""
    from dso_model.explain.contributions import tree_contributions
    from dso_model.explain.drivers import family_contributions, feature_families
    from dso_model.explain.reasons import reason_codes
    from dso_model.features import feature_registry

    registry = {s.name: s for s in feature_registry(bundle.feature_config)}
    families = feature_families(bundle.feature_names, registry)
    categories = bundle.manifest["encoder"]
    reasons, sums = [], []
    for start in range(0, len(X), max(chunk_size, 1)):
        chunk = X.iloc[start : start + chunk_size]
        contribs = tree_contributions(
            bundle.delay_model, chunk, part="mean", method=method, chunk_size=chunk_size
        )
        words = reason_codes(
            contribs, chunk, tuple(languages), top=top, registry=registry, categories=categories
        )
        reasons.append(_named(words.drop(columns="invoice_id"), languages))
        sums.append(family_contributions(contribs, families))
    if not reasons:
        return Explanation(_empty_reasons(languages, top), pd.DataFrame(index=X.index))
    return Explanation(
        pd.concat(reasons, ignore_index=True).set_axis(X.index),
        pd.concat(sums).set_axis(X.index),
    )


def _named(words: pd.DataFrame, languages: Sequence[str]) -> pd.DataFrame:
    """Columns ``reason_<i>_<lang>`` even for a single language."""
    if len(languages) > 1:
        return words
    return words.rename(columns=lambda c: f"{c}_{languages[0]}")


def _empty_reasons(languages: Sequence[str], top: int) -> pd.DataFrame:
    cols = {
        f"reason_{i}_{lang}": pd.array([], dtype="str")
        for i in range(1, top + 1)
        for lang in languages
    }
    return pd.DataFrame(cols)


def driver_shares(families: pd.DataFrame, weights: np.ndarray, lang: str = "en") -> pd.DataFrame:
    """Share of the predicted delay each family explains, weighted by money owed:
    ``family``, ``label``, ``share`` (largest first), from :func:`dso_model.explain.drivers.family_drivers`."""
    from dso_model.explain.contributions import Contributions
    from dso_model.explain.drivers import family_drivers

    w = np.asarray(weights, dtype=float)
    if families.empty or not len(families.columns) or w.sum() <= 0:
        return pd.DataFrame({"family": [], "label": [], "share": []})
    summed = Contributions(families, 0.0, families.sum(axis=1))
    table = family_drivers(summed, {str(c): str(c) for c in families.columns}, weights=w)
    return pd.DataFrame(
        {
            "family": table.index.astype(str),
            "label": [FAMILY_LABELS.get(f, {}).get(lang, f) for f in table.index.astype(str)],
            "share": table["share"].to_numpy(float),
        }
    )

"""Readable reasons for a profile, in Spanish and English.

Behavioural groups are explained by the features that pushed the deciding score most (TreeSHAP
contributions from LightGBM's ``pred_contrib``): for ``unable`` the drivers of the stress score,
for ``unwilling`` those of the unwilling score, for ``able_willing`` the features that pulled both
down. Cold-start groups are explained by the rule that placed them. A reason reads
"<label>: <value>", e.g. "Partial payments: 3" / "Pagos parciales: 3".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dso_model.contract.spec import SEGMENTS
from dso_model.profiles.customer_features import CUSTOMER_FEATURES

RULE_REASONS: dict[str, tuple[str, str]] = {
    "no_history": ("No invoices yet", "Sin facturas todavía"),
    "short_history": (
        "{n} invoice(s) with a known outcome, {m} needed for a verdict",
        "{n} factura(s) con desenlace conocido, se necesitan {m} para un veredicto",
    ),
    "enrichment": ("Enrichment data on file", "Hay datos de enriquecimiento"),
    "no_enrichment": ("No enrichment data", "Sin datos de enriquecimiento"),
}
NOT_SHOWN = ("segment",)  # codes, not evidence a collector can act on


def format_value(name: str, value: float, lang: str) -> str:
    """A feature value the way a person reads it (shares in %, days, counts, multiples)."""
    if value is None or not np.isfinite(value):
        return "-" if lang == "en" else "-"
    if name == "segment":
        return SEGMENTS[int(value)] if 0 <= int(value) < len(SEGMENTS) else "?"
    if "_share" in name or name.endswith("_rate"):
        text = f"{100 * value:.0f} %"
    elif "days" in name:
        text = f"{value:.0f} " + ("days" if lang == "en" else "días")
    elif name.endswith("_rel") or name.startswith("paid_vs_due") or name == "limit_to_spend":
        text = f"{value:.1f}×"
    elif float(value).is_integer():
        text = f"{int(value)}"
    else:
        text = f"{value:,.2f}"
    return text.replace(".", ",") if lang == "es" else text


def feature_reason(name: str, value: float, lang: str) -> str:
    label_en, label_es, _ = CUSTOMER_FEATURES.get(name, (name, name, 0))
    label = label_es if lang == "es" else label_en
    return f"{label}: {format_value(name, value, lang)}"


def top_drivers(contrib: pd.DataFrame, values: pd.DataFrame, k: int, sign: int) -> np.ndarray:
    """Per row, the ``k`` feature names with the largest ``sign * contribution`` (> 0 only).

    Features whose value is missing or that are not shown are skipped; empty slots are "".
    """
    c = contrib.to_numpy(dtype=float) * sign
    hidden = (
        values[contrib.columns].isna().to_numpy() | np.isin(contrib.columns, NOT_SHOWN)[None, :]
    )
    c = np.where(hidden, -np.inf, c)
    order = np.argsort(-c, axis=1, kind="stable")[:, :k]
    names = np.asarray(contrib.columns, dtype=object)[order]
    picked = np.take_along_axis(c, order, axis=1)
    return np.where(picked > 0, names, "")


def reason_texts(codes: np.ndarray, values: pd.DataFrame, lang: str) -> np.ndarray:
    """Readable texts for a (rows, k) array of feature names, values taken from ``values``."""
    out = np.full(codes.shape, "", dtype=object)
    for j in range(codes.shape[1]):
        for name in pd.unique(codes[:, j]):
            if not name or name not in values.columns:
                continue
            rows = codes[:, j] == name
            col = values[name].to_numpy(dtype=float)[rows]
            out[rows, j] = _worded_once(name, col, lang)
    return out


def _worded_once(name: str, col: np.ndarray, lang: str) -> np.ndarray:
    """:func:`feature_reason` of each value, worded once per distinct value (bit for bit, so
    -0.0 and 0.0 stay apart)."""
    codes, _ = pd.factorize(np.ascontiguousarray(col, dtype=np.float64).view(np.int64))
    _, first = np.unique(codes, return_index=True)
    texts = np.array([feature_reason(name, v, lang) for v in col[first]], dtype=object)
    return texts[codes]


def rule_reasons(features: pd.DataFrame, min_judged: int, k: int) -> dict[str, np.ndarray]:
    """Codes and texts (es/en) for customers placed by the cold-start rules."""
    n = len(features)
    no_history = features["n_invoices"].to_numpy() == 0
    enriched = features["has_enrichment"].to_numpy() > 0
    first = np.where(no_history, "no_history", "short_history")
    second = np.where(enriched, "enrichment", "no_enrichment")
    codes = np.stack([first, second] + [np.full(n, "")] * max(0, k - 2), axis=1)[:, :k]
    judged = features["n_judged"].to_numpy().astype(int)
    out: dict[str, np.ndarray] = {"codes": codes}
    for lang, pos in (("en", 0), ("es", 1)):
        texts = np.full(codes.shape, "", dtype=object)
        for code, (en, es) in RULE_REASONS.items():
            template = (en, es)[pos]
            for n_judged in np.unique(judged):
                hit = (codes == code) & (judged == n_judged)[:, None]
                texts[hit] = template.format(n=int(n_judged), m=min_judged)
        out[lang] = texts
    return out

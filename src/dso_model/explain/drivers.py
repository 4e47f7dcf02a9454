"""Global drivers: which features and feature families move predicted delay, plain and by money.

SHAP values are additive, so a family's contribution to one invoice is the sum of its features'
contributions; its importance is the mean absolute value of that sum (features of one family that
pull in opposite directions partly cancel, as they do in the prediction). DSO is money-weighted,
so every importance also comes weighted by invoice amount: a driver of small invoices matters less
to DSO than one of large invoices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from dso_model.explain.contributions import Contributions

UNKNOWN_FAMILY = "other"
# Calendar features of the registry's "invoice" family; reports show them as their own family so
# that "when it falls due" is not mixed with "how large the invoice is".
CALENDAR_FEATURES = (
    "inv_issue_weekday",
    "inv_issue_month_end",
    "inv_due_weekday",
    "inv_due_month",
    "inv_due_month_end",
    "inv_due_weekend",
    "inv_due_holiday",
    "inv_holidays_to_due",
    "inv_cutoff_weekday",
    "inv_cutoff_month",
)
BASELINE = "baseline"


def feature_families(
    features: Sequence[str],
    registry: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, str]:
    """Family of each feature: the registry's, unless ``overrides`` (family -> features) moves it.

    Overrides let a report split a registry family, e.g. the calendar features out of "invoice".
    Features the registry does not know fall in ``"other"``.
    """
    registry = _default_registry() if registry is None else registry
    families = {
        f: str(getattr(registry.get(f), "family", UNKNOWN_FAMILY))
        if f in registry
        else UNKNOWN_FAMILY
        for f in features
    }
    for family, members in (overrides or {}).items():
        for name in members:
            if name in families:
                families[name] = str(family)
    return families


def _default_registry() -> Mapping[str, Any]:
    from dso_model.features.registry import FEATURE_REGISTRY

    return FEATURE_REGISTRY


def feature_label(name: str, lang: str = "en", registry: Mapping[str, Any] | None = None) -> str:
    """Readable label of a feature from the registry (the raw name when unknown)."""
    registry = _default_registry() if registry is None else registry
    spec = registry.get(name)
    return str(getattr(spec, f"label_{lang}", name)) if spec is not None else name


def family_order(families: Mapping[str, str]) -> list[str]:
    """Families in registry order, then any others alphabetically."""
    from dso_model.features.registry import FAMILIES

    present = set(families.values())
    known = [f for f in FAMILIES if f in present]
    return known + sorted(present - set(known))


def family_contributions(
    contribs: Contributions | pd.DataFrame, families: Mapping[str, str]
) -> pd.DataFrame:
    """Per-row contribution of each family (rows x families): the sum of its features' SHAP."""
    values = contribs.values if isinstance(contribs, Contributions) else contribs
    keys = [families.get(str(c), UNKNOWN_FAMILY) for c in values.columns]
    order = family_order(dict(zip(values.columns, keys, strict=True)))
    codes = pd.Index(order).get_indexer(keys)
    indicator = np.zeros((len(keys), len(order)))
    indicator[np.arange(len(keys)), codes] = 1.0
    summed = values.to_numpy(dtype=float) @ indicator
    return pd.DataFrame(summed, index=values.index, columns=order)


def _importance(values: pd.DataFrame, weights: np.ndarray | None) -> pd.DataFrame:
    arr = values.to_numpy(dtype=float)
    table = pd.DataFrame(
        {"mean_abs": np.abs(arr).mean(axis=0), "mean": arr.mean(axis=0)}, index=values.columns
    )
    if weights is not None:
        w = weights / weights.sum()
        table["mean_abs_weighted"] = np.abs(arr).T @ w
        table["mean_weighted"] = arr.T @ w
    return table


def _weights(contribs: Contributions, weights: pd.Series | np.ndarray | None) -> np.ndarray | None:
    if weights is None:
        return None
    if isinstance(weights, pd.Series):
        weights = weights.reindex(contribs.values.index)
    w = np.asarray(weights, dtype=float)
    if len(w) != len(contribs) or np.isnan(w).any() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be non-negative, one per row, with a positive total")
    return w


def global_drivers(
    contribs: Contributions,
    families: Mapping[str, str],
    weights: pd.Series | np.ndarray | None = None,
    registry: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """One row per feature, most important first: family, labels, mean |SHAP| and mean SHAP,
    plain and (when ``weights`` such as invoice amounts are given) weighted, plus rank."""
    table = _importance(contribs.values, _weights(contribs, weights))
    table.insert(0, "family", [families.get(str(f), UNKNOWN_FAMILY) for f in table.index])
    table.insert(1, "label_en", [feature_label(str(f), "en", registry) for f in table.index])
    table.insert(2, "label_es", [feature_label(str(f), "es", registry) for f in table.index])
    key = "mean_abs_weighted" if "mean_abs_weighted" in table else "mean_abs"
    table = table.sort_values(key, ascending=False, kind="stable")
    table["rank"] = np.arange(1, len(table) + 1)
    table.index.name = "feature"
    return table


def family_drivers(
    contribs: Contributions,
    families: Mapping[str, str],
    weights: pd.Series | np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per family, most important first: mean |family SHAP|, plain and weighted, the
    number of features and the share of the total importance."""
    fam = family_contributions(contribs, families)
    table = _importance(fam, _weights(contribs, weights))
    counts = pd.Series(list(families.values())).value_counts()
    table.insert(0, "n_features", counts.reindex(table.index).fillna(0).astype(int))
    key = "mean_abs_weighted" if "mean_abs_weighted" in table else "mean_abs"
    table["share"] = table[key] / table[key].sum() if table[key].sum() > 0 else 0.0
    table = table.sort_values(key, ascending=False, kind="stable")
    table["rank"] = np.arange(1, len(table) + 1)
    table.index.name = "family"
    return table


def drivers_by_group(
    contribs: Contributions,
    families: Mapping[str, str],
    groups: pd.Series,
    weights: pd.Series | np.ndarray | None = None,
) -> pd.DataFrame:
    """Family importance (weighted mean |SHAP| when ``weights`` are given) per group: rows are
    groups (segment, country, profile group...), columns families, plus each group's size."""
    fam = family_contributions(contribs, families).abs()
    keys = (
        groups.reindex(fam.index)
        if isinstance(groups, pd.Series)
        else pd.Series(groups, index=fam.index)
    )
    w = _weights(contribs, weights)
    w = np.ones(len(fam)) if w is None else w
    weighted = fam.mul(w, axis=0)
    totals = weighted.groupby(keys.to_numpy(), sort=True).sum()
    denom = pd.Series(w, index=fam.index).groupby(keys.to_numpy(), sort=True).sum()
    out = totals.div(denom.where(denom > 0), axis=0)
    out.insert(0, "n_invoices", keys.value_counts().reindex(out.index).fillna(0).astype(int))
    out.index.name = str(groups.name or "group")
    return out

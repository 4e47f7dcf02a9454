"""Assign every customer to exactly one of the five groups as of a date.

Rules (thresholds in ``configs/profiles/default.yaml``):

1. Fewer than ``min_judged_invoices`` invoices with a known outcome (settled, or unpaid and well
   past due) before the date: no behavioural verdict. ``data_available`` when there is some
   history or enrichment data, ``no_data`` when there is neither.
2. Otherwise the ability score decides ``unable`` (below ``unable_below``), then the willingness
   score decides ``unwilling`` (below ``unwilling_below``); everyone else is ``able_willing``.

Confidence is 1 for the rule-based cold-start groups. For behavioural groups it is the distance of
the deciding score from its threshold on the score's scale: 0.5 at the threshold, 1 at the far end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dso_model.contract.portfolio import Portfolio
from dso_model.profiles.config import ProfileConfig, RuleConfig
from dso_model.profiles.customer_features import customer_features
from dso_model.profiles.groups import GROUP_LABELS
from dso_model.profiles.model import ProfileModel, groups_from_scores
from dso_model.profiles.reasons import reason_texts, rule_reasons, top_drivers

SCORE_COLUMNS = ("ability_score", "willingness_score", "p_stress", "p_unwilling")


def profile_columns(k: int = 3) -> list[str]:
    """Output columns of :func:`assign_groups`, in order."""
    reasons = [f"reason_{i}" for i in range(1, k + 1)]
    texts = [f"reason_{i}_{lang}" for lang in ("en", "es") for i in range(1, k + 1)]
    return [
        "as_of", "customer_id", "group", "group_en", "group_es", "confidence", *SCORE_COLUMNS,
        *reasons, *texts,
    ]  # fmt: skip


def thresholds_for(model: ProfileModel | None, rules: RuleConfig) -> tuple[float, float]:
    """The thresholds set at training time when the model has them and the rules do not fix them,
    else the configured ones."""
    tuned = getattr(model, "thresholds_", None)
    if tuned is not None and rules.thresholds != "fixed":
        return float(tuned[0]), float(tuned[1])
    return rules.unable_below, rules.unwilling_below


def confidence(
    scores: pd.DataFrame, group: np.ndarray, unable_below: float, unwilling_below: float
) -> np.ndarray:
    """0.5 at the deciding threshold, 1 at the far end of the deciding score's range."""
    a = scores["ability_score"].to_numpy()
    w = scores["willingness_score"].to_numpy()
    below_a = (unable_below - a) / max(unable_below, 1e-9)
    below_w = (unwilling_below - w) / max(unwilling_below, 1e-9)
    above_a = (a - unable_below) / max(1 - unable_below, 1e-9)
    above_w = (w - unwilling_below) / max(1 - unwilling_below, 1e-9)
    margin = np.select(
        [group == "unable", group == "unwilling"],
        [below_a, np.minimum(below_w, above_a)],
        default=np.minimum(above_a, above_w),
    )
    return 0.5 + 0.5 * np.clip(margin, 0.0, 1.0)


def behavioural_reasons(
    model: ProfileModel, X: pd.DataFrame, group: np.ndarray, k: int, method: str = "exact"
) -> np.ndarray:
    """Feature codes of the top ``k`` drivers of each row's verdict (contributions, by ``method``,
    are computed only for the rows whose verdict they explain)."""
    codes = np.full((len(X), k), "", dtype=object)
    for name, parts, sign in (
        ("unable", ("stress",), 1),
        ("unwilling", ("unwilling",), 1),
        ("able_willing", ("stress", "unwilling"), -1),
    ):
        rows = group == name
        if rows.any():
            contrib = _summed_contributions(model, X.loc[rows], parts, method)
            codes[rows] = top_drivers(contrib, X.loc[rows], k, sign)
    return codes


def _summed_contributions(model: ProfileModel, X: pd.DataFrame, parts, method: str) -> pd.DataFrame:
    total = model.contributions(X, parts[0], method)
    for part in parts[1:]:
        total = total + model.contributions(X, part, method)
    return total


def assign_groups(
    features: pd.DataFrame,
    model: ProfileModel | None,
    rules: RuleConfig | None = None,
    as_of: pd.Timestamp | None = None,
    reasons_method: str | None = "exact",
) -> pd.DataFrame:
    """Groups, confidence, scores and reasons from customer features (index: customer_id).

    ``reasons_method``: how the behavioural reasons are found, ``"exact"`` TreeSHAP or
    ``"saabas"`` path attribution; ``None`` writes no reasons (empty reason columns), for callers
    that need the groups only.
    """
    rules = rules or RuleConfig()
    k = rules.n_reasons
    cold = features["n_judged"].to_numpy() < rules.min_judged_invoices
    has_data = (features["n_invoices"].to_numpy() > 0) | (features["has_enrichment"].to_numpy() > 0)
    if model is None and not cold.all():
        raise ValueError("customers with enough history need a fitted ProfileModel")
    scores = pd.DataFrame(np.nan, index=features.index, columns=list(SCORE_COLUMNS))
    group = np.where(has_data, "data_available", "no_data").astype(object)
    conf = np.ones(len(features))
    codes = np.full((len(features), k), "", dtype=object)
    texts = {lang: np.full((len(features), k), "", dtype=object) for lang in ("en", "es")}
    if reasons_method is not None:
        rule = rule_reasons(features.loc[cold], rules.min_judged_invoices, k)
        codes[cold] = rule["codes"]
        for lang in texts:
            texts[lang][cold] = rule[lang]
    if (~cold).any():
        X = features.loc[~cold]
        sc = model.predict_scores(X)  # type: ignore[union-attr]
        scores.loc[X.index] = sc[list(SCORE_COLUMNS)].to_numpy()
        ua, uw = thresholds_for(model, rules)
        g = groups_from_scores(sc, ua, uw)
        group[~cold] = g
        conf[~cold] = confidence(sc, g, ua, uw)
        if reasons_method is not None:
            c = behavioural_reasons(model, X, g, k, reasons_method)  # type: ignore[arg-type]
            codes[~cold] = c
            for lang in texts:
                texts[lang][~cold] = reason_texts(c, X, lang)
    return _frame(features.index, as_of, group, conf, scores, codes, texts, k)


def _frame(index, as_of, group, conf, scores, codes, texts, k) -> pd.DataFrame:
    out = pd.DataFrame({"as_of": as_of, "customer_id": index.astype("str"), "group": group})
    out["group_en"] = out["group"].map({g: v["en"] for g, v in GROUP_LABELS.items()})
    out["group_es"] = out["group"].map({g: v["es"] for g, v in GROUP_LABELS.items()})
    out["confidence"] = conf
    for col in SCORE_COLUMNS:
        out[col] = scores[col].to_numpy()
    for i in range(k):
        out[f"reason_{i + 1}"] = codes[:, i]
    for lang in ("en", "es"):
        for i in range(k):
            out[f"reason_{i + 1}_{lang}"] = texts[lang][:, i]
    out["group"] = out["group"].astype("str")
    return out[profile_columns(k)].reset_index(drop=True)


def assign_profiles(
    portfolio: Portfolio,
    as_of: str | pd.Timestamp,
    model: ProfileModel | None = None,
    config: ProfileConfig | None = None,
    features: pd.DataFrame | None = None,
    reasons_method: str | None = "exact",
) -> pd.DataFrame:
    """Every customer created before ``as_of`` in exactly one group, with confidence and reasons.

    ``features`` may be passed when already computed by :func:`customer_features` for ``as_of``;
    ``reasons_method`` as in :func:`assign_groups` (``None``: the groups without reasons).
    """
    cfg = config or ProfileConfig()
    t = pd.Timestamp(as_of).normalize()
    if features is None:
        features = customer_features(portfolio, t, cfg.windows, cfg.rules.enrichment_columns)
    return assign_groups(features, model, cfg.rules, t, reasons_method)

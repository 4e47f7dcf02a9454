"""The two score models: ability (from the stress proxy) and willingness (from the unwilling proxy).

:class:`ProfileModel` fits two LightGBM classifiers on customer-level features at past profiling
dates and the proxy outcomes that followed them (``dso_model.profiles.proxies``):

- ``p_stress``: chance of cash-flow stress signs (partial payments, plan requests) in the horizon.
  ``ability_score = 1 - p_stress``.
- ``p_unwilling``: chance of ignoring collection contact though showing no stress, fitted on the
  rows without stress signs. ``willingness_score = 1 - p_unwilling``.

The decision thresholds come from the validation dates and the proxy outcomes only (never the
simulator's truth). By default (``label_frequency``) they correct for the proxies' incomplete
recall: a proxy shows only a share ``c`` of the true cases, so the probability of the proxy is
``c`` times the probability of the case (Elkan and Noto, 2008, "Learning classifiers from only
positive and unlabeled data"). ``c`` is estimated as the mean predicted probability over the
validation rows where the proxy fired, and a customer is put in the group when the corrected
probability ``p / c`` passes one half. ``proxy_f1`` instead picks the pair that maximises the
macro-F1 of the three proxy groups; ``fixed`` takes the configured pair.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from dso_model.profiles.config import ModelConfig

SCORE_PARTS = ("stress", "unwilling")
PREDICT_THREADS = 0  # LightGBM's default: every core (each row is scored on its own)
THRESHOLD_GRID = tuple(round(x, 2) for x in np.arange(0.1, 0.91, 0.05))


def make_classifier(cfg: ModelConfig) -> Any:
    """An unfitted LightGBM classifier with deterministic settings."""
    import lightgbm as lgb

    return lgb.LGBMClassifier(
        objective="binary",
        n_estimators=cfg.n_estimators,
        learning_rate=cfg.learning_rate,
        num_leaves=cfg.num_leaves,
        min_child_samples=cfg.min_child_samples,
        subsample=cfg.subsample,
        subsample_freq=1,
        colsample_bytree=cfg.colsample_bytree,
        reg_lambda=cfg.reg_lambda,
        random_state=cfg.seed,
        n_jobs=cfg.n_jobs,
        deterministic=True,
        force_row_wise=True,
        verbosity=-1,
    )


def eval_arguments(model: Any, eval_set: tuple[Any, Any]) -> dict[str, Any]:
    """The validation set in the spelling this LightGBM accepts (``eval_X`` since 4.6)."""
    import inspect

    if "eval_X" in inspect.signature(model.fit).parameters:
        return {"eval_X": (eval_set[0],), "eval_y": (eval_set[1],)}
    return {"eval_set": [eval_set]}


def fit_binary(
    cfg: ModelConfig,
    X: pd.DataFrame,
    y: np.ndarray,
    eval_set: tuple[pd.DataFrame, np.ndarray] | None,
) -> Any:
    """Fit one classifier, early-stopping on ``eval_set`` when it holds both classes."""
    import lightgbm as lgb

    model = make_classifier(cfg)
    if len(np.unique(y)) < 2:
        raise ValueError("a proxy outcome has a single class in the training rows")
    kwargs: dict[str, Any] = {}
    if eval_set is not None and len(np.unique(eval_set[1])) == 2 and cfg.early_stopping_rounds:
        kwargs |= eval_arguments(model, eval_set)
        kwargs["callbacks"] = [lgb.early_stopping(cfg.early_stopping_rounds, verbose=False)]
    return model.fit(X, y, **kwargs)


class ProfileModel(BaseEstimator):
    """Ability and willingness scores per customer from customer-level features.

    ``fit(X, labels, eval_set)`` takes features (rows: customer at a date) and a frame with the
    proxy columns ``stress`` and ``unwilling`` (NaN rows are skipped). ``predict_scores(X)``
    returns ``p_stress``, ``p_unwilling``, ``ability_score`` and ``willingness_score``.
    """

    def __init__(self, config: ModelConfig | None = None) -> None:
        self.config = config

    def fit(
        self,
        X: pd.DataFrame,
        labels: pd.DataFrame,
        eval_set: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    ) -> ProfileModel:
        cfg = self.config or ModelConfig()
        known = labels["stress"].notna().to_numpy()
        X, labels = X.loc[known], labels.loc[known]
        calm = labels["stress"].to_numpy() == 0
        ev_s = ev_w = None
        if eval_set is not None:
            Xv, lv = (
                eval_set[0][eval_set[1]["stress"].notna().to_numpy()],
                eval_set[1].dropna(subset=["stress"]),
            )
            ev_s = (Xv, lv["stress"].to_numpy())
            calm_v = lv["stress"].to_numpy() == 0
            ev_w = (Xv.loc[calm_v], lv["unwilling"].to_numpy()[calm_v])
        self.stress_ = fit_binary(cfg, X, labels["stress"].to_numpy(), ev_s)
        self.unwilling_ = fit_binary(cfg, X.loc[calm], labels["unwilling"].to_numpy()[calm], ev_w)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.config_ = cfg
        self.n_train_ = {"rows": int(len(X)), "calm_rows": int(calm.sum())}
        self.label_rates_ = {k: float(labels[k].mean()) for k in SCORE_PARTS}
        return self

    def predict_scores(self, X: pd.DataFrame) -> pd.DataFrame:
        """Scores in [0, 1], same index as ``X`` (a high score is good: able, willing)."""
        X = X[list(self.feature_names_in_)]
        if not len(X):
            cols = ["p_stress", "p_unwilling", "ability_score", "willingness_score"]
            return pd.DataFrame(columns=cols, index=X.index, dtype=float)
        p_stress = self.stress_.predict_proba(X, num_threads=PREDICT_THREADS)[:, 1]
        p_unwilling = self.unwilling_.predict_proba(X, num_threads=PREDICT_THREADS)[:, 1]
        return pd.DataFrame(
            {
                "p_stress": p_stress,
                "p_unwilling": p_unwilling,
                "ability_score": 1.0 - p_stress,
                "willingness_score": 1.0 - p_unwilling,
            },
            index=X.index,
        )

    def contributions(self, X: pd.DataFrame, part: str, method: str = "exact") -> pd.DataFrame:
        """Contributions (log-odds) of each feature to ``p_stress`` or ``p_unwilling``: exact
        TreeSHAP, or path attribution with ``method="saabas"`` (see
        :func:`dso_model.explain.contributions.tree_contributions`)."""
        from dso_model.explain.contributions import booster_contributions

        model = self.stress_ if part == "stress" else self.unwilling_
        X = X[list(self.feature_names_in_)]
        if not len(X):
            return pd.DataFrame(columns=list(self.feature_names_in_), index=X.index, dtype=float)
        raw = booster_contributions(model.booster_, X, method, PREDICT_THREADS)
        return pd.DataFrame(raw[:, :-1], index=X.index, columns=list(self.feature_names_in_))

    def feature_importance(self) -> pd.DataFrame:
        """Gain importance per feature of both models."""
        cols = {
            part: pd.Series(
                getattr(self, f"{part}_").booster_.feature_importance(importance_type="gain"),
                index=list(self.feature_names_in_),
            )
            for part in SCORE_PARTS
        }
        return pd.DataFrame(cols).sort_values("stress", ascending=False)

    def summary(self) -> dict[str, Any]:
        """Plain facts about the fit (for tracking): rows, label rates, rounds kept."""
        return {
            **self.n_train_,
            **{f"rate_{k}": v for k, v in self.label_rates_.items()},
            "rounds_stress": int(self.stress_.booster_.current_iteration()),
            "rounds_unwilling": int(self.unwilling_.booster_.current_iteration()),
            "config": asdict(self.config_),
        }


def proxy_groups(labels: pd.DataFrame) -> np.ndarray:
    """The three behavioural groups the proxies point to (unable > unwilling > able_willing)."""
    stress = labels["stress"].to_numpy() == 1
    unwilling = labels["unwilling"].to_numpy() == 1
    return np.where(stress, "unable", np.where(unwilling, "unwilling", "able_willing"))


def groups_from_scores(
    scores: pd.DataFrame, unable_below: float, unwilling_below: float
) -> np.ndarray:
    """unable when the ability score is under its threshold, else unwilling under the
    willingness threshold, else able_willing."""
    unable = scores["ability_score"].to_numpy() < unable_below
    unwilling = scores["willingness_score"].to_numpy() < unwilling_below
    return np.where(unable, "unable", np.where(unwilling, "unwilling", "able_willing"))


def _fast_macro_f1(target: np.ndarray, predicted: np.ndarray, k: int = 3) -> float:
    """Macro-F1 of integer-coded groups 0..k-1 (a bincount confusion: fast inside a grid)."""
    table = np.bincount(target * k + predicted, minlength=k * k).reshape(k, k).astype(float)
    tp = np.diag(table)
    denom = table.sum(axis=0) + table.sum(axis=1)
    return float(np.mean(np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)))


def label_frequencies(scores: pd.DataFrame, labels: pd.DataFrame) -> tuple[float, float]:
    """Estimated share of the true cases that each proxy catches: the mean predicted probability
    over the rows where the proxy fired (``unwilling`` over the rows without stress signs)."""
    target, p_stress, p_unwilling = _proxy_targets(scores, labels)
    stress, unwilling = target == 1, target == 2
    if not stress.any() or not unwilling.any():
        raise ValueError("a proxy outcome never occurs on the validation dates")
    return float(p_stress[stress].mean()), float(p_unwilling[unwilling].mean())


def frequency_thresholds(scores: pd.DataFrame, labels: pd.DataFrame) -> tuple[float, float]:
    """(unable_below, unwilling_below) where the recall-corrected probability ``p / c`` of the
    stress and unwilling proxies reaches one half."""
    c_stress, c_unwilling = label_frequencies(scores, labels)
    return round(1 - c_stress / 2, 3), round(1 - c_unwilling / 2, 3)


def _proxy_targets(scores: pd.DataFrame, labels: pd.DataFrame):
    """Integer proxy groups (0 able_willing, 1 unable, 2 unwilling) and both probabilities, on the
    rows with known labels."""
    known = labels["stress"].notna().to_numpy()
    stress = labels["stress"].to_numpy()[known] == 1
    target = np.where(stress, 1, np.where(labels["unwilling"].to_numpy()[known] == 1, 2, 0))
    p_stress = 1 - scores["ability_score"].to_numpy()[known]
    p_unwilling = 1 - scores["willingness_score"].to_numpy()[known]
    return target, p_stress, p_unwilling


def proxy_macro_f1(
    scores: pd.DataFrame, labels: pd.DataFrame, unable_below: float, unwilling_below: float
) -> float:
    """Macro-F1 of the groups given by the thresholds against the three proxy groups."""
    target, p_stress, p_unwilling = _proxy_targets(scores, labels)
    predicted = np.where(
        p_stress > 1 - unable_below, 1, np.where(p_unwilling > 1 - unwilling_below, 2, 0)
    )
    return _fast_macro_f1(target, predicted)


def tune_thresholds(scores: pd.DataFrame, labels: pd.DataFrame) -> tuple[float, float, float]:
    """The (unable_below, unwilling_below) pair maximising proxy macro-F1; also returns the F1."""
    target, p_stress, p_unwilling = _proxy_targets(scores, labels)
    best = (-1.0, 0.5, 0.5)
    for a in THRESHOLD_GRID:
        unable = p_stress > a
        for w in THRESHOLD_GRID:
            predicted = np.where(unable, 1, np.where(p_unwilling > w, 2, 0))
            f1 = _fast_macro_f1(target, predicted)
            if f1 > best[0] + 1e-9:
                best = (f1, 1 - a, 1 - w)
    return round(best[1], 2), round(best[2], 2), float(best[0])

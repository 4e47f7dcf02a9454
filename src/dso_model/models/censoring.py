"""Does censoring matter? Compare ways of treating invoices still open at the training cut-off.

At a cut-off ``K`` the recent invoices that are already paid are the fast payers; the slow ones
are still open. Three strategies learn P(late) and the expected delay (capped at the horizon):

- ``drop_open``: keep only invoices paid before ``K`` (the naive choice; selects on the outcome);
- ``horizon_elapsed``: keep only invoices whose horizon elapsed before ``K`` (unbiased, less data);
- ``hazard``: every invoice, open ones censored at ``K`` (discrete-time hazard model).

Each is scored against the truth (the outcomes in the full, unsnapshotted data) on the invoices
issued in the ``test_days`` after ``K`` and on the ``recent_days`` before it. The bias is the mean
prediction minus the mean outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dso_model.models.boosting import BoostingParams, Trainer
from dso_model.models.estimators import DelayMeanRegressor, LateClassifier
from dso_model.models.hazard import DiscreteHazardModel
from dso_model.models.labels import LabelConfig, delay_outcomes

STRATEGIES = ("drop_open", "horizon_elapsed", "hazard")


@dataclass(frozen=True)
class CensoringConfig:
    """Experiment layout: the training window ends at each cut-off."""

    labels: LabelConfig = field(default_factory=LabelConfig)
    params: BoostingParams = field(default_factory=BoostingParams)
    edges: tuple[float, ...] = (-7, 0, 7, 14, 21, 30, 45, 60, 90)
    train_days: int = 365
    recent_days: int = 60
    test_days: int = 60


def _fit_direct(X, outcomes, mask, params, trainer, categorical):
    late_rows = mask & outcomes["late"].notna().to_numpy()
    delay_rows = mask & outcomes["days_late_capped"].notna().to_numpy()
    late = LateClassifier(params, trainer=trainer, categorical=categorical)
    late.fit(X.loc[late_rows], outcomes["late"].to_numpy()[late_rows])
    mean = DelayMeanRegressor(params, trainer=trainer, categorical=categorical)
    mean.fit(X.loc[delay_rows], outcomes["days_late_capped"].to_numpy()[delay_rows])
    return lambda Z: (late.predict_proba(Z)[:, 1], mean.predict(Z))


def fit_strategy(
    strategy: str,
    X: pd.DataFrame,
    outcomes: pd.DataFrame,
    config: CensoringConfig,
    trainer: Trainer | None = None,
    categorical: tuple[str, ...] = (),
):
    """Fit one strategy; returns ``predict(X) -> (p_late, expected_capped_delay)``."""
    if strategy == "drop_open":
        mask = outcomes["paid"].to_numpy(dtype=bool)
        return _fit_direct(X, outcomes, mask, config.params, trainer, categorical)
    if strategy == "horizon_elapsed":
        mask = outcomes["horizon_elapsed"].to_numpy(dtype=bool)
        return _fit_direct(X, outcomes, mask, config.params, trainer, categorical)
    if strategy != "hazard":
        raise ValueError(f"unknown strategy {strategy!r}; expected one of {STRATEGIES}")
    edges = tuple(sorted({*config.edges, 0, config.labels.grace_days, config.labels.horizon_days}))
    edges = tuple(e for e in edges if e <= config.labels.horizon_days)
    model = DiscreteHazardModel(edges, config.params, trainer, categorical).fit(X, outcomes)
    grace = model._edge_index(config.labels.grace_days)
    return lambda Z: (1.0 - model.predict_cdf(Z)[:, grace], model.predict_expected(Z))


def _bias_rows(strategy, population, cutoff, p_late, delay, truth) -> list[dict]:
    rows = []
    for quantity, pred, actual in (
        ("p_late", p_late, truth["late"].to_numpy()),
        ("days_late_capped", delay, truth["days_late_capped"].to_numpy()),
    ):
        ok = np.isfinite(actual)
        mean_pred, mean_true = float(np.mean(pred[ok])), float(np.mean(actual[ok]))
        rows.append(
            {
                "cutoff": cutoff.date().isoformat(),
                "strategy": strategy,
                "population": population,
                "quantity": quantity,
                "n": int(ok.sum()),
                "predicted": mean_pred,
                "actual": mean_true,
                "bias": mean_pred - mean_true,
                "mae": float(np.mean(np.abs(pred[ok] - actual[ok]))),
            }
        )
    return rows


def censoring_experiment(
    invoices: pd.DataFrame,
    features: pd.DataFrame,
    cutoffs: Sequence[str | pd.Timestamp],
    as_of: pd.Timestamp,
    config: CensoringConfig | None = None,
    trainer: Trainer | None = None,
    categorical: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Bias of each strategy per cut-off and population (``recent`` and ``test``), long format.

    ``invoices`` is the full table (outcomes up to ``as_of``); ``features`` is indexed by invoice
    id. Only invoices whose horizon elapsed by ``as_of`` are scored, so the truth is complete.
    """
    cfg = config or CensoringConfig()
    truth_all = delay_outcomes(invoices, as_of, cfg.labels)
    issue = pd.Series(invoices["issue_date"].to_numpy(), index=truth_all.index)
    rows: list[dict] = []
    for cutoff in map(pd.Timestamp, cutoffs):
        day = pd.Timedelta(days=1)
        train = (issue >= cutoff - cfg.train_days * day) & (issue < cutoff)
        recent = train & (issue >= cutoff - cfg.recent_days * day)
        test = (issue >= cutoff) & (issue < cutoff + cfg.test_days * day)
        known = delay_outcomes(invoices.loc[train.to_numpy()], cutoff, cfg.labels)
        X_train = features.loc[known.index]
        for strategy in STRATEGIES:
            predict = fit_strategy(strategy, X_train, known, cfg, trainer, categorical)
            for population, mask in (("recent", recent), ("test", test)):
                ids = issue.index[mask.to_numpy()]
                truth = truth_all.loc[ids]
                truth = truth[truth["horizon_elapsed"].to_numpy(dtype=bool)]
                p_late, delay = predict(features.loc[truth.index])
                rows += _bias_rows(strategy, population, cutoff, p_late, delay, truth)
    return pd.DataFrame(rows)

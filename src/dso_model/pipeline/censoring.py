"""The censoring study on loaded data: how biased is dropping open invoices?

Wires :func:`dso_model.models.censoring.censoring_experiment` to the training settings: same
labels, features and boosting parameters, cut-offs at the walk-forward folds unless given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from dso_model.models.censoring import CensoringConfig, censoring_experiment
from dso_model.models.splits import walk_forward_folds
from dso_model.pipeline.settings import TrainSettings
from dso_model.pipeline.train import FeatureMatrix


def censoring_config(settings: TrainSettings, cfg: Mapping[str, Any]) -> CensoringConfig:
    """Experiment settings from the ``censoring`` config block (fixed rounds: no validation set)."""
    params = replace(
        settings.model.params,
        n_estimators=int(cfg.get("n_estimators", 200)),
        early_stopping_rounds=0,
    )
    return CensoringConfig(
        labels=settings.labels,
        params=params,
        edges=settings.model.edges(),
        train_days=int(cfg.get("train_days", 365)),
        recent_days=int(cfg.get("recent_days", 60)),
        test_days=int(cfg.get("test_days", 60)),
    )


def censoring_study(
    settings: TrainSettings, cfg: Mapping[str, Any], data: Any, features: FeatureMatrix
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(by_cutoff, summary)``: bias per cut-off, and mean |bias| per strategy and population."""
    portfolio = data.portfolio
    cutoffs = list(cfg.get("cutoffs") or [])
    if not cutoffs:
        folds = walk_forward_folds(portfolio.invoices, portfolio.as_of, settings.split)
        cutoffs = [f.cutoff for f in folds]
    table = censoring_experiment(
        portfolio.invoices,
        features.frame,
        cutoffs,
        portfolio.as_of,
        censoring_config(settings, cfg),
        categorical=features.categorical,
    )
    summary = (
        table.assign(abs_bias=table["bias"].abs())
        .groupby(["population", "quantity", "strategy"], sort=False, as_index=False)[
            ["bias", "abs_bias", "mae"]
        ]
        .mean()
    )
    return table, summary

"""Figures of a training job: calibration, residuals by group, feature importance."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dso_model.plotting import subplots


def calibration_figure(curves: pd.DataFrame) -> Any:
    """Observed late rate against mean predicted probability, one line per model."""
    fig, ax = subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
    for model, curve in curves.groupby("model", sort=False):
        ax.plot(curve["mean_predicted"], curve["observed_rate"], marker="o", label=str(model))
    ax.set(
        xlabel="predicted P(late)", ylabel="observed late share", title="Calibration (test folds)"
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def residuals_figure(test_frame: pd.DataFrame, group_columns: list[str]) -> Any:
    """Box plots of predicted minus true days late per group (one panel per grouping)."""
    columns = [c for c in group_columns if c in test_frame] or ["all"]
    frame = test_frame.assign(
        all="all", residual=test_frame["days_late_pred"] - test_frame["days_late_capped"]
    )
    frame = frame[np.isfinite(frame["residual"])]
    fig, axes = subplots(1, len(columns), figsize=(4.5 * len(columns), 4), squeeze=False)
    for ax, column in zip(axes[0], columns, strict=True):
        groups = frame.groupby(frame[column].astype(str), sort=True)["residual"]
        labels = [str(k) for k, _ in groups]
        ax.boxplot([g.to_numpy() for _, g in groups], showfliers=False)
        ax.set_xticks(range(1, len(labels) + 1), labels, rotation=30, ha="right")
        ax.axhline(0, color="grey", linewidth=1)
        ax.set(title=f"Residuals by {column}", ylabel="predicted - true days late")
    fig.tight_layout()
    return fig


def importance_figure(importance: pd.DataFrame, column: str = "late", top: int = 20) -> Any:
    """Horizontal bars of the ``top`` features by gain for one model part."""
    values = importance[column].sort_values(ascending=True).tail(top)
    fig, ax = subplots(figsize=(6, 0.3 * len(values) + 1.2))
    ax.barh(values.index.astype(str), values.to_numpy())
    ax.set(xlabel="gain", title=f"Feature importance ({column})")
    fig.tight_layout()
    return fig

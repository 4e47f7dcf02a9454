"""Monitoring figures (matplotlib, imported inside functions): group shares over time, feature
drift heat map, delay-model decay. Each function returns a Figure; :func:`save_figures` writes PNGs
atomically and returns their paths."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from dso_model.monitoring.run import MonitorResult
from dso_model.plotting import subplots


def plot_group_shares(result: MonitorResult):
    shares = result.group_counts.div(result.group_counts.sum(axis=1), axis=0)
    fig, ax = subplots(figsize=(8, 4))
    ax.stackplot(shares.index, *[shares[c] for c in shares.columns], labels=list(shares.columns))
    ax.set_ylabel("share of customers")
    ax.set_title("Profile groups by month")
    ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    return fig


def plot_drift(result: MonitorResult, top: int = 15):
    wide = result.drift.pivot(index="feature", columns="as_of", values="psi")
    wide = wide.loc[wide.max(axis=1).sort_values(ascending=False).index[:top]]
    fig, ax = subplots(figsize=(9, 0.35 * len(wide) + 1.5))
    image = ax.imshow(wide.to_numpy(), aspect="auto", cmap="Reds", vmin=0, vmax=0.5)
    ax.set_yticks(range(len(wide)), wide.index, fontsize=8)
    ax.set_xticks(
        range(wide.shape[1]),
        [pd.Timestamp(c).strftime("%Y-%m") for c in wide.columns],
        rotation=45,
        fontsize=8,
    )
    ax.set_title("Feature drift (PSI against the training window)")
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    return fig


def plot_delay_decay(result: MonitorResult):
    d = result.delay_decay
    fig, (left, right) = subplots(1, 2, figsize=(10, 3.5))
    left.plot(d["month"], d["mae"], marker="o")
    left.set_title(f"Delay MAE by issue month ({result.delay_source})")
    left.set_ylabel("days")
    right.plot(d["month"], d["late_rate"], marker="o", label="observed late rate")
    right.plot(d["month"], d["p_late_mean"], marker="x", label="mean predicted")
    right.set_title("Late probability: calibration by month")
    right.legend(fontsize=8)
    fig.autofmt_xdate()
    return fig


def save_figures(result: MonitorResult, folder: str | os.PathLike[str]) -> list[Path]:
    """Write the figures that have data as PNG files in ``folder``."""
    from dso_model.io.atomic import write_atomic

    makers = {"group_shares.png": plot_group_shares}
    if len(result.drift):
        makers["feature_drift.png"] = plot_drift
    if len(result.delay_decay):
        makers["delay_decay.png"] = plot_delay_decay
    paths = []
    for name, make in makers.items():
        fig = make(result)
        paths.append(
            write_atomic(Path(folder) / name, lambda p, f=fig: f.savefig(p, format="png", dpi=110))
        )
    return paths

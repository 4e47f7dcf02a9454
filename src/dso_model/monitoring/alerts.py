"""Thresholds that turn monitoring tables into alerts a credit manager can act on.

Each check reads one monitoring table and returns rows of ``ALERT_COLUMNS``; ``severity`` is
``warning`` or ``critical``. Thresholds live in ``configs/monitor.yaml`` (``alerts:``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

ALERT_COLUMNS = ["as_of", "kind", "subject", "value", "threshold", "severity", "message"]


@dataclass(frozen=True)
class AlertThresholds:
    """When the monitor raises an alert."""

    psi_warning: float = 0.1  # a feature's PSI against the training window
    psi_critical: float = 0.25
    migration_share: float = (
        0.03  # share of profiled customers moving into a target group in a month
    )
    migration_ratio: float = 2.0  # ... or this many times the median monthly count so far
    min_movers: int = 10  # no migration alert below this many customers
    mae_increase: float = 0.2  # relative MAE increase over the first monitored month
    ece_max: float = 0.05  # calibration error of the late probability
    score_auc_min: float = 0.7  # profile scores against their proxy outcomes
    score_ece_max: float = 0.05

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> AlertThresholds:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in dict(mapping or {}).items() if k in known})


def _alert(as_of, kind, subject, value, threshold, severity, message) -> dict[str, Any]:
    return dict(
        zip(
            ALERT_COLUMNS,
            (as_of, kind, subject, float(value), float(threshold), severity, message),
            strict=True,
        )
    )


def drift_alerts(drift: pd.DataFrame, th: AlertThresholds) -> list[dict[str, Any]]:
    """One alert per (month, feature) whose PSI passes the warning level."""
    hits = drift[drift["psi"] >= th.psi_warning]
    out = []
    for row in hits.itertuples(index=False):
        critical = row.psi >= th.psi_critical
        out.append(
            _alert(
                row.as_of, "drift", row.feature, row.psi,
                th.psi_critical if critical else th.psi_warning,
                "critical" if critical else "warning",
                f"{row.feature} moved away from the training window (PSI {row.psi:.2f})",
            )
        )  # fmt: skip
    return out


def migration_alerts(migration: pd.DataFrame, th: AlertThresholds) -> list[dict[str, Any]]:
    """Months in which unusually many customers moved into a target group.

    ``migration`` has as_of, group (the target), movers and profiled (customers profiled at both
    dates).
    """
    out = []
    for group, part in migration.sort_values("as_of").groupby("group", sort=False):
        movers = part["movers"].to_numpy(float)
        profiled = np.maximum(part["profiled"].to_numpy(float), 1)
        baseline = pd.Series(movers).expanding().median().shift(1).to_numpy()
        for i, as_of in enumerate(part["as_of"]):
            share = movers[i] / profiled[i]
            by_share = share >= th.migration_share
            by_ratio = np.isfinite(baseline[i]) and movers[i] >= th.migration_ratio * max(
                baseline[i], 1
            )
            if movers[i] >= th.min_movers and (by_share or by_ratio):
                out.append(
                    _alert(
                        as_of, "migration", group, share, th.migration_share,
                        "critical" if by_share and by_ratio else "warning",
                        f"{int(movers[i])} customers moved into {group} ({share:.1%} of profiled)",
                    )
                )  # fmt: skip
    return out


def delay_alerts(decay: pd.DataFrame, th: AlertThresholds) -> list[dict[str, Any]]:
    """MAE grown past the first month's by ``mae_increase``, or a badly calibrated late chance."""
    out = []
    if not len(decay):
        return out
    known = decay[decay["with_outcome"] > 0]
    reference = known["mae"].iloc[0] if len(known) else np.nan
    for row in decay.itertuples(index=False):
        if (
            np.isfinite(reference)
            and np.isfinite(row.mae)
            and row.mae > reference * (1 + th.mae_increase)
        ):
            out.append(
                _alert(
                    row.month,
                    "delay_mae",
                    "delay model",
                    row.mae,
                    reference * (1 + th.mae_increase),
                    "warning",
                    f"delay MAE {row.mae:.1f} days, {row.mae / reference - 1:.0%} above month one",
                )
            )
        if np.isfinite(row.ece) and row.ece > th.ece_max:
            out.append(
                _alert(
                    row.month,
                    "delay_calibration",
                    "delay model",
                    row.ece,
                    th.ece_max,
                    "warning",
                    f"late probability off by {row.ece:.1%} on average (ECE)",
                )
            )
    return out


def score_alerts(decay: pd.DataFrame, th: AlertThresholds) -> list[dict[str, Any]]:
    """Profile scores that stopped ranking (AUC) or calibrating (ECE) against their proxies."""
    out = []
    for row in decay.itertuples(index=False):
        if np.isfinite(row.roc_auc) and row.roc_auc < th.score_auc_min:
            out.append(
                _alert(
                    row.as_of,
                    "score_auc",
                    row.score,
                    row.roc_auc,
                    th.score_auc_min,
                    "warning",
                    f"{row.score} ranks poorly against its proxy outcome (AUC {row.roc_auc:.2f})",
                )
            )
        if np.isfinite(row.ece) and row.ece > th.score_ece_max:
            out.append(
                _alert(
                    row.as_of,
                    "score_calibration",
                    row.score,
                    row.ece,
                    th.score_ece_max,
                    "warning",
                    f"{row.score} off by {row.ece:.1%} on average against its proxy (ECE)",
                )
            )
    return out


def raise_alerts(
    thresholds: AlertThresholds,
    drift: pd.DataFrame | None = None,
    migration: pd.DataFrame | None = None,
    delay: pd.DataFrame | None = None,
    scores: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every alert of every check, oldest first."""
    rows: list[dict[str, Any]] = []
    if drift is not None and len(drift):
        rows += drift_alerts(drift, thresholds)
    if migration is not None and len(migration):
        rows += migration_alerts(migration, thresholds)
    if delay is not None and len(delay):
        rows += delay_alerts(delay, thresholds)
    if scores is not None and len(scores):
        rows += score_alerts(scores, thresholds)
    table = pd.DataFrame(rows, columns=ALERT_COLUMNS)
    return table.sort_values(["as_of", "kind", "subject"], kind="stable").reset_index(drop=True)

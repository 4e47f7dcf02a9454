"""Log a monitoring run to MLflow: headline metrics per month (step = month index), the report,
figures and tables as artifacts. MLflow is imported inside the functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dso_model.monitoring.run import MonitorResult


def monthly_metrics(result: MonitorResult) -> list[tuple[str, float, int]]:
    """(name, value, step) triples: group shares, movers, largest PSI, decay figures."""
    out: list[tuple[str, float, int]] = []
    step = {t: i for i, t in enumerate(result.dates)}
    shares = result.group_counts.div(result.group_counts.sum(axis=1), axis=0)
    for as_of, row in shares.iterrows():
        out += [(f"share_{g}", float(v), step[as_of]) for g, v in row.items()]
    for row in result.migration.itertuples(index=False):
        out.append((f"moved_into_{row.group}", float(row.movers), step[row.as_of]))
    if len(result.drift):
        for as_of, psi in result.drift.groupby("as_of")["psi"].max().items():
            out.append(("psi_max", float(psi), step[as_of]))
    for row in result.score_decay.itertuples(index=False):
        out += [
            (f"{row.score}_auc", row.roc_auc, step.get(row.as_of, 0)),
            (f"{row.score}_ece", row.ece, step.get(row.as_of, 0)),
        ]
    for i, row in enumerate(result.delay_decay.itertuples(index=False)):
        out += [("delay_mae", row.mae, i), ("delay_ece", row.ece, i)]
    return [(n, float(v), s) for n, v, s in out if v is not None and np.isfinite(v)]


def summary_metrics(result: MonitorResult) -> dict[str, float]:
    """One-number metrics: alerts, and macro-F1 against the truth when there is one."""
    out: dict[str, float] = {"alerts": float(len(result.alerts))}
    if len(result.alerts):
        out["alerts_critical"] = float((result.alerts["severity"] == "critical").sum())
    for alignment, ev in (result.evaluation or {}).items():
        out[f"macro_f1_{alignment}"] = ev["macro_f1"]
        out[f"oracle_macro_f1_{alignment}"] = ev["oracle_macro_f1"]
    out |= {
        f"train_{k}": float(v)
        for k, v in result.trained.report.items()
        if isinstance(v, int | float)
    }
    return out


def log_monitor_run(
    result: MonitorResult,
    tracking_cfg: dict[str, Any],
    params: dict[str, str],
    artifacts: list[Path],
    data_name: str,
) -> str | None:
    """Record the run; returns its id (None when tracking is disabled)."""
    import mlflow

    from dso_model.tracking import TrackingSettings, start_run

    settings = TrackingSettings.from_mapping(tracking_cfg)
    if not settings.enabled:
        return None
    tags = {"job": "monitor", "data.name": data_name}
    with start_run(settings, run_name=f"monitor-{data_name}", tags=tags) as run:
        mlflow.log_params(params)
        for name, value, step in monthly_metrics(result):
            mlflow.log_metric(name, value, step=step)
        mlflow.log_metrics(summary_metrics(result))
        for path in artifacts:
            mlflow.log_artifact(str(path))
        return run.info.run_id

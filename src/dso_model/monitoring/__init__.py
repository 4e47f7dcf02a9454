"""Monitoring customer behaviour over time: group migration, feature drift (PSI), performance
decay and alerts. ``run_monitor`` does it all for a portfolio; the parts are plain functions."""

from dso_model.monitoring.alerts import ALERT_COLUMNS, AlertThresholds, raise_alerts
from dso_model.monitoring.decay import DecaySettings, delay_decay, delay_predictions, score_decay
from dso_model.monitoring.migration import migration_summary, movers_into, transition_matrix
from dso_model.monitoring.psi import population_stability_index, psi_level, psi_table
from dso_model.monitoring.run import MonitorConfig, MonitorResult, run_monitor

__all__ = [
    "ALERT_COLUMNS",
    "AlertThresholds",
    "DecaySettings",
    "MonitorConfig",
    "MonitorResult",
    "delay_decay",
    "delay_predictions",
    "migration_summary",
    "movers_into",
    "population_stability_index",
    "psi_level",
    "psi_table",
    "raise_alerts",
    "run_monitor",
    "score_decay",
    "transition_matrix",
]

"""The monitor: train the profile models at a cutoff, then re-profile month by month.

For every month start after the cutoff (and up to the portfolio's extraction date) it profiles
every customer, and reports: group counts, the transition matrix against the month before, who
moved into ``unable`` or ``unwilling``, feature drift (PSI per feature against the training
window), the decay of the profile scores and of the payment-delay model as outcomes arrive, the
alerts those raise, and, on simulated data, the profiles against the simulator's truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from dso_model.contract.portfolio import Portfolio
from dso_model.monitoring.alerts import AlertThresholds, raise_alerts
from dso_model.monitoring.decay import DecaySettings, delay_decay, delay_predictions, score_decay
from dso_model.monitoring.migration import movers_into, transition_matrix
from dso_model.monitoring.psi import psi_table
from dso_model.profiles.config import ProfileConfig
from dso_model.profiles.evaluate import cold_start_routing, evaluate_against_truth
from dso_model.profiles.groups import GROUPS
from dso_model.profiles.training import (
    FEATURES,
    TrainedProfiles,
    default_cutoff,
    labels_panel,
    month_starts,
    profile_months,
    train_profile_model,
)


@dataclass(frozen=True)
class MonitorConfig:
    """What the monitor does; built from ``configs/monitor.yaml`` at the edge."""

    cutoff: str | None = None  # training cutoff; None: train_share of the history
    train_share: float = 0.5
    max_months: int | None = None  # monitor at most this many months after the cutoff
    psi_bins: int = 10
    # Features that grow with the book's age by design (history length, tenure): left out of drift.
    drift_exclude: tuple[str, ...] = ("n_invoices", "n_settled", "n_judged", "tenure_days")
    targets: tuple[str, ...] = ("unable", "unwilling")
    alerts: AlertThresholds = field(default_factory=AlertThresholds)
    decay: DecaySettings = field(default_factory=DecaySettings)
    delay_decay: bool = True

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> MonitorConfig:
        data = dict(mapping or {})
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {k: v for k, v in data.items() if k in known}
        kwargs["alerts"] = AlertThresholds.from_mapping(data.get("alerts"))
        decay_known = {f.name for f in fields(DecaySettings)}
        kwargs["decay"] = DecaySettings(
            **{k: v for k, v in dict(data.get("decay") or {}).items() if k in decay_known}
        )
        for name in ("targets", "drift_exclude"):
            if name in kwargs:
                kwargs[name] = tuple(kwargs[name] or ())
        return cls(**kwargs)


@dataclass
class MonitorResult:
    """Everything one monitoring run found (tables in long format, one row per month and item)."""

    trained: TrainedProfiles
    dates: list[pd.Timestamp]
    profiles: pd.DataFrame
    features: pd.DataFrame
    group_counts: pd.DataFrame
    transitions: dict[pd.Timestamp, pd.DataFrame]
    migration: pd.DataFrame
    movers: pd.DataFrame
    drift: pd.DataFrame
    score_decay: pd.DataFrame
    delay_decay: pd.DataFrame
    delay_source: str
    alerts: pd.DataFrame
    evaluation: dict[str, Any] | None = None
    cold_start: pd.DataFrame | None = None


def monitoring_dates(
    portfolio: Portfolio, cutoff: pd.Timestamp, max_months: int | None
) -> list[pd.Timestamp]:
    """Month starts from the cutoff up to and including the extraction date."""
    dates = month_starts(cutoff, portfolio.as_of + pd.Timedelta(days=1))
    return dates[: max_months + 1] if max_months is not None else dates


def group_counts(profiles: pd.DataFrame) -> pd.DataFrame:
    """Customers per group (columns) and profiling date (rows)."""
    table = pd.crosstab(profiles["as_of"], profiles["group"])
    return table.reindex(columns=list(GROUPS), fill_value=0)


def migrations(profiles: pd.DataFrame, targets: tuple[str, ...]):
    """Transition matrices month over month, movers into ``targets`` and their counts."""
    by_date = {t: p for t, p in profiles.groupby("as_of", sort=True)}
    dates = list(by_date)
    transitions, movers, counts = {}, [], []
    for before, now in zip(dates[:-1], dates[1:], strict=True):
        matrix = transition_matrix(by_date[before], by_date[now])
        transitions[now] = matrix
        moved = movers_into(by_date[before], by_date[now], targets)
        movers.append(moved)
        profiled = int(matrix.to_numpy().sum())
        counts += [
            {
                "as_of": now,
                "group": g,
                "movers": int((moved["group_to"] == g).sum()),
                "profiled": profiled,
            }
            for g in targets
        ]
    moved_all = pd.concat(movers, ignore_index=True) if movers else pd.DataFrame()
    return (
        transitions,
        pd.DataFrame(counts, columns=["as_of", "group", "movers", "profiled"]),
        moved_all,
    )


def feature_drift(
    reference: pd.DataFrame,
    features: pd.DataFrame,
    min_judged: int,
    bins: int,
    exclude: tuple[str, ...] = (),
) -> pd.DataFrame:
    """PSI of every feature at each date against the training window (customers with verdicts)."""
    columns = [c for c in FEATURES if c not in exclude]
    rows = []
    for as_of, part in features.groupby("as_of", sort=True):
        judged = part[part["n_judged"] >= min_judged]
        table = psi_table(reference[columns], judged[columns], columns, bins)
        rows.append(table.assign(as_of=as_of))
    if not rows:
        return pd.DataFrame(columns=["as_of", "feature", "psi"])
    return pd.concat(rows, ignore_index=True)[["as_of", "feature", "psi"]]


def run_monitor(
    portfolio: Portfolio,
    profile_config: ProfileConfig | None = None,
    config: MonitorConfig | None = None,
    truth_monthly: pd.DataFrame | None = None,
    oracle_thresholds: tuple[float, float] = (0.3, 0.4),
    trained: TrainedProfiles | None = None,
) -> MonitorResult:
    """Train at the cutoff (unless ``trained`` is given) and monitor every month after it."""
    pcfg, cfg = profile_config or ProfileConfig(), config or MonitorConfig()
    cutoff = pd.Timestamp(cfg.cutoff) if cfg.cutoff else default_cutoff(portfolio, cfg.train_share)
    trained = trained or train_profile_model(portfolio, cutoff, pcfg)
    dates = monitoring_dates(portfolio, trained.cutoff, cfg.max_months)
    profiles, features = profile_months(portfolio, trained.model, dates, pcfg)
    transitions, migration, movers = migrations(profiles, cfg.targets)
    drift = feature_drift(
        trained.panel, features, pcfg.rules.min_judged_invoices, cfg.psi_bins, cfg.drift_exclude
    )
    labels = labels_panel(portfolio, dates, pcfg)[["as_of", "customer_id", "stress", "unwilling"]]
    scores = score_decay(profiles[["as_of", "customer_id", "p_stress", "p_unwilling"]], labels)
    delay, source = pd.DataFrame(), "off"
    if cfg.delay_decay:
        predictions, source = delay_predictions(portfolio, trained.cutoff, cfg.decay)
        delay = delay_decay(portfolio.invoices, predictions, portfolio.as_of, cfg.decay)
    alerts = raise_alerts(cfg.alerts, drift, migration, delay, scores)
    evaluation = None
    if truth_monthly is not None:
        evaluation = evaluate_against_truth(profiles, truth_monthly, oracle_thresholds)
    return MonitorResult(
        trained, dates, profiles, features, group_counts(profiles), transitions, migration,
        movers, drift, scores, delay, source, alerts, evaluation,
        cold_start_routing(profiles, features),
    )  # fmt: skip

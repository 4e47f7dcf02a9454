"""Training the profile models on a time split, and profiling month by month.

A model trained at ``cutoff`` sees only the portfolio as known at ``cutoff`` (a snapshot): features
at monthly profiling dates ``t`` and the proxy outcomes of ``[t, t + horizon)``, only for dates
whose horizon ended before ``cutoff``. The last ``val_dates`` dates validate (early stopping and
threshold tuning); the earlier ones train. Nothing about the simulator's truth is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dso_model.contract.portfolio import Portfolio
from dso_model.errors import DsoInputError
from dso_model.profiles.assign import assign_groups
from dso_model.profiles.config import ProfileConfig, RuleConfig
from dso_model.profiles.customer_features import CUSTOMER_FEATURES, customer_features, number_ids
from dso_model.profiles.model import (
    ProfileModel,
    frequency_thresholds,
    label_frequencies,
    proxy_macro_f1,
    tune_thresholds,
)
from dso_model.profiles.proxies import payment_lines, proxy_labels, read_notices

FEATURES = list(CUSTOMER_FEATURES)
LABELS = ["stress", "unwilling"]


def month_starts(start: pd.Timestamp, end: pd.Timestamp, step: int = 1) -> list[pd.Timestamp]:
    """Month starts ``m`` with ``start <= m < end`` (``start`` rounded up to a month start)."""
    first = pd.Timestamp(start).to_period("M").start_time
    if first < pd.Timestamp(start):
        first = (pd.Timestamp(start).to_period("M") + 1).start_time
    dates = pd.date_range(first, pd.Timestamp(end) - pd.Timedelta(days=1), freq=f"{step}MS")
    return [pd.Timestamp(d) for d in dates]


def default_cutoff(portfolio: Portfolio, train_share: float = 0.6) -> pd.Timestamp:
    """A month start ``train_share`` of the way through the portfolio's history."""
    first = pd.Timestamp(portfolio.invoices["issue_date"].min())
    span = portfolio.as_of - first
    return (first + span * train_share).to_period("M").start_time


def training_dates(
    portfolio: Portfolio, cutoff: pd.Timestamp, config: ProfileConfig
) -> list[pd.Timestamp]:
    """Profiling dates whose proxy horizon ends by ``cutoff``, after the warm-up months."""
    first = pd.Timestamp(portfolio.invoices["issue_date"].min()) + pd.DateOffset(
        months=config.model.warmup_months
    )
    last = (
        pd.Timestamp(cutoff) - pd.Timedelta(days=config.proxies.horizon_days) + pd.Timedelta(days=1)
    )
    return month_starts(first, last, config.model.step_months)


def features_panel(
    portfolio: Portfolio, dates: list[pd.Timestamp], config: ProfileConfig
) -> pd.DataFrame:
    """Customer features at each date, long format with ``as_of`` and ``customer_id`` columns."""
    frames = []
    book = number_ids(portfolio)
    for t in dates:
        f = customer_features(book, t, config.windows, config.rules.enrichment_columns)
        frames.append(f.reset_index().assign(as_of=pd.Timestamp(t)))
    if not frames:
        return pd.DataFrame(columns=["as_of", "customer_id", *FEATURES])
    return pd.concat(frames, ignore_index=True)[["as_of", "customer_id", *FEATURES]]


def labels_panel(
    known: Portfolio, dates: list[pd.Timestamp], config: ProfileConfig
) -> pd.DataFrame:
    """Proxy outcomes at each date computed from the portfolio ``known`` (a snapshot)."""
    pay, notices = payment_lines(known), read_notices(known)
    frames = [
        proxy_labels(known, t, config.proxies, pay=pay, notices=notices)
        .reset_index()
        .assign(as_of=t)
        for t in dates
    ]
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["as_of", "customer_id", *LABELS])
    )


def build_panel(portfolio: Portfolio, cutoff: pd.Timestamp, config: ProfileConfig) -> pd.DataFrame:
    """Features and proxy labels of customers with a behavioural verdict at each training date."""
    known = portfolio.snapshot(cutoff)
    dates = training_dates(known, cutoff, config)
    if len(dates) < config.model.val_dates + 1:
        raise DsoInputError(
            f"not enough history before {pd.Timestamp(cutoff).date()} to train profile models: "
            f"{len(dates)} training date(s), need at least {config.model.val_dates + 1}",
            table="invoices",
            column="issue_date",
            hint="train later (a later cutoff), or lower profiles.model.warmup_months / val_dates",
        )
    feats = features_panel(known, dates, config)
    feats = feats[feats["n_judged"] >= config.rules.min_judged_invoices]
    labels = labels_panel(known, dates, config)[["as_of", "customer_id", *LABELS]]
    return feats.merge(labels, on=["as_of", "customer_id"], how="left")


@dataclass
class TrainedProfiles:
    """A fitted :class:`ProfileModel`, the cutoff it was trained at and facts about the fit."""

    model: ProfileModel
    cutoff: pd.Timestamp
    config: ProfileConfig
    panel: pd.DataFrame
    report: dict[str, Any] = field(default_factory=dict)


def check_labels(train: pd.DataFrame) -> None:
    """Both proxy outcomes must occur in the training rows, or there is nothing to learn."""
    calm = train[train["stress"] == 0]
    for name, rows, needs in (
        ("stress", train, "partial payments or payment-plan requests/agreements (events)"),
        ("unwilling", calm, "collection contacts followed by unpaid invoices"),
    ):
        if rows[name].nunique() < 2:
            raise DsoInputError(
                f"the proxy outcome '{name}' is always {rows[name].iloc[0] if len(rows) else '-'} "
                f"in the {len(rows)} training rows: the data has no {needs}",
                table="payments / contacts / events",
                hint="profiles need payment lines, contacts and events; with invoices alone only "
                "the cold-start groups can be assigned",
            )


def choose_thresholds(
    scores: pd.DataFrame, labels: pd.DataFrame, rules: RuleConfig
) -> tuple[float, float]:
    """(unable_below, unwilling_below) by the configured method, from validation scores and
    proxy labels (see :mod:`dso_model.profiles.model`)."""
    if rules.thresholds == "label_frequency":
        return frequency_thresholds(scores, labels)
    if rules.thresholds == "proxy_f1":
        return tune_thresholds(scores, labels)[:2]
    return rules.unable_below, rules.unwilling_below


def fit_on_panel(panel: pd.DataFrame, config: ProfileConfig) -> tuple[ProfileModel, dict[str, Any]]:
    """Fit on the earlier dates, validate on the last ``val_dates`` ones, tune thresholds there."""
    labelled = panel.dropna(subset=["stress"])
    dates = sorted(labelled["as_of"].unique())
    val_from = dates[-config.model.val_dates]
    train, val = labelled[labelled["as_of"] < val_from], labelled[labelled["as_of"] >= val_from]
    check_labels(train)
    model = ProfileModel(config.model).fit(
        train[FEATURES], train[LABELS], eval_set=(val[FEATURES], val[LABELS])
    )
    scores = model.predict_scores(val[FEATURES])
    model.thresholds_ = choose_thresholds(scores, val[LABELS], config.rules)
    c_stress, c_unwilling = label_frequencies(scores, val[LABELS])
    report = {
        "train_rows": int(len(train)),
        "val_rows": int(len(val)),
        "train_dates": f"{pd.Timestamp(dates[0]).date()}..{pd.Timestamp(val_from).date()}",
        "val_proxy_macro_f1": proxy_macro_f1(scores, val[LABELS], *model.thresholds_),
        "label_frequency_stress": c_stress,
        "label_frequency_unwilling": c_unwilling,
        "unable_below": model.thresholds_[0],
        "unwilling_below": model.thresholds_[1],
        **{k: v for k, v in model.summary().items() if k != "config"},
    }
    return model, report


def train_profile_model(
    portfolio: Portfolio,
    cutoff: str | pd.Timestamp | None = None,
    config: ProfileConfig | None = None,
) -> TrainedProfiles:
    """Train the ability and willingness models with what was known at ``cutoff``."""
    cfg = config or ProfileConfig()
    t = pd.Timestamp(cutoff).normalize() if cutoff is not None else default_cutoff(portfolio)
    panel = build_panel(portfolio, t, cfg)
    model, report = fit_on_panel(panel, cfg)
    return TrainedProfiles(model, t, cfg, panel, {"cutoff": str(t.date()), **report})


def profile_months(
    portfolio: Portfolio,
    model: ProfileModel,
    dates: list[pd.Timestamp],
    config: ProfileConfig | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Profiles and features of every customer at each date (long format, ``as_of`` column)."""
    cfg = config or ProfileConfig()
    feats = features_panel(portfolio, dates, cfg)
    profiles = [
        assign_groups(part.set_index("customer_id")[FEATURES], model, cfg.rules, pd.Timestamp(t))
        for t, part in feats.groupby("as_of", sort=True)
    ]
    out = pd.concat(profiles, ignore_index=True) if profiles else pd.DataFrame()
    return out, feats

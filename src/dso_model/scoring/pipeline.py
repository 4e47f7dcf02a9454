"""The scoring pipeline: portfolio in, worklist and portfolio figures out.

Pure with respect to configuration, tracking and files: it takes a validated
:class:`~dso_model.contract.portfolio.Portfolio`, a :class:`~dso_model.scoring.bundle.ScoringBundle`
and :class:`ScoreSettings`, and returns a :class:`ScoreResult`. Each stage calls the package that
owns it (features, models, explain, profiles, policy, metrics); the ``dso-score`` app wires
loading, writing and printing around it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dso_model.scoring.actions import recommend_actions
from dso_model.scoring.curve import DelayCurve
from dso_model.scoring.inputs import cutoffs_for, open_book, point_in_time
from dso_model.scoring.projection import MONTH, NewSales, ledger_of, portfolio_figures
from dso_model.scoring.reasons import Explanation, driver_shares
from dso_model.scoring.rows import RowPredictions, explain_rows, predict_rows
from dso_model.scoring.worklist import assemble_worklist, priority_order

log = logging.getLogger("dso_model")
BACKENDS = ("pandas", "dask")
STAGES = ("features", "predictions", "profiles", "actions", "reasons", "figures")


@dataclass(frozen=True)
class ScoreSettings:
    """How to score: the date, languages of the reasons, chunking, backend and progress."""

    as_of: pd.Timestamp
    languages: tuple[str, ...] = ("en", "es")
    top_reasons: int = 3
    chunk_size: int = 200_000
    history_months: int = 3
    trend_months: int = 12
    backend: str = "pandas"
    npartitions: int | None = None
    plan_days: int = 7
    messages: bool = True
    reasons_max_rows: int | None = None
    reasons_method: str = "exact"  # or "saabas" (path attribution), see explain.contributions
    migrations: bool = True  # groups a month ago too (the briefing's migrations)
    progress: bool = False


@dataclass
class ScoreResult:
    """Everything one scoring run produced (frames only; writing is the app's job)."""

    as_of: pd.Timestamp
    worklist: pd.DataFrame
    figures: pd.DataFrame
    new_sales: NewSales
    groups: pd.DataFrame  # each customer's profile group, confidence, scores and reasons
    previous_groups: pd.DataFrame | None  # the groups a month ago, without reasons (migrations)
    drivers: pd.DataFrame
    trend: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)


class _Stages:
    """A progress bar over the pipeline's stages, with the time each took."""

    def __init__(self, enabled: bool) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(
            total=len(STAGES), desc="scoring", unit="stage", disable=not enabled, leave=False
        )
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        import time

        self.bar.set_postfix_str(name)
        start = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - start
        log.info("scoring stage %s: %.2f s", name, self.timings[name])
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def score_portfolio(portfolio, bundle, settings: ScoreSettings, client: Any = None) -> ScoreResult:
    """Score every invoice open at ``settings.as_of``.

    ``client`` is a ``distributed.Client`` for ``backend="dask"`` (features, predictions and
    reasons run on the cluster, partitioned by customer); without one a ``LocalCluster`` is
    started for the call.
    """
    check_settings(settings)
    bundle.check()
    as_of = pd.Timestamp(settings.as_of).normalize()
    if settings.backend == "dask" and client is None:
        from dso_model.scoring.distributed import dask_client

        with dask_client() as local:
            return score_portfolio(portfolio, bundle, settings, client=local)
    stages = _Stages(settings.progress)
    try:
        return _run(portfolio, bundle, settings, as_of, stages, client)
    finally:
        stages.close()


def check_settings(settings: ScoreSettings) -> None:
    """Refuse, with a clear message, a backend or a reasons method the pipeline does not know."""
    from dso_model.errors import DsoInputError
    from dso_model.explain.contributions import METHODS

    if settings.backend not in BACKENDS:
        raise DsoInputError(
            f"unknown backend '{settings.backend}'", hint=f"one of {', '.join(BACKENDS)}"
        )
    if settings.reasons_method not in METHODS:
        raise DsoInputError(
            f"unknown reasons method '{settings.reasons_method}'",
            column="reasons_method",
            hint=f"one of {', '.join(METHODS)}",
        )


def _run(portfolio, bundle, settings: ScoreSettings, as_of, stages: _Stages, client) -> ScoreResult:
    snapshot = point_in_time(portfolio, as_of)
    book = open_book(snapshot, as_of)
    log.info(
        "scoring %d open invoices of %d customers as of %s",
        len(book), book["customer_id"].nunique(), as_of.date(),
    )  # fmt: skip
    with stages.stage("features"):
        X = compute_matrix(snapshot, book, bundle, as_of, settings)
    with stages.stage("predictions"):
        predictions = predict_open_invoices(bundle, X, book, as_of, settings, client)
    with stages.stage("profiles"):
        dates = [as_of]
        if settings.migrations and _has_history(snapshot, as_of):
            dates.append(as_of - MONTH)  # a month ago too, for the migrations
        groups, *earlier = assign_groups(snapshot, dates, bundle, settings.reasons_method)
        previous = earlier[0] if earlier else None
    with stages.stage("actions"):
        actions = recommend_actions(
            snapshot, book, X, groups, bundle, as_of, settings.plan_days, settings.messages
        )
    with stages.stage("reasons"):
        order = priority_order(book, predictions.timing, actions)
        chosen = np.sort(
            order if settings.reasons_max_rows is None else order[: settings.reasons_max_rows]
        )
        explanation = explain_open_invoices_for(
            bundle, X.iloc[chosen], book.iloc[chosen], settings, client
        )
    worklist = assemble_worklist(
        book, predictions.timing, explanation.reasons, groups, actions, as_of,
        settings.languages, settings.top_reasons,
    )  # fmt: skip
    with stages.stage("figures"):
        unpaid = unpaid_next_month(book, predictions.timing, predictions.curve, actions, as_of)
        ledger = ledger_of(snapshot)
        figures, new_sales = portfolio_figures(
            snapshot, unpaid, as_of, settings.history_months, ledger
        )
        trend = dso_trend(snapshot, as_of, settings.trend_months, figures, ledger)
    weights = book["outstanding"].to_numpy(float)[chosen]
    drivers = driver_shares(explanation.families, weights, settings.languages[0])
    return ScoreResult(
        as_of, worklist, figures, new_sales, groups, previous, drivers, trend, stages.timings
    )


# ----------------------------------------------------------------------------- stages
def compute_matrix(
    snapshot, book: pd.DataFrame, bundle, as_of, settings: ScoreSettings
) -> pd.DataFrame:
    """The delay model's inputs for every open invoice (rows in ``book`` order)."""
    from dso_model.features import build_features

    features = build_features(
        snapshot,
        cutoffs_for(book, as_of),
        bundle.feature_config,
        backend=settings.backend,
        encoder=bundle.encoder,
        npartitions=settings.npartitions,
    )
    return bundle.model_matrix(features).set_axis(book.index)


def predict_open_invoices(
    bundle, X: pd.DataFrame, book: pd.DataFrame, as_of, settings: ScoreSettings, client=None
) -> RowPredictions:
    """Predictions and timing of every open invoice, in process or on the cluster."""
    if settings.backend == "dask":
        from dso_model.scoring.distributed import predict_rows_dask

        return predict_rows_dask(
            client, bundle, X, book, as_of, settings.chunk_size, settings.npartitions
        )
    return predict_rows(bundle, X, book, as_of, settings.chunk_size)


def explain_open_invoices_for(
    bundle, X: pd.DataFrame, book: pd.DataFrame, settings: ScoreSettings, client=None
) -> Explanation:
    """Reasons of the given open invoices, in process or on the cluster."""
    args = (settings.languages, settings.top_reasons, settings.chunk_size, settings.reasons_method)
    if settings.backend == "dask":
        from dso_model.scoring.distributed import explain_rows_dask

        return explain_rows_dask(
            client, bundle, X, book["customer_id"], *args, settings.npartitions
        )
    return explain_rows(bundle, X, *args)


def assign_groups(
    snapshot, dates: list[pd.Timestamp], bundle, reasons_method: str = "exact"
) -> list[pd.DataFrame]:
    """The profile group of every customer at each of ``dates`` (``customer_id``, ``group``,
    ``confidence``, scores and reasons) from the bundle's profile model and rules; the snapshot's
    ids are numbered once for all the dates. Reasons (by ``reasons_method``) are written for the
    first date only: the others serve the migrations, which need the groups alone."""
    from dso_model.profiles import ProfileConfig, assign_profiles, customer_features, number_ids

    config = ProfileConfig.from_mapping(bundle.setting("profiles") or None)
    book = number_ids(snapshot)
    groups = []
    for as_of in dates:
        is_snapshot = bool(as_of == snapshot.as_of and len(snapshot.payments))
        features = customer_features(
            book, as_of, config.windows, config.rules.enrichment_columns, is_snapshot=is_snapshot
        )
        method = reasons_method if not groups else None
        groups.append(
            assign_profiles(
                snapshot, as_of, bundle.models.get("profiles"), config, features, method
            )
        )
    return groups


def unpaid_next_month(
    book: pd.DataFrame, timing: pd.DataFrame, curve: DelayCurve, actions: pd.DataFrame, as_of
) -> pd.DataFrame:
    """Probability each open invoice is still unpaid at next month's end, without and with its
    action (the action brings the payment forward by its expected days saved)."""
    from dso_model.scoring.curve import days_between

    p_without = timing["p_paid_next_month"].to_numpy(float)
    saved = np.clip(actions["expected_days_saved"].fillna(0.0).to_numpy(float), 0.0, None)
    due = book["due_date"].to_numpy("datetime64[ns]")
    end = days_between(np.full(len(book), np.datetime64(as_of + MONTH, "ns")), due)
    p_with = np.where(
        saved > 0,
        curve.paid_before(timing["days_past_due"].to_numpy(float), end + saved),
        p_without,
    )
    return pd.DataFrame(
        {
            "outstanding": book["outstanding"].to_numpy(float),
            "due_date": book["due_date"].to_numpy("datetime64[ns]"),
            "p_unpaid_next_without": 1.0 - p_without,
            "p_unpaid_next_with": 1.0 - p_with,
        }
    )


def _has_history(snapshot, as_of: pd.Timestamp) -> bool:
    issue = snapshot.invoices["issue_date"]
    return bool(len(issue)) and issue.min() < as_of - MONTH


def dso_trend(
    snapshot, as_of: pd.Timestamp, months: int, figures: pd.DataFrame, ledger=None
) -> pd.DataFrame:
    """Monthly DSO and BPDSO for the last ``months`` full months, plus the two projections
    (``ledger``: the snapshot's :func:`~dso_model.scoring.projection.ledger_of`, if known)."""
    from dso_model.metrics import dso_measures

    end = as_of.to_period("M").start_time
    start = max(
        end - pd.DateOffset(months=months),
        snapshot.invoices["issue_date"].min().to_period("M").start_time,
    )
    history = pd.DataFrame(columns=["period_start", "dso", "bpdso", "add"])
    if start < end:
        table = dso_measures(
            snapshot.invoices,
            snapshot.payments,
            start=start,
            end=end,
            events=snapshot.events,
            ledger=ledger,
        )
        history = table[["period_start", "dso", "bpdso", "add"]]
    projected = pd.DataFrame(
        {
            "period_start": [as_of, as_of],
            "dso": figures.loc["dso", ["next_without_actions", "next_with_actions"]].to_numpy(
                float
            ),
            "bpdso": figures.loc["bpdso", ["next_without_actions", "next_with_actions"]].to_numpy(
                float
            ),
            "add": figures.loc["add", ["next_without_actions", "next_with_actions"]].to_numpy(
                float
            ),
            "projected": True,
            "scenario": ["without", "with"],
        }
    )
    history = history.assign(projected=False, scenario="history")
    return pd.concat([history, projected], ignore_index=True)

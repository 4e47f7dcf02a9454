"""The explanation job's wiring: load the model and the data, build the features, explain, word
the reasons, write the outputs and log them. ``dso-explain`` and tests call :func:`run_explain`
with a resolved config (plain dict); the analysis itself is in :mod:`dso_model.explain.analysis`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class ExplainOutcome:
    """What a job left behind."""

    result: Any
    written: dict[str, Path] = field(default_factory=dict)
    run_id: str | None = None


def _inputs(plain: dict[str, Any], settings: Any) -> dict[str, Any]:
    from dso_model.data import load_data
    from dso_model.explain.analysis import explanation_window, group_columns, window_invoices
    from dso_model.explain.inputs import load_delay_model, profile_groups
    from dso_model.tracking import configure_tracking

    configure_tracking(_tracking(plain))  # the model is read from this store
    model = load_delay_model(str(plain["model_uri"]))
    data = load_data(plain["data"], plain["paths"])
    portfolio = data.portfolio
    as_of = pd.Timestamp(plain.get("as_of") or portfolio.as_of)
    invoices = group_columns(portfolio.invoices, portfolio.customers, settings.group_by)
    groups, profile_note = None, "not requested"
    if "profile_group" in settings.group_by:
        opts = plain.get("profile_groups") or {}
        groups, profile_note = profile_groups(
            portfolio, as_of, opts.get("model_path"), bool(opts.get("train", True))
        )
    if groups is not None:
        invoices = invoices.assign(profile_group=invoices["customer_id"].map(groups).to_numpy())
    start, end = explanation_window(as_of, settings.months, portfolio.invoices["issue_date"].max())
    window = window_invoices(invoices, start, end, settings.max_invoices, settings.seed)
    return {
        "model": model,
        "data": data,
        "as_of": as_of,
        "invoices": invoices,
        "window": window,
        "start": start,
        "end": end,
        "profile_note": profile_note,
    }


def _tracking(plain: dict[str, Any]) -> Any:
    from dso_model.tracking import TrackingSettings

    return TrackingSettings.from_mapping({**plain["mlflow"], **plain.get("tracking", {})})


def explain_job(plain: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """Load, explain and word: the result (with the reasons table) and the report's title lines."""
    from dso_model.errors import DsoInputError
    from dso_model.explain import ExplainSettings, explain_drivers
    from dso_model.explain.inputs import feature_matrix, measured_dso, model_features
    from dso_model.features import FeatureConfig, feature_registry, training_cutoffs
    from dso_model.pipeline.train import data_fingerprint

    settings = ExplainSettings.from_mapping(plain["explain"])
    io = _inputs(plain, settings)
    window = io["window"]
    if not len(window):
        raise DsoInputError(
            f"no invoice was issued in the explanation window {io['start'].date()} "
            f"to {io['end'].date()}",
            hint="set as_of=... or explain.months=...",
        )
    feature_config = FeatureConfig.from_mapping(plain.get("features") or {})
    registry = {s.name: s for s in feature_registry(feature_config)}
    names = model_features(io["model"])
    portfolio = io["data"].portfolio
    X = feature_matrix(
        portfolio, training_cutoffs(window, rule="issue_date"), names, feature_config
    )
    dso = measured_dso(portfolio, io["invoices"], io["start"], io["end"], settings.group_by)
    result = explain_drivers(io["model"], X, window, dso, settings, registry=registry)
    reasons_note = _add_reasons(result, io, X, names, feature_config, settings, registry)
    context = {
        "title": f"DSO drivers: {io['data'].name}",
        "data": io["data"].name,
        "model": str(plain["model_uri"]),
        "window": f"invoices issued {io['start'].date()} to {(io['end'] - pd.Timedelta(days=1)).date()}",
        "explained invoices": f"{len(window):,}",
        "as of": str(io["as_of"].date()),
        "method": f"{settings.method} ({settings.part} delay model)",
        "profile groups": io["profile_note"],
        "reason codes": reasons_note,
        "data fingerprint": data_fingerprint(portfolio.invoices),
    }
    return result, context


def _add_reasons(result, io, X_window, names, feature_config, settings, registry) -> str:
    """Reason codes of the open invoices (scope open/auto) or of the explained window's invoices
    (scope window, or auto when nothing is open); returns what they cover, for the report."""
    from dso_model.explain.analysis import attach_reasons
    from dso_model.explain.inputs import feature_matrix
    from dso_model.explain.reasons import explain_reasons, reason_codes
    from dso_model.features import CategoryEncoder, scoring_cutoffs

    portfolio, r = io["data"].portfolio, settings.reasons
    categories = CategoryEncoder().fit(portfolio.customers, portfolio.invoices).to_dict()
    words = {
        "top": r.top,
        "min_impact": r.min_impact,
        "categories": categories,
        "registry": registry,
    }
    cutoffs = scoring_cutoffs(portfolio, io["as_of"]) if r.scope != "window" else None
    if cutoffs is not None and len(cutoffs):
        X = feature_matrix(portfolio, cutoffs, names, feature_config)
        reasons = explain_reasons(
            io["model"],
            X,
            r.langs,
            part=settings.part,
            method=r.method,
            chunk_size=r.chunk_size,
            num_threads=settings.num_threads,
            **words,
        )
        note = f"{len(reasons):,} invoices open on {io['as_of'].date()}"
    elif r.scope == "open":
        return f"no invoice open on {io['as_of'].date()}"
    else:
        contribs = result.contributions
        reasons = reason_codes(contribs, X_window, r.langs, details=True, **words)
        reasons.insert(1, "predicted_days_late", contribs.output.to_numpy())
        note = f"the {len(reasons):,} explained invoices of the window"
    attach_reasons(result, reasons, io["invoices"])
    return note


def run_explain(plain: dict[str, Any], out_dir: Path) -> ExplainOutcome:
    """The whole job on a resolved config; outputs go to ``out_dir`` (and MLflow when enabled)."""
    from dso_model.explain.outputs import write_outputs
    from dso_model.explain.plots import figure_png
    from dso_model.explain.report import render_report

    result, context = explain_job(plain)
    images = {k: figure_png(f) for k, f in result.figures.items()}
    html = render_report(result, context, images)
    written = write_outputs(result, out_dir, html, images)
    if plain.get("export_plot"):
        target = Path(str(plain["export_plot"]))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(written["plots/dso_waterfall.png"], target)
    run_id = None
    if plain["mlflow"].get("enabled", True):
        run_id = _log(plain, context, result, written)
    return ExplainOutcome(result, written, run_id)


def _log(plain, context, result, written) -> str:
    import mlflow

    from dso_model.explain.outputs import log_outputs
    from dso_model.tracking import flatten_params, run_tags, start_run

    extra = {"task": "explain", "model_uri": context["model"]}
    tags = run_tags(context["data"], context["data fingerprint"], extra=extra)
    with start_run(_tracking(plain), run_name=f"explain-{context['data']}", tags=tags) as run:
        params = flatten_params(
            {
                "explain": plain["explain"],
                "model_uri": plain["model_uri"],
                "as_of": context["as of"],
                "window": context["window"],
            }
        )
        mlflow.log_params(params)
        log_outputs(written, result.metrics)
        return run.info.run_id

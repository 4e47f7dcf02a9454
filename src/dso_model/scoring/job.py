"""The ``dso-score`` job: configuration in, files out. Tests and notebooks call :func:`run_score_job`.

Loads the data and the bundle (exporting it first when asked), scores through
:func:`~dso_model.scoring.pipeline.score_portfolio` (on a Dask cluster for ``backend=dask``),
writes the worklist, the figures and the briefing atomically and prints where they are.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dso_model.scoring.outputs import OutputPaths

log = logging.getLogger("dso_model")


@dataclass
class ScoreJobOutcome:
    model_uri: str
    paths: OutputPaths
    result: Any
    text: str


def _plain(cfg: Any) -> dict[str, Any]:
    from omegaconf import DictConfig, OmegaConf

    if isinstance(cfg, DictConfig):
        return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
    return dict(cfg)


def tracking_settings(plain: Mapping[str, Any]):
    """The MLflow store of ``mlflow`` and ``tracking`` (artifact location), as dso-train reads it."""
    from dso_model.tracking import TrackingSettings

    return TrackingSettings.from_mapping({**plain["mlflow"], **(plain.get("tracking") or {})})


def _tracking(plain: Mapping[str, Any]):
    from dso_model.tracking import configure_tracking

    settings = tracking_settings(plain)
    configure_tracking(settings)
    return settings


def score_settings(plain: Mapping[str, Any], portfolio):
    from dso_model.scoring.inputs import resolve_as_of
    from dso_model.scoring.pipeline import ScoreSettings

    return ScoreSettings(
        as_of=resolve_as_of(portfolio, plain.get("as_of")),
        languages=tuple(plain["languages"]),
        top_reasons=int(plain["top_reasons"]),
        chunk_size=int(plain["chunk_size"]),
        history_months=int(plain["history_months"]),
        trend_months=int(plain["trend_months"]),
        backend=str(plain["backend"]),
        npartitions=plain.get("npartitions"),
        plan_days=int(plain["plan_days"]),
        messages=bool(plain["messages"]),
        reasons_max_rows=plain.get("reasons_max_rows"),
        reasons_method=str(plain.get("reasons_method", "exact")),
        migrations=bool(plain["briefing"]["enabled"]),
        progress=bool(plain["progress"]),
    )


def model_uri(plain: Mapping[str, Any]) -> str:
    model = plain["model"]
    return str(model.get("uri") or f"models:/{model['registered_name']}@champion")


def wants_export(plain: Mapping[str, Any]) -> bool:
    """``export``: true, false or ``auto`` (export when the registered bundle is missing or stale)."""
    from dso_model.errors import DsoInputError

    value = plain["export"]
    if isinstance(value, bool):
        return value
    if str(value).lower() != "auto":
        raise DsoInputError(f"export={value!r} is not one of true, false, auto", column="export")
    from dso_model.scoring.export import needs_export

    return needs_export(dict(plain))


def _score(plain, data, bundle, settings):
    from dso_model.scoring.pipeline import score_portfolio

    if settings.backend != "dask":
        return score_portfolio(data.portfolio, bundle, settings)
    from dso_model.scoring.distributed import dask_client

    with dask_client(
        plain.get("scheduler"), int(plain["n_workers"]), int(plain["threads_per_worker"])
    ) as client:
        return score_portfolio(data.portfolio, bundle, settings, client=client)


def run_score_job(cfg: Any, output_dir: str | Path) -> ScoreJobOutcome:
    """Score as configured; files go to ``output.dir`` or ``output_dir``."""
    from dso_model.data import load_data
    from dso_model.scoring.brief import briefing_data
    from dso_model.scoring.export import load_scoring_bundle
    from dso_model.scoring.outputs import write_outputs
    from dso_model.scoring.report import render_summary

    plain = _plain(cfg)
    data = load_data(plain["data"], plain["paths"])
    settings = score_settings(plain, data.portfolio)  # user mistakes surface before any work
    tracking = _tracking(plain)
    uri = model_uri(plain)
    if wants_export(plain):
        from dso_model.scoring.export import export_from_registry

        exported = export_from_registry(plain, data, tracking)
        uri = exported.alias_uri or exported.model_uri
        print(f"bundle registered: {exported.registered_name} v{exported.version} ({uri})")
    bundle = load_scoring_bundle(uri)
    result = _score(plain, data, bundle, settings)
    model = {"uri": uri, "bundle": bundle.version}
    page = None
    if plain["briefing"]["enabled"]:
        page = briefing_data(
            result,
            data.name,
            lang=str(plain["briefing"]["lang"]),
            max_rows=int(plain["briefing"]["max_rows"]),
            model=model,
            history_months=settings.history_months,
        )
    folder = Path(plain["output"].get("dir") or output_dir)
    names = {k: str(plain["output"][k]) for k in ("worklist", "figures", "briefing")}
    names["worklist_csv"] = plain["output"].get("worklist_csv") or ""
    paths = write_outputs(result, folder, model=model, briefing=page, names=names)
    text = render_summary(result, paths, uri)
    print(text)
    return ScoreJobOutcome(uri, paths, result, text)

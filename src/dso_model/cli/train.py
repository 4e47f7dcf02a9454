"""dso-train: train and evaluate the payment-delay models, print the results, track in MLflow.

The work happens in :func:`dso_model.pipeline.train.train` (pure) and :mod:`dso_model.tracking`;
this module reads the config, loads the data and wires the two. Tests call :func:`run_job`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from dso_model.cli._common import CONFIG_DIR, hydra_output_dir, user_errors_exit
from dso_model.config import register_resolvers

register_resolvers()
log = logging.getLogger("dso_model")
TASKS = ("train", "search", "censoring", "leakage")


@dataclass
class JobOutcome:
    """What a job left behind: the result, the printed table, the run and registry decision."""

    task: str
    text: str
    result: Any = None
    run_id: str | None = None
    decision: Any = None
    table: Any = None


def _tracking(plain: dict[str, Any]) -> Any:
    from dso_model.tracking import TrackingSettings

    values = {**plain.get("mlflow", {}), **plain.get("tracking", {})}
    return TrackingSettings.from_mapping(values)


def _train_or_search(
    task: str, plain: dict[str, Any], settings: Any, data: Any, features: Any
) -> Any:
    from dso_model.pipeline.train import train

    if task == "train":
        return train(settings, data, features)
    from dso_model.tracking.search import tracked_search

    search = plain["search"]
    outcome = tracked_search(
        lambda params: train(settings.with_params(**params), data, features),
        search["space"],
        int(search["n_trials"]),
        metric=str(search["metric"]),
        seed=settings.seed,
    )
    import mlflow

    mlflow.log_params({f"best.{k}": v for k, v in outcome.best_params.items()})
    mlflow.log_metric(f"best.val.{search['metric']}", outcome.best_value)
    return outcome.best_result


def _run_tracked(task, plain, cfg, overrides, settings, data, features) -> JobOutcome:
    from dso_model.pipeline.train import data_fingerprint
    from dso_model.tracking import flatten_params, run_tags, start_run
    from dso_model.tracking.record import log_and_register, log_config_artifacts, log_train_result

    tracking = _tracking(plain)
    tags = run_tags(data.name, data_fingerprint(data.portfolio.invoices), extra={"task": task})
    with start_run(tracking, run_name=f"{task}-{data.name}", tags=tags) as run:
        log_config_artifacts(OmegaConf.to_yaml(cfg, resolve=True), overrides)
        result = _train_or_search(task, plain, settings, data, features)
        import mlflow

        mlflow.set_tag("test_window", f"{result.data_fingerprint}:{result.test_window}")
        text = log_train_result(result, flatten_params(plain))
        decision = log_and_register(
            result,
            tracking.registered_model_name,
            plain["tracking"]["champion_metric"],
            register=bool(plain["tracking"].get("register", True)),
        )
    return JobOutcome(task, text, result, run.info.run_id, decision)


def _run_untracked(settings, data, features) -> JobOutcome:
    from dso_model.pipeline.report import render_results, results_table, results_title
    from dso_model.pipeline.train import train

    result = train(settings, data, features)
    return JobOutcome("train", render_results(results_table(result), results_title(result)), result)


def _run_censoring(plain, settings, data, features) -> JobOutcome:
    from dso_model.pipeline.censoring import censoring_study
    from dso_model.pipeline.report import render_frame

    by_cutoff, summary = censoring_study(settings, plain["censoring"], data, features)
    text = render_frame(
        summary.set_index(["population", "quantity", "strategy"]),
        f"{data.name}: bias of censoring strategies (prediction - truth)",
    )
    if plain["mlflow"].get("enabled", True):
        from dso_model.pipeline.train import data_fingerprint
        from dso_model.tracking import run_tags, start_run
        from dso_model.tracking.record import log_censoring

        tags = run_tags(
            data.name, data_fingerprint(data.portfolio.invoices), extra={"task": "censoring"}
        )
        with start_run(_tracking(plain), run_name=f"censoring-{data.name}", tags=tags) as run:
            log_censoring(by_cutoff, summary)
            return JobOutcome("censoring", text, run_id=run.info.run_id, table=summary)
    return JobOutcome("censoring", text, table=summary)


def _run_leakage(plain, settings, data, features) -> JobOutcome:
    from dso_model.errors import DsoInputError
    from dso_model.pipeline.leakage_study import leakage_study, leaky_columns, study_metrics
    from dso_model.pipeline.report import render_frame

    if data.outcomes is None or not len(data.outcomes):
        raise DsoInputError(
            f"the leakage study needs outcome columns kept aside by the adapter; "
            f"'{data.name}' has none",
            hint="run it on a source with such columns, e.g. data=ibm_ar",
        )
    leaks = leaky_columns(data.portfolio.invoices, data.outcomes)
    study = leakage_study(
        settings, data, features, leaks, n_splits=int(plain["leakage"]["random_splits"])
    )
    text = render_frame(
        study.table, f"{data.name}: what a random split and leaky features would have claimed"
    )
    if plain["mlflow"].get("enabled", True):
        import mlflow

        from dso_model.pipeline.train import data_fingerprint
        from dso_model.tracking import run_tags, start_run

        tags = run_tags(
            data.name, data_fingerprint(data.portfolio.invoices), extra={"task": "leakage"}
        )
        with start_run(_tracking(plain), run_name=f"leakage-{data.name}", tags=tags) as run:
            mlflow.log_metrics(study_metrics(study.table))
            mlflow.log_text(study.scores.to_csv(index=False), "results/leakage_scores.csv")
            mlflow.log_text(text, "results/leakage_table.txt")
            return JobOutcome("leakage", text, study, run_id=run.info.run_id, table=study.table)
    return JobOutcome("leakage", text, study, table=study.table)


def run_job(
    cfg: DictConfig, output_dir: str | Path, overrides: list[str] | None = None
) -> JobOutcome:
    """Run the configured task; print and save its results table in ``output_dir``."""
    from dso_model.data import load_data
    from dso_model.errors import DsoInputError
    from dso_model.io.atomic import write_text_atomic
    from dso_model.pipeline.settings import TrainSettings
    from dso_model.pipeline.train import prepare_features

    plain: dict[str, Any] = OmegaConf.to_container(cfg, resolve=True)  # type: ignore[assignment]
    task = str(plain.get("task", "train"))
    if task not in TASKS:
        raise DsoInputError(f"unknown task '{task}'", hint=f"one of {', '.join(TASKS)}")
    settings = TrainSettings.from_mapping(plain)
    data = load_data(cfg.data, cfg.paths)
    features = prepare_features(data.portfolio, settings)
    if task == "censoring":
        outcome = _run_censoring(plain, settings, data, features)
    elif task == "leakage":
        outcome = _run_leakage(plain, settings, data, features)
    elif plain["mlflow"].get("enabled", True):
        outcome = _run_tracked(task, plain, cfg, overrides, settings, data, features)
    else:
        outcome = _run_untracked(settings, data, features)
    print(outcome.text)
    if outcome.decision is not None:
        print(
            f"registered {outcome.decision.model_name} v{outcome.decision.version}: {outcome.decision.reason}"
        )
    write_text_atomic(Path(output_dir) / f"{task}_results.txt", outcome.text)
    return outcome


def _overrides() -> list[str]:
    from hydra.core.hydra_config import HydraConfig

    return list(HydraConfig.get().overrides.task)


@hydra.main(config_path=CONFIG_DIR, config_name="train", version_base="1.3")
@user_errors_exit
def main(cfg: DictConfig) -> None:
    run_job(cfg, hydra_output_dir(), _overrides())


if __name__ == "__main__":
    main()

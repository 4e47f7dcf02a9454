"""Tracking store and experiment set-up, and one MLflow run per job."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TrackingSettings:
    """Where runs go. ``artifact_location`` is used when the experiment is created on a local
    store (SQLite); a tracking server chooses its own artifact root."""

    tracking_uri: str
    experiment_name: str = "dso_model"
    registered_model_name: str = "dso_delay"
    artifact_location: str | None = None
    enabled: bool = True

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any]) -> TrackingSettings:
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in cfg.items() if k in names})

    @property
    def is_remote(self) -> bool:
        return self.tracking_uri.startswith(("http://", "https://", "databricks"))


def configure_tracking(settings: TrackingSettings) -> str:
    """Point MLflow at the store and make sure the experiment exists; returns its id."""
    import mlflow

    if settings.tracking_uri.startswith("sqlite:///"):
        Path(settings.tracking_uri.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.tracking_uri)
    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name(settings.experiment_name)
    if experiment is None:
        location = None if settings.is_remote else settings.artifact_location
        if location and "://" not in location:
            location = Path(location).resolve().as_uri()
        experiment_id = client.create_experiment(
            settings.experiment_name, artifact_location=location
        )
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


@contextmanager
def start_run(
    settings: TrackingSettings,
    run_name: str | None = None,
    tags: Mapping[str, str] | None = None,
    nested: bool = False,
) -> Iterator[Any]:
    """An MLflow run on the configured store (nested under the active run when asked)."""
    import mlflow

    if not nested:
        configure_tracking(settings)
    with mlflow.start_run(run_name=run_name, tags=dict(tags or {}), nested=nested) as run:
        yield run

"""Log the scoring bundle to MLflow, register it and point the ``champion`` alias at it; load it back.

Before anything is logged, every file of the bundle and the input example are searched for the
training portfolio's personal values (names, e-mails, phones, free text): a hit stops the export.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dso_model.scoring.bundle import ScoringBundle
from dso_model.scoring.privacy import check_no_personal_data, files_under

CHAMPION = "champion"
MODEL_NAME = "scoring_bundle"
SOURCE_VERSION = "delay_model_version"  # provenance key: the delay model version exported


@dataclass(frozen=True)
class ExportedBundle:
    """Where the bundle went: the logged model, the registered name and version."""

    model_uri: str
    registered_name: str | None
    version: str | None
    alias_uri: str | None


def input_example(bundle: ScoringBundle, X: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """A few rows of the numeric model input, without their invoice ids."""
    return X[bundle.feature_names].head(n).astype("float32").reset_index(drop=True)


def pip_requirements() -> list[str]:
    from dso_model.tracking.model import pip_requirements as delay_requirements

    return delay_requirements()


def log_bundle(
    bundle: ScoringBundle,
    example: pd.DataFrame,
    personal: Iterable[str] = (),
    name: str = MODEL_NAME,
) -> Any:
    """Log the bundle as a pyfunc to the active run (signature and input example); ModelInfo."""
    import mlflow

    with tempfile.TemporaryDirectory(prefix="dso-bundle-") as tmp:
        folder = bundle.save(tmp)
        blobs = [*files_under(folder), ("input_example", example.to_csv(index=False).encode())]
        check_no_personal_data(blobs, set(personal))
        return mlflow.pyfunc.log_model(name=name, **_model_arguments(bundle, example, folder))


def _model_arguments(bundle: ScoringBundle, example: pd.DataFrame, folder) -> dict[str, Any]:
    from mlflow.models import infer_signature

    from dso_model.scoring.pyfunc import BUNDLE_ARTIFACT, ScoringModel

    output = bundle.predict_delays(example).reset_index(drop=True)
    return {
        "python_model": ScoringModel(),
        "artifacts": {BUNDLE_ARTIFACT: str(folder)},
        "signature": infer_signature(example, output),
        "input_example": example,
        "pip_requirements": pip_requirements(),
    }


def save_bundle_model(
    bundle: ScoringBundle, path, example: pd.DataFrame, personal: Iterable[str] = ()
) -> str:
    """Write the pyfunc to a local folder (no tracking server), e.g. for an offline deployment;
    ``mlflow.pyfunc.load_model(path)`` reads it. Returns the path."""
    import mlflow

    with tempfile.TemporaryDirectory(prefix="dso-bundle-") as tmp:
        folder = bundle.save(tmp)
        blobs = [*files_under(folder), ("input_example", example.to_csv(index=False).encode())]
        check_no_personal_data(blobs, set(personal))
        mlflow.pyfunc.save_model(str(path), **_model_arguments(bundle, example, folder))
    return str(path)


def register_bundle(
    model_uri: str, registered_name: str, bundle: ScoringBundle, alias: str = CHAMPION
) -> ExportedBundle:
    """Register the logged bundle and move ``alias`` to the new version."""
    import mlflow

    client = mlflow.MlflowClient()
    version = str(mlflow.register_model(model_uri, registered_name).version)
    tags = {
        "bundle_format": str(bundle.manifest["bundle_format"]),
        "feature_version": bundle.manifest["feature_version"],
        **{f"source.{k}": str(v) for k, v in bundle.manifest.get("provenance", {}).items()},
    }
    for key, value in tags.items():
        client.set_model_version_tag(registered_name, version, key, value[:5000])
    client.set_registered_model_alias(registered_name, alias, version)
    return ExportedBundle(model_uri, registered_name, version, f"models:/{registered_name}@{alias}")


def load_scoring_bundle(model_uri: str) -> ScoringBundle:
    """The bundle behind an MLflow model URI (``models:/name@champion``, ``runs:/...``, a path).

    A bundle the installed code cannot use raises :class:`~dso_model.errors.ModelMismatchError`;
    an unknown URI raises :class:`~dso_model.errors.DsoInputError` naming it.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    from dso_model.errors import DsoInputError

    try:
        model = mlflow.pyfunc.load_model(model_uri)
    except MlflowException as exc:
        raise DsoInputError(
            f"cannot load the model '{model_uri}': {exc.message.splitlines()[0]}",
            hint="export a bundle first (dso-score export=true) or pass model.uri=...",
        ) from exc
    python_model = model.unwrap_python_model()
    bundle = getattr(python_model, "bundle", None)
    if not isinstance(bundle, ScoringBundle):
        raise DsoInputError(
            f"'{model_uri}' is not a scoring bundle ({type(python_model).__name__})",
            hint="point model.uri at a bundle registered by dso-score export=true",
        )
    return bundle


def registered_version(model_uri: str) -> str | None:
    """The registry version a ``models:/name@alias`` or ``models:/name/N`` URI points at now;
    None when it points nowhere. Other URIs (``runs:/``, paths) are their own identity."""
    import re

    import mlflow
    from mlflow.exceptions import MlflowException

    by_alias = re.fullmatch(r"models:/([^/@]+)@(.+)", model_uri)
    by_number = re.fullmatch(r"models:/([^/@]+)/(\d+)", model_uri)
    client = mlflow.MlflowClient()
    try:
        if by_alias:
            return str(client.get_model_version_by_alias(*by_alias.groups()).version)
        if by_number:
            return str(client.get_model_version(*by_number.groups()).version)
    except MlflowException:
        return None
    return model_uri


def needs_export(plain: dict[str, Any]) -> bool:
    """``export=auto``: export when no bundle URI is given and the registered bundle is missing, or
    was built from another version of the delay model than ``export_settings.delay_model_uri``
    points at now (dso-train promoted a new champion). A missing delay model keeps the bundle."""
    import mlflow
    from mlflow.exceptions import MlflowException

    if plain["model"].get("uri"):
        return False
    name, alias = str(plain["model"]["registered_name"]), str(plain["export_settings"]["alias"])
    try:
        bundle = mlflow.MlflowClient().get_model_version_by_alias(name, alias)
    except MlflowException:
        return True
    source = registered_version(str(plain["export_settings"]["delay_model_uri"]))
    return source is not None and bundle.tags.get(f"source.{SOURCE_VERSION}") != source


def training_config(model_uri: str) -> tuple[Any, dict[str, Any], dict[str, str]]:
    """The delay model behind a registered ``dso-train`` model, its training config and run tags."""
    import mlflow
    import yaml
    from mlflow.exceptions import MlflowException

    from dso_model.errors import DsoInputError

    try:
        info = mlflow.models.get_model_info(model_uri)
    except MlflowException as exc:
        raise DsoInputError(
            f"no delay model at '{model_uri}' to export: {exc.message.splitlines()[0]}",
            hint="train one first (dso-train with the same data=...) or set "
            "export_settings.delay_model_uri",
        ) from exc
    run = mlflow.get_run(info.run_id)
    text = mlflow.artifacts.load_text(f"runs:/{info.run_id}/config/config.yaml")
    model = mlflow.pyfunc.load_model(model_uri).unwrap_python_model().model
    return model, yaml.safe_load(text) or {}, dict(run.data.tags)


def check_training_data(tags: dict[str, str], portfolio) -> None:
    """The bundle's category codes are fitted on the portfolio: it must be the training data."""
    from dso_model.errors import ModelMismatchError
    from dso_model.pipeline.train import data_fingerprint

    trained_on = tags.get("data.fingerprint")
    here = data_fingerprint(portfolio.invoices)
    if trained_on and trained_on != here:
        raise ModelMismatchError(
            f"the delay model was trained on other data (fingerprint {trained_on}, this data {here})",
            hint="export the bundle with the data the model was trained on (same data=... as dso-train)",
        )


def example_matrix(bundle: ScoringBundle, portfolio, n: int = 5) -> pd.DataFrame:
    """Model inputs of the first ``n`` invoices at their issue dates: the logged input example."""
    from dso_model.features import build_features, training_cutoffs

    cutoffs = training_cutoffs(portfolio.invoices.head(n))
    features = build_features(portfolio, cutoffs, bundle.feature_config, encoder=bundle.encoder)
    return input_example(bundle, bundle.model_matrix(features), n)


def export_from_registry(plain: dict[str, Any], data, tracking) -> ExportedBundle:
    """Build the bundle from ``export_settings.delay_model_uri`` and the training data, log it in a run,
    register it as ``model.registered_name`` and move the alias to it."""
    from dso_model.pipeline.train import data_fingerprint
    from dso_model.scoring.build import build_bundle
    from dso_model.scoring.decisions import fit_decision_parts
    from dso_model.scoring.privacy import personal_values, strip_personal_data
    from dso_model.tracking import run_tags, start_run

    source = str(plain["export_settings"]["delay_model_uri"])
    delay_model, train_cfg, tags = training_config(source)
    check_training_data(tags, data.portfolio)
    training = strip_personal_data(data.portfolio)
    parts = fit_decision_parts(training, plain, train_cfg.get("features") or {})
    provenance = {
        "delay_model_uri": source,
        SOURCE_VERSION: registered_version(source) or "",
        "data_name": data.name,
        "data_fingerprint": data_fingerprint(data.portfolio.invoices),
    }
    bundle = build_bundle(
        delay_model,
        training,
        feature_config=train_cfg.get("features") or {},
        provenance=provenance,
        **parts,
    )
    run_name = f"export-{data.name}"
    extra = {"task": "export", "source_model": source}
    with start_run(
        tracking,
        run_name=run_name,
        tags=run_tags(data.name, provenance["data_fingerprint"], extra=extra),
    ):
        info = log_bundle(bundle, example_matrix(bundle, training), personal_values(data.portfolio))
    return register_bundle(
        info.model_uri,
        str(plain["model"]["registered_name"]),
        bundle,
        str(plain["export_settings"]["alias"]),
    )

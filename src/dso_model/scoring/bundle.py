"""The scoring bundle: everything a scoring job needs, in one folder (and one MLflow model).

A bundle folder holds ``manifest.json`` (format and feature versions, the feature schema and
settings, the category codes, label, profile and policy settings, reason-code tables, provenance;
readable without unpickling anything) and ``models.pkl`` (the fitted models by part: ``delay``,
``profiles``, ``response``). :func:`load_bundle` checks the manifest against the installed code
before it unpickles a single model, so a mismatched bundle is refused with a clear message.
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dso_model.errors import ModelMismatchError
from dso_model.scoring.schema import (
    BUNDLE_FORMAT,
    check_compatible,
    feature_schema,
    schema_fingerprint,
)

MANIFEST = "manifest.json"
MODELS = "models.pkl"
PARTS = ("delay", "profiles", "response")


@dataclass
class ScoringBundle:
    """The manifest (plain JSON data) and the fitted models, by part."""

    manifest: dict[str, Any]
    models: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ views
    @property
    def delay_model(self) -> Any:
        return self.models["delay"]

    @property
    def feature_config(self):
        from dso_model.features import FeatureConfig

        return FeatureConfig.from_mapping(self.manifest["feature_config"])

    @property
    def encoder(self):
        from dso_model.features import CategoryEncoder

        return CategoryEncoder.from_dict(self.manifest["encoder"])

    @property
    def feature_names(self) -> list[str]:
        return [c["name"] for c in self.manifest["feature_schema"]]

    @property
    def version(self) -> str:
        """Bundle format and feature version, e.g. ``1/3fa2c0d94e1b7a55``."""
        return f"{self.manifest['bundle_format']}/{self.manifest['feature_version']}"

    def setting(self, name: str, default: Any = None) -> Any:
        return self.manifest.get("settings", {}).get(name, default)

    # ------------------------------------------------------------------ behaviour
    def check(self) -> None:
        """Raise :class:`ModelMismatchError` if the installed code cannot score with this bundle."""
        model = self.models.get("delay")
        check_compatible(self.manifest, getattr(model, "feature_names_in_", None))

    def model_matrix(self, features: pd.DataFrame) -> pd.DataFrame:
        """The delay model's numeric input: the schema's columns, in order, as float32."""
        from dso_model.models.matrix import to_model_matrix

        missing = [c for c in self.feature_names if c not in features.columns]
        if missing:
            raise ModelMismatchError(
                f"features missing for the model: {', '.join(missing[:5])}",
                hint="the feature table was not built with this bundle's feature settings",
            )
        return to_model_matrix(features[self.feature_names])

    def predict_delays(self, X: pd.DataFrame, hazard_cdf: np.ndarray | None = None) -> pd.DataFrame:
        """The delay model's predictions for a model matrix (same index); ``hazard_cdf`` is the
        hazard part's ``predict_cdf`` of :meth:`delay_inputs` when already computed."""
        return self.delay_model.predict(self.delay_inputs(X), hazard_cdf=hazard_cdf)

    def delay_inputs(self, X: pd.DataFrame) -> pd.DataFrame:
        """The delay model's input frame: the bundle's features, as float32."""
        return X[self.feature_names].astype("float32")

    # ------------------------------------------------------------------ persistence
    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write the bundle folder (each file atomically)."""
        from dso_model.io.atomic import write_atomic, write_text_atomic

        folder = Path(folder)
        text = json.dumps(self.manifest, indent=2, sort_keys=True, default=str) + "\n"
        write_atomic(
            folder / MODELS, lambda p: p.write_bytes(pickle.dumps(self.models, protocol=5))
        )
        write_text_atomic(folder / MANIFEST, text)
        return folder


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise ModelMismatchError("not a scoring bundle (no manifest.json)", file=str(folder))
    return json.loads(path.read_text(encoding="utf-8"))


def load_bundle(folder: str | os.PathLike[str], check: bool = True) -> ScoringBundle:
    """Read a bundle folder; with ``check`` refuse one the installed code cannot use.

    A bundle scores batches: its delay model predicts on every core, whatever it was fitted with.
    """
    from dso_model.models.boosting import predict_on_every_core

    manifest = read_manifest(folder)
    if check:
        check_compatible(manifest)
    with open(Path(folder) / MODELS, "rb") as handle:
        models = pickle.load(handle)
    bundle = ScoringBundle(manifest, models)
    if hasattr(models.get("delay"), "lightgbm_models"):
        predict_on_every_core(models["delay"].lightgbm_models())
    if check:
        bundle.check()
    return bundle


def make_manifest(
    *,
    feature_config: Mapping[str, Any],
    encoder: Mapping[str, Any],
    settings: Mapping[str, Any],
    reason_tables: Mapping[str, Any],
    provenance: Mapping[str, Any],
) -> dict[str, Any]:
    """A manifest for the installed code's feature schema and the given parts."""
    from dso_model import __version__

    schema = feature_schema(feature_config)
    return {
        "bundle_format": BUNDLE_FORMAT,
        "feature_version": schema_fingerprint(schema),
        "feature_schema": schema,
        "feature_config": dict(feature_config),
        "encoder": {k: list(v) for k, v in encoder.items()},
        "settings": dict(settings),
        "reason_tables": dict(reason_tables),
        "provenance": {"dso_model": __version__, **dict(provenance)},
    }

"""The feature schema a bundle was trained on, and the check that the code still produces it.

A bundle records its feature names, dtypes and categorical flags, a fingerprint of them (the
feature version) and the bundle format. Before scoring, the schema the installed code would build
for the bundle's feature settings must equal the recorded one: otherwise the models would read
columns that changed meaning, and the job stops with :class:`~dso_model.errors.ModelMismatchError`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from dso_model.errors import ModelMismatchError

# Bump when the bundle layout or the meaning of its parts changes.
# 2: profile settings name their threshold method (rules.thresholds) and the willingness proxy
#    reads notices (proxies.ignored_after_days, min_ignored_unwilling).
BUNDLE_FORMAT = 2


def feature_schema(feature_config: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """``[{name, dtype, categorical}]`` of the features the installed code builds."""
    from dso_model.features import FeatureConfig, feature_registry

    specs = feature_registry(FeatureConfig.from_mapping(dict(feature_config or {})))
    return [{"name": s.name, "dtype": s.dtype, "categorical": bool(s.categorical)} for s in specs]


def schema_fingerprint(schema: Sequence[Mapping[str, Any]]) -> str:
    """The feature version: a short hash of the ordered names, dtypes and categorical flags."""
    text = json.dumps([[c["name"], c["dtype"], bool(c["categorical"])] for c in schema])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def describe_difference(expected: Sequence[Mapping], actual: Sequence[Mapping]) -> str:
    """What changed between two schemas, in a sentence."""
    old = {c["name"]: c for c in expected}
    new = {c["name"]: c for c in actual}
    parts = []
    missing = [n for n in old if n not in new]
    added = [n for n in new if n not in old]
    changed = [n for n in old if n in new and dict(old[n]) != dict(new[n])]
    if missing:
        parts.append(f"{len(missing)} feature(s) gone ({', '.join(missing[:5])})")
    if added:
        parts.append(f"{len(added)} new feature(s) ({', '.join(added[:5])})")
    if changed:
        parts.append(f"{len(changed)} changed type ({', '.join(changed[:5])})")
    if not parts and [c["name"] for c in expected] != [c["name"] for c in actual]:
        parts.append("the same features in another order")
    return "; ".join(parts) or "no difference"


def check_compatible(
    manifest: Mapping[str, Any], model_features: Sequence[str] | None = None
) -> None:
    """Raise :class:`ModelMismatchError` unless the installed code can score with this bundle."""
    fmt = manifest.get("bundle_format")
    if fmt != BUNDLE_FORMAT:
        raise ModelMismatchError(
            f"model bundle format {fmt} cannot be read by this version (expects {BUNDLE_FORMAT})",
            hint="re-export the bundle with this version of dso_model (dso-score export=true)",
        )
    recorded = manifest["feature_schema"]
    if schema_fingerprint(recorded) != manifest.get("feature_version"):
        raise ModelMismatchError(
            "model bundle is damaged: its feature schema does not match its feature version"
        )
    current = feature_schema(manifest.get("feature_config"))
    if schema_fingerprint(current) != manifest["feature_version"]:
        raise ModelMismatchError(
            f"model bundle was trained on feature version {manifest['feature_version']}, the "
            f"installed code builds {schema_fingerprint(current)}: {describe_difference(recorded, current)}",
            hint="retrain (dso-train) and re-export the bundle with this version of dso_model",
        )
    names = [c["name"] for c in recorded]
    if model_features is not None and list(model_features) != names:
        as_schema = [{"name": n, "dtype": "", "categorical": False} for n in model_features]
        plain = [{"name": n, "dtype": "", "categorical": False} for n in names]
        raise ModelMismatchError(
            "the delay model's inputs differ from the bundle's feature schema: "
            + describe_difference(plain, as_schema)
        )

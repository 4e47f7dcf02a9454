"""Assemble a :class:`~dso_model.scoring.bundle.ScoringBundle` from trained parts.

The category codes are fitted on the training portfolio exactly as the feature pipeline fitted
them during training (customers and invoices), so scoring a new extract reads every code the way
the models learnt it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dso_model.scoring.bundle import ScoringBundle, make_manifest


def reason_tables(feature_config: Mapping[str, Any]) -> dict[str, Any]:
    """Labels of every feature and family in English and Spanish (for systems reading the bundle)."""
    from dso_model.features import FeatureConfig, feature_registry
    from dso_model.scoring.reasons import FAMILY_LABELS

    specs = feature_registry(FeatureConfig.from_mapping(dict(feature_config)))
    return {
        "features": {
            s.name: {"family": s.family, "en": s.label_en, "es": s.label_es} for s in specs
        },
        "families": FAMILY_LABELS,
    }


def _plain_settings(delay_model: Any) -> dict[str, Any]:
    labels = delay_model.config_.labels
    return {
        "labels": {"grace_days": labels.grace_days, "horizon_days": labels.horizon_days},
        "delay_quantiles": [float(q) for q in delay_model.quantile_.quantiles_],
        "delay_point": delay_model.config_.point,
    }


def build_bundle(
    delay_model: Any,
    training_portfolio: Any,
    *,
    feature_config: Mapping[str, Any] | None = None,
    profile_model: Any = None,
    profile_config: Mapping[str, Any] | None = None,
    policy_config: Mapping[str, Any] | None = None,
    response_model: Any = None,
    provenance: Mapping[str, Any] | None = None,
) -> ScoringBundle:
    """A checked bundle of the fitted parts and their settings."""
    from dso_model.features import CategoryEncoder, FeatureConfig
    from dso_model.tracking.model import detach_trainer

    features = FeatureConfig.from_mapping(dict(feature_config or {})).to_dict()
    encoder = CategoryEncoder().fit(training_portfolio.customers, training_portfolio.invoices)
    settings = {
        **_plain_settings(delay_model),
        "profiles": dict(profile_config or {}),
        "policy": dict(policy_config or {}),
    }
    manifest = make_manifest(
        feature_config=features,
        encoder=encoder.to_dict(),
        settings=settings,
        reason_tables=reason_tables(features),
        provenance=dict(provenance or {}),
    )
    models = {
        "delay": detach_trainer(delay_model),
        "profiles": profile_model,
        "response": response_model,
    }
    bundle = ScoringBundle(manifest, models)
    bundle.check()
    return bundle

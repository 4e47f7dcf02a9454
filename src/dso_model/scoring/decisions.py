"""The decision parts a bundle carries besides the delay model: profile and response models.

They are fitted here, at export time, on the same training portfolio, with the settings of the
``profiles`` and ``policy`` config groups (the packages' defaults when a group is absent).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def fit_profile_part(portfolio, settings: Mapping[str, Any] | None) -> tuple[Any, dict[str, Any]]:
    """A profile model trained with everything known at the portfolio's extraction date."""
    from dso_model.profiles import ProfileConfig, train_profile_model

    config = ProfileConfig.from_mapping(dict(settings)) if settings else ProfileConfig.default()
    trained = train_profile_model(portfolio, cutoff=portfolio.as_of, config=config)
    return trained.model, config.to_dict()


def fit_decision_parts(
    portfolio, plain: Mapping[str, Any], feature_config: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``profile_model``, ``profile_config``, ``policy_config`` and ``response_model`` for
    :func:`~dso_model.scoring.build.build_bundle` (same category codes as the bundle's)."""
    from dso_model.features import CategoryEncoder, FeatureConfig
    from dso_model.scoring.actions import fit_response_part

    profile_model, profile_config = fit_profile_part(portfolio, plain.get("profiles"))
    features = FeatureConfig.from_mapping(dict(feature_config or {}))
    encoder = CategoryEncoder().fit(portfolio.customers, portfolio.invoices)
    response_params = (plain.get("export_settings") or {}).get("response_params")
    response_model, policy_config = fit_response_part(
        portfolio, features, encoder, plain.get("policy"), response_params
    )
    return {
        "profile_model": profile_model,
        "profile_config": profile_config,
        "response_model": response_model,
        "policy_config": policy_config,
    }

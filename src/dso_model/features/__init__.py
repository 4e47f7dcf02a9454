"""Point-in-time features: one row per invoice and cut-off, from what was known strictly before it.

Families: payment history, exposure, channel response, reputation, customer attributes, invoice
and calendar. See ``docs/features.md`` (generated from the registry) for every feature.

>>> cutoffs = training_cutoffs(portfolio.invoices, rule="issue_date")   # doctest: +SKIP
>>> X = build_features(portfolio, cutoffs)                              # doctest: +SKIP
"""

from dso_model.features.build import build_features, write_features
from dso_model.features.config import FeatureConfig
from dso_model.features.cutoffs import scoring_cutoffs, training_cutoffs
from dso_model.features.encoding import CategoryEncoder
from dso_model.features.registry import (
    FAMILIES,
    FEATURE_REGISTRY,
    FeatureSpec,
    categorical_features,
    feature_names,
    feature_registry,
    features_by_family,
)

__all__ = [
    "FAMILIES",
    "FEATURE_REGISTRY",
    "CategoryEncoder",
    "FeatureConfig",
    "FeatureSpec",
    "build_features",
    "categorical_features",
    "feature_names",
    "feature_registry",
    "features_by_family",
    "scoring_cutoffs",
    "training_cutoffs",
    "write_features",
]

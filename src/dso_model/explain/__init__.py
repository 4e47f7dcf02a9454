"""What drives DSO: TreeSHAP explanations of the delay model, money-weighted attribution of ADD to
driver families, reason codes in English and Spanish, plots and a standalone HTML report.

>>> contribs = tree_contributions(delay_model, X)                     # doctest: +SKIP
>>> families = feature_families(contribs.features)                     # doctest: +SKIP
>>> attribute_add(contribs, invoices, families, by="period")           # doctest: +SKIP
>>> reason_codes(contribs, X, ("en", "es"))                            # doctest: +SKIP

See ``docs/explain.md`` for how to read each table and plot.
"""

from dso_model.explain.analysis import ExplainResult, explain_drivers, explanation_window
from dso_model.explain.attribution import (
    AddAttribution,
    attribute_add,
    average_over,
    dso_waterfall,
    top_feature_parts,
)
from dso_model.explain.contributions import (
    Contributions,
    raw_prediction,
    resolve_booster,
    tree_contributions,
)
from dso_model.explain.drivers import (
    CALENDAR_FEATURES,
    drivers_by_group,
    family_contributions,
    family_drivers,
    feature_families,
    global_drivers,
)
from dso_model.explain.reasons import explain_reasons, reason_codes, top_drivers
from dso_model.explain.settings import ExplainSettings, ReasonSettings

__all__ = [
    "CALENDAR_FEATURES",
    "AddAttribution",
    "Contributions",
    "ExplainResult",
    "ExplainSettings",
    "ReasonSettings",
    "attribute_add",
    "average_over",
    "drivers_by_group",
    "dso_waterfall",
    "explain_drivers",
    "explain_reasons",
    "explanation_window",
    "family_contributions",
    "family_drivers",
    "feature_families",
    "global_drivers",
    "raw_prediction",
    "reason_codes",
    "resolve_booster",
    "top_drivers",
    "top_feature_parts",
    "tree_contributions",
]

"""MLflow tracking for training jobs: run setup, parameters, tags, artifacts, models, registry.

Everything here imports MLflow inside functions, so importing the package stays fast.
"""

from dso_model.tracking.params import flatten_params, package_versions, run_tags
from dso_model.tracking.runs import TrackingSettings, configure_tracking, start_run

__all__ = [
    "TrackingSettings",
    "configure_tracking",
    "flatten_params",
    "package_versions",
    "run_tags",
    "start_run",
]

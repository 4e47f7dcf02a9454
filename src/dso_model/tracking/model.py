"""The delay model as an MLflow model, its registration and the ``champion`` alias.

The logged model is a pyfunc: a numeric feature frame in, one row of delay predictions out
(the columns of :meth:`DelayModel.prediction_columns`). The alias ``champion`` moves to a new
version only when it beats the current champion on the same test window (same data fingerprint
and dates, recorded as a version tag); otherwise the old champion stays.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pandas as pd

CHAMPION = "champion"
WINDOW_TAG = "test_window"
METRIC_TAG_PREFIX = "test."


def detach_trainer(model: Any) -> Any:
    """A copy of the fitted model without its trainer (a Dask client does not pickle)."""
    clean = copy.copy(model)
    clean.trainer = None
    for part in ("hazard_", "late_", "quantile_", "mean_"):
        sub = getattr(clean, part, None)
        if sub is not None:
            sub = copy.copy(sub)
            sub.trainer = None
            setattr(clean, part, sub)
    return clean


def pip_requirements() -> list[str]:
    from dso_model.tracking.params import package_versions

    versions = package_versions(("lightgbm", "scikit-learn", "pandas", "numpy", "cloudpickle"))
    return [f"{name}=={v}" for name, v in versions.items() if v != "not installed"]


def log_delay_model(model: Any, input_example: pd.DataFrame, name: str = "delay_model") -> Any:
    """Log the model to the active run with a signature and an input example; returns ModelInfo."""
    import mlflow
    from mlflow.models import infer_signature

    from dso_model.tracking.pyfunc import DelayPyfunc

    python_model = DelayPyfunc(detach_trainer(model))
    example = input_example.astype("float64")  # double in the signature: float32 input upcasts
    output = model.predict(example).reset_index(drop=True)
    return mlflow.pyfunc.log_model(
        name=name,
        python_model=python_model,
        signature=infer_signature(example, output),
        input_example=example,
        pip_requirements=pip_requirements(),
    )


@dataclass(frozen=True)
class ChampionDecision:
    """Outcome of a registration: the new version, whether it became champion, and why."""

    model_name: str
    version: str
    promoted: bool
    reason: str
    previous_version: str | None = None
    model_uri: str | None = None


def register_and_promote(
    model_uri: str,
    model_name: str,
    window: str,
    metric: str,
    value: float,
    lower_is_better: bool = True,
) -> ChampionDecision:
    """Register ``model_uri`` and move ``champion`` to it if it beats the champion on ``window``."""
    import mlflow

    client = mlflow.MlflowClient()
    version = mlflow.register_model(model_uri, model_name).version
    client.set_model_version_tag(model_name, version, WINDOW_TAG, window)
    client.set_model_version_tag(
        model_name, version, METRIC_TAG_PREFIX + metric, repr(float(value))
    )
    current = _current_champion(client, model_name)
    promoted, reason = _should_promote(current, window, metric, value, lower_is_better)
    if promoted:
        client.set_registered_model_alias(model_name, CHAMPION, version)
    client.set_model_version_tag(model_name, version, "champion_decision", reason)
    previous = str(current.version) if current is not None else None
    return ChampionDecision(model_name, str(version), promoted, reason, previous, model_uri)


def _current_champion(client: Any, model_name: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(model_name, CHAMPION)
    except MlflowException:
        return None


def _should_promote(
    current: Any, window: str, metric: str, value: float, lower_is_better: bool
) -> tuple[bool, str]:
    if current is None:
        return True, "no champion yet"
    tags = current.tags or {}
    if tags.get(WINDOW_TAG) != window:
        return (
            False,
            f"champion v{current.version} was scored on another test window ({tags.get(WINDOW_TAG)})",
        )
    recorded = tags.get(METRIC_TAG_PREFIX + metric)
    if recorded is None:
        return False, f"champion v{current.version} has no recorded {metric}"
    old = float(recorded)
    better = value < old if lower_is_better else value > old
    verdict = "beats" if better else "does not beat"
    return better, f"{metric} {value:.4f} {verdict} champion v{current.version} ({old:.4f})"

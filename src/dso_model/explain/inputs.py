"""Inputs of the explanation job: the delay model from MLflow, feature matrices, measured DSO.

These functions read from the tracking store and the portfolio; the analysis itself
(:mod:`dso_model.explain.analysis`) only sees the DataFrames and the model they return.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from dso_model.errors import DsoInputError, ModelMismatchError


def load_delay_model(model_uri: str) -> Any:
    """The fitted delay model behind an MLflow model URI (``models:/name@champion``,
    ``runs:/<id>/delay_model``...): the object the logged pyfunc wraps."""
    import mlflow

    try:
        pyfunc = mlflow.pyfunc.load_model(model_uri)
    except Exception as exc:  # MLflow raises several types for a missing model or alias
        raise DsoInputError(
            f"cannot load the model '{model_uri}': {str(exc).splitlines()[0][:200]}",
            hint="train and register one first (dso-train data=<same source>), "
            "or pass model_uri=runs:/<run id>/delay_model",
        ) from exc
    wrapped = pyfunc.unwrap_python_model()
    return getattr(wrapped, "model", wrapped)


def model_features(model: Any) -> list[str]:
    """The feature names the model was fitted on."""
    from dso_model.explain.contributions import resolve_booster

    names = getattr(model, "feature_names_in_", None)
    return [str(n) for n in names] if names is not None else resolve_booster(model).feature_name()


def feature_matrix(
    portfolio: Any,
    cutoffs: pd.DataFrame,
    names: Sequence[str],
    feature_config: Any = None,
) -> pd.DataFrame:
    """Point-in-time features at ``cutoffs`` as the model saw them in training: the numeric model
    matrix in float32 (what the logged model casts its input to), columns in model order."""
    from dso_model.features import build_features
    from dso_model.models.matrix import to_model_matrix

    built = build_features(portfolio, cutoffs, feature_config)
    missing = [n for n in names if n not in built.columns]
    if missing:
        raise ModelMismatchError(
            f"the model needs features this feature configuration does not build: {missing[:5]}",
            hint="use the feature settings the model was trained with (features=...)",
        )
    matrix = to_model_matrix(built[list(names)]).astype(np.float32)
    return matrix.reindex(cutoffs["invoice_id"].to_numpy())


def measured_dso(
    portfolio: Any, invoices: pd.DataFrame, start, end, group_by: Sequence[str]
) -> dict[str, pd.DataFrame]:
    """Monthly DSO, BPDSO and ADD of the window for the whole book and per grouping column
    (columns of ``invoices`` such as segment, country, profile_group)."""
    from dso_model.metrics import dso_measures

    common = {"start": start, "end": end, "freq": "MS", "events": portfolio.events}
    out = {"all": dso_measures(invoices, portfolio.payments, **common)}
    for column in group_by:
        if column in invoices.columns:
            out[column] = dso_measures(invoices, portfolio.payments, by=column, **common)
    return out


def profile_groups(
    portfolio: Any, as_of: pd.Timestamp, model_path: str | None = None, train: bool = True
) -> tuple[pd.Series | None, str]:
    """Each customer's profile group at ``as_of`` and a note for the report.

    The profile model comes from ``model_path`` (a file ``dso-profile`` wrote) or, with ``train``,
    is trained on this portfolio with the profiles module's default cut-off. Profiles are optional
    here: when they cannot be assigned the note says why and the report goes on without them.
    """
    import logging

    if not model_path and not train:
        return None, "not requested (no profile model)"
    try:
        from dso_model.profiles import assign_profiles, train_profile_model

        if model_path:
            from dso_model.cli.profile import load_model

            trained, how = load_model(model_path), f"model {model_path}"
        else:
            trained = train_profile_model(portfolio)
            how = f"model trained to {trained.cutoff.date()}"
        groups = assign_profiles(portfolio, as_of, trained.model)
    except Exception as exc:  # a failed optional view must not stop the report
        note = f"not available ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})"
        logging.getLogger("dso_model").warning("profile groups %s", note)
        return None, note
    return groups.set_index("customer_id")["group"], f"at {pd.Timestamp(as_of).date()}, {how}"

"""The next best action of every open invoice, from the policy's decision layer and hard limits.

The policy prices every allowed (send day, channel, hour) of the planning window with the response
model, keeps each invoice's best options and passes them through the hard limits. Here each
invoice gets one row: the option that will be sent, else the best one held for human review, else
the best blocked one (with why), else nothing. Messages are rendered for what is sent, in the
customer's language, with identifiers only: the greeting is generic and the payment link a
placeholder; the sending system fills in the name and the link.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dso_model.contract.lookup import positions_in, values_of
from dso_model.scoring.worklist import ACTION_COLUMNS, empty_actions

DECISION_RANK = {"send": 0, "review": 1, "blocked": 2}


def recommend_actions(
    snapshot,
    book: pd.DataFrame,
    X: pd.DataFrame,
    groups: pd.DataFrame,
    bundle,
    as_of,
    plan_days: int = 7,
    render: bool = True,
) -> pd.DataFrame:
    """One action row per open invoice, row-aligned with ``book`` (see ``ACTION_COLUMNS``)."""
    from dso_model.policy import DecisionInputs, PolicyConfig, decide

    model = bundle.models.get("response")
    if model is None or not len(book):
        return empty_actions(book.index)
    config = PolicyConfig.from_mapping(bundle.setting("policy") or None)
    inputs = DecisionInputs(
        as_of=as_of,
        until=as_of + pd.Timedelta(days=plan_days),
        invoices=book[["invoice_id", "customer_id", "due_date", "amount"]],
        features=X.set_axis(pd.Index(book["invoice_id"].to_numpy(), name="invoice_id")),
        customers=snapshot.customers,
        groups=groups.set_index("customer_id")["group"],
        contacts=snapshot.contacts,
        events=snapshot.events,
    )
    plan = decide(inputs, model, config).plan
    chosen = choose_per_invoice(plan)
    if render:
        chosen = with_messages(chosen, snapshot.customers, book)
    return actions_for(book, chosen)


def choose_per_invoice(plan: pd.DataFrame) -> pd.DataFrame:
    """Each invoice's sent option, else its best reviewed one, else its best blocked one."""
    rows = plan[plan["invoice_id"].notna()]
    invoice, _ = pd.factorize(rows["invoice_id"], sort=True)
    rank = values_of(rows["decision"], DECISION_RANK, fill=3)
    order = np.lexsort((-rows["priority"].to_numpy(float), rank, invoice))  # by invoice id
    first = order[np.diff(invoice[order], prepend=-1) != 0]
    return rows.take(first).reset_index(drop=True)


def with_messages(
    chosen: pd.DataFrame, customers: pd.DataFrame, book: pd.DataFrame
) -> pd.DataFrame:
    """Subject and body of every message that will be sent (the policy's templates)."""
    from dso_model.policy import render_plan

    send = chosen["decision"] == "send"
    out = chosen.assign(subject=pd.Series(pd.NA, index=chosen.index, dtype="str"))
    out["message"] = pd.Series(pd.NA, index=chosen.index, dtype="str")
    if send.any():
        invoices = book[["invoice_id", "amount", "currency", "due_date"]]
        rendered = render_plan(chosen[send], customers, invoices)
        rows = np.flatnonzero(send)
        out["subject"] = _set_rows(out["subject"], rows, pd.array(rendered["subject"], dtype="str"))
        out["message"] = _set_rows(out["message"], rows, pd.array(rendered["body"], dtype="str"))
    return out


def actions_for(book: pd.DataFrame, chosen: pd.DataFrame) -> pd.DataFrame:
    """The chosen rows laid out per ``book`` row; expected days saved only for what is sent."""
    out = empty_actions(book.index)
    position = positions_in(book["invoice_id"], chosen["invoice_id"].astype("str"))
    hit = position >= 0
    picked = chosen.iloc[position[hit]]
    send = (picked["decision"] == "send").to_numpy()
    saved = picked["p_read"].to_numpy(float) * picked["days_saved"].to_numpy(float)
    values = {
        "contact": send,
        "decision": picked["decision"].to_numpy(),
        "decision_reason": picked["reason"].to_numpy(),
        "channel": picked["channel"].to_numpy(),
        "send_date": pd.to_datetime(picked["send_date"]).to_numpy("datetime64[ns]"),
        "send_hour": picked["hour"].to_numpy(float),
        "template": picked["template"].to_numpy(),
        "tone": picked["tone"].to_numpy(),
        "subject": picked["subject"].to_numpy() if "subject" in picked else None,
        "message": picked["message"].to_numpy() if "message" in picked else None,
        "expected_days_saved": np.where(send, np.nan_to_num(saved), 0.0),
    }
    rows = np.flatnonzero(hit)
    for name, value in values.items():
        if value is not None:
            out[name] = _set_rows(out[name], rows, pd.array(value).astype(ACTION_COLUMNS[name]))
    out.loc[book.index[~hit], "decision"] = "none"
    return out


def _set_rows(column: pd.Series, rows: np.ndarray, values) -> pd.Series:
    """``column`` with the values at the positions ``rows`` replaced (dtype kept)."""
    if column.isna().all():  # taken from the values, missing elsewhere
        position = np.full(len(column), -1)
        position[rows] = np.arange(len(rows))
        array = values.take(position, allow_fill=True)
    else:
        array = column.array.copy()
        array[rows] = values
    return pd.Series(array, index=column.index, name=column.name)


def fit_response_part(
    portfolio, feature_config, encoder, settings, params: dict | None = None
) -> tuple[object, dict]:
    """The policy's response model, fitted on the logged contacts whose horizon is over.

    ``params`` (LightGBM settings of every part, e.g. ``{"n_estimators": 100}``) override the
    response model's defaults.
    """
    from dso_model.features import build_features
    from dso_model.models.matrix import to_model_matrix
    from dso_model.policy import (
        EffectModel,
        LgbmParams,
        PolicyConfig,
        ReadModel,
        ResponseModel,
        contact_units,
    )

    config = PolicyConfig.from_mapping(dict(settings)) if settings else PolicyConfig.default()
    parts = {}
    if params:
        lgbm = LgbmParams(**dict(params))
        parts = {"read": ReadModel(lgbm), "effect": EffectModel(lgbm, lgbm)}
    model = ResponseModel(
        portfolio_timezone=config.limits.portfolio_timezone, seed=config.seed, **parts
    )
    units = contact_units(portfolio, portfolio.as_of, model.horizon_days)
    cutoffs = pd.DataFrame(
        {"invoice_id": units["invoice_id"].to_numpy(), "cutoff": units["send_date"].to_numpy()}
    )
    features = build_features(portfolio, cutoffs, feature_config, encoder=encoder)
    model.fit(
        to_model_matrix(features).reset_index(drop=True),
        units.reset_index(drop=True),
        portfolio.customers,
    )
    return model, config.to_dict()

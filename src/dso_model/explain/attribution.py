"""Money-weighted attribution of predicted ADD (average days delinquent) to drivers, in days of DSO.

DSO splits into best possible DSO (BPDSO: what is owed but not yet due) and ADD (DSO - BPDSO: days
of sales overdue). By Little's law, in a period whose credit sales are ``S``, an invoice of amount
``a`` expected to be paid ``d`` days late adds ``a * d / S`` days to ADD; summed over the period's
invoices this is the predicted ADD. Each invoice's predicted days late is the model's expected
value plus its SHAP contributions, so its share of ADD splits exactly into a baseline part ("what
a typical invoice would add") and one part per feature; summing features by family and invoices
by period or segment keeps the split exact: the parts always add up to the total.

Early payment is not negative delinquency: with ``clip_early`` (default) an invoice predicted to be
paid on time or early adds nothing to ADD, and none of its contributions are counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dso_model.explain.contributions import Contributions
from dso_model.explain.drivers import BASELINE, family_contributions

PREDICTED_ADD = "predicted_add"


@dataclass(frozen=True)
class AddAttribution:
    """Predicted ADD per cell (period, segment... or one row for all) and its exact split.

    ``families``: columns ``n_invoices``, ``credit_sales``, ``predicted_add``, ``baseline`` and
    one column per family; ``baseline`` plus the families equals ``predicted_add`` on every row.
    ``features``: the same split per feature (rows are the same cells).
    """

    families: pd.DataFrame
    features: pd.DataFrame
    by: tuple[str, ...]

    def family_columns(self) -> list[str]:
        fixed = {"n_invoices", "credit_sales", PREDICTED_ADD, BASELINE}
        return [c for c in self.families.columns if c not in fixed]

    def max_gap(self) -> float:
        """Largest |baseline + families - predicted ADD| over the cells (0 up to rounding)."""
        parts = self.families[[BASELINE, *self.family_columns()]].sum(axis=1)
        gap = (parts - self.families[PREDICTED_ADD]).abs().to_numpy()
        return float(gap.max(initial=0.0))


def _cells(invoices: pd.DataFrame, by: tuple[str, ...]) -> pd.Series:
    """An integer cell code per invoice (all zero without ``by``) and the cell keys."""
    if not by:
        return pd.Series(np.zeros(len(invoices), dtype=np.int64), index=invoices.index)
    codes = invoices.groupby(list(by), sort=True, dropna=False).ngroup()
    return codes.astype(np.int64)


def _cell_index(invoices: pd.DataFrame, by: tuple[str, ...], codes: pd.Series) -> pd.Index:
    if not by:
        return pd.Index(["all"], name="cell")
    keys = invoices[list(by)].groupby(codes.to_numpy(), sort=True).first()
    return pd.MultiIndex.from_frame(keys) if len(by) > 1 else pd.Index(keys[by[0]], name=by[0])


def invoice_add_weights(
    output: pd.Series, amounts: pd.Series, cells: pd.Series, *, clip_early: bool = True
) -> np.ndarray:
    """Days of ADD per day of predicted delay for each invoice: ``amount / cell credit sales``,
    zero for invoices predicted on time or early when ``clip_early``."""
    amount = amounts.to_numpy(dtype=float)
    sales = pd.Series(amount).groupby(cells.to_numpy()).transform("sum").to_numpy()
    w = np.divide(amount, sales, out=np.zeros_like(amount), where=sales > 0)
    if clip_early:
        w = np.where(output.to_numpy(dtype=float) > 0, w, 0.0)
    return w


def attribute_add(
    contribs: Contributions,
    invoices: pd.DataFrame,
    families: Mapping[str, str],
    *,
    by: str | Sequence[str] | None = None,
    clip_early: bool = True,
    amount_column: str = "amount",
) -> AddAttribution:
    """Split predicted ADD into baseline, families and features, per cell of ``by``.

    ``invoices`` is indexed like ``contribs`` (invoice ids) with the amount and the ``by``
    columns (e.g. ``period``, ``segment``, ``country``, ``group``); the invoices of a cell are
    its credit sales, so pass the invoices issued in each period.
    """
    if contribs.units != "days":
        raise ValueError("ADD attribution needs a model whose output is in days (the delay model)")
    by_cols = (by,) if isinstance(by, str) else tuple(by or ())
    inv = invoices.reindex(contribs.values.index)
    if inv[amount_column].isna().any():
        raise KeyError("some explained invoices have no amount in the invoice table")
    codes = _cells(inv, by_cols)
    w = invoice_add_weights(contribs.output, inv[amount_column], codes, clip_early=clip_early)
    index = _cell_index(inv, by_cols, codes)
    features = _sum_by_cell(contribs.values.mul(w, axis=0), codes, index)
    fam = _sum_by_cell(family_contributions(contribs, families).mul(w, axis=0), codes, index)
    head = pd.DataFrame(
        {
            "n_invoices": np.bincount(codes, minlength=len(index)),
            "credit_sales": np.bincount(codes, weights=inv[amount_column], minlength=len(index)),
            PREDICTED_ADD: np.bincount(codes, weights=w * contribs.output, minlength=len(index)),
            BASELINE: np.bincount(codes, weights=w * contribs.expected_value, minlength=len(index)),
        },
        index=index,
    )
    return AddAttribution(pd.concat([head, fam], axis=1), features, by_cols)


def _sum_by_cell(frame: pd.DataFrame, codes: pd.Series, index: pd.Index) -> pd.DataFrame:
    summed = frame.groupby(codes.to_numpy(), sort=True).sum()
    summed = summed.reindex(range(len(index)), fill_value=0.0)
    summed.index = index
    return summed


def average_over(attribution: AddAttribution, period: str = "period") -> AddAttribution:
    """The mean over periods of each remaining cell (e.g. per segment across months).

    Means of exact splits are exact splits, so the parts still add up.
    """
    if period not in attribution.by:
        return attribution
    rest = [c for c in attribution.by if c != period]

    def mean(frame: pd.DataFrame) -> pd.DataFrame:
        flat = frame.reset_index()
        if not rest:
            return flat.drop(columns=list(attribution.by)).mean().to_frame("all").T
        return flat.drop(columns=[period]).groupby(rest, sort=True).mean()

    fam = mean(attribution.families)
    fam["n_invoices"] = _sum_counts(attribution.families, rest)
    return AddAttribution(fam, mean(attribution.features), tuple(rest))


def _sum_counts(frame: pd.DataFrame, rest: list[str]) -> np.ndarray:
    flat = frame.reset_index()
    if not rest:
        return np.array([flat["n_invoices"].sum()])
    return flat.groupby(rest, sort=True)["n_invoices"].sum().to_numpy()


def top_feature_parts(attribution: AddAttribution, n: int = 10, row: object = None) -> pd.Series:
    """The ``n`` features with the largest |days of ADD| in one cell (the first by default),
    plus "other features" so that with the baseline they still add up to predicted ADD."""
    frame = attribution.features
    values = frame.iloc[0] if row is None else frame.loc[row]
    order = values.abs().sort_values(ascending=False, kind="stable").index
    top = values[order[:n]]
    rest = values[order[n:]].sum()
    return pd.concat([top, pd.Series({"other features": rest})])


def dso_waterfall(
    bpdso: float,
    parts: pd.Series,
    measured_dso: float | None = None,
) -> pd.DataFrame:
    """Steps from BPDSO to DSO: BPDSO, then each part of predicted ADD (baseline, families), the
    predicted DSO, and, when the measured DSO is given, the model gap that closes on it.

    Columns: ``step``, ``kind`` (start / part / subtotal / gap / end), ``start``, ``end``,
    ``delta``; a part's bar runs from ``start`` to ``end``.
    """
    rows = [("BPDSO", "start", 0.0, bpdso)]
    level = bpdso
    for name, delta in parts.items():
        rows.append((str(name), "part", level, level + float(delta)))
        level += float(delta)
    rows.append(("predicted DSO", "subtotal", 0.0, level))
    if measured_dso is not None and np.isfinite(measured_dso):
        rows.append(("model gap", "gap", level, float(measured_dso)))
        rows.append(("DSO", "end", 0.0, float(measured_dso)))
    table = pd.DataFrame(rows, columns=["step", "kind", "start", "end"])
    table["delta"] = table["end"] - table["start"]
    return table

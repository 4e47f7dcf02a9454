"""Per-invoice work: delay predictions with their distribution and timing, and reason codes.

Every output row depends only on its own feature row, so the work can be cut into any pieces (by
customer blocks on a Dask cluster, by chunks in process) and put back together with identical
results. Predictions cover every open invoice; reasons cover the rows asked for (all of them, or
the top of the worklist when TreeSHAP on every invoice would cost too much).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dso_model.scoring.curve import DelayCurve
from dso_model.scoring.projection import MONTH
from dso_model.scoring.reasons import Explanation, explain_open_invoices
from dso_model.scoring.timing import predict_timing


@dataclass(frozen=True)
class RowPredictions:
    """Timing of each open invoice and its delay distribution (row-aligned)."""

    timing: pd.DataFrame
    curve: DelayCurve


def _chunks(n: int, size: int) -> list[slice]:
    return [slice(i, i + size) for i in range(0, n, max(size, 1))] or [slice(0, 0)]


def predict_rows(
    bundle, X: pd.DataFrame, book: pd.DataFrame, as_of: pd.Timestamp, chunk_size: int
) -> RowPredictions:
    """Predictions, delay distribution and timing of the open invoices in ``book`` (``X`` holds
    their model inputs, same rows)."""
    parts = [
        _predict_chunk(bundle, X.iloc[s], book.iloc[s], as_of) for s in _chunks(len(X), chunk_size)
    ]
    return concat_predictions(parts)


def _predict_chunk(
    bundle, X: pd.DataFrame, book: pd.DataFrame, as_of: pd.Timestamp
) -> RowPredictions:
    model = bundle.delay_model
    if len(X):
        cdf = model.hazard_.predict_cdf(bundle.delay_inputs(X))
        delays = bundle.predict_delays(X, hazard_cdf=cdf)
        curve = DelayCurve.from_hazard_cdf(model, cdf)
    else:
        delays = bundle.predict_delays(X)
        curve = DelayCurve.from_delay_model(model, X)
    quantiles = sorted(model.quantile_.quantiles_)
    timing = predict_timing(
        book, delays.set_axis(book.index), curve, as_of,
        grace_days=model.config_.labels.grace_days,
        interval=(float(quantiles[0]), float(quantiles[-1])),
        next_month_end=as_of + MONTH,
    )  # fmt: skip
    return RowPredictions(timing, curve)


def explain_rows(
    bundle,
    X: pd.DataFrame,
    languages: Sequence[str],
    top: int,
    chunk_size: int,
    method: str = "exact",
) -> Explanation:
    """Reason codes and family contributions of the rows of ``X`` (same index)."""
    parts = [
        explain_open_invoices(bundle, X.iloc[s], languages, top, max(chunk_size, 1), method)
        for s in _chunks(len(X), chunk_size)
    ]
    return concat_explanations(parts)


def concat_predictions(
    parts: Sequence[RowPredictions], order: np.ndarray | None = None
) -> RowPredictions:
    """Stack parts; ``order[r]`` is the stacked position of output row ``r``."""
    timing = pd.concat([p.timing for p in parts])
    cdf = np.vstack([p.curve.cdf for p in parts])
    if order is not None:
        timing, cdf = timing.iloc[order], cdf[order]
    return RowPredictions(timing, DelayCurve(parts[0].curve.knots, cdf))


def concat_explanations(
    parts: Sequence[Explanation], order: np.ndarray | None = None
) -> Explanation:
    reasons = pd.concat([p.reasons for p in parts])
    families = pd.concat([p.families for p in parts])
    if order is not None:
        reasons, families = reasons.iloc[order], families.iloc[order]
    return Explanation(reasons, families)

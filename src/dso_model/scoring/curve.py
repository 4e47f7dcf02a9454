"""Each open invoice's payment-delay distribution, and what it says once the invoice is still
unpaid at the scoring date.

The delay model's hazard part gives, per invoice, the cumulative probability of being paid at most
``edges[j]`` days after the due date. Between knots the curve is linear; below the first knot it
rises from 0 at the model's lower bound; beyond the horizon it stays flat (the rest of the mass pays
later than the horizon, or never). An invoice open at the scoring date is known not to have been
paid before it, so every probability used for the worklist and the projections is conditional on
that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

EPS = 1e-9


@dataclass(frozen=True)
class DelayCurve:
    """Cumulative distribution of days late, one row per invoice, at shared knots."""

    knots: np.ndarray  # (k,) days after due, increasing
    cdf: np.ndarray  # (n, k) P(days late <= knot)

    @classmethod
    def from_delay_model(cls, model, X: pd.DataFrame) -> DelayCurve:
        """The curve of a fitted :class:`~dso_model.models.delay.DelayModel` (its hazard part)."""
        hazard = model.hazard_
        cdf = hazard.predict_cdf(X) if len(X) else np.zeros((0, len(hazard.edges_)))
        return cls.from_hazard_cdf(model, cdf)

    @classmethod
    def from_hazard_cdf(cls, model, cdf: np.ndarray) -> DelayCurve:
        """The curve from the hazard part's ``predict_cdf`` already computed for the invoices."""
        hazard = model.hazard_
        knots = np.concatenate([[hazard.lower_bound_], hazard.edges_])
        return cls(knots, np.hstack([np.zeros((len(cdf), 1)), cdf]))

    def __len__(self) -> int:
        return len(self.cdf)

    def at(self, days: np.ndarray) -> np.ndarray:
        """P(days late <= ``days[i]``) for each row ``i``, linear between knots."""
        days = np.asarray(days, dtype=float)
        k = self.knots
        j = np.clip(np.searchsorted(k, days, side="right"), 1, len(k) - 1)
        rows = np.arange(len(days))
        lo, hi = self.cdf[rows, j - 1], self.cdf[rows, j]
        frac = np.clip((days - k[j - 1]) / (k[j] - k[j - 1]), 0.0, 1.0)
        value = lo + frac * (hi - lo)
        value = np.where(days < k[0], 0.0, value)
        return np.where(days >= k[-1], self.cdf[rows, -1], value)

    def paid_before(self, unpaid_from: np.ndarray, before: np.ndarray) -> np.ndarray:
        """P(paid on a day with days-late < ``before`` | not paid on a day < ``unpaid_from``).

        Both arguments are whole days relative to the due date. When the curve has no mass left
        after ``unpaid_from`` (the model expected it paid by now), the invoice is taken to stay
        unpaid: probability 0.
        """
        known = self.at(np.asarray(unpaid_from, dtype=float) - 1.0)
        reach = self.at(np.asarray(before, dtype=float) - 1.0)
        remaining = 1.0 - known
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(remaining > EPS, (reach - known) / remaining, 0.0)
        return np.clip(p, 0.0, 1.0)

    def conditional_quantile(self, unpaid_from: np.ndarray, q: float) -> np.ndarray:
        """Days late by which a share ``q`` of the remaining mass is paid, given unpaid before
        ``unpaid_from``; the horizon (last knot) where that share is never reached."""
        start = np.asarray(unpaid_from, dtype=float)
        known = self.at(start - 1.0)
        target = known + q * (1.0 - known)
        k, cdf = self.knots, self.cdf
        j = (cdf < target[:, None]).sum(axis=1)  # first knot reaching the target
        reached = j < len(k)
        j = np.clip(j, 1, len(k) - 1)
        rows = np.arange(len(start))
        lo, hi = cdf[rows, j - 1], cdf[rows, j]
        frac = np.where(hi > lo, (target - lo) / np.maximum(hi - lo, EPS), 1.0)
        value = k[j - 1] + np.clip(frac, 0.0, 1.0) * (k[j] - k[j - 1])
        value = np.where(reached & (1.0 - known > EPS), value, np.maximum(k[-1], start))
        return np.maximum(value, start)

    def conditional_mean(self, unpaid_from: np.ndarray) -> np.ndarray:
        """Expected days late capped at the horizon, given unpaid before ``unpaid_from``.

        Mass is spread evenly within each segment; what is left beyond the horizon counts as the
        horizon. Where no mass is left the answer is ``max(unpaid_from, horizon)``.
        """
        start = np.asarray(unpaid_from, dtype=float)
        k = self.knots
        known = self.at(start - 1.0)
        total = np.zeros(len(start))
        for j in range(1, len(k)):
            lo = np.maximum(k[j - 1], start - 1.0)
            hi = np.full(len(start), k[j])
            mass = np.where(hi > lo, self.at(hi) - self.at(lo), 0.0)
            total += np.clip(mass, 0.0, None) * (lo + hi) / 2
        tail = 1.0 - self.cdf[:, -1]
        total += tail * np.maximum(k[-1], start)
        remaining = 1.0 - np.minimum(known, self.cdf[:, -1])
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(remaining > EPS, total / remaining, np.maximum(k[-1], start))
        return np.maximum(mean, start)


def days_between(later: pd.Series | np.ndarray, earlier: pd.Series | np.ndarray) -> np.ndarray:
    """Whole days ``later - earlier`` as floats."""
    delta = np.asarray(later, dtype="datetime64[ns]") - np.asarray(earlier, dtype="datetime64[ns]")
    return (delta / np.timedelta64(1, "D")).astype(float)

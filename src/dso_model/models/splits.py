"""Walk-forward time splits by issue date: train, then validation, then test, never at random.

Each fold mimics a model trained at the start of its test window (the fold's ``cutoff``) with what
was known then::

    [train_start ......... train_end) [val_start ... val_end)  gap  [test_start ... test_end)
                                                                     ^ cutoff: labels known here

Training and validation labels are taken as known at the cut-off (open invoices censored there).
The gap between validation and test is at least the label horizon, so validation delays have
mostly played out by the cut-off. Test windows follow one another and the last one ends where
the data can still tell every test invoice's delay up to the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dso_model.errors import DsoInputError


@dataclass(frozen=True)
class SplitConfig:
    """Walk-forward fold layout, in days of issue date."""

    n_folds: int = 3
    test_days: int = 60
    val_days: int = 60
    gap_days: int = 120
    min_train_days: int = 180
    horizon_days: int = 90

    def __post_init__(self) -> None:
        if self.gap_days < self.horizon_days:
            raise ValueError("gap_days must be at least the label horizon (horizon_days)")
        if min(self.n_folds, self.test_days, self.val_days, self.min_train_days) <= 0:
            raise ValueError("n_folds, test_days, val_days and min_train_days must be positive")


@dataclass(frozen=True)
class Fold:
    """One walk-forward fold; every window is ``[start, end)`` on the issue date."""

    index: int
    train_start: pd.Timestamp
    val_start: pd.Timestamp
    val_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp

    @property
    def cutoff(self) -> pd.Timestamp:
        """When this fold's model is trained: labels of train and validation are known here."""
        return self.test_start

    def window(self, issue_dates: pd.Series, part: str) -> np.ndarray:
        """Boolean mask of the invoices issued in ``part`` (train, val or test)."""
        start, end = {
            "train": (self.train_start, self.val_start),
            "val": (self.val_start, self.val_end),
            "test": (self.test_start, self.test_end),
        }[part]
        values = issue_dates.to_numpy(dtype="datetime64[ns]")
        return (values >= np.datetime64(start)) & (values < np.datetime64(end))

    def test_window_tag(self) -> str:
        return f"{self.test_start.date()}..{self.test_end.date()}"


def last_evaluable_issue_date(
    invoices: pd.DataFrame, as_of: pd.Timestamp, horizon_days: int
) -> pd.Timestamp:
    """Latest issue date such that most invoices issued before it are due + horizon before ``as_of``.

    Uses the 90th percentile of payment terms so one long-term invoice does not end the data early.
    """
    terms = (invoices["due_date"] - invoices["issue_date"]).dt.days
    typical = int(np.ceil(np.nanquantile(terms.to_numpy(dtype=float), 0.9))) if len(terms) else 0
    return (pd.Timestamp(as_of) - pd.Timedelta(days=horizon_days + typical)).normalize()


def walk_forward_folds(
    invoices: pd.DataFrame, as_of: pd.Timestamp, config: SplitConfig | None = None
) -> list[Fold]:
    """Consecutive test windows ending at the last evaluable issue date, oldest fold first."""
    cfg = config or SplitConfig()
    first = pd.Timestamp(invoices["issue_date"].min()).normalize()
    end = last_evaluable_issue_date(invoices, as_of, cfg.horizon_days)
    folds = []
    for k in range(cfg.n_folds):
        test_end = end - pd.Timedelta(days=cfg.test_days * (cfg.n_folds - 1 - k))
        test_start = test_end - pd.Timedelta(days=cfg.test_days)
        val_end = test_start - pd.Timedelta(days=cfg.gap_days)
        val_start = val_end - pd.Timedelta(days=cfg.val_days)
        folds.append(Fold(k, first, val_start, val_end, test_start, test_end))
    if folds[0].val_start - first < pd.Timedelta(days=cfg.min_train_days):
        span = (end - first).days
        raise DsoInputError(
            f"not enough history for {cfg.n_folds} walk-forward folds: the data spans {span} "
            f"evaluable days, the layout needs "
            f"{cfg.min_train_days + cfg.val_days + cfg.gap_days + cfg.n_folds * cfg.test_days}",
            table="invoices",
            column="issue_date",
            hint="lower split.n_folds, split.test_days, split.val_days or split.min_train_days",
        )
    return folds

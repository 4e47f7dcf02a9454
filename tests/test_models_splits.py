"""Walk-forward folds: time order, gaps, no overlap, clear errors."""

import pandas as pd
import pytest

from dso_model.errors import DsoInputError
from dso_model.models.splits import SplitConfig, walk_forward_folds


def _invoices(days: int = 900) -> pd.DataFrame:
    issue = pd.date_range("2022-01-01", periods=days, freq="D")
    return pd.DataFrame({"issue_date": issue, "due_date": issue + pd.Timedelta(days=30)})


def test_folds_are_ordered_with_a_gap_and_consecutive_tests():
    inv = _invoices()
    as_of = inv["issue_date"].max() + pd.Timedelta(days=1)
    cfg = SplitConfig(
        n_folds=3, test_days=60, val_days=60, gap_days=90, min_train_days=180, horizon_days=90
    )
    folds = walk_forward_folds(inv, as_of, cfg)
    assert len(folds) == 3
    for f in folds:
        assert f.train_start < f.val_start < f.val_end < f.test_start < f.test_end
        assert (f.test_start - f.val_end).days == 90
        assert f.cutoff == f.test_start
        tr, va, te = (f.window(inv["issue_date"], p) for p in ("train", "val", "test"))
        assert not (tr & va).any() and not (va & te).any() and not (tr & te).any()
        assert inv["issue_date"][tr].max() < inv["issue_date"][va].min()
    for a, b in zip(folds, folds[1:], strict=False):
        assert a.test_end == b.test_start
    # the last test invoice's delay is visible up to the horizon before the data ends
    last_due = inv["due_date"][folds[-1].window(inv["issue_date"], "test")].max()
    assert last_due + pd.Timedelta(days=90) < as_of


def test_gap_shorter_than_the_horizon_is_refused():
    with pytest.raises(ValueError, match="gap_days"):
        SplitConfig(gap_days=30, horizon_days=90)


def test_too_little_history_names_the_settings_to_change():
    inv = _invoices(300)
    with pytest.raises(DsoInputError, match="walk-forward") as err:
        walk_forward_folds(inv, inv["issue_date"].max(), SplitConfig())
    assert "split.n_folds" in err.value.render()

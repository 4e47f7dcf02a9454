"""The leakage study: random splits and leaky columns against the honest walk-forward split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from dso_model.pipeline.leakage_study import (
    HINDSIGHT_MEAN,
    OUTCOMES,
    POINT_IN_TIME,
    RANDOM_SPLIT,
    TIME_SPLIT,
    leak_sets,
    leakage_study,
    leaky_columns,
    random_split_masks,
    with_leaky_features,
)
from dso_model.pipeline.train import FeatureMatrix


def test_random_split_masks_partition_the_rows():
    masks = random_split_masks(101, n_splits=4, val_share=0.25, seed=3)
    tests = np.stack([te for _, _, te in masks])
    assert (tests.sum(axis=0) == 1).all()  # every row is tested exactly once
    for tr, va, te in masks:
        assert not (tr & va).any() and not (tr & te).any() and not (va & te).any()
        assert (tr | va | te).all()
        assert va.sum() == round(0.25 * (~te).sum())
    again = random_split_masks(101, n_splits=4, val_share=0.25, seed=3)
    assert all((a[0] == b[0]).all() for a, b in zip(masks, again, strict=True))


def test_leaky_columns_are_numeric_and_look_into_the_future():
    invoices = pd.DataFrame(
        {"invoice_id": ["a", "b", "c", "d"], "customer_id": ["x", "x", "x", "y"]}
    )
    outcomes = pd.DataFrame(
        {
            "invoice_id": ["d", "c", "b", "a"],
            "DaysLate": ["4", "9", "0", "3"],
            "Disputed": ["Yes", "No", "no", "YES"],
        }
    )
    leaks = leaky_columns(invoices, outcomes)
    assert list(leaks.columns) == ["leak_DaysLate", "leak_Disputed", HINDSIGHT_MEAN]
    assert leaks.loc["a", "leak_Disputed"] == 1.0 and leaks.loc["b", "leak_Disputed"] == 0.0
    # the customer's mean over all its invoices, the later ones included: hindsight
    assert leaks.loc[["a", "b", "c"], HINDSIGHT_MEAN].tolist() == [4.0, 4.0, 4.0]
    assert leaks.loc["d", HINDSIGHT_MEAN] == 4.0
    assert list(leak_sets(leaks)) == [POINT_IN_TIME, "+ customer mean over all invoices", OUTCOMES]

    frame = pd.DataFrame({"f": [1.0, 2.0, 3.0, 4.0]}, index=pd.Index(list("abcd")))
    joined = with_leaky_features(FeatureMatrix(frame, ("f",)), leaks)
    assert list(joined.frame.index) == list("abcd") and joined.categorical == ("f",)
    assert joined.frame.loc["c", "leak_DaysLate"] == 9.0
    assert list(frame.columns) == ["f"]  # the input matrix is untouched


@pytest.mark.slow
def test_leaky_columns_inflate_the_scores_the_time_split_reports(ibm_csv):
    from dso_model.config import compose_config
    from dso_model.data import load_data
    from dso_model.pipeline.settings import TrainSettings
    from dso_model.pipeline.train import prepare_features

    cfg = compose_config(
        "train",
        [
            "data=ibm_ar",
            "model=fast",
            "model.params.n_jobs=1",
            "split.n_folds=2",
            "evaluation.baselines=[on_time,customer_mean]",
        ],
    )
    settings = TrainSettings.from_mapping(OmegaConf.to_container(cfg, resolve=True))
    data = load_data(cfg.data, cfg.paths)
    features = prepare_features(data.portfolio, settings)
    assert not any(c.startswith("leak_") for c in features.frame.columns)
    leaks = leaky_columns(data.portfolio.invoices, data.outcomes)

    study = leakage_study(settings, data, features, leaks, n_splits=2)
    table = study.table
    honest = table.loc[(TIME_SPLIT, POINT_IN_TIME)]
    assert honest["mae"] == pytest.approx(study.honest.score("mae"))
    assert study.honest.score("mae") < study.honest.score("mae", model="on_time")
    for split in (TIME_SPLIT, RANDOM_SPLIT):
        leaky = table.loc[(split, OUTCOMES)]
        assert leaky["mae"] < 0.5 * honest["mae"]
        assert leaky["pr_auc"] > honest["pr_auc"] + 0.1
    assert set(study.scores["fold"]) == {f.fold.index for f in study.honest.folds}


def test_study_metrics_flatten_the_table_for_tracking():
    from dso_model.pipeline.leakage_study import HINDSIGHT, study_metrics

    index = pd.MultiIndex.from_tuples(
        [(TIME_SPLIT, POINT_IN_TIME), (RANDOM_SPLIT, HINDSIGHT), (RANDOM_SPLIT, OUTCOMES)],
        names=["split", "features"],
    )
    table = pd.DataFrame({"mae": [6.0, 5.5, 0.8], "pr_auc": [0.7, np.nan, 1.0]}, index=index)
    assert study_metrics(table) == {
        "time.point_in_time.mae": 6.0,
        "time.point_in_time.pr_auc": 0.7,
        "random.hindsight_mean.mae": 5.5,
        "random.outcomes.mae": 0.8,
        "random.outcomes.pr_auc": 1.0,
    }

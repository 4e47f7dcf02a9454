"""The pure training pipeline on a small synthetic book: folds, baselines, metrics, results table."""

import numpy as np
import pandas as pd
import pytest

from dso_model.data import LoadedData
from dso_model.models.toy import make_delay_dataset, toy_portfolio
from dso_model.pipeline.report import render_results, results_table, results_title
from dso_model.pipeline.settings import TrainSettings
from dso_model.pipeline.train import DELAY_MODEL, FeatureMatrix, train

FAST_MODEL = {
    "params": {
        "n_estimators": 60,
        "learning_rate": 0.2,
        "num_leaves": 15,
        "max_bin": 63,
        "early_stopping_rounds": 10,
    }
}


def toy_inputs(n_invoices: int = 5000, seed: int = 0):
    invoices, features = make_delay_dataset(n_invoices, 400, seed=seed)
    data = LoadedData("toy", toy_portfolio(invoices))
    return data, FeatureMatrix(features)


@pytest.fixture(scope="module")
def result():
    data, features = toy_inputs()
    settings = TrainSettings.from_mapping(
        {
            "model": FAST_MODEL,
            "split": {"n_folds": 2, "test_days": 60, "val_days": 60, "gap_days": 90},
        }
    )
    return train(settings, data, features)


def test_train_scores_every_model_on_every_fold(result):
    assert len(result.folds) == 2
    models = set(result.metrics["model"])
    assert models == {
        DELAY_MODEL,
        "on_time",
        "customer_mean",
        "last_delay",
        "linear",
    }  # no oracle: not simulated
    assert set(result.metrics["fold"]) == {0, 1}
    assert {"segment", "history"} <= set(result.metrics["group_by"])
    assert set(result.metrics["weighting"]) == {"count", "amount"}
    last = result.folds[-1]
    assert result.test_window == last.fold.test_window_tag()
    assert last.sizes["train"] > last.sizes["val"] > 0 and last.sizes["test"] > 0


def test_delay_model_beats_the_simple_baselines_on_toy_data(result):
    mae = {
        m: result.score("mae", m) for m in ("delay_model", "on_time", "customer_mean", "last_delay")
    }
    assert mae["delay_model"] < min(mae["on_time"], mae["customer_mean"], mae["last_delay"])
    assert result.score("roc_auc") > result.score("roc_auc", "customer_mean")
    assert 0.7 < result.score("coverage") < 0.9
    assert np.isfinite(result.val_score("mae"))


def test_results_table_lists_models_and_headline_metrics(result):
    table = results_table(result)
    assert table.index[0] == DELAY_MODEL
    assert {"MAE (days)", "PR-AUC", "ECE", "coverage", "MAE $-wtd"} <= set(table.columns)
    text = render_results(table, results_title(result))
    assert "delay_model" in text and "customer_mean" in text
    assert not result.calibration.empty and set(result.calibration["model"]) >= {DELAY_MODEL}
    assert list(result.input_example.columns) == list(result.model.feature_names_in_)


def test_training_is_reproducible():
    data, features = toy_inputs(2500, seed=1)
    settings = TrainSettings.from_mapping({"model": FAST_MODEL, "split": {"n_folds": 1}})
    a = train(settings, data, features)
    b = train(settings, data, features)
    pd.testing.assert_frame_equal(a.metrics, b.metrics)

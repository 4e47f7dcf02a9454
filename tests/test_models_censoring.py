"""Censoring: the hazard model is less biased than dropping invoices open at the cut-off."""

import numpy as np
import pandas as pd
import pytest

from dso_model.models.boosting import BoostingParams
from dso_model.models.censoring import CensoringConfig, censoring_experiment
from dso_model.models.matrix import to_model_matrix
from dso_model.models.toy import make_delay_dataset


@pytest.fixture(scope="module")
def bias():
    invoices, features = make_delay_dataset(6000, 400, seed=11)
    cfg = CensoringConfig(
        params=BoostingParams(
            n_estimators=60, learning_rate=0.1, num_leaves=15, early_stopping_rounds=0, n_jobs=1
        )
    )
    table = censoring_experiment(
        invoices, features, ["2023-03-01", "2023-06-01"], invoices.attrs["as_of"], cfg
    )
    return table.assign(abs_bias=table["bias"].abs())


def test_experiment_reports_every_strategy_population_and_quantity(bias):
    assert set(bias["strategy"]) == {"drop_open", "horizon_elapsed", "hazard"}
    assert set(bias["population"]) == {"recent", "test"}
    assert set(bias["quantity"]) == {"p_late", "days_late_capped"}
    assert (bias["n"] > 50).all()


@pytest.mark.parametrize("quantity", ["p_late", "days_late_capped"])
def test_hazard_is_less_biased_than_dropping_open_invoices(bias, quantity):
    mean_abs = bias[bias["quantity"] == quantity].groupby("strategy")["abs_bias"].mean()
    assert mean_abs["hazard"] < mean_abs["drop_open"]
    # dropping open invoices keeps the fast payers: it predicts too little delay
    dropped = bias[(bias["quantity"] == quantity) & (bias["strategy"] == "drop_open")]
    assert (dropped["bias"] < 0).all()


def test_model_matrix_encodes_categories_and_booleans_as_floats():
    frame = pd.DataFrame(
        {
            "n": [1, 2, None],
            "flag": pd.array([True, None, False], dtype="boolean"),
            "segment": pd.Categorical(["sme", None, "consumer"], categories=["consumer", "sme"]),
        },
        index=pd.Index(["a", "b", "c"], name="invoice_id"),
    )
    out = to_model_matrix(frame)
    assert (out.dtypes == np.float32).all() and out.index.equals(frame.index)
    assert out["segment"].tolist()[0] == 1.0 and np.isnan(out["segment"].iloc[1])
    assert out["flag"].iloc[0] == 1.0 and np.isnan(out["flag"].iloc[1])

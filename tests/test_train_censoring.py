"""The censoring study on the simulator, where the full outcomes are known: the hazard model is
less biased than dropping the invoices still open at the training cut-off."""

import pytest

from dso_model.cli.train import run_job
from dso_model.config import compose_config

pytestmark = pytest.mark.slow


def test_censoring_experiment_on_simulated_data(tmp_path):
    overrides = [
        "data=synthetic",
        "data.sim=small",
        "experiment=censoring",
        "censoring.cutoffs=[2024-07-01,2024-08-15]",
        "censoring.train_days=180",
        "censoring.n_estimators=60",
        "model.params.learning_rate=0.1",
        "mlflow.enabled=false",
    ]
    outcome = run_job(compose_config("train", overrides), tmp_path, overrides)
    summary = outcome.table.set_index(["population", "quantity", "strategy"])
    assert "drop_open" in outcome.text and "hazard" in outcome.text
    for population in ("recent", "test"):
        for quantity in ("p_late", "days_late_capped"):
            rows = summary.loc[(population, quantity)]
            assert rows.loc["hazard", "abs_bias"] < rows.loc["drop_open", "abs_bias"], (
                population,
                quantity,
            )
            assert rows.loc["drop_open", "bias"] < 0  # keeps the fast payers: too optimistic
    assert (tmp_path / "censoring_results.txt").exists()

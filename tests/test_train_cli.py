"""dso-train end to end: the IBM benchmark through the Hydra config, MLflow store at the project
root, results table, registered champion; and the Dask trainer."""

from pathlib import Path

import mlflow
import pytest

from dso_model.cli.train import run_job
from dso_model.config import compose_config
from dso_model.pipeline.settings import TrainSettings
from dso_model.pipeline.train import train
from dso_model.tracking.model import CHAMPION
from test_train_pipeline import FAST_MODEL, toy_inputs

pytestmark = pytest.mark.slow


def test_dso_train_on_ibm_runs_end_to_end(ibm_csv, isolated_root, tmp_path, capsys):
    overrides = [
        "data=ibm_ar",
        "model=fast",
        "split.n_folds=2",
        "evaluation.baselines=[on_time,customer_mean]",
    ]
    cfg = compose_config("train", overrides)
    outcome = run_job(cfg, tmp_path / "out", overrides)
    printed = capsys.readouterr().out
    assert "delay_model" in printed and "customer_mean" in printed and "MAE" in printed
    assert (tmp_path / "out" / "train_results.txt").read_text() == outcome.text
    assert outcome.decision.promoted and outcome.decision.model_name == "dso_delay_ibm_ar"
    # the default store is a SQLite file at the project root, artifacts beside it
    assert (isolated_root / "mlflow.db").exists()
    run = mlflow.get_run(outcome.run_id)
    assert run.info.artifact_uri.startswith(Path(isolated_root / "mlartifacts").as_uri())
    assert run.data.params["data.name"] == "ibm_ar"
    assert run.data.tags["test_window"].endswith(outcome.result.test_window)
    files = {a.path for a in mlflow.MlflowClient().list_artifacts(outcome.run_id, "config")}
    assert files == {"config/config.yaml", "config/overrides.txt"}
    version = mlflow.MlflowClient().get_model_version_by_alias("dso_delay_ibm_ar", CHAMPION)
    assert str(version.version) == outcome.decision.version


@pytest.mark.parametrize(
    "overrides",
    [
        [],
        ["experiment=search"],
        ["experiment=censoring"],
        ["trainer=dask", "model=large"],
        ["model=fast", "data=ibm_ar", "labels.grace_days=5"],
    ],
)
def test_config_variants_compose_into_settings(overrides):
    from omegaconf import OmegaConf

    cfg = compose_config("train", overrides)
    settings = TrainSettings.from_mapping(OmegaConf.to_container(cfg, resolve=True))
    assert settings.split.gap_days >= settings.labels.horizon_days
    assert settings.model.labels == settings.labels
    assert cfg.features.grace_days == settings.labels.grace_days
    assert cfg.task in ("train", "search", "censoring")


def test_bad_settings_are_user_errors(tmp_path):
    from dso_model.errors import DsoInputError

    cfg = compose_config("train", ["data=ibm_ar", "split.gap_days=10"])
    with pytest.raises(DsoInputError, match="gap_days"):
        run_job(cfg, tmp_path)


def test_dask_trainer_trains_without_early_stopping():
    data, features = toy_inputs(2000, seed=6)
    model = {"params": {**FAST_MODEL["params"], "n_estimators": 8}}
    settings = TrainSettings.from_mapping(
        {"model": model, "split": {"n_folds": 1}, "trainer": {"kind": "dask", "n_workers": 2}}
    )
    result = train(settings, data, features)
    assert set(result.model.boosting_rounds().values()) == {8}  # every model used all its rounds
    assert result.score("mae") < result.score("mae", "on_time")
    assert result.model.trainer is not None and result.model.trainer._client is None  # closed


def test_leakage_experiment_shows_what_leaks_would_claim(ibm_csv, isolated_root, tmp_path):
    cfg = compose_config("train", ["experiment=leakage_ibm", "leakage.random_splits=2"])
    outcome = run_job(cfg, tmp_path / "out")
    table = outcome.table
    honest = table.loc[("time split (walk-forward)", "point-in-time features")]
    leaky = table.loc[("random split", "+ the invoice's outcome columns")]
    assert leaky["mae"] < honest["mae"] / 2 and leaky["pr_auc"] > honest["pr_auc"]
    assert (tmp_path / "out" / "leakage_results.txt").read_text() == outcome.text
    metrics = mlflow.get_run(outcome.run_id).data.metrics
    assert metrics["time.point_in_time.mae"] == pytest.approx(honest["mae"])


def test_leakage_study_needs_outcome_columns():
    from types import SimpleNamespace

    from dso_model.cli.train import _run_leakage
    from dso_model.errors import DsoInputError

    data = SimpleNamespace(name="synthetic-small", outcomes=None)
    with pytest.raises(DsoInputError, match="outcome columns"):
        _run_leakage({"leakage": {"random_splits": 2}}, None, data, None)

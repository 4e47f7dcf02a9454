"""MLflow tracking of training jobs: a SQLite store, the registry's champion rule, a real
``mlflow server`` on localhost, and a tiny nested search.

One SQLite store is created per module (creating its tables is the slow part); the server test
serves that same store over HTTP with its own artifact root.
"""

import socket
import subprocess
import sys
import time
import urllib.request

import mlflow
import pytest

from dso_model.pipeline.settings import TrainSettings
from dso_model.pipeline.train import train
from dso_model.tracking import (
    TrackingSettings,
    configure_tracking,
    flatten_params,
    run_tags,
    start_run,
)
from dso_model.tracking.model import CHAMPION, register_and_promote
from dso_model.tracking.record import log_and_register, log_train_result
from dso_model.tracking.search import tracked_search
from test_train_pipeline import FAST_MODEL, toy_inputs

pytestmark = pytest.mark.slow


def _settings(**params) -> TrainSettings:
    model = {"params": {**FAST_MODEL["params"], **params}}
    return TrainSettings.from_mapping({"model": model, "split": {"n_folds": 1}, "seed": 3})


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow_store")
    tracking = TrackingSettings(
        tracking_uri=f"sqlite:///{root}/mlflow.db",
        experiment_name="delay-test",
        registered_model_name="delay_toy",
        artifact_location=str(root / "artifacts"),
    )
    configure_tracking(tracking)
    return root, tracking


@pytest.fixture(scope="module")
def toy():
    return toy_inputs(2500, seed=2)


def _log(tracking, result, data, name):
    with start_run(
        tracking, run_name=name, tags=run_tags(data.name, result.data_fingerprint)
    ) as run:
        log_train_result(result, flatten_params({"model": FAST_MODEL, "seed": 3}))
        decision = log_and_register(result, tracking.registered_model_name)
    return run.info.run_id, decision


@pytest.fixture(scope="module")
def tracked(store, toy):
    _, tracking = store
    data, features = toy
    result = train(_settings(), data, features)
    run_id, decision = _log(tracking, result, data, "first")
    return result, run_id, decision


def test_flatten_params_dots_nested_keys():
    flat = flatten_params({"a": {"b": {"c": 1}, "d": [1, 2]}, "e": {}, "f": None})
    assert flat == {"a.b.c": "1", "a.d": "[1, 2]", "e": "{}", "f": "None"}


def test_run_records_params_tags_metrics_artifacts_and_model(store, tracked):
    root, _ = store
    result, run_id, decision = tracked
    assert decision.promoted and decision.reason == "no champion yet"
    run = mlflow.get_run(run_id)
    assert run.data.params["model.params.n_estimators"] == "60"
    assert run.data.tags["data.fingerprint"] == result.data_fingerprint
    assert "package.lightgbm" in run.data.tags and "code.git_commit" in run.data.tags
    assert run.data.metrics["delay_model.mae"] == pytest.approx(result.score("mae"))
    for key in (
        "fold0.customer_mean.mae",
        "delay_model.amount.mae",
        "delay_model.history.history.mae",
    ):
        assert key in run.data.metrics
    client = mlflow.MlflowClient()
    artifacts = {a.path for a in client.list_artifacts(run_id, "results")}
    assert {"results/results_table.txt", "results/metrics_by_fold.csv"} <= artifacts
    plots = {a.path for a in client.list_artifacts(run_id, "plots")}
    assert plots == {
        "plots/calibration.png",
        "plots/residuals_by_group.png",
        "plots/feature_importance.png",
    }
    assert str(root / "artifacts") in run.info.artifact_uri  # never the current directory

    champion = mlflow.pyfunc.load_model(f"models:/delay_toy@{CHAMPION}")
    assert champion.metadata.signature is not None
    pred = champion.predict(result.input_example)
    assert list(pred.columns) == result.model.prediction_columns()
    assert len(pred) == len(result.input_example)


def test_champion_moves_only_when_it_beats_the_champion_on_the_same_window(store, tracked):
    result, _, first = tracked
    window = f"{result.data_fingerprint}:{result.test_window}"
    score = result.last_fold_score("mae")
    client = mlflow.MlflowClient()

    def champion_version():
        return str(client.get_model_version_by_alias("delay_toy", CHAMPION).version)

    worse = register_and_promote(first.model_uri, "delay_toy", window, "mae", score + 1.0)
    assert not worse.promoted and "does not beat" in worse.reason
    assert champion_version() == first.version
    elsewhere = register_and_promote(
        first.model_uri, "delay_toy", "other:2020-01-01..2020-03-01", "mae", 0.0
    )
    assert not elsewhere.promoted and "another test window" in elsewhere.reason
    assert champion_version() == first.version
    better = register_and_promote(first.model_uri, "delay_toy", window, "mae", score - 1.0)
    assert better.promoted and better.previous_version == first.version
    assert champion_version() == better.version


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mlflow server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("mlflow server did not come up")


@pytest.fixture
def mlflow_server(store, tmp_path):
    root, _ = store
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        f"sqlite:///{root}/mlflow.db",
        "--serve-artifacts",
        "--artifacts-destination",
        str(tmp_path / "served"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc)
        yield url, tmp_path / "served"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_training_is_tracked_on_a_real_mlflow_server(mlflow_server, tracked, toy):
    url, served = mlflow_server
    result, _, _ = tracked
    data, _ = toy
    remote = TrackingSettings(
        tracking_uri=url, experiment_name="delay-server", registered_model_name="delay_server"
    )
    run_id, decision = _log(remote, result, data, "server")
    assert decision.promoted
    client = mlflow.MlflowClient(tracking_uri=url, registry_uri=url)
    run = client.get_run(run_id)
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")
    assert run.data.metrics["delay_model.mae"] == pytest.approx(result.score("mae"))
    assert any(
        a.path == "results/results_table.txt" for a in client.list_artifacts(run_id, "results")
    )
    assert any(served.rglob("results_table.txt"))  # the server stored the artifacts in its root
    model = mlflow.pyfunc.load_model(f"models:/delay_server@{CHAMPION}")
    assert len(model.predict(result.input_example)) == len(result.input_example)


def test_tiny_search_logs_nested_trials_under_one_parent(store, toy):
    _, tracking = store
    data, features = toy
    space = {
        "learning_rate": {"low": 0.1, "high": 0.3, "log": True},
        "num_leaves": {"low": 4, "high": 16, "type": "int"},
    }
    with start_run(tracking, run_name="search") as parent:
        outcome = tracked_search(
            lambda p: train(_settings(**p), data, features), space, n_trials=2, seed=0
        )
    children = mlflow.search_runs(
        experiment_ids=[parent.info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
    )
    assert len(children) == 2
    assert set(outcome.best_params) == {"learning_rate", "num_leaves"}
    assert outcome.best_value == pytest.approx(outcome.best_result.val_score("mae"))
    assert outcome.best_value == pytest.approx(min(outcome.study.trials_dataframe()["value"]))


def test_without_registration_the_model_is_still_logged(store, tracked, toy):
    _, tracking = store
    result, _, _ = tracked
    data, _ = toy
    with start_run(tracking, run_name="unregistered", tags=run_tags(data.name, "x")) as run:
        assert log_and_register(result, "delay_unregistered", register=False) is None
    loaded = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/delay_model")
    assert len(loaded.predict(result.input_example)) == len(result.input_example)
    names = [m.name for m in mlflow.MlflowClient().search_registered_models()]
    assert "delay_unregistered" not in names

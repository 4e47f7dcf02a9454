"""dso-score as a user runs it (slow: trains, exports and scores twice): export from a registered delay model, score, files, no personal
data anywhere, then again in a fresh process from the registered bundle."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from test_score_bundle import small_bundle, small_case

pytestmark = pytest.mark.slow


def _register_delay_model(portfolio, model, X, name: str) -> None:
    """What dso-train leaves behind: config artifact, data fingerprint tag, registered champion."""
    import mlflow

    from dso_model.features import FeatureConfig
    from dso_model.pipeline.train import data_fingerprint
    from dso_model.tracking.model import log_delay_model, register_and_promote

    with mlflow.start_run(tags={"data.fingerprint": data_fingerprint(portfolio.invoices)}):
        mlflow.log_text(
            yaml.safe_dump({"features": FeatureConfig().to_dict()}), "config/config.yaml"
        )
        info = log_delay_model(model, X.head(5).reset_index(drop=True))
    register_and_promote(info.model_uri, name, "window", "mae", 1.0)


# Small profile and response models: the tests check the wiring, not the models' quality.
FAST_EXPORT = [
    "profiles.model.n_estimators=40",
    "profiles.model.early_stopping_rounds=0",
    "++export_settings.response_params={n_estimators: 40, num_leaves: 7, min_child_samples: 20}",
]


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    portfolio, _, _ = small_case()
    folder = tmp_path_factory.mktemp("book") / "portfolio"
    portfolio.to_parquet(folder)
    return folder


def _run(overrides: list[str], out: Path):
    from dso_model.config import compose_config
    from dso_model.scoring.job import run_score_job

    cfg = compose_config("score", [*overrides, f"output.dir={out}", "progress=false"])
    return run_score_job(cfg, out)


@pytest.fixture(scope="module")
def exported(book, tmp_path_factory):
    """One store for the module: a registered delay model, then ``dso-score export=true``, with
    everything it printed and logged."""
    import contextlib
    import io

    from omegaconf import OmegaConf

    from dso_model.config import compose_config
    from dso_model.scoring.job import tracking_settings
    from dso_model.tracking import configure_tracking

    portfolio, model, X = small_case()
    store = tmp_path_factory.mktemp("store")
    base = ["data=parquet", f"data.path={book}", f"paths.root_dir={store}"]
    plain = OmegaConf.to_container(compose_config("score", base), resolve=True)
    configure_tracking(tracking_settings(plain))
    _register_delay_model(portfolio, model, X, "dso_delay_parquet")
    out, err, logs = io.StringIO(), io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(logs)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            outcome = _run([*base, "export=true", *FAST_EXPORT], store / "out")
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    texts = {"stdout": out.getvalue(), "stderr": err.getvalue(), "log": logs.getvalue()}
    return outcome, texts, store, base


def test_export_score_then_a_fresh_process_no_personal_data_anywhere(exported, tmp_path):
    from dso_model.scoring.privacy import personal_values

    outcome, texts, store, base = exported
    personal = personal_values(small_case()[0])
    assert len(personal) > 100 and any("@" in v for v in personal)  # names, e-mails and phones
    assert outcome.model_uri == "models:/dso_scoring_parquet@champion"
    for path in (outcome.paths.worklist, outcome.paths.figures, outcome.paths.briefing):
        assert path.exists() and str(path) in texts["stdout"]
    assert "bundle registered: dso_scoring_parquet v1" in texts["stdout"]
    assert len(outcome.result.worklist) > 50
    # the registered bundle scores again in a fresh process, to the same bytes
    env = {**os.environ, "DSO_MODEL_ROOT": str(store)}
    command = [
        sys.executable, "-m", "dso_model.cli.score", *base[:2],
        f"model.uri={outcome.model_uri}", "progress=false", f"hydra.run.dir={tmp_path / 'fresh'}",
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"worklist: {tmp_path / 'fresh' / 'worklist.parquet'}" in done.stdout
    for name in ("worklist.parquet", "figures.json", "briefing.html"):
        fresh = (tmp_path / "fresh" / name).read_bytes()
        assert fresh == (Path(outcome.paths.worklist).parent / name).read_bytes(), name
    # no personal value in the store (database and artifacts), the outputs, prints or logs
    texts = {**texts, "fresh stdout": done.stdout, "fresh stderr": done.stderr}
    blobs = [(name, text.encode()) for name, text in texts.items()]
    blobs += [
        (str(p), p.read_bytes())
        for root in (store, tmp_path)
        for p in Path(root).rglob("*")
        if p.is_file()
    ]
    assert any(name.endswith("mlflow.db") for name, _ in blobs)
    assert any(name.endswith("models.pkl") for name, _ in blobs)
    assert any(name.endswith("input_example.json") for name, _ in blobs)
    leaks = sorted({(where, v) for where, blob in blobs for v in personal if v.encode() in blob})
    assert leaks == []


def test_a_user_mistake_exits_with_a_message_not_a_traceback(book, tmp_path, monkeypatch, capsys):
    from dso_model.cli import score

    argv = [
        "dso-score",
        "data=parquet",
        f"data.path={book}",
        "as_of=2999-01-01",
        f"hydra.run.dir={tmp_path / 'late'}",
    ]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as info:
        score.main()
    err = capsys.readouterr().err
    assert info.value.code == 2 and "after the data's extraction date" in err
    assert "Traceback" not in err
    assert not (tmp_path / "late" / "worklist.parquet").exists()


def test_personal_data_guard_refuses_and_does_not_repeat_the_data():
    from dso_model.errors import DsoInputError
    from dso_model.scoring.privacy import check_no_personal_data

    blobs = [("a.json", b'{"id": "C1"}'), ("b.txt", "Hola Ana García".encode())]
    check_no_personal_data(blobs[:1], {"Ana García"})
    with pytest.raises(DsoInputError) as info:
        check_no_personal_data(blobs, {"Ana García"})
    assert "b.txt" in str(info.value) and "Ana" not in str(info.value)


def test_a_bundle_for_other_features_exits_with_a_message_not_a_traceback(
    book, tmp_path, monkeypatch, capsys
):
    from dso_model.cli import score
    from dso_model.scoring.export import input_example, save_bundle_model

    bundle = small_bundle()
    path = save_bundle_model(bundle, tmp_path / "model", input_example(bundle, small_case()[2]))
    manifests = list((tmp_path / "model").rglob("manifest.json"))
    assert len(manifests) == 1
    manifest = json.loads(manifests[0].read_text())
    manifest["feature_config"]["last_k"] = 5  # the code would now build other features
    manifests[0].write_text(json.dumps(manifest))
    argv = [
        "dso-score",
        "data=parquet",
        f"data.path={book}",
        f"model.uri={path}",
        f"hydra.run.dir={tmp_path / 'run'}",
    ]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as info:
        score.main()
    err = capsys.readouterr().err
    assert info.value.code == 2 and "Traceback" not in err
    assert "model bundle was trained on feature version" in err
    assert "new feature(s) (hist_days_late_last4" in err and "retrain" in err
    assert not (tmp_path / "run" / "worklist.parquet").exists()


def test_export_auto_only_when_the_bundle_is_missing_or_stale(exported):
    import mlflow
    from omegaconf import OmegaConf

    from dso_model.config import compose_config
    from dso_model.errors import DsoInputError
    from dso_model.scoring.export import needs_export, training_config
    from dso_model.scoring.job import tracking_settings
    from dso_model.tracking import configure_tracking

    _, _, _, base = exported
    plain = OmegaConf.to_container(compose_config("score", base), resolve=True)
    configure_tracking(tracking_settings(plain))
    assert plain["export"] == "auto"
    assert not needs_export(plain)  # built from the delay model's current champion
    assert not needs_export({**plain, "model": {**plain["model"], "uri": "models:/other/1"}})
    assert needs_export({**plain, "model": {**plain["model"], "registered_name": "no_bundle"}})
    client = mlflow.MlflowClient()
    current = client.get_model_version_by_alias("dso_delay_parquet", "champion")
    newer = client.create_model_version("dso_delay_parquet", current.source, current.run_id)
    client.set_registered_model_alias("dso_delay_parquet", "champion", newer.version)
    try:
        assert needs_export(plain)  # dso-train promoted another delay model since the export
    finally:
        client.set_registered_model_alias("dso_delay_parquet", "champion", current.version)
    with pytest.raises(DsoInputError, match="no delay model at 'models:/dso_delay_nothing"):
        training_config("models:/dso_delay_nothing@champion")

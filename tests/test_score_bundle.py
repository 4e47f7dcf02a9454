"""The exported scoring bundle: round trip, version checks, MLflow pyfunc in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from functools import cache

import pandas as pd
import pytest

from dso_model.errors import ModelMismatchError


@cache
def small_case():
    """A small simulated portfolio (with names, e-mails and phones) and a delay model fitted on it."""
    from dso_model.features import FeatureConfig, build_features, training_cutoffs
    from dso_model.models.boosting import BoostingParams
    from dso_model.models.delay import DelayModel, DelayModelConfig
    from dso_model.models.labels import LabelConfig, delay_outcomes
    from dso_model.models.matrix import to_model_matrix
    from dso_model.sim import SimConfig, simulate

    sim = simulate(
        SimConfig.from_mapping({"n_customers": 120, "months": 12, "oracle": {"replications": 0}})
    )
    portfolio = sim.portfolio
    features = build_features(portfolio, training_cutoffs(portfolio.invoices), FeatureConfig())
    X = to_model_matrix(features.reindex(portfolio.invoices["invoice_id"].to_numpy()))
    outcomes = delay_outcomes(portfolio.invoices, portfolio.as_of, LabelConfig())
    params = BoostingParams(
        n_estimators=30, num_leaves=7, min_child_samples=10, early_stopping_rounds=0, n_jobs=1
    )
    model = DelayModel(DelayModelConfig(params=params)).fit(X, outcomes)
    return portfolio, model, X


@cache
def small_bundle():
    from dso_model.scoring.build import build_bundle

    portfolio, model, _ = small_case()
    return build_bundle(model, portfolio, provenance={"data": "test"})


def test_bundle_round_trip_predicts_like_the_model(tmp_path):
    from dso_model.scoring.bundle import load_bundle

    _, model, X = small_case()
    bundle = small_bundle()
    loaded = load_bundle(bundle.save(tmp_path / "bundle"))
    expected = model.predict(X)  # fitted on one thread (n_jobs=1)
    assert {m.get_params()["n_jobs"] for m in model.lightgbm_models()} == {1}
    # The loaded bundle predicts on every core, with the same predictions.
    assert {m.get_params()["n_jobs"] for m in loaded.delay_model.lightgbm_models()} == {-1}
    pd.testing.assert_frame_equal(loaded.predict_delays(X), expected, check_exact=True)
    assert loaded.manifest == json.loads(json.dumps(bundle.manifest))
    assert loaded.version == bundle.version and loaded.feature_names == list(X.columns)
    assert loaded.encoder == bundle.encoder


def _tamper(folder, change):
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda m: m.update(bundle_format=99), "bundle format 99"),
        (
            lambda m: m["feature_schema"].pop(0) or m.update(feature_version="0" * 16),
            "feature version",
        ),
        (lambda m: m["feature_config"].update(last_k=5), "new feature(s) (hist_days_late_last4"),
    ],
    ids=["format", "schema", "feature-settings"],
)
def test_mismatched_bundle_is_refused_with_a_clear_message(tmp_path, change, message):
    from dso_model.scoring.bundle import load_bundle

    folder = small_bundle().save(tmp_path / "bundle")
    _tamper(folder, change)
    with pytest.raises(ModelMismatchError) as info:
        load_bundle(folder)
    assert message in str(info.value)


def test_model_inputs_must_match_the_schema():
    from dso_model.scoring.bundle import ScoringBundle

    bundle = small_bundle()
    model = bundle.delay_model
    broken = ScoringBundle(
        {**bundle.manifest, "feature_schema": bundle.manifest["feature_schema"]},
        {**bundle.models, "delay": model},
    )
    model_names = list(model.feature_names_in_)
    try:
        model.feature_names_in_ = model.feature_names_in_[:-1]
        with pytest.raises(ModelMismatchError, match="differ from the bundle's feature schema"):
            broken.check()
    finally:
        model.feature_names_in_ = pd.Index(model_names).to_numpy(dtype=object)


@pytest.fixture(scope="module")
def registered(tmp_path_factory):
    """One tracking store for the module, with the small bundle logged and registered once."""
    import mlflow

    from dso_model.scoring.export import input_example, log_bundle, register_bundle
    from dso_model.tracking import TrackingSettings, configure_tracking

    root = tmp_path_factory.mktemp("tracking")
    settings = TrackingSettings(
        tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
        experiment_name="scoring-test",
        artifact_location=str(root / "mlartifacts"),
    )
    configure_tracking(settings)
    bundle = small_bundle()
    with mlflow.start_run():
        info = log_bundle(bundle, input_example(bundle, small_case()[2]))
    exported = register_bundle(info.model_uri, "dso_scoring_test", bundle)
    return settings, exported


def test_registered_bundle_loads_in_a_fresh_process_with_identical_predictions(
    tmp_path, registered
):
    import mlflow

    tracking, exported = registered
    _, model, X = small_case()
    bundle = small_bundle()
    assert exported.alias_uri == "models:/dso_scoring_test@champion"
    X.reset_index(drop=True).to_parquet(tmp_path / "X.parquet")
    script = textwrap.dedent(
        f"""
        import sys, mlflow, pandas as pd
        assert "dso_model.scoring.bundle" not in sys.modules
        model = mlflow.pyfunc.load_model("{exported.alias_uri}")
        X = pd.read_parquet("{tmp_path / "X.parquet"}")
        model.predict(X).to_parquet("{tmp_path / "fresh.parquet"}")
        print(model.unwrap_python_model().bundle.version)
        """
    )
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking.tracking_uri}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == bundle.version
    fresh = pd.read_parquet(tmp_path / "fresh.parquet")
    pd.testing.assert_frame_equal(fresh, model.predict(X).reset_index(drop=True), check_exact=True)
    signature = mlflow.models.get_model_info(exported.alias_uri).signature
    assert signature.inputs.input_names() == bundle.feature_names


def test_loading_a_mismatched_bundle_model_fails_clearly(tmp_path, monkeypatch):
    from dso_model.errors import DsoInputError
    from dso_model.scoring import schema
    from dso_model.scoring.export import input_example, load_scoring_bundle, save_bundle_model

    bundle = small_bundle()
    path = save_bundle_model(bundle, tmp_path / "bundle", input_example(bundle, small_case()[2]))
    assert load_scoring_bundle(path).version == bundle.version
    monkeypatch.setattr(schema, "BUNDLE_FORMAT", schema.BUNDLE_FORMAT + 1)
    with pytest.raises(ModelMismatchError, match="cannot be read by this version"):
        load_scoring_bundle(path)
    with pytest.raises(DsoInputError, match="cannot load the model"):
        load_scoring_bundle(str(tmp_path / "nowhere"))

"""On simulated books the explanations must recover how the simulator made the delays; and
``dso-explain`` runs end to end on simulated data and on the IBM benchmark, logging to MLflow."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest

from dso_model.config import compose_config
from dso_model.explain import (
    CALENDAR_FEATURES,
    attribute_add,
    average_over,
    family_contributions,
    family_drivers,
    feature_families,
    tree_contributions,
)
from dso_model.explain.analysis import explanation_window, window_invoices

pytestmark = pytest.mark.slow

SEGMENTS = ("consumer", "sme", "corporate")
FAST = {
    "n_estimators": 40,
    "learning_rate": 0.15,
    "num_leaves": 15,
    "early_stopping_rounds": 0,
    "n_jobs": 1,
}


def _forgetful_world() -> dict[str, object]:
    """Everyone able and willing; how often a customer forgets varies widely: forgetting (seen in
    the customer's late history, and in how contacts get answered) is what makes invoices late."""
    changes: dict[str, object] = {"n_customers": 450, "months": 12}
    for s in SEGMENTS:
        changes[f"segments.{s}.forgetfulness_beta"] = [1.2, 1.2]
        changes[f"segments.{s}.ability_beta"] = [40.0, 1.0]
        changes[f"segments.{s}.willingness_beta"] = [40.0, 1.0]
        changes[f"segments.{s}.shock_rate"] = 0.0
        changes[f"segments.{s}.dispute_rate"] = 0.0
    return changes


def fit_delay_model(portfolio):
    from dso_model.features import build_features, training_cutoffs
    from dso_model.models.boosting import BoostingParams
    from dso_model.models.delay import DelayModel, DelayModelConfig
    from dso_model.models.labels import delay_outcomes
    from dso_model.models.matrix import to_model_matrix

    inv = portfolio.invoices
    X = to_model_matrix(build_features(portfolio, training_cutoffs(inv)))
    X = X.reindex(inv["invoice_id"].to_numpy())
    outcomes = delay_outcomes(inv, portfolio.as_of)
    config = DelayModelConfig(params=BoostingParams(**FAST))
    return DelayModel(config).fit(X, outcomes), X


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from dso_model.sim import load_preset, simulate

    sim = simulate(load_preset("small", seed=5).replace(**_forgetful_world()))
    folder = tmp_path_factory.mktemp("forgetful") / "book"
    sim.save(folder)
    model, X = fit_delay_model(sim.portfolio)
    return {"sim": sim, "folder": folder, "model": model, "X": X}


def _explained(world):
    portfolio = world["sim"].portfolio
    start, end = explanation_window(portfolio.as_of, 5)
    window = window_invoices(portfolio.invoices, start, end, 10_000, 0)
    window = window.assign(period=window["period"])
    contribs = tree_contributions(world["model"], world["X"].loc[window.index].astype("float32"))
    families = feature_families(contribs.features, overrides={"calendar": CALENDAR_FEATURES})
    return contribs, families, window


def test_forgetful_world_ranks_history_and_channel_above_calendar(world):
    contribs, families, window = _explained(world)
    table = family_drivers(contribs, families, window["amount"])
    rank = table["rank"]
    assert rank["history"] == 1, table
    assert rank["channel"] < rank["calendar"], table
    assert (
        table.loc["history", "mean_abs_weighted"] > 3 * table.loc["calendar", "mean_abs_weighted"]
    )
    add = average_over(attribute_add(contribs, window, families, by="period")).families.iloc[0]
    # of the ADD that drivers move away from the typical invoice, history and channel response
    # carry more than every other family together, and history alone far more than the calendar
    others = ["exposure", "reputation", "attributes", "invoice", "calendar"]
    assert add["history"] + add["channel"] > add[others].abs().sum(), add
    assert abs(add["history"]) > 3 * abs(add["calendar"])


def test_history_contributions_follow_the_true_forgetfulness(world):
    """Row by row: a broken attribution (rows, columns or families mixed up) loses this link.

    A working attribution gives a rank correlation near 0.4 here (the trait is seen only through
    a year of noisy history); a broken one gives about 0, as the shuffled control shows.
    """
    contribs, families, window = _explained(world)
    per_family = family_contributions(contribs, families)
    truth = world["sim"].truth.customers.set_index("customer_id")["forgetfulness"]
    forget = truth.reindex(window["customer_id"]).to_numpy()
    has_history = world["X"].loc[window.index, "hist_paid_count"].to_numpy() >= 3
    history = per_family["history"].to_numpy()
    rho = pd.Series(history[has_history]).corr(pd.Series(forget[has_history]), method="spearman")
    assert rho > 0.25, rho
    calendar = per_family["calendar"].to_numpy()[has_history]
    assert (
        abs(pd.Series(calendar).corr(pd.Series(forget[has_history]), method="spearman")) < rho / 2
    )
    shuffled = np.random.default_rng(0).permutation(history[has_history])
    assert abs(pd.Series(shuffled).corr(pd.Series(forget[has_history]), method="spearman")) < 0.1


def _register(model, X, name: str, tracking_uri: str, artifacts: str) -> None:
    from dso_model.tracking import TrackingSettings, start_run
    from dso_model.tracking.model import log_delay_model, register_and_promote

    settings = TrackingSettings(tracking_uri, artifact_location=artifacts)
    with start_run(settings, run_name="train-test"):
        info = log_delay_model(model, X.head(20))
        register_and_promote(info.model_uri, name, "w", "mae", 1.0)


def _run_app(overrides, tmp_path):
    from dso_model.cli.explain import run_job

    cfg = compose_config("explain", overrides)
    return cfg, run_job(cfg, tmp_path / "out")


def test_dso_explain_on_simulated_data_end_to_end(world, isolated_root, tmp_path):
    base = compose_config("explain", ["data=parquet", f"data.path={world['folder']}"])
    _register(
        world["model"],
        world["X"],
        f"dso_delay_{base.data.name}",
        base.mlflow.tracking_uri,
        str(isolated_root / "mlartifacts"),
    )
    overrides = [
        "data=parquet",
        f"data.path={world['folder']}",
        "explain.months=4",
        "explain.beeswarm_sample=300",
        f"export_plot={tmp_path / 'img' / 'waterfall.png'}",
    ]
    cfg, outcome = _run_app(overrides, tmp_path)
    out = tmp_path / "out"
    for name in (
        "report.html",
        "plots/dso_waterfall.png",
        "plots/beeswarm.png",
        "plots/add_by_segment.png",
        "tables/add_attribution.csv",
        "tables/reasons.parquet",
    ):
        assert (out / name).exists(), name
    assert (tmp_path / "img" / "waterfall.png").read_bytes() == (
        out / "plots/dso_waterfall.png"
    ).read_bytes()
    reasons = pd.read_parquet(out / "tables" / "reasons.parquet")
    assert {"reason_1_en", "reason_1_es", "driver_1", "predicted_days_late"} <= set(reasons.columns)
    assert reasons["reason_1_en"].notna().mean() > 0.5
    open_now = world["sim"].portfolio.invoices["status"].isin(["open", "partially_paid"]).sum()
    assert len(reasons) == open_now
    attribution = outcome.result.tables["add_attribution"].iloc[0]
    assert attribution["measured_dso"] > attribution["measured_bpdso"] > 0
    run = mlflow.get_run(outcome.run_id)
    assert run.data.tags["task"] == "explain"
    assert run.data.metrics["additivity_max_error"] < 1e-4
    names = {a.path for a in mlflow.MlflowClient().list_artifacts(outcome.run_id)}
    assert {"report.html", "plots", "tables"} <= names


def test_dso_explain_on_the_ibm_benchmark(ibm_csv, isolated_root, tmp_path):
    from dso_model.data import load_data

    base = compose_config("explain", ["data=ibm_ar"])
    data = load_data(base.data, base.paths)
    model, X = fit_delay_model(data.portfolio)
    _register(
        model, X, "dso_delay_ibm_ar", base.mlflow.tracking_uri, str(isolated_root / "mlartifacts")
    )
    cfg, outcome = _run_app(
        ["data=ibm_ar", "explain.months=6", "explain.beeswarm_sample=300"], tmp_path
    )
    tables = outcome.result.tables
    assert outcome.result.metrics["additivity_max_error"] < 1e-4
    assert set(tables["add_by_country"].index) <= set(
        data.portfolio.customers["country"].astype(str)
    )
    assert tables["drivers_families"].loc["history", "rank"] <= 3
    assert (tmp_path / "out" / "report.html").stat().st_size > 50_000
    # every invoice of this file is settled: the reasons cover the explained window instead
    assert len(tables["reasons"]) == tables["add_attribution"]["n_invoices"].iloc[0]
    assert tables["reasons"]["reason_1_es"].notna().any()

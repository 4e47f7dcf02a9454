"""A cash-flow shock in the simulator shows up in the monitor as migration into ``unable``.

The simulator draws shocks at random each month; to force one, the test wraps the function that
draws the monthly ability paths and cuts the ability of a share of the customers from one month
on (a shock as the simulator models it: ability times a depth, ``in_shock`` set). The payment
process then runs as usual on those paths, so every observable consequence (slower and partial
payments, plan requests) comes from the simulator itself; the monitor sees only the portfolio.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SHOCK_MONTH = 9  # 2024-10: the first month of the shock
SHOCK_SHARE, SHOCK_DEPTH, SHOCK_MONTHS = 0.25, 0.15, 3
CUTOFF = "2024-09-01"
SHOCK_START = pd.Timestamp("2024-10-01")


def _with_shock(draw_paths):
    def shocked(config, customers, segments, existing, months):
        ability, willingness, in_shock = draw_paths(config, customers, segments, existing, months)
        rng = np.random.default_rng(2024)
        k = int(existing[SHOCK_MONTH])
        hit = np.flatnonzero(rng.random(k) < SHOCK_SHARE)
        span = slice(SHOCK_MONTH, min(SHOCK_MONTH + SHOCK_MONTHS, months))
        ability[hit, span] *= SHOCK_DEPTH
        in_shock[hit, span] = True
        return ability, willingness, in_shock

    return shocked


@pytest.fixture(scope="module")
def shocked_simulation():
    import dso_model.sim.world as world
    from dso_model.sim import load_preset, simulate

    config = load_preset("small", seed=11, **{"oracle.replications": 0, "n_customers": 500})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(world, "_draw_paths", _with_shock(world._draw_paths))
        return simulate(config)


def _configs():
    from dso_model.monitoring import MonitorConfig
    from dso_model.profiles import ModelConfig, ProfileConfig

    pcfg = ProfileConfig(model=ModelConfig(warmup_months=3, val_dates=1, n_estimators=100))
    mcfg = MonitorConfig(cutoff=CUTOFF, max_months=3, delay_decay=False)
    return pcfg, mcfg


@pytest.mark.slow
def test_shock_shows_up_as_migration_into_unable_within_two_cycles(shocked_simulation):
    from dso_model.monitoring import run_monitor

    sim = shocked_simulation
    truth = sim.truth.monthly
    shocked = truth[(truth["month"] == SHOCK_START) & truth["in_shock"]]["customer_id"]
    assert len(shocked) > 80  # the forced shock took (plus the usual random ones)
    pcfg, mcfg = _configs()
    result = run_monitor(sim.portfolio, pcfg, mcfg, truth)
    movers = result.migration[result.migration["group"] == "unable"].set_index("as_of")["movers"]
    before = movers[pd.Timestamp("2024-10-01")]  # month after the cutoff, shock not yet visible
    two_cycles = movers[pd.Timestamp("2024-11-01")] + movers[pd.Timestamp("2024-12-01")]
    assert two_cycles >= 4 * max(before, 5)
    raised = result.alerts[
        (result.alerts["kind"] == "migration") & (result.alerts["subject"] == "unable")
    ]
    assert set(raised["as_of"]) & {pd.Timestamp("2024-11-01"), pd.Timestamp("2024-12-01")}
    # The customers who moved are mostly the shocked ones.
    moved = result.movers[
        (result.movers["group_to"] == "unable") & (result.movers["as_of"] > SHOCK_START)
    ]["customer_id"]
    assert moved.isin(set(shocked)).mean() > 0.7
    profiles = result.profiles.set_index(["as_of", "customer_id"])["group"]
    after = profiles.loc[pd.Timestamp("2024-12-01")]
    judged = after[(after != "no_data") & (after != "data_available")]
    hit = judged.index.isin(set(shocked))
    unable_if_shocked = (judged[hit] == "unable").mean()
    unable_otherwise = (judged[~hit] == "unable").mean()
    assert unable_if_shocked > 0.25 and unable_if_shocked > 5 * unable_otherwise


@pytest.mark.slow
def test_monitor_app_writes_report_tables_and_mlflow_run(
    shocked_simulation, tmp_path, monkeypatch, capsys
):
    from dso_model.cli import monitor

    folder = shocked_simulation.save(tmp_path / "sim")
    out = tmp_path / "run"
    argv = [
        "dso-monitor", "data=parquet", f"data.path={folder}", f"monitor.cutoff={CUTOFF}",
        "monitor.max_months=1", "monitor.decay.source=customer_mean",
        "profiles.model.warmup_months=5", "profiles.model.val_dates=1",
        "profiles.model.n_estimators=30", f"hydra.run.dir={out}",
    ]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    monitor.main()
    printed = capsys.readouterr().out
    assert "Moved into the group" in printed and "macro-F1" in printed
    report = (out / "monitor_report.md").read_text()
    for section in (
        "## Alerts",
        "## Migrations",
        "## Feature drift",
        "## Performance decay",
        "truth",
    ):
        assert section in report
    for name in ("profiles.parquet", "drift.csv", "delay_decay.csv", "group_shares.png"):
        assert (out / name).exists(), name
    assert not list(Path(out).glob(".*.tmp"))
    import mlflow

    runs = mlflow.search_runs(experiment_names=["dso_model"])
    assert len(runs) == 1 and "metrics.share_unable" in runs.columns

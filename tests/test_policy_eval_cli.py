"""``dso-policy-eval`` end to end on a tiny simulated book (the slowest policy test)."""

from __future__ import annotations

import sys

import pandas as pd
import pytest


@pytest.mark.slow
def test_policy_eval_prints_writes_and_logs(tmp_path, monkeypatch, capsys, isolated_root):
    from dso_model.cli import policy_eval

    out = tmp_path / "run"
    monkeypatch.setattr(
        sys,
        "argv",
        [
            "dso-policy-eval",
            "+data.overrides={n_customers:160,months:12,oracle.replications:1}",
            "eval.horizon_months=2",
            "eval.ope_months=1",
            "eval.ope_days=28",
            "eval.profiles=false",
            "eval.policies=[no_contact,reactive_dunning,next_best_action]",
            f"hydra.run.dir={out}",
        ],
    )
    policy_eval.main()
    printed = capsys.readouterr().out
    assert "| policy | DSO | BPDSO | ADD | CEI |" in printed
    assert "next_best_action" in printed and "Off-policy estimates" in printed
    table = pd.read_csv(out / "policy_comparison.csv")
    assert list(table["policy"]) == ["no_contact", "reactive_dunning", "next_best_action"]
    assert table.loc[table["policy"] == "no_contact", "contacts"].item() == 0
    assert (table["dso"] > 0).all()
    ope = pd.read_csv(out / "off_policy.csv")
    assert set(ope["estimator"]) == {"ips", "snips", "dr"}
    assert ope["rollout_truth"].notna().all()
    assert (isolated_root / "mlflow.db").exists()

"""PSI, transition matrices, movers and alert thresholds on small frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dso_model.monitoring import (
    AlertThresholds,
    migration_summary,
    movers_into,
    population_stability_index,
    psi_level,
    psi_table,
    raise_alerts,
    transition_matrix,
)
from dso_model.profiles import GROUPS


def test_psi_is_near_zero_for_the_same_distribution_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=5000)
    assert population_stability_index(ref, rng.normal(size=5000)) < 0.02
    shifted = population_stability_index(ref, rng.normal(1.0, 1.0, 5000))
    assert shifted > 0.25 and psi_level(shifted) == "major"
    assert psi_level(0.15) == "moderate" and psi_level(float("nan")) == "stable"


def test_psi_counts_missing_values_and_discrete_features():
    ref = np.array([0.0] * 80 + [1.0] * 20)
    assert population_stability_index(ref, ref.copy()) == pytest.approx(0.0)
    more_missing = np.array([0.0] * 40 + [np.nan] * 40 + [1.0] * 20)
    assert population_stability_index(ref, more_missing) > 0.25
    table = psi_table(
        pd.DataFrame({"a": ref, "b": ref}), pd.DataFrame({"a": ref, "b": more_missing})
    )
    assert list(table["feature"]) == ["b", "a"]


def _profiles(groups: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": list(groups), "group": list(groups.values()), "confidence": 0.9}
    )


def test_transition_matrix_and_movers():
    before = _profiles(
        {"a": "able_willing", "b": "able_willing", "c": "unable", "d": "no_data", "e": "unwilling"}
    )
    now = _profiles(
        {"a": "unable", "b": "able_willing", "c": "unable", "d": "able_willing", "f": "no_data"}
    )
    m = transition_matrix(before, now)
    assert list(m.index) == list(GROUPS) and list(m.columns) == list(GROUPS)
    assert m.loc["able_willing", "unable"] == 1 and m.loc["unable", "unable"] == 1
    assert m.to_numpy().sum() == 4  # e left, f is new
    shares = transition_matrix(before, now, normalize=True)
    assert shares.loc["able_willing"].sum() == pytest.approx(1.0)
    moved = movers_into(before, now)
    assert list(moved["customer_id"]) == ["a"] and moved.loc[0, "group_from"] == "able_willing"
    summary = migration_summary(m)
    assert summary["into_unable"] == 1 and summary["moved"] == 2


def test_alerts_fire_on_thresholds_only():
    th = AlertThresholds(psi_warning=0.1, psi_critical=0.25, migration_share=0.05, min_movers=5)
    t = [pd.Timestamp(f"2024-0{m}-01") for m in range(1, 6)]
    drift = pd.DataFrame({"as_of": t[:3], "feature": ["x", "y", "z"], "psi": [0.05, 0.12, 0.4]})
    migration = pd.DataFrame(
        {"as_of": t, "group": "unable", "movers": [5, 6, 5, 40, 6], "profiled": [500] * 5}
    )
    alerts = raise_alerts(th, drift=drift, migration=migration)
    by_kind = alerts.groupby("kind")
    assert set(by_kind.get_group("drift")["subject"]) == {"y", "z"}
    assert list(by_kind.get_group("drift")["severity"]) == ["warning", "critical"]
    moved = by_kind.get_group("migration")
    assert list(moved["as_of"]) == [t[3]] and moved.iloc[0]["severity"] == "critical"
    assert "40 customers moved into unable" in moved.iloc[0]["message"]

"""Confusion matrices, macro-F1, the oracle and the alignment of profiles with the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from dso_model.profiles import (
    BEHAVIOURAL_GROUPS,
    ProfileConfig,
    confusion,
    evaluate_against_truth,
    macro_f1,
)
from dso_model.profiles.evaluate import oracle_groups
from dso_model.profiles.model import (
    frequency_thresholds,
    groups_from_scores,
    label_frequencies,
    tune_thresholds,
)


def test_macro_f1_matches_scikit_learn():
    rng = np.random.default_rng(1)
    truth = rng.choice(BEHAVIOURAL_GROUPS, 300, p=[0.8, 0.12, 0.08])
    pred = np.where(rng.random(300) < 0.7, truth, rng.choice(BEHAVIOURAL_GROUPS, 300))
    expected = f1_score(truth, pred, labels=list(BEHAVIOURAL_GROUPS), average="macro")
    assert macro_f1(truth, pred) == pytest.approx(expected)
    table = confusion(truth, pred)
    assert table.to_numpy().sum() == 300 and list(table.index) == list(BEHAVIOURAL_GROUPS)


def test_cold_start_predictions_are_not_scored():
    table = confusion(["unable", "unable"], ["unable", "no_data"])
    assert table.to_numpy().sum() == 1


def _monthly() -> pd.DataFrame:
    rows = []
    for m, (ability_b, will_c) in enumerate([(0.9, 0.9), (0.1, 0.9), (0.1, 0.2)]):
        month = pd.Timestamp("2024-01-01") + pd.DateOffset(months=m)
        for cid, a, w in (("A", 0.9, 0.9), ("B", ability_b, 0.9), ("C", 0.9, will_c)):
            group = "unable" if a < 0.3 else ("unwilling" if w < 0.4 else "able_willing")
            rows.append((cid, month, a, w, group))
    return pd.DataFrame(
        rows, columns=["customer_id", "month", "ability", "willingness", "latent_group"]
    )


def test_profiles_are_compared_with_the_month_that_ended_or_starts():
    monthly = _monthly()
    # Profiled at 2024-03-01: B became unable in February, C turned unwilling in March.
    profiles = pd.DataFrame(
        {
            "as_of": pd.Timestamp("2024-03-01"),
            "customer_id": ["A", "B", "C", "D"],
            "group": ["able_willing", "unable", "able_willing", "no_data"],
        }
    )
    ev = evaluate_against_truth(profiles, monthly)
    assert ev["previous"]["rows"] == 3  # D has no verdict
    assert ev["previous"]["macro_f1"] == pytest.approx(2 / 3)  # unwilling never present
    assert ev["current"]["confusion"].loc["unwilling", "able_willing"] == 1
    # The oracle reads the month before the compared one: January for 'previous'.
    assert ev["previous"]["oracle_confusion"].loc["unable", "able_willing"] == 1
    oracle = oracle_groups(monthly, pd.Timestamp("2024-03-01"), 0.3, 0.4)
    assert oracle.to_dict() == {"A": "able_willing", "B": "unable", "C": "unwilling"}


def test_label_frequency_thresholds_undo_the_proxies_incomplete_recall():
    """The proxies fire for a share c of the true cases only; a calibrated model of the proxy then
    predicts c times the probability of the case. Where the cases are well separated, the mean
    prediction where the proxy fired estimates c, and the threshold p > c / 2 recovers them."""
    rng = np.random.default_rng(5)
    n = 20000
    p_case = np.where(rng.random(n) < 0.1, 0.99, 0.002)  # P(truly unable | x)
    unable = rng.random(n) < p_case
    c_stress, c_unwilling = 0.6, 0.45
    stress = (unable & (rng.random(n) < c_stress)).astype(float)
    p_will = np.where(~unable & (rng.random(n) < 0.08), 0.99, 0.002)
    unwilling_case = ~unable & (rng.random(n) < p_will)
    unwilling = ((stress == 0) & unwilling_case & (rng.random(n) < c_unwilling)).astype(float)
    scores = pd.DataFrame(
        {"ability_score": 1 - c_stress * p_case, "willingness_score": 1 - c_unwilling * p_will}
    )
    labels = pd.DataFrame({"stress": stress, "unwilling": unwilling})
    est_stress, est_unwilling = label_frequencies(scores, labels)
    assert est_stress == pytest.approx(c_stress, abs=0.03)
    assert est_unwilling == pytest.approx(c_unwilling, abs=0.03)
    unable_below, unwilling_below = frequency_thresholds(scores, labels)
    predicted = groups_from_scores(scores, unable_below, unwilling_below)
    truth = np.where(unable, "unable", np.where(unwilling_case, "unwilling", "able_willing"))
    # The corrected thresholds find the true groups; one half on the proxy probabilities misses
    # every unwilling customer (0.45 x 0.99 < 0.5).
    assert macro_f1(truth, predicted) > 0.95
    assert macro_f1(truth, groups_from_scores(scores, 0.5, 0.5)) < 0.7


def test_threshold_tuning_uses_proxy_labels_only():
    rng = np.random.default_rng(3)
    n = 2000
    stress = (rng.random(n) < 0.1).astype(float)
    unwilling = ((rng.random(n) < 0.08) & (stress == 0)).astype(float)
    p_stress = np.clip(0.25 * stress + rng.normal(0.05, 0.05, n), 0, 1)
    p_unwilling = np.clip(0.3 * unwilling + rng.normal(0.05, 0.05, n), 0, 1)
    scores = pd.DataFrame({"ability_score": 1 - p_stress, "willingness_score": 1 - p_unwilling})
    labels = pd.DataFrame({"stress": stress, "unwilling": unwilling})
    unable_below, unwilling_below, f1 = tune_thresholds(scores, labels)
    # Calibrated 0.5 thresholds would miss the low-probability positives; tuning finds them.
    assert unable_below > 0.75 and unwilling_below > 0.7 and f1 > 0.8
    fixed = macro_f1(
        np.where(stress == 1, "unable", np.where(unwilling == 1, "unwilling", "able_willing")),
        groups_from_scores(scores, 0.5, 0.5),
    )
    assert f1 > fixed


def test_profile_config_reads_the_yaml_and_rejects_unknown_keys():
    cfg = ProfileConfig.default()
    assert cfg.rules.min_judged_invoices >= 1 and cfg.proxies.horizon_days > 0
    from dso_model.errors import DsoInputError

    with pytest.raises(DsoInputError, match="rules.typo"):
        ProfileConfig.from_mapping({"rules": {"typo": 1}})

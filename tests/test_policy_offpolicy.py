"""Off-policy estimators on synthetic bandit data whose true policy value is known."""

from __future__ import annotations

import numpy as np
import pytest

from dso_model.errors import DsoInputError
from dso_model.policy.offpolicy import (
    doubly_robust,
    estimate_policy_value,
    ips,
    snips,
)

K = 4
B = np.array([-1.0, -0.3, 0.2, -0.5])
C = np.array([0.5, -1.0, 1.5, 0.0])


def reward_prob(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(B[a] + C[a] * x)))


def logging_probs(x: np.ndarray) -> np.ndarray:
    """A softmax logging policy that favours the wrong actions but explores all of them."""
    logits = np.stack([0.8 * x, -0.5 * x, -x, np.zeros_like(x)], axis=1)
    p = np.exp(logits)
    return p / p.sum(1, keepdims=True)


def target_action(x: np.ndarray) -> np.ndarray:
    return np.where(x > -0.2, 2, 3)


TRUE_VALUE = float(
    np.mean(
        reward_prob(xs := np.random.default_rng(99).uniform(-1, 1, 2_000_000), target_action(xs))
    )
)


def logged(n: int, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    probs = logging_probs(x)
    a = (rng.uniform(size=n)[:, None] > np.cumsum(probs, 1)).sum(1)
    r = (rng.uniform(size=n) < reward_prob(x, a)).astype(float)
    p_log = probs[np.arange(n), a]
    p_tgt = (a == target_action(x)).astype(float)
    return x, a, r, p_log, p_tgt


def test_estimates_recover_the_true_value():
    x, a, r, p_log, p_tgt = logged(40_000, seed=1)
    q_logged = reward_prob(x, a)
    q_target = reward_prob(x, target_action(x))
    for est in (
        ips(r, p_log, p_tgt),
        snips(r, p_log, p_tgt),
        doubly_robust(r, p_log, p_tgt, q_logged, q_target),
    ):
        assert abs(est.value - TRUE_VALUE) < 4 * est.se, est
        assert est.lower < est.value < est.upper
        assert 0 < est.ess <= est.n


def test_confidence_intervals_cover_at_the_nominal_rate():
    hits = {"ips": 0, "snips": 0, "dr": 0}
    reps = 200
    for seed in range(reps):
        x, a, r, p_log, p_tgt = logged(800, seed=1000 + seed)
        # a deliberately crude reward model: DR must still be right on average
        q_crude = np.full(len(x), r.mean())
        frame = estimate_policy_value(r, p_log, p_tgt, q_crude, q_crude)
        for row in frame.itertuples():
            hits[row.estimator] += row.lower <= TRUE_VALUE <= row.upper
    for name, count in hits.items():
        assert 0.88 <= count / reps <= 0.99, (name, count / reps)


def test_a_good_reward_model_makes_dr_tighter_than_ips():
    x, a, r, p_log, p_tgt = logged(5_000, seed=3)
    good = doubly_robust(r, p_log, p_tgt, reward_prob(x, a), reward_prob(x, target_action(x)))
    plain = ips(r, p_log, p_tgt)
    assert good.se < 0.7 * plain.se


def test_bootstrap_agrees_with_the_analytic_interval():
    x, a, r, p_log, p_tgt = logged(3_000, seed=4)
    analytic = estimate_policy_value(r, p_log, p_tgt)
    boot = estimate_policy_value(r, p_log, p_tgt, interval="bootstrap", n_boot=300, seed=5)
    width_a = (analytic["upper"] - analytic["lower"]).to_numpy()
    width_b = (boot["upper"] - boot["lower"]).to_numpy()
    assert np.all((width_b / width_a > 0.8) & (width_b / width_a < 1.25))
    assert np.allclose(analytic["value"], boot["value"])


def test_clipping_and_bad_propensities():
    x, a, r, p_log, p_tgt = logged(2_000, seed=6)
    clipped = ips(r, p_log, p_tgt, clip=2.0)
    assert clipped.ess >= ips(r, p_log, p_tgt).ess
    with pytest.raises(DsoInputError, match="propensities"):
        ips(r, np.where(np.arange(len(r)) == 0, 0.0, p_log), p_tgt)

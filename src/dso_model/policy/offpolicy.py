"""Off-policy estimates of a new policy's value from logged decisions.

Each logged unit ``i`` had an action chosen by the logging policy with probability
``logging_prob[i]`` and a reward ``reward[i]``; ``target_prob[i]`` is the probability that the
policy under evaluation would have chosen that same action (0 or 1 for a deterministic policy).

- IPS: mean of w * r with w = target_prob / logging_prob. Unbiased; high variance.
- Self-normalised IPS: sum(w * r) / sum(w). Slightly biased; much steadier.
- Doubly robust: mean of q_target + w * (r - q_logged), where q_logged is a reward model's
  prediction for the logged action and q_target its expectation under the target policy.
  Unbiased when either the propensities or the reward model are right; low variance when the
  model is good.

Confidence intervals are normal (analytic, from the per-unit influence terms) or percentile
bootstrap. ``ess`` is the effective sample size of the weights, (sum w)^2 / sum w^2: when it is
small the estimate leans on a few units and should not be trusted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from dso_model.errors import DsoInputError

ESTIMATORS = ("ips", "snips", "dr")


@dataclass(frozen=True)
class Estimate:
    """A policy value with its standard error and confidence interval."""

    estimator: str
    value: float
    se: float
    lower: float
    upper: float
    n: int
    ess: float

    def covers(self, truth: float) -> bool:
        return self.lower <= truth <= self.upper


def importance_weights(
    logging_prob: np.ndarray, target_prob: np.ndarray, clip: float | None = None
) -> np.ndarray:
    """w = target / logging, optionally capped at ``clip`` (trading a little bias for variance)."""
    logging_prob = np.asarray(logging_prob, dtype=float)
    target_prob = np.asarray(target_prob, dtype=float)
    if logging_prob.shape != target_prob.shape:
        raise DsoInputError("logging and target probabilities differ in length", table="logs")
    if not np.all((logging_prob > 0) & (logging_prob <= 1)):
        raise DsoInputError(
            "logging propensities must be in (0, 1]",
            table="contacts",
            column="propensity",
            hint="a unit the logging policy could not have chosen cannot be reweighted",
        )
    w = target_prob / logging_prob
    return np.minimum(w, clip) if clip is not None else w


def effective_sample_size(w: np.ndarray) -> float:
    total = float(np.sum(w))
    squares = float(np.sum(np.square(w)))
    return total * total / squares if squares > 0 else 0.0


def _normal(name: str, value: float, se: float, n: int, ess: float, alpha: float) -> Estimate:
    z = NormalDist().inv_cdf(1 - alpha / 2)
    return Estimate(name, value, se, value - z * se, value + z * se, n, ess)


def _mean_se(terms: np.ndarray) -> tuple[float, float]:
    n = len(terms)
    se = float(np.std(terms, ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return float(np.mean(terms)), se


def ips(reward, logging_prob, target_prob, *, alpha: float = 0.05, clip=None) -> Estimate:
    """Inverse propensity scoring."""
    w = importance_weights(logging_prob, target_prob, clip)
    value, se = _mean_se(w * np.asarray(reward, dtype=float))
    return _normal("ips", value, se, len(w), effective_sample_size(w), alpha)


def snips(reward, logging_prob, target_prob, *, alpha: float = 0.05, clip=None) -> Estimate:
    """Self-normalised IPS, with a delta-method standard error."""
    w = importance_weights(logging_prob, target_prob, clip)
    r = np.asarray(reward, dtype=float)
    mean_w = float(np.mean(w))
    if mean_w <= 0:
        return Estimate("snips", np.nan, np.nan, np.nan, np.nan, len(w), 0.0)
    value = float(np.sum(w * r) / np.sum(w))
    influence = w * (r - value) / mean_w
    _, se = _mean_se(influence)
    return _normal("snips", value, se, len(w), effective_sample_size(w), alpha)


def doubly_robust(
    reward, logging_prob, target_prob, q_logged, q_target, *, alpha: float = 0.05, clip=None
) -> Estimate:
    """Doubly robust: the reward model's value, corrected by weighted residuals."""
    w = importance_weights(logging_prob, target_prob, clip)
    r = np.asarray(reward, dtype=float)
    terms = np.asarray(q_target, dtype=float) + w * (r - np.asarray(q_logged, dtype=float))
    value, se = _mean_se(terms)
    return _normal("dr", value, se, len(w), effective_sample_size(w), alpha)


def bootstrap_interval(
    estimator: Callable[..., Estimate],
    arrays: dict[str, np.ndarray],
    *,
    n_boot: int = 400,
    alpha: float = 0.05,
    seed: int = 0,
    **kwargs,
) -> tuple[float, float, float]:
    """Percentile bootstrap of ``estimator(**arrays)``: (lower, upper, bootstrap standard error).

    Units are resampled with replacement; each replicate is one vectorised call.
    """
    rng = np.random.default_rng(seed)
    n = len(next(iter(arrays.values())))
    values = np.empty(n_boot)
    for b in range(n_boot):
        idx = rng.integers(0, n, n)
        values[b] = estimator(**{k: np.asarray(v)[idx] for k, v in arrays.items()}, **kwargs).value
    lo, hi = np.nanquantile(values, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi), float(np.nanstd(values, ddof=1))


def estimate_policy_value(
    reward,
    logging_prob,
    target_prob,
    q_logged=None,
    q_target=None,
    *,
    interval: str = "analytic",
    alpha: float = 0.05,
    n_boot: int = 400,
    seed: int = 0,
    clip: float | None = None,
) -> pd.DataFrame:
    """IPS, SNIPS and (when reward-model predictions are given) DR, one row each."""
    if interval not in ("analytic", "bootstrap"):
        raise DsoInputError(f"unknown interval '{interval}'", hint="analytic or bootstrap")
    arrays = {"reward": reward, "logging_prob": logging_prob, "target_prob": target_prob}
    plan: list[tuple[Callable[..., Estimate], dict]] = [(ips, arrays), (snips, arrays)]
    if q_logged is not None and q_target is not None:
        plan.append((doubly_robust, {**arrays, "q_logged": q_logged, "q_target": q_target}))
    rows = []
    for fn, args in plan:
        est = fn(**args, alpha=alpha, clip=clip)
        if interval == "bootstrap":
            lo, hi, se = bootstrap_interval(
                fn, args, n_boot=n_boot, alpha=alpha, seed=seed, clip=clip
            )
            est = Estimate(est.estimator, est.value, se, lo, hi, est.n, est.ess)
        rows.append(asdict(est))
    return pd.DataFrame(rows)

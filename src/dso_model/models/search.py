"""Hyper-parameter search: a plain Optuna loop over any training function.

The space is config: ``{"learning_rate": {"low": 0.02, "high": 0.2, "log": true}, "num_leaves":
{"low": 15, "high": 127, "type": "int"}, "max_bin": {"choices": [63, 255]}}``. The objective gets
the suggested parameters and returns a validation score (never a test score, which would tune the
model to the test window).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def suggest_params(trial: Any, space: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Draw one value per entry of ``space`` from an Optuna trial."""
    params: dict[str, Any] = {}
    for name, spec in space.items():
        if "choices" in spec:
            params[name] = trial.suggest_categorical(name, list(spec["choices"]))
        elif spec.get("type", "float") == "int":
            params[name] = trial.suggest_int(
                name, int(spec["low"]), int(spec["high"]), log=bool(spec.get("log", False))
            )
        else:
            params[name] = trial.suggest_float(
                name, float(spec["low"]), float(spec["high"]), log=bool(spec.get("log", False))
            )
    return params


def run_search(
    objective: Callable[[dict[str, Any], int], float],
    space: Mapping[str, Mapping[str, Any]],
    n_trials: int,
    seed: int = 0,
    direction: str = "minimize",
) -> Any:
    """Run ``n_trials`` sequential trials (TPE, seeded); returns the Optuna study.

    ``objective(params, trial_number)`` trains and returns the score to optimise.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=direction, sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(lambda t: objective(suggest_params(t, space), t.number), n_trials=n_trials)
    return study

"""Benchmark: fit the full payment-delay model on 1 million invoices of features.

Generates a synthetic feature matrix (``dso_model.models.toy``: a customer trait the features
partly reveal plus noise columns, to the width of the real feature table), labels it as known at a
cut-off (open invoices censored), and fits every part of the delay model (hazard, late classifier,
quantiles, mean) with early stopping on a validation set. Prints seconds per part and peak memory.

    python benchmarks/bench_train.py                        # 1,000,000 invoices, 120 features
    python benchmarks/bench_train.py --invoices 200000 --model fast
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
import pandas as pd


def peak_memory_mb() -> float:
    """Peak resident memory of this process (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_inputs(n_invoices: int, n_features: int, seed: int):
    from dso_model.models.labels import delay_outcomes
    from dso_model.models.matrix import to_model_matrix
    from dso_model.models.toy import make_delay_dataset

    invoices, features = make_delay_dataset(
        n_invoices,
        max(n_invoices // 10, 100),
        n_noise_features=max(n_features - 4, 0),
        days=1095,
        seed=seed,
    )
    X = to_model_matrix(features)
    cutoff = invoices["issue_date"].quantile(0.9)
    issue = invoices["issue_date"].to_numpy()
    train = issue < cutoff - np.timedelta64(150, "D")
    val = (issue >= cutoff - np.timedelta64(150, "D")) & (issue < cutoff - np.timedelta64(90, "D"))
    known = delay_outcomes(invoices, cutoff)
    return X, known, train, val


def model_config(name: str):
    from omegaconf import OmegaConf

    from dso_model.config import compose_config
    from dso_model.pipeline.settings import model_config_from_mapping

    cfg = OmegaConf.to_container(compose_config("train", [f"model={name}"]), resolve=True)
    from dso_model.models.labels import LabelConfig

    return model_config_from_mapping(cfg["model"], LabelConfig(**cfg["labels"]), seed=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000, help="training invoices")
    parser.add_argument("--features", type=int, default=120)
    parser.add_argument("--model", default="lightgbm", help="a configs/model/ option")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from dso_model.models.delay import DelayModel

    t0 = time.perf_counter()
    # enough invoices in total that the training window alone holds --invoices
    X, known, train, val = make_inputs(int(args.invoices / 0.82), args.features, args.seed)
    t_data = time.perf_counter() - t0
    print(
        f"data: {train.sum():,} training and {val.sum():,} validation invoices x {X.shape[1]} features "
        f"({t_data:.1f}s to generate)"
    )
    cfg = model_config(args.model)
    load_before = os.getloadavg()[0]
    t1, c1 = time.perf_counter(), time.process_time()
    model = DelayModel(cfg).fit(
        X.loc[train], known.loc[train], eval_set=(X.loc[val], known.loc[val])
    )
    fit_s, fit_cpu = time.perf_counter() - t1, time.process_time() - c1
    t2 = time.perf_counter()
    model.predict(X.loc[val])
    predict_s = time.perf_counter() - t2
    rounds = model.boosting_rounds()
    print(
        f"fit: {fit_s:.1f}s wall, {fit_cpu:.1f}s CPU on {os.cpu_count()} cores (load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after; other processes slow it down)"
    )
    print(f"     model={args.model}; rounds {rounds}; {model.n_train_['periods']:,} hazard periods")
    print(f"predict {val.sum():,} invoices: {predict_s:.1f}s")
    print(f"peak memory: {peak_memory_mb():,.0f} MB")
    print(f"target: fit under 120 s on 2 cores -> {'met' if fit_s < 120 else 'NOT met'}")


if __name__ == "__main__":
    pd.set_option("display.width", 160)
    main()

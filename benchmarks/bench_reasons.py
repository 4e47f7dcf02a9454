"""Reason codes for a million invoices: time of the contributions and of the wording.

Run: ``python benchmarks/bench_reasons.py [--rows 1000000] [--threads 2]``. Trains delay
regressors of a few sizes on 50,000 synthetic invoices carrying every registered feature
(``dso_model.explain.demo``), then on ``--rows`` invoices times, chunk by chunk as scoring does:

- ``saabas`` path attribution (``pred_leaf`` + a sparse leaf table) and the top-3 reasons in
  English and Spanish, on all rows;
- exact TreeSHAP (LightGBM ``pred_contrib``) on ``--exact-rows`` rows, printed as measured and as
  the per-million figure it implies (exact on a million rows takes too long to run here);
- how often the two methods agree on the top reason and on the set of three.

Both wall-clock and CPU seconds (all threads of the process) are printed: on a shared machine
the wall clock measures the neighbours as much as the code; CPU seconds / threads is what an
otherwise idle machine with that many cores would take, at best.

The requirement: reason codes for a million invoices in under 60 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

SIZES = (  # (trees, leaves, max depth); the delay model allows 400 x 31 before early stopping
    (100, 8, 3),
    (100, 15, -1),
    (400, 31, -1),
)


def _timed(fn):
    """``(result, wall seconds, CPU seconds)``."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _bulk(model, X, langs, chunk, threads):
    from dso_model.explain.contributions import tree_contributions
    from dso_model.explain.reasons import reason_codes

    totals = np.zeros(4)  # wall and CPU seconds of contributions, then of wording
    empty = 0
    for start in range(0, len(X), chunk):
        part = X.iloc[start : start + chunk]
        contribs, w1, c1 = _timed(
            lambda p=part: tree_contributions(model, p, method="saabas", num_threads=threads)
        )
        reasons, w2, c2 = _timed(lambda c=contribs, p=part: reason_codes(c, p, langs))
        totals += (w1, c1, w2, c2)
        empty += int(reasons[f"reason_1_{langs[0]}"].isna().sum())
    return totals, empty


def _agreement(model, X, threads):
    from dso_model.explain.contributions import tree_contributions
    from dso_model.explain.reasons import top_drivers

    exact, wall, cpu = _timed(lambda: tree_contributions(model, X, num_threads=threads))
    approx = tree_contributions(model, X, method="saabas", num_threads=threads)
    ie, _ = top_drivers(exact.values.to_numpy(), 3)
    ia, _ = top_drivers(approx.values.to_numpy(), 3)
    top1 = float((ie[:, 0] == ia[:, 0]).mean())
    same3 = float((np.sort(ie, axis=1) == np.sort(ia, axis=1)).all(axis=1).mean())
    return wall, cpu, top1, same3


def main() -> None:
    from dso_model.explain.demo import make_explain_dataset, train_demo_model

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--exact-rows", type=int, default=5_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=250_000)
    args = parser.parse_args()
    langs = ("en", "es")
    _, X, _ = make_explain_dataset(args.rows, seed=1)
    _, X_train, y_train = make_explain_dataset(50_000, seed=2)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{args.rows:,} invoices x {X.shape[1]} features, reasons in {langs}, "
        f"{args.threads} threads, load average {load:.1f}"
    )
    for trees, leaves, depth in SIZES:
        model = train_demo_model(
            X_train,
            y_train,
            n_estimators=trees,
            num_leaves=leaves,
            max_depth=depth,
            n_jobs=args.threads,
        )
        (w1, c1, w2, c2), empty = _bulk(model, X, langs, args.chunk, args.threads)
        sample = X.iloc[: args.exact_rows]
        wall, cpu, top1, same3 = _agreement(model, sample, args.threads)
        scale = 1_000_000 / len(sample)
        print(
            f"trees={trees:3d} leaves={leaves:2d} depth={depth:2d} | {args.rows:,} reasons, saabas: "
            f"contributions {w1:5.1f} s wall / {c1:5.1f} s CPU, wording {w2:5.1f} s / {c2:5.1f} s "
            f"CPU, total {w1 + w2:5.1f} s wall / {c1 + c2:5.1f} s CPU ({empty} without a driver) "
            f"| exact TreeSHAP per million (from {len(sample):,}): {wall * scale:6.0f} s wall / "
            f"{cpu * scale:6.0f} s CPU | same top reason {top1:.1%}, same top three {same3:.1%}"
        )


if __name__ == "__main__":
    main()

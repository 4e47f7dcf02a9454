"""End-to-end scoring of a million open invoices: features, predictions, reasons, groups, actions.

Run: ``python benchmarks/bench_score.py [--open 1000000] [--workers 1 2] [--book simulated]
[--reasons N] [--no-messages]`` (``--workers`` with no number: the pandas backend only).

A delay model and the rest of a bundle are trained on a small simulated book (``dso_model.sim``)
and kept in ``--cache``. The book scored is, by default, a fresh simulated portfolio with as many
customers as it takes to hold ``--open`` open invoices at its extraction date (another seed, every
customer distinct). ``--book replicated`` scores instead renamed copies of the training book,
amounts jittered per copy: its customers repeat, so the decision-pattern shortcuts (one
computation per distinct pattern of the models' splits) gain far more than on a real book; it is
kept to show that upper bound. The scoring pipeline runs once with the pandas backend and once per
``--workers`` count on a local Dask cluster, and the wall-clock time of each stage is printed. The
machine's other load is printed too: timings on a shared machine are upper bounds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd


def simulate_base(n_customers: int, months: int, seed: int):
    from dso_model.sim import SimConfig, simulate

    config = SimConfig.from_mapping(
        {"n_customers": n_customers, "months": months, "seed": seed, "oracle": {"replications": 0}}
    )
    return simulate(config).portfolio


def _suffix(values: pd.Series, tag: str) -> pd.Series:
    return values.astype("str") + tag


ID_COLUMNS = {
    "customers": ("customer_id",),
    "invoices": ("invoice_id", "customer_id"),
    "payments": ("payment_id", "invoice_id"),
    "contacts": ("contact_id", "customer_id", "invoice_id"),
    "events": ("event_id", "customer_id", "invoice_id"),
}
MONEY_COLUMNS = {
    "invoices": ("amount", "paid_amount"),
    "payments": ("amount",),
    "events": ("value",),
}


def replicate(portfolio, copies: int, seed: int = 0):
    """``copies`` renamed copies of every table; each copy's amounts scaled by one random factor."""
    from dataclasses import replace

    rng = np.random.default_rng(seed)
    factors = rng.uniform(0.6, 1.6, copies)
    tables = {}
    for table, id_columns in ID_COLUMNS.items():
        frame = getattr(portfolio, table)
        parts = []
        for r in range(copies):
            tag = f"-{r:04d}"
            part = frame.assign(
                **{c: _suffix(frame[c], tag).where(frame[c].notna()) for c in id_columns}
            )
            for column in MONEY_COLUMNS.get(table, ()):
                if column in part:
                    part[column] = (part[column] * factors[r]).round(2)
            parts.append(part)
        tables[table] = pd.concat(parts, ignore_index=True)
    return replace(portfolio, **tables)


def train_bundle(portfolio, trees: int):
    from dso_model.features import FeatureConfig, build_features, training_cutoffs
    from dso_model.models.boosting import BoostingParams
    from dso_model.models.delay import DelayModel, DelayModelConfig
    from dso_model.models.labels import LabelConfig, delay_outcomes
    from dso_model.models.matrix import to_model_matrix
    from dso_model.scoring.build import build_bundle
    from dso_model.scoring.decisions import fit_decision_parts

    features = build_features(portfolio, training_cutoffs(portfolio.invoices), FeatureConfig())
    X = to_model_matrix(features.reindex(portfolio.invoices["invoice_id"].to_numpy()))
    outcomes = delay_outcomes(portfolio.invoices, portfolio.as_of, LabelConfig())
    params = BoostingParams(n_estimators=trees, early_stopping_rounds=0, n_jobs=2)
    model = DelayModel(DelayModelConfig(params=params)).fit(X, outcomes)
    small = {"n_estimators": trees, "early_stopping_rounds": 0}
    plain = {
        "profiles": {"model": small},
        "export_settings": {"response_params": small | {"n_jobs": 2}},
    }
    plain["export_settings"]["response_params"].pop("early_stopping_rounds")
    parts = fit_decision_parts(portfolio, plain)
    return build_bundle(model, portfolio, provenance={"data": "benchmark"}, **parts)


def cached_base(args, strip):
    """The base book and its bundle, trained once per setting and kept in ``--cache``."""
    import pickle
    from pathlib import Path

    from dso_model.scoring.schema import BUNDLE_FORMAT

    key = f"base-{args.base_customers}-{args.months}-{args.trees}-format{BUNDLE_FORMAT}.pkl"
    path = Path(args.cache) / key if args.cache else None
    if path is not None and path.exists():
        return pickle.loads(path.read_bytes())
    base = strip(simulate_base(args.base_customers, args.months, seed=11))
    bundle = train_bundle(base, args.trees)
    if path is not None:
        from dso_model.io.atomic import write_atomic

        write_atomic(path, lambda p: p.write_bytes(pickle.dumps((base, bundle))))
    return base, bundle


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def run(
    portfolio,
    bundle,
    backend: str,
    workers: int = 0,
    reasons: int | None = None,
    messages: bool = True,
    reasons_method: str = "exact",
):
    from dso_model.scoring.pipeline import ScoreSettings, score_portfolio

    settings = ScoreSettings(
        as_of=portfolio.as_of,
        backend=backend,
        progress=False,
        reasons_max_rows=reasons,
        messages=messages,
        reasons_method=reasons_method,
    )
    start = time.perf_counter()
    if backend == "dask":
        from dso_model.scoring.distributed import dask_client

        with dask_client(None, n_workers=workers, threads_per_worker=1) as client:
            ready = time.perf_counter()
            result = score_portfolio(portfolio, bundle, settings, client=client)
        cluster = ready - start
    else:
        result = score_portfolio(portfolio, bundle, settings)
        cluster = 0.0
    total = time.perf_counter() - start
    return total, {"cluster_start": cluster, **result.timings}, len(result.worklist)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=1_000_000, help="open invoices to score")
    parser.add_argument("--base-customers", type=int, default=1000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--book", choices=("simulated", "replicated"), default="simulated")
    parser.add_argument("--cache", default=None, help="folder to keep the trained base book in")
    parser.add_argument("--reasons", type=int, default=None, help="reasons for the top N rows only")
    parser.add_argument("--no-messages", action="store_true", help="do not render the messages")
    parser.add_argument(
        "--reasons-method", choices=("exact", "saabas"), default="exact", help="see dso-score"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    t0 = time.perf_counter()
    from dso_model.scoring.privacy import strip_personal_data

    base, bundle = cached_base(args, strip_personal_data)
    print(
        f"trained on {len(base.invoices):,} invoices in {time.perf_counter() - t0:.0f} s "
        f"({args.trees} trees per booster)"
    )
    base_open = int(
        base.snapshot(base.as_of).invoices["status"].isin(["open", "partially_paid"]).sum()
    )
    if args.book == "replicated":
        copies = -(-args.open // base_open)
        book = replicate(base, copies)
        origin = f"{copies} copies of {base_open:,} open invoices"
    else:
        customers = -(-args.open * args.base_customers // base_open)
        book = strip_personal_data(simulate_base(customers, args.months, seed=12))
        origin = f"simulated, {customers:,} distinct customers"
    print(
        f"book: {len(book.customers):,} customers, {len(book.invoices):,} invoices, "
        f"{len(book.payments):,} payments, {len(book.contacts):,} contacts, {len(book.events):,} events "
        f"({origin}); set-up {time.perf_counter() - t0:.0f} s"
    )
    print(
        f"machine: {load_note()} (the cores are shared with other work: figures are upper bounds)"
    )
    runs = [] if args.skip_pandas else [("pandas", 0)]
    runs += [("dask", w) for w in args.workers]
    for backend, workers in runs:
        total, stages, n = run(
            book, bundle, backend, workers, args.reasons, not args.no_messages, args.reasons_method
        )
        label = backend if backend == "pandas" else f"dask x{workers} workers"
        detail = ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())
        print(f"{label:18s} {n:,} open invoices in {total:6.1f} s ({n / total:,.0f}/s): {detail}")
        print(f"{'':18s} {load_note()}")


if __name__ == "__main__":
    main()

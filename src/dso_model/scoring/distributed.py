"""Scale-out on Dask: a client for a scheduler address (or a local cluster), and the per-invoice
work mapped over blocks of whole customers.

Features go through the feature package's own Dask backend (partitioned by customer); predictions
and reasons are computed on the workers, one task per block of customers, with the bundle sent
once to every worker. Results come back in the original row order, so the output equals the
pandas backend's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from dso_model.scoring.reasons import Explanation
from dso_model.scoring.rows import (
    RowPredictions,
    concat_explanations,
    concat_predictions,
    explain_rows,
    predict_rows,
)


@contextmanager
def dask_client(
    scheduler: str | None = None, n_workers: int = 2, threads_per_worker: int = 1
) -> Iterator[Any]:
    """A ``distributed.Client`` on ``scheduler``, or on a new ``LocalCluster`` when it is None."""
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    with (
        _quiet("distributed"),
        LocalCluster(
            n_workers=n_workers, threads_per_worker=threads_per_worker, processes=True,
            dashboard_address=None, silence_logs=40,
        ) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        yield client


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Keep a local cluster's start-up and shut-down chatter (INFO lines, the nannies' warnings
    about slow worker exits) out of the job's log; errors still show."""
    import logging
    import warnings

    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # its health/metrics HTTP server moves to a free port when the usual one is taken
            warnings.filterwarnings("ignore", message="Port .* is already in use")
            yield
    finally:
        logger.setLevel(level)


def customer_blocks(customer_ids: pd.Series, nblocks: int) -> list[np.ndarray]:
    """Row positions of each block; a block holds whole customers (sorted ids, equal counts)."""
    codes, uniques = pd.factorize(customer_ids.astype("str"), sort=True)
    nblocks = max(1, min(nblocks, len(uniques)))
    block_of_customer = np.arange(len(uniques)) * nblocks // max(len(uniques), 1)
    block = block_of_customer[codes] if len(codes) else np.empty(0, dtype=np.int64)
    order = np.argsort(block, kind="stable")
    bounds = np.searchsorted(block[order], np.arange(nblocks + 1))
    return [order[bounds[b] : bounds[b + 1]] for b in range(nblocks)]


def _map_blocks(
    client: Any,
    fn: Callable,
    bundle,
    frames: Sequence[pd.DataFrame],
    customers: pd.Series,
    args: tuple,
    nblocks: int | None,
    chunk_size: int,
) -> tuple[list[Any], np.ndarray]:
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    nblocks = nblocks or max(workers * 2, -(-len(customers) // max(chunk_size, 1)))
    blocks = [b for b in customer_blocks(customers, nblocks) if len(b)]
    shared = client.scatter(bundle, broadcast=True)
    pieces = client.scatter([tuple(f.iloc[rows] for f in frames) for rows in blocks])
    futures = [client.submit(_call, fn, shared, piece, args, pure=False) for piece in pieces]
    parts = client.gather(futures)
    stacked = np.concatenate(blocks)
    order = np.empty(len(stacked), dtype=np.int64)
    order[stacked] = np.arange(len(stacked))
    return parts, order


def _call(fn: Callable, bundle, frames: tuple, args: tuple) -> Any:
    return fn(bundle, *frames, *args)


def predict_rows_dask(
    client, bundle, X, book, as_of, chunk_size: int, nblocks: int | None = None
) -> RowPredictions:
    """:func:`~dso_model.scoring.rows.predict_rows` over customer blocks on the cluster."""
    if not len(X):
        return predict_rows(bundle, X, book, as_of, chunk_size)
    parts, order = _map_blocks(
        client,
        predict_rows,
        bundle,
        (X, book),
        book["customer_id"],
        (as_of, chunk_size),
        nblocks,
        chunk_size,
    )
    return concat_predictions(parts, order)


def explain_rows_dask(
    client,
    bundle,
    X,
    customers: pd.Series,
    languages,
    top: int,
    chunk_size: int,
    method: str = "exact",
    nblocks: int | None = None,
) -> Explanation:
    """:func:`~dso_model.scoring.rows.explain_rows` over customer blocks on the cluster."""
    if not len(X):
        return explain_rows(bundle, X, languages, top, chunk_size, method)
    args = (tuple(languages), top, chunk_size, method)
    parts, order = _map_blocks(
        client, explain_rows, bundle, (X,), customers, args, nblocks, chunk_size
    )
    return concat_explanations(parts, order)

"""Build the feature table: one row per (invoice, cut-off), one column per registered feature.

The portfolio is cut into blocks of whole customers (features of one customer never need another
customer's rows); each block is prepared and computed on its own, which bounds memory. The pandas
backend runs the blocks one after another; the Dask backend maps the very same block function over
a Dask DataFrame partitioned by customer.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dso_model.errors import DsoInputError
from dso_model.features.attributes import attribute_features
from dso_model.features.channel import channel_features
from dso_model.features.config import FeatureConfig
from dso_model.features.context import Context
from dso_model.features.encode import (
    Coded,
    Coverage,
    encode_cutoffs,
    encode_portfolio,
    split_by_customer,
)
from dso_model.features.encoding import CategoryEncoder
from dso_model.features.exposure import exposure_features
from dso_model.features.history import history_features
from dso_model.features.invoice import invoice_features
from dso_model.features.prepare import prepare_book
from dso_model.features.registry import feature_registry
from dso_model.features.reputation import reputation_features

BACKENDS = ("pandas", "dask")
DEFAULT_BLOCK_CUSTOMERS = 100_000


@dataclass(frozen=True)
class Globals:
    """What every block must share with the others: settings, category codes, source coverage."""

    config: FeatureConfig
    encoder: CategoryEncoder
    coverage: Coverage


def build_features(
    portfolio,
    cutoffs: pd.DataFrame,
    config: FeatureConfig | None = None,
    backend: str = "pandas",
    *,
    encoder: CategoryEncoder | None = None,
    block_customers: int = DEFAULT_BLOCK_CUSTOMERS,
    npartitions: int | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Features of each (invoice_id, cutoff) row, from what was known strictly before the cutoff.

    Returns a frame indexed by ``invoice_id`` in the order of ``cutoffs``, with the columns of
    :func:`~dso_model.features.registry.feature_names` and their registered dtypes (numbers only).
    ``encoder`` fixes category codes: fit one at training time and pass it again when scoring
    (by default one is fitted on this portfolio). ``backend="dask"`` partitions the work by
    customer over the active Dask scheduler (``npartitions`` partitions) and returns the same frame;
    the pandas backend runs blocks of ``block_customers`` customers, ``workers`` at a time.
    """
    if backend not in BACKENDS:
        raise DsoInputError(
            f"unknown feature backend '{backend}'", hint=f"use one of {', '.join(BACKENDS)}"
        )
    cutoffs = check_cutoffs(cutoffs)
    shared = make_globals(portfolio, config, encoder)
    if backend == "dask":
        from dso_model.features.dask_backend import build_features_dask

        return build_features_dask(portfolio, cutoffs, shared, npartitions)
    out = empty_columns(len(cutoffs), shared.config)
    for rows, columns in iter_blocks(portfolio, cutoffs, shared, block_customers, workers):
        for name, column in out.items():
            column[rows] = columns[name]
    return to_frame(out, cutoffs["invoice_id"])


def to_frame(columns: dict[str, np.ndarray], invoice_ids: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        columns, index=pd.Index(invoice_ids.astype("str"), name="invoice_id"), copy=False
    )


def make_globals(
    portfolio, config: FeatureConfig | None, encoder: CategoryEncoder | None
) -> Globals:
    if encoder is None:
        encoder = CategoryEncoder().fit(portfolio.customers, portfolio.invoices)
    elif not hasattr(encoder, "vocabularies_"):
        raise DsoInputError(
            "the category encoder is not fitted", hint="fit it, or pass encoder=None"
        )
    return Globals(config or FeatureConfig(), encoder, Coverage.of(portfolio))


def check_cutoffs(cutoffs: pd.DataFrame) -> pd.DataFrame:
    missing = {"invoice_id", "cutoff"} - set(cutoffs.columns)
    if missing:
        raise DsoInputError(
            f"cut-offs need the column(s) {', '.join(sorted(missing))}", table="cutoffs"
        )
    return pd.DataFrame(
        {
            "invoice_id": cutoffs["invoice_id"].astype("str").reset_index(drop=True),
            "cutoff": pd.to_datetime(cutoffs["cutoff"]).reset_index(drop=True),
        }
    )


def empty_columns(n: int, config: FeatureConfig) -> dict[str, np.ndarray]:
    return {spec.name: np.zeros(n, dtype=spec.dtype) for spec in feature_registry(config)}


Block = tuple[np.ndarray, dict[str, np.ndarray]]


def iter_blocks(
    portfolio,
    cutoffs: pd.DataFrame,
    shared: Globals,
    block_customers: int = DEFAULT_BLOCK_CUSTOMERS,
    workers: int = 1,
) -> Iterator[Block]:
    """``(rows, columns)`` per block of customers: ``rows`` are positions in ``cutoffs``.

    With ``workers > 1``, ``workers`` blocks at a time run on Dask's threaded scheduler (numpy,
    pandas and Arrow release the GIL in the heavy steps); memory grows with ``workers`` blocks.
    """
    cutoffs = cutoffs.assign(_row=np.arange(len(cutoffs)))
    parts = split_by_customer(portfolio, cutoffs, block_customers)
    if workers <= 1:
        for part, part_cutoffs in parts:
            yield features_of_part(part, part_cutoffs, shared)
        return
    import dask

    while batch := list(itertools.islice(parts, workers)):
        tasks = [
            dask.delayed(features_of_part, pure=False)(part, cuts, shared) for part, cuts in batch
        ]
        yield from dask.compute(*tasks, scheduler="threads", num_workers=workers)


def features_of_part(portfolio, cutoffs: pd.DataFrame, shared: Globals) -> Block:
    """Code one part of the portfolio (whole customers) and compute its features.

    ``cutoffs`` carries ``_row``, which comes back as the block's ``rows``.
    """
    if not len(cutoffs):
        return np.empty(0, np.int64), empty_columns(0, shared.config)
    cuts = encode_cutoffs(cutoffs, portfolio.invoices)
    return compute_block(encode_portfolio(portfolio, shared.encoder), cuts, shared)


def compute_block(coded: Coded, cuts: pd.DataFrame, shared: Globals) -> Block:
    """The pure core: features of one block of whole customers, in registry order and dtype."""
    book, tg = prepare_book(coded, cuts, shared.coverage)
    ctx = Context(book, tg, shared.config)
    values = history_features(ctx)
    values.update(exposure_features(ctx))
    values.update(channel_features(ctx))
    values.update(reputation_features(ctx))
    values.update(attribute_features(ctx, values))
    values.update(invoice_features(ctx))
    return tg.row, typed(values, shared.config)


def typed(values: dict[str, np.ndarray], config: FeatureConfig) -> dict[str, np.ndarray]:
    """The registered features, in registry order and dtype; anything unregistered is a bug."""
    specs = feature_registry(config)
    extra = set(values) - {s.name for s in specs}
    if extra:
        raise AssertionError(f"features computed but not registered: {sorted(extra)}")
    return {s.name: np.asarray(values[s.name]).astype(s.dtype, copy=False) for s in specs}


def write_features(
    portfolio,
    cutoffs: pd.DataFrame,
    path: str | os.PathLike[str],
    config: FeatureConfig | None = None,
    *,
    encoder: CategoryEncoder | None = None,
    block_customers: int = DEFAULT_BLOCK_CUSTOMERS,
    workers: int = 1,
) -> Path:
    """Stream the features to one Parquet file, block by block (for tables too big for memory).

    Rows come grouped by customer block, each with its ``invoice_id`` and ``cutoff`` columns.
    The file appears atomically when complete.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dso_model.io.atomic import atomic_path

    cutoffs = check_cutoffs(cutoffs)
    shared = make_globals(portfolio, config, encoder)
    schema = None
    with atomic_path(path) as tmp:
        writer = None
        for rows, columns in iter_blocks(portfolio, cutoffs, shared, block_customers, workers):
            table = pa.table(
                {
                    "invoice_id": pa.array(cutoffs["invoice_id"]).take(rows),
                    "cutoff": pa.array(cutoffs["cutoff"].to_numpy()[rows]),
                    **columns,
                }
            )
            schema = schema or table.schema
            writer = writer or pq.ParquetWriter(tmp, schema)
            writer.write_table(table)
        if writer is None:
            empty = {
                "invoice_id": [],
                "cutoff": pd.Series([], dtype="datetime64[ns]"),
                **empty_columns(0, shared.config),
            }
            pd.DataFrame(empty).to_parquet(tmp, index=False)
        else:
            writer.close()
    return Path(path)

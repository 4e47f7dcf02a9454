"""The Dask backend: the same block function mapped over tables partitioned by customer.

Every table gets a ``_part`` bucket from a stable hash of its customer id (payments through their
invoice) and is shuffled on it into ``npartitions`` partitions, so partition *i* of every table
holds the same customers. ``map_partitions`` then runs the pure core
(:func:`~dso_model.features.build.features_of_part`) on each aligned set of partitions, with the
settings, category codes and source coverage computed once on the whole portfolio. It runs on
whatever Dask scheduler is active (a ``distributed.Client`` if one exists).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dso_model.features.build import Globals, empty_columns, features_of_part, to_frame
from dso_model.features.encoding import lookup

TABLES = ("customers", "invoices", "payments", "contacts", "events")
PART = "_part"


def customer_buckets(customer_ids: pd.Series, npartitions: int) -> np.ndarray:
    """Stable bucket of each customer id (the same in every process and run)."""
    values = customer_ids.astype("str").to_numpy(dtype=object)
    return (pd.util.hash_array(values, categorize=False) % np.uint64(npartitions)).astype(np.int64)


def tag_tables(portfolio, cutoffs: pd.DataFrame, npartitions: int) -> dict[str, pd.DataFrame]:
    """Each table (and the cut-offs, with their input position) with its ``_part`` bucket."""
    bucket = customer_buckets(portfolio.customers["customer_id"], npartitions)
    by_customer = lambda f: bucket[lookup(f["customer_id"], portfolio.customers["customer_id"])]  # noqa: E731
    invoice_bucket = by_customer(portfolio.invoices)
    by_invoice = lambda f: invoice_bucket[lookup(f["invoice_id"], portfolio.invoices["invoice_id"])]  # noqa: E731
    parts = {
        "customers": bucket,
        "invoices": invoice_bucket,
        "payments": by_invoice(portfolio.payments)
        if len(portfolio.payments)
        else np.empty(0, np.int64),
        "contacts": by_customer(portfolio.contacts)
        if len(portfolio.contacts)
        else np.empty(0, np.int64),
        "events": by_customer(portfolio.events) if len(portfolio.events) else np.empty(0, np.int64),
    }
    tagged = {name: getattr(portfolio, name).assign(**{PART: parts[name]}) for name in TABLES}
    tagged["cutoffs"] = cutoffs.assign(_row=np.arange(len(cutoffs)), **{PART: by_invoice(cutoffs)})
    return tagged


def partition_features(
    cutoffs, customers, invoices, payments, contacts, events, *, shared: Globals, as_of, name
):
    """Features of one partition: rebuild its (already validated) portfolio, then the pure core."""
    from dso_model.contract.portfolio import Portfolio

    check_aligned(customers, (cutoffs, invoices, payments, contacts, events))

    def clean(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.drop(columns=PART).reset_index(drop=True)

    portfolio = Portfolio(
        customers=clean(customers),
        invoices=clean(invoices),
        payments=clean(payments),
        contacts=clean(contacts),
        events=clean(events),
        as_of=as_of,
        name=name,
    )
    cutoffs = clean(cutoffs).sort_values("_row", kind="stable").reset_index(drop=True)
    rows, columns = features_of_part(portfolio, cutoffs, shared)
    order = np.argsort(rows, kind="stable")  # rows[order] is cutoffs["_row"]
    columns = {k: v[order] for k, v in columns.items()}
    return to_frame({**columns, "_row": cutoffs["_row"].to_numpy()}, cutoffs["invoice_id"])


def empty_frame(shared: Globals) -> pd.DataFrame:
    columns = {**empty_columns(0, shared.config), "_row": np.empty(0, np.int64)}
    return to_frame(columns, pd.Series([], dtype="str"))


def check_aligned(customers: pd.DataFrame, others) -> None:
    """Every row of the partition belongs to a customer of the partition (else rows would be lost)."""
    buckets = set(np.unique(customers[PART].to_numpy()))
    for frame in others:
        if len(frame) and not set(np.unique(frame[PART].to_numpy())) <= buckets:
            raise RuntimeError("Dask partitions are not aligned by customer")


def default_partitions(portfolio) -> int:
    return int(max(1, min(256, len(portfolio.customers) // 20_000)))


def build_features_dask(
    portfolio, cutoffs: pd.DataFrame, shared: Globals, npartitions: int | None = None
) -> pd.DataFrame:
    """Same result as the pandas backend, computed partition by partition with Dask."""
    import dask.dataframe as dd

    n = npartitions or default_partitions(portfolio)
    tagged = tag_tables(portfolio, cutoffs, n)
    frames = [shuffled(tagged[name], n) for name in ("cutoffs", *TABLES)]
    result = dd.map_partitions(
        partition_features,
        *frames,
        shared=shared,
        as_of=portfolio.as_of,
        name=portfolio.name,
        meta=empty_frame(shared),
        align_dataframes=False,
    )
    computed = result.compute().sort_values("_row", kind="stable")
    if not np.array_equal(computed["_row"].to_numpy(), np.arange(len(cutoffs))):
        raise RuntimeError("the Dask partitions lost or duplicated rows")
    return computed.drop(columns="_row")


def shuffled(frame: pd.DataFrame, npartitions: int):
    """A Dask DataFrame of ``frame`` whose partition i holds the rows of the customers of bucket i."""
    import dask.dataframe as dd

    start = dd.from_pandas(
        frame, npartitions=max(1, min(npartitions, len(frame) // 10_000 or 1)), sort=False
    )
    return start.shuffle(on=PART, npartitions=npartitions, shuffle_method="tasks")

"""The bincount tallies, the last-paid selection and the direct look-ups give what pandas and
Arrow give, to the bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from dso_model.contract.lookup import contains, positions_in
from dso_model.profiles.customer_features import last_paid
from dso_model.profiles.tallies import count_by, share_by, sum_by

ids = st.one_of(st.none(), st.integers(0, 6))
flags = st.one_of(st.none(), st.booleans())


def id_series(values) -> pd.Series:
    return pd.Series([np.nan if v is None else v for v in values], dtype=float, name="customer_id")


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(ids, flags), max_size=40))
def test_tallies_agree_with_group_by(rows):
    key = id_series([k for k, _ in rows])
    as_float = pd.Series([np.nan if f is None else float(f) for _, f in rows], dtype=float)
    as_bool = as_float.fillna(0).astype(bool)
    # names are set by the frames the tallies go into; pandas sums no bools to floats (no rows)
    same = {"check_exact": True, "check_names": False, "check_dtype": bool(key.notna().any())}
    pd.testing.assert_series_equal(count_by(key), key.groupby(key).size(), **same)
    for values in (as_float, as_bool):
        grouped = values.groupby(key)
        pd.testing.assert_series_equal(sum_by(key, values), grouped.sum(), **same)
        pd.testing.assert_series_equal(share_by(key, values), grouped.mean(), **same)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(ids, st.integers(0, 5)), max_size=40),
    n=st.integers(1, 4),
)
def test_last_paid_keeps_what_sort_and_tail_keep(rows, n):
    settled = pd.DataFrame(
        {
            "customer_id": id_series([k for k, _ in rows]),
            "paid_date": pd.Timestamp("2024-01-01") + pd.to_timedelta([d for _, d in rows], "D"),
            "days_late": np.arange(len(rows), dtype=float),
        }
    )
    expected = settled.sort_values("paid_date", kind="stable").groupby("customer_id").tail(n)
    got = last_paid(settled, n)
    assert sorted(got.index) == sorted(expected.index)
    for _, mine in got.groupby("customer_id"):  # each customer's rows in the same order
        assert list(mine.index) == list(expected.loc[mine.index.intersection(expected.index)].index)


numbers = st.one_of(st.sampled_from([np.nan, -0.0, 0.5, -3.0, 1e9]), st.integers(0, 20))


@settings(max_examples=200, deadline=None)
@given(
    keys=st.sets(st.integers(0, 20), max_size=12),
    values=st.lists(numbers, max_size=30),
    whole=st.booleans(),
)
def test_direct_look_ups_agree_with_arrow(keys, values, whole):
    k = pd.Series(sorted(keys), dtype=float)
    v = pd.Series([float(x) for x in values], dtype=float)
    if whole:
        k, v = k.astype(np.int64), v[v.notna() & (v >= 0)].astype(np.int64)
    found = pc.index_in(pa.array(v, from_pandas=True), value_set=pa.array(k, from_pandas=True))
    expected = found.fill_null(-1).to_numpy(zero_copy_only=False)
    np.testing.assert_array_equal(positions_in(v, k), expected)
    np.testing.assert_array_equal(contains(v, k), (expected >= 0) & (len(k) > 0))

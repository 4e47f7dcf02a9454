"""Days from a contact to the next payment: the packed binary search on numbered ids agrees with
pandas' ``merge_asof`` (used for ids that are not numbered)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dso_model.profiles.customer_features import next_payment_days

START = pd.Timestamp("2024-01-01")
keys = st.one_of(st.none(), st.integers(0, 4))
minutes = st.integers(0, 60 * 24 * 40)


def frame(rows, time_column: str) -> pd.DataFrame:
    key = [np.nan if k is None else float(k) for k, _ in rows]
    when = [START + pd.Timedelta(minutes=m) for _, m in rows]
    return pd.DataFrame({"customer_id": key, time_column: pd.to_datetime(when)})


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    key = frame["customer_id"]
    return frame.assign(customer_id=("K" + key.astype("Int64").astype(str)).where(key.notna()))


@settings(max_examples=200, deadline=None)
@given(
    contacts=st.lists(st.tuples(keys, minutes), min_size=1, max_size=30),
    payments=st.lists(st.tuples(keys, minutes), max_size=30),
)
def test_search_on_numbered_ids_agrees_with_merge_asof(contacts, payments):
    c, p = frame(contacts, "timestamp"), frame(payments, "payment_date")
    fast = next_payment_days(c, p)
    reference = next_payment_days(as_text(c), as_text(p))
    pd.testing.assert_series_equal(fast, reference, check_exact=True, check_names=False)


def test_payment_on_the_contact_day_counts_and_earlier_ones_do_not():
    c = frame([(0, 60 * 12), (1, 60 * 24 * 3)], "timestamp")  # day 0 at noon; day 3
    p = frame([(0, 60 * 2), (0, 60 * 30), (1, 60 * 24 * 2)], "payment_date")
    days = next_payment_days(c, p).to_numpy()
    assert days[0] == 2 / 24  # the payment at 02:00 the same day, counted from midnight
    assert np.isnan(days[1])  # customer 1 paid the day before the contact only

"""Days from a contact to the next payment: the packed binary search agrees with a plain scan of
every payment."""

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


def scanned(contacts: pd.DataFrame, payments: pd.DataFrame) -> pd.Series:
    """The reference: for each contact, every payment of its customer on or after its day."""
    out = []
    for key, when in zip(contacts["customer_id"], contacts["timestamp"], strict=True):
        day = when.normalize()
        mine = payments[(payments["customer_id"] == key) & (payments["payment_date"] >= day)]
        out.append(
            (mine["payment_date"].min() - day) / pd.Timedelta(days=1) if len(mine) else np.nan
        )
    return pd.Series(out, index=contacts.index, dtype=float)


@settings(max_examples=200, deadline=None)
@given(
    contacts=st.lists(st.tuples(keys, minutes), min_size=1, max_size=30),
    payments=st.lists(st.tuples(keys, minutes), max_size=30),
)
def test_search_agrees_with_a_scan_of_every_payment(contacts, payments):
    c, p = frame(contacts, "timestamp"), frame(payments, "payment_date")
    fast = next_payment_days(c, p)
    pd.testing.assert_series_equal(fast, scanned(c, p), check_exact=True, check_names=False)


def test_payment_on_the_contact_day_counts_and_earlier_ones_do_not():
    c = frame([(0, 60 * 12), (1, 60 * 24 * 3)], "timestamp")  # day 0 at noon; day 3
    p = frame([(0, 60 * 2), (0, 60 * 30), (1, 60 * 24 * 2)], "payment_date")
    days = next_payment_days(c, p).to_numpy()
    assert days[0] == 2 / 24  # the payment at 02:00 the same day, counted from midnight
    assert np.isnan(days[1])  # customer 1 paid the day before the contact only

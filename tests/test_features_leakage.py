"""No leakage, proven on random portfolios: nothing at or after a cut-off reaches its features.

For a random portfolio, a time T and cut-offs at or before T, one payment (or paid date), contact,
event or invoice dated at or after T is changed, added or deleted; the features of every invoice
whose cut-off is at or before T must stay exactly the same. Perturbations land exactly on T too:
a payment on the cut-off day itself is not yet known.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dso_model.features import build_features
from strategies import SPAN_DAYS, day, perturbed_after, portfolios

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def cutoffs_up_to(draw, portfolio, T: pd.Timestamp) -> pd.DataFrame:
    cuts = []
    for _ in range(len(portfolio.invoices)):
        if draw(st.booleans()):
            cuts.append(T)
        else:
            cuts.append(
                T - pd.Timedelta(days=draw(st.integers(0, 60)), minutes=draw(st.integers(0, 600)))
            )
    return pd.DataFrame({"invoice_id": portfolio.invoices["invoice_id"].to_numpy(), "cutoff": cuts})


@SETTINGS
@given(data=st.data())
def test_changes_at_or_after_the_cutoff_leave_features_unchanged(data):
    portfolio = data.draw(
        portfolios(max_customers=2, max_invoices=10, max_contacts=10, max_events=10)
    )
    minutes = data.draw(st.sampled_from([0, 0, 615]))
    T = day(data.draw(st.integers(0, SPAN_DAYS)), minutes)
    cutoffs = data.draw(cutoffs_up_to(portfolio, T))
    changed, touched = data.draw(perturbed_after(portfolio, T))
    keep = cutoffs[~cutoffs["invoice_id"].isin(touched)]
    before = build_features(portfolio, keep)
    after = build_features(changed, keep)
    pd.testing.assert_frame_equal(before, after, check_exact=True)

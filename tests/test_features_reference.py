"""The fast, vectorised feature path equals the slow loop-based reference on random portfolios."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dso_model.features import FeatureConfig, build_features
from dso_model.features.reference import reference_features
from strategies import cutoffs_for, portfolios


@st.composite
def configs(draw) -> FeatureConfig:
    return FeatureConfig(
        windows_days=draw(st.sampled_from([(30,), (90, 365), (7, 60)])),
        decay_half_life_days=draw(st.sampled_from([20.0, 180.0])),
        last_k=draw(st.integers(1, 4)),
        grace_days=draw(st.sampled_from([0, 3])),
        response_window_days=draw(st.sampled_from([0, 7])),
        pressure_windows_days=draw(st.sampled_from([(7, 30), (1,)])),
        reputation_window_days=draw(st.sampled_from([30, 365])),
        short_history_invoices=draw(st.integers(1, 4)),
    )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_fast_path_equals_reference(data):
    portfolio = data.draw(
        portfolios(max_customers=2, max_invoices=14, max_contacts=12, max_events=12)
    )
    cutoffs = data.draw(cutoffs_for(portfolio))
    config = data.draw(configs())
    block = data.draw(st.sampled_from([1, 1000]))  # one customer per block, or all in one
    workers = data.draw(st.sampled_from([1, 2]))  # blocks one by one, or two at a time on threads
    fast = build_features(portfolio, cutoffs, config, block_customers=block, workers=workers)
    slow = reference_features(portfolio, cutoffs, config)
    pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-9, atol=1e-9)

"""Features on the IBM benchmark through its adapter: no contacts, paid dates only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dso_model.features import FEATURE_REGISTRY, FeatureConfig, build_features, training_cutoffs
from dso_model.features.reference import reference_features


def test_ibm_features_build_and_match_the_reference(ibm_csv):
    from dso_model.config import compose_config
    from dso_model.data import load_data

    cfg = compose_config("train", ["data=ibm_ar"])
    portfolio = load_data(cfg.data, cfg.paths).portfolio
    config = FeatureConfig.from_mapping(cfg.features)
    cutoffs = training_cutoffs(portfolio.invoices)
    X = build_features(portfolio, cutoffs, config)
    assert len(X) == len(portfolio.invoices)
    channel = [n for n, s in FEATURE_REGISTRY.items() if s.family == "channel"]
    assert X[channel].isna().all().all()  # no contacts in the source: missing, not zero
    assert X["hist_partial_payments"].isna().all()  # no payment lines either
    share = X["hist_late_share"].dropna()
    assert X["hist_paid_count"].max() > 10 and share.between(0, 1).all() and 0 < share.mean() < 1
    assert np.isfinite(X["exp_open_balance"]).all()
    sample = cutoffs.sample(80, random_state=0)
    pd.testing.assert_frame_equal(
        build_features(portfolio, sample, config),
        reference_features(portfolio, sample, config),
        check_exact=False,
        rtol=1e-9,
        atol=1e-9,
    )

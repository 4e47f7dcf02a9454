"""The Dask backend, on a real distributed LocalCluster, gives exactly the pandas output."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dso_model.features import build_features
from strategies import cutoffs_for, portfolios

CASES: list = []


@settings(
    max_examples=2,
    deadline=None,
    phases=[Phase.generate],
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def _collect(data):
    portfolio = data.draw(
        portfolios(max_customers=3, max_invoices=12, max_contacts=10, max_events=10)
    )
    CASES.append((portfolio, data.draw(cutoffs_for(portfolio))))


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_dask_backend_equals_pandas_on_a_local_cluster(client):
    _collect()
    for portfolio, cutoffs in CASES:
        expected = build_features(portfolio, cutoffs)
        got = build_features(portfolio, cutoffs, backend="dask", npartitions=3)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert client.run(lambda: 1)  # the work really ran on the cluster's workers

"""backend=dask gives the same worklist and figures as the pandas backend."""

from __future__ import annotations

import pandas as pd
import pytest

from test_score_bundle import small_case
from test_score_pipeline import full_bundle, scored

pytestmark = pytest.mark.slow  # trains small models and scores end to end


def test_dask_backend_equals_pandas():
    from dso_model.scoring.distributed import dask_client
    from dso_model.scoring.pipeline import ScoreSettings, score_portfolio

    portfolio = small_case()[0]
    expected = scored()
    settings = ScoreSettings(as_of=portfolio.as_of, backend="dask", npartitions=3, chunk_size=40)
    with dask_client(None, n_workers=2, threads_per_worker=1) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        result = score_portfolio(portfolio, full_bundle(), settings, client=client)
    pd.testing.assert_frame_equal(result.worklist, expected.worklist, check_exact=True)
    pd.testing.assert_frame_equal(result.figures, expected.figures, check_exact=True)
    pd.testing.assert_frame_equal(result.drivers, expected.drivers, check_exact=True)
    pd.testing.assert_frame_equal(result.groups, expected.groups, check_exact=True)


def test_customer_blocks_keep_customers_whole():
    import numpy as np

    from dso_model.scoring.distributed import customer_blocks

    ids = pd.Series(["c3", "c1", "c2", "c1", "c3", "c4", "c2", "c5"])
    blocks = customer_blocks(ids, 3)
    assert sorted(np.concatenate(blocks)) == list(range(len(ids)))
    owners = [set(ids.iloc[b]) for b in blocks]
    for i, a in enumerate(owners):
        for b in owners[i + 1 :]:
            assert not a & b
    assert len(customer_blocks(ids, 50)) == 5

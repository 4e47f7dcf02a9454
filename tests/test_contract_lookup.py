"""The Arrow look-ups agree with pandas' get_indexer, isin and map."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dso_model.contract.lookup import contains, map_values, positions_in

ids = st.lists(st.sampled_from([f"C{i}" for i in range(12)] + [None]), max_size=30)


@settings(max_examples=60, deadline=None)
@given(values=ids, keys=st.sets(st.sampled_from([f"C{i}" for i in range(12)]), max_size=12))
def test_lookups_agree_with_pandas(values, keys):
    values = pd.Series(values, dtype="str")
    keys = pd.Series(sorted(keys), dtype="str")
    expected = pd.Index(keys).get_indexer(values)
    expected[values.isna().to_numpy()] = -1
    np.testing.assert_array_equal(positions_in(values, keys), expected)
    np.testing.assert_array_equal(contains(values, keys), values.isin(keys) & values.notna())
    mapping = pd.Series(np.arange(len(keys), dtype=float), index=keys)
    np.testing.assert_array_equal(
        map_values(values, mapping, fill=-5.0), values.map(mapping).fillna(-5.0).to_numpy()
    )


def test_mixed_types_fall_back_to_pandas():
    values = pd.Series([1, 2, 5])
    keys = pd.Series(["1", "2"])
    assert (positions_in(values, keys) == -1).all()
    assert positions_in(pd.Series([3, 1]), pd.Series([1, 2, 3])).tolist() == [2, 0]

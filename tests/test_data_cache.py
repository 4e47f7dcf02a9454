"""The simulated portfolio's cache key follows everything that determines the data."""

import dso_model.data as data
from dso_model.data import synthetic_cache_key


def test_cache_key_follows_settings_seed_and_code(monkeypatch):
    base = {"sim": "small", "seed": 3}
    key = synthetic_cache_key(base)
    assert synthetic_cache_key(dict(base)) == key
    assert synthetic_cache_key({**base, "seed": 4}) != key
    assert synthetic_cache_key({**base, "overrides": {"n_customers": 77}}) != key
    assert synthetic_cache_key({**base, "sim": "default"}) != key
    monkeypatch.setattr(data, "_simulator_code_digest", lambda: "edited")
    assert synthetic_cache_key(base) != key

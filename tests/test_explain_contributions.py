"""TreeSHAP contributions: additivity, units, chunking, and finding the booster in our models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dso_model.explain import raw_prediction, resolve_booster, tree_contributions
from dso_model.explain.demo import make_explain_dataset, train_demo_model


@pytest.fixture(scope="module")
def demo():
    invoices, X, y = make_explain_dataset(1500, seed=4)
    model = train_demo_model(X, y, n_estimators=60, num_leaves=15)
    return invoices, X, y, model


@pytest.mark.parametrize("method", ["exact", "saabas"])
def test_contributions_plus_bias_equal_raw_output_for_every_row(demo, method):
    _, X, _, model = demo
    contribs = tree_contributions(model, X, method=method)
    raw = raw_prediction(model, X).to_numpy()
    total = contribs.values.to_numpy().sum(axis=1) + contribs.expected_value
    np.testing.assert_allclose(total, raw, atol=1e-6)
    assert contribs.max_additivity_error() < 1e-6
    assert list(contribs.values.index) == list(X.index)
    assert contribs.units == "days"


def test_exact_contributions_match_the_shap_package(demo):
    import shap

    _, X, _, model = demo
    rows = X.iloc[:200]
    ours = tree_contributions(model, rows).values.to_numpy()
    theirs = shap.TreeExplainer(model.booster_).shap_values(rows)
    np.testing.assert_allclose(ours, np.asarray(theirs), atol=1e-6)


def test_chunked_equals_whole(demo):
    _, X, _, model = demo
    whole = tree_contributions(model, X.iloc[:300])
    chunked = tree_contributions(model, X.iloc[:300], chunk_size=64)
    np.testing.assert_array_equal(whole.values.to_numpy(), chunked.values.to_numpy())


def test_features_the_model_never_used_get_zero(demo):
    _, X, _, model = demo
    contribs = tree_contributions(model, X)
    used = set(np.asarray(model.booster_.feature_name())[model.booster_.feature_importance() > 0])
    unused = [c for c in contribs.features if c not in used]
    assert unused, "the demo model should leave some features unused"
    assert np.abs(contribs.values[unused].to_numpy()).max() == 0.0


def test_classifier_contributions_are_log_odds_and_add_up():
    import lightgbm as lgb

    _, X, y = make_explain_dataset(800, seed=5)
    clf = lgb.LGBMClassifier(n_estimators=30, num_leaves=7, n_jobs=1, verbosity=-1).fit(X, y > 5)
    contribs = tree_contributions(clf, X)
    assert contribs.units == "log-odds"
    raw = clf.predict(X, raw_score=True)
    np.testing.assert_allclose(contribs.output.to_numpy(), raw, atol=1e-6)


def test_resolves_the_boosters_of_the_delay_model_parts(demo):
    from dso_model.models.boosting import BoostingParams
    from dso_model.models.estimators import DelayMeanRegressor, DelayQuantileRegressor

    _, X, y, _ = demo
    params = BoostingParams(n_estimators=20, num_leaves=7, early_stopping_rounds=0, n_jobs=1)
    mean = DelayMeanRegressor(params).fit(X, y)
    assert resolve_booster(mean) is mean.booster_.booster_
    quantile = DelayQuantileRegressor((0.1, 0.5, 0.9), params, conformal=False).fit(X, y)

    class Stub:  # the shape of a fitted DelayModel
        late_ = mean
        quantile_ = quantile
        mean_ = None

    median = resolve_booster(Stub(), part="mean")  # no mean part: falls back to the median
    assert median is quantile.boosters_[1].booster_
    with pytest.raises(ValueError):
        resolve_booster(Stub(), part="nonsense")


def test_missing_model_features_are_an_error(demo):
    _, X, _, model = demo
    with pytest.raises(KeyError):
        tree_contributions(model, X.drop(columns=["hist_late_share"]))


@pytest.mark.parametrize("method", ["exact", "saabas"])
def test_categorical_splits_and_missing_values_still_add_up(method):
    _, X, y = make_explain_dataset(800, seed=9)
    X = X.copy()
    X.loc[X.index[::7], "hist_days_late_mean"] = np.nan
    import lightgbm as lgb

    model = train_demo_model(X, y, n_estimators=30, num_leaves=7, min_child_samples=5)
    booster = lgb.train(
        {"objective": "regression", "num_leaves": 7, "verbosity": -1, "num_threads": 1},
        lgb.Dataset(X, y, categorical_feature=["attr_segment", "attr_country"]),
        num_boost_round=30,
    )
    for fitted in (model, booster):
        contribs = tree_contributions(fitted, X, method=method)
        raw = raw_prediction(fitted, X).to_numpy()
        np.testing.assert_allclose(contribs.output.to_numpy(), raw, atol=1e-6)


def _with_missing_zero_and_repeats(X):
    rows = X.iloc[:400].astype("float64").reset_index(drop=True)
    rows.iloc[::7, 0] = np.nan
    rows.iloc[::11, 1] = 0.0
    nudged = rows.iloc[::5] * (1 + 1e-12)
    return pd.concat([rows, rows.iloc[::3], nudged], ignore_index=True)


def _block_by_block(booster, rows):
    """LightGBM's contributions of each iteration on every row, summed in tree order within each
    block of iterations, the blocks' sums added up in order."""
    from dso_model.explain.contributions import ITERATIONS_PER_BLOCK

    total = np.zeros((len(rows), rows.shape[1] + 1))
    n = booster.current_iteration()
    for start in range(0, n, ITERATIONS_PER_BLOCK):
        block = np.zeros_like(total)
        for iteration in range(start, min(start + ITERATIONS_PER_BLOCK, n)):
            block += booster.predict(
                rows, pred_contrib=True, start_iteration=iteration, num_iteration=1, num_threads=1
            )
        total += block
    return total


def test_one_explanation_per_pattern_of_each_iteration_gives_the_very_same_values(demo):
    from dso_model.explain.contributions import distinct_contributions

    _, X, _, model = demo
    booster = model.booster_
    rows = _with_missing_zero_and_repeats(X)
    ours = distinct_contributions(booster, rows, num_threads=1)
    assert np.array_equal(ours, _block_by_block(booster, rows))
    whole = booster.predict(rows, pred_contrib=True, num_threads=1)
    np.testing.assert_allclose(ours, whole, rtol=0, atol=1e-12 * np.abs(whole).max())
    alone = [distinct_contributions(booster, rows.iloc[[i]], num_threads=1)[0] for i in (0, 7, 99)]
    assert np.array_equal(np.vstack(alone), ours[[0, 7, 99]]), "a row's values depend on others"


def test_patterns_or_rows_give_the_same_values(demo, monkeypatch):
    import dso_model.explain.contributions as contributions

    _, X, _, model = demo
    rows = _with_missing_zero_and_repeats(X)
    results = []
    for share in (0.0, 0.5, 1.0):  # rows always, patterns when they halve the work, always
        monkeypatch.setattr(contributions, "MAX_PATTERN_SHARE", share)
        results.append(contributions.distinct_contributions(model.booster_, rows, num_threads=1))
    assert np.array_equal(results[0], results[1]) and np.array_equal(results[0], results[2])
    assert np.array_equal(results[0], _block_by_block(model.booster_, rows))


def test_a_run_of_iterations_gives_every_row_the_values_of_its_stand_in(demo):
    from dso_model.models.patterns import TreePatterns, decision_patterns

    _, X, _, model = demo
    booster = model.booster_
    rows = _with_missing_zero_and_repeats(X)
    patterns = TreePatterns.of(booster, rows)
    assert len(patterns) == booster.current_iteration()
    counts = [len(patterns.over(range(i, i + 1))[0]) for i in range(len(patterns))]
    whole = len(decision_patterns(booster, rows)[0])  # patterns over every split of the model
    assert max(counts) <= whole and sum(counts) < 0.75 * whole * len(counts)
    subset = np.arange(0, len(rows), 3)
    for run, among in ((range(0, 1), None), (range(29, 30), None), (range(10, 20), subset)):
        stand_in, inverse = patterns.over(run, among)
        part = rows if among is None else rows.iloc[among]
        assert len(inverse) == len(part)
        assert np.array_equal(inverse[stand_in], np.arange(len(stand_in)))
        one = {"start_iteration": run.start, "num_iteration": len(run), "num_threads": 1}
        for kind in ({"pred_contrib": True}, {"raw_score": True}):
            assert np.array_equal(
                booster.predict(part.iloc[stand_in[inverse]], **kind, **one),
                booster.predict(part, **kind, **one),
            )


def test_multiclass_contributions_add_up_per_class():
    import lightgbm as lgb

    from dso_model.explain.contributions import distinct_contributions

    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(600, 4)), columns=list("abcd"))
    X.loc[::9, "b"] = np.nan
    y = (X["a"] > 0).astype(int) + (X["c"] > 0.5).astype(int)
    params = {"objective": "multiclass", "num_class": 3, "num_leaves": 7, "verbosity": -1}
    booster = lgb.train(params | {"num_threads": 1}, lgb.Dataset(X, y), num_boost_round=15)
    ours = distinct_contributions(booster, X, num_threads=1)
    assert ours.shape == (len(X), 3 * (X.shape[1] + 1))
    np.testing.assert_allclose(ours, booster.predict(X, pred_contrib=True), rtol=0, atol=1e-12)
    raw = booster.predict(X, raw_score=True)
    np.testing.assert_allclose(ours.reshape(len(X), 3, -1).sum(axis=2), raw, atol=1e-9)


def test_every_row_explains_like_the_first_row_of_its_pattern(demo):
    from dso_model.models.patterns import decision_patterns

    _, X, _, model = demo
    booster = model.booster_
    rows = _with_missing_zero_and_repeats(X)
    first, inverse = decision_patterns(booster, rows)
    stand_ins = rows.iloc[first[inverse]]
    assert np.array_equal(
        booster.predict(stand_ins, pred_contrib=True, num_threads=1),
        booster.predict(rows, pred_contrib=True, num_threads=1),
    )
    assert np.array_equal(
        booster.predict(stand_ins, num_threads=1), booster.predict(rows, num_threads=1)
    )


def test_an_early_stopped_booster_is_explained_up_to_its_best_iteration():
    import lightgbm as lgb

    from dso_model.explain.contributions import distinct_contributions

    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(800, 5)), columns=list("abcde"))
    y = X["a"] * 2 + rng.normal(scale=2.0, size=len(X))
    train, valid = lgb.Dataset(X.iloc[:500], y[:500]), lgb.Dataset(X.iloc[500:], y[500:])
    params = {"objective": "regression", "num_leaves": 15, "verbosity": -1, "num_threads": 1}
    booster = lgb.train(
        params,
        train,
        300,
        valid_sets=[valid],
        callbacks=[lgb.early_stopping(5, verbose=False)],
        keep_training_booster=True,
    )
    assert 0 < booster.best_iteration < booster.current_iteration()
    ours = distinct_contributions(booster, X, num_threads=1)
    whole = booster.predict(X, pred_contrib=True, num_threads=1)
    np.testing.assert_allclose(ours, whole, rtol=0, atol=1e-12 * np.abs(whole).max())


def test_category_splits_are_read_by_exact_value():
    import lightgbm as lgb

    from dso_model.explain.contributions import distinct_contributions
    from dso_model.models.patterns import TreePatterns

    _, X, y = make_explain_dataset(1500, seed=9)
    X = X.astype("float64")
    X.loc[X.index[::13], "attr_segment"] = np.nan
    X.loc[X.index[::17], "attr_country"] = -1.0  # LightGBM reads negative categories as missing
    y = y + 8.0 * (X["attr_country"] % 3 == 1) - 6.0 * (X["attr_segment"] == 0)
    params = {"objective": "regression", "num_leaves": 7, "verbosity": -1, "num_threads": 1}
    data = lgb.Dataset(X, y, categorical_feature=["attr_segment", "attr_country"])
    booster = lgb.train(params | {"min_data_per_group": 5, "cat_smooth": 1}, data, 40)
    names = booster.feature_name()
    category_split = {names[f] for f in TreePatterns.of(booster, X).categorical}
    assert category_split and category_split <= {"attr_segment", "attr_country"}
    rows = pd.concat([X, X.iloc[::4]], ignore_index=True)
    ours = distinct_contributions(booster, rows, num_threads=1)
    assert np.array_equal(ours, _block_by_block(booster, rows))
    whole = booster.predict(rows, pred_contrib=True, num_threads=1)
    np.testing.assert_allclose(ours, whole, rtol=0, atol=1e-12 * np.abs(whole).max())

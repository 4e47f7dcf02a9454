"""Reason codes: the top drivers pushing each invoice late, worded in English and Spanish."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dso_model.explain import Contributions, reason_codes, top_drivers
from dso_model.explain.phrases import find_phrase
from dso_model.explain.wording import Wording, word_feature
from dso_model.features.registry import FEATURE_REGISTRY


def _frame(rows: dict[str, list[float]], ids=None) -> pd.DataFrame:
    n = len(next(iter(rows.values())))
    index = pd.Index(ids or [f"I{i}" for i in range(n)], name="invoice_id")
    return pd.DataFrame(rows, index=index)


def _contribs(values: pd.DataFrame) -> Contributions:
    return Contributions(values, 1.0, values.sum(axis=1) + 1.0)


def test_the_brief_example_in_both_languages():
    features = _frame(
        {"hist_late_share": [0.8], "hist_paid_count": [5.0], "inv_terms_days": [30.0]}
    )
    contribs = _contribs(
        _frame({"hist_late_share": [6.0], "hist_paid_count": [-1.0], "inv_terms_days": [0.5]})
    )
    out = reason_codes(contribs, features, ("en", "es"))
    assert out.loc[0, "reason_1_en"] == "Paid 4 of the last 5 invoices late"
    assert out.loc[0, "reason_1_es"] == "Pagó con retraso 4 de sus últimas 5 facturas"
    assert out.loc[0, "reason_2_en"] == "Payment terms of 30 days"
    assert out.loc[0, "reason_2_es"] == "Plazo de pago de 30 días"
    assert pd.isna(out.loc[0, "reason_3_en"])  # the third feature pulls earlier: no reason


def test_only_drivers_pushing_late_largest_first_and_above_min_impact():
    values = _frame(
        {
            "hist_days_late_mean": [3.0, -1.0],
            "exp_overdue_count": [5.0, -2.0],
            "attr_autopay": [0.2, 4.0],
            "inv_due_weekend": [1.0, -0.1],
        }
    )
    features = _frame(
        {
            "hist_days_late_mean": [12.4, 0.0],
            "exp_overdue_count": [2.0, 0.0],
            "attr_autopay": [0.0, 0.0],
            "inv_due_weekend": [1.0, 0.0],
        }
    )
    out = reason_codes(_contribs(values), features, "en", details=True, min_impact=0.5)
    assert list(out.columns[:4]) == ["invoice_id", "reason_1", "driver_1", "impact_1"]
    first = out.iloc[0]
    assert [first["driver_1"], first["driver_2"], first["driver_3"]] == [
        "exp_overdue_count",
        "hist_days_late_mean",
        "inv_due_weekend",
    ]
    assert first["reason_1"] == "Has 2 overdue invoices"
    assert first["reason_2"] == "Pays 12 days late on average"
    assert first["reason_3"] == "Due on a weekend"
    second = out.iloc[1]
    assert second["reason_1"] == "Does not pay by direct debit"
    assert pd.isna(second["reason_2"]) and pd.isna(second["driver_2"])
    assert out["invoice_id"].tolist() == ["I0", "I1"]


def test_top_drivers_matches_a_full_sort():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(500, 40))
    idx, impact = top_drivers(values, 3)
    expected = np.argsort(-values, axis=1)[:, :3]
    np.testing.assert_array_equal(idx, expected)
    np.testing.assert_allclose(impact, np.take_along_axis(values, expected, axis=1))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_registered_feature_is_worded_for_any_value(lang):
    values = np.array([np.nan, 0.0, 1.0, -3.0, 0.25, 17.6, 1234.5])
    for name, spec in FEATURE_REGISTRY.items():
        phrase, _ = find_phrase(name)
        assert phrase is not None, f"no phrase for {name}"
        wording = Wording.build(name, FEATURE_REGISTRY)
        needed = np.full(len(values), 5.0) if wording.needs else None
        codes, texts = word_feature(wording, values, needed, (lang,))
        sentences = np.asarray(texts[lang], dtype=object)[codes]
        for sentence in sentences:
            assert sentence and "{" not in sentence and "nan" not in sentence.lower(), (
                name,
                sentence,
            )
        assert wording.needs is None or wording.needs in FEATURE_REGISTRY, name
        assert spec.label_en and spec.label_es


def test_values_are_shown_the_way_each_language_writes_them():
    features = _frame(
        {"exp_open_balance": [12345.0], "ch_sms_open_rate": [0.456], "attr_segment": [1.0]}
    )
    contribs = _contribs(
        _frame({"exp_open_balance": [3.0], "ch_sms_open_rate": [2.0], "attr_segment": [1.0]})
    )
    out = reason_codes(contribs, features, ("en", "es"))
    assert out.loc[0, "reason_1_en"] == "Owes 12,300 on other invoices"
    assert out.loc[0, "reason_1_es"] == "Debe 12.300 en otras facturas"
    assert out.loc[0, "reason_2_en"] == "Opens 46% of contacts by SMS"
    assert out.loc[0, "reason_2_es"] == "Abre el 46 % de los contactos por SMS"
    assert out.loc[0, "reason_3_en"] == "Segment: SME"
    assert out.loc[0, "reason_3_es"] == "Segmento: pyme"


def test_variants_for_missing_zero_one_and_negative():
    names = ["hist_days_since_late", "exp_overdue_count", "hist_days_late_last1", "inv_days_to_due"]
    features = _frame(
        {
            "hist_days_since_late": [np.nan, 40.0],
            "exp_overdue_count": [0.0, 1.0],
            "hist_days_late_last1": [-3.0, 0.0],
            "inv_days_to_due": [-5.0, 0.0],
        }
    )
    texts = {}
    for name in names:
        contrib = pd.DataFrame(0.0, index=features.index, columns=names)
        contrib[name] = 1.0
        out = reason_codes(_contribs(contrib), features, "en", top=1)
        texts[name] = out["reason_1"].tolist()
    assert texts["hist_days_since_late"] == ["Has never paid late", "Paid late 40 days ago"]
    assert texts["exp_overdue_count"] == ["No overdue invoice", "Has 1 overdue invoice"]
    assert texts["hist_days_late_last1"] == [
        "Paid the last invoice 3 days early",
        "Paid the last invoice on the due date",
    ]
    assert texts["inv_days_to_due"] == ["Due 5 days ago", "Due today"]


def test_unknown_features_fall_back_to_label_and_value():
    features = _frame({"custom_score": [0.1234]})
    contribs = _contribs(_frame({"custom_score": [2.0]}))
    out = reason_codes(contribs, features, "es")
    assert out.loc[0, "reason_1"] == "custom_score: 0,12"


def test_vectorised_wording_equals_row_by_row():
    rng = np.random.default_rng(3)
    n = 400
    names = [
        "hist_late_share",
        "hist_paid_count",
        "ch_email_reply_rate",
        "inv_amount",
        "attr_autopay",
    ]
    features = _frame(
        {
            "hist_late_share": rng.choice([0.0, 0.25, 0.5, 1.0, np.nan], n),
            "hist_paid_count": rng.integers(0, 8, n).astype(float),
            "ch_email_reply_rate": rng.random(n),
            "inv_amount": rng.lognormal(6, 1, n),
            "attr_autopay": rng.integers(0, 2, n).astype(float),
        }
    )
    contribs = _contribs(pd.DataFrame(rng.normal(size=(n, 5)), index=features.index, columns=names))
    whole = reason_codes(contribs, features, ("en", "es"))
    for i in rng.choice(n, 25, replace=False):
        one = reason_codes(contribs.subset(features.index[[i]]), features.iloc[[i]], ("en", "es"))
        pd.testing.assert_frame_equal(
            one.reset_index(drop=True), whole.iloc[[i]].reset_index(drop=True)
        )

"""Global drivers by feature and family, plain and amount-weighted, and by group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dso_model.explain import (
    CALENDAR_FEATURES,
    Contributions,
    drivers_by_group,
    family_contributions,
    family_drivers,
    feature_families,
    global_drivers,
    tree_contributions,
)
from dso_model.explain.demo import make_explain_dataset, train_demo_model


def test_families_come_from_the_registry_with_overrides():
    names = ["hist_late_share", "inv_due_weekday", "inv_amount", "mystery"]
    plain = feature_families(names)
    assert plain == {
        "hist_late_share": "history",
        "inv_due_weekday": "invoice",
        "inv_amount": "invoice",
        "mystery": "other",
    }
    split = feature_families(names, overrides={"calendar": CALENDAR_FEATURES})
    assert split["inv_due_weekday"] == "calendar" and split["inv_amount"] == "invoice"


def test_family_contribution_is_the_sum_of_its_features():
    rng = np.random.default_rng(0)
    names = ["hist_late_share", "hist_paid_count", "ch_contacts", "inv_due_month"]
    values = pd.DataFrame(rng.normal(size=(50, 4)), columns=names)
    fam = family_contributions(values, feature_families(names))
    np.testing.assert_allclose(
        fam["history"], values["hist_late_share"] + values["hist_paid_count"]
    )
    np.testing.assert_allclose(fam.sum(axis=1), values.sum(axis=1))
    assert list(fam.columns) == ["history", "channel", "invoice"]  # registry order


def test_amount_weighting_follows_the_money():
    names = ["hist_late_share", "inv_amount"]
    values = pd.DataFrame({"hist_late_share": [4.0, 0.0], "inv_amount": [0.0, 2.0]})
    contribs = Contributions(values, 0.0, values.sum(axis=1))
    families = feature_families(names)
    plain = global_drivers(contribs, families)
    assert plain.index[0] == "hist_late_share"
    weighted = global_drivers(contribs, families, weights=np.array([1.0, 9.0]))
    assert weighted.index[0] == "inv_amount"
    assert weighted.loc["inv_amount", "mean_abs_weighted"] == pytest.approx(1.8)
    assert weighted.loc["hist_late_share", "mean_abs_weighted"] == pytest.approx(0.4)
    assert weighted.loc["hist_late_share", "label_es"] == "Proporción pagada con retraso"
    fam = family_drivers(contribs, families, weights=np.array([1.0, 9.0]))
    assert fam.index[0] == "invoice" and fam["share"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        global_drivers(contribs, families, weights=np.array([1.0, -1.0]))


def test_demo_drivers_recover_how_the_delays_were_made():
    """In the demo data delays come from history and channel response, barely from the calendar."""
    invoices, X, y = make_explain_dataset(2500, seed=11)
    model = train_demo_model(X, y, n_estimators=80)
    contribs = tree_contributions(model, X)
    families = feature_families(contribs.features, overrides={"calendar": CALENDAR_FEATURES})
    table = family_drivers(contribs, families, invoices["amount"])
    rank = table["rank"]
    assert rank["history"] < rank["calendar"] and rank["channel"] < rank["calendar"]
    assert (
        table.loc["history", "mean_abs_weighted"] > 3 * table.loc["calendar", "mean_abs_weighted"]
    )
    top = global_drivers(contribs, families).index[:6]
    assert "hist_late_share" in top and "ch_email_open_rate" in top
    by_segment = drivers_by_group(contribs, families, invoices["segment"], invoices["amount"])
    assert set(by_segment.index) == {"consumer", "sme", "corporate"}
    assert by_segment["n_invoices"].sum() == len(X)

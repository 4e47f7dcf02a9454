"""The scoring pipeline on a small simulated book: worklist, figures, briefing, idempotence."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from test_score_bundle import small_case

pytestmark = pytest.mark.slow  # trains small models and scores end to end


# Small profile and response models: the tests check the wiring, not the models' quality.
FAST_PARTS = {
    "profiles": {"model": {"n_estimators": 40, "early_stopping_rounds": 0}},
    "export_settings": {
        "response_params": {"n_estimators": 40, "num_leaves": 7, "min_child_samples": 20}
    },
}


@cache
def full_bundle():
    """The small case's delay model with profile and response models: a complete bundle."""
    from dso_model.scoring.build import build_bundle
    from dso_model.scoring.decisions import fit_decision_parts
    from dso_model.scoring.privacy import strip_personal_data

    portfolio, model, _ = small_case()
    training = strip_personal_data(portfolio)
    parts = fit_decision_parts(training, FAST_PARTS)
    return build_bundle(model, training, provenance={"data": "test"}, **parts)


@cache
def scored(as_of: str | None = None):
    from dso_model.scoring.pipeline import ScoreSettings, score_portfolio

    portfolio = small_case()[0]
    when = pd.Timestamp(as_of) if as_of else portfolio.as_of
    return score_portfolio(portfolio, full_bundle(), ScoreSettings(as_of=when))


def test_one_row_per_open_invoice_with_sane_predictions():
    from dso_model.features import scoring_cutoffs
    from dso_model.profiles import GROUPS
    from dso_model.scoring.worklist import worklist_columns

    portfolio = small_case()[0]
    result = scored()
    wl = result.worklist
    open_ids = scoring_cutoffs(portfolio, portfolio.as_of)["invoice_id"]
    assert sorted(wl["invoice_id"]) == sorted(open_ids) and len(wl) > 50
    assert list(wl.columns) == worklist_columns()
    assert wl["p_late"].between(0, 1).all() and wl["p_paid_next_month"].between(0, 1).all()
    assert (wl.loc[wl["days_past_due"] > 0, "p_late"] == 1).all()  # already past due: late
    assert (wl["predicted_payment_date"] >= result.as_of).all()
    assert (wl["payment_date_lower"] <= wl["predicted_payment_date"]).all()
    assert (wl["predicted_payment_date"] <= wl["payment_date_upper"]).all()
    assert (wl["expected_days_late"] >= wl["days_past_due"] - 1e-9).all()
    assert set(wl["group"]) <= set(GROUPS) and wl["group_confidence"].between(0, 1).all()
    assert wl["reason_1_en"].notna().mean() > 0.9 and wl["reason_1_es"].notna().mean() > 0.9
    assert (wl["outstanding"] > 0).all() and (wl["outstanding"] <= wl["amount"] + 1e-9).all()


def test_path_attribution_words_the_reasons_and_leaves_the_rest_alone():
    from dso_model.errors import DsoInputError
    from dso_model.scoring.pipeline import ScoreSettings, score_portfolio

    portfolio = small_case()[0]
    exact = scored().worklist
    settings = ScoreSettings(as_of=portfolio.as_of, reasons_method="saabas")
    result = score_portfolio(portfolio, full_bundle(), settings)
    saabas = result.worklist
    # the profile groups' reasons follow the method too; the groups do not change
    words = [c for c in result.groups.columns if c.startswith("reason_")]
    groups = scored().groups
    pd.testing.assert_frame_equal(result.groups.drop(columns=words), groups.drop(columns=words))
    judged = groups["group"].isin(["able_willing", "unable", "unwilling"])
    assert judged.any() and (result.groups.loc[judged, "reason_1_en"] != "").all()
    assert (result.groups.loc[judged, words] != groups.loc[judged, words]).any().any()
    reasons = [c for c in exact.columns if c.startswith("reason_")]
    pd.testing.assert_frame_equal(saabas.drop(columns=reasons), exact.drop(columns=reasons))
    assert saabas["reason_1_en"].notna().mean() > 0.9
    same_top = (saabas["reason_1_en"] == exact["reason_1_en"]).mean()
    assert same_top > 0.5, f"path attribution agrees on the top reason for only {same_top:.0%}"
    with pytest.raises(DsoInputError, match="reasons method"):
        score_portfolio(
            portfolio, full_bundle(), ScoreSettings(portfolio.as_of, reasons_method="x")
        )


def test_the_groups_a_month_ago_serve_the_migrations_without_reasons():
    from dso_model.scoring.inputs import point_in_time
    from dso_model.scoring.pipeline import MONTH, assign_groups

    result = scored()
    before = result.previous_groups
    assert before is not None and len(before)
    words = [c for c in before.columns if c.startswith("reason_")]
    assert (before[words] == "").all().all()
    assert (result.groups["reason_1_en"] != "").any()
    portfolio = small_case()[0]
    month_ago = result.as_of - MONTH
    alone = assign_groups(point_in_time(portfolio, result.as_of), [month_ago], full_bundle())[0]
    pd.testing.assert_frame_equal(before.drop(columns=words), alone.drop(columns=words))


def test_actions_follow_the_policy_and_set_the_priority():
    wl = scored().worklist
    sent = wl[wl["contact"]]
    assert len(sent) > 0, "the policy proposed no contact at all"
    assert (sent["decision"] == "send").all()
    assert (
        sent[["channel", "template", "tone", "send_date", "send_hour", "message"]]
        .notna()
        .all()
        .all()
    )
    assert (sent["send_date"] >= wl["as_of"].iloc[0]).all()
    assert (sent["send_date"] < wl["as_of"].iloc[0] + pd.Timedelta(days=7)).all()
    assert not wl.loc[~wl["contact"], "message"].notna().any()
    assert (wl.loc[~wl["contact"], "expected_days_saved"] == 0).all()
    np.testing.assert_allclose(wl["priority"], wl["outstanding"] * wl["expected_days_saved"])
    assert wl["priority"].is_monotonic_decreasing
    assert list(wl["priority_rank"]) == list(range(1, len(wl) + 1))
    assert set(wl["decision"]) <= {"send", "review", "blocked", "none"}


def test_figures_now_match_the_dso_measures_and_actions_help():
    from dso_model.metrics import dso_measures
    from dso_model.scoring.projection import MONTH

    portfolio = small_case()[0]
    result = scored()
    as_of = result.as_of
    table = dso_measures(
        portfolio.invoices,
        portfolio.payments,
        start=as_of - MONTH,
        end=as_of,
        freq=MONTH,
        events=portfolio.events,
    )
    for measure in ("dso", "bpdso", "add", "cei"):
        assert result.figures.loc[measure, "now"] == pytest.approx(table[measure].iloc[-1])
    # today's receivables are the open invoices' outstanding amounts
    assert result.worklist["outstanding"].sum() == pytest.approx(
        result.figures.loc["receivables", "now"]
    )
    f = result.figures
    assert np.isfinite(f.loc[["dso", "bpdso", "add", "cei"]].to_numpy()).all()
    assert (
        f.loc["receivables", "next_with_actions"]
        <= f.loc["receivables", "next_without_actions"] + 1e-6
    )
    assert f.loc["dso", "next_with_actions"] <= f.loc["dso", "next_without_actions"] + 1e-9


def test_projection_formula_reproduces_the_dso_measures_with_known_outcomes():
    """Fed the outcomes that really happened, the projection equals the measured next month."""
    from dso_model.metrics import dso_measures, receivables_at
    from dso_model.scoring.inputs import open_book
    from dso_model.scoring.projection import MONTH, NewSales, measures, project_next_month

    portfolio = small_case()[0]
    as_of = (portfolio.as_of - pd.DateOffset(months=3)).normalize()
    end = as_of + MONTH
    book = open_book(portfolio.snapshot(as_of), as_of)
    mine = portfolio.invoices[portfolio.invoices["invoice_id"].isin(book["invoice_id"])]
    owed = dso_measures(
        mine,
        portfolio.payments,
        start=as_of,
        end=end,
        freq=MONTH,
        by="invoice_id",
        events=portfolio.events,
    ).set_index("invoice_id")
    owed_at_end = owed["receivables"].reindex(book["invoice_id"]).to_numpy()
    book["p_unpaid"] = owed_at_end / book["outstanding"].to_numpy()
    new = portfolio.invoices[
        (portfolio.invoices["issue_date"] >= as_of) & (portfolio.invoices["issue_date"] < end)
    ]
    balances = receivables_at(new, portfolio.payments, end, portfolio.events)
    sales = float(new["amount"].sum())
    projected = project_next_month(
        book,
        float(book["outstanding"].sum()),
        NewSales(sales, balances["receivables"] / sales, balances["current"] / sales),
        as_of,
        "p_unpaid",
    )
    actual = dso_measures(
        portfolio.invoices,
        portfolio.payments,
        start=as_of,
        end=end,
        freq=MONTH,
        events=portfolio.events,
    ).iloc[-1]
    for key in ("receivables", "current_receivables", "dso", "bpdso", "add", "cei"):
        assert projected[key] == pytest.approx(float(actual[key]), rel=1e-9, abs=1e-6), key
    assert np.isnan(measures(100.0, 0.0, 50.0, 10.0, 30)["dso"])  # no sales, no DSO


def test_scoring_in_the_past_uses_only_what_was_known():
    portfolio = small_case()[0]
    past = (portfolio.as_of - pd.DateOffset(months=2)).normalize()
    result = scored(str(past.date()))
    assert (result.worklist["issue_date"] < past).all()
    assert (result.worklist["as_of"] == past).all()
    later_paid = portfolio.invoices.set_index("invoice_id").loc[
        result.worklist["invoice_id"], "paid_date"
    ]
    assert (later_paid.isna() | (later_paid >= past)).all()  # open then, whatever happened since


def test_same_inputs_give_identical_files(tmp_path):
    from dso_model.scoring.brief import briefing_data
    from dso_model.scoring.outputs import write_outputs
    from dso_model.scoring.pipeline import ScoreSettings, score_portfolio

    portfolio = small_case()[0]
    first = scored()
    second = score_portfolio(portfolio, full_bundle(), ScoreSettings(as_of=portfolio.as_of))
    files = []
    for k, result in enumerate((first, second)):
        page = briefing_data(result, "small", model={"bundle": full_bundle().version})
        paths = write_outputs(
            result,
            tmp_path / str(k),
            model={"bundle": full_bundle().version},
            briefing=page,
            names={"worklist_csv": "worklist.csv"},
        )
        files.append(paths)
    for name in ("worklist", "figures", "briefing", "worklist_csv"):
        assert getattr(files[0], name).read_bytes() == getattr(files[1], name).read_bytes(), name
    # the CSV holds the same rows and values as the Parquet worklist
    csv = pd.read_csv(files[0].worklist_csv, dtype={"invoice_id": str, "customer_id": str})
    parquet = pd.read_parquet(files[0].worklist)
    assert list(csv.columns) == list(parquet.columns) and len(csv) == len(parquet) > 0
    assert list(csv["invoice_id"]) == list(parquet["invoice_id"])
    np.testing.assert_allclose(csv["priority"], parquet["priority"], rtol=1e-12)
    pd.testing.assert_series_equal(
        pd.to_datetime(csv["due_date"]), parquet["due_date"], check_dtype=False
    )


def test_briefing_of_a_real_run_lists_the_top_of_the_worklist():
    from dso_model.briefing import render_briefing
    from dso_model.scoring.brief import briefing_data

    result = scored()
    page = briefing_data(result, "small", lang="es", max_rows=25)
    assert list(page.worklist["invoice_id"]) == list(result.worklist["invoice_id"].head(25))
    assert page.groups["customers"].sum() == len(result.groups)
    assert page.drivers["share"].sum() == pytest.approx(1.0)
    html = render_briefing(page)
    assert "Lista de trabajo" in html and result.worklist["invoice_id"].iloc[0] in html

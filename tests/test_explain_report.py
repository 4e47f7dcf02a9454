"""The explanation core end to end on demo data: tables that add up, plots, one-file HTML."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from dso_model.explain import ExplainSettings, explain_drivers
from dso_model.explain.analysis import add_is_exact, explanation_window, window_invoices
from dso_model.explain.demo import make_explain_dataset, train_demo_model
from dso_model.explain.outputs import write_outputs
from dso_model.explain.report import render_report


@pytest.fixture(scope="module")
def explained():
    invoices, X, y = make_explain_dataset(2000, seed=7, months=6)
    model = train_demo_model(X, y, n_estimators=50)
    window = window_invoices(
        invoices.reset_index(), pd.Timestamp("2024-01-01"), pd.Timestamp("2024-07-01"), 1500, 0
    )
    periods = pd.date_range("2024-01-01", periods=6, freq="MS")
    dso = {
        "all": pd.DataFrame({"period_start": periods, "bpdso": 20.0, "dso": 31.0, "add": 11.0}),
        "segment": pd.DataFrame(
            {
                "period_start": np.repeat(periods, 3),
                "segment": ["consumer", "sme", "corporate"] * 6,
                "bpdso": 18.0,
                "dso": 30.0,
                "add": 12.0,
            }
        ),
    }
    settings = ExplainSettings(group_by=("segment", "country"), beeswarm_sample=300)
    return explain_drivers(model, X.loc[window.index], window, dso, settings), window


def test_window_is_whole_months_before_as_of():
    assert explanation_window(pd.Timestamp("2024-07-15"), 6) == (
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-07-01"),
    )
    assert explanation_window(pd.Timestamp("2024-07-01"), 1)[0] == pd.Timestamp("2024-06-01")


def test_every_attribution_table_adds_up(explained):
    result, window = explained
    assert add_is_exact(result)
    assert len(window) == 1500  # the sample cap
    overall = result.tables["add_attribution"].iloc[0]
    assert overall["measured_bpdso"] == 20.0 and overall["measured_dso"] == 31.0
    waterfall = result.tables["dso_waterfall"]
    predicted = waterfall.loc[waterfall["step"] == "predicted DSO", "end"].item()
    assert predicted == pytest.approx(20.0 + overall["predicted_add"])
    assert set(result.tables["add_by_segment"].index) == {"consumer", "sme", "corporate"}
    assert result.tables["add_by_segment"]["measured_add"].eq(12.0).all()
    top = result.tables["add_top_features"]["add_days"]
    assert top.sum() + overall["baseline"] == pytest.approx(overall["predicted_add"])
    assert result.metrics["additivity_max_error"] < 1e-6
    assert "accounts for" in result.headline[0]


def test_report_is_one_file_with_embedded_images(explained, tmp_path):
    result, _ = explained
    assert {"dso_waterfall.png", "families.png", "beeswarm.png", "dependence.png"} <= set(
        result.figures
    )
    html = render_report(result, {"title": "DSO drivers: demo", "data": "demo"})
    assert html.count('src="data:image/png;base64,') == len(result.figures)
    assert not re.search(r'(src|href)="(?!data:)', html)  # nothing outside the file
    written = write_outputs(result, tmp_path / "out", html)
    assert (tmp_path / "out" / "report.html").read_text(encoding="utf-8") == html
    png = (tmp_path / "out" / "plots" / "dso_waterfall.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    back = pd.read_parquet(written["tables/add_attribution.parquet"])
    assert back["predicted_add"].iloc[0] == pytest.approx(
        result.tables["add_attribution"]["predicted_add"].iloc[0]
    )
    assert not list((tmp_path / "out").rglob("*.tmp"))

"""The standalone HTML report: one file, every image embedded (base64 PNG), rendered by Jinja2."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from dso_model.explain.analysis import ExplainResult
from dso_model.explain.plots import figure_png

SECTIONS = (  # (figure, table, title, how to read it)
    (
        "dso_waterfall.png",
        "add_attribution",
        "From best possible DSO to DSO",
        "The first bar is BPDSO: what is owed but not yet due, in days of sales. Each coloured step "
        "is the part of predicted ADD (days of sales overdue) that a family of drivers accounts for; "
        "'typical invoice' is what an average invoice would add. The steps end at the predicted DSO; "
        "the grey 'model gap' closes on the measured DSO (what the model does not predict, e.g. "
        "delays beyond its horizon).",
    ),
    (
        "families.png",
        "drivers_families",
        "Which families of drivers move predicted delay",
        "Mean absolute SHAP value of each family (sum of its features), in days of predicted delay: "
        "grey per invoice, coloured weighted by amount. Amount-weighted is what matters for DSO.",
    ),
    (
        "beeswarm.png",
        None,
        "Feature effects, invoice by invoice",
        "One dot per invoice and feature: right of zero pushes the invoice later, left earlier. "
        "Colour is the feature's value (red high, blue low). Features are sorted by mean |SHAP|.",
    ),
    (
        None,
        "add_top_features",
        "Top features in days of ADD",
        "Days of predicted ADD each feature accounts for (money-weighted); with the typical invoice "
        "and 'other features' they add up to the predicted ADD.",
    ),
    (
        "dependence.png",
        None,
        "How the top features act",
        "Each panel plots a feature's value against its SHAP value; the red line is the mean per "
        "value bin. A rising line means higher values predict later payment.",
    ),
)


def _img(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _html_table(frame: pd.DataFrame, max_rows: int = 40) -> str:
    shown = frame.head(max_rows)
    return shown.to_html(
        classes="tbl", float_format=lambda v: f"{v:,.3f}", na_rep="", border=0, escape=True
    )


def report_sections(result: ExplainResult, images: Mapping[str, bytes]) -> list[dict[str, Any]]:
    """Title, text, embedded image and HTML table of each section, in reading order."""
    out = []
    for fig, table, title, how in SECTIONS:
        out.append(
            _section(
                title,
                how,
                images.get(fig) if fig else None,
                result.tables.get(table) if table else None,
            )
        )
    for name in sorted(result.tables):
        if name.startswith("add_by_") and name != "add_by_month":
            column = name.removeprefix("add_by_")
            out.append(
                _section(
                    f"Predicted ADD by {column.replace('_', ' ')}",
                    "Each bar splits one group's predicted ADD into the typical invoice and the driver "
                    "families (days of ADD within that group's own sales); measured BPDSO/DSO/ADD of "
                    "the group are in the table. The second table gives each family's amount-weighted "
                    "mean |SHAP| in the group: how drivers differ between groups.",
                    images.get(f"{name}.png"),
                    result.tables[name],
                    result.tables.get(f"drivers_by_{column}"),
                )
            )
    out.append(
        _section(
            "Month by month",
            "Predicted ADD, its split and the measured DSO of each month.",
            None,
            result.tables.get("add_by_month"),
        )
    )
    if "reason_examples" in result.tables:
        out.append(
            _section(
                "Reason codes of open invoices (examples)",
                "The three drivers pushing each invoice late, largest first, worded from its feature "
                "values; impact in days of predicted delay. The full table is in reasons.parquet.",
                None,
                result.tables["reason_examples"],
            )
        )
    return out


def _section(title, how, png, table, table2=None) -> dict[str, Any]:
    return {
        "title": title,
        "how": how,
        "image": _img(png) if png else None,
        "table": _html_table(table) if table is not None else None,
        "table2": _html_table(table2) if table2 is not None else None,
    }


def render_report(
    result: ExplainResult, context: Mapping[str, Any], images: Mapping[str, bytes] | None = None
) -> str:
    """The report as one HTML string; ``context`` carries the title lines (data, model, window)."""
    import jinja2

    images = images if images is not None else {k: figure_png(f) for k, f in result.figures.items()}
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    template = env.get_template("report.html.j2")
    return template.render(
        context=dict(context), headline=result.headline, sections=report_sections(result, images)
    )

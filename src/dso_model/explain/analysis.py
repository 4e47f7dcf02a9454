"""The explanation job's core: from a delay model, features, invoices and measured DSO to every
table, figure and headline of the DSO-drivers report. No files, no MLflow, no Hydra here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dso_model.explain.attribution import (
    PREDICTED_ADD,
    AddAttribution,
    attribute_add,
    average_over,
    dso_waterfall,
    top_feature_parts,
)
from dso_model.explain.contributions import Contributions, tree_contributions
from dso_model.explain.drivers import (
    BASELINE,
    drivers_by_group,
    family_drivers,
    feature_families,
    global_drivers,
)
from dso_model.explain.settings import ExplainSettings

MEASURED = ("bpdso", "dso", "add")
PERIOD = "period"


@dataclass
class ExplainResult:
    """Tables (DataFrames), figures (matplotlib), metrics and headline sentences."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    headline: list[str] = field(default_factory=list)
    contributions: Contributions | None = None
    families: dict[str, str] = field(default_factory=dict)


def explanation_window(
    as_of: pd.Timestamp, months: int, last_issue: pd.Timestamp | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The last ``months`` whole calendar months before ``as_of``: ``[start, end)``.

    With ``last_issue`` (the latest issue date in the data) a month in which invoicing had not
    finished is left out too: its credit sales would be partial and its DSO meaningless.
    """
    end = pd.Timestamp(as_of).normalize()
    if last_issue is not None:
        end = min(end, pd.Timestamp(last_issue).normalize() + pd.Timedelta(days=1))
    end = end if end.day == 1 else end.to_period("M").start_time
    return end - pd.DateOffset(months=months), end


def window_invoices(
    invoices: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, max_invoices: int, seed: int
) -> pd.DataFrame:
    """Invoices issued in ``[start, end)`` (a random sample of ``max_invoices`` when more),
    indexed by invoice id, with their issue month in ``period``."""
    issued = invoices[(invoices["issue_date"] >= start) & (invoices["issue_date"] < end)]
    if len(issued) > max_invoices:
        issued = issued.sample(n=max_invoices, random_state=seed).sort_values("issue_date")
    out = issued.set_index("invoice_id", drop=False)
    out.index.name = "invoice_id"
    return out.assign(**{PERIOD: out["issue_date"].dt.to_period("M").dt.start_time})


def mean_measures(dso: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Measured BPDSO, DSO and ADD averaged over the periods (per group when ``by``)."""
    if by is None:
        return dso[list(MEASURED)].mean().to_frame("all").T
    return dso.groupby(by, sort=True)[list(MEASURED)].mean()


def explain_drivers(
    model: Any,
    features: pd.DataFrame,
    invoices: pd.DataFrame,
    dso: Mapping[str, pd.DataFrame],
    settings: ExplainSettings | None = None,
    *,
    registry: Mapping[str, Any] | None = None,
    with_figures: bool = True,
) -> ExplainResult:
    """Drivers of predicted delay and of DSO for the invoices in ``invoices``.

    ``features`` and ``invoices`` share the invoice-id index; ``invoices`` has ``amount``,
    ``period`` (issue month) and the grouping columns. ``dso`` holds measured DSO per period:
    key ``"all"`` for the whole book and one key per grouping column (``dso_measures(by=...)``).
    """
    s = settings or ExplainSettings()
    contribs = tree_contributions(
        model, features, part=s.part, method=s.method, num_threads=s.num_threads
    )
    families = feature_families(contribs.features, registry, s.family_overrides)
    result = ExplainResult(contributions=contribs, families=families)
    amount = invoices["amount"].reindex(contribs.values.index)
    result.tables["drivers_features"] = global_drivers(contribs, families, amount, registry)
    result.tables["drivers_families"] = family_drivers(contribs, families, amount)
    by_month = attribute_add(contribs, invoices, families, by=PERIOD, clip_early=s.clip_early)
    overall = average_over(by_month, PERIOD)
    result.tables["add_by_month"] = _with_measured(by_month.families, dso.get("all"), None, True)
    result.tables["add_attribution"] = _with_measured(overall.families, dso.get("all"), None)
    result.tables["add_top_features"] = _top_features(overall, s.top_features, registry)
    result.tables["dso_waterfall"] = _waterfall(overall, result.tables["add_attribution"])
    for column in [c for c in s.group_by if c in invoices.columns]:
        _explain_group(result, contribs, invoices, families, column, dso.get(column), s)
    result.metrics = _metrics(result)
    result.headline = headline(result, s.report_lang)
    if with_figures:
        result.figures = make_figures(result, features, s, registry)
    return result


def _explain_group(result, contribs, invoices, families, column, measured, s) -> None:
    groups = invoices[column].astype("str").fillna("unknown")
    frame = invoices.assign(**{column: groups})
    cells = attribute_add(contribs, frame, families, by=(PERIOD, column), clip_early=s.clip_early)
    result.tables[f"add_by_{column}"] = _with_measured(
        average_over(cells, PERIOD).families, measured, column
    )
    result.tables[f"drivers_by_{column}"] = drivers_by_group(
        contribs, families, groups.rename(column), invoices["amount"]
    )


def _with_measured(
    table: pd.DataFrame, dso: pd.DataFrame | None, by: str | None, monthly: bool = False
) -> pd.DataFrame:
    """Join measured BPDSO/DSO/ADD (mean over the periods, or per period) onto attribution rows."""
    out = table.copy()
    if dso is None or not len(dso):
        return out
    if monthly:
        measured = dso.set_index("period_start")[list(MEASURED)]
        measured.index = measured.index.rename(PERIOD)
    else:
        measured = mean_measures(dso, by)
    measured = measured.rename(columns={m: f"measured_{m}" for m in MEASURED})
    if by is not None:
        measured.index = measured.index.astype("str")
    return out.join(measured, how="left")


def _top_features(overall: AddAttribution, n: int, registry) -> pd.DataFrame:
    from dso_model.explain.drivers import feature_label

    parts = top_feature_parts(overall, n)
    table = parts.rename("add_days").to_frame()
    table["label_en"] = [feature_label(str(f), "en", registry) for f in table.index]
    table["label_es"] = [feature_label(str(f), "es", registry) for f in table.index]
    table.index.name = "feature"
    return table


def _waterfall(overall: AddAttribution, table: pd.DataFrame) -> pd.DataFrame:
    row = table.iloc[0]
    parts = row[[BASELINE, *overall.family_columns()]]
    bpdso = float(row.get("measured_bpdso", 0.0))
    measured = row.get("measured_dso")
    return dso_waterfall(bpdso, parts, None if measured is None else float(measured))


def _metrics(result: ExplainResult) -> dict[str, float]:
    row = result.tables["add_attribution"].iloc[0]
    out = {
        f"add.{k}": float(v)
        for k, v in row.items()
        if k not in ("n_invoices", "credit_sales") and pd.notna(v)
    }
    for family, value in result.tables["drivers_families"]["mean_abs_weighted"].items():
        out[f"importance.{family}"] = float(value)
    out["n_invoices"] = float(row["n_invoices"])
    if result.contributions is not None:
        out["additivity_max_error"] = result.contributions.max_additivity_error()
    return out


def headline(result: ExplainResult, lang: str = "en") -> list[str]:
    """Plain sentences: how many of the days of predicted ADD each leading family accounts for."""
    from dso_model.explain.plots import family_name

    row = result.tables["add_attribution"].iloc[0]
    total, base = float(row[PREDICTED_ADD]), float(row[BASELINE])
    present = set(result.families.values())
    families = [c for c in result.tables["add_attribution"].columns if c in present]
    lines = [
        _family_sentence(family_name(f, lang).capitalize(), float(row[f]), total, lang)
        for f in sorted(families, key=lambda f: -float(row[f]))[:3]
    ]
    if lang == "es":
        lines.append(f"ADD previsto: {total:.1f} días (una factura típica aporta {base:.1f}).")
    else:
        lines.append(f"Predicted ADD: {total:.1f} days (a typical invoice adds {base:.1f}).")
    if "measured_add" in row and pd.notna(row["measured_add"]):
        measured = (row["measured_bpdso"], row["measured_add"], row["measured_dso"])
        word = "Medido" if lang == "es" else "Measured"
        unit = "días" if lang == "es" else "days"
        lines.append("{}: BPDSO {:.1f}, ADD {:.1f}, DSO {:.1f} {}.".format(word, *measured, unit))
    return lines


def _family_sentence(name: str, days: float, total: float, lang: str) -> str:
    if 0 <= days <= total:
        if lang == "es":
            return f"{name}: {days:.1f} de los {total:.1f} días de ADD previsto."
        return f"{name} accounts for {days:.1f} of the {total:.1f} days of predicted ADD."
    if lang == "es":
        return f"{name}: {days:+.1f} días de ADD previsto."
    return f"{name} adds {days:+.1f} days of predicted ADD."


def make_figures(
    result: ExplainResult, features: pd.DataFrame, s: ExplainSettings, registry=None
) -> dict[str, Any]:
    """Every plot of the report, keyed by file name."""
    from dso_model.explain import plots

    contribs = result.contributions
    lang = s.report_lang
    top = list(result.tables["drivers_features"].index[: s.dependence_features])
    figures = {
        "dso_waterfall.png": plots.plot_dso_waterfall(result.tables["dso_waterfall"], lang),
        "families.png": plots.plot_family_bars(result.tables["drivers_families"], lang),
        "beeswarm.png": plots.plot_beeswarm(
            contribs,
            features,
            max_display=s.max_display,
            sample=s.beeswarm_sample,
            seed=s.seed,
            lang=lang,
            registry=registry,
        ),
        "dependence.png": plots.plot_dependence(
            contribs, features, top, seed=s.seed, lang=lang, registry=registry
        ),
    }
    parts = [BASELINE, *sorted(set(result.families.values()), key=_family_key)]
    for column in s.group_by:
        table = result.tables.get(f"add_by_{column}")
        if table is not None and len(table):
            figures[f"add_by_{column}.png"] = plots.plot_add_by_group(
                table,
                [p for p in parts if p in table.columns],
                lang,
                title=f"Predicted ADD by {column.replace('_', ' ')} and driver family",
            )
    return figures


def _family_key(family: str) -> tuple[int, str]:
    from dso_model.features.registry import FAMILIES

    order = [*FAMILIES, "calendar"]
    return (order.index(family) if family in order else len(order), family)


def attach_reasons(result: ExplainResult, reasons: pd.DataFrame, invoices: pd.DataFrame) -> None:
    """Add the reason-code table (with customer and amount) and its worst-first examples."""
    inv = invoices.set_index("invoice_id")
    ids = reasons["invoice_id"]
    table = reasons.copy()
    table.insert(1, "customer_id", inv["customer_id"].reindex(ids).to_numpy())
    table.insert(2, "amount", inv["amount"].reindex(ids).to_numpy())
    result.tables["reasons"] = table
    lead = [c for c in table.columns if c.startswith(("reason_", "impact_1"))]
    worst = table.sort_values("predicted_days_late", ascending=False, kind="stable").head(15)
    result.tables["reason_examples"] = worst[["invoice_id", "amount", "predicted_days_late", *lead]]


def group_columns(
    invoices: pd.DataFrame, customers: pd.DataFrame, columns: Sequence[str]
) -> pd.DataFrame:
    """``invoices`` with the customer columns named in ``columns`` (segment, country...) joined."""
    wanted = [c for c in columns if c in customers.columns and c not in invoices.columns]
    if not wanted:
        return invoices
    lookup = customers.set_index("customer_id")[wanted]
    joined = lookup.reindex(invoices["customer_id"].to_numpy())
    return invoices.assign(**{c: joined[c].to_numpy() for c in wanted})


def add_is_exact(result: ExplainResult, tolerance: float = 1e-6) -> bool:
    """Whether every attribution table's parts add up to its predicted ADD."""
    for name, table in result.tables.items():
        if not name.startswith("add_") or PREDICTED_ADD not in table:
            continue
        parts = [c for c in table.columns if c == BASELINE or c in set(result.families.values())]
        gap = (table[parts].sum(axis=1) - table[PREDICTED_ADD]).abs().to_numpy()
        if len(gap) and float(np.nanmax(gap)) > tolerance:
            return False
    return True

"""The monitoring report: a Markdown page a credit manager can read, written atomically.

Sections: the training fit, alerts, groups per month, migrations (transition matrices and who
moved into unable / unwilling), feature drift, performance decay, and on simulated data the
profiles against the simulator's truth.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from dso_model.monitoring.run import MonitorResult
from dso_model.profiles.groups import GROUP_LABELS


def markdown_table(frame: pd.DataFrame, float_format: str = "{:.3f}", index: bool = True) -> str:
    """A GitHub-flavoured Markdown table (dates as YYYY-MM-DD, NaN as '-')."""
    df = frame.reset_index() if index else frame
    cells = [[_cell(v, float_format) for v in row] for row in df.itertuples(index=False)]
    header = "| " + " | ".join(str(c) for c in df.columns) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    return "\n".join([header, rule, *("| " + " | ".join(r) + " |" for r in cells)])


def _cell(value, float_format: str) -> str:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float | np.floating):
        return "-" if not np.isfinite(value) else float_format.format(value)
    return str(value).replace("|", "/")


def _month(t: pd.Timestamp) -> str:
    return pd.Timestamp(t).strftime("%Y-%m")


def fit_section(result: MonitorResult) -> list[str]:
    r = result.trained.report
    return [
        "## Profile models",
        f"Trained at **{r['cutoff']}** on {r['train_rows']} customer-dates ({r['train_dates']}), "
        f"validated on {r['val_rows']}. Proxy rates: stress {r['rate_stress']:.1%}, unwilling "
        f"{r['rate_unwilling']:.1%}. Thresholds: unable when ability < {r['unable_below']}, "
        f"unwilling when willingness < {r['unwilling_below']} (proxy macro-F1 on validation "
        f"{r['val_proxy_macro_f1']:.3f}). Estimated share of the true cases each proxy catches "
        f"(label frequency): stress {r['label_frequency_stress']:.2f}, unwilling "
        f"{r['label_frequency_unwilling']:.2f}.",
    ]


def alert_section(result: MonitorResult) -> list[str]:
    alerts = result.alerts
    if not len(alerts):
        return ["## Alerts", "No alerts."]
    counts = alerts.groupby(["kind", "severity"]).size().rename("alerts").reset_index()
    shown = alerts[alerts["kind"] != "drift"].copy()
    drift = alerts[alerts["kind"] == "drift"]
    lines = ["## Alerts", markdown_table(counts, index=False), ""]
    if len(shown):
        shown["as_of"] = shown["as_of"].map(_month)
        lines += [markdown_table(shown[["as_of", "kind", "severity", "message"]], index=False), ""]
    if len(drift):
        top = drift.sort_values("value", ascending=False).head(10).copy()
        top["as_of"] = top["as_of"].map(_month)
        lines += [
            "Largest drifts:",
            "",
            markdown_table(top[["as_of", "subject", "value", "severity"]], index=False),
        ]
    return lines


def groups_section(result: MonitorResult) -> list[str]:
    counts = result.group_counts.copy()
    counts.index = [_month(t) for t in counts.index]
    legend = "; ".join(f"`{g}`: {v['en']} / {v['es']}" for g, v in GROUP_LABELS.items())
    return [
        "## Customers per group",
        legend,
        "",
        markdown_table(counts.rename_axis("month"), "{:.0f}"),
    ]


def migration_section(result: MonitorResult, last: int = 3) -> list[str]:
    lines = ["## Migrations"]
    if not len(result.migration):
        return [*lines, "Only one profiling date: nothing to compare yet."]
    wide = result.migration.pivot(index="as_of", columns="group", values="movers")
    wide.index = [_month(t) for t in wide.index]
    lines += [
        "Customers who moved into each group since the month before:",
        "",
        markdown_table(wide.rename_axis("month"), "{:.0f}"),
        "",
    ]
    for as_of in list(result.transitions)[-last:]:
        lines += [
            f"Transition matrix into {_month(as_of)} (rows: group before, columns: now):",
            "",
            markdown_table(result.transitions[as_of], "{:.0f}"),
            "",
        ]
    latest = (
        result.movers[result.movers["as_of"] == result.dates[-1]]
        if len(result.movers)
        else result.movers
    )
    if len(latest):
        cols = ["customer_id", "group_from", "group_to", "confidence", "reason_1_en", "reason_1_es"]
        top = latest.sort_values("confidence", ascending=False).head(15)[cols]
        lines += [
            f"Moved into unable / unwilling at {_month(result.dates[-1])} (most confident first):",
            "",
            markdown_table(top, "{:.2f}", index=False),
        ]
    return lines


def drift_section(result: MonitorResult, top: int = 12) -> list[str]:
    if not len(result.drift):
        return ["## Feature drift", "No drift computed."]
    wide = result.drift.pivot(index="feature", columns="as_of", values="psi")
    wide = wide.loc[wide.max(axis=1).sort_values(ascending=False).index[:top]]
    wide.columns = [_month(t) for t in wide.columns]
    return [
        "## Feature drift (PSI against the training window)",
        "Below 0.1 stable, 0.1-0.25 moderate, above 0.25 major. Largest features:",
        "",
        markdown_table(wide, "{:.2f}"),
    ]


def decay_section(result: MonitorResult) -> list[str]:
    lines = ["## Performance decay"]
    if len(result.delay_decay):
        d = result.delay_decay.copy()
        d["month"] = d["month"].map(_month)
        lines += [
            f"Payment delay ({result.delay_source}), by issue month; MAE of days late capped at "
            "the horizon over invoices whose horizon has elapsed:",
            "",
            markdown_table(d, "{:.3f}", index=False),
            "",
        ]
    if len(result.score_decay):
        s = result.score_decay.copy()
        s["as_of"] = s["as_of"].map(_month)
        lines += [
            "Profile scores against the proxy outcomes that followed:",
            "",
            markdown_table(s, "{:.3f}", index=False),
        ]
    return lines


def truth_section(result: MonitorResult) -> list[str]:
    if result.evaluation is None:
        return []
    lines = [
        "## Against the simulator's truth",
        "Behavioural verdicts only. `previous`: latent group of the month that ended at the "
        "profiling date; `current`: of the month that starts there. The oracle thresholds the "
        "true latent traits of the month before the compared one.",
        "",
    ]
    for alignment, ev in result.evaluation.items():
        lines += [
            f"**{alignment}**: macro-F1 {ev['macro_f1']:.3f} (oracle {ev['oracle_macro_f1']:.3f}) "
            f"over {ev['rows']} customer-months.",
            "",
            markdown_table(ev["confusion"], "{:.0f}"),
            "",
        ]
    if result.cold_start is not None:
        lines += ["Cold-start routing:", "", markdown_table(result.cold_start, "{:.3f}")]
    return lines


def render_report(result: MonitorResult, title: str = "Customer monitoring") -> str:
    span = f"{_month(result.dates[0])} .. {_month(result.dates[-1])}" if result.dates else "-"
    parts = [f"# {title}", f"Profiling dates: {span} ({len(result.dates)} months).", ""]
    for section in (
        fit_section,
        alert_section,
        groups_section,
        migration_section,
        drift_section,
        decay_section,
        truth_section,
    ):
        parts += [*section(result), ""]
    return "\n".join(parts)


def write_report(
    result: MonitorResult, path: str | os.PathLike[str], title: str = "Customer monitoring"
) -> Path:
    from dso_model.io.atomic import write_text_atomic

    return write_text_atomic(path, render_report(result, title))

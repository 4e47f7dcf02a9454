"""Explanation plots, drawn with matplotlib's Agg renderer (no display needed).

Each function returns a :class:`matplotlib.figure.Figure`; :func:`figure_png` renders one to PNG
bytes for the HTML report, MLflow and the output folder. Figures are built without pyplot (so
they never leak into a notebook's state), except the beeswarm, which the ``shap`` package draws
on pyplot's current figure; it is detached and closed right after.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from dso_model.explain.contributions import Contributions
from dso_model.explain.drivers import feature_label

FAMILY_COLORS = {
    "baseline": "#9e9e9e",
    "history": "#c0392b",
    "exposure": "#e67e22",
    "channel": "#2980b9",
    "reputation": "#8e44ad",
    "attributes": "#16a085",
    "invoice": "#7f8c8d",
    "calendar": "#bdc3c7",
    "other": "#607d8b",
}
FAMILY_NAMES = {
    "en": {
        "baseline": "typical invoice",
        "history": "payment history",
        "exposure": "amount owed",
        "channel": "contacts and responses",
        "reputation": "complaints and mentions",
        "attributes": "customer attributes",
        "invoice": "invoice amount and terms",
        "calendar": "calendar",
        "other": "other features",
    },
    "es": {
        "baseline": "factura típica",
        "history": "historial de pagos",
        "exposure": "deuda pendiente",
        "channel": "contactos y respuestas",
        "reputation": "quejas y menciones",
        "attributes": "datos del cliente",
        "invoice": "importe y plazo de la factura",
        "calendar": "calendario",
        "other": "otras variables",
    },
}


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def family_name(family: str, lang: str = "en") -> str:
    return FAMILY_NAMES.get(lang, {}).get(family, family)


def figure_png(fig: Any, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (rendered with Agg whatever the active backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def plot_family_bars(families: pd.DataFrame, lang: str = "en") -> Any:
    """Mean |SHAP| per family, plain (grey) and amount-weighted (family colour), side by side."""
    from matplotlib.patches import Patch

    table = families.iloc[::-1]
    fig = _figure(7, 0.45 * len(table) + 1.5)
    ax = fig.add_subplot()
    y = np.arange(len(table))
    ax.barh(y + 0.2, table["mean_abs"], height=0.4, color="#c8ccd0")
    handles = [Patch(color="#c8ccd0", label="per invoice")]
    if "mean_abs_weighted" in table:
        colors = [FAMILY_COLORS.get(f, "#607d8b") for f in table.index]
        ax.barh(y - 0.2, table["mean_abs_weighted"], height=0.4, color=colors)
        handles.append(Patch(color="#34495e", label="weighted by amount (family colour)"))
    ax.set_yticks(y, [family_name(str(f), lang) for f in table.index])
    ax.set_xlabel("mean |SHAP| (days of predicted delay)")
    ax.set_title("Drivers of predicted delay by feature family")
    ax.legend(handles=handles, loc="lower right", frameon=False)
    return fig


def plot_beeswarm(
    contribs: Contributions,
    features: pd.DataFrame,
    *,
    max_display: int = 15,
    sample: int = 2000,
    seed: int = 0,
    lang: str = "en",
    registry: Mapping[str, Any] | None = None,
) -> Any:
    """SHAP beeswarm of the top features on a random sample of invoices (``shap`` package)."""
    import matplotlib.pyplot as plt
    import shap

    rows = _sample_rows(len(contribs), sample, seed)
    values = contribs.values.iloc[rows]
    data = features.reindex(values.index)[values.columns].to_numpy(dtype=float, na_value=np.nan)
    names = [feature_label(str(c), lang, registry) for c in values.columns]
    explanation = shap.Explanation(
        values=values.to_numpy(dtype=float),
        base_values=np.full(len(values), contribs.expected_value),
        data=data,
        feature_names=names,
    )
    fig = plt.figure(figsize=(8, 0.4 * max_display + 1.5))
    shap.plots.beeswarm(explanation, max_display=max_display, show=False, plot_size=None)
    fig.axes[0].set_xlabel(f"SHAP value ({contribs.units} of predicted delay)")
    plt.close(fig)
    return fig


def _sample_rows(n: int, sample: int, seed: int) -> np.ndarray:
    if n <= sample:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=sample, replace=False))


def plot_dependence(
    contribs: Contributions,
    features: pd.DataFrame,
    names: Sequence[str],
    *,
    sample: int = 3000,
    seed: int = 0,
    lang: str = "en",
    registry: Mapping[str, Any] | None = None,
) -> Any:
    """One panel per feature: its value against its SHAP value, with the binned mean."""
    names = list(names)
    cols = min(3, max(len(names), 1))
    rows_n = int(np.ceil(len(names) / cols)) if names else 1
    fig = _figure(4.2 * cols, 3.2 * rows_n)
    rows = _sample_rows(len(contribs), sample, seed)
    for i, name in enumerate(names):
        ax = fig.add_subplot(rows_n, cols, i + 1)
        x = features.reindex(contribs.values.index)[name].to_numpy(dtype=float, na_value=np.nan)[
            rows
        ]
        y = contribs.values[name].to_numpy()[rows]
        ax.scatter(x, y, s=6, alpha=0.35, color="#2c3e50", linewidths=0)
        _binned_mean(ax, x, y)
        ax.axhline(0, color="#999", lw=0.8)
        missing = np.isnan(x).mean()
        note = f" ({missing:.0%} missing)" if missing > 0 else ""
        ax.set_title(feature_label(name, lang, registry) + note, fontsize=9)
        ax.set_ylabel(f"SHAP ({contribs.units})", fontsize=8)
        ax.tick_params(labelsize=8)
    return fig


def _binned_mean(ax: Any, x: np.ndarray, y: np.ndarray, bins: int = 20) -> None:
    ok = ~np.isnan(x)
    if ok.sum() < 10 or np.unique(x[ok]).size < 2:
        return
    edges = np.unique(np.quantile(x[ok], np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, x[ok], side="right") - 1, 0, len(edges) - 2)
    means = pd.Series(y[ok]).groupby(which).mean()
    centers = pd.Series(x[ok]).groupby(which).mean()
    ax.plot(centers.to_numpy(), means.to_numpy(), color="#c0392b", lw=1.8)


def plot_dso_waterfall(steps: pd.DataFrame, lang: str = "en", title: str | None = None) -> Any:
    """BPDSO, then each driver family's days of ADD, up to predicted (and measured) DSO."""
    fig = _figure(8, 4.5)
    ax = fig.add_subplot()
    x = np.arange(len(steps))
    for i, row in enumerate(steps.itertuples(index=False)):
        low, high = sorted((row.start, row.end))
        color = _step_color(row.kind, row.step, row.delta)
        ax.bar(i, high - low, bottom=low, color=color, edgecolor="white", width=0.7)
        label = (
            f"{row.end:.1f}" if row.kind in ("start", "subtotal", "end") else f"{row.delta:+.1f}"
        )
        ax.text(i, high, label, ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [family_name(str(s), lang) for s in steps["step"]], rotation=35, ha="right")
    ax.set_ylabel("days of sales")
    ax.set_title(title or "From best possible DSO to DSO: days of ADD by driver family")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _step_color(kind: str, step: str, delta: float) -> str:
    if kind in ("start", "subtotal", "end"):
        return {"start": "#27ae60", "subtotal": "#34495e", "end": "#2c3e50"}[kind]
    if kind == "gap":
        return "#d5d8dc"
    return FAMILY_COLORS.get(step, "#607d8b") if delta >= 0 else "#7dcea0"


def plot_add_by_group(
    table: pd.DataFrame, parts: Sequence[str], lang: str = "en", title: str = ""
) -> Any:
    """Stacked bars: each group's predicted ADD split into baseline and families (days)."""
    fig = _figure(8, 0.5 * len(table) + 1.8)
    ax = fig.add_subplot()
    labels = [" / ".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in table.index]
    y = np.arange(len(table))
    pos_left = np.zeros(len(table))
    neg_left = np.zeros(len(table))
    for part in parts:
        v = table[part].to_numpy(dtype=float)
        left = np.where(v >= 0, pos_left, neg_left)
        ax.barh(
            y, v, left=left, color=FAMILY_COLORS.get(part, "#607d8b"), label=family_name(part, lang)
        )
        pos_left += np.where(v >= 0, v, 0)
        neg_left += np.where(v < 0, v, 0)
    ax.scatter(
        table["predicted_add"], y, color="black", marker="|", s=200, zorder=3, label="predicted ADD"
    )
    ax.set_yticks(y, labels)
    ax.axvline(0, color="#999", lw=0.8)
    ax.set_xlabel("days of ADD")
    ax.set_title(title or "Predicted ADD by group and driver family")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    return fig

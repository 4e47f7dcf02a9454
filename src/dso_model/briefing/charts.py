"""The briefing's charts as embedded PNG images (``data:`` URIs), drawn with matplotlib.

Images carry no creation date or software stamp, so the same data always gives the same bytes.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import pandas as pd

PALETTE = ("#1f4e79", "#c55a11", "#548235", "#7f6000", "#7030a0", "#2e75b6")
GROUP_COLOURS = {
    "no_data": "#a6a6a6",
    "data_available": "#7fa7d1",
    "able_willing": "#548235",
    "unable": "#c9a227",
    "unwilling": "#c00000",
}


def _new_figure(width: float = 7.0, height: float = 3.2):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    return fig, ax


def figure_to_data_uri(fig) -> str:
    """Render and close ``fig``; a PNG ``data:`` URI without timestamps or software stamps."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def trend_chart(trend: pd.DataFrame, labels: dict[str, str]) -> str | None:
    """DSO and best possible DSO per month; projected months drawn dashed."""
    if trend is None or not len(trend):
        return None
    fig, ax = _new_figure()
    projected = trend["projected"].astype(bool) if "projected" in trend else None
    history = trend[~projected] if projected is not None else trend
    for i, measure in enumerate(("dso", "bpdso")):
        ax.plot(
            history["period_start"],
            history[measure],
            color=PALETTE[i],
            marker="o",
            markersize=3,
            label=labels.get(f"measure_{measure}", measure),
        )
    if projected is not None and projected.any():
        _draw_projection(ax, history, trend[projected], labels)
    ax.set_ylabel(labels.get("measure_dso", "DSO"))
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    fig.autofmt_xdate()
    return figure_to_data_uri(fig)


def _draw_projection(ax, history: pd.DataFrame, projected: pd.DataFrame, labels) -> None:
    last = history.tail(1)
    for scenario, style, colour in (("without", "--", PALETTE[1]), ("with", ":", PALETTE[2])):
        rows = projected[projected["scenario"] == scenario]
        if not len(rows):
            continue
        xs = list(last["period_start"]) + list(rows["period_start"])
        ys = list(last["dso"]) + list(rows["dso"])
        ax.plot(
            xs,
            ys,
            linestyle=style,
            color=colour,
            marker="s",
            markersize=4,
            label=labels.get(f"next_{scenario}_actions", scenario),
        )


def groups_chart(groups: pd.DataFrame, labels: dict[str, str]) -> str | None:
    """Customers and open amount per profile group, side by side."""
    if groups is None or not len(groups):
        return None
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(7.0, 2.8), dpi=100)
    colours = [GROUP_COLOURS.get(g, PALETTE[0]) for g in groups["group"]]
    for ax, column in zip(axes, ("customers", "open_amount"), strict=True):
        ax.barh(groups["group"], groups[column], color=colours)
        ax.set_title(labels.get(column, column), fontsize=9)
        ax.invert_yaxis()
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=8)
    axes[1].set_yticklabels([])
    return figure_to_data_uri(fig)


def drivers_chart(drivers: pd.DataFrame | None, labels: dict[str, str]) -> str | None:
    """Share of the predicted delay each driver explains, largest first."""
    if drivers is None or not len(drivers):
        return None
    top = drivers.sort_values("share", ascending=False, kind="stable").head(10)
    fig, ax = _new_figure(height=0.35 * len(top) + 1.0)
    ax.barh(_wrap(top["label"]), top["share"] * 100, color=PALETTE[0])
    ax.invert_yaxis()
    ax.set_xlabel("%")
    ax.grid(axis="x", alpha=0.3)
    ax.grid(axis="y", visible=False)
    ax.tick_params(labelsize=8)
    return figure_to_data_uri(fig)


def _wrap(values: Sequence[str], width: int = 40) -> list[str]:
    return [v if len(v) <= width else v[: width - 1] + "\u2026" for v in map(str, values)]

"""Figures built without pyplot: no global backend switch, nothing kept alive by pyplot's figure
manager, so the package's plots never change how a notebook shows its own."""

from __future__ import annotations

from typing import Any


def subplots(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Any, Any]:
    """``pyplot.subplots`` for a free-standing Figure (``figsize``/``dpi`` go to the figure)."""
    from matplotlib.figure import Figure

    figure_keys = ("figsize", "dpi", "layout")
    fig = Figure(**{k: kwargs.pop(k) for k in figure_keys if k in kwargs})
    return fig, fig.subplots(nrows, ncols, **kwargs)

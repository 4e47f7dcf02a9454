"""Write an explanation's tables, plots and HTML report into a folder, each file atomically."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from dso_model.explain.analysis import ExplainResult
from dso_model.io.atomic import write_atomic, write_parquet_atomic, write_text_atomic

LARGE_TABLES = ("reasons",)  # Parquet only; everything else also as CSV for quick reading


def _flat(table: pd.DataFrame) -> pd.DataFrame:
    named = [n for n in table.index.names if n is not None]
    if not named and isinstance(table.index, pd.RangeIndex):
        return table
    out = table.reset_index()
    out.columns = [str(c) for c in out.columns]
    return out


def write_outputs(
    result: ExplainResult,
    folder: str | Path,
    html: str | None = None,
    images: Mapping[str, bytes] | None = None,
) -> dict[str, Path]:
    """``tables/<name>.parquet`` (+ ``.csv``), ``plots/<name>.png`` and ``report.html``."""
    from dso_model.explain.plots import figure_png

    folder = Path(folder)
    written: dict[str, Path] = {}
    for name, table in result.tables.items():
        flat = _flat(table)
        written[f"tables/{name}.parquet"] = write_parquet_atomic(
            flat, folder / "tables" / f"{name}.parquet"
        )
        if name not in LARGE_TABLES:
            written[f"tables/{name}.csv"] = write_text_atomic(
                folder / "tables" / f"{name}.csv", flat.to_csv(index=False)
            )
    images = (
        dict(images)
        if images is not None
        else {k: figure_png(f) for k, f in result.figures.items()}
    )
    for name, png in images.items():
        written[f"plots/{name}"] = write_atomic(
            folder / "plots" / name, lambda p, b=png: p.write_bytes(b)
        )
    if html is not None:
        written["report.html"] = write_text_atomic(folder / "report.html", html)
    return written


def log_outputs(written: Mapping[str, Path], metrics: Mapping[str, Any]) -> None:
    """Log the written files (under their relative folders) and the metrics to the active run."""
    import mlflow

    for relative, path in written.items():
        parent = str(Path(relative).parent)
        mlflow.log_artifact(str(path), artifact_path=None if parent == "." else parent)
    clean = {k.replace("/", "_"): float(v) for k, v in metrics.items() if v == v}
    if clean:
        mlflow.log_metrics(clean)

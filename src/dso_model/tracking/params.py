"""Run parameters and tags: the flattened config, data fingerprint, code and package versions."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

MAX_PARAM_LENGTH = 6000
TRACKED_PACKAGES = ("dso_model", "lightgbm", "scikit-learn", "pandas", "numpy", "mlflow", "optuna")


def flatten_params(config: Mapping[str, Any], prefix: str = "", sep: str = ".") -> dict[str, str]:
    """``{"model": {"params": {"num_leaves": 31}}}`` -> ``{"model.params.num_leaves": "31"}``.

    Lists are kept whole as one value; values longer than MLflow allows are truncated.
    """
    out: dict[str, str] = {}
    for key, value in config.items():
        name = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            if value:
                out |= flatten_params(value, name, sep)
            else:
                out[name] = "{}"
        else:
            out[name] = str(value)[:MAX_PARAM_LENGTH]
    return out


def git_commit(path: str | Path | None = None) -> str:
    """The checkout's commit (with ``-dirty`` when files changed), or ``unknown`` outside git."""
    where = str(path or Path(__file__).resolve().parent)
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def package_versions(packages: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str]:
    """Installed version of each package (``not installed`` when absent)."""
    out = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def run_tags(
    data_name: str,
    data_fingerprint: str,
    test_window: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Tags of a training run: data, code version and package versions."""
    tags = {
        "data.name": data_name,
        "data.fingerprint": data_fingerprint,
        "code.git_commit": git_commit(),
    }
    tags |= {f"package.{k}": v for k, v in package_versions().items()}
    if test_window:
        tags["test_window"] = test_window
    return tags | dict(extra or {})

"""Shared test fixtures: an isolated project root so tests never write into the checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
IBM_CSV = SHARED_DATA / "ibm_ar" / "WA_Fn-UseC_-Accounts-Receivable.csv"


@pytest.fixture(autouse=True)
def isolated_root(tmp_path_factory, monkeypatch) -> Path:
    """Point DSO_MODEL_ROOT (outputs, caches, the MLflow store) at a temporary folder."""
    root = tmp_path_factory.mktemp("dso_root")
    monkeypatch.setenv("DSO_MODEL_ROOT", str(root))
    return root


@pytest.fixture
def ibm_csv() -> Path:
    if not IBM_CSV.exists():
        pytest.skip("the shared IBM benchmark file is not beside this checkout")
    return IBM_CSV

"""The committed feature page is exactly what the registry generates."""

from __future__ import annotations

from pathlib import Path

from dso_model.features.docs import main, render_markdown

PAGE = Path(__file__).resolve().parents[1] / "docs" / "features.md"


def test_committed_feature_page_is_up_to_date():
    assert PAGE.read_text(encoding="utf-8") == render_markdown(), (
        "docs/features.md is stale: run python -m dso_model.features.docs"
    )


def test_writer_writes_and_checks(tmp_path):
    out = tmp_path / "features.md"
    assert main(["--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render_markdown()
    assert main(["--out", str(out), "--check"]) == 0
    out.write_text("stale\n", encoding="utf-8")
    assert main(["--out", str(out), "--check"]) == 1

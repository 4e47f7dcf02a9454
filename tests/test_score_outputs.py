"""Scoring outputs: atomic under a kill, identical bytes for identical inputs, fixed layout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

from dso_model.io.atomic import write_parquet_atomic

WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import pandas as pd
    from dso_model.scoring.outputs import write_outputs
    from dso_model.scoring.pipeline import ScoreResult
    from dso_model.scoring.projection import NewSales

    n = int(sys.argv[2])
    rng = np.random.default_rng(0)
    worklist = pd.DataFrame({
        "invoice_id": pd.Series(np.char.add("INV-", np.arange(n).astype("U9")), dtype="str"),
        "outstanding": rng.uniform(1, 1e4, n),
        "priority": rng.uniform(0, 1e5, n),
        "contact": rng.random(n) < 0.5,
        "reason_1_en": pd.Series(rng.choice(["Paid late before", "Many open invoices"], n), dtype="str"),
    })
    figures = pd.DataFrame({"now": [1.0], "next_without_actions": [1.0], "next_with_actions": [1.0]}, index=["dso"])
    groups = pd.DataFrame({"customer_id": ["C1"], "group": ["able_willing"]})
    result = ScoreResult(pd.Timestamp("2024-06-01"), worklist, figures, NewSales(1.0, 0.5, 0.4), groups, None, pd.DataFrame(), pd.DataFrame())
    print("writing", flush=True)
    write_outputs(result, sys.argv[1], model={"uri": "test"})
    print("done", flush=True)
    """
)


def _temp_files(folder: Path, name: str) -> list[Path]:
    return [
        p for p in folder.iterdir() if p.name.startswith(f".{name}.") and p.name.endswith(".tmp")
    ]


def test_a_killed_writer_leaves_the_previous_file_whole(tmp_path):
    folder = tmp_path / "out"
    old = pd.DataFrame({"invoice_id": ["OLD-1", "OLD-2"], "priority": [2.0, 1.0]})
    write_parquet_atomic(old, folder / "worklist.parquet")
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(folder), "2000000"], stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            partial = [p for p in _temp_files(folder, "worklist.parquet") if p.stat().st_size > 0]
            if partial or proc.poll() is not None:
                break
            time.sleep(0.005)
        assert proc.poll() is None, "the writer finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert partial, "the writer was killed before it started writing"
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "worklist.parquet"), old)
    assert not (folder / "figures.json").exists()
    visible = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert visible == ["worklist.parquet"]


def test_worklist_layout_and_types_are_fixed():
    from dso_model.scoring.worklist import (
        ACTION_COLUMNS,
        assemble_worklist,
        empty_actions,
        worklist_columns,
    )

    book = pd.DataFrame(
        {
            "invoice_id": ["I2", "I1", "I3"],
            "customer_id": ["C1", "C1", "C2"],
            "issue_date": pd.to_datetime(["2024-05-01"] * 3),
            "due_date": pd.to_datetime(["2024-06-01", "2024-05-20", "2024-06-10"]),
            "currency": "EUR",
            "amount": [100.0, 200.0, 300.0],
            "outstanding": [100.0, 200.0, 300.0],
        }
    )
    timing = pd.DataFrame(
        {
            "days_past_due": [0.0, 12.0, -9.0],
            "p_late": [0.5, 1.0, 0.2],
            "expected_days_late": [3.0, 20.0, -1.0],
            "days_late_pred": [2.0, 18.0, 0.0],
            "days_late_lower": [0.0, 12.0, -5.0],
            "days_late_upper": [9.0, 40.0, 4.0],
            "predicted_payment_date": pd.to_datetime(["2024-06-03", "2024-06-07", "2024-06-10"]),
            "payment_date_lower": pd.to_datetime(["2024-06-01", "2024-06-01", "2024-06-05"]),
            "payment_date_upper": pd.to_datetime(["2024-06-10", "2024-06-29", "2024-06-14"]),
            "p_paid_next_month": [0.8, 0.6, 0.9],
        }
    )
    reasons = pd.DataFrame(
        {
            f"reason_{i}_{lang}": pd.array([None, "x", "y"], dtype="str")
            for lang in ("en", "es")
            for i in (1, 2, 3)
        }
    )
    groups = pd.DataFrame(
        {"customer_id": ["C1", "C2"], "group": ["unable", "able_willing"], "confidence": [0.7, 0.9]}
    )
    actions = empty_actions(book.index)
    actions.loc[1, ["contact", "channel", "expected_days_saved"]] = [True, "email", 4.0]
    out = assemble_worklist(book, timing, reasons, groups, actions, pd.Timestamp("2024-06-01"))
    assert list(out.columns) == worklist_columns()
    assert list(out["invoice_id"]) == ["I1", "I2", "I3"]  # priority, then money-days at risk
    assert list(out["priority"]) == [800.0, 0.0, 0.0] and list(out["priority_rank"]) == [1, 2, 3]
    assert out["money_days_at_risk"].iloc[2] == 0.0  # expected early payment is no risk
    assert out["contact"].dtype == bool and str(out["channel"].dtype) == "str"
    assert list(out["group"]) == ["unable", "unable", "able_willing"]
    for name, kind in ACTION_COLUMNS.items():
        assert str(out[name].dtype) in (kind, "boolean" if kind == "bool" else kind), name
    empty = assemble_worklist(
        book.iloc[:0],
        timing.iloc[:0],
        reasons.iloc[:0],
        groups,
        empty_actions(book.index[:0]),
        pd.Timestamp("2024-06-01"),
    )
    assert list(empty.columns) == worklist_columns() and len(empty) == 0
    assert dict(empty.dtypes.astype(str)) == dict(out.dtypes.astype(str))


def test_same_worklist_same_parquet_bytes(tmp_path):
    frame = pd.DataFrame(
        {
            "invoice_id": ["a", "b"],
            "p": np.array([0.1, 0.2]),
            "d": pd.to_datetime(["2024-01-01", None]),
        }
    )
    first = write_parquet_atomic(frame, tmp_path / "a.parquet").read_bytes()
    second = write_parquet_atomic(frame.copy(), tmp_path / "b.parquet").read_bytes()
    assert first == second

"""dso-validate on good and bad input: clear messages, exit status, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dso_model.cli import validate

HEADER = "invoice_id,customer_id,issue_date,due_date,amount,paid_date\n"
GOOD_ROWS = [
    "INV-001,C1,2024-01-05,2024-02-04,120.50,2024-02-01\n",
    "INV-002,C1,2024-02-05,2024-03-06,99.90,2024-03-20\n",
    "INV-003,C2,2024-02-10,2024-03-11,300.00,\n",
    "INV-004,C2,2024-03-01,2024-03-31,45.00,2024-03-15\n",
]


def _write(tmp_path: Path, rows: list[str], name: str = "invoices.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows))
    return path


def _run(monkeypatch, capsys, tmp_path, *overrides: str) -> tuple[int, str, str]:
    out_dir = tmp_path / "run"
    argv = ["dso-validate", *overrides, f"hydra.run.dir={out_dir}", "write_parquet=true"]
    monkeypatch.setattr(sys, "argv", argv)
    code = 0
    try:
        validate.main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_valid_csv_prints_summary_and_writes_tables(monkeypatch, capsys, tmp_path):
    path = _write(tmp_path, GOOD_ROWS)
    code, out, err = _run(monkeypatch, capsys, tmp_path, "data=csv", f"data.path={path}")
    assert code == 0, err
    assert "valid" in out
    assert "invoices" in out and "DSO measures per month" in out
    assert (tmp_path / "run" / "portfolio" / "invoices.parquet").exists()


def _bad(tmp_path, rows):
    return _write(tmp_path, rows)


BAD_CASES = {
    "unparseable date": (
        [GOOD_ROWS[0], "INV-002,C1,2024-02-31x,2024-03-06,99.90,\n"],
        "issue_date",
        "3",
    ),
    "due before issue": (
        [GOOD_ROWS[0], "INV-002,C1,2024-02-05,2024-01-06,99.90,\n"],
        "due_date",
        "3",
    ),
    "duplicate invoice id": ([GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[0]], "invoice_id", "2, 4"),
    "negative amount": (
        [GOOD_ROWS[0], "INV-002,C1,2024-02-05,2024-03-06,-5,\n"],
        "amount",
        "3",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_rows_stop_with_file_column_and_row(monkeypatch, capsys, tmp_path, case):
    rows, column, line = BAD_CASES[case]
    path = _bad(tmp_path, rows)
    code, out, err = _run(monkeypatch, capsys, tmp_path, "data=csv", f"data.path={path}")
    assert code == 2
    assert "Traceback" not in err
    assert str(path) in err
    assert f"'{column}'" in err
    assert f"rows: {line}" in err
    assert not (tmp_path / "run" / "portfolio").exists()


def test_missing_required_column(monkeypatch, capsys, tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_text("invoice_id,customer_id,issue_date,amount\nI1,C1,2024-01-01,5\n")
    code, _, err = _run(monkeypatch, capsys, tmp_path, "data=csv", f"data.path={path}")
    assert code == 2 and "Traceback" not in err
    assert "'due_date'" in err and str(path) in err


def test_empty_file(monkeypatch, capsys, tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_text("")
    code, _, err = _run(monkeypatch, capsys, tmp_path, "data=csv", f"data.path={path}")
    assert code == 2 and "empty" in err and str(path) in err


def test_file_that_is_not_csv(monkeypatch, capsys, tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_bytes(b"PAR1\x00\x15\x04binary junk\x00\x00")
    code, _, err = _run(monkeypatch, capsys, tmp_path, "data=csv", f"data.path={path}")
    assert code == 2 and "not a CSV" in err and str(path) in err


def test_payment_for_unknown_invoice(monkeypatch, capsys, tmp_path):
    inv = _write(tmp_path, GOOD_ROWS)
    pay = tmp_path / "payments.csv"
    pay.write_text(
        "payment_id,invoice_id,payment_date,amount\n"
        "P1,INV-001,2024-02-01,120.50\nP2,INV-999,2024-03-20,99.90\n"
    )
    payments = (
        "data.tables.payments={path:" + str(pay) + ",columns:{payment_id:payment_id,"
        "invoice_id:invoice_id,payment_date:payment_date,amount:amount}}"
    )
    code, _, err = _run(monkeypatch, capsys, tmp_path, "data=csv", f"data.path={inv}", payments)
    assert code == 2 and "Traceback" not in err
    assert str(pay) in err and "'invoice_id'" in err and "rows: 3" in err
    assert "INV-999" in err


def test_spanish_erp_export_latin1_decimal_comma(monkeypatch, capsys, tmp_path):
    path = tmp_path / "facturas.csv"
    text = (
        "NumFactura;CodCliente;FechaEmision;FechaVencimiento;Importe;Divisa;FechaCobro\n"
        "F-0001;CLIÑ1;05/01/2024;04/03/2024;1.234,56;EUR;10/03/2024\n"
        "F-0002;CLIÑ1;05/02/2024;05/04/2024;99,90;EUR;\n"
    )
    path.write_bytes(text.encode("latin-1"))
    code, out, err = _run(monkeypatch, capsys, tmp_path, "data=erp_es", f"data.path={path}")
    assert code == 0, err
    import pandas as pd

    inv = pd.read_parquet(tmp_path / "run" / "portfolio" / "invoices.parquet")
    assert inv["amount"].tolist() == [1234.56, 99.90]
    assert inv["due_date"].iloc[0] == pd.Timestamp("2024-03-04")  # day first
    assert inv["customer_id"].iloc[0] == "CLIÑ1"
    assert inv["status"].tolist() == ["paid", "open"]


def test_ibm_benchmark_summary(ibm_csv):
    """The installed console script, in a fresh process, on the real benchmark file."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dso-validate"), "data=ibm_ar"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "2466" in result.stdout
    assert "35.6%" in result.stdout  # share paid late, as the benchmark's provenance states
    assert "3.44" in result.stdout  # mean days late

"""``dso-simulate``: a valid portfolio and truth, written atomically, the same bytes every time."""

from __future__ import annotations

import os
import subprocess
import sys

from dso_model.contract.portfolio import Portfolio
from dso_model.sim import load_preset, load_simulation, simulate

# one replication per batch, so that ``jobs=2`` runs the oracle in two processes
OVERRIDES = [
    "sim.n_customers=150",
    "sim.months=4",
    "sim.oracle.replications=2",
    "sim.oracle.max_stacked_invoices=1",
]


def run_cli(args, root):
    env = {**os.environ, "DSO_MODEL_ROOT": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "dso_model.cli.simulate", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_cli_writes_a_valid_portfolio_and_truth_into_the_hydra_folder(tmp_path, isolated_root):
    done = run_cli(["sim=small", "progress=false", "jobs=2", *OVERRIDES], isolated_root)
    assert done.returncode == 0, done.stderr
    folders = [p.parent for p in (isolated_root / "outputs" / "simulate").rglob("meta.json")]
    assert len(folders) == 1
    out = folders[0]
    portfolio = Portfolio.from_parquet(out)  # validates against the contract
    assert portfolio.summary_counts()["invoices"] > 0
    loaded = load_simulation(out)
    assert len(loaded.truth.invoices) == len(portfolio.invoices)
    assert not list(out.rglob("*.tmp"))
    # the app, with the oracle in two processes, writes exactly what the library does in one
    # for the same config: byte for byte
    oracle = {"oracle.replications": 2, "oracle.max_stacked_invoices": 1}
    config = load_preset("small", n_customers=150, months=4, **oracle)
    again = simulate(config).save(tmp_path / "lib")
    for path in again.rglob("*"):
        if path.is_file():
            rel = path.relative_to(again)
            assert (out / rel).read_bytes() == path.read_bytes(), rel


def test_cli_reports_bad_settings_without_a_traceback(tmp_path, isolated_root):
    done = run_cli(
        ["sim=small", "progress=false", "+sim.payment.nonsense=1", f"out_dir={tmp_path}"],
        isolated_root,
    )
    assert done.returncode == 2
    assert "unknown simulator setting 'sim.payment.nonsense'" in done.stderr
    assert "Traceback" not in done.stderr

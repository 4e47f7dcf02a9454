"""Benchmark the simulator: a preset at a given size, timed phase by phase, with peak memory.

    python benchmarks/bench_simulate.py                       # default preset, 100,000 x 24
    python benchmarks/bench_simulate.py --customers 20000 --oracle-replications 0
    python benchmarks/bench_simulate.py --jobs 2              # oracle batches in 2 processes

Prints wall and CPU seconds per phase (world; history and its tables; oracle; contract validation)
and the process's peak resident memory so far after each phase, and at the end the peak of the
summed proportional set size of this process and its oracle workers (sampled once a second). Target (issue 3): default preset at 100,000 customers x 24
months in under 60 s and 4 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import threading
import time
from pathlib import Path

from dso_model.contract.portfolio import Portfolio
from dso_model.sim import load_preset
from dso_model.sim.oracle import oracle_outcomes, replication_batches
from dso_model.sim.simulation import Simulation, simulate_history


def proportional_mb(pid: int) -> float:
    """A process's proportional set size (shared pages split between their users), in MB."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_pids(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for t in tasks for c in (t / "children").read_text().split()]
    except OSError:
        return []


class TreeMemory:
    """Samples, every ``interval`` seconds, the summed PSS of this process and its children:
    the memory the main process and its oracle workers really hold together (Linux only)."""

    def __init__(self, interval: float = 1.0) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        me = os.getpid()
        while not self._stop.wait(interval):
            total = sum(proportional_mb(p) for p in [me, *child_pids(me)])
            self.peak_mb = max(self.peak_mb, total)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


class Clock:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, label: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.rows.append((label, wall - self._wall, cpu - self._cpu))
        self._wall, self._cpu = wall, cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"  {label:<22} {self.rows[-1][1]:8.1f} s wall {self.rows[-1][2]:8.1f} s cpu"
            f"   peak so far {peak:,.0f} MB",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument(
        "--oracle-replications",
        type=int,
        default=None,
        help="override the preset's oracle.replications",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="processes for the oracle's batches of replications (see oracle_outcomes)",
    )
    args = parser.parse_args()
    overrides = {"n_customers": args.customers, "months": args.months}
    if args.oracle_replications is not None:
        overrides["oracle.replications"] = args.oracle_replications
    config = load_preset(args.preset, **overrides)
    print(
        f"preset {args.preset}: {args.customers:,} customers x {args.months} months, "
        f"oracle replications {config.oracle.replications}, {args.jobs} job(s)"
    )
    with TreeMemory() as tree:
        run(config, args.jobs)
    if tree.peak_mb:
        print(
            f"  peak memory of this process and its workers together (PSS): {tree.peak_mb:,.0f} MB"
        )


def run(config, jobs: int) -> None:
    clock = Clock()
    sim = Simulation(config, None, None)  # type: ignore[arg-type]
    world, tables = sim.world()
    clock.lap("world")
    frames, _ = simulate_history(world, tables)
    clock.lap("history and tables")
    oracle_outcomes(world, tables, n_jobs=jobs)
    clock.lap("oracle")
    portfolio = Portfolio.from_tables(**frames, as_of=config.end)
    clock.lap("contract validation")
    wall = sum(r[1] for r in clock.rows)
    cpu = sum(r[2] for r in clock.rows)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = ", ".join(f"{n:,} {t}" for t, n in portfolio.summary_counts().items())
    print(f"  {'total':<22} {wall:8.1f} s wall {cpu:8.1f} s cpu")
    print(f"  peak memory {peak_mb:,.0f} MB; {counts}")
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    issued = int(tables.issue_ptr[world.calendar.n_days])
    if jobs > 1 and len(replication_batches(world, issued)) > 1:
        print(
            f"  worker processes (not included above): {child.ru_utime + child.ru_stime:,.1f} s cpu,"
            f" largest peak resident {child.ru_maxrss / 1024:,.0f} MB"
            " (counting the pages it shares with this process)"
        )


if __name__ == "__main__":
    main()

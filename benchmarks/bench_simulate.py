"""Benchmark the simulator: a preset at a given size, timed phase by phase, with peak memory.

    python benchmarks/bench_simulate.py                       # default preset, 100,000 x 24
    python benchmarks/bench_simulate.py --customers 20000 --oracle-replications 0

Prints wall and CPU seconds per phase (world; history and its tables; oracle; contract validation)
and the process's peak resident memory so far after each phase. Target (issue 3): default preset at 100,000 customers x 24
months in under 60 s and 4 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import resource
import time

from dso_model.contract.portfolio import Portfolio
from dso_model.sim import load_preset
from dso_model.sim.oracle import oracle_outcomes
from dso_model.sim.simulation import Simulation, simulate_history


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
    args = parser.parse_args()
    overrides = {"n_customers": args.customers, "months": args.months}
    if args.oracle_replications is not None:
        overrides["oracle.replications"] = args.oracle_replications
    config = load_preset(args.preset, **overrides)
    print(
        f"preset {args.preset}: {args.customers:,} customers x {args.months} months, "
        f"oracle replications {config.oracle.replications}"
    )
    clock = Clock()
    sim = Simulation(config, None, None)  # type: ignore[arg-type]
    world, tables = sim.world()
    clock.lap("world")
    frames, _ = simulate_history(world, tables)
    clock.lap("history and tables")
    oracle_outcomes(world, tables)
    clock.lap("oracle")
    portfolio = Portfolio.from_tables(**frames, as_of=config.end)
    clock.lap("contract validation")
    wall = sum(r[1] for r in clock.rows)
    cpu = sum(r[2] for r in clock.rows)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = ", ".join(f"{n:,} {t}" for t, n in portfolio.summary_counts().items())
    print(f"  {'total':<22} {wall:8.1f} s wall {cpu:8.1f} s cpu")
    print(f"  peak memory {peak_mb:,.0f} MB; {counts}")


if __name__ == "__main__":
    main()

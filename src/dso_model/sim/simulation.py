"""Simulate a portfolio: the canonical tables, validated, plus the truth tables beside them."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from dso_model.contract.portfolio import Portfolio
from dso_model.errors import DsoInputError
from dso_model.sim.config import SimConfig
from dso_model.sim.engine import EngineTables, Streams, build_tables, run_days
from dso_model.sim.logging_policy import logging_actions
from dso_model.sim.noise import Keys
from dso_model.sim.oracle import (
    extra_months_for_oracle,
    oracle_outcomes,
    oracle_stop_day,
    replication_batches,
)
from dso_model.sim.state import Recorder, State
from dso_model.sim.tables import portfolio_tables, shared_ids
from dso_model.sim.truth import (
    TRUTH_TABLES,
    SimTruth,
    truth_customers,
    truth_invoices,
    truth_monthly,
)
from dso_model.sim.world import World, build_world

CONFIG_FILE = "sim_config.json"


@dataclass
class Simulation:
    """A simulated portfolio, its truth, and the config that produced both (for roll-outs)."""

    config: SimConfig
    portfolio: Portfolio
    truth: SimTruth
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write the portfolio (``Portfolio.to_parquet``), ``truth/*.parquet`` and the config.

        Every file is written atomically; the portfolio's ``meta.json`` goes last, so a folder
        with a ``meta.json`` is complete.
        """
        from dso_model.io.atomic import write_parquet_atomic, write_text_atomic

        folder = Path(folder)
        for name in TRUTH_TABLES:
            write_parquet_atomic(getattr(self.truth, name), folder / "truth" / f"{name}.parquet")
        text = json.dumps(self.config.to_dict(), indent=2, sort_keys=True) + "\n"
        write_text_atomic(folder / CONFIG_FILE, text)
        self.portfolio.to_parquet(folder)
        return folder

    def world(self, months: int | None = None) -> tuple[World, EngineTables]:
        """The simulation's world, optionally extended to more months (cached)."""
        months = max(self.config.months, months or 0)
        key = f"world-{months}"
        if key not in self._cache:
            extra = extra_months_for_oracle(self.config)
            world = build_world(self.config, months, extra_path_months=extra)
            self._cache[key] = (world, build_tables(world))
        return self._cache[key]


def load_simulation(folder: str | os.PathLike[str], validate: bool = True) -> Simulation:
    """Read a folder written by :meth:`Simulation.save`."""
    folder = Path(folder)
    config_path = folder / CONFIG_FILE
    if not config_path.exists():
        raise DsoInputError("not a simulation folder (no sim_config.json)", file=str(folder))
    config = SimConfig.from_mapping(json.loads(config_path.read_text(encoding="utf-8")))
    portfolio = Portfolio.from_parquet(folder, validate=validate)
    truth = SimTruth(
        **{n: pd.read_parquet(folder / "truth" / f"{n}.parquet") for n in TRUTH_TABLES}
    )
    return Simulation(config, portfolio, truth)


def history_streams(config: SimConfig) -> Streams:
    keys = Keys(config.seed, "history")
    return Streams(keys, keys, 1 << 40)


def simulate(config: SimConfig, *, progress: bool = False, n_jobs: int = 1) -> Simulation:
    """Simulate ``config.months`` months of a portfolio under the logging policy.

    Order matters for memory: the history's tables are built and its state released before the
    oracle's replications run, and the contract is checked last. ``n_jobs`` > 1 runs the oracle's
    batches of replications in parallel processes (same result).
    """
    sim = Simulation(config, None, None)  # type: ignore[arg-type]
    world, tables = sim.world()
    end = world.calendar.n_days
    stop = oracle_stop_day(world, tables)
    total = end + stop * len(replication_batches(world, int(tables.issue_ptr[end])))
    with _progress(progress, total, f"simulating {config.name}") as bar:
        frames, truth = simulate_history(world, tables, bar)
        oracle = oracle_outcomes(world, tables, progress=bar, n_jobs=n_jobs)
    sim.truth = SimTruth(truth.customers, truth.monthly, truth.invoices.assign(**oracle))
    sim.portfolio = Portfolio.from_tables(
        **frames, as_of=config.end, name=f"synthetic-{config.name}"
    )
    return sim


def simulate_history(world: World, tables: EngineTables, progress=None):
    """The history under the logging policy: canonical tables and truth (without the oracle)."""
    end = world.calendar.n_days
    state, rec = State(world), Recorder()
    run_days(
        world,
        tables,
        state,
        end,
        history_streams(world.config),
        logging_actions,
        rec,
        progress=progress,
    )
    with shared_ids():
        frames = portfolio_tables(world, state, rec, end)
        truth = SimTruth(
            customers=truth_customers(world, end),
            monthly=truth_monthly(world, rec, world.calendar.months),
            invoices=truth_invoices(world, state, rec, end, {}),
        )
    return frames, truth


class _NullBar:
    def update(self, n: int = 1) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


def _progress(enabled: bool, total: int, desc: str):
    if not enabled:
        return _NullBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="day", leave=False)

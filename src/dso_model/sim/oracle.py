"""The oracle: expected days late of every invoice given the latent truth, under the logging policy.

It is a Monte-Carlo mean over ``oracle.replications`` re-runs of the day-step process with fresh
outcome noise (payment thresholds, forgetting, disputes, contact outcomes, the logging policy's own
random choices), holding fixed everything a perfect analyst could know: the customers, their traits,
their monthly ability and willingness paths (the shocks) and their invoices. Each re-run continues
past the extraction date until every invoice is settled or written off, so invoices still open at the
end have an expectation too. Days late are ``settled day - due day`` (negative = early); a write-off
counts at its write-off day. The realised history is not one of the replications.

Replications run side by side as copies of the world stacked into one (see
:func:`~dso_model.sim.world.stack_world`), so their cost is one pass over the days with longer arrays.
A world too large to stack (``oracle.max_stacked_invoices``) runs its replications in several
batches, one after the other or, with ``n_jobs`` > 1, in forked worker processes; a batch's noise
depends only on its number, so the result is the same either way.
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dso_model.sim.engine import EngineTables, Streams, build_tables, run_days
from dso_model.sim.logging_policy import logging_actions
from dso_model.sim.noise import Keys
from dso_model.sim.state import Recorder, State
from dso_model.sim.world import World, stack_world


def extra_months_for_oracle(world_config) -> int:
    """Months past the end needed for every invoice to settle or be written off."""
    longest = max(max(s.terms_days) for s in world_config.segments.values() if s.share > 0)
    days = longest + world_config.payment.writeoff_after_days + 2
    return int(np.ceil(days / 28.0)) + 1


def oracle_stop_day(world: World, tables: EngineTables) -> int:
    end = world.calendar.n_days
    due = world.invoices["due"][: int(tables.issue_ptr[end])]
    stop = due.max(initial=end) + world.config.payment.writeoff_after_days + 2
    return int(min(tables.calendar.n_days, max(stop, end)))


def replication_batches(world: World, n_invoices: int) -> list[int]:
    """Replications per stacked run, keeping a stacked world under ``oracle.max_stacked_invoices``."""
    reps = max(int(world.config.oracle.replications), 0)
    per_run = max(1, int(world.config.oracle.max_stacked_invoices // max(n_invoices, 1)))
    return [min(per_run, reps - k) for k in range(0, reps, per_run)]


def _replication_world(
    world: World, tables: EngineTables, copies: int, n_invoices: int
) -> tuple[World, EngineTables, np.ndarray]:
    """The world one batch runs on: the world itself for a single copy of all its invoices."""
    if copies == 1 and n_invoices == world.n_invoices:
        return world, tables, np.arange(n_invoices)
    stacked, origin = stack_world(world, copies, n_invoices)
    return stacked, build_tables(stacked), origin


@dataclass
class BatchSums:
    """One batch's sums per original invoice: days late, their squares, late and write-off counts."""

    days_late: np.ndarray
    square: np.ndarray
    late: np.ndarray
    written: np.ndarray


def run_batch(
    world: World, tables: EngineTables, batch: int, copies: int, stop: int, progress=None
) -> BatchSums:
    """``copies`` replications side by side with the noise of ``oracle/{batch}``, summed per invoice."""
    n = int(tables.issue_ptr[world.calendar.n_days])
    stacked, st_tables, origin = _replication_world(world, tables, copies, n)
    state = State(stacked)
    keys = Keys(world.config.seed, f"oracle/{batch}")
    run_days(
        stacked,
        st_tables,
        state,
        stop,
        Streams(keys, keys, stop),
        logging_actions,
        Recorder(enabled=False),
        progress=progress,
    )
    settled = np.where(state.paid_day >= 0, state.paid_day, state.wo_day)
    settled = np.where(settled >= 0, settled, stop)
    days_late = settled - stacked.invoices["due"]
    written = state.wo_day >= 0
    del state
    return BatchSums(
        np.bincount(origin, days_late, minlength=n).astype(np.int64),
        np.bincount(origin, days_late.astype(float) ** 2, minlength=n).astype(np.int64),
        np.bincount(origin[days_late > 0], minlength=n).astype(np.int32),
        np.bincount(origin[written], minlength=n).astype(np.int32),
    )


_FORKED: dict[str, tuple] = {}  # what worker processes inherit from the parent


def _batch_in_worker(batch: int) -> BatchSums:
    world, tables, batches, stop = _FORKED["args"]
    return run_batch(world, tables, batch, batches[batch], stop)


def _batch_sums(world: World, tables: EngineTables, stop: int, n_jobs: int, progress):
    """Every batch's sums in batch order, over ``n_jobs`` processes when that helps.

    This process runs every ``n_jobs``-th batch itself and ``n_jobs - 1`` forked workers run the
    others meanwhile, so only ``n_jobs - 1`` extra processes hold a batch's state.
    """
    batches = replication_batches(world, int(tables.issue_ptr[world.calendar.n_days]))
    jobs = min(max(int(n_jobs), 1), len(batches))
    if jobs <= 1 or "fork" not in mp.get_all_start_methods():
        for b, copies in enumerate(batches):
            yield run_batch(world, tables, b, copies, stop, progress)
        return
    _FORKED["args"] = (world, tables, batches, stop)
    try:
        context = mp.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs - 1, mp_context=context) as pool:
            elsewhere = {
                b: pool.submit(_batch_in_worker, b) for b in range(len(batches)) if b % jobs
            }
            for b, copies in enumerate(batches):
                if b in elsewhere:
                    sums = elsewhere.pop(b).result()
                    if progress is not None:
                        progress.update(stop)
                else:
                    sums = run_batch(world, tables, b, copies, stop, progress)
                yield sums
    finally:
        _FORKED.clear()


def oracle_outcomes(
    world: World, tables: EngineTables, progress=None, n_jobs: int = 1
) -> dict[str, np.ndarray]:
    """Expected days late, chance of being late and of being written off, per invoice.

    ``n_jobs`` > 1 runs the batches of replications in that many forked processes; the sums are
    exact integers, so the result does not depend on it.
    """
    end = world.calendar.n_days
    n = int(tables.issue_ptr[end])
    stop = oracle_stop_day(world, tables)
    total, square, late, written = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    for sums in _batch_sums(world, tables, stop, n_jobs, progress):
        total += sums.days_late
        square += sums.square
        late += sums.late
        written += sums.written
    reps = max(int(world.config.oracle.replications), 0)
    scale = 1.0 / reps if reps else np.nan
    mean = total * scale
    var = (square - reps * mean**2) / (reps - 1) if reps > 1 else np.full(n, np.nan)
    return {
        "oracle_expected_days_late": mean,
        "oracle_days_late_sd": np.sqrt(np.clip(var, 0.0, None)),
        "oracle_prob_late": late * scale,
        "oracle_prob_write_off": written * scale,
    }


def oracle_predict_days_late(simulation, invoice_ids) -> np.ndarray:
    """The oracle's expected days late for ``invoice_ids`` (NaN for unknown ids).

    This is the noise floor later models are compared with: no model that sees only observable
    data can beat, on average, an estimate that knows the latent traits and shocks. The replicate
    spread ``oracle_days_late_sd`` gives the irreducible noise itself.
    """
    table = simulation.truth.invoices.set_index("invoice_id")["oracle_expected_days_late"]
    ids = pd.Index(pd.Series(list(invoice_ids), dtype="str"))
    return table.reindex(ids).to_numpy(dtype=float)

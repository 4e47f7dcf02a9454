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
"""

from __future__ import annotations

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


def oracle_outcomes(world: World, tables: EngineTables, progress=None) -> dict[str, np.ndarray]:
    """Expected days late, chance of being late and of being written off, per invoice."""
    end = world.calendar.n_days
    n = int(tables.issue_ptr[end])
    stop = oracle_stop_day(world, tables)
    total, square, late, written = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    for b, copies in enumerate(replication_batches(world, n)):
        stacked, origin = stack_world(world, copies, n)
        st_tables = build_tables(stacked)
        state = State(stacked)
        keys = Keys(world.config.seed, f"oracle/{b}")
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
        due = stacked.invoices["due"]
        np.add.at(total, origin, settled - due)
        np.add.at(square, origin, (settled - due).astype(float) ** 2)
        np.add.at(late, origin, settled > due)
        np.add.at(written, origin, state.wo_day >= 0)
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

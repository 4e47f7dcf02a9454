"""The truth tables: what the simulator knows and no feature may read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dso_model.contract.spec import CHANNELS
from dso_model.sim.state import Recorder, State
from dso_model.sim.tables import customer_ids, invoice_ids, latent_group_column
from dso_model.sim.world import World

TRUTH_TABLES = ("customers", "monthly", "invoices")


@dataclass(frozen=True)
class SimTruth:
    """Latent traits per customer, latent state per customer and month, truths per invoice."""

    customers: pd.DataFrame
    monthly: pd.DataFrame
    invoices: pd.DataFrame

    def group_at(self, month: str | pd.Timestamp) -> pd.Series:
        """Latent group of each customer in the month containing ``month``."""
        start = pd.Timestamp(month).to_period("M").start_time
        rows = self.monthly[self.monthly["month"] == start]
        return rows.set_index("customer_id")["latent_group"]


def truth_customers(world: World, upto: int) -> pd.DataFrame:
    cust = world.customers
    idx = np.flatnonzero(cust["created_day"] < upto)
    frame = pd.DataFrame(
        {
            "customer_id": customer_ids(world, idx),
            "segment": pd.array(np.asarray(world.segments)[cust["segment"][idx]], dtype="str"),
            "ability": cust["ability_base"][idx],
            "willingness": cust["willingness_base"][idx],
            "forgetfulness": cust["forgetfulness"][idx],
        }
    )
    for k, ch in enumerate(CHANNELS):
        frame[f"resp_{ch}"] = cust["resp"][idx, k]
    return frame.assign(
        preferred_channel=pd.array(np.asarray(CHANNELS)[cust["preferred_channel"][idx]], "str"),
        best_hour=cust["best_hour"][idx],
        tz_offset_hours=cust["tz_offset"][idx],
        reputation_sensitivity=cust["reputation"][idx],
        dispute_propensity=cust["dispute_propensity"][idx],
        pay_offset_days=cust["pay_offset"][idx],
        app_user=cust["app_user"][idx],
        autopay=cust["autopay"][idx],
        monthly_spend=cust["spend"][idx],
    )


def truth_monthly(world: World, rec: Recorder, months: int) -> pd.DataFrame:
    """Ability, willingness (with erosion under the logging policy) and latent group by month."""
    cal = world.calendar
    frames = []
    for m in range(months):
        idx = np.flatnonzero(world.customers["created_day"] < cal.month_starts[m + 1])
        ability = world.ability[idx, m].astype(float)
        will = rec.monthly_will[m][idx].astype(float)
        frames.append(
            pd.DataFrame(
                {
                    "customer_id": customer_ids(world, idx),
                    "month": cal.start + pd.DateOffset(months=m),
                    "ability": ability,
                    "willingness": will,
                    "in_shock": world.in_shock[idx, m],
                    "latent_group": latent_group_column(world, ability, will).array,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out["month"] = out["month"].astype("datetime64[ns]")
    return out


def truth_invoices(
    world: World, state: State, rec: Recorder, upto: int, oracle: dict[str, np.ndarray]
) -> pd.DataFrame:
    inv, log = world.invoices, world.config.logging
    n = int(np.searchsorted(inv["issue"], upto))
    c = inv["customer"][:n]
    month = world.calendar.month_of(inv["issue"][:n])
    will = np.stack([rec.monthly_will[m] for m in range(world.calendar.months)], axis=1)
    arm = state.pre_arm[:n].astype(np.int64)
    offsets = np.asarray(log.pre_due_offsets, float)
    autopay = world.customers["autopay"][c]
    arm_prob = np.where(arm >= 0, log.pre_due_prob / len(offsets), 1.0 - log.pre_due_prob)
    return pd.DataFrame(
        {
            "invoice_id": invoice_ids(world, np.arange(n)),
            "customer_id": customer_ids(world, c),
            "latent_group_at_issue": latent_group_column(
                world, world.ability[c, month].astype(float), will[c, month].astype(float)
            ).array,
            "forgot": state.forgot[:n],
            "disputed": state.disputed[:n],
            "amount_ratio": inv["amount_ratio"][:n],
            "log_pre_due_offset": np.where(arm >= 0, offsets[np.maximum(arm, 0)], np.nan),
            "log_pre_due_prob": np.where(autopay, 1.0, arm_prob),
            **{k: v[:n] for k, v in oracle.items()},
        }
    )

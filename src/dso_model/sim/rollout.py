"""Counterfactual roll-outs: run a policy forward on the same customers, with common random numbers.

``rollout(simulation, policy, start=..., horizon_months=...)`` replays the simulated history up to
``start`` (under the logging policy, exactly as simulated), then hands the decisions to ``policy``
for ``horizon_months``. Customers, invoices and ability shocks come from the simulation's world;
outcome noise comes from hash streams keyed by (``seed``, invoice or contact, day). With the same
``seed`` two policies therefore face identical customers, invoices and shocks, and any difference
in outcomes is caused by what they did. The default ``seed`` is the simulation's own, so the
roll-out also shares its noise with the simulated history.

A policy is any callable ``policy(ctx: PolicyContext) -> DataFrame`` of actions with columns
``customer_id, invoice_id, send_date, hour, channel, template`` (``tone`` and ``propensity``
optional; ``invoice_id`` may be missing for customer-level messages). It is called every
``decision_every_days`` days and sees only the observable portfolio as of that day. A policy with
``needs_truth = True`` (the oracle) may read ``ctx.truth``. Actions on opted-out channels are refused
and counted (``blocked_actions``); actions about invoices settled before their send day are dropped
and counted (``cancelled_actions``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from dso_model.contract.portfolio import Portfolio
from dso_model.contract.spec import CHANNELS, TEMPLATES, TONES
from dso_model.errors import DsoInputError
from dso_model.sim.engine import EngineTables, Streams, run_days
from dso_model.sim.logging_policy import logging_actions
from dso_model.sim.noise import Keys
from dso_model.sim.simulation import Simulation
from dso_model.sim.state import TEMPLATE_IDS, Actions, Recorder, State
from dso_model.sim.tables import (
    customer_ids,
    customers_table,
    invoice_ids,
    latent_group,
    portfolio_tables,
)
from dso_model.sim.truth import truth_customers
from dso_model.sim.world import World

ACTION_COLUMNS = ("customer_id", "invoice_id", "send_date", "hour", "channel", "template", "tone")
Policy = Callable[["PolicyContext"], pd.DataFrame]


def empty_actions() -> pd.DataFrame:
    """An action frame with no rows and the expected columns."""
    return pd.DataFrame(
        {
            "customer_id": pd.Series(dtype="str"),
            "invoice_id": pd.Series(dtype="str"),
            "send_date": pd.Series(dtype="datetime64[ns]"),
            "hour": pd.Series(dtype="int64"),
            "channel": pd.Series(dtype="str"),
            "template": pd.Series(dtype="str"),
            "tone": pd.Series(dtype="str"),
        }
    )


class TruthView:
    """What the oracle may read: latent traits and the latent state on the decision day."""

    def __init__(self, world: World, state: State, day: int) -> None:
        self._world, self._state, self._day = world, state, day

    @cached_property
    def customers(self) -> pd.DataFrame:
        return truth_customers(self._world, self._day + 1)

    @cached_property
    def state(self) -> pd.DataFrame:
        idx = np.flatnonzero(self._world.customers["created_day"] <= self._day)
        ability, will = self._state.ability[idx], self._state.will[idx]
        return pd.DataFrame(
            {
                "customer_id": customer_ids(self._world, idx),
                "ability": ability,
                "willingness": will,
                "latent_group": pd.array(latent_group(self._world, ability, will), dtype="str"),
            }
        )


class PolicyContext:
    """The observable state on a decision day; valid only during the policy call."""

    def __init__(
        self,
        world: World,
        state: State,
        rec: Recorder,
        day: int,
        until: int,
        truth: TruthView | None,
    ) -> None:
        self._world, self._state, self._rec, self._day = world, state, rec, day
        self._truth = truth
        self.date = _date(world, day)
        self.until = _date(world, until)

    @cached_property
    def customers(self) -> pd.DataFrame:
        """Customers known on the day, with their current contact permissions."""
        return customers_table(self._world, self._day, self._state.opt_out)

    @cached_property
    def open_invoices(self) -> pd.DataFrame:
        """Invoices issued before the day and not settled or written off."""
        st, inv = self._state, self._world.invoices
        idx = np.flatnonzero(~st.closed[: st.issued])
        paid = (inv["cents"][idx] - st.remaining[idx]) / 100.0
        return pd.DataFrame(
            {
                "invoice_id": invoice_ids(self._world, idx),
                "customer_id": customer_ids(self._world, inv["customer"][idx]),
                "issue_date": self._world.calendar.dates(inv["issue"][idx]).astype(
                    "datetime64[ns]"
                ),
                "due_date": self._world.calendar.dates(inv["due"][idx]).astype("datetime64[ns]"),
                "amount": inv["cents"][idx] / 100.0,
                "paid_amount": paid,
                "status": pd.array(np.where(paid > 0, "partially_paid", "open"), dtype="str"),
            }
        )

    @cached_property
    def portfolio(self) -> Portfolio:
        """The full observable portfolio as of the day (point in time)."""
        frames = portfolio_tables(
            self._world, self._state, self._rec, self._day, self._state.opt_out
        )
        return Portfolio(**frames, as_of=self.date, name="rollout")

    @property
    def truth(self) -> TruthView:
        if self._truth is None:
            raise PermissionError("this policy may not read the truth (set needs_truth = True)")
        return self._truth


@dataclass(frozen=True)
class RolloutResult:
    """Outcomes of one policy over the horizon."""

    policy: str
    start: pd.Timestamp
    end: pd.Timestamp
    seed: int
    summary: dict[str, float]
    monthly: pd.DataFrame  # dso_measures per month of the horizon
    portfolio: Portfolio  # the observable portfolio at the horizon's end
    latent: pd.DataFrame  # customer_id, month, ability, willingness, latent_group
    extras: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"policy": self.policy, **self.summary}])


def _date(world: World, day: int) -> pd.Timestamp:
    return world.calendar.start + pd.Timedelta(days=int(day))


def policy_name(policy: Any) -> str:
    return str(
        getattr(policy, "name", None) or getattr(policy, "__name__", None) or type(policy).__name__
    )


# --------------------------------------------------------------------------- the roll-out
def rollout(
    simulation: Simulation,
    policy: Policy,
    *,
    start: str | pd.Timestamp | None = None,
    horizon_months: int = 3,
    seed: int | None = None,
    decision_every_days: int = 7,
    progress: bool = False,
) -> RolloutResult:
    """Run ``policy`` from ``start`` (default: the extraction date) for ``horizon_months``."""
    cfg = simulation.config
    t0 = pd.Timestamp(cfg.start)
    start_ts = pd.Timestamp(start if start is not None else cfg.end).normalize()
    if not t0 < start_ts <= pd.Timestamp(cfg.end):
        raise DsoInputError(
            f"roll-out start {start_ts.date()} is outside the simulated period "
            f"({cfg.start} to {cfg.end})"
        )
    end_ts = start_ts + pd.DateOffset(months=int(horizon_months))
    months = (end_ts.year - t0.year) * 12 + end_ts.month - t0.month + (end_ts.day > 1)
    world, tables = simulation.world(months)
    start_day, end_day = (start_ts - t0).days, (end_ts - t0).days
    state, rec = replay_history(simulation, world, tables, start_day)
    keys = Keys(cfg.seed if seed is None else seed, "history")
    streams = Streams(Keys(cfg.seed, "history"), keys, start_day)
    name = policy_name(policy)
    code = rec.policy_code(name)
    book = ActionBook(world)
    bar = _bar(progress, end_day - start_day, name)
    for d in range(start_day, end_day):
        if (d - start_day) % decision_every_days == 0:
            until = min(d + decision_every_days, end_day)
            truth = TruthView(world, state, d) if getattr(policy, "needs_truth", False) else None
            ctx = PolicyContext(world, state, rec, d, until, truth)
            book.add(policy(ctx), ctx, end_day, code)
        run_days(world, tables, state, d + 1, streams, book.source, rec)
        bar.update(1)
    bar.close()
    return summarise(
        world, state, rec, name, start_day, end_day, cfg.seed if seed is None else seed, code
    )


def replay_history(
    simulation: Simulation, world: World, tables: EngineTables, day: int
) -> tuple[State, Recorder]:
    """The state and records at the start of ``day`` under the logging policy (cached)."""
    key = ("replay", world.n_invoices, day)
    if key not in simulation._cache:
        state, rec = State(world), Recorder()
        keys = Keys(simulation.config.seed, "history")
        run_days(world, tables, state, day, Streams(keys, keys, day), logging_actions, rec)
        for old in [k for k in simulation._cache if isinstance(k, tuple)]:
            del simulation._cache[old]  # keep one replay: they are big
        simulation._cache[key] = (state, rec)
    state, rec = simulation._cache[key]
    return state.copy(), rec.copy()


class ActionBook:
    """Policy actions waiting for their send day."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.days: dict[int, list[Actions]] = {}
        self._cust_index = pd.Index(customer_ids(world, np.arange(world.n_customers)))
        self._inv_index = pd.Index(invoice_ids(world, np.arange(world.n_invoices)))

    def source(self, world, tables, state, d, keys, rec) -> Actions:
        return Actions.concat(self.days.pop(d, []))

    def add(self, frame: pd.DataFrame, ctx: PolicyContext, end_day: int, code: int) -> None:
        acts, days = parse_actions(frame, ctx, self._cust_index, self._inv_index, code)
        keep = days < end_day
        acts, days = acts.take(keep), days[keep]
        for day in np.unique(days).tolist():
            self.days.setdefault(day, []).append(acts.take(days == day))


def _check_values(frame: pd.DataFrame, column: str, allowed) -> np.ndarray:
    values = frame[column].astype(str).to_numpy()
    bad = ~np.isin(values, list(allowed))
    if bad.any():
        raise DsoInputError(
            f"policy returned unknown {column} values",
            table="actions",
            column=column,
            rows=np.flatnonzero(bad)[:5].tolist(),
            examples=values[bad][:5].tolist(),
            hint=f"allowed: {', '.join(allowed)}",
        )
    return (
        np.array([list(allowed).index(v) for v in values], dtype=np.int64)
        if len(values)
        else np.zeros(0, np.int64)
    )


def parse_actions(
    frame: pd.DataFrame, ctx: PolicyContext, customers: pd.Index, invoices: pd.Index, code: int
) -> tuple[Actions, np.ndarray]:
    """Check a policy's action frame and turn it into engine actions and send days."""
    if frame is None or not len(frame):
        return Actions.empty(), np.zeros(0, np.int64)
    missing = [c for c in ACTION_COLUMNS[:-1] if c not in frame.columns]
    if missing:
        raise DsoInputError(
            f"policy actions lack column(s): {', '.join(missing)}",
            table="actions",
            column=missing[0],
        )
    frame = frame.reset_index(drop=True)
    cust = customers.get_indexer(frame["customer_id"].astype(str))
    inv_ids = frame["invoice_id"]
    no_invoice = inv_ids.isna().to_numpy()
    inv = np.full(len(frame), -1, np.int64)
    inv[~no_invoice] = invoices.get_indexer(inv_ids[~no_invoice].astype(str))
    unknown = (cust < 0) | (inv_ids.notna().to_numpy() & (inv < 0))
    if unknown.any():
        raise DsoInputError(
            "policy actions name unknown customers or invoices",
            table="actions",
            rows=np.flatnonzero(unknown)[:5].tolist(),
        )
    send = pd.to_datetime(frame["send_date"]).dt.normalize()
    if (send < ctx.date).any():
        raise DsoInputError(
            "policy actions are dated before the decision day",
            table="actions",
            column="send_date",
            examples=[str(send.min().date())],
        )
    channel = _check_values(frame, "channel", CHANNELS)
    template = _check_values(frame, "template", TEMPLATE_IDS)
    if "tone" in frame.columns:
        tone = _check_values(
            frame.assign(
                tone=frame["tone"].fillna(frame["template"].map(lambda t: TEMPLATES[t][1]))
            ),
            "tone",
            TONES,
        )
    else:
        tone = np.array([TONES.index(TEMPLATES[t][1]) for t in frame["template"]], np.int64)
    hour = frame["hour"].to_numpy(dtype=np.int64) % 24
    prop = frame["propensity"].to_numpy(float) if "propensity" in frame else np.ones(len(frame))
    days = ((send - ctx._world.calendar.start).dt.days).to_numpy(np.int64)
    acts = Actions(
        cust.astype(np.int64),
        inv.astype(np.int64),
        channel,
        template,
        tone,
        hour,
        prop,
        np.full(len(frame), code, np.int64),
    )
    return acts, days


# --------------------------------------------------------------------------- results
def summarise(
    world: World,
    state: State,
    rec: Recorder,
    name: str,
    start_day: int,
    end_day: int,
    seed: int,
    code: int,
) -> RolloutResult:
    from dso_model.metrics.dso import dso_measures

    frames = portfolio_tables(world, state, rec, end_day, state.opt_out)
    start, end = _date(world, start_day), _date(world, end_day)
    portfolio = Portfolio(**frames, as_of=end, name=f"rollout-{name}")
    monthly = dso_measures(
        frames["invoices"], frames["payments"], start=start, end=end, events=frames["events"]
    )
    summary = _summary_numbers(frames, monthly, start, end, rec, code)
    latent = _latent(world, rec, start, end)
    return RolloutResult(name, start, end, int(seed), summary, monthly, portfolio, latent)


def _summary_numbers(
    frames, monthly: pd.DataFrame, start, end, rec: Recorder, code: int
) -> dict[str, float]:
    ev, con, pay = frames["events"], frames["contacts"], frames["payments"]
    ev = ev[(ev["timestamp"] >= start) & (ev["timestamp"] < end)]
    con = con[(con["timestamp"] >= start) & (con["timestamp"] < end)]
    pay = pay[(pay["payment_date"] >= start) & (pay["payment_date"] < end)]
    customers = int((frames["customers"]["created_date"] < end).sum())
    per_k = 1000.0 / max(customers, 1)
    wo = ev[ev["event_type"] == "write_off"]
    posts = ev[(ev["event_type"] == "social_mention") & (ev["sentiment"] < 0)]
    return {
        "dso": float(monthly["dso"].mean()),
        "dso_end": float(monthly["dso"].iloc[-1]),
        "countback_dso": float(monthly["countback_dso"].mean()),
        "bpdso": float(monthly["bpdso"].mean()),
        "add": float(monthly["add"].mean()),
        "cei": float(monthly["cei"].mean()),
        "complaints_per_1000": float((ev["event_type"] == "complaint").sum() * per_k),
        "public_posts_per_1000": float(len(posts) * per_k),
        "opt_outs_per_1000": float((ev["event_type"] == "opt_out").sum() * per_k),
        "contacts": float(len(con)),
        "contact_cost": float(con["cost"].sum()),
        "write_offs": float(len(wo)),
        "write_off_amount": float(wo["value"].sum()),
        "collected": float(pay["amount"].sum()),
        "customers": float(customers),
        "blocked_actions": float(rec.blocked),
        "cancelled_actions": float(rec.cancelled),
    }


def _latent(world: World, rec: Recorder, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    cal = world.calendar
    frames = []
    for m in range(cal.months):
        month = cal.start + pd.DateOffset(months=m)
        if not (start.to_period("M").start_time <= month < end) or m not in rec.monthly_will:
            continue
        idx = np.flatnonzero(world.customers["created_day"] < cal.month_starts[m + 1])
        ability = world.ability[idx, m].astype(float)
        will = rec.monthly_will[m][idx].astype(float)
        frames.append(
            pd.DataFrame(
                {
                    "customer_id": customer_ids(world, idx),
                    "month": month,
                    "ability": ability,
                    "willingness": will,
                    "latent_group": pd.array(latent_group(world, ability, will), dtype="str"),
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


class _Bar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(enabled: bool, total: int, name: str):
    if not enabled:
        return _Bar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"roll-out {name}", unit="day", leave=False)

"""The day-step payment process, vectorised over the open invoices of each day.

An invoice joins the daily process a few days before its customer would act on it (see
``payment.entry_days_before``); from then on it carries a cumulative payment hazard and pays when
that crosses a unit-exponential threshold drawn for it. Thresholds and every other outcome draw come
from :func:`dso_model.sim.noise.uniform`, keyed by (stream, invoice, day), so the draws are common
to any two policies: a contact that raises the hazard can only bring the payment forward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dso_model.contract.spec import AMOUNT_TOLERANCE
from dso_model.sim.noise import Keys, exponential, uniform, uniforms
from dso_model.sim.state import Actions, Recorder, State, refresh_hazard_base
from dso_model.sim.world import Calendar, World

ActionSource = Callable[[World, "EngineTables", State, int, Keys, Recorder], Actions]


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _pointers(values: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Order of ``values`` and, per value v in [lo, hi], where its run starts."""
    order = np.argsort(values, kind="stable")
    ptr = np.searchsorted(values[order], np.arange(lo, hi + 2))
    return order, ptr


@dataclass(frozen=True)
class EngineTables:
    """Per-world lookups the daily step needs, computed once."""

    calendar: Calendar  # covers every day the engine may run (paths' months)
    day_factor: np.ndarray  # (days, segments): weekends and the season
    entry_day: np.ndarray
    entry_order: np.ndarray
    entry_ptr: np.ndarray
    due_order: np.ndarray
    due_ptr: np.ndarray
    created_order: np.ndarray
    created_ptr: np.ndarray
    created_lo: int
    issue_ptr: np.ndarray
    amount_factor: np.ndarray
    habit_day: np.ndarray  # per invoice: due day + the customer's habitual offset
    autopay: np.ndarray  # per invoice: the customer pays by direct debit
    segment: np.ndarray  # per invoice: the customer's segment

    def due_on(self, day: int) -> np.ndarray:
        if day < 0 or day + 1 >= len(self.due_ptr):
            return np.zeros(0, np.int64)
        return self.due_order[self.due_ptr[day] : self.due_ptr[day + 1]]

    def created_on(self, day: int) -> np.ndarray:
        k = day - self.created_lo
        if k < 0 or k + 1 >= len(self.created_ptr):
            return np.zeros(0, np.int64)
        return self.created_order[self.created_ptr[k] : self.created_ptr[k + 1]]


def build_tables(world: World) -> EngineTables:
    cfg = world.config
    cal = Calendar.build(cfg.start, world.path_months)
    cust, inv = world.customers, world.invoices
    days = np.arange(cal.n_days)
    season = np.asarray(cfg.seasonality.pay_speed)[cal.month_of_year[cal.month_of(days)]]
    weekend = np.array([cfg.segments[s].weekend_pay_factor for s in world.segments])
    is_weekend = (cal.weekday(days) >= 5)[:, None]
    day_factor = season[:, None] * np.where(is_weekend, weekend[None, :], 1.0)
    c = inv["customer"]
    act = inv["due"] + np.minimum(cust["pay_offset"][c], 0) - cfg.payment.entry_days_before
    entry = np.where(cust["autopay"][c], inv["due"], np.maximum(inv["issue"], act))
    slow = 1.0 / (1.0 + cfg.payment.amount_slowdown * np.maximum(inv["amount_ratio"] - 1.0, 0))
    created = cust["created_day"]
    lo = int(min(created.min(), 0))
    return EngineTables(
        cal,
        day_factor,
        entry,
        *_pointers(entry, 0, cal.n_days),
        *_pointers(inv["due"], 0, cal.n_days + 400),
        *_pointers(created, lo, cal.n_days),
        lo,
        np.searchsorted(inv["issue"], np.arange(cal.n_days + 1)),
        slow,
        inv["due"] + cust["pay_offset"][c],
        cust["autopay"][c],
        cust["segment"][c],
    )


@dataclass(frozen=True)
class Streams:
    """Which noise keys apply on a day: ``before`` until ``switch_day``, then ``after``."""

    before: Keys
    after: Keys
    switch_day: int

    def at(self, day: int) -> Keys:
        return self.before if day < self.switch_day else self.after


def run_days(
    world: World,
    tables: EngineTables,
    state: State,
    stop_day: int,
    streams: Streams,
    actions: ActionSource,
    recorder: Recorder,
    *,
    issue_until: int | None = None,
    progress=None,
) -> None:
    """Advance ``state`` day by day until ``stop_day`` (exclusive)."""
    from dso_model.sim.contacts import execute_contacts

    limit = world.n_invoices if issue_until is None else int(tables.issue_ptr[issue_until])
    while state.day < stop_day:
        d = state.day
        keys = streams.at(d)
        start_month(world, tables, state, d, recorder)
        issue_invoices(world, state, d, keys, int(min(tables.issue_ptr[d + 1], limit)))
        execute_contacts(
            world,
            tables,
            state,
            d,
            actions(world, tables, state, d, keys, recorder),
            keys,
            recorder,
        )
        enter_invoices(tables, state, d, keys, limit)
        process_open(world, tables, state, d, keys, recorder)
        state.day = d + 1
        if progress is not None:
            progress.update(1)


def start_month(world: World, tables: EngineTables, state: State, d: int, rec: Recorder) -> None:
    """On a month's first day: this month's ability and willingness (with contact erosion)."""
    m = int(tables.calendar.month_of(d))
    if m == state.month or m >= world.path_months:
        return
    tr = world.config.traits
    if state.month >= 0:
        state.will_adj *= world.config.contact.erosion_recovery
    state.month = m
    state.ability = np.nan_to_num(world.ability[:, m].astype(float), nan=1.0)
    base = np.nan_to_num(world.willingness[:, m].astype(float), nan=1.0)
    state.will = np.clip(base + state.will_adj, 0.0, 1.0)
    state.a_w = sigmoid((state.ability - tr.unable_below) / tr.transition_width)
    state.w_w = sigmoid((state.will - tr.unwilling_below) / tr.transition_width)
    refresh_hazard_base(world.config.payment, state)
    if rec.enabled:
        rec.monthly_will[m] = state.will.astype(np.float32)


def update_willingness(world: World, state: State, customers: np.ndarray) -> None:
    tr = world.config.traits
    m = min(state.month, world.path_months - 1)
    base = np.nan_to_num(world.willingness[customers, m].astype(float), nan=1.0)
    state.will[customers] = np.clip(base + state.will_adj[customers], 0.0, 1.0)
    will = state.will[customers]
    state.w_w[customers] = sigmoid((will - tr.unwilling_below) / tr.transition_width)
    refresh_hazard_base(world.config.payment, state, customers)


def issue_invoices(world: World, state: State, d: int, keys: Keys, upto: int) -> None:
    """Draw what is decided at issue: forgotten or not, disputed or not (and when)."""
    if upto <= state.issued:
        return
    idx = np.arange(state.issued, upto)
    state.issued = upto
    cfg, cust = world.config, world.customers
    c = world.invoices["customer"][idx]
    u = uniforms(keys.issue, idx, 0, 4)
    forgot = u[0] < cust["forgetfulness"][c]
    state.forgot[idx] = forgot
    state.aware[idx] = ~forgot
    ratio = np.clip(world.invoices["amount_ratio"][idx], 0.5, 2.0)
    disputed = u[1] < cust["dispute_propensity"][c] * ratio
    lo, hi = cfg.payment.dispute_raised_days
    opens = d + lo + np.floor(u[2] * (hi - lo + 1)).astype(np.int64)
    lo, hi = cfg.payment.dispute_days
    length = lo + np.floor(u[3] * (hi - lo + 1)).astype(np.int64)
    state.disputed[idx] = disputed
    state.disp_open[idx] = opens
    state.disp_close[idx] = opens + length


def enter_invoices(tables: EngineTables, state: State, d: int, keys: Keys, limit: int) -> None:
    """Invoices whose customer is about to act join the daily process."""
    idx = tables.entry_order[tables.entry_ptr[d] : tables.entry_ptr[d + 1]]
    activate(state, idx[idx < limit], keys)


def activate(state: State, idx: np.ndarray, keys: Keys) -> None:
    """Start the daily process for open invoices not in it yet, with fresh thresholds."""
    idx = idx[~state.closed[idx] & ~state.entered[idx]]
    if not len(idx):
        return
    state.entered[idx] = True
    state.thr[idx] = exponential(keys.threshold, idx)
    state.nthr[idx] = exponential(keys.notice_threshold, idx)
    state.ncum[idx] = 0.0
    state.active = np.concatenate([state.active, idx])


def in_dispute(state: State, idx: np.ndarray, d: int) -> np.ndarray:
    out = state.disputed[idx]
    k = idx[out]  # few invoices are disputed: look up their windows only
    out[out] = (state.disp_open[k] <= d) & (d < state.disp_close[k])
    return out


def schedule(state: State, day: int | np.ndarray, idx: np.ndarray) -> None:
    """Put invoices on the agenda of a day (promise payments and deadlines, instalments)."""
    days = np.broadcast_to(np.asarray(day, np.int64), idx.shape)
    for value in np.unique(days).tolist():
        state.agenda.setdefault(value, []).append(idx[days == value])


def process_open(
    world: World, tables: EngineTables, state: State, d: int, keys: Keys, rec: Recorder
) -> None:
    """One day of the open invoices: agenda, direct debits, hazards, plans, write-offs."""
    process_agenda(world, state, d, keys, rec)
    direct_debits(world, tables, state, d, keys, rec)
    a, col = open_active(world, tables, state)
    if len(a):
        c = col["customer"]
        r = d - col["due"]
        free = state.plan_left[a] == 0
        disputed = np.flatnonzero(col["disputed"])
        free[disputed] &= ~in_dispute(state, a[disputed], d)
        started = free & ((col["habit_day"] <= d) | state.nudged[a])
        aware = state.aware[a]
        paying = started & aware & ~(col["autopay"] & (r <= 0))
        hazard_payments(world, tables, state, a, col, np.flatnonzero(paying), d, keys, rec)
        unaware = started & ~aware
        notice_forgotten(world, tables, state, a, col, np.flatnonzero(unaware), d)
        request_plans(world, state, a, c, r, free, d, keys, rec)
    write_off(world, tables, state, d, rec)
    state.active, state.active_columns = a, col  # today's closed leave at the next call


def _joining_columns(world: World, tables: EngineTables, state: State, idx: np.ndarray):
    """What the daily step reads of invoices joining it: what does not change once an invoice is
    in the process, and the running payment hazard and threshold (kept only here from then on)."""
    return {
        "cum": np.zeros(len(idx)),
        "thr": state.thr[idx],
        "customer": world.invoices["customer"][idx].astype(np.int32),
        "due": world.invoices["due"][idx].astype(np.int32),
        "habit_day": tables.habit_day[idx].astype(np.int32),
        "autopay": tables.autopay[idx],
        "amount_factor": tables.amount_factor[idx],
        "segment": tables.segment[idx].astype(np.int8),
        "disputed": state.disputed[idx],  # decided at issue, before an invoice can enter
    }


def open_active(
    world: World, tables: EngineTables, state: State
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The open invoices in the process and their columns, side by side.

    The columns are carried along with ``state.active`` (extended for invoices that joined since
    the last call), so the daily step reads them contiguously rather than from world-sized arrays.
    """
    col = state.active_columns
    done = len(col["customer"]) if col else 0
    if not col or done < len(state.active):
        fresh = _joining_columns(world, tables, state, state.active[done:])
        col = {k: np.concatenate([col[k], v]) for k, v in fresh.items()} if col else fresh
    keep = ~state.closed[state.active]
    if keep.all():
        return state.active, col
    return state.active[keep], {name: values[keep] for name, values in col.items()}


def process_agenda(world: World, state: State, d: int, keys: Keys, rec: Recorder) -> None:
    """Broken promises, kept promises and plan instalments that fall on this day."""
    due = state.agenda.pop(d, [])
    if not due:
        return
    idx = np.unique(np.concatenate(due))
    idx = idx[~state.closed[idx]]
    c = world.invoices["customer"][idx]
    broken = state.promise_day[idx] == d - 1
    if broken.any():
        rec.event(d, 9, c[broken], idx[broken], "promise_broken")
        state.promise_day[idx[broken]] = -1
        state.promise_pay[idx[broken]] = -1
    pay = np.where(state.promise_pay[idx] == d, state.remaining[idx], 0)
    inst = (state.plan_left[idx] > 0) & (state.plan_next[idx] == d) & (pay == 0)
    if inst.any():
        cfg = world.config.payment
        k = idx[inst]
        # Instalments are sized to what the customer can pay: ability matters less than for
        # the full balance.
        ok = uniform(keys.instalment, k, d) < cfg.instalment_success * (
            0.85 + 0.15 * state.a_w[c[inst]]
        )
        rest = state.remaining[k]
        instalment = np.minimum(state.plan_amount[k], rest)
        # An instalment that would leave no more than the rounding tolerance pays it all.
        instalment = np.where(rest - instalment > tolerance_cents(world, k), instalment, rest)
        pay[inst] = np.where(ok, instalment, 0)
        # A missed instalment is retried a week later, or the plan lapses.
        retry = ~ok & (uniform(keys.instalment, k, d + 1) < cfg.plan_retry)
        state.plan_left[k] = np.where(
            ok, state.plan_left[k] - 1, np.where(retry, state.plan_left[k], 0)
        )
        state.plan_next[k] = np.where(ok, d + cfg.plan_interval_days, d + 7)
        schedule(state, state.plan_next[k][ok | retry], k[ok | retry])
    settle(world, state, idx[pay > 0], c[pay > 0], pay[pay > 0], d, rec)


def direct_debits(
    world: World, tables: EngineTables, state: State, d: int, keys: Keys, rec: Recorder
) -> None:
    """Invoices of customers with direct debit are collected on their due day, if funds allow."""
    idx = tables.due_on(d)
    idx = idx[idx < state.issued]
    c = world.invoices["customer"][idx]
    idx, c = idx[world.customers["autopay"][c]], c[world.customers["autopay"][c]]
    keep = ~state.closed[idx] & (state.plan_left[idx] == 0) & ~in_dispute(state, idx, d)
    idx, c = idx[keep], c[keep]
    if not len(idx):
        return
    ok = uniform(keys.autopay, idx) < state.a_w[c]
    state.aware[idx[~ok]] = True  # a bounced debit is noticed
    settle(world, state, idx[ok], c[ok], state.remaining[idx[ok]], d, rec)


def hazard_payments(
    world,
    tables: EngineTables,
    state: State,
    a: np.ndarray,
    col: dict[str, np.ndarray],
    pos: np.ndarray,
    d: int,
    keys: Keys,
    rec: Recorder,
) -> None:
    """Aware invoices (``a[pos]``) pay when their cumulative hazard crosses their threshold."""
    if not len(pos):
        return
    idx, c = a[pos], col["customer"][pos]
    h = state.hazard_base[c]
    firm = np.flatnonzero(state.firm_until[idx] >= d)
    h[firm] = state.hazard_firm[c[firm]]
    h *= col["amount_factor"][pos]
    h *= tables.day_factor[d][col["segment"][pos]]
    cum = col["cum"][pos] + h
    hit = cum >= col["thr"][pos]
    col["cum"][pos] = np.where(hit, 0.0, cum)
    if hit.any():
        k, ck = idx[hit], c[hit]
        col["thr"][pos[hit]] = exponential(keys.threshold, k, d)
        settle(world, state, k, ck, payment_amounts(world, state, k, ck, d, keys), d, rec)


def payment_amounts(world, state: State, idx, c, d: int, keys: Keys) -> np.ndarray:
    """Full balance, or a part of it when a stressed customer pays what they can."""
    cfg = world.config.payment
    rest = state.remaining[idx]
    u = uniforms(keys.partial, idx, d, 2)
    partial = u[0] < cfg.partial_prob * (1.0 - state.a_w[c])
    lo, hi = cfg.partial_range
    share = lo + (hi - lo) * u[1]
    part = np.floor(rest * share).astype(np.int64)
    # What is left must stay above the contract's rounding tolerance, or it counts as paid.
    ok = partial & (part >= 100) & (rest - part > tolerance_cents(world, idx))
    return np.where(ok, part, rest)


def tolerance_cents(world, idx) -> np.ndarray:
    """The contract's rounding tolerance of invoices ``idx``, in whole cents (rounded up)."""
    return np.ceil(AMOUNT_TOLERANCE * np.maximum(100, world.invoices["cents"][idx]))


def notice_forgotten(
    world, tables: EngineTables, state: State, a: np.ndarray, col, pos: np.ndarray, d: int
) -> None:
    """Forgotten invoices (``a[pos]``) are noticed when their notice hazard crosses its threshold."""
    if not len(pos):
        return
    rate = world.config.payment.notice_rate * tables.day_factor[d][col["segment"][pos]]
    idx = a[pos]
    state.ncum[idx] += rate
    state.aware[idx] = state.ncum[idx] >= state.nthr[idx]


def request_plans(world, state: State, a, c, r, free, d: int, keys: Keys, rec: Recorder) -> None:
    """Unable but willing debtors sometimes ask for a payment plan themselves."""
    cfg = world.config.payment
    pos = np.flatnonzero(free & (r >= cfg.spontaneous_plan_after_days))
    pos = pos[state.a_w[c[pos]] < 0.5]
    idx = a[pos]
    keep = ~state.closed[idx] & (state.promise_day[idx] < 0)
    if not keep.any():
        return
    idx, cc = idx[keep], c[pos[keep]]
    asks = uniform(keys.plan_request, idx, d) < cfg.spontaneous_plan_rate * state.w_w[cc]
    start_plans(world, state, idx[asks], cc[asks], d, 11, rec)


def start_plans(world, state: State, idx, c, d: int, hour, rec: Recorder) -> None:
    if not len(idx):
        return
    cfg = world.config.payment
    n = cfg.plan_instalments
    state.plan_left[idx] = n
    state.plan_amount[idx] = -(-state.remaining[idx] // n)
    state.plan_next[idx] = d + 2
    schedule(state, d + 2, idx)
    state.aware[idx] = True
    value = state.remaining[idx] / 100.0
    rec.event(d, hour, c, idx, "plan_requested", value=value)
    rec.event(d, np.asarray(hour) + 2, c, idx, "plan_agreed", value=value)


def settle(world, state: State, idx, c, pay, d: int, rec: Recorder) -> None:
    """Book payments; invoices paid in full close (and resolve any promise as kept)."""
    if not len(idx):
        return
    state.remaining[idx] -= pay
    rec.payment(d, idx, pay)
    done = state.remaining[idx] <= 0
    if not done.any():
        return
    k = idx[done]
    state.closed[k] = True
    state.paid_day[k] = d
    kept = state.promise_day[k] >= d
    if kept.any():
        rec.event(d, 18, c[done][kept], k[kept], "promise_kept")
    state.promise_day[k] = -1
    state.promise_pay[k] = -1
    state.plan_left[k] = 0


def write_off(world, tables: EngineTables, state: State, d: int, rec: Recorder) -> None:
    """Balances unpaid ``writeoff_after_days`` after due are written off."""
    idx = tables.due_on(d - world.config.payment.writeoff_after_days)
    idx = idx[(idx < state.issued)]
    idx = idx[~state.closed[idx]]
    if not len(idx):
        return
    state.closed[idx] = True
    state.wo_day[idx] = d
    c = world.invoices["customer"][idx]
    rec.event(d, 20, c, idx, "write_off", value=state.remaining[idx] / 100.0)

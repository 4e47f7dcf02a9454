"""Payment behaviour: how the customer paid its *other* invoices settled before the cut-off.

An invoice enters the history on its settlement day (when its payments reach its amount), and only
if that day is strictly before the cut-off; an invoice still open is never judged by its future
outcome (it shows in the exposure family instead). The invoice being scored is left out even if it
was settled before its own cut-off, so its outcome can never describe it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dso_model.errors import DsoInputError
from dso_model.features.context import Context, masked, ratio
from dso_model.features.timeline import (
    DAY,
    NEVER,
    Probe,
    Timeline,
    Window,
    build_timeline,
    group_cummax,
    take,
)

MAX_DECAY_EXPONENT = 900.0  # 2**900 is far from float64 overflow, even summed


@dataclass
class Settled:
    """The settlement timeline probed at the cut-offs, with this invoice's own entry located."""

    tl: Timeline
    now: Probe
    self_in: np.ndarray  # the target's own settlement is among the entries before the cut-off
    self_pos: np.ndarray

    def minus_self(
        self, column: str, probe: Probe | Window, self_counted: np.ndarray
    ) -> np.ndarray:
        own = take(self.tl.values[column], self.self_pos, self_counted, 0.0)
        return probe.total(column) - own


def settlement_timeline(ctx: Context) -> Timeline:
    """Settled invoices by (customer, settlement time); ties in invoice code order."""
    inv, cfg = ctx.book.inv, ctx.cfg
    code = np.flatnonzero(inv.settle < NEVER)
    settle, cust = inv.settle[code], inv.cust[code]
    days_late = np.maximum(0.0, (settle - inv.due[code]) / DAY)
    late = days_late > cfg.grace_days
    to_pay = (settle - inv.issue[code]) / DAY
    weight = decay_weights(settle, cust, ctx.book.ncust, cfg.decay_half_life_days)
    columns = {
        "late": late,
        "days_late": days_late,
        "to_pay": to_pay,
        "w": weight,
        "w_late": weight * late,
        "w_days_late": weight * days_late,
        "w_to_pay": weight * to_pay,
    }
    tl = build_timeline(
        cust,
        settle,
        ctx.book.ncust,
        cumulative=columns,
        values={**columns, "time": settle, "code": code},
    )
    add_run_positions(tl, cust[tl.order])
    return tl


def decay_weights(settle: np.ndarray, cust: np.ndarray, ncust: int, half_life: float) -> np.ndarray:
    """2 ** ((settle - customer's first settlement) / half-life): ratios of sums need no t."""
    first = np.full(ncust, NEVER, dtype=np.int64)
    np.minimum.at(first, cust, settle)
    exponent = (settle - first[cust]) / (half_life * DAY)
    if len(exponent) and exponent.max() > MAX_DECAY_EXPONENT:
        raise DsoInputError(
            "decay_half_life_days is too short for the span of this payment history",
            table="features config",
            hint="use a longer half-life",
        )
    return np.exp2(exponent)


def add_run_positions(tl: Timeline, groups: np.ndarray) -> None:
    """Per entry: on-time streak ending there and position of the last late entry so far."""
    pos = np.arange(len(tl.keys))
    late = tl.values["late"] > 0
    last_late = group_cummax(np.where(late, pos, -1), groups)
    group_start = tl.first[groups] if len(groups) else pos
    tl.values["last_late"] = last_late
    tl.values["streak"] = pos - np.maximum(last_late, group_start - 1)


def settled_now(ctx: Context, tl: Timeline) -> Settled:
    now = tl.probe(ctx.tg.cust, ctx.tg.t)
    pos_of_code = np.full(len(ctx.book.inv), -1, dtype=np.int64)
    pos_of_code[tl.values["code"]] = np.arange(len(tl.keys))
    self_pos = pos_of_code[ctx.tg.inv]
    self_in = (self_pos >= 0) & (self_pos < now.idx)
    return Settled(tl, now, self_in, self_pos)


def history_features(ctx: Context) -> dict[str, np.ndarray]:
    tl = settlement_timeline(ctx)
    st = settled_now(ctx, tl)
    out = {"hist_invoices_issued": (ctx.issued.count - ctx.self_issued).astype(np.float64)}
    out.update(window_stats(st, st.now, st.self_in, ""))
    for w in ctx.cfg.windows_days:
        out.update(window_features(ctx, st, w))
    out.update(decay_features(ctx, st))
    out.update(last_k_features(ctx, st))
    out.update(streak_features(ctx, st))
    out.update(payment_line_features(ctx))
    out.update(event_history_features(ctx))
    return out


def window_stats(
    st: Settled, probe: Probe | Window, counted: np.ndarray, suffix: str
) -> dict[str, np.ndarray]:
    n = (probe.count - counted).astype(np.float64)
    return {
        f"hist_paid_count{suffix}": n,
        f"hist_late_share{suffix}": ratio(st.minus_self("late", probe, counted), n),
        f"hist_days_late_mean{suffix}": ratio(st.minus_self("days_late", probe, counted), n),
        f"hist_days_to_pay_mean{suffix}": ratio(st.minus_self("to_pay", probe, counted), n),
    }


def window_features(ctx: Context, st: Settled, w: int) -> dict[str, np.ndarray]:
    wp = Window(st.now, st.tl.probe(ctx.tg.cust, ctx.before(w)))
    own_time = take(st.tl.values["time"], st.self_pos, st.self_in, -1)
    counted = st.self_in & (own_time >= ctx.before(w))
    return window_stats(st, wp, counted, f"_{w}d")


def decay_features(ctx: Context, st: Settled) -> dict[str, np.ndarray]:
    weight = st.minus_self("w", st.now, st.self_in)
    weight = np.where(st.now.count - st.self_in > 0, weight, 0.0)
    first_time = take(st.tl.values["time"], st.now.start, st.now.count > 0, 0)
    scale = np.exp2(-(ctx.tg.t - first_time) / (ctx.cfg.decay_half_life_days * DAY))
    return {
        "hist_paid_weight_decay": weight * scale,
        "hist_late_share_decay": ratio(st.minus_self("w_late", st.now, st.self_in), weight),
        "hist_days_late_decay": ratio(st.minus_self("w_days_late", st.now, st.self_in), weight),
        "hist_days_to_pay_decay": ratio(st.minus_self("w_to_pay", st.now, st.self_in), weight),
    }


def last_k_positions(st: Settled, k: int) -> np.ndarray:
    """Positions of the k most recent other settlements (newest first), skipping the target's."""
    idx = st.now.idx
    back = np.arange(k)[None, :]
    naive = idx[:, None] - 1 - back
    skip = st.self_in[:, None] & (st.self_pos[:, None] >= naive)
    return naive - skip


def last_k_features(ctx: Context, st: Settled) -> dict[str, np.ndarray]:
    k = ctx.cfg.last_k
    pos = last_k_positions(st, k)
    lags = take(st.tl.values["days_late"], pos, pos >= st.now.start[:, None], np.nan)
    out = {f"hist_days_late_last{i + 1}": lags[:, i] for i in range(k)}
    out[f"hist_days_late_median_last{k}"] = row_median(lags)
    out[f"hist_days_late_max_last{k}"] = np.fmax.reduce(lags, axis=1)
    out["hist_days_late_trend"] = trend_slope(lags)
    return out


def row_median(lags: np.ndarray) -> np.ndarray:
    """Median of the non-missing values of each row (NaN when none)."""
    ordered = np.sort(lags, axis=1)  # NaN sorts last
    m = (~np.isnan(lags)).sum(axis=1)
    rows = np.arange(len(lags))
    low = ordered[rows, np.maximum((m - 1) // 2, 0)]
    high = ordered[rows, np.minimum(m // 2, lags.shape[1] - 1)]
    return np.where(m > 0, (low + high) / 2, np.nan)


def trend_slope(lags: np.ndarray) -> np.ndarray:
    """Least-squares slope of the delays against their order (oldest first); NaN with < 2."""
    m = (~np.isnan(lags)).sum(axis=1)
    x = (m[:, None] - 1 - np.arange(lags.shape[1])[None, :]).astype(np.float64)
    valid = ~np.isnan(lags)
    x_mean = ratio(np.where(valid, x, 0).sum(axis=1), m)
    y_mean = ratio(np.where(valid, lags, 0).sum(axis=1), m)
    dx = np.where(valid, x - x_mean[:, None], 0.0)
    dy = np.where(valid, lags - y_mean[:, None], 0.0)
    slope = ratio((dx * dy).sum(axis=1), (dx * dx).sum(axis=1))
    return np.where(m >= 2, slope, np.nan)


def streak_features(ctx: Context, st: Settled) -> dict[str, np.ndarray]:
    tl, start, last = st.tl, st.now.start, st.now.idx - 1
    streak = take(tl.values["streak"], last, last >= start, 0).astype(np.int64)
    streak_before_self = take(
        tl.values["streak"], st.self_pos - 1, st.self_pos - 1 >= start, 0
    ).astype(np.int64)
    self_last = st.self_in & (st.self_pos == last)
    prev = take(tl.values["streak"], last - 1, last - 1 >= start, 0).astype(np.int64)
    in_run = st.self_in & ~self_last & (st.self_pos > last - streak)
    breaker = st.self_in & ~self_last & (st.self_pos == last - streak)
    streak = np.select(
        [self_last, in_run, breaker], [prev, streak - 1, streak + streak_before_self], streak
    )
    last_late = take(tl.values["last_late"], last, last >= start, -1).astype(np.int64)
    own_late = st.self_in & (last_late == st.self_pos)
    late_before_self = take(
        tl.values["last_late"], st.self_pos - 1, st.self_pos - 1 >= start, -1
    ).astype(np.int64)
    last_late = np.where(own_late, late_before_self, last_late)
    late_time = take(tl.values["time"], last_late, last_late >= start, np.nan)
    return {
        "hist_on_time_streak": streak.astype(np.float64),
        "hist_days_since_late": ctx.since(late_time),
    }


def payment_line_features(ctx: Context) -> dict[str, np.ndarray]:
    probe = ctx.lines_by_customer.probe(ctx.tg.cust, ctx.tg.t)
    partial = probe.total("partial") - ctx.own_lines.total("partial")
    covered = ctx.covered(ctx.book.coverage.payment_lines)
    return {
        "hist_days_since_payment": ctx.since(probe.last("time")),
        "hist_partial_payments": masked(partial, covered),
    }


def event_history_features(ctx: Context) -> dict[str, np.ndarray]:
    p = ctx.events_now
    kept, broken = p.total("kept"), p.total("broken")
    groups = {
        "write_offs": {
            "hist_write_offs": p.total("write_off"),
            "hist_written_off_amount": p.total("write_off_value"),
        },
        "promises": {
            "hist_promises": p.total("promise"),
            "hist_promises_kept": kept,
            "hist_promises_broken": broken,
            "hist_promise_kept_share": ratio(kept, kept + broken),
        },
        "disputes": {
            "hist_disputes": p.total("dispute"),
            "hist_disputes_open": np.maximum(p.total("dispute") - p.total("resolved"), 0.0),
            "hist_days_since_dispute": ctx.since(p.last("dispute")),
        },
        "plans": {
            "hist_plan_requests": p.total("plan"),
            "hist_plans_agreed": p.total("agreed"),
        },
    }
    out = {}
    for group, values in groups.items():
        covered = ctx.covered(ctx.book.coverage.event_group(group))
        out.update({name: masked(v, covered) for name, v in values.items()})
    return out

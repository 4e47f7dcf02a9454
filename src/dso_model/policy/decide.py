"""The decision layer: the next best action per open invoice, by profile group, under limits.

For every open invoice whose group strategy allows a contact, each send day (an allowed offset
from the due date), channel and hour is priced:

    value = P(read) x balance-days saved if read x amount x daily cost of money
            - contact cost - reputation penalty (tone, times the group's weight)

The template and tone come from the group and the invoice's phase (before, on, after the due
date): a friendly reminder for ``able_willing``, an empathetic plan offer for ``unable``, firm
escalation for ``unwilling``, a cautious default for ``data_available``; ``no_data`` customers
also get one welcome message that asks for their preferred channel.

Timing: an invoice gets few contacts on or before its due date (``max_pre_due_contacts``, by
default one), so its best day is chosen among all the remaining days up to due, and the invoice
waits when that day lies beyond the planning window [as_of, until). After due, each window takes its own best day.
Each invoice planned in the window keeps its ``alternatives`` best (channel, hour) options as
ranked rows; the hard limits (:func:`dso_model.policy.limits.apply_limits`) then pick what is
sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dso_model.contract.lookup import contains, mapped_once, positions_in
from dso_model.contract.spec import CHANNELS, TEMPLATES
from dso_model.models.patterns import first_rows
from dso_model.policy.config import GroupStrategy, PolicyConfig
from dso_model.policy.limits import (
    LimitedPlan,
    apply_limits,
    is_quiet,
    opted_out,
    refused_pairs,
)
from dso_model.policy.response import ResponseModel

WELCOME_CHANNELS = ("email", "sms", "push", "letter")
WELCOME_HOUR = 11
READ_GRID_CUSTOMERS = 20_000
PLAN_COLUMNS = [
    "customer_id", "invoice_id", "send_date", "hour", "channel", "template", "tone", "group",
    "offset", "p_read", "days_saved", "value", "priority",
]  # fmt: skip


@dataclass(frozen=True)
class DecisionInputs:
    """What a decision needs on one day: the open invoices and their features, the customers with
    their groups, the contacts and events known so far."""

    as_of: pd.Timestamp
    until: pd.Timestamp
    invoices: pd.DataFrame  # open invoices: invoice_id, customer_id, due_date, amount
    features: pd.DataFrame  # indexed by invoice_id (features at as_of)
    customers: pd.DataFrame
    groups: pd.Series  # customer_id -> group
    contacts: pd.DataFrame
    events: pd.DataFrame


def phase_of(offset: np.ndarray) -> np.ndarray:
    return np.where(offset < 0, "pre_due", np.where(offset == 0, "due", "overdue"))


def candidate_slots(inputs: DecisionInputs, config: PolicyConfig) -> pd.DataFrame:
    """One row per open invoice and allowed send day, with template and tone: the days after due
    in [as_of, until), and every day from as_of up to due (see the module's note on timing)."""
    inv = inputs.invoices.copy()
    group = inv["customer_id"].map(inputs.groups).astype(object)
    inv["group"] = group.where(group.notna(), config.default_group).astype(str)
    inv.loc[~inv["group"].isin(list(config.groups)), "group"] = config.default_group
    sent, sent_early = _contacts_per_invoice(inputs.contacts, inv)
    inv["sent"], inv["sent_early"] = sent, sent_early
    parts = [
        _slots_of_group(inv[inv["group"] == g], g, s, inputs) for g, s in config.groups.items()
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=[*inv.columns, "offset", "send_date", "template", "tone"])
    return pd.concat(parts, ignore_index=True)


def _contacts_per_invoice(contacts: pd.DataFrame, inv: pd.DataFrame):
    """Contacts so far about each invoice: all of them, and those on or before its due date."""
    if contacts is None or not len(contacts):
        zero = np.zeros(len(inv))
        return zero, zero
    position = positions_in(contacts["invoice_id"], inv["invoice_id"])
    about = position >= 0
    position = position[about]
    day = contacts["timestamp"].dt.normalize().to_numpy("datetime64[ns]")[about]
    early = day <= inv["due_date"].to_numpy("datetime64[ns]")[position]
    sent = np.bincount(position, minlength=len(inv)).astype(float)
    sent_early = np.bincount(position[early], minlength=len(inv)).astype(float)
    return sent, sent_early


def _slots_of_group(inv: pd.DataFrame, group: str, strategy: GroupStrategy, inputs) -> pd.DataFrame:
    inv = inv[inv["sent"] < strategy.max_contacts_per_invoice]
    if not len(inv) or not strategy.offsets:
        return inv.iloc[:0]
    offsets = np.asarray(strategy.offsets)
    rows = inv.loc[inv.index.repeat(len(offsets))].reset_index(drop=True)
    rows["offset"] = np.tile(offsets, len(inv))
    rows["send_date"] = rows["due_date"] + pd.to_timedelta(rows["offset"], unit="D")
    in_window = rows["send_date"] < inputs.until
    rows = rows[(rows["send_date"] >= inputs.as_of) & (in_window | (rows["offset"] <= 0))]
    rows = rows[(rows["offset"] > 0) | (rows["sent_early"] < strategy.max_pre_due_contacts)]
    rows["template"] = pd.Series(phase_of(rows["offset"].to_numpy()), index=rows.index).map(
        strategy.templates
    )
    rows = rows[rows["template"].notna()].copy()
    rows["tone"] = mapped_once(rows["template"], lambda t: TEMPLATES[t][1])
    return rows


def price_slots(
    slots: pd.DataFrame,
    inputs: DecisionInputs,
    model: ResponseModel,
    config: PolicyConfig,
    alternatives: int = 3,
) -> pd.DataFrame:
    """Price every (slot, channel, hour) and keep the best send day and options of each invoice
    whose best day falls in the planning window."""
    if not len(slots):
        return pd.DataFrame(columns=PLAN_COLUMNS)
    invoice, _ = pd.factorize(slots["invoice_id"], use_na_sentinel=False)
    X = inputs.features.loc[slots["invoice_id"].iloc[first_rows(invoice)]]  # one row per invoice
    effect = effect_of_reading(slots, X, invoice, inputs, model)
    saved = np.clip(-effect, 0.0, None)
    gain = saved * slots["amount"].to_numpy(float) * config.value.daily_cost_of_money
    p_read = read_grid(slots, X, invoice, inputs, model, config)  # (slots, channels, hours)
    value = p_read * gain[:, None, None]
    value -= fixed_costs(slots, config)  # in place: the grid is large
    np.copyto(value, -np.inf, where=~allowed_grid(slots, inputs, config))
    return best_options(slots, value, p_read, saved, config, alternatives, until=inputs.until)


def effect_of_reading(slots, X, invoice, inputs: DecisionInputs, model: ResponseModel):
    """The effect of reading each slot's message (``X``: one feature row per invoice, ``invoice``:
    each slot's row of ``X``); the response model scores each decision pattern once."""
    if isinstance(model, ResponseModel):
        return model.effect_of_reading(X, slots, inputs.customers, rows=invoice)
    return model.effect_of_reading(X.iloc[invoice], slots, inputs.customers)


def read_grid(slots, X, invoice, inputs: DecisionInputs, model, config) -> np.ndarray:
    """P(read) for each slot's customer on every channel and hour, scored once per customer, on
    the customer's first slot (``X``, ``invoice``: as for :func:`effect_of_reading`); the
    response model prices its whole grid at once, once per decision pattern."""
    customer, _ = pd.factorize(slots["customer_id"], use_na_sentinel=False)
    first = first_rows(customer)
    who, X_who = slots.iloc[first], X.iloc[invoice[first]]
    if isinstance(model, ResponseModel):
        probs = model.read_grid(X_who, who, inputs.customers, config.hours)
    else:
        probs = _read_blocks(who, X_who, inputs, model, config)
    return probs[customer]


def _read_blocks(who, X_who, inputs: DecisionInputs, model, config) -> np.ndarray:
    """``read_probability`` of these customers (one slot row each) on every (channel, hour), as a
    (customers, channels, hours) array; ``READ_GRID_CUSTOMERS`` customers at a time, which
    bounds the grid's memory."""
    blocks = [
        _read_block(who.iloc[i : i + READ_GRID_CUSTOMERS], X_who.iloc[i : i + READ_GRID_CUSTOMERS],
                    inputs, model, config)
        for i in range(0, len(who), READ_GRID_CUSTOMERS)
    ]  # fmt: skip
    return np.concatenate(blocks) if blocks else np.zeros((0, len(CHANNELS), len(config.hours)))


def _read_block(who, X_who, inputs: DecisionInputs, model, config) -> np.ndarray:
    """P(read) of these customers on every (channel, hour), from a grid of action rows."""
    channels, hours = list(CHANNELS), list(config.hours)
    n_c, n_h = len(channels), len(hours)
    grid = who.loc[who.index.repeat(n_c * n_h)].reset_index(drop=True)
    grid["channel"] = np.tile(np.repeat(channels, n_h), len(who))
    grid["hour"] = np.tile(hours, n_c * len(who))
    Xg = X_who.iloc[np.repeat(np.arange(len(who)), n_c * n_h)]
    return model.read_probability(Xg, grid, inputs.customers).reshape(len(who), n_c, n_h)


def fixed_costs(slots: pd.DataFrame, config: PolicyConfig) -> np.ndarray:
    """Contact cost per channel plus the tone's reputation penalty times the group's weight."""
    cost = np.array([config.costs.get(ch, np.inf) for ch in CHANNELS])
    tone_penalty = slots["tone"].map(config.value.reputation_penalty).fillna(0.0).to_numpy()
    weight = slots["group"].map({g: s.reputation_weight for g, s in config.groups.items()})
    penalty = tone_penalty * weight.fillna(1.0).to_numpy()
    return cost[None, :, None] + penalty[:, None, None]


def allowed_grid(slots: pd.DataFrame, inputs: DecisionInputs, config: PolicyConfig) -> np.ndarray:
    """Channels the group may use and the customer has not refused; hours outside quiet time."""
    n, hours = len(slots), np.asarray(config.hours)
    ok = np.ones((n, len(CHANNELS), len(hours)), dtype=bool)
    pairs = refused_pairs(inputs.customers, inputs.events)
    group, groups = pd.factorize(slots["group"], use_na_sentinel=False)
    customer, customers = pd.factorize(slots["customer_id"], use_na_sentinel=False)
    for k, ch in enumerate(CHANNELS):
        in_group = np.array([ch in config.groups[g].channels for g in groups], dtype=bool)
        probe = pd.DataFrame({"customer_id": customers.to_numpy(), "channel": ch})
        refused = opted_out(probe, inputs.customers, inputs.events, pairs)
        ok[:, k, :] &= (in_group[group] & ~refused[customer] & (ch in config.channels))[:, None]
    local = _local_hours(slots, inputs, config)  # (n, hours)
    ok &= ~is_quiet(local, config.limits.quiet_hours)[:, None, :]
    return ok


def _local_hours(slots, inputs, config) -> np.ndarray:
    from dso_model.policy.limits import local_hour_grid

    return local_hour_grid(slots, config.hours, inputs.customers, config.limits)


def best_options(slots, value, p_read, saved, config: PolicyConfig, alternatives: int, until=None):
    """Each invoice's best send day, with its ``alternatives`` best (channel, hour) as rows.

    The best day up to due and the best day after due are found apart; with ``until``, an invoice
    whose best day up to due lies on or after ``until`` waits for it.
    """
    n, n_c, n_h = value.shape
    flat = value.reshape(n, n_c * n_h)
    best = flat.max(1)
    min_value = slots["group"].map({g: s.min_value for g, s in config.groups.items()}).to_numpy()
    keep = np.isfinite(best) & (best > min_value)
    frame = slots.assign(_best=best, _early=slots["offset"].to_numpy() <= 0)[keep]
    ranked = frame.sort_values("_best", ascending=False, kind="stable")
    top_slot = ranked.drop_duplicates(["invoice_id", "_early"])
    if until is not None:
        top_slot = top_slot[top_slot["send_date"] < until]
    top_slot = top_slot.drop_duplicates("invoice_id")
    rows = np.flatnonzero(keep)[np.isin(frame.index, top_slot.index)]
    k = min(alternatives, n_c * n_h)
    order = np.argsort(-flat[rows], axis=1, kind="stable")[:, :k]
    r = np.repeat(rows, k)
    cell = order.ravel()
    ch, h = cell // n_h, cell % n_h
    v = flat[r, cell]
    out = (
        slots.iloc[r]
        .reset_index(drop=True)
        .assign(
            channel=np.asarray(CHANNELS)[ch],
            hour=np.asarray(config.hours)[h],
            p_read=p_read.reshape(n, -1)[r, cell],
            days_saved=saved[r],
            value=v,
            priority=v,
        )
    )
    out = out[np.isfinite(v) & (v > min_value[r])]
    return out[PLAN_COLUMNS].reset_index(drop=True)


def welcome_rows(inputs: DecisionInputs, config: PolicyConfig, template: str) -> pd.DataFrame:
    """One welcome message for each ``no_data`` customer who has not had one, on the first of
    ``WELCOME_CHANNELS`` they have not refused, on the window's first day."""
    who = inputs.groups[inputs.groups == "no_data"].index
    if inputs.contacts is not None and len(inputs.contacts):
        welcomed = inputs.contacts.loc[inputs.contacts["template"] == template, "customer_id"]
        who = who.difference(pd.Index(welcomed.unique()))
    who = who[contains(pd.Index(who), inputs.customers["customer_id"])]
    if not len(who):
        return pd.DataFrame(columns=PLAN_COLUMNS)
    channel = pd.Series(None, index=who, dtype=object)
    for ch in reversed(WELCOME_CHANNELS):
        probe = pd.DataFrame({"customer_id": who, "channel": ch})
        free = ~opted_out(probe, inputs.customers, inputs.events)
        channel[free] = ch
    out = pd.DataFrame({"customer_id": who, "channel": channel.to_numpy()}).dropna()
    return out.assign(
        invoice_id=None,
        send_date=inputs.as_of,
        hour=WELCOME_HOUR,
        template=template,
        tone=TEMPLATES[template][1],
        group="no_data",
        offset=np.nan,
        p_read=np.nan,
        days_saved=0.0,
        value=0.0,
        priority=-1.0,
    )[PLAN_COLUMNS]


def decide(
    inputs: DecisionInputs, model: ResponseModel, config: PolicyConfig, *, welcome: bool = True
) -> LimitedPlan:
    """Price the candidates, add welcome messages, and pass everything through the hard limits."""
    slots = candidate_slots(inputs, config)
    plan = price_slots(slots, inputs, model, config)
    if welcome and "no_data" in config.groups:
        plan = pd.concat(
            [plan, welcome_rows(inputs, config, "welcome_channel_check")], ignore_index=True
        )
    return apply_limits(
        plan,
        inputs.customers,
        contacts=inputs.contacts,
        events=inputs.events,
        as_of=inputs.as_of,
        config=config.limits,
    )

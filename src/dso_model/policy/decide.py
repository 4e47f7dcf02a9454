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

from dso_model.contract.lookup import (
    contains,
    first_appearances,
    positions_in,
    values_of,
)
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
    inv["group"] = _groups_of(inv["customer_id"], inputs.groups, config)
    sent, sent_early = _contacts_per_invoice(inputs.contacts, inv)
    inv["sent"], inv["sent_early"] = sent, sent_early
    parts = [_slots_of_group(inv, g, s, inputs) for g, s in config.groups.items()]
    parts = [p for p in parts if len(p[0])]
    if not parts:
        return pd.DataFrame(columns=[*inv.columns, "offset", "send_date", "template", "tone"])
    rows, offset, template = (np.concatenate(part) for part in zip(*parts, strict=True))
    slots = inv.take(rows).reset_index(drop=True)
    slots["offset"] = offset
    slots["send_date"] = slots["due_date"] + pd.to_timedelta(offset, unit="D")
    code, templates = pd.factorize(template)
    slots["template"] = _text_column(code, templates)
    slots["tone"] = _text_column(code, [TEMPLATES[t][1] for t in templates])
    return slots


def _groups_of(customer_ids: pd.Series, groups: pd.Series, config: PolicyConfig) -> pd.Series:
    """Each invoice's group: its customer's, else the default group (also for a group without
    a strategy)."""
    code, names = pd.factorize(groups, use_na_sentinel=False)
    names = [str(name) if pd.notna(name) else config.default_group for name in names]
    names = [name if name in config.groups else config.default_group for name in names]
    position = positions_in(customer_ids, groups.index)
    row_code = np.append(code, len(names))[position]  # -1 (unknown customer): the default
    return _text_column(row_code, [*names, config.default_group], customer_ids.index)


def _text_column(codes: np.ndarray, texts, index=None) -> pd.Series:
    """``texts[codes]`` as a text column, each of ``texts`` converted once."""
    return pd.Series(
        pd.array(np.asarray(texts, dtype=object), dtype="str").take(codes), index=index
    )


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


def _slots_of_group(inv: pd.DataFrame, group: str, strategy: GroupStrategy, inputs):
    """The group's slots as (row of ``inv``, offset, template) arrays, by row then offset."""
    mine = (inv["group"] == group).to_numpy() & (inv["sent"] < strategy.max_contacts_per_invoice)
    rows = np.flatnonzero(mine)
    offsets = np.asarray(strategy.offsets)
    if not len(rows) or not len(offsets):
        return rows, np.array([], dtype=offsets.dtype), np.array([], dtype=object)
    rows, offset = np.repeat(rows, len(offsets)), np.tile(offsets, len(rows))
    send_date = inv["due_date"].to_numpy("datetime64[ns]")[rows] + offset.astype("timedelta64[D]")
    in_window = send_date < np.datetime64(inputs.until, "ns")
    keep = (send_date >= np.datetime64(inputs.as_of, "ns")) & (in_window | (offset <= 0))
    keep &= (offset > 0) | (inv["sent_early"].to_numpy()[rows] < strategy.max_pre_due_contacts)
    template = _templates_by_phase(offset, strategy)
    keep &= pd.notna(template)
    return rows[keep], offset[keep], template[keep]


def _templates_by_phase(offset: np.ndarray, strategy: GroupStrategy) -> np.ndarray:
    """The template of each send day's phase (None where the phase has none)."""
    phases = ("pre_due", "due", "overdue")
    table = np.array([strategy.templates.get(phase) for phase in phases], dtype=object)
    return table[np.sign(offset).astype(int) + 1]


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
    X = rows_of(inputs.features, slots["invoice_id"].iloc[first_appearances(invoice)])
    effect = effect_of_reading(slots, X, invoice, inputs, model)
    saved = np.clip(-effect, 0.0, None)
    gain = saved * slots["amount"].to_numpy(float) * config.value.daily_cost_of_money
    p_read = read_grid(slots, X, invoice, inputs, model, config)  # (slots, channels, hours)
    value = p_read * gain[:, None, None]
    value -= fixed_costs(slots, config)  # in place: the grid is large
    np.copyto(value, -np.inf, where=~allowed_grid(slots, inputs, config))
    return best_options(slots, value, p_read, saved, config, alternatives, until=inputs.until)


def rows_of(features: pd.DataFrame, invoice_ids: pd.Series) -> pd.DataFrame:
    """``features.loc[invoice_ids]`` (one row per id, ids unique in ``features``' index)."""
    position = positions_in(invoice_ids, features.index)
    if (position < 0).any():
        return features.loc[invoice_ids]  # names the missing ids
    return features.iloc[position]


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
    first = first_appearances(customer)
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
    tone_penalty = values_of(slots["tone"], config.value.reputation_penalty, fill=0.0)
    weight = per_group(slots, {g: s.reputation_weight for g, s in config.groups.items()}, fill=1.0)
    penalty = tone_penalty * weight
    return cost[None, :, None] + penalty[:, None, None]


def per_group(slots: pd.DataFrame, values: dict, fill: float = np.nan) -> np.ndarray:
    """Each slot's group's value (``fill`` for a group without one), as a float array."""
    return values_of(slots["group"], values, fill)


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
    min_value = per_group(slots, {g: s.min_value for g, s in config.groups.items()})
    keep = np.isfinite(best) & (best > min_value)
    rows = best_slot_rows(slots, best, keep, until)
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
            channel=pd.array(CHANNELS, dtype="str").take(ch),
            hour=np.asarray(config.hours)[h],
            p_read=p_read.reshape(n, -1)[r, cell],
            days_saved=saved[r],
            value=v,
            priority=v,
        )
    )
    out = out[np.isfinite(v) & (v > min_value[r])]
    return out[PLAN_COLUMNS].reset_index(drop=True)


def best_slot_rows(slots: pd.DataFrame, best: np.ndarray, keep: np.ndarray, until=None):
    """Positions (ascending) of each invoice's best kept slot: the best up to due and the best
    after due are ranked apart (best first, ties in row order), and with ``until`` a best day up
    to due on or after ``until`` leaves the invoice waiting."""
    invoice, _ = pd.factorize(slots["invoice_id"], use_na_sentinel=False)
    early = slots["offset"].to_numpy() <= 0
    kept = np.flatnonzero(keep)
    ranked = kept[np.argsort(-best[kept], kind="stable")]
    top = ranked[np.sort(first_rows(invoice[ranked] * 2 + early[ranked]))]  # still best first
    if until is not None:
        top = top[(slots["send_date"].iloc[top] < until).to_numpy()]
    return np.sort(top[first_rows(invoice[top])])


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
    pairs = refused_pairs(inputs.customers, inputs.events)
    for ch in reversed(WELCOME_CHANNELS):
        probe = pd.DataFrame({"customer_id": who, "channel": ch})
        free = ~opted_out(probe, inputs.customers, inputs.events, pairs)
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

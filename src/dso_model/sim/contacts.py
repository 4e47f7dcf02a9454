"""What a contact does: whether it arrives and is read, and its effects on payment and mood.

- A reminder or notice that is read makes the customer aware of the invoice and prompts them to
  act now rather than on their habitual day: it removes the friction of the forgetful and of
  habitual late payers (the big effect of a timely pre-due reminder) and does little for those who
  cannot or will not pay.
- A firm message that is read raises the payment hazard of the unwilling for a while.
- An empathetic plan offer read by a customer who cannot pay now often turns into a payment plan.
- A read dunning message may get a reply and a promise to pay; the promise is kept or broken.
- Every delivered contact adds pressure (more for a firm tone). Pressure, reputation sensitivity,
  firm messages to the unable, contact at quiet hours and contact during a dispute raise the chance
  of a complaint, a public post and an opt-out; pressure past a threshold erodes willingness.
"""

from __future__ import annotations

import numpy as np

from dso_model.contract.spec import CHANNELS, TONES
from dso_model.sim.engine import (
    EngineTables,
    activate,
    in_dispute,
    schedule,
    sigmoid,
    start_plans,
    update_willingness,
)
from dso_model.sim.noise import Keys, uniforms
from dso_model.sim.state import PURPOSES, TEMPLATE_PURPOSE, Actions, Recorder, State
from dso_model.sim.world import World

PUSH = CHANNELS.index("push")
FIRM = TONES.index("firm")
ON_INVOICE = [PURPOSES.index(p) for p in ("reminder", "dunning", "plan_offer", "escalation")]
PROMISING = [PURPOSES.index(p) for p in ("dunning", "escalation")]
PLAN_OFFER = PURPOSES.index("plan_offer")


def channel_values(mapping: dict[str, float]) -> np.ndarray:
    return np.array([mapping[c] for c in CHANNELS], float)


def contact_ids(acts: Actions) -> np.ndarray:
    """A number per (invoice, customer, channel): the key of the contact's outcome draws."""
    inv = acts.invoice.astype(np.uint64) + np.uint64(1)
    return (
        inv * np.uint64(2654435761)
        + acts.customer.astype(np.uint64) * np.uint64(97)
        + acts.channel.astype(np.uint64)
    )


def admissible(world: World, state: State, d: int, acts: Actions, rec: Recorder) -> Actions:
    """Drop actions for unknown, not yet created or opted-out customers and settled invoices."""
    cust = world.customers
    known = (acts.customer >= 0) & (acts.customer < world.n_customers)
    ok = known.copy()
    ok[known] = cust["created_day"][acts.customer[known]] <= d
    ok[known] &= ~state.opt_out[acts.customer[known], acts.channel[known]]
    has_inv = acts.invoice >= 0
    issued = has_inv & (acts.invoice < state.issued)
    settled = np.zeros(len(acts), bool)
    settled[issued] = state.closed[acts.invoice[issued]]
    rec.blocked += int((~ok | (has_inv & ~issued)).sum())
    rec.cancelled += int((ok & settled).sum())
    return acts.take(ok & (~has_inv | (issued & ~settled)))


# Lanes of the per-contact uniforms (one hash pass per day).
DELIVER, OPEN, ACCEPT, REPLY, PROMISE, KEEP, KEEP_DAY, COMPLAIN, POST, OPT_OUT, LAG, MOOD = range(
    12
)


def reach(world: World, state: State, d: int, acts: Actions, u: np.ndarray):
    """Delivered and read (opened, answered) flags, and the local hour."""
    cust, cc = world.customers, world.config.contact
    c, ch = acts.customer, acts.channel
    can = (ch != PUSH) | cust["app_user"][c]
    delivered = can & (u[DELIVER] < channel_values(cc.delivery)[ch])
    local = acts.hour + cust["tz_offset"][c]
    fit = cc.hour_floor + (1 - cc.hour_floor) * np.exp(
        -(((local - cust["best_hour"][c]) / cc.hour_width) ** 2)
    )
    opened = delivered & (u[OPEN] < cust["resp"][c, ch] * fit)
    return delivered, opened, local


def execute_contacts(
    world: World,
    tables: EngineTables,
    state: State,
    d: int,
    acts: Actions,
    keys: Keys,
    rec: Recorder,
) -> None:
    """Send today's contacts and apply their effects."""
    acts = admissible(world, state, d, acts, rec)
    if not len(acts):
        return
    u = uniforms(keys.contact, contact_ids(acts), d, 12)
    delivered, opened, local = reach(world, state, d, acts, u)
    purpose = TEMPLATE_PURPOSE[acts.template]
    on_inv = acts.invoice >= 0
    inv = np.where(on_inv, acts.invoice, 0)
    disp = on_inv & in_dispute(state, inv, d)
    hit = opened & on_inv & np.isin(purpose, ON_INVOICE)
    state.aware[inv[hit]] = True
    state.nudged[inv[hit]] = True
    activate(state, np.unique(inv[hit]), keys)  # a prompted customer acts from today
    firm = hit & (acts.tone == FIRM)
    state.firm_until[inv[firm]] = d + world.config.payment.firm_days
    offer_plans(world, state, d, acts, hit & (purpose == PLAN_OFFER) & ~disp, u, rec)
    replied, promised = replies(world, state, d, acts, opened, purpose, disp, u, rec)
    if rec.enabled:
        outcome = np.select([promised, replied, opened, delivered], [4, 3, 2, 1], default=0)
        cost = channel_values(world.config.contact.cost)[acts.channel]
        rec.contact(d, acts, outcome, cost)
    react(world, state, d, acts, delivered, local, disp, u, rec)


def offer_plans(
    world, state: State, d: int, acts: Actions, read: np.ndarray, u: np.ndarray, rec: Recorder
) -> None:
    c, inv = acts.customer, acts.invoice
    cand = read & (state.a_w[c] < 0.5) & (state.plan_left[np.maximum(inv, 0)] == 0)
    if not cand.any():
        return
    accept = world.config.contact.plan_accept * (0.3 + 0.7 * state.w_w[c])
    take = cand & (u[ACCEPT] < accept)
    start_plans(world, state, inv[take], c[take], d, acts.hour[take] + 1, rec)


def replies(
    world, state: State, d: int, acts: Actions, opened, purpose, disp, u: np.ndarray, rec: Recorder
):
    """Replies, and promises to pay (kept with a chance that grows with ability and will)."""
    cc, pc = world.config.contact, world.config.payment
    c, inv = acts.customer, np.maximum(acts.invoice, 0)
    rates = np.array([cc.reply_rate[p] for p in PURPOSES])[purpose]
    replied = opened & (u[REPLY] < rates)
    overdue = (acts.invoice >= 0) & (d > world.invoices["due"][inv])
    cand = replied & overdue & np.isin(purpose, PROMISING) & ~disp
    cand &= (state.plan_left[inv] == 0) & (state.promise_day[inv] < 0)
    p = cc.promise_rate * (0.3 + 0.7 * state.w_w[c])
    promised = cand & (u[PROMISE] < p)
    if promised.any():
        k, ck = inv[promised], c[promised]
        state.promise_day[k] = d + pc.promise_days
        keep = u[KEEP, promised] < state.a_w[ck] * (0.2 + 0.8 * state.w_w[ck])
        lag = 1 + np.floor(u[KEEP_DAY, promised] * pc.promise_days)
        state.promise_pay[k] = np.where(keep, d + lag.astype(np.int64), -1)
        schedule(state, state.promise_pay[k][keep], k[keep])
        schedule(state, d + pc.promise_days + 1, k)
        rec.event(d, acts.hour[promised], ck, k, "promise_to_pay", value=state.remaining[k] / 100.0)
    return replied | promised, promised


def add_pressure(world, state: State, d: int, c: np.ndarray, weight: np.ndarray) -> None:
    half_life = world.config.contact.pressure_half_life_days
    who = np.unique(c)
    state.pressure[who] *= 0.5 ** ((d - state.pressure_day[who]) / half_life)
    state.pressure_day[who] = d
    np.add.at(state.pressure, c, weight)


def react(
    world, state: State, d: int, acts: Actions, delivered, local, disp, u: np.ndarray, rec: Recorder
) -> None:
    """Pressure, complaints, public posts, opt-outs and eroded willingness."""
    cc = world.config.contact
    c = acts.customer
    harsh = np.array([cc.harshness[t] for t in TONES])[acts.tone]
    add_pressure(world, state, d, c[delivered], harsh[delivered])
    p = state.pressure[c]
    b0, b1 = cc.opt_out_logit
    opt = delivered & (u[OPT_OUT] < sigmoid(b0 + b1 * np.log1p(p)))
    if rec.enabled:  # complaints and public posts are events only: no effect on the state
        record_complaints(world, state, d, acts, delivered, local, disp, u, p, rec)
    inv = acts.invoice
    state.opt_out[c[opt], acts.channel[opt]] = True
    rec.event(d, acts.hour[opt] + 1, c[opt], inv[opt], "opt_out", channel=acts.channel[opt])
    erode(world, state, c[delivered], p[delivered])


def record_complaints(
    world, state: State, d: int, acts: Actions, delivered, local, disp, u, p, rec: Recorder
) -> None:
    """Complaints and public posts, more likely under pressure, when firm with the unable, at
    quiet hours and during a dispute."""
    cc = world.config.contact
    c = acts.customer
    rep = world.customers["reputation"][c]
    lo, hi = cc.quiet_hours
    hour = np.mod(local, 24)
    quiet = (hour >= lo) | (hour < hi)
    unable_firm = (acts.tone == FIRM) & (state.a_w[c] < 0.5)
    features = np.stack([np.ones(len(c)), np.log1p(p), rep, unable_firm, quiet, disp], axis=1)
    complain = delivered & (u[COMPLAIN] < sigmoid(features @ np.asarray(cc.complaint_logit)))
    post = delivered & (u[POST] < sigmoid(features @ np.asarray(cc.post_logit)))
    lag = 1 + np.floor(u[LAG] * 30).astype(np.int64)
    mood = -(0.2 + 0.8 * u[MOOD])
    inv = acts.invoice
    rec.event(
        d,
        acts.hour[complain] + lag[complain],
        c[complain],
        inv[complain],
        "complaint",
        channel=acts.channel[complain],
        sentiment=mood[complain],
    )
    rec.event(
        d,
        acts.hour[post] + 2 * lag[post],
        c[post],
        inv[post],
        "social_mention",
        sentiment=mood[post],
    )


def erode(world, state: State, c: np.ndarray, pressure: np.ndarray) -> None:
    cc = world.config.contact
    over = pressure > cc.erosion_threshold
    if not over.any():
        return
    np.subtract.at(
        state.will_adj, c[over], cc.erosion_per_unit * (pressure[over] - cc.erosion_threshold)
    )
    np.maximum(state.will_adj, -1.0, out=state.will_adj)
    update_willingness(world, state, np.unique(c[over]))

"""The logging policy: today's reactive dunning, randomised so that the history supports
uplift models and off-policy evaluation.

Every logged contact carries its propensity, the probability that this policy took exactly that
action (channel, template, hour and timing) given the invoice was still open:

- Dunning steps (``logging.stages``): each fires with probability ``1 - skip_prob``; its day moves
  by ``-timing_shift``/``+timing_shift`` with probability ``explore_timing / 2`` each; its channel,
  template and hour are the step's own with probability ``1 - e + e / n`` and any other allowed
  option with probability ``e / n`` (``n`` options, ``e`` the exploration rate).
- Pre-due contacts: at issue each invoice of a customer without direct debit draws one arm: none
  (probability ``1 - pre_due_prob``) or one of ``pre_due_offsets`` days relative to due (``pre_due_prob``
  split evenly). A contact on the due day uses ``due_today_notice``, earlier ones
  ``pre_due_reminder``; channel and hour are uniform over the allowed channels and ``hours``. So
  "no pre-due contact" has the known probability ``1 - pre_due_prob`` (``truth.invoices`` keeps it).
- Welcome messages: a new customer gets ``welcome_channel_check`` ``welcome_delay_days`` after
  joining with probability ``welcome_prob``, channel and hour uniform.
"""

from __future__ import annotations

import numpy as np

from dso_model.contract.spec import CHANNELS
from dso_model.sim.engine import EngineTables
from dso_model.sim.noise import Keys, uniform, uniforms
from dso_model.sim.state import TEMPLATE_IDS, TEMPLATE_TONE, Actions, Recorder, State
from dso_model.sim.world import World

DUNNING_TEMPLATES = np.array(
    [TEMPLATE_IDS.index(t) for t in ("overdue_notice", "payment_plan_offer", "final_demand")]
)
PRE_DUE = TEMPLATE_IDS.index("pre_due_reminder")
DUE_TODAY = TEMPLATE_IDS.index("due_today_notice")
WELCOME = TEMPLATE_IDS.index("welcome_channel_check")


def choose(options: np.ndarray, default: np.ndarray, explore: float, u: np.ndarray):
    """Pick one allowed option per row: the default with ``1 - e + e/n``, others ``e/n``.

    ``options`` is a (rows, n) boolean matrix of allowed options; ``default`` is -1 for "no
    default" (then uniform). Returns the option index and its probability.
    """
    n = options.sum(1)
    rows = np.arange(len(n))
    probs = options / np.maximum(n, 1)[:, None]
    has_default = (default >= 0) & options[rows, np.maximum(default, 0)]
    probs[has_default] *= explore
    probs[rows[has_default], default[has_default]] += 1.0 - explore
    cum = np.cumsum(probs, 1)
    pick = np.minimum((u[:, None] >= cum).sum(1), options.shape[1] - 1)
    pick = np.where(options[rows, pick], pick, np.argmax(options, 1))
    return pick, probs[rows, pick]


def choose_fixed(n: int, default: np.ndarray, explore: float, u: np.ndarray):
    """:func:`choose` when all ``n`` options are always allowed and a default is given."""
    keep = u < 1.0 - explore
    other = np.minimum(((u - (1.0 - explore)) / max(explore, 1e-12) * n).astype(np.int64), n - 1)
    pick = np.where(keep, default, other)
    prob = np.where(pick == default, 1.0 - explore + explore / n, explore / n)
    return pick, prob


def logging_actions(
    world: World, tables: EngineTables, state: State, d: int, keys: Keys, rec: Recorder
) -> Actions:
    """The logging policy's contacts for day ``d``."""
    schedule_new_invoices(world, state, keys)
    idx, step = planned_for(world, tables, state, d)
    keep = ~state.closed[idx]
    idx, step = idx[keep], step[keep]
    n_stages = len(world.config.logging.stages)
    dun = step < n_stages
    return Actions.concat(
        [
            dunning_actions(world, state, d, keys, idx[dun], step[dun]),
            pre_due_actions(world, state, d, keys, idx[~dun], step[~dun] - n_stages),
            welcome_actions(world, tables, state, d, keys),
        ]
    )


def _timing(world: World) -> tuple[float, int]:
    log = world.config.logging
    shift = log.timing_shift
    return (log.explore_timing if shift > 0 else 0.0), shift


SKIPPED = np.int8(-128)  # a dunning step the policy skips for the invoice


def schedule_new_invoices(world: World, state: State, keys: Keys) -> None:
    """Plan the logging policy's contacts for every invoice in one pass, the first time.

    Each invoice's dunning days (random shift, random skip) and its pre-due arm are drawn from the
    hash stream by invoice number, so planning everything up front gives the same days as planning
    at issue. The plan is kept compactly (per step: skipped, or the direction of the shift; the
    pre-due arm) and :func:`planned_for` finds each day's contacts from the invoices' due days.
    The contact itself happens only if the invoice is still open on the day.
    """
    if state.log_scheduled >= world.n_invoices:
        return
    log = world.config.logging
    idx = np.arange(state.log_scheduled, world.n_invoices)
    state.log_scheduled = world.n_invoices
    e, _ = _timing(world)
    for s, _stage in enumerate(log.stages):
        u = uniforms(keys.log_shift, idx * 16 + s, 0, 2)
        direction = np.where(u[0] < e / 2, -1, np.where(u[0] >= 1 - e / 2, 1, 0))
        fire = u[1] >= log.skip_prob
        state.log_shift[s, idx] = np.where(fire, direction, SKIPPED)
    state.pre_arm[idx] = draw_pre_due_arms(world, idx, keys)


def planned_for(
    world: World, tables: EngineTables, state: State, d: int
) -> tuple[np.ndarray, np.ndarray]:
    """Invoices with a planned contact on day ``d`` and their step (dunning stage, then pre-due
    ``len(stages) + arm``): stage by stage, then the pre-due contacts, each by invoice number."""
    log = world.config.logging
    _, shift = _timing(world)
    directions = (-1, 0, 1) if shift > 0 else (0,)
    invoices, steps = [], []
    for s, stage in enumerate(log.stages):
        due_days = {k: d - stage.offset - k * shift for k in directions}
        found = [_due_with(tables, state.log_shift[s], day, k) for k, day in due_days.items()]
        invoices.append(np.sort(np.concatenate(found)))
        steps.append(np.full(len(invoices[-1]), s, np.int64))
    offsets = np.asarray(log.pre_due_offsets, np.int64)
    found = [_due_with(tables, state.pre_arm, d - off, j) for j, off in enumerate(offsets.tolist())]
    pre_due = np.sort(np.concatenate(found))
    invoices.append(pre_due)
    steps.append(len(log.stages) + state.pre_arm[pre_due].astype(np.int64))
    return np.concatenate(invoices), np.concatenate(steps)


def _due_with(tables: EngineTables, plan: np.ndarray, due_day: int, value: int) -> np.ndarray:
    """Invoices due on ``due_day`` whose ``plan`` entry is ``value``."""
    due = tables.due_on(due_day)
    return due[plan[due] == value]


def draw_pre_due_arms(world: World, idx: np.ndarray, keys: Keys) -> np.ndarray:
    """-1 (no pre-due contact) or the index of the pre-due offset, per invoice."""
    log = world.config.logging
    u = uniform(keys.log_pre_arm, idx)
    arm = np.floor(u / log.pre_due_prob * len(log.pre_due_offsets)).astype(np.int64)
    c = world.invoices["customer"][idx]
    return np.where((u < log.pre_due_prob) & ~world.customers["autopay"][c], arm, -1)


def _hours(world: World, ids: np.ndarray, d: int, keys: Keys):
    """An hour drawn uniformly from ``logging.hours``."""
    hours = np.asarray(world.config.logging.hours)
    pick = np.minimum(
        (uniform(keys.log_hour, ids, d) * len(hours)).astype(np.int64), len(hours) - 1
    )
    return hours[pick], np.full(len(ids), 1.0 / len(hours))


def dunning_actions(
    world: World, state: State, d: int, keys: Keys, idx: np.ndarray, stage: np.ndarray
) -> Actions:
    """Dunning steps whose (shifted) day is today, for invoices still open."""
    if not len(idx):
        return Actions.empty()
    log = world.config.logging
    e, _ = _timing(world)
    offsets = np.array([st.offset for st in log.stages])
    delta = d - world.invoices["due"][idx] - offsets[stage]
    p_shift = np.where(delta == 0, 1.0 - e, e / 2) if e > 0 else np.ones(len(idx))
    return _stage_actions(world, state, d, keys, idx, stage, p_shift * (1 - log.skip_prob))


def _stage_defaults(world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    stages = world.config.logging.stages
    hours = list(world.config.logging.hours)
    channel = np.array([CHANNELS.index(st.channel) for st in stages])
    template = np.array(
        [list(DUNNING_TEMPLATES).index(TEMPLATE_IDS.index(st.template)) for st in stages]
    )
    hour = np.array([hours.index(st.hour) if st.hour in hours else -1 for st in stages])
    return channel, template, hour


def _stage_actions(world, state: State, d: int, keys: Keys, idx, stage, p_base) -> Actions:
    log = world.config.logging
    c = world.invoices["customer"][idx]
    ids = idx * 16 + stage
    dflt_ch, dflt_t, dflt_h = (x[stage] for x in _stage_defaults(world))
    allowed = ~state.opt_out[c]
    u = uniforms(keys.log_channel, ids, d, 3)
    ch, p_ch = choose(allowed, dflt_ch, log.explore_channel, u[0])
    t, p_t = choose_fixed(len(DUNNING_TEMPLATES), dflt_t, log.explore_template, u[1])
    hours = np.asarray(log.hours)
    h, p_h = choose_fixed(len(hours), dflt_h, log.explore_hour, u[2])
    tpl = DUNNING_TEMPLATES[t]
    acts = Actions(
        c,
        idx,
        ch,
        tpl,
        TEMPLATE_TONE[tpl],
        hours[h],
        p_base * p_ch * p_t * p_h,
        np.zeros(len(idx), np.int64),
    )
    return acts.take(allowed.any(1))


def pre_due_actions(
    world: World, state: State, d: int, keys: Keys, idx: np.ndarray, arm: np.ndarray
) -> Actions:
    """Pre-due contacts of the invoices whose random arm falls today."""
    if not len(idx):
        return Actions.empty()
    log = world.config.logging
    offset = np.asarray(log.pre_due_offsets)[arm]
    c = world.invoices["customer"][idx]
    ids = idx * 16 + 15
    allowed = ~state.opt_out[c]
    ch, p_ch = choose(allowed, np.full(len(idx), -1), 1.0, uniform(keys.log_channel, ids, d))
    hour, p_h = _hours(world, ids, d, keys)
    tpl = np.where(offset == 0, DUE_TODAY, PRE_DUE)
    share = log.pre_due_prob / len(log.pre_due_offsets)
    acts = Actions(
        c, idx, ch, tpl, TEMPLATE_TONE[tpl], hour, share * p_ch * p_h, np.zeros(len(idx), np.int64)
    )
    return acts.take(allowed.any(1))


def welcome_actions(
    world: World, tables: EngineTables, state: State, d: int, keys: Keys
) -> Actions:
    log = world.config.logging
    c = tables.created_on(d - log.welcome_delay_days)
    if not len(c):
        return Actions.empty()
    ids = c.astype(np.int64) * 16 + 14 + (1 << 40)
    c = c[uniform(keys.log_welcome, ids) < log.welcome_prob]
    ids = c.astype(np.int64) * 16 + 14 + (1 << 40)
    allowed = ~state.opt_out[c]
    ch, p_ch = choose(allowed, np.full(len(c), -1), 1.0, uniform(keys.log_channel, ids, d))
    hour, p_h = _hours(world, ids, d, keys)
    tpl = np.full(len(c), WELCOME)
    acts = Actions(
        c.astype(np.int64),
        np.full(len(c), -1),
        ch,
        tpl,
        TEMPLATE_TONE[tpl],
        hour,
        log.welcome_prob * p_ch * p_h,
        np.zeros(len(c), np.int64),
    )
    return acts.take(allowed.any(1))

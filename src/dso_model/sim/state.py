"""The mutable state of the day-step process, the actions that change it, and what gets recorded.

Arrays are indexed by invoice number (the world's order: by issue day) or customer number. The state
at the start of a day is everything known before that day, so a snapshot of it is point in time.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from dso_model.contract.spec import CHANNELS, EVENT_TYPES, TEMPLATES, TONES
from dso_model.sim.world import World

TEMPLATE_IDS = tuple(TEMPLATES)
PURPOSES = ("onboarding", "reminder", "dunning", "plan_offer", "escalation")
TEMPLATE_PURPOSE = np.array([PURPOSES.index(TEMPLATES[t][0]) for t in TEMPLATE_IDS])
TEMPLATE_TONE = np.array([TONES.index(TEMPLATES[t][1]) for t in TEMPLATE_IDS])
DAY = np.int32  # per-invoice day numbers and small counts: half the memory of int64
EVENT = {name: i for i, name in enumerate(EVENT_TYPES)}
CHANNEL = {name: i for i, name in enumerate(CHANNELS)}


@dataclass
class Actions:
    """Contacts to send on one day, as parallel arrays."""

    customer: np.ndarray
    invoice: np.ndarray  # -1: not about an invoice
    channel: np.ndarray
    template: np.ndarray
    tone: np.ndarray
    hour: np.ndarray
    propensity: np.ndarray
    policy: np.ndarray  # index into Recorder.policies

    @classmethod
    def empty(cls) -> Actions:
        i, f = np.zeros(0, np.int64), np.zeros(0, np.float64)
        return cls(i, i, i, i, i, i, f, i)

    @classmethod
    def concat(cls, parts: list[Actions]) -> Actions:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        names = [f for f in cls.__dataclass_fields__]
        return cls(**{n: np.concatenate([getattr(p, n) for p in parts]) for n in names})

    def take(self, mask: np.ndarray) -> Actions:
        return Actions(**{n: getattr(self, n)[mask] for n in self.__dataclass_fields__})

    def __len__(self) -> int:
        return len(self.customer)


class State:
    """Balances, awareness, disputes, promises, plans (per invoice); permissions, pressure,
    willingness erosion and the current month's ability (per customer)."""

    def __init__(self, world: World) -> None:
        n, c = world.n_invoices, world.n_customers
        self.day = 0
        self.month = -1
        self.issued = 0
        self.active = np.zeros(0, np.int64)
        self.active_columns: dict[str, np.ndarray] = {}  # aligned with active (engine.open_active)
        self.remaining = world.invoices["cents"].copy()
        self.closed = np.zeros(n, bool)
        self.paid_day = np.full(n, -1, DAY)
        self.wo_day = np.full(n, -1, DAY)
        self.aware = np.zeros(n, bool)
        self.forgot = np.zeros(n, bool)
        self.nudged = np.zeros(n, bool)  # a read reminder: act now, not on the habitual day
        self.entered = np.zeros(n, bool)  # in the daily process (or was)
        self.disputed = np.zeros(n, bool)
        self.disp_open = np.zeros(n, DAY)
        self.disp_close = np.zeros(n, DAY)
        self.pre_arm = np.full(n, -1, np.int8)
        self.thr = np.zeros(n)  # first payment threshold; then in active_columns with the hazard
        self.ncum = np.zeros(n)  # notice hazard of forgotten invoices and its threshold
        self.nthr = np.zeros(n)
        self.firm_until = np.full(n, -1, DAY)
        self.promise_day = np.full(n, -1, DAY)
        self.promise_pay = np.full(n, -1, DAY)
        self.plan_left = np.zeros(n, DAY)
        self.plan_next = np.full(n, -1, DAY)
        self.plan_amount = np.zeros(n, np.int64)
        self.opt_out = world.customers["opt_out"].copy()
        self.will_adj = np.zeros(c)
        self.pressure = np.zeros(c)
        self.pressure_day = np.zeros(c, np.int64)
        self.ability = np.zeros(c)
        self.will = np.zeros(c)
        self.a_w = np.ones(c)
        self.w_w = np.ones(c)
        self.hazard_base = np.zeros(c)  # payment hazard before amount and day factors
        self.hazard_firm = np.zeros(c)  # the same while a firm message is in effect
        refresh_hazard_base(world.config.payment, self)
        self.agenda: dict[int, list[np.ndarray]] = {}  # day -> invoices with something due
        self.log_scheduled = 0  # invoices the logging policy has already planned for
        # per logging stage and invoice: -1/0/+1 (timing shift) or -128 (step skipped)
        self.log_shift = np.zeros((len(world.config.logging.stages), n), np.int8)

    def copy(self) -> State:
        return copy.deepcopy(self)


def refresh_hazard_base(payment, state: State, customers: np.ndarray | None = None) -> None:
    """Recompute the customers' part of the payment hazard after ability or willingness moved.

    ``act_hazard * able_term * will_term``, with and without the firm-message boost of the
    willingness term (all customers when ``customers`` is None).
    """
    who = slice(None) if customers is None else customers
    a_w, w_w = state.a_w[who], state.w_w[who]
    able = payment.act_hazard * (a_w + (1.0 - a_w) * payment.unable_factor)
    reluctance = (1.0 - w_w) * payment.unwilling_factor
    state.hazard_base[who] = able * (w_w + reluctance)
    state.hazard_firm[who] = able * (w_w + reluctance * (1.0 + payment.firm_boost))


@dataclass
class Recorder:
    """Collects payments, contacts, events and monthly willingness as the days go by."""

    enabled: bool = True
    policies: list[str] = field(default_factory=lambda: ["logging"])
    payments: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    contacts: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    events: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    monthly_will: dict[int, np.ndarray] = field(default_factory=dict)
    blocked: int = 0  # actions refused: channel opted out, or no such customer yet
    cancelled: int = 0  # actions about invoices already settled when the day came

    def policy_code(self, name: str) -> int:
        if name not in self.policies:
            self.policies.append(name)
        return self.policies.index(name)

    def payment(self, day: int, invoice: np.ndarray, cents: np.ndarray) -> None:
        if self.enabled and len(invoice):
            self.payments.append((np.full(len(invoice), day), invoice.copy(), cents.copy()))

    def contact(self, day: int, acts: Actions, outcome: np.ndarray, cost: np.ndarray) -> None:
        if self.enabled and len(acts):
            self.contacts.append(
                (
                    np.full(len(acts), day),
                    acts.customer,
                    acts.invoice,
                    acts.hour,
                    acts.channel,
                    acts.template,
                    acts.tone,
                    acts.policy,
                    acts.propensity,
                    outcome,
                    cost,
                )
            )

    def event(
        self,
        day,
        hour,
        customer,
        invoice,
        event_type: str,
        channel=None,
        sentiment=None,
        value=None,
    ) -> None:
        """Record events; ``day`` and ``hour`` may be arrays (hours past 23 roll into days)."""
        n = len(customer)
        if not (self.enabled and n):
            return
        hour = np.zeros(n, np.int64) + hour
        day = day + hour // 24
        nan = np.full(n, np.nan)
        self.events.append(
            (
                day,
                hour % 24,
                np.array(customer),
                np.array(invoice),
                np.full(n, EVENT[event_type]),
                np.full(n, -1) if channel is None else np.zeros(n, np.int64) + channel,
                nan if sentiment is None else np.zeros(n) + sentiment,
                nan if value is None else np.zeros(n) + value,
            )
        )

    def copy(self) -> Recorder:
        return copy.deepcopy(self)

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
        self.remaining = world.invoices["cents"].copy()
        self.closed = np.zeros(n, bool)
        self.paid_day = np.full(n, -1, np.int64)
        self.wo_day = np.full(n, -1, np.int64)
        self.aware = np.zeros(n, bool)
        self.forgot = np.zeros(n, bool)
        self.nudged = np.zeros(n, bool)  # a read reminder: act now, not on the habitual day
        self.entered = np.zeros(n, bool)  # in the daily process (or was)
        self.disputed = np.zeros(n, bool)
        self.disp_open = np.zeros(n, np.int64)
        self.disp_close = np.zeros(n, np.int64)
        self.pre_arm = np.full(n, -1, np.int8)
        self.cum = np.zeros(n)
        self.thr = np.zeros(n)
        self.ncum = np.zeros(n)
        self.nthr = np.zeros(n)
        self.firm_until = np.full(n, -1, np.int64)
        self.promise_day = np.full(n, -1, np.int64)
        self.promise_pay = np.full(n, -1, np.int64)
        self.plan_left = np.zeros(n, np.int64)
        self.plan_next = np.full(n, -1, np.int64)
        self.plan_amount = np.zeros(n, np.int64)
        self.opt_out = world.customers["opt_out"].copy()
        self.will_adj = np.zeros(c)
        self.pressure = np.zeros(c)
        self.pressure_day = np.zeros(c, np.int64)
        self.ability = np.zeros(c)
        self.will = np.zeros(c)
        self.a_w = np.ones(c)
        self.w_w = np.ones(c)
        self.agenda: dict[int, list[np.ndarray]] = {}  # day -> invoices with something due
        self.log_scheduled = 0  # invoices the logging policy has already planned for
        self.log_queue: dict[int, list[np.ndarray]] = {}  # day -> codes (invoice * 16 + step)

    def copy(self) -> State:
        return copy.deepcopy(self)


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

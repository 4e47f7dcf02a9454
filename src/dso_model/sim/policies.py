"""Reference policies for roll-outs: no contact, today's reactive dunning, a uniform pre-due
reminder, and an oracle that reads the latent truth (an upper bound for what targeting can do).

Each policy is a callable taking a :class:`~dso_model.sim.rollout.PolicyContext` and returning an
action frame (see :data:`~dso_model.sim.rollout.ACTION_COLUMNS`). They act on
``ctx.open_invoices`` and plan the actions whose send day falls before ``ctx.until``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dso_model.contract.spec import CHANNELS, TEMPLATES
from dso_model.sim.config import LoggingPolicyConfig, StageConfig
from dso_model.sim.rollout import PolicyContext, empty_actions

FALLBACK_ORDER = ("email", "sms", "letter", "phone", "push")


def _allowed(ctx: PolicyContext, customer_ids: pd.Series) -> pd.DataFrame:
    """Per action row, whether each channel is still permitted."""
    flags = ctx.customers.set_index("customer_id")[[f"opt_out_{c}" for c in CHANNELS]]
    return ~flags.reindex(customer_ids.to_numpy()).fillna(False).astype(bool).reset_index(drop=True)


def _with_fallback(ctx: PolicyContext, frame: pd.DataFrame) -> pd.DataFrame:
    """Swap an opted-out channel for the first permitted one in ``FALLBACK_ORDER``."""
    if not len(frame):
        return frame
    frame = frame.reset_index(drop=True)
    allowed = _allowed(ctx, frame["customer_id"])
    chosen = frame["channel"].to_numpy(dtype=object)
    ok = allowed.to_numpy()[np.arange(len(frame)), [CHANNELS.index(c) for c in chosen]]
    for ch in reversed(FALLBACK_ORDER):
        usable = allowed[f"opt_out_{ch}"].to_numpy()
        chosen = np.where(~ok & usable, ch, chosen)
    ok_any = allowed.to_numpy().any(1)
    return frame.assign(channel=pd.array(chosen.astype(str), dtype="str"))[ok_any]


def _planned(
    ctx: PolicyContext, inv: pd.DataFrame, offset: int, template: str, channel, hour
) -> pd.DataFrame:
    """Actions ``offset`` days from due for the invoices whose send day falls in this window."""
    send = inv["due_date"] + pd.Timedelta(days=offset)
    mine = inv[(send >= ctx.date) & (send < ctx.until)]
    if not len(mine):
        return empty_actions()
    pick = lambda v: v[mine.index] if isinstance(v, pd.Series) else v  # noqa: E731
    return pd.DataFrame(
        {
            "customer_id": mine["customer_id"].to_numpy(),
            "invoice_id": mine["invoice_id"].to_numpy(),
            "send_date": send[mine.index].to_numpy(),
            "hour": np.broadcast_to(np.asarray(pick(hour)), (len(mine),)).astype(np.int64),
            "channel": np.broadcast_to(np.asarray(pick(channel), dtype=object), (len(mine),)),
            "template": template,
            "tone": TEMPLATES[template][1],
        }
    )


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else empty_actions()


@dataclass(frozen=True)
class NoContact:
    """Send nothing."""

    name: str = "no_contact"

    def __call__(self, ctx: PolicyContext) -> pd.DataFrame:
        return empty_actions()


@dataclass(frozen=True)
class ReactiveDunning:
    """Today's practice without exploration: the logging policy's dunning steps, after due."""

    stages: tuple[StageConfig, ...] = field(default_factory=lambda: LoggingPolicyConfig().stages)
    name: str = "reactive_dunning"

    def __call__(self, ctx: PolicyContext) -> pd.DataFrame:
        inv = ctx.open_invoices
        parts = [
            _planned(ctx, inv, st.offset, st.template, st.channel, st.hour) for st in self.stages
        ]
        return _with_fallback(ctx, _concat(parts))


@dataclass(frozen=True)
class UniformPreDueReminder:
    """The same friendly reminder to everyone ``days_before`` due, plus today's dunning."""

    days_before: int = 3
    channel: str = "email"
    hour: int = 10
    with_dunning: bool = True
    name: str = "uniform_pre_due_reminder"

    def __call__(self, ctx: PolicyContext) -> pd.DataFrame:
        inv = ctx.open_invoices
        parts = [_planned(ctx, inv, -self.days_before, "pre_due_reminder", self.channel, self.hour)]
        if self.with_dunning:
            parts.append(ReactiveDunning()(ctx))
        return _with_fallback(ctx, _concat(parts))


@dataclass(frozen=True)
class OraclePolicy:
    """Targets with the latent truth: the right message, channel and hour for each customer.

    Forgetful able payers get a reminder ``remind_days_before`` due and a notice after due; the
    unable get plan offers and no pressure; the unwilling get firm demands while the last one is
    still fresh; reliable payers are left alone until they are late. Channel: the one the customer
    responds to best among those permitted; hour: their best local hour in portfolio time.
    """

    remind_days_before: int = 2
    forgetful_from: float = 0.12
    name: str = "oracle"
    needs_truth: bool = True

    def __call__(self, ctx: PolicyContext) -> pd.DataFrame:
        inv = self._annotate(ctx)
        if not len(inv):
            return empty_actions()
        able = inv[inv["latent_group"] == "able_willing"]
        forgetful = able[(able["forgetfulness"] >= self.forgetful_from) & ~able["autopay"]]
        unable = inv[inv["latent_group"] == "unable"]
        unwilling = inv[inv["latent_group"] == "unwilling"]
        parts = [
            self._plan(ctx, forgetful, -self.remind_days_before, "pre_due_reminder"),
            self._plan(ctx, able, 2, "overdue_notice"),
            self._plan(ctx, able, 12, "overdue_notice"),
            self._plan(ctx, unable, 1, "payment_plan_offer"),
            self._plan(ctx, unable, 22, "payment_plan_offer"),
            *(self._plan(ctx, unwilling, k, "final_demand") for k in (1, 15, 29, 43, 57)),
        ]
        return _concat(parts)

    def _annotate(self, ctx: PolicyContext) -> pd.DataFrame:
        truth = ctx.truth
        traits = truth.customers.set_index("customer_id")
        state = truth.state.set_index("customer_id")
        inv = ctx.open_invoices
        allowed = _allowed(ctx, inv["customer_id"]).to_numpy()
        resp = traits.loc[inv["customer_id"], [f"resp_{c}" for c in CHANNELS]].to_numpy()
        resp = np.where(allowed, resp, -1.0)
        local = traits.loc[inv["customer_id"], "best_hour"].to_numpy()
        tz = traits.loc[inv["customer_id"], "tz_offset_hours"].to_numpy()
        return inv.assign(
            channel=np.asarray(CHANNELS)[resp.argmax(1)],
            hour=np.clip(np.rint(local - tz), 8, 20).astype(np.int64),
            latent_group=state.loc[inv["customer_id"], "latent_group"].to_numpy(),
            forgetfulness=traits.loc[inv["customer_id"], "forgetfulness"].to_numpy(),
            autopay=traits.loc[inv["customer_id"], "autopay"].to_numpy(bool),
            reachable=allowed.any(1),
        ).query("reachable")

    def _plan(self, ctx, inv: pd.DataFrame, offset: int, template: str) -> pd.DataFrame:
        if not len(inv):
            return empty_actions()
        return _planned(ctx, inv, offset, template, inv["channel"], inv["hour"])


no_contact = NoContact()
reactive_dunning = ReactiveDunning()
uniform_pre_due_reminder = UniformPreDueReminder()
oracle_policy = OraclePolicy()

REFERENCE_POLICIES = {
    "no_contact": no_contact,
    "reactive_dunning": reactive_dunning,
    "uniform_pre_due_reminder": uniform_pre_due_reminder,
    "oracle": oracle_policy,
}

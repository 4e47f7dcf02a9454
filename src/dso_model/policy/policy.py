"""The next-best-action policy as a callable: observable portfolio in, contact actions out.

:class:`NextBestActionPolicy` is what a nightly (or weekly) job runs and what the simulator's
roll-outs call: features of the open invoices at the decision day, profile groups, the response
model's prices, the group strategies and the hard limits. It never sees anything but the
portfolio as known on the day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dso_model.policy.config import PolicyConfig
from dso_model.policy.decide import DecisionInputs, decide
from dso_model.policy.response import ResponseModel

ACTION_COLUMNS = ["customer_id", "invoice_id", "send_date", "hour", "channel", "template", "tone"]
GroupProvider = Callable[[Any, pd.Timestamp], pd.Series]


@dataclass
class ProfileGroups:
    """Profile groups from :func:`dso_model.profiles.assign_profiles`, refreshed every
    ``refresh_days`` (groups move slowly; recomputing them daily buys nothing)."""

    model: Any = None
    config: Any = None
    refresh_days: int = 28
    _cache: tuple[pd.Timestamp, pd.Series] | None = field(default=None, repr=False)

    def __call__(self, portfolio, as_of: pd.Timestamp) -> pd.Series:
        from dso_model.profiles import assign_profiles

        as_of = pd.Timestamp(as_of)
        if self._cache is None or (as_of - self._cache[0]).days >= self.refresh_days:
            profiles = assign_profiles(
                portfolio, as_of, model=self.model, config=self.config, reasons_method=None
            )
            self._cache = (as_of, profiles.set_index("customer_id")["group"])
        return self._cache[1]


def open_invoices(portfolio) -> pd.DataFrame:
    inv = portfolio.invoices
    return inv[inv["status"].isin(["open", "partially_paid"])][
        ["invoice_id", "customer_id", "due_date", "amount"]
    ].reset_index(drop=True)


@dataclass
class NextBestActionPolicy:
    """Choose contacts for the days [as_of, until) of each call."""

    model: ResponseModel
    config: PolicyConfig = field(default_factory=PolicyConfig)
    groups: GroupProvider | None = None
    encoder: Any = None
    feature_config: Any = None
    name: str = "next_best_action"
    last_plan_: Any = field(default=None, init=False, repr=False)

    def plan(self, portfolio, as_of, until) -> Any:
        """The limited plan (every candidate with its decision) for [as_of, until)."""
        from dso_model.features import build_features

        as_of, until = pd.Timestamp(as_of), pd.Timestamp(until)
        inv = open_invoices(portfolio)
        cutoffs = pd.DataFrame({"invoice_id": inv["invoice_id"], "cutoff": as_of})
        X = build_features(portfolio, cutoffs, self.feature_config, encoder=self.encoder)
        groups = self.groups(portfolio, as_of) if self.groups else pd.Series(dtype=str)
        inputs = DecisionInputs(
            as_of,
            until,
            inv,
            X,
            portfolio.customers,
            groups,
            portfolio.contacts,
            portfolio.events,
        )
        self.last_plan_ = decide(inputs, self.model, self.config)
        return self.last_plan_

    def __call__(self, ctx) -> pd.DataFrame:
        """Roll-out interface: ``ctx.portfolio`` as of ``ctx.date``, actions until ``ctx.until``."""
        limited = self.plan(ctx.portfolio, ctx.date, ctx.until)
        return to_actions(limited.send)


def to_actions(plan: pd.DataFrame) -> pd.DataFrame:
    """The action frame a roll-out or a sending system takes."""
    out = plan[ACTION_COLUMNS].reset_index(drop=True)
    return out.assign(hour=out["hour"].to_numpy(np.int64))

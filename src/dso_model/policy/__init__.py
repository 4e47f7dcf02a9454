"""Next best action: who to contact, when, how and with which message, under hard limits.

- :mod:`~dso_model.policy.config`: action space, costs, limits, value and group strategies.
- :mod:`~dso_model.policy.limits`: hard limits as a filter and allocator over a contact plan.
- :mod:`~dso_model.policy.messages`: Jinja2 messages per template, tone and language.
- :mod:`~dso_model.policy.offpolicy`: IPS, self-normalised IPS and doubly robust estimates.
- :mod:`~dso_model.policy.response`: read probability and uplift of reading (DR-learner).
- :mod:`~dso_model.policy.decide` and :mod:`~dso_model.policy.policy`: the decision layer.
- :mod:`~dso_model.policy.evaluate`: roll-outs on the simulator (``dso-policy-eval``).

See ``docs/policy.md``.
"""

from dso_model.policy.config import GroupStrategy, LimitConfig, PolicyConfig, ValueConfig
from dso_model.policy.decide import DecisionInputs, decide
from dso_model.policy.limits import LimitedPlan, apply_limits
from dso_model.policy.logs import contact_units
from dso_model.policy.messages import Message, available_messages, render_message, render_plan
from dso_model.policy.offpolicy import (
    Estimate,
    doubly_robust,
    estimate_policy_value,
    ips,
    snips,
)
from dso_model.policy.policy import NextBestActionPolicy, ProfileGroups, to_actions
from dso_model.policy.response import EffectModel, LgbmParams, ReadModel, ResponseModel

__all__ = [
    "DecisionInputs",
    "EffectModel",
    "Estimate",
    "GroupStrategy",
    "LimitConfig",
    "LgbmParams",
    "LimitedPlan",
    "Message",
    "NextBestActionPolicy",
    "PolicyConfig",
    "ProfileGroups",
    "ReadModel",
    "ResponseModel",
    "ValueConfig",
    "apply_limits",
    "available_messages",
    "contact_units",
    "decide",
    "doubly_robust",
    "estimate_policy_value",
    "ips",
    "render_message",
    "render_plan",
    "snips",
    "to_actions",
]

"""Synthetic collections portfolios with a known truth, and counterfactual roll-outs.

``simulate(load_preset("small"))`` gives a :class:`Simulation`: a validated
:class:`~dso_model.contract.portfolio.Portfolio` and the :class:`SimTruth` no feature may read.
``rollout(simulation, policy, start=..., horizon_months=...)`` runs a policy forward on the same
customers with common random numbers. See ``docs/simulator.md``.
"""

from dso_model.sim.config import SimConfig, load_preset, preset_names
from dso_model.sim.oracle import oracle_predict_days_late
from dso_model.sim.policies import (
    REFERENCE_POLICIES,
    NoContact,
    OraclePolicy,
    ReactiveDunning,
    UniformPreDueReminder,
    no_contact,
    oracle_policy,
    reactive_dunning,
    uniform_pre_due_reminder,
)
from dso_model.sim.rollout import (
    ACTION_COLUMNS,
    PolicyContext,
    RolloutResult,
    empty_actions,
    rollout,
)
from dso_model.sim.simulation import Simulation, load_simulation, simulate
from dso_model.sim.truth import SimTruth

__all__ = [
    "ACTION_COLUMNS",
    "REFERENCE_POLICIES",
    "NoContact",
    "OraclePolicy",
    "PolicyContext",
    "ReactiveDunning",
    "RolloutResult",
    "SimConfig",
    "SimTruth",
    "Simulation",
    "UniformPreDueReminder",
    "empty_actions",
    "load_preset",
    "load_simulation",
    "no_contact",
    "oracle_policy",
    "oracle_predict_days_late",
    "preset_names",
    "reactive_dunning",
    "rollout",
    "simulate",
    "uniform_pre_due_reminder",
]

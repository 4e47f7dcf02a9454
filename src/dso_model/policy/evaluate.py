"""Policy evaluation on the simulator: fit on the history, roll out on held-out customers.

The pure core of ``dso-policy-eval``. Customers are split at random into a training half (whose
logged contacts fit the response model and profiles) and a held-out half (on which policies are
scored). Every policy is rolled out from the same start with the same seed, so all face the same
customers, invoices, shocks and outcome noise (common random numbers): differences between rows
are caused by the policies. Measures are computed on the held-out customers only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dso_model.contract.portfolio import Portfolio
from dso_model.errors import DsoInputError
from dso_model.policy.config import PolicyConfig
from dso_model.policy.logs import contact_units
from dso_model.policy.policy import NextBestActionPolicy, ProfileGroups
from dso_model.policy.response import ResponseModel

REFERENCE = "reactive_dunning"
OURS = "next_best_action"
TABLE_COLUMNS = [
    "policy", "dso", "bpdso", "add", "cei", "complaints_per_1000", "public_posts_per_1000",
    "opt_outs_per_1000", "contacts", "contacts_per_invoice", "contact_cost", "write_off_amount",
]  # fmt: skip


@dataclass(frozen=True)
class EvalSettings:
    """What ``dso-policy-eval`` varies (``configs/policy_eval.yaml``, group ``eval``)."""

    start: str | None = None  # roll-out start; None: the extraction date minus the horizon
    horizon_months: int = 6
    holdout_share: float = 0.5
    train_months: int = 12  # logged history used to fit the response model
    response_horizon_days: int = 60
    profiles: bool = True  # fit the profile model; off: every customer gets the default group
    seed: int = 0
    rollout_seed: int | None = None  # None: the simulation's own (shares the history's noise)
    policies: tuple[str, ...] = (
        "no_contact", "reactive_dunning", "uniform_pre_due_reminder", OURS, "oracle",
    )  # fmt: skip
    off_policy: bool = True
    ope_months: int = 3
    ope_days: int = 90
    bootstrap: int = 0  # bootstrap replicates for the off-policy intervals; 0: analytic

    @classmethod
    def from_mapping(cls, mapping) -> EvalSettings:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise DsoInputError(
                f"unknown eval setting(s): {', '.join(unknown)}",
                table="policy_eval config",
                hint=f"known: {', '.join(sorted(known))}",
            )
        values = dict(mapping)
        if "policies" in values:
            values["policies"] = tuple(values["policies"])
        return cls(**values)


def holdout_split(customer_ids: pd.Series, share: float, seed: int) -> pd.Index:
    """The held-out customers: a random ``share`` of them, the same for the same seed."""
    ids = pd.Index(sorted(pd.Series(customer_ids).astype(str).unique()))
    pick = np.random.default_rng(seed).uniform(size=len(ids)) < share
    return ids[pick]


def restrict_customers(portfolio: Portfolio, keep: pd.Index) -> Portfolio:
    """The portfolio of the ``keep`` customers only (every table filtered)."""
    inv = portfolio.invoices[portfolio.invoices["customer_id"].isin(keep)]
    return portfolio.with_tables(
        customers=portfolio.customers[portfolio.customers["customer_id"].isin(keep)],
        invoices=inv,
        payments=portfolio.payments[portfolio.payments["invoice_id"].isin(inv["invoice_id"])],
        contacts=portfolio.contacts[portfolio.contacts["customer_id"].isin(keep)],
        events=portfolio.events[portfolio.events["customer_id"].isin(keep)],
    )


@dataclass
class TrainedPolicy:
    """A fitted response model, category encoder and profile model, and facts about the fit
    (``cut``: fitted on what was known before it; ``customers``: the training customers)."""

    model: ResponseModel
    encoder: Any
    profiles: ProfileGroups | None
    info: dict[str, Any] = field(default_factory=dict)
    cut: pd.Timestamp | None = None
    customers: pd.Index | None = None

    def fitted_for(self, cut: pd.Timestamp, customers: pd.Index) -> bool:
        """Whether this was fitted before ``cut`` on exactly ``customers``."""
        return (
            self.cut == cut
            and self.customers is not None
            and self.customers.equals(pd.Index(customers))
        )

    def policy(self, config: PolicyConfig, name: str = OURS) -> NextBestActionPolicy:
        return NextBestActionPolicy(self.model, config, self.profiles, self.encoder, name=name)


def train_policy(
    portfolio: Portfolio,
    cut: pd.Timestamp,
    train_customers: pd.Index,
    config: PolicyConfig,
    settings: EvalSettings,
    *,
    profiles: bool = True,
) -> TrainedPolicy:
    """Fit the response model (and the profile model) on what the training customers' logs
    showed before ``cut``."""
    from dso_model.features import CategoryEncoder, build_features

    known = portfolio.snapshot(cut)
    encoder = CategoryEncoder().fit(known.customers, known.invoices)
    units = contact_units(known, cut, settings.response_horizon_days, customers=train_customers)
    units = units[units["send_date"] >= cut - pd.DateOffset(months=settings.train_months)]
    units = units.reset_index(drop=True)
    if len(units) < 200:
        raise DsoInputError(
            f"only {len(units)} logged contacts to learn from before {cut.date()}",
            table="contacts",
            hint="use a later start or more history (train_months)",
        )
    cutoffs = pd.DataFrame({"invoice_id": units["invoice_id"], "cutoff": units["send_date"]})
    X = build_features(known, cutoffs, encoder=encoder)
    model = ResponseModel(
        horizon_days=settings.response_horizon_days,
        portfolio_timezone=config.limits.portfolio_timezone,
        seed=settings.seed,
    ).fit(X, units, known.customers)
    groups = _train_profiles(known, cut, train_customers) if profiles else None
    return TrainedPolicy(
        model, encoder, groups, dict(model.info_), cut=cut, customers=pd.Index(train_customers)
    )


def _train_profiles(known: Portfolio, cut: pd.Timestamp, train_customers) -> ProfileGroups:
    from dso_model.profiles import train_profile_model

    try:
        trained = train_profile_model(restrict_customers(known, train_customers), cutoff=cut)
    except DsoInputError as exc:
        raise DsoInputError(
            exc.problem,
            file=exc.file,
            table=exc.table,
            column=exc.column,
            rows=exc.rows,
            examples=exc.examples,
            hint="start the roll-outs later (eval.start, eval.horizon_months), simulate more "
            "months, or set eval.profiles=false",
        ) from exc
    return ProfileGroups(trained.model, trained.config)


# ---------------------------------------------------------------------------- roll-outs
def holdout_measures(
    portfolio: Portfolio, customers: pd.Index, start: pd.Timestamp, end: pd.Timestamp
) -> dict[str, float]:
    """DSO measures (monthly means) and contact and reputation counts for ``customers`` over
    [start, end)."""
    from dso_model.metrics.dso import dso_measures

    part = restrict_customers(portfolio, customers)
    monthly = dso_measures(part.invoices, part.payments, start=start, end=end, events=part.events)
    ev = _between(part.events, "timestamp", start, end)
    con = _between(part.contacts, "timestamp", start, end)
    issued = _between(part.invoices, "issue_date", start, end)
    n_customers = int((part.customers["created_date"] < end).sum())
    per_k = 1000.0 / max(n_customers, 1)
    posts = (ev["event_type"] == "social_mention") & (ev["sentiment"] < 0)
    write_offs = ev.loc[ev["event_type"] == "write_off", "value"]
    return {
        **{m: float(monthly[m].mean()) for m in ("dso", "bpdso", "add", "cei")},
        "complaints_per_1000": float((ev["event_type"] == "complaint").sum() * per_k),
        "public_posts_per_1000": float(posts.sum() * per_k),
        "opt_outs_per_1000": float((ev["event_type"] == "opt_out").sum() * per_k),
        "contacts": float(len(con)),
        "contacts_per_invoice": float(len(con) / max(len(issued), 1)),
        "contact_cost": float(con["cost"].sum()) if "cost" in con else float("nan"),
        "write_off_amount": float(write_offs.sum()),
        "customers": float(n_customers),
        "invoices": float(len(issued)),
    }


def _between(frame: pd.DataFrame, column: str, start, end) -> pd.DataFrame:
    return frame[(frame[column] >= start) & (frame[column] < end)]


def rollout_table(
    simulation,
    policies: dict[str, Any],
    customers: pd.Index,
    start: pd.Timestamp,
    horizon_months: int,
    seed: int | None = None,
    progress: bool = False,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Roll out each policy with common random numbers; one row of measures per policy."""
    from dso_model.sim import rollout

    rows, results = [], {}
    for name, policy in policies.items():
        result = rollout(
            simulation,
            policy,
            start=start,
            horizon_months=horizon_months,
            seed=seed,
            progress=progress,
        )
        results[name] = result
        rows.append(
            {
                "policy": name,
                **holdout_measures(result.portfolio, customers, result.start, result.end),
            }
        )
    return pd.DataFrame(rows), results


def target_check(table: pd.DataFrame) -> dict[str, float]:
    """Our policy against reactive dunning and the oracle: the issue's targets, as numbers."""
    by = table.set_index("policy")
    if OURS not in by.index or REFERENCE not in by.index:
        return {}
    ours, ref = by.loc[OURS], by.loc[REFERENCE]
    out = {
        "dso_change_vs_dunning_pct": float((ours["dso"] / ref["dso"] - 1) * 100),
        "contacts_ratio_vs_dunning": float(ours["contacts"] / max(ref["contacts"], 1)),
        "complaints_diff_vs_dunning": float(
            ours["complaints_per_1000"] - ref["complaints_per_1000"]
        ),
    }
    if "oracle" in by.index:
        gap = ref["dso"] - by.loc["oracle", "dso"]
        out["share_of_oracle_reduction_pct"] = float(
            (ref["dso"] - ours["dso"]) / gap * 100 if gap > 0 else np.nan
        )
    return out


def default_start(simulation, horizon_months: int) -> pd.Timestamp:
    """The extraction date minus the horizon, so the roll-out covers the logged months (which the
    off-policy check reuses) and a full year of history comes before it."""
    end = pd.Timestamp(simulation.config.end)
    return (end - pd.DateOffset(months=horizon_months)).normalize()


# ---------------------------------------------------------------------------- the whole run
@dataclass
class PolicyEvaluation:
    """The comparison table, the targets, the off-policy check and facts about the run."""

    table: pd.DataFrame
    targets: dict[str, float]
    off_policy: pd.DataFrame | None
    info: dict[str, Any]


def reference_policies(names: tuple[str, ...]) -> dict[str, Any]:
    from dso_model.sim import REFERENCE_POLICIES

    unknown = [n for n in names if n not in REFERENCE_POLICIES and n != OURS]
    if unknown:
        raise DsoInputError(
            f"unknown policy name(s): {unknown}",
            table="policy_eval config",
            hint=f"known: {', '.join([*REFERENCE_POLICIES, OURS])}",
        )
    return {n: REFERENCE_POLICIES[n] for n in names if n != OURS}


def run_evaluation(
    simulation,
    config: PolicyConfig,
    settings: EvalSettings,
    *,
    progress: bool = False,
    log=print,
    trained: TrainedPolicy | None = None,
) -> PolicyEvaluation:
    """Fit on the training customers' history, roll every policy out on the held-out ones, and
    check the off-policy estimates against roll-out truth.

    ``trained``: a :func:`train_policy` result already fitted with these ``config`` and
    ``settings`` (before the evaluation's start, on its training customers), used instead of
    fitting again; a fit for another start or other customers is refused.
    """
    start = (
        pd.Timestamp(settings.start)
        if settings.start
        else default_start(simulation, settings.horizon_months)
    )
    customers = simulation.portfolio.customers["customer_id"]
    holdout = holdout_split(customers, settings.holdout_share, settings.seed)
    train_ids = pd.Index(customers[~customers.isin(holdout)])
    policies = reference_policies(settings.policies)
    if trained is not None and not trained.fitted_for(start, train_ids):
        raise ValueError(
            f"the trained policy was not fitted before {start.date()} on the evaluation's "
            f"{len(train_ids)} training customers"
        )
    if OURS in settings.policies or settings.off_policy:
        if trained is None:
            log(
                f"fitting the response model and profiles on {len(train_ids)} customers before "
                f"{start.date()}"
            )
            trained = train_policy(
                simulation.portfolio, start, train_ids, config, settings, profiles=settings.profiles
            )
        policies = {
            n: (trained.policy(config) if n == OURS else policies[n]) for n in settings.policies
        }
    log(
        f"rolling out {len(policies)} policies for {settings.horizon_months} months from "
        f"{start.date()}"
    )
    table, results = rollout_table(
        simulation,
        policies,
        holdout,
        start,
        settings.horizon_months,
        settings.rollout_seed,
        progress,
    )
    ope = None
    if settings.off_policy and trained is not None:
        from dso_model.policy.ope_check import off_policy_check

        log("off-policy check against roll-out truth")
        ope = off_policy_check(
            simulation,
            trained,
            holdout,
            train_ids,
            start,
            config,
            settings,
            results,
            progress=progress,
        )
    info = {
        "start": str(start.date()),
        "horizon_months": settings.horizon_months,
        "holdout_customers": len(holdout),
        "train_customers": len(train_ids),
        **({f"response.{k}": v for k, v in trained.info.items()} if trained else {}),
    }
    return PolicyEvaluation(table[TABLE_COLUMNS], target_check(table), ope, info)

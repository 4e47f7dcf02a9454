"""Off-policy estimates of pre-due targeting from the logs, checked against roll-out truth.

The logging policy randomises one decision cleanly: whether an invoice gets a pre-due contact, and
how many days before due (``logging.pre_due_offsets``), with channel and hour drawn at random. A
*target* policy here chooses that offset (or none) per invoice and leaves channel and hour to the
same random draw, so its probability of the logged action is 1 when the offsets agree and 0
otherwise, and the importance weight is 1 / P(logged offset). Its value is the mean balance-days
of the invoices over ``ope_days`` from issue (lower is better).

The check estimates each target's value from the logged invoices of the held-out customers (IPS,
self-normalised IPS, doubly robust with a LightGBM reward model fitted on the training customers)
and compares it with the value the same invoices reach when the simulator rolls the target out
(pre-due arm as chosen, then today's dunning) on the same world with the same noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dso_model.contract.spec import CHANNELS
from dso_model.errors import DsoInputError
from dso_model.policy.logs import balance_days, pre_due_arms
from dso_model.policy.offpolicy import estimate_policy_value
from dso_model.policy.response import LgbmParams, ResponseModel

DECISION_EVERY_DAYS = 7
ArmChooser = Callable[[pd.DataFrame, pd.DataFrame, np.ndarray], np.ndarray]


def decision_days(issue: pd.Series, start: pd.Timestamp, every: int = DECISION_EVERY_DAYS):
    """The first roll-out decision day after each issue date (a policy sees an invoice from the
    day after it is issued)."""
    elapsed = (issue - start).dt.days.to_numpy()
    k = np.floor(elapsed / every).astype(int) + 1
    return start + pd.to_timedelta(k * every, unit="D")


def feasible_offsets(due: pd.Series, day: pd.Series, offsets: tuple[int, ...]) -> np.ndarray:
    """(invoices, offsets): the send day due + offset is on or after the decision day."""
    lead = (due.to_numpy() - day.to_numpy()).astype("timedelta64[D]").astype(int)
    return np.asarray(offsets)[None, :] >= -lead[:, None]


# ------------------------------------------------------------------------ target policies
def choose_none(X, invoices, feasible) -> np.ndarray:
    return np.full(len(invoices), np.nan)


def choose_fixed(offset: int, offsets: tuple[int, ...]) -> ArmChooser:
    col = offsets.index(offset)

    def choose(X, invoices, feasible):
        return np.where(feasible[:, col], float(offset), np.nan)

    return choose


@dataclass
class ModelChooser:
    """Pick the offset with the best expected value under random channel and hour, or none."""

    model: ResponseModel
    offsets: tuple[int, ...]
    hours: tuple[int, ...]
    costs: dict[str, float]
    daily_cost_of_money: float
    customers: pd.DataFrame = field(repr=False, default=None)

    def __call__(self, X, invoices, feasible) -> np.ndarray:
        read = self._mean_read(X, invoices)
        cost = float(np.mean([self.costs[c] for c in CHANNELS]))
        values = np.full((len(invoices), len(self.offsets)), -np.inf)
        for j, off in enumerate(self.offsets):
            acts = invoices[["customer_id", "invoice_id"]].assign(
                offset=off, template="due_today_notice" if off == 0 else "pre_due_reminder"
            )
            saved = np.clip(-self.model.effect_of_reading(X, acts, self.customers), 0, None)
            gain = read * saved * invoices["amount"].to_numpy(float) * self.daily_cost_of_money
            values[:, j] = np.where(feasible[:, j], gain - cost, -np.inf)
        best = values.argmax(1)
        top = values[np.arange(len(invoices)), best]
        return np.where(top > 0, np.asarray(self.offsets, float)[best], np.nan)

    def _mean_read(self, X, invoices) -> np.ndarray:
        grid = [(c, h) for c in CHANNELS for h in self.hours]
        cols = ["customer_id", "invoice_id", "due_date"]
        reps = invoices.loc[invoices.index.repeat(len(grid)), cols].reset_index(drop=True)
        reps["channel"] = np.tile([c for c, _ in grid], len(invoices))
        reps["hour"] = np.tile([h for _, h in grid], len(invoices))
        reps["send_date"] = reps["due_date"]  # for the customer's clock; the day barely matters
        Xr = X.iloc[np.repeat(np.arange(len(X)), len(grid))]
        p = self.model.read_probability(Xr, reps, self.customers)
        return p.reshape(len(invoices), len(grid)).mean(1)


@dataclass
class PreDueArmPolicy:
    """Roll-out policy: the chooser's pre-due offset for each new invoice, with channel (among
    those permitted) and hour drawn at random as the logging policy does; today's dunning after."""

    choose: ArmChooser
    offsets: tuple[int, ...]
    hours: tuple[int, ...]
    features: Callable[[object, pd.DataFrame, pd.Timestamp], pd.DataFrame]
    name: str = "pre_due_arm"
    seed: int = 0

    def __call__(self, ctx) -> pd.DataFrame:
        from dso_model.sim import reactive_dunning

        inv = ctx.open_invoices
        new = inv[inv["issue_date"] >= ctx.date - pd.Timedelta(days=DECISION_EVERY_DAYS)]
        new = new.reset_index(drop=True)
        parts = [reactive_dunning(ctx)]
        if len(new):
            day = pd.Series(ctx.date, index=new.index)
            feasible = feasible_offsets(new["due_date"], day, self.offsets)
            X = self.features(ctx.portfolio, new, ctx.date)
            offset = self.choose(X, new, feasible)
            parts.append(self._actions(ctx, new, offset))
        parts = [p for p in parts if len(p)]
        return pd.concat(parts, ignore_index=True) if parts else parts

    def _actions(self, ctx, inv: pd.DataFrame, offset: np.ndarray) -> pd.DataFrame:
        chosen = inv[~np.isnan(offset)].assign(offset=offset[~np.isnan(offset)])
        if not len(chosen):
            return chosen.iloc[:0]
        rng = np.random.default_rng([self.seed, int(ctx.date.value // 86_400_000_000_000)])
        allowed = ~ctx.customers.set_index("customer_id").loc[
            chosen["customer_id"], [f"opt_out_{c}" for c in CHANNELS]
        ].fillna(False).to_numpy(bool)
        pick = _random_allowed(allowed, rng)
        keep = pick >= 0
        chosen = chosen[keep]
        return pd.DataFrame(
            {
                "customer_id": chosen["customer_id"].to_numpy(),
                "invoice_id": chosen["invoice_id"].to_numpy(),
                "send_date": chosen["due_date"] + pd.to_timedelta(chosen["offset"], unit="D"),
                "hour": rng.choice(np.asarray(self.hours), len(chosen)),
                "channel": np.asarray(CHANNELS)[pick[keep]],
                "template": np.where(chosen["offset"] == 0, "due_today_notice", "pre_due_reminder"),
            }
        )


def _random_allowed(allowed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random allowed column per row (-1 when none is allowed)."""
    scores = np.where(allowed, rng.uniform(size=allowed.shape), -1.0)
    pick = scores.argmax(1)
    return np.where(allowed.any(1), pick, -1)


# ------------------------------------------------------------------------ the estimates
@dataclass(frozen=True)
class LoggedArms:
    """Logged invoices with their decision-day features, arm, propensity and outcome."""

    invoices: pd.DataFrame  # invoice_id, customer_id, due_date, amount, offset, arm_prob, y
    X: pd.DataFrame
    feasible: np.ndarray


def logged_arms(
    portfolio,
    truth_invoices: pd.DataFrame | None,
    customers: pd.Index,
    issued_from,
    issued_to,
    start: pd.Timestamp,
    offsets: tuple[int, ...],
    ope_days: int,
    features,
) -> LoggedArms:
    """The logged pre-due decisions of ``customers``' invoices issued in [issued_from, issued_to).

    The arm and its propensity are the logging policy's own bookkeeping (``truth.invoices``
    ``log_pre_due_offset`` and ``log_pre_due_prob`` on the simulator): an arm whose invoice was
    paid before the send day sent nothing but was still chosen. Invoices the logging policy could not have contacted (probability 1 of no
    contact, e.g. direct debit) are left out, as no target may act on them either.
    """
    inv = portfolio.invoices
    inv = inv[
        inv["customer_id"].isin(customers)
        & (inv["issue_date"] >= issued_from)
        & (inv["issue_date"] < issued_to)
    ]
    arms = pre_due_arms(portfolio, inv)
    book = truth_invoices.set_index("invoice_id")
    # the decision, even when the invoice was paid before its send day and nothing went out
    arms["offset"] = arms["invoice_id"].map(book["log_pre_due_offset"]).to_numpy(float)
    prob = arms["invoice_id"].map(book["log_pre_due_prob"])
    arms = arms.assign(arm_prob=prob.to_numpy(float), issue_date=inv["issue_date"].to_numpy())
    arms = arms[arms["arm_prob"] < 1.0].reset_index(drop=True)
    arms["y"] = balance_days(
        arms, portfolio.invoices, portfolio.payments, ope_days, start_column="issue_date"
    )
    day = pd.Series(decision_days(arms["issue_date"], start), index=arms.index)
    arms["decision_day"] = day
    X = features(portfolio, arms, day)
    return LoggedArms(arms, X, feasible_offsets(arms["due_date"], day, offsets))


def fit_reward_model(logged: LoggedArms, seed: int = 0):
    """LightGBM regression of balance-days on features and the pre-due offset (NaN: none)."""
    model = LgbmParams(n_estimators=250, min_child_samples=200).make("regression", seed)
    model.fit(_reward_design(logged.X, logged.invoices["offset"]), logged.invoices["y"])
    return model


def _reward_design(X: pd.DataFrame, offset) -> pd.DataFrame:
    arm = pd.DataFrame({"arm_offset": np.asarray(offset, float)})
    return pd.concat([X.reset_index(drop=True), arm], axis=1)


def estimate_targets(
    logged: LoggedArms,
    targets: dict[str, ArmChooser],
    reward_model,
    *,
    bootstrap: int = 0,
    seed: int = 0,
) -> pd.DataFrame:
    """IPS, SNIPS and DR of every target, one row per (target, estimator)."""
    inv = logged.invoices
    rows = []
    for name, choose in targets.items():
        target = choose(logged.X, inv, logged.feasible)
        logged_off = inv["offset"].to_numpy(float)
        match = (np.isnan(target) & np.isnan(logged_off)) | (target == logged_off)
        q_logged = reward_model.predict(_reward_design(logged.X, logged_off))
        q_target = reward_model.predict(_reward_design(logged.X, target))
        frame = estimate_policy_value(
            inv["y"],
            inv["arm_prob"],
            match.astype(float),
            q_logged,
            q_target,
            interval="bootstrap" if bootstrap else "analytic",
            n_boot=bootstrap or 400,
            seed=seed,
        )
        frame.insert(0, "target", name)
        frame["contacted_share"] = float(np.mean(~np.isnan(target)))
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def rollout_truth(result_portfolio, invoice_ids: pd.Series, ope_days: int) -> float:
    """Mean balance-days of the invoices in a roll-out's final portfolio."""
    inv = result_portfolio.invoices
    units = inv[inv["invoice_id"].isin(invoice_ids)][["invoice_id", "issue_date"]]
    y = balance_days(units, inv, result_portfolio.payments, ope_days, start_column="issue_date")
    return float(np.mean(y))


def off_policy_check(
    simulation,
    trained,
    holdout: pd.Index,
    train_ids: pd.Index,
    start: pd.Timestamp,
    config,
    settings,
    rollouts: dict,
    *,
    progress: bool = False,
) -> pd.DataFrame:
    """Estimates of three pre-due targets from the held-out logs, next to roll-out truth."""
    from dso_model.sim import rollout

    log_cfg = simulation.config.logging
    offsets, hours = tuple(log_cfg.pre_due_offsets), tuple(log_cfg.hours)
    end_issue = start + pd.DateOffset(months=settings.ope_months)
    if end_issue + pd.Timedelta(days=settings.ope_days) > start + pd.DateOffset(
        months=settings.horizon_months
    ):
        raise DsoInputError(
            "ope_months + ope_days must fit in the roll-out horizon", table="policy_eval config"
        )

    features = _rollout_features(trained)
    port, truth = simulation.portfolio, simulation.truth.invoices
    logged = logged_arms(
        port, truth, holdout, start, end_issue, start, offsets, settings.ope_days, features
    )
    history_from = start - pd.DateOffset(months=settings.train_months)
    train = logged_arms(
        port,
        truth,
        train_ids,
        history_from,
        start - pd.Timedelta(days=settings.ope_days),
        start,
        offsets,
        settings.ope_days,
        features,
    )
    reward = fit_reward_model(train, settings.seed)
    chooser = ModelChooser(
        trained.model,
        offsets,
        hours,
        config.costs,
        config.value.daily_cost_of_money,
        port.customers,
    )
    targets = {
        "no_pre_due_contact": choose_none,
        "remind_all_3_days_before": choose_fixed(-3, offsets),
        "model_targeted_reminder": chooser,
    }
    est = estimate_targets(
        logged, targets, reward, bootstrap=settings.bootstrap, seed=settings.seed
    )
    truth_values = {}
    for name, choose in targets.items():
        if name == "no_pre_due_contact" and "reactive_dunning" in rollouts:
            result = rollouts["reactive_dunning"]
        else:
            policy = PreDueArmPolicy(
                choose, offsets, hours, _rollout_features(trained), name=name, seed=settings.seed
            )
            result = rollout(
                simulation,
                policy,
                start=start,
                horizon_months=settings.horizon_months,
                seed=settings.rollout_seed,
                progress=progress,
            )
        truth_values[name] = rollout_truth(
            result.portfolio, logged.invoices["invoice_id"], settings.ope_days
        )
    est["rollout_truth"] = est["target"].map(truth_values)
    est["covered"] = (est["lower"] <= est["rollout_truth"]) & (est["rollout_truth"] <= est["upper"])
    est["logged_mean"] = float(logged.invoices["y"].mean())
    return est


def _rollout_features(trained):
    from dso_model.features import build_features

    def features(portfolio, invoices, day):
        cut = pd.DataFrame({"invoice_id": invoices["invoice_id"].to_numpy(), "cutoff": day})
        return build_features(portfolio, cut, encoder=trained.encoder)

    return features

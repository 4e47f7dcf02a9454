"""Simulator settings: small frozen dataclasses built from a preset or a plain mapping.

The code defaults are the ``default`` preset (``configs/sim/default.yaml`` lists every key; a test
keeps the two equal). Presets only state what they change, on top of ``default``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dso_model.errors import DsoInputError


@dataclass(frozen=True)
class SegmentConfig:
    """How the customers of one segment bill, pay and react."""

    share: float = 0.6
    invoices_per_month: float = 1.0  # mean; business invoices arrive as a Poisson count
    monthly_billing: bool = True  # one bill a month on the customer's billing day
    spend_median: float = 60.0  # typical monthly spend, portfolio currency
    spend_sigma: float = 0.6  # log-normal spread of spend across customers
    invoice_sigma: float = 0.25  # log-normal spread of one invoice around the customer's mean
    spend_trend_sd: float = 0.1  # yearly spend growth spread across customers
    terms_days: tuple[int, ...] = (14, 20)
    terms_probs: tuple[float, ...] = (0.6, 0.4)
    pay_offset_mean: float = -4.0  # day relative to due when an aware, able, willing payer acts
    pay_offset_sd: float = 3.0
    ability_beta: tuple[float, float] = (6.0, 2.0)
    willingness_beta: tuple[float, float] = (5.0, 1.5)
    forgetfulness_beta: tuple[float, float] = (1.0, 5.0)
    shock_rate: float = 0.015  # monthly probability of a cash-flow shock
    recovery_rate: float = 0.25  # monthly probability that a shock ends
    dispute_rate: float = 0.01  # mean probability that an invoice is disputed
    autopay_share: float = 0.3
    paperless_share: float = 0.6
    app_user_share: float = 0.5  # push reaches app users only
    best_hour_mean: float = 19.0  # local time
    best_hour_sd: float = 2.0
    responsiveness: dict[str, float] = field(
        default_factory=lambda: {
            "email": 0.45,
            "sms": 0.6,
            "phone": 0.35,
            "letter": 0.4,
            "push": 0.55,
        }
    )
    reputation_beta: tuple[float, float] = (1.5, 5.0)
    weekend_pay_factor: float = 0.7
    credit_limit_months: float = 0.0  # credit limit in months of spend (0: none on record)


def _default_segments() -> dict[str, SegmentConfig]:
    return {
        "consumer": SegmentConfig(),
        "sme": SegmentConfig(
            share=0.3,
            invoices_per_month=2.0,
            monthly_billing=False,
            spend_median=1800.0,
            spend_sigma=0.8,
            invoice_sigma=0.45,
            spend_trend_sd=0.2,
            terms_days=(30, 60),
            terms_probs=(0.8, 0.2),
            pay_offset_mean=-3.0,
            pay_offset_sd=4.0,
            ability_beta=(5.0, 2.0),
            willingness_beta=(4.5, 1.5),
            forgetfulness_beta=(1.2, 4.5),
            shock_rate=0.02,
            recovery_rate=0.2,
            dispute_rate=0.03,
            autopay_share=0.1,
            paperless_share=0.8,
            app_user_share=0.2,
            best_hour_mean=11.0,
            best_hour_sd=2.0,
            responsiveness={"email": 0.55, "sms": 0.3, "phone": 0.5, "letter": 0.35, "push": 0.3},
            reputation_beta=(2.0, 4.0),
            weekend_pay_factor=0.15,
            credit_limit_months=2.0,
        ),
        "corporate": SegmentConfig(
            share=0.1,
            invoices_per_month=4.0,
            monthly_billing=False,
            spend_median=8000.0,
            spend_sigma=0.9,
            invoice_sigma=0.5,
            spend_trend_sd=0.15,
            terms_days=(30, 60),
            terms_probs=(0.5, 0.5),
            pay_offset_mean=-2.0,
            pay_offset_sd=5.0,
            ability_beta=(8.0, 1.5),
            willingness_beta=(5.0, 1.8),
            forgetfulness_beta=(2.0, 4.0),
            shock_rate=0.008,
            recovery_rate=0.2,
            dispute_rate=0.05,
            autopay_share=0.02,
            paperless_share=0.95,
            app_user_share=0.05,
            best_hour_mean=10.0,
            best_hour_sd=1.5,
            responsiveness={"email": 0.6, "sms": 0.15, "phone": 0.45, "letter": 0.3, "push": 0.1},
            reputation_beta=(3.0, 3.0),
            weekend_pay_factor=0.05,
            credit_limit_months=2.5,
        ),
    }


@dataclass(frozen=True)
class CountryConfig:
    """Share of customers, languages and time zones of one country."""

    share: float = 1.0
    languages: dict[str, float] = field(default_factory=lambda: {"es": 1.0})
    timezones: dict[str, float] = field(default_factory=lambda: {"Europe/Madrid": 1.0})
    phone_prefix: str = "+34"


def _default_countries() -> dict[str, CountryConfig]:
    return {
        "ES": CountryConfig(
            share=0.75,
            languages={"es": 0.9, "ca": 0.1},
            timezones={"Europe/Madrid": 0.95, "Atlantic/Canary": 0.05},
            phone_prefix="+34",
        ),
        "GB": CountryConfig(
            share=0.25,
            languages={"en": 1.0},
            timezones={"Europe/London": 1.0},
            phone_prefix="+44",
        ),
    }


@dataclass(frozen=True)
class EnrichmentConfig:
    """Which customers have enrichment attributes, and how noisy those are."""

    share: float = 0.7  # share of customers with enrichment; the rest have NaN
    spend_noise: float = 0.25  # log-normal noise of the recorded spend level
    trend_noise: float = 0.1  # noise of the recorded spend trend
    credit_limit_noise: float = 0.3
    credit_limit_ability_weight: float = 1.0  # credit limits follow ability (a bureau score)
    tenure_mean_years: float = 3.0  # the initial book's customers joined this long ago on average


@dataclass(frozen=True)
class TraitConfig:
    """Latent traits: thresholds of the latent groups and how the traits move over time."""

    unable_below: float = 0.3  # ability below this: latent group 'unable'
    unwilling_below: float = 0.4  # willingness below this (and able): 'unwilling'
    ability_noise_sd: float = 0.04  # month-to-month wobble of ability
    shock_depth: tuple[float, float] = (0.1, 0.45)  # ability multiplied by this during a shock
    willingness_drift_sd: float = 0.03  # monthly random walk of willingness (mean-reverting)
    willingness_reversion: float = 0.9  # share of the drift kept from one month to the next
    transition_width: float = 0.015  # softness of the able/willing thresholds in the hazard


@dataclass(frozen=True)
class PaymentConfig:
    """The day-by-day payment process."""

    act_hazard: float = 0.55  # daily payment probability of an aware, able, willing payer
    entry_days_before: int = 3  # the daily process starts this many days before the pay offset
    unwilling_factor: float = 0.03  # hazard multiplier for the unwilling
    unable_factor: float = 0.02  # hazard multiplier for the unable
    notice_rate: float = 0.04  # daily chance that a forgotten invoice is noticed unprompted
    amount_slowdown: float = 0.5  # slower payment of invoices large relative to the usual
    partial_prob: float = 0.5  # chance that a payment by a stressed customer is partial
    partial_range: tuple[float, float] = (0.25, 0.7)  # share of the balance paid then
    writeoff_after_days: int = 180  # days after due when an unpaid balance is written off
    dispute_days: tuple[int, int] = (10, 45)  # how long a dispute blocks payment
    dispute_raised_days: tuple[int, int] = (2, 25)  # when after issue a dispute is raised
    promise_days: int = 7  # a promise to pay is due this many days later
    plan_instalments: int = 3
    plan_interval_days: int = 14
    instalment_success: float = 0.95  # chance an instalment is paid (x 0.85 for the unable)
    plan_retry: float = 0.6  # a missed instalment is retried a week later, else the plan lapses
    spontaneous_plan_rate: float = 0.003  # daily chance an unable, willing debtor asks for a plan
    spontaneous_plan_after_days: int = 20
    firm_boost: float = 2.0  # extra hazard of the unwilling while a firm message is fresh
    firm_days: int = 14


@dataclass(frozen=True)
class SeasonalityConfig:
    """Monthly multipliers, January first."""

    amount: tuple[float, ...] = (1.05, 0.95, 1.0, 1.0, 1.0, 1.0, 1.05, 0.9, 1.0, 1.0, 1.05, 1.15)
    pay_speed: tuple[float, ...] = (0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 0.95, 0.75, 1.0, 1.0, 1.0, 0.85)


@dataclass(frozen=True)
class ContactConfig:
    """What a contact costs, whether it arrives and is read, and what it does."""

    cost: dict[str, float] = field(
        default_factory=lambda: {
            "email": 0.02,
            "sms": 0.08,
            "phone": 3.5,
            "letter": 1.2,
            "push": 0.01,
        }
    )
    delivery: dict[str, float] = field(
        default_factory=lambda: {
            "email": 0.96,
            "sms": 0.97,
            "phone": 0.7,
            "letter": 0.95,
            "push": 0.92,
        }
    )
    hour_width: float = 3.0  # hours from the best hour at which readership falls by e
    hour_floor: float = 0.35  # readership at a bad hour, relative to the best hour
    reply_rate: dict[str, float] = field(
        default_factory=lambda: {
            "onboarding": 0.05,
            "reminder": 0.05,
            "dunning": 0.15,
            "plan_offer": 0.35,
            "escalation": 0.25,
        }
    )
    promise_rate: float = 0.5  # share of replies to dunning that promise to pay (times will)
    plan_accept: float = 0.7  # chance an unable customer takes a plan offer they read
    pressure_half_life_days: float = 14.0
    harshness: dict[str, float] = field(
        default_factory=lambda: {"friendly": 0.5, "neutral": 1.0, "empathetic": 0.4, "firm": 2.0}
    )
    # Logits per delivered contact over (1, log1p(pressure), reputation sensitivity, firm tone
    # to an unable customer, quiet hours, open dispute).
    complaint_logit: tuple[float, ...] = (-7.5, 0.8, 1.5, 1.0, 1.0, 1.0)
    post_logit: tuple[float, ...] = (-9.5, 0.8, 2.5, 1.0, 0.5, 0.5)
    opt_out_logit: tuple[float, float] = (-6.0, 0.6)  # over (1, log1p(pressure))
    erosion_threshold: float = 4.0  # pressure above which contact lowers willingness
    erosion_per_unit: float = 0.005
    erosion_recovery: float = 0.8  # share of the erosion left after a month
    quiet_hours: tuple[int, int] = (21, 8)  # local hours when contact is out of place
    initial_opt_out: dict[str, float] = field(
        default_factory=lambda: {
            "email": 0.02,
            "sms": 0.05,
            "phone": 0.08,
            "letter": 0.01,
            "push": 0.05,
        }
    )


@dataclass(frozen=True)
class StageConfig:
    """One step of today's dunning practice: days after due, template, channel, hour."""

    offset: int = 3
    template: str = "overdue_notice"
    channel: str = "email"
    hour: int = 10


def _default_stages() -> tuple[StageConfig, ...]:
    return (
        StageConfig(3, "overdue_notice", "email", 10),
        StageConfig(15, "overdue_notice", "sms", 12),
        StageConfig(30, "final_demand", "letter", 10),
        StageConfig(45, "payment_plan_offer", "phone", 12),
        StageConfig(75, "final_demand", "phone", 12),
        StageConfig(120, "final_demand", "letter", 10),
    )


@dataclass(frozen=True)
class LoggingPolicyConfig:
    """Today's practice (reactive dunning) with randomised exploration; see docs/simulator.md."""

    stages: tuple[StageConfig, ...] = field(default_factory=_default_stages)
    skip_prob: float = 0.05  # a dunning step is skipped at random
    explore_timing: float = 0.2  # a step moves by +-timing_shift days
    timing_shift: int = 2
    explore_channel: float = 0.2
    explore_template: float = 0.15
    explore_hour: float = 0.3
    hours: tuple[int, ...] = (8, 10, 12, 14, 16, 18, 20)
    pre_due_prob: float = 0.12  # an invoice gets a pre-due contact at random
    pre_due_offsets: tuple[int, ...] = (-7, -3, -1, 0)
    welcome_prob: float = 0.5  # a new customer gets a welcome message a few days after joining
    welcome_delay_days: int = 3


@dataclass(frozen=True)
class OracleConfig:
    """Monte-Carlo replications behind ``truth.invoices.oracle_expected_days_late``."""

    replications: int = 8
    max_stacked_invoices: int = 4_000_000  # replications are batched to stay under this


@dataclass(frozen=True)
class SimConfig:
    """Everything that determines a simulated portfolio; the same config gives the same files."""

    name: str = "default"
    seed: int = 42
    start: str = "2024-01-01"
    months: int = 24
    n_customers: int = 4000
    arrival_share: float = 0.3  # share of customers joining during the period
    currency: str = "EUR"
    timezone: str = "Europe/Madrid"  # the portfolio's own zone (contact timestamps)
    segments: dict[str, SegmentConfig] = field(default_factory=_default_segments)
    countries: dict[str, CountryConfig] = field(default_factory=_default_countries)
    enrichment: EnrichmentConfig = field(default_factory=EnrichmentConfig)
    traits: TraitConfig = field(default_factory=TraitConfig)
    payment: PaymentConfig = field(default_factory=PaymentConfig)
    seasonality: SeasonalityConfig = field(default_factory=SeasonalityConfig)
    contact: ContactConfig = field(default_factory=ContactConfig)
    logging: LoggingPolicyConfig = field(default_factory=LoggingPolicyConfig)
    oracle: OracleConfig = field(default_factory=OracleConfig)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None = None) -> SimConfig:
        """Build from a (possibly partial) mapping merged onto the defaults.

        Unknown keys are an error, not ignored. A segment or country is left out by giving it
        ``share: 0``.
        """
        base = _plain(dataclasses.asdict(cls()))
        return _build(cls, merge_dotted(base, dict(mapping or {})), "sim")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (tuples become lists)."""
        return _plain(dataclasses.asdict(self))

    def replace(self, **changes: Any) -> SimConfig:
        """A copy with settings changed; keys may be dotted, e.g. ``"payment.promise_days"``."""
        return SimConfig.from_mapping(merge_dotted(self.to_dict(), changes))

    @property
    def end(self) -> str:
        """The extraction date: the first day after the simulated months."""
        import pandas as pd

        return str((pd.Timestamp(self.start) + pd.DateOffset(months=self.months)).date())


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def merge_dotted(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Apply ``changes`` (keys may be dotted paths) onto a nested plain ``base``."""
    out = _plain(base)
    for key, value in changes.items():
        node = out
        parts = str(key).split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        leaf = parts[-1]
        if isinstance(value, Mapping) and isinstance(node.get(leaf), dict):
            node[leaf] = merge_dotted(node[leaf], value)
        else:
            node[leaf] = _plain(value)
    return out


def _build(cls: type, data: dict[str, Any], path: str) -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise DsoInputError(
            f"unknown simulator setting '{path}.{unknown[0]}'",
            hint=f"known settings here: {', '.join(sorted(names))}",
        )
    kwargs = {name: _convert(hints[name], value, f"{path}.{name}") for name, value in data.items()}
    return cls(**kwargs)


def _convert(hint: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return value if isinstance(value, hint) else _build(hint, dict(value), path)
    if origin is dict:
        return {str(k): _convert(args[1], v, f"{path}.{k}") for k, v in dict(value).items()}
    if origin is tuple:
        items = list(value)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, path) for v in items)
        return tuple(_convert(a, v, path) for a, v in zip(args, items, strict=True))
    if origin in (typing.Union, types.UnionType):
        return value
    return _scalar(hint, value, path)


def _scalar(hint: Any, value: Any, path: str) -> Any:
    try:
        if hint is bool:
            if isinstance(value, str):
                return value.lower() in ("1", "true", "yes")
            return bool(value)
        if hint is int:
            return int(value)
        if hint is float:
            return float(value)
        if hint is str:
            return str(value)
    except (TypeError, ValueError):
        raise DsoInputError(f"setting '{path}' should be {hint.__name__}, got {value!r}") from None
    return value


# --------------------------------------------------------------------------- presets
def presets_dir() -> Path:
    from dso_model.cli._common import CONFIG_DIR

    return Path(CONFIG_DIR) / "sim"


def preset_names() -> list[str]:
    return sorted(p.stem for p in presets_dir().glob("*.yaml"))


def read_preset(name: str) -> dict[str, Any]:
    """A preset as a plain mapping, its ``defaults`` list (other presets) merged first."""
    from omegaconf import OmegaConf

    path = presets_dir() / f"{name}.yaml"
    if not path.exists():
        raise DsoInputError(
            f"unknown simulator preset '{name}'",
            file=str(path),
            hint=f"presets: {', '.join(preset_names())}",
        )
    raw = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    assert isinstance(raw, dict)
    merged: dict[str, Any] = {}
    for entry in raw.pop("defaults", []) or []:
        if entry != "_self_":
            merged = merge_dotted(merged, read_preset(str(entry)))
    return merge_dotted(merged, raw)


def load_preset(name: str = "default", seed: int | None = None, **overrides: Any) -> SimConfig:
    """The preset ``configs/sim/<name>.yaml``, with a seed and (dotted) settings overridden."""
    data = read_preset(name)
    if seed is not None:
        data["seed"] = int(seed)
    return SimConfig.from_mapping(merge_dotted(data, overrides))

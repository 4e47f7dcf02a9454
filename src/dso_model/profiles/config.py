"""Settings of profiling: feature windows, proxy outcomes, model, assignment rules and thresholds.

Built from ``configs/profiles/default.yaml`` (or any mapping, e.g. a Hydra ``cfg.profiles``) at the
edge; the profiling code only sees these frozen dataclasses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dso_model.errors import DsoInputError

THRESHOLD_METHODS = ("label_frequency", "proxy_f1", "fixed")


@dataclass(frozen=True)
class WindowConfig:
    """Trailing windows (days before the profiling date) of the customer-level features."""

    latest_days: int = 30  # "this month": the freshest evidence of a change
    recent_days: int = 90
    stress_months: int = 6  # months looked back for the share of months with stress signals
    long_days: int = 365
    growth_days: int = 30  # overdue balance now against this many days ago
    billing_days: int = 180  # typical monthly billing is measured over this window
    response_days: int = 7  # a contact is "followed by payment" within this many days
    escalation_response_days: int = 14  # ... for firm (escalation) messages
    grace_days: int = 0  # a settlement later than due + grace counts as late
    judged_overdue_days: int = 30  # an unpaid invoice this far past due is evidence too


@dataclass(frozen=True)
class ProxyConfig:
    """Observable outcomes after the profiling date, used only as training labels.

    See ``docs/profiles.md`` for the reasoning behind each proxy.
    """

    horizon_days: int = 60
    stress_min_signals: int = 1  # partial payments + plan requests/agreements in the horizon
    ignored_after_days: int = 14  # a read notice is ignored when its invoice stays unpaid this long
    min_ignored_unwilling: int = 1  # no stress sign and this many notices ignored: unwilling


@dataclass(frozen=True)
class ModelConfig:
    """LightGBM settings of the two score models and how the training panel is built."""

    n_estimators: int = 300
    learning_rate: float = 0.05
    num_leaves: int = 15
    min_child_samples: int = 20
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    reg_lambda: float = 1.0
    early_stopping_rounds: int = 30
    seed: int = 7
    n_jobs: int = 1
    warmup_months: int = 4  # months of data before the first training date
    step_months: int = 1  # training dates are month starts this far apart
    val_dates: int = 2  # the last dates of the panel validate (early stopping), by time


@dataclass(frozen=True)
class RuleConfig:
    """Who gets a behavioural verdict, and the thresholds of the three behavioural groups."""

    min_judged_invoices: int = 3  # settled, or unpaid and judged_overdue_days past due
    enrichment_columns: tuple[str, ...] = ("credit_limit", "spend_level", "spend_trend")
    unable_below: float = 0.8  # ability score under this: unable
    unwilling_below: float = 0.65  # willingness score under this (and able): unwilling
    # How the two thresholds are set at training time: label_frequency (from the share of true
    # cases the proxies catch), proxy_f1 (the pair maximising the proxy macro-F1) or fixed (the
    # two above).
    thresholds: str = "label_frequency"
    n_reasons: int = 3

    def __post_init__(self) -> None:
        if self.thresholds not in THRESHOLD_METHODS:
            raise DsoInputError(
                f"unknown threshold method 'profiles.rules.thresholds={self.thresholds}'",
                hint=f"one of {', '.join(THRESHOLD_METHODS)}",
            )


@dataclass(frozen=True)
class ProfileConfig:
    """Everything profiling may vary. Defaults equal ``configs/profiles/default.yaml``."""

    windows: WindowConfig = field(default_factory=WindowConfig)
    proxies: ProxyConfig = field(default_factory=ProxyConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    rules: RuleConfig = field(default_factory=RuleConfig)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> ProfileConfig:
        """Build from a plain mapping or an OmegaConf node; unknown keys are an error."""
        if mapping is None:
            return cls()
        if not isinstance(mapping, Mapping) or type(mapping).__name__ == "DictConfig":
            from omegaconf import OmegaConf

            mapping = OmegaConf.to_container(mapping, resolve=True)  # type: ignore[assignment]
        return _build(cls, dict(mapping), "profiles")

    @classmethod
    def from_yaml(cls, path: str | Path) -> ProfileConfig:
        import yaml

        return cls.from_mapping(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})

    @classmethod
    def default(cls) -> ProfileConfig:
        """The settings of ``configs/profiles/default.yaml`` (the dataclass defaults if absent)."""
        from dso_model.cli._common import CONFIG_DIR

        path = Path(CONFIG_DIR) / "profiles" / "default.yaml"
        return cls.from_yaml(path) if path.exists() else cls()

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["rules"]["enrichment_columns"] = list(out["rules"]["enrichment_columns"])
        return out


def _build(cls: type, data: dict[str, Any], path: str) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise DsoInputError(
            f"unknown profile setting '{path}.{unknown[0]}'",
            hint=f"known settings here: {', '.join(sorted(known))}",
        )
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        default = (
            known[name].default_factory
            if known[name].default_factory is not dataclasses.MISSING
            else None
        )  # type: ignore[misc]
        if default is not None and dataclasses.is_dataclass(default):
            kwargs[name] = _build(default, dict(value or {}), f"{path}.{name}")
        elif isinstance(value, list):
            kwargs[name] = tuple(value)
        else:
            kwargs[name] = value
    return cls(**kwargs)

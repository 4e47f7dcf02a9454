"""Settings of the next-best-action policy: action space, costs, hard limits, value, groups.

Built from ``configs/policy/default.yaml`` (or any mapping, e.g. a Hydra ``cfg.policy``) at the
edge; the policy code only sees these frozen dataclasses. The dataclass defaults equal the default
file, so notebooks and tests can use ``PolicyConfig()`` directly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dso_model.contract.spec import CHANNELS, TEMPLATES
from dso_model.errors import DsoInputError


def _per_channel(values: dict[str, float]) -> dict[str, float]:
    return {ch: values[ch] for ch in CHANNELS if ch in values}


@dataclass(frozen=True)
class LimitConfig:
    """Hard limits that no plan may break, whatever its expected value.

    Caps count contacts sent per customer (overall and per channel) on one day and over any
    ``window_days`` consecutive days, history included. A channel missing from a per-channel map
    has no channel-specific cap (the overall caps still apply); a channel missing from
    ``capacity`` has unlimited daily capacity.
    """

    quiet_hours: tuple[int, int] = (21, 8)  # local hours [start, end) when no contact is made
    hour_zone: str = "portfolio"  # plan hours are in the "portfolio" zone, or the "customer"'s
    portfolio_timezone: str = "Europe/Madrid"  # also used when a customer has no time zone
    window_days: int = 7
    per_day: int = 1
    per_window: int = 3
    per_invoice_per_day: int = 1
    per_channel_per_day: dict[str, int] = field(
        default_factory=lambda: {"email": 1, "sms": 1, "phone": 1, "letter": 1, "push": 1}
    )
    per_channel_per_window: dict[str, int] = field(
        default_factory=lambda: {"email": 3, "sms": 2, "phone": 2, "letter": 2, "push": 3}
    )
    capacity: dict[str, int] = field(default_factory=lambda: {"phone": 40, "letter": 400})
    block_autopay: bool = True
    block_open_disputes: bool = True
    review_days: int = 30  # a complaint or hostile public mention this recent: human review
    review_sentiment_below: float = -0.2  # public mentions at or above this need no review
    review_on_complaint: bool = True

    def __post_init__(self) -> None:
        lo, hi = self.quiet_hours
        if not (0 <= lo <= 24 and 0 <= hi <= 24):
            raise DsoInputError("quiet_hours must be two hours between 0 and 24", table="policy")
        if self.hour_zone not in ("customer", "portfolio"):
            raise DsoInputError("hour_zone must be 'customer' or 'portfolio'", table="policy")
        if min(self.per_day, self.per_window, self.per_invoice_per_day, self.window_days) < 0:
            raise DsoInputError("caps must be >= 0", table="policy")
        unknown = set(self.per_channel_per_day) | set(self.per_channel_per_window)
        unknown |= set(self.capacity)
        if unknown - set(CHANNELS):
            raise DsoInputError(
                f"unknown channel(s) in the limits: {sorted(unknown - set(CHANNELS))}",
                table="policy",
                hint=f"channels: {', '.join(CHANNELS)}",
            )


@dataclass(frozen=True)
class GroupStrategy:
    """What the policy may do for one profile group, and how eager it is.

    ``templates`` map the phase of an invoice (``pre_due`` when the send day is before the due
    date, ``due`` on it, ``overdue`` after it) to the template used then; a phase missing means no
    contact in that phase. ``min_value`` is the net value (currency) an action must beat.
    """

    templates: dict[str, str] = field(
        default_factory=lambda: {
            "pre_due": "pre_due_reminder",
            "due": "due_today_notice",
            "overdue": "overdue_notice",
        }
    )
    channels: tuple[str, ...] = CHANNELS
    offsets: tuple[int, ...] = (-7, -3, -1, 0, 3, 10, 20, 35)
    max_contacts_per_invoice: int = 3
    max_pre_due_contacts: int = 1  # contacts on or before the due date, per invoice
    min_value: float = 0.0
    reputation_weight: float = 1.0  # scales the reputation penalty for this group

    def __post_init__(self) -> None:
        bad = [t for t in self.templates.values() if t not in TEMPLATES]
        if bad:
            raise DsoInputError(
                f"unknown template(s) in a group strategy: {bad}",
                table="policy",
                hint=f"templates: {', '.join(TEMPLATES)}",
            )
        unknown = set(self.templates) - {"pre_due", "due", "overdue"}
        if unknown:
            raise DsoInputError(f"unknown phase(s): {sorted(unknown)}", table="policy")


def _default_groups() -> dict[str, GroupStrategy]:
    pre = {"pre_due": "pre_due_reminder", "due": "due_today_notice", "overdue": "overdue_notice"}
    plan = {
        "pre_due": "payment_plan_offer",
        "due": "payment_plan_offer",
        "overdue": "payment_plan_offer",
    }
    firm = {"pre_due": "due_today_notice", "due": "final_demand", "overdue": "final_demand"}
    return {
        "able_willing": GroupStrategy(templates=pre),
        "unable": GroupStrategy(templates=plan, reputation_weight=1.5),
        "unwilling": GroupStrategy(
            templates=firm,
            offsets=(-7, -3, -1, 0, 3, 10, 20, 35, 50),
            max_contacts_per_invoice=4,
            reputation_weight=0.7,
        ),
        "no_data": GroupStrategy(templates=pre),
        "data_available": GroupStrategy(templates=pre),
    }


@dataclass(frozen=True)
class ValueConfig:
    """How an action's expected value is priced.

    value = reduction in expected days late x amount x ``daily_cost_of_money``
            - contact cost - reputation penalty (per tone, times the group's weight).
    """

    daily_cost_of_money: float = 0.0004  # per currency unit per day (about 15 % a year)
    reputation_penalty: dict[str, float] = field(
        default_factory=lambda: {"friendly": 0.06, "neutral": 0.1, "empathetic": 0.06, "firm": 0.4}
    )


@dataclass(frozen=True)
class PolicyConfig:
    """Everything the next-best-action policy may vary."""

    name: str = "default"
    channels: tuple[str, ...] = CHANNELS
    hours: tuple[int, ...] = (9, 11, 13, 17, 19, 20)
    costs: dict[str, float] = field(
        default_factory=lambda: {
            "email": 0.02,
            "sms": 0.08,
            "phone": 3.5,
            "letter": 1.2,
            "push": 0.01,
        }
    )
    limits: LimitConfig = field(default_factory=LimitConfig)
    value: ValueConfig = field(default_factory=ValueConfig)
    groups: dict[str, GroupStrategy] = field(default_factory=_default_groups)
    default_group: str = "data_available"
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = set(self.channels) - set(CHANNELS)
        if unknown:
            raise DsoInputError(f"unknown channel(s): {sorted(unknown)}", table="policy")
        missing = [ch for ch in self.channels if ch not in self.costs]
        if missing:
            raise DsoInputError(f"no cost for channel(s) {missing}", table="policy")
        if self.default_group not in self.groups:
            raise DsoInputError(
                f"default_group '{self.default_group}' has no strategy", table="policy"
            )
        if any(not 0 <= h <= 23 for h in self.hours):
            raise DsoInputError("hours must be between 0 and 23", table="policy")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> PolicyConfig:
        """Build from a plain mapping or an OmegaConf node; unknown keys are an error."""
        if mapping is None:
            return cls()
        if not isinstance(mapping, Mapping) or type(mapping).__name__ == "DictConfig":
            from omegaconf import OmegaConf

            mapping = OmegaConf.to_container(mapping, resolve=True)  # type: ignore[assignment]
        return _build(cls, dict(mapping), "policy")

    @classmethod
    def from_yaml(cls, path: str | Path) -> PolicyConfig:
        import yaml

        return cls.from_mapping(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})

    @classmethod
    def default(cls) -> PolicyConfig:
        """The settings of ``configs/policy/default.yaml`` (the dataclass defaults if absent)."""
        from dso_model.cli._common import CONFIG_DIR

        path = Path(CONFIG_DIR) / "policy" / "default.yaml"
        return cls.from_yaml(path) if path.exists() else cls()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_NESTED = {"limits": LimitConfig, "value": ValueConfig}


def _build(cls: type, data: dict[str, Any], path: str) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise DsoInputError(
            f"unknown policy setting '{path}.{unknown[0]}'",
            table="policy config",
            hint=f"known settings here: {', '.join(sorted(names))}",
        )
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if cls is PolicyConfig and key in _NESTED:
            kwargs[key] = _build(_NESTED[key], dict(value or {}), f"{path}.{key}")
        elif cls is PolicyConfig and key == "groups":
            kwargs[key] = {
                g: _build(GroupStrategy, dict(v or {}), f"{path}.groups.{g}")
                for g, v in dict(value).items()
            }
        else:
            kwargs[key] = _coerce(value)
    return cls(**kwargs)


def _coerce(value: Any) -> Any:
    """Lists become tuples (frozen dataclasses hold tuples); dicts stay dicts."""
    if isinstance(value, list):
        return tuple(_coerce(v) for v in value)
    if isinstance(value, dict):
        return {str(k): _coerce(v) for k, v in value.items()}
    return value

"""Typed settings of the explanation job, built once from ``configs/explain.yaml`` at the edge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from dso_model.errors import DsoInputError
from dso_model.explain.contributions import DELAY_PARTS, METHODS
from dso_model.explain.drivers import CALENDAR_FEATURES

REASON_SCOPES = ("auto", "open", "window")


@dataclass(frozen=True)
class ReasonSettings:
    """Reason codes of the open invoices: languages, how many, and the contribution method."""

    langs: tuple[str, ...] = ("en", "es")
    top: int = 3
    min_impact: float = 0.0
    method: str = "exact"
    chunk_size: int = 200_000
    scope: str = "auto"  # open invoices; window: the explained ones; auto: open, else window


@dataclass(frozen=True)
class ExplainSettings:
    """What the explanation covers and how it is computed."""

    part: str = "mean"
    method: str = "exact"
    months: int = 6
    max_invoices: int = 30_000
    clip_early: bool = True
    top_features: int = 8
    dependence_features: int = 6
    beeswarm_sample: int = 2000
    max_display: int = 15
    family_overrides: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {"calendar": CALENDAR_FEATURES}
    )
    group_by: tuple[str, ...] = ("segment", "country", "profile_group")
    report_lang: str = "en"
    seed: int = 0
    num_threads: int = 0  # LightGBM threads for contributions; 0: the model's own setting
    reasons: ReasonSettings = field(default_factory=ReasonSettings)

    def __post_init__(self) -> None:
        if self.part not in DELAY_PARTS or self.part == "late":
            raise DsoInputError("explain.part must be 'mean' or 'median' (a delay in days)")
        for method in (self.method, self.reasons.method):
            if method not in METHODS:
                raise DsoInputError(
                    f"unknown contribution method {method!r}", hint=f"use one of {METHODS}"
                )
        if self.reasons.scope not in REASON_SCOPES:
            raise DsoInputError(f"explain.reasons.scope must be one of {REASON_SCOPES}")
        if self.months < 1 or self.max_invoices < 100:
            raise DsoInputError("explain.months must be >= 1 and explain.max_invoices >= 100")

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any] | None) -> ExplainSettings:
        """From a plain mapping (a resolved ``cfg.explain``); unknown keys are an error."""
        values = dict(cfg or {})
        _check_keys(values, cls, "explain")
        reasons = dict(values.pop("reasons", None) or {})
        _check_keys(reasons, ReasonSettings, "explain.reasons")
        if "langs" in reasons:
            reasons["langs"] = tuple(reasons["langs"])
        overrides = values.pop("family_overrides", None)
        if overrides is not None:
            values["family_overrides"] = {str(k): tuple(v) for k, v in dict(overrides).items()}
        if "group_by" in values:
            values["group_by"] = tuple(values["group_by"])
        return cls(**values, reasons=ReasonSettings(**reasons))


def _check_keys(values: Mapping[str, Any], cls: type, where: str) -> None:
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise DsoInputError(
            f"unknown setting '{where}.{unknown[0]}'", hint=f"known: {', '.join(sorted(known))}"
        )

"""Settings of the feature pipeline: windows, decay, k, grace days.

Built from ``configs/features/default.yaml`` (or any mapping, e.g. a Hydra ``cfg.features``) at
the edge; the feature code only sees this frozen dataclass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from dso_model.errors import DsoInputError


@dataclass(frozen=True)
class FeatureConfig:
    """What the feature pipeline may vary. Defaults equal ``configs/features/default.yaml``."""

    windows_days: tuple[int, ...] = (90, 365)
    decay_half_life_days: float = 180.0
    last_k: int = 3
    grace_days: int = 0
    response_window_days: int = 7
    pressure_windows_days: tuple[int, ...] = (7, 30)
    reputation_window_days: int = 365
    short_history_invoices: int = 3
    month_end_days: int = 3
    use_holidays: bool = True

    def __post_init__(self) -> None:
        for name in ("windows_days", "pressure_windows_days"):  # tuples keep the config hashable
            object.__setattr__(self, name, tuple(int(v) for v in getattr(self, name)))
        check_positive(self.windows_days, "windows_days")
        check_positive(self.pressure_windows_days, "pressure_windows_days")
        check_positive((self.decay_half_life_days,), "decay_half_life_days")
        check_positive((self.last_k,), "last_k")
        check_positive((self.reputation_window_days,), "reputation_window_days")
        check_positive((self.short_history_invoices,), "short_history_invoices")
        if self.grace_days < 0 or self.response_window_days < 0 or self.month_end_days < 1:
            raise DsoInputError(
                "grace_days and response_window_days must be >= 0, month_end_days >= 1",
                table="features config",
            )

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> FeatureConfig:
        """Build from a plain mapping or an OmegaConf node; unknown keys are an error."""
        if mapping is None:
            return cls()
        if not isinstance(mapping, Mapping):
            from omegaconf import OmegaConf

            mapping = OmegaConf.to_container(mapping, resolve=True)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise DsoInputError(
                f"unknown feature setting(s): {', '.join(unknown)}",
                table="features config",
                hint=f"known settings: {', '.join(sorted(known))}",
            )
        values = dict(mapping)
        for name in ("windows_days", "pressure_windows_days"):
            if name in values:
                values[name] = tuple(int(v) for v in values[name])
        return cls(**values)

    @classmethod
    def from_yaml(cls, path: str | Path) -> FeatureConfig:
        import yaml

        return cls.from_mapping(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})

    @classmethod
    def default(cls) -> FeatureConfig:
        """The settings of ``configs/features/default.yaml`` (the dataclass defaults if absent)."""
        from dso_model.cli._common import CONFIG_DIR

        path = Path(CONFIG_DIR) / "features" / "default.yaml"
        return cls.from_yaml(path) if path.exists() else cls()

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for name in ("windows_days", "pressure_windows_days"):
            out[name] = list(out[name])
        return out


def check_positive(values: tuple[float, ...], name: str) -> None:
    if not values or any(v <= 0 for v in values):
        raise DsoInputError(f"{name} must be positive numbers", table="features config")

"""Typed training settings, built once from the Hydra config at the edge.

The training core takes a :class:`TrainSettings`; it never sees a ``DictConfig``. Build one with
:meth:`TrainSettings.from_mapping` from the resolved config (``OmegaConf.to_container``), or
directly in code and notebooks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from dso_model.errors import DsoInputError
from dso_model.models.baselines import BASELINES
from dso_model.models.boosting import BoostingParams
from dso_model.models.delay import DelayModelConfig
from dso_model.models.labels import LabelConfig
from dso_model.models.splits import SplitConfig

TRAINER_KINDS = ("local", "dask")


@dataclass(frozen=True)
class TrainerSettings:
    """Where LightGBM fits: in process (``local``) or on a Dask cluster (``dask``)."""

    kind: str = "local"
    scheduler_address: str | None = None
    n_workers: int = 2
    threads_per_worker: int = 1

    def __post_init__(self) -> None:
        if self.kind not in TRAINER_KINDS:
            raise DsoInputError(f"trainer.kind must be one of {TRAINER_KINDS}, not {self.kind!r}")


@dataclass(frozen=True)
class TrainSettings:
    """Everything the training core needs: labels, folds, model, features, baselines."""

    labels: LabelConfig = field(default_factory=LabelConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    model: DelayModelConfig = field(default_factory=DelayModelConfig)
    trainer: TrainerSettings = field(default_factory=TrainerSettings)
    features: Mapping[str, Any] | None = None
    cutoff_rule: str = "issue_date"
    cutoff_days: int = 0
    baselines: tuple[str, ...] = ("on_time", "customer_mean", "last_delay", "linear", "oracle")
    group_columns: tuple[str, ...] = ("segment", "history", "latent_group")
    calibration_bins: int = 10
    refit: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = sorted(set(self.baselines) - set(BASELINES))
        if unknown:
            raise DsoInputError(f"unknown baseline(s) {unknown}; known: {list(BASELINES)}")

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any]) -> TrainSettings:
        """From a resolved config with keys ``labels``, ``split``, ``model``, ``trainer``, ...

        Inconsistent settings (a gap shorter than the horizon, a checkpoint beyond it...) raise
        :class:`DsoInputError` naming the problem.
        """
        try:
            return cls._from_mapping(cfg)
        except ValueError as exc:
            raise DsoInputError(f"invalid training settings: {exc}", table="train config") from exc

    @classmethod
    def _from_mapping(cls, cfg: Mapping[str, Any]) -> TrainSettings:
        labels = LabelConfig(**_pick(cfg.get("labels"), LabelConfig))
        split_values = _pick(cfg.get("split"), SplitConfig, exclude=("horizon_days",))
        split = SplitConfig(**split_values, horizon_days=labels.horizon_days)
        model = model_config_from_mapping(cfg.get("model") or {}, labels, int(cfg.get("seed", 0)))
        evaluation = cfg.get("evaluation") or {}
        return cls(
            labels=labels,
            split=split,
            model=model,
            trainer=TrainerSettings(**_pick(cfg.get("trainer"), TrainerSettings)),
            features=dict(cfg.get("features") or {}),
            cutoff_rule=str(evaluation.get("cutoff_rule", "issue_date")),
            cutoff_days=int(evaluation.get("cutoff_days", 0)),
            baselines=tuple(evaluation.get("baselines", cls.baselines)),
            group_columns=tuple(evaluation.get("group_columns", cls.group_columns)),
            calibration_bins=int(evaluation.get("calibration_bins", 10)),
            refit=bool((cfg.get("model") or {}).get("refit", False)),
            seed=int(cfg.get("seed", 0)),
        )

    def with_params(self, **params: Any) -> TrainSettings:
        """A copy whose boosting parameters are updated (the search uses this)."""
        boosting = replace(self.model.params, **params)
        return replace(self, model=replace(self.model, params=boosting))


def _pick(
    values: Mapping[str, Any] | None, kind: type, exclude: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The entries of ``values`` that are fields of the dataclass ``kind``."""
    names = set(kind.__dataclass_fields__) - set(exclude)
    return {k: v for k, v in (values or {}).items() if k in names}


def model_config_from_mapping(
    cfg: Mapping[str, Any], labels: LabelConfig, seed: int
) -> DelayModelConfig:
    """The ``model`` config group as a :class:`DelayModelConfig`."""
    params = BoostingParams.from_mapping({**(cfg.get("params") or {}), "seed": seed})
    hazard = cfg.get("hazard_params")
    hazard_params = None
    if hazard:
        hazard_params = BoostingParams.from_mapping(
            {**(cfg.get("params") or {}), **hazard, "seed": seed}
        )
    return DelayModelConfig(
        labels=labels,
        hazard_edges=tuple(
            float(e) for e in cfg.get("hazard_edges", DelayModelConfig.hazard_edges)
        ),
        paid_within_days=tuple(int(d) for d in cfg.get("paid_within_days", (30, 60, 90))),
        quantiles=tuple(float(q) for q in cfg.get("quantiles", (0.1, 0.5, 0.9))),
        point=str(cfg.get("point", "median")),
        fit_mean=bool(cfg.get("fit_mean", True)),
        conformal=bool(cfg.get("conformal", True)),
        late_calibration=str(cfg.get("late_calibration", "none")),
        params=params,
        hazard_params=hazard_params,
    )

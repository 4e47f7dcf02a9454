"""Hydra/OmegaConf glue shared by entry points, tests and notebooks.

``compose_config("train", ["data=ibm_ar"])`` gives the same configuration a command line would,
without running an app: tests and notebooks use it.
"""

from __future__ import annotations

import os
from pathlib import Path

from omegaconf import DictConfig, OmegaConf


def project_root() -> str:
    """Where outputs, caches and the MLflow store live: ``$DSO_MODEL_ROOT`` or the checkout."""
    override = os.environ.get("DSO_MODEL_ROOT")
    if override:
        return str(Path(override).resolve())
    from dso_model.cli._common import CONFIG_DIR

    config_parent = Path(CONFIG_DIR).parent
    if (config_parent / "pyproject.toml").exists():
        return str(config_parent)
    return str(Path.home() / ".dso_model")


def shared_data_dir() -> str:
    """The read-only shared data folder: ``$DSO_MODEL_SHARED_DATA`` or ``../shared/data`` beside
    the checkout (where the IBM benchmark lives)."""
    override = os.environ.get("DSO_MODEL_SHARED_DATA")
    if override:
        return str(Path(override).resolve())
    from dso_model.cli._common import CONFIG_DIR

    return str(Path(CONFIG_DIR).parent.parent / "shared" / "data")


def register_resolvers() -> None:
    """Register ``${dso.root:}`` and ``${dso.shared:}`` once per process."""
    if not OmegaConf.has_resolver("dso.root"):
        OmegaConf.register_new_resolver("dso.root", project_root)
    if not OmegaConf.has_resolver("dso.shared"):
        OmegaConf.register_new_resolver("dso.shared", shared_data_dir)


def compose_config(config_name: str, overrides: list[str] | None = None) -> DictConfig:
    """Compose ``configs/<config_name>.yaml`` with overrides, as the command line would."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from dso_model.cli._common import CONFIG_DIR

    register_resolvers()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose(config_name=config_name, overrides=list(overrides or []))


register_resolvers()

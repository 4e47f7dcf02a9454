"""What every entry point shares: where the configs are, and how user errors are shown."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dso_model.errors import DsoInputError

log = logging.getLogger("dso_model")


def config_dir() -> str:
    """The ``configs/`` folder: ``$DSO_MODEL_CONFIG_DIR``, the checkout's, or the installed copy."""
    override = os.environ.get("DSO_MODEL_CONFIG_DIR")
    if override:
        return str(Path(override).resolve())
    here = Path(__file__).resolve()
    checkout = here.parents[3] / "configs"  # src/dso_model/cli/_common.py -> repo root
    if checkout.is_dir():
        return str(checkout)
    return str(here.parents[1] / "configs")  # installed wheel: dso_model/configs


CONFIG_DIR = config_dir()


def user_errors_exit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn :class:`DsoInputError` into a one-paragraph message and exit status 2, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DsoInputError as exc:
            print(f"error: {exc.render()}", file=sys.stderr)
            sys.exit(2)

    return wrapper


def hydra_output_dir() -> Path:
    """This run's output folder as Hydra set it up."""
    from hydra.core.hydra_config import HydraConfig

    return Path(HydraConfig.get().runtime.output_dir)

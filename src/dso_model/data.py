"""Load a configured data source (``configs/data/``) into a validated Portfolio.

This is the one place that knows about source kinds: CSV/ERP exports through the column-mapping
adapter, folders of canonical Parquet tables, and the built-in simulator (cached per preset and seed).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from dso_model.contract.portfolio import Portfolio
from dso_model.errors import DsoInputError


@dataclass(frozen=True)
class LoadedData:
    """A portfolio, plus the simulator's truth when the data is simulated."""

    name: str
    portfolio: Portfolio
    truth: Any | None = None  # dso_model.sim.SimTruth for simulated data
    outcomes: pd.DataFrame | None = None  # outcome columns kept aside (never features)
    simulation: Any | None = None  # the full Simulation object, for roll-outs
    source: str = ""


def _plain(cfg: Any) -> dict[str, Any]:
    try:
        from omegaconf import DictConfig, OmegaConf

        if isinstance(cfg, DictConfig):
            return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
    except ImportError:  # pragma: no cover
        pass
    return dict(cfg)


def load_data(
    data_cfg: Mapping[str, Any], paths_cfg: Mapping[str, Any] | None = None
) -> LoadedData:
    """Load the source described by a ``configs/data/*.yaml`` entry."""
    cfg = _plain(data_cfg)
    paths = _plain(paths_cfg or {})
    kind = cfg.get("kind", "tables")
    if kind == "tables":
        return _load_tables(cfg)
    if kind == "parquet":
        return _load_parquet(cfg)
    if kind == "synthetic":
        return _load_synthetic(cfg, paths)
    raise DsoInputError(f"unknown data kind '{kind}' (tables, parquet or synthetic)")


def _load_tables(cfg: dict[str, Any]) -> LoadedData:
    from dso_model.io.adapters import SourceConfig, adapt_source

    source = SourceConfig.from_mapping(cfg)
    adapted = adapt_source(source)
    path = str(source.tables["invoices"].path)
    return LoadedData(source.name, adapted.portfolio, outcomes=adapted.outcomes, source=path)


def _load_parquet(cfg: dict[str, Any]) -> LoadedData:
    folder = Path(str(cfg["path"]))
    portfolio = Portfolio.from_parquet(folder)
    truth = None
    if (folder / "truth").is_dir():
        from dso_model.sim import load_simulation

        sim = load_simulation(folder)
        return LoadedData(
            cfg.get("name", folder.name), portfolio, sim.truth, simulation=sim, source=str(folder)
        )
    return LoadedData(cfg.get("name", folder.name), portfolio, truth, source=str(folder))


def synthetic_cache_key(cfg: Mapping[str, Any]) -> str:
    """A short hash of everything that determines a simulated portfolio: the resolved simulator
    settings (preset file, seed and overrides) and the simulator's code."""
    from dataclasses import asdict

    from dso_model import __version__
    from dso_model.sim import load_preset

    settings = load_preset(
        str(cfg.get("sim", "default")), seed=cfg.get("seed"), **(cfg.get("overrides") or {})
    )
    payload = json.dumps(
        {"settings": asdict(settings), "code": _simulator_code_digest(), "v": __version__},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def _simulator_code_digest() -> str:
    """Digest of the simulator's source files, so a code change never reads a stale cache."""
    import dso_model.sim

    digest = hashlib.sha256()
    for path in sorted(Path(dso_model.sim.__file__).parent.rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _load_synthetic(cfg: dict[str, Any], paths: dict[str, Any]) -> LoadedData:
    from dso_model.sim import load_preset, load_simulation, simulate

    name = f"synthetic-{cfg.get('sim', 'default')}"
    cache_root = paths.get("cache_dir")
    folder = (
        Path(cache_root) / "synthetic" / f"{cfg.get('sim')}-{synthetic_cache_key(cfg)}"
        if cache_root
        else None
    )
    if folder is not None and cfg.get("cache", True) and (folder / "meta.json").exists():
        sim = load_simulation(folder)
    else:
        sim_cfg = load_preset(
            str(cfg.get("sim", "default")), seed=cfg.get("seed"), **(cfg.get("overrides") or {})
        )
        sim = simulate(sim_cfg, progress=True)
        if folder is not None and cfg.get("cache", True):
            sim.save(folder)
    return LoadedData(
        name, sim.portfolio, sim.truth, simulation=sim, source=str(folder or "memory")
    )

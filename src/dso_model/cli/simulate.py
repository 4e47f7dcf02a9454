"""``dso-simulate sim=<preset>``: write a simulated portfolio and its truth tables.

The folder gets the canonical tables (``Portfolio.to_parquet``: ``customers.parquet`` ...
``meta.json``), ``truth/{customers,monthly,invoices}.parquet`` and ``sim_config.json``; every file
is written atomically and ``meta.json`` last. The same config and seed give byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from dso_model.cli._common import CONFIG_DIR, hydra_output_dir, user_errors_exit
from dso_model.config import register_resolvers

register_resolvers()


@hydra.main(config_path=CONFIG_DIR, config_name="simulate", version_base="1.3")
@user_errors_exit
def main(cfg: DictConfig) -> None:
    from dso_model.sim import SimConfig, simulate

    config = SimConfig.from_mapping(OmegaConf.to_container(cfg.sim, resolve=True))
    out = Path(cfg.out_dir) if cfg.out_dir else hydra_output_dir()
    simulation = simulate(config, progress=bool(cfg.progress), n_jobs=int(cfg.jobs))
    simulation.save(out)
    counts = ", ".join(f"{n} {t}" for t, n in simulation.portfolio.summary_counts().items())
    print(f"simulated '{config.name}' (seed {config.seed}): {counts}")
    print(f"written to {out}")


if __name__ == "__main__":
    main()

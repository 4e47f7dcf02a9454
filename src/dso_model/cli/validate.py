"""``dso-validate data=<source>``: load, validate and summarise a portfolio."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from dso_model.cli._common import CONFIG_DIR, hydra_output_dir, user_errors_exit
from dso_model.config import register_resolvers

register_resolvers()


@hydra.main(config_path=CONFIG_DIR, config_name="validate", version_base="1.3")
@user_errors_exit
def main(cfg: DictConfig) -> None:
    from dso_model.cli.report import print_dso_table, print_summary
    from dso_model.data import load_data
    from dso_model.metrics import monthly_dso, portfolio_summary

    loaded = load_data(cfg.data, cfg.paths)
    print_summary(portfolio_summary(loaded.portfolio), source=loaded.source)
    table = monthly_dso(loaded.portfolio)
    print_dso_table(table if cfg.all_months else table.tail(12))
    if cfg.write_parquet:
        folder = loaded.portfolio.to_parquet(hydra_output_dir() / "portfolio")
        print(f"canonical tables written to {folder}")
    print("valid: the source meets the data contract")


if __name__ == "__main__":
    main()

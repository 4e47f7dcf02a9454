"""dso-score: score the open invoices with the exported bundle; write the worklist and briefing.

The work happens in :mod:`dso_model.scoring` (pure pipeline) and :func:`run_score_job` (files);
this module only reads the configuration.
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from dso_model.cli._common import CONFIG_DIR, hydra_output_dir, user_errors_exit
from dso_model.config import register_resolvers

register_resolvers()


@hydra.main(config_path=CONFIG_DIR, config_name="score", version_base="1.3")
@user_errors_exit
def main(cfg: DictConfig) -> None:
    from dso_model.scoring.job import run_score_job

    run_score_job(cfg, hydra_output_dir())


if __name__ == "__main__":
    main()

"""dso-explain: what drives DSO, from the delay model's explanations. Tables, plots, HTML, MLflow.

The wiring is :mod:`dso_model.explain.job` and the analysis :mod:`dso_model.explain.analysis`;
this entry point only reads the config. Tests call :func:`run_job`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from dso_model.cli._common import CONFIG_DIR, hydra_output_dir, user_errors_exit
from dso_model.config import register_resolvers

register_resolvers()


def run_job(cfg: DictConfig, out_dir: Path) -> Any:
    """Run the job on a composed config; returns an :class:`~dso_model.explain.job.ExplainOutcome`."""
    from dso_model.explain.job import run_explain

    return run_explain(OmegaConf.to_container(cfg, resolve=True), out_dir)


@hydra.main(config_path=CONFIG_DIR, config_name="explain", version_base="1.3")
@user_errors_exit
def main(cfg: DictConfig) -> None:
    import matplotlib

    matplotlib.use("Agg")
    outcome = run_job(cfg, hydra_output_dir())
    for line in outcome.result.headline:
        print(line)
    print(f"report: {outcome.written['report.html']}")
    if outcome.run_id:
        print(f"MLflow run: {outcome.run_id}")


if __name__ == "__main__":
    main()

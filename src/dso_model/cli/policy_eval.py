"""``dso-policy-eval data=synthetic``: compare collection policies on simulator roll-outs.

Prints the comparison table (DSO, BPDSO, ADD, CEI, complaints and public posts per 1,000
customers, contacts per invoice, cost) and the off-policy check, writes both to the run's output
folder and logs them to MLflow.
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig, OmegaConf

from dso_model.cli._common import CONFIG_DIR, hydra_output_dir, user_errors_exit
from dso_model.config import register_resolvers

register_resolvers()


@hydra.main(config_path=CONFIG_DIR, config_name="policy_eval", version_base="1.3")
@user_errors_exit
def main(cfg: DictConfig) -> None:
    from dso_model.data import load_data
    from dso_model.errors import DsoInputError
    from dso_model.policy.config import PolicyConfig
    from dso_model.policy.evaluate import EvalSettings, run_evaluation
    from dso_model.policy.report import log_evaluation, render_report, write_report

    data = load_data(cfg.data, cfg.paths)
    if data.simulation is None:
        raise DsoInputError(
            f"dso-policy-eval needs simulated data with its truth; '{data.name}' has none",
            hint="use data=synthetic (or data=parquet on a folder written by dso-simulate)",
        )
    config = PolicyConfig.from_mapping(cfg.policy)
    settings = EvalSettings.from_mapping(OmegaConf.to_container(cfg.eval, resolve=True))
    result = run_evaluation(data.simulation, config, settings, progress=bool(cfg.progress))
    print(render_report(result, data.name))
    out = write_report(result, hydra_output_dir())
    print(f"written to {out}")
    if cfg.mlflow.enabled:
        run_id = log_evaluation(result, cfg, data.name)
        print(f"logged to MLflow run {run_id} ({cfg.mlflow.tracking_uri})")


if __name__ == "__main__":
    main()

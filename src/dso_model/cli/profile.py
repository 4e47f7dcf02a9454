"""``dso-profile data=<source>``: train the profile models, evaluate them, profile a date.

Trains the ability and willingness models at ``monitor.cutoff`` (see ``configs/monitor.yaml``),
prints the macro-F1 and confusion matrices against the simulator's truth on the months after the
cutoff (simulated data), saves the model and writes every customer's group, confidence and
reasons as of ``profile.as_of``. With ``profile.model_path`` it only scores the date.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import hydra
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from dso_model.cli._common import CONFIG_DIR, hydra_output_dir, user_errors_exit
from dso_model.config import register_resolvers
from dso_model.errors import DsoInputError

register_resolvers()
MODEL_FILE = "profile_model.pkl"


def save_model(trained: Any, path: Path) -> Path:
    from dso_model.io.atomic import write_atomic

    def dump(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            pickle.dump(trained, fh)

    return write_atomic(path, dump)


def load_model(path: str | Path) -> Any:
    """A :class:`TrainedProfiles` written by :func:`save_model` (a file you trust: pickle)."""
    path = Path(path)
    if not path.exists():
        raise DsoInputError("no saved profile model here", file=str(path))
    with open(path, "rb") as fh:
        return pickle.load(fh)


def evaluate_months(
    loaded: Any, trained: Any, pcfg: Any, oracle: tuple[float, float]
) -> dict[str, Any]:
    from dso_model.profiles import evaluate_against_truth, profile_months
    from dso_model.profiles.training import month_starts

    portfolio = loaded.portfolio
    dates = month_starts(trained.cutoff, portfolio.as_of + pd.Timedelta(days=1))
    profiles, _ = profile_months(portfolio, trained.model, dates, pcfg)
    return evaluate_against_truth(profiles, loaded.truth.monthly, oracle)


def run_job(cfg: DictConfig, out_dir: Path) -> dict[str, Any]:
    from dso_model.cli.monitor import _oracle_thresholds, print_evaluation
    from dso_model.cli.report import print_frame
    from dso_model.data import load_data
    from dso_model.io.atomic import write_parquet_atomic
    from dso_model.monitoring import MonitorConfig
    from dso_model.profiles import ProfileConfig, assign_profiles, train_profile_model
    from dso_model.profiles.training import default_cutoff

    plain: dict[str, Any] = OmegaConf.to_container(cfg, resolve=True)  # type: ignore[assignment]
    opts = plain["profile"]
    loaded = load_data(cfg.data, cfg.paths)
    portfolio = loaded.portfolio
    pcfg = ProfileConfig.from_mapping(plain["profiles"])
    mcfg = MonitorConfig.from_mapping(plain["monitor"])
    if opts.get("model_path"):
        trained = load_model(opts["model_path"])
    else:
        cutoff = (
            pd.Timestamp(mcfg.cutoff)
            if mcfg.cutoff
            else default_cutoff(portfolio, mcfg.train_share)
        )
        trained = train_profile_model(portfolio, cutoff, pcfg)
        save_model(trained, out_dir / MODEL_FILE)
        facts = pd.DataFrame(
            {"measure": list(trained.report), "value": list(trained.report.values())}
        )
        print_frame(facts, "Profile models", "{:.3f}")
    evaluation = None
    if opts.get("evaluate", True) and loaded.truth is not None:
        evaluation = evaluate_months(loaded, trained, pcfg, _oracle_thresholds(loaded))
        print_evaluation(evaluation)
    as_of = pd.Timestamp(opts["as_of"]) if opts.get("as_of") else portfolio.as_of
    profiles = assign_profiles(portfolio, as_of, trained.model, pcfg)
    write_parquet_atomic(profiles, out_dir / opts["file"])
    counts = profiles["group"].value_counts().rename_axis("group").reset_index(name="customers")
    print_frame(counts, f"Profiles as of {as_of.date()}", "{:,.0f}")
    run_id = log_profile_run(plain, trained, evaluation, out_dir, loaded.name)
    print(f"profiles: {out_dir / opts['file']}" + (f"  (MLflow run {run_id})" if run_id else ""))
    return {"trained": trained, "evaluation": evaluation, "profiles": profiles}


def log_profile_run(
    plain: dict[str, Any], trained: Any, evaluation: Any, out_dir: Path, data_name: str
) -> str | None:
    """Params, macro-F1 and confusion matrices, the model file: one MLflow run."""
    import mlflow

    from dso_model.tracking import TrackingSettings, flatten_params, start_run

    settings = TrackingSettings.from_mapping(plain["mlflow"])
    if not settings.enabled:
        return None
    with start_run(
        settings, run_name=f"profiles-{data_name}", tags={"job": "profiles", "data.name": data_name}
    ) as run:
        mlflow.log_params(flatten_params({"profiles": plain["profiles"]}))
        mlflow.log_metrics(
            {
                f"train_{k}": float(v)
                for k, v in trained.report.items()
                if isinstance(v, int | float)
            }
        )
        for alignment, ev in (evaluation or {}).items():
            mlflow.log_metrics(
                {
                    f"macro_f1_{alignment}": ev["macro_f1"],
                    f"oracle_macro_f1_{alignment}": ev["oracle_macro_f1"],
                }
            )
            mlflow.log_text(ev["confusion"].to_csv(), f"confusion_{alignment}.csv")
        if (out_dir / MODEL_FILE).exists():
            mlflow.log_artifact(str(out_dir / MODEL_FILE))
        return run.info.run_id


@hydra.main(config_path=CONFIG_DIR, config_name="monitor", version_base="1.3")
@user_errors_exit
def main(cfg: DictConfig) -> None:
    run_job(cfg, hydra_output_dir())


if __name__ == "__main__":
    main()

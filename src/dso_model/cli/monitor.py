"""``dso-monitor data=<source>``: profile customers month by month and report what changed.

The work happens in :func:`dso_model.monitoring.run_monitor`; this module reads the config, loads
the data, prints the headline tables, writes the report, tables and figures into the run's output
folder and logs them to MLflow. Tests call :func:`run_job`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from dso_model.cli._common import CONFIG_DIR, hydra_output_dir, user_errors_exit
from dso_model.config import register_resolvers

register_resolvers()


def print_monitor(result: Any) -> None:
    """Migrations, drift, decay and alerts as terminal tables."""
    from dso_model.cli.report import print_frame

    counts = result.group_counts.reset_index().rename(columns={"as_of": "month"})
    print_frame(counts, "Customers per group", "{:,.0f}")
    if len(result.migration):
        wide = result.migration.pivot(index="as_of", columns="group", values="movers").reset_index()
        print_frame(
            wide.rename(columns={"as_of": "month"}),
            "Moved into the group since the month before",
            "{:,.0f}",
        )
        last = list(result.transitions)[-1]
        print_frame(
            result.transitions[last].reset_index(), f"Transitions into {last.date()}", "{:,.0f}"
        )
    if len(result.drift):
        top = result.drift.groupby("as_of")["psi"].agg(["max", "mean"]).reset_index()
        worst = result.drift.loc[
            result.drift.groupby("as_of")["psi"].idxmax(), "feature"
        ].to_numpy()
        print_frame(
            top.assign(feature=worst).rename(columns={"as_of": "month"}),
            "Feature drift (PSI)",
            "{:.3f}",
        )
    if len(result.delay_decay):
        cols = ["month", "invoices", "with_outcome", "mae", "ece", "late_rate", "p_late_mean"]
        print_frame(
            result.delay_decay[cols], f"Delay-model decay ({result.delay_source})", "{:.3f}"
        )
    if len(result.alerts):
        print_frame(
            result.alerts[["as_of", "kind", "severity", "message"]].tail(30),
            f"Alerts ({len(result.alerts)})",
        )


def print_evaluation(evaluation: dict[str, Any] | None) -> None:
    from dso_model.cli.report import print_frame

    for alignment, ev in (evaluation or {}).items():
        table = ev["confusion"].reset_index()
        title = (
            f"Profiles vs truth ({alignment} month): macro-F1 {ev['macro_f1']:.3f}, "
            f"oracle {ev['oracle_macro_f1']:.3f}, {ev['rows']} customer-months"
        )
        print_frame(table, title, "{:,.0f}")


def write_outputs(result: Any, cfg: dict[str, Any], out_dir: Path, title: str) -> list[Path]:
    """Report, CSV tables and figures; every file written atomically."""
    from dso_model.io.atomic import write_atomic
    from dso_model.monitoring.plots import save_figures
    from dso_model.monitoring.report import write_report

    paths = [write_report(result, out_dir / cfg["report"]["file"], title)]
    if cfg["report"].get("tables", True):
        tables = {
            "profiles.parquet": result.profiles,
            "migration.csv": result.migration,
            "drift.csv": result.drift,
            "score_decay.csv": result.score_decay,
            "delay_decay.csv": result.delay_decay,
            "alerts.csv": result.alerts,
        }
        for name, frame in tables.items():
            writer = (
                (lambda p, f=frame: f.to_parquet(p, index=False))
                if name.endswith(".parquet")
                else (lambda p, f=frame: f.to_csv(p, index=False))
            )
            paths.append(write_atomic(out_dir / name, writer))
    if cfg["report"].get("plots", True):
        paths += save_figures(result, out_dir)
    return paths


def run_job(cfg: DictConfig, out_dir: Path) -> Any:
    """Load, monitor, print, write and track; returns the :class:`MonitorResult`."""
    from dso_model.data import load_data
    from dso_model.monitoring import MonitorConfig, run_monitor
    from dso_model.monitoring.tracking import log_monitor_run
    from dso_model.profiles import ProfileConfig
    from dso_model.tracking import flatten_params

    plain: dict[str, Any] = OmegaConf.to_container(cfg, resolve=True)  # type: ignore[assignment]
    loaded = load_data(cfg.data, cfg.paths)
    pcfg = ProfileConfig.from_mapping(plain["profiles"])
    mcfg = MonitorConfig.from_mapping(plain["monitor"])
    truth = loaded.truth.monthly if loaded.truth is not None else None
    oracle = _oracle_thresholds(loaded)
    result = run_monitor(loaded.portfolio, pcfg, mcfg, truth, oracle)
    print_monitor(result)
    print_evaluation(result.evaluation)
    paths = write_outputs(result, plain, out_dir, f"Customer monitoring: {loaded.name}")
    params = flatten_params({"profiles": plain["profiles"], "monitor": plain["monitor"]})
    run_id = log_monitor_run(result, plain["mlflow"], params, paths, loaded.name)
    print(f"report: {paths[0]}" + (f"  (MLflow run {run_id})" if run_id else ""))
    return result


def _oracle_thresholds(loaded: Any) -> tuple[float, float]:
    sim = getattr(loaded, "simulation", None)
    traits = getattr(getattr(sim, "config", None), "traits", None)
    if traits is None:
        return (0.3, 0.4)
    return (float(traits.unable_below), float(traits.unwilling_below))


@hydra.main(config_path=CONFIG_DIR, config_name="monitor", version_base="1.3")
@user_errors_exit
def main(cfg: DictConfig) -> None:
    run_job(cfg, hydra_output_dir())


if __name__ == "__main__":
    main()

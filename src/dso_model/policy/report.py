"""The evaluation's outputs: a printed table, files in the run folder, an MLflow run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from dso_model.policy.evaluate import PolicyEvaluation

HEADERS = {
    "policy": "policy",
    "dso": "DSO",
    "bpdso": "BPDSO",
    "add": "ADD",
    "cei": "CEI",
    "complaints_per_1000": "complaints/1k",
    "public_posts_per_1000": "posts/1k",
    "opt_outs_per_1000": "opt-outs/1k",
    "contacts": "contacts",
    "contacts_per_invoice": "contacts/inv",
    "contact_cost": "cost",
    "write_off_amount": "written off",
}
UPLIFT_COLUMNS = ["channel", "hour", "offset", "template", "p_read", "days_saved", "uplift"]
OPE_COLUMNS = ["target", "estimator", "value", "lower", "upper", "ess", "rollout_truth", "covered"]


def markdown_table(frame: pd.DataFrame, digits: int = 2) -> str:
    """A GitHub-flavoured markdown table (numbers rounded)."""

    def cell(v) -> str:
        if isinstance(v, bool | np.bool_):
            return "yes" if v else "no"
        if isinstance(v, float | np.floating):
            return "" if np.isnan(v) else f"{v:,.{digits}f}"
        return str(v)

    head = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def render_report(result: PolicyEvaluation, data_name: str) -> str:
    """The comparison table, the targets and the off-policy check as markdown text."""
    info = result.info
    lines = [
        f"## Policy comparison on {data_name}: {info['horizon_months']} months from "
        f"{info['start']}, {info['holdout_customers']} held-out customers",
        "",
        markdown_table(result.table.rename(columns=HEADERS)),
        "",
    ]
    if result.targets:
        t = result.targets
        lines += [
            "Next best action against reactive dunning: "
            f"DSO {t['dso_change_vs_dunning_pct']:+.1f} %, "
            f"contacts x{t['contacts_ratio_vs_dunning']:.2f}, "
            f"complaints {t['complaints_diff_vs_dunning']:+.1f} per 1,000"
            + (
                f", {t['share_of_oracle_reduction_pct']:.0f} % of the oracle's DSO reduction"
                if "share_of_oracle_reduction_pct" in t
                else ""
            ),
            "",
        ]
    if result.off_policy is not None:
        lines += [
            "## Off-policy estimates (balance-days per invoice, lower is better) vs roll-out truth",
            "",
            markdown_table(result.off_policy[OPE_COLUMNS]),
            "",
        ]
    return "\n".join(lines)


def write_report(result: PolicyEvaluation, folder: Path) -> Path:
    """``policy_comparison.csv``, ``off_policy.csv`` and ``report.md``, written atomically."""
    from dso_model.io.atomic import write_atomic, write_text_atomic

    folder = Path(folder)
    write_atomic(folder / "policy_comparison.csv", lambda p: result.table.to_csv(p, index=False))
    if result.off_policy is not None:
        write_atomic(folder / "off_policy.csv", lambda p: result.off_policy.to_csv(p, index=False))
    write_text_atomic(folder / "report.md", render_report(result, "") + "\n")
    return folder


def evaluation_metrics(result: PolicyEvaluation) -> dict[str, float]:
    """Flat metric names: ``<policy>.<measure>``, ``target.<name>``, ``ope.<target>.<est>.*``."""
    metrics: dict[str, float] = {}
    for row in result.table.to_dict("records"):
        name = row.pop("policy")
        metrics |= {f"{name}.{k}": float(v) for k, v in row.items() if np.isfinite(v)}
    metrics |= {f"target.{k}": float(v) for k, v in result.targets.items() if np.isfinite(v)}
    if result.off_policy is not None:
        for row in result.off_policy.itertuples():
            base = f"ope.{row.target}.{row.estimator}"
            metrics |= {
                f"{base}.value": float(row.value),
                f"{base}.lower": float(row.lower),
                f"{base}.upper": float(row.upper),
            }
            metrics[f"ope.{row.target}.rollout_truth"] = float(row.rollout_truth)
    return metrics


def log_evaluation(result: PolicyEvaluation, cfg, data_name: str) -> str:
    """One MLflow run: the flattened config, the measures as metrics, the tables as files."""
    import mlflow
    from omegaconf import OmegaConf

    from dso_model.tracking import TrackingSettings, flatten_params, start_run

    settings = TrackingSettings.from_mapping(OmegaConf.to_container(cfg.mlflow, resolve=True))
    params = flatten_params(
        {
            "data": data_name,
            "policy": OmegaConf.to_container(cfg.policy, resolve=True),
            "eval": OmegaConf.to_container(cfg.eval, resolve=True),
        }
    )
    with start_run(settings, run_name="policy_eval", tags={"job": "policy_eval"}) as run:
        mlflow.log_params(params)
        mlflow.log_metrics(evaluation_metrics(result))
        mlflow.log_text(render_report(result, data_name), "policy_eval/report.md")
        mlflow.log_text(result.table.to_csv(index=False), "policy_eval/policy_comparison.csv")
        if result.off_policy is not None:
            mlflow.log_text(result.off_policy.to_csv(index=False), "policy_eval/off_policy.csv")
        return run.info.run_id


def response_uplift(
    model,
    features: pd.DataFrame,
    invoices: pd.DataFrame,
    customers: pd.DataFrame,
    as_of,
    *,
    hours: Sequence[int],
    offsets: Sequence[int],
    templates: Sequence[str],
) -> pd.DataFrame:
    """What a response model learned, averaged over ``invoices`` (``invoice_id``,
    ``customer_id``; ``features`` indexed by invoice id, as of ``as_of``).

    One row per channel, hour, send day relative to due (``offset``) and template: the mean
    P(read), the mean balance-days saved if read (as the decision layer prices it: never below
    zero) and the mean uplift over no contact, P(read) x days saved, taken per invoice.
    """
    from dso_model.contract.spec import CHANNELS

    inv = invoices.reset_index(drop=True)
    X = features.loc[inv["invoice_id"]]
    ids = inv["customer_id"].to_numpy()
    n = len(inv)
    reads = pd.MultiIndex.from_product([CHANNELS, list(hours)], names=["channel", "hour"])
    slots = pd.MultiIndex.from_product(
        [list(offsets), list(templates)], names=["offset", "template"]
    )
    rows = np.repeat(np.arange(n), len(reads))
    read_actions = pd.DataFrame(
        {
            "customer_id": ids[rows],
            "send_date": pd.Timestamp(as_of),
            "channel": np.tile(reads.get_level_values("channel"), n),
            "hour": np.tile(reads.get_level_values("hour"), n),
        }
    )
    p_read = model.read_probability(X.iloc[rows], read_actions, customers).reshape(n, -1)
    rows = np.repeat(np.arange(n), len(slots))
    slot_actions = pd.DataFrame(
        {
            "customer_id": ids[rows],
            "offset": np.tile(slots.get_level_values("offset"), n),
            "template": np.tile(slots.get_level_values("template"), n),
        }
    )
    effect = model.effect_of_reading(X.iloc[rows], slot_actions, customers).reshape(n, -1)
    saved = np.clip(-effect, 0.0, None)
    out = reads.to_frame(index=False).merge(slots.to_frame(index=False), how="cross")
    return out.assign(
        p_read=np.repeat(p_read.mean(axis=0), len(slots)),
        days_saved=np.tile(saved.mean(axis=0), len(reads)),
        uplift=(p_read.T @ saved / max(n, 1)).ravel(),
    )[UPLIFT_COLUMNS]

"""What limits the profile groups on a simulated book: thresholds, proxies or evidence.

Run from the project root (after ``make setup``)::

    .venv/bin/python experiments/profile-proxies/diagnose.py            # default preset, seed 7
    .venv/bin/python experiments/profile-proxies/diagnose.py data.seed=11

It trains the profile models at the monitor's cutoff exactly as ``dso-profile`` does, profiles
every month start after it and prints:

0. how often each proxy label of the training panel (months before the cutoff) is right about the
   latent group of the month the label's window starts in (precision), and how many of that
   group it catches (recall);

then, against the latent group of the month just ended:

1. macro-F1 with each threshold method of ``profiles.rules.thresholds`` (same scores);
2. the best thresholds of those scores chosen *with the truth* (a diagnostic, never a method);
3. the same features with the truth as the training label: how much a perfect proxy could add;
4. where the remaining misses are: shocks that began in the month just seen, customers on
   direct debit (collected on the due day whatever their willingness).

Steps 2-4 read the simulator's truth; nothing here changes what the product does.
"""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import pandas as pd
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from dso_model.cli._common import CONFIG_DIR
from dso_model.cli.monitor import _oracle_thresholds
from dso_model.cli.report import print_frame
from dso_model.config import register_resolvers
from dso_model.data import load_data
from dso_model.monitoring import MonitorConfig
from dso_model.profiles import ProfileConfig, assign_groups, evaluate_against_truth
from dso_model.profiles.evaluate import confusion, evaluation_rows, f1_per_group
from dso_model.profiles.model import groups_from_scores
from dso_model.profiles.training import (
    FEATURES,
    choose_thresholds,
    default_cutoff,
    features_panel,
    month_starts,
    train_profile_model,
)

GRID = np.round(np.arange(0.05, 0.96, 0.05), 2)
BEHAVIOURAL = ["able_willing", "unable", "unwilling"]


def load(overrides: list[str]):
    register_resolvers()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(config_name="monitor", overrides=overrides)
    plain = OmegaConf.to_container(cfg, resolve=True)
    loaded = load_data(cfg.data, cfg.paths)
    monitor = MonitorConfig.from_mapping(plain["monitor"])
    return loaded, ProfileConfig.from_mapping(plain["profiles"]), monitor


def macro(rows: pd.DataFrame, predicted) -> float:
    return float(f1_per_group(confusion(rows["truth"], predicted)).mean())


def validation(trained) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores and proxy labels of the validation dates the thresholds are set on."""
    panel = trained.panel.dropna(subset=["stress"])
    last = sorted(panel["as_of"].unique())[-trained.config.model.val_dates :]
    val = panel[panel["as_of"].isin(last)]
    return trained.model.predict_scores(val[FEATURES]), val[["stress", "unwilling"]]


def proxy_quality(trained, monthly: pd.DataFrame) -> pd.DataFrame:
    """Precision and recall of the stress and unwilling labels against the latent group."""
    panel = trained.panel.dropna(subset=["stress"])
    rows = evaluation_rows(panel.assign(group="able_willing"), monthly, "current")
    labelled = panel.merge(rows[["as_of", "customer_id", "truth"]], on=["as_of", "customer_id"])
    out = []
    for label, group in (("stress", "unable"), ("unwilling", "unwilling")):
        fired, true = labelled[label] == 1, labelled["truth"] == group
        out.append(
            {
                "proxy": label,
                "group": group,
                "rows": len(labelled),
                "fired": int(fired.sum()),
                "precision": float((fired & true).sum() / max(fired.sum(), 1)),
                "recall": float((fired & true).sum() / max(true.sum(), 1)),
            }
        )
    return pd.DataFrame(out)


def threshold_methods(trained, feats: pd.DataFrame, monthly: pd.DataFrame, oracle) -> pd.DataFrame:
    """Macro-F1 (previous and current month) of each threshold method on the same scores."""
    out = []
    for method in ("label_frequency", "proxy_f1"):
        rules = replace(trained.config.rules, thresholds=method)
        pair = choose_thresholds(*validation(trained), rules)
        trained.model.thresholds_ = pair
        ev = evaluate_against_truth(profile(trained.model, feats, rules), monthly, oracle)
        out.append(
            {
                "thresholds": method,
                "unable_below": pair[0],
                "unwilling_below": pair[1],
                "macro_f1_previous": ev["previous"]["macro_f1"],
                "macro_f1_current": ev["current"]["macro_f1"],
                "oracle": ev["previous"]["oracle_macro_f1"],
            }
        )
    return pd.DataFrame(out)


def profile(model, feats: pd.DataFrame, rules) -> pd.DataFrame:
    return pd.concat(
        [
            assign_groups(part.set_index("customer_id")[FEATURES], model, rules, pd.Timestamp(t))
            for t, part in feats.groupby("as_of", sort=True)
        ],
        ignore_index=True,
    )


def best_truth_thresholds(profiles: pd.DataFrame, monthly: pd.DataFrame) -> tuple[float, tuple]:
    rows = evaluation_rows(profiles, monthly, "previous")
    scored = profiles.merge(rows[["as_of", "customer_id", "truth"]], on=["as_of", "customer_id"])
    best = (0.0, (np.nan, np.nan))
    for a in GRID:
        for w in GRID:
            f1 = macro(scored, groups_from_scores(scored, a, w))
            best = max(best, (f1, (a, w)))
    return best


def truth_label_ceiling(feats, monthly, cutoff, model_cfg) -> float:
    """LightGBM on the same features with the latent group of the month just ended as label."""
    import lightgbm as lgb

    judged = feats[feats["n_judged"] >= 3].copy()
    fake = judged.assign(group="able_willing")
    rows = evaluation_rows(fake, monthly, "previous")
    data = judged.merge(rows[["as_of", "customer_id", "truth"]], on=["as_of", "customer_id"])
    y = data["truth"].map({g: i for i, g in enumerate(BEHAVIOURAL)}).to_numpy()
    train = (data["as_of"] < cutoff).to_numpy()
    clf = lgb.LGBMClassifier(
        n_estimators=model_cfg.n_estimators,
        learning_rate=model_cfg.learning_rate,
        num_leaves=model_cfg.num_leaves,
        random_state=model_cfg.seed,
        n_jobs=1,
        verbosity=-1,
    ).fit(data.loc[train, FEATURES], y[train])
    predicted = np.asarray(BEHAVIOURAL)[clf.predict_proba(data.loc[~train, FEATURES]).argmax(1)]
    return macro(data.loc[~train], predicted)


def misses(profiles: pd.DataFrame, feats: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    """Truly unable / unwilling customer-months profiled able_willing, by kind of evidence."""
    rows = evaluation_rows(profiles, monthly, "previous")
    m = monthly.assign(customer_id=monthly["customer_id"].astype("str")).sort_values(
        ["customer_id", "month"]
    )
    new_spell = m["latent_group"] != m.groupby("customer_id")["latent_group"].shift()
    m["months_in_group"] = m.groupby(new_spell.cumsum()).cumcount() + 1
    rows["month"] = rows["as_of"] - pd.offsets.MonthBegin(1)
    rows = rows.merge(
        m[["customer_id", "month", "months_in_group"]], on=["customer_id", "month"], how="left"
    ).merge(
        feats[["as_of", "customer_id", "autopay", "overdue_count"]], on=["as_of", "customer_id"]
    )
    out = []
    for group in ("unable", "unwilling"):
        g = rows[rows["truth"] == group]
        missed = g["predicted"] == "able_willing"
        out.append(
            {
                "truth": group,
                "customer_months": len(g),
                "profiled_able_willing": int(missed.sum()),
                "of_which_first_month": int((missed & (g["months_in_group"] == 1)).sum()),
                "of_which_direct_debit": int((missed & (g["autopay"] == 1)).sum()),
                "of_which_nothing_overdue": int((missed & (g["overdue_count"] == 0)).sum()),
            }
        )
    return pd.DataFrame(out)


def main(overrides: list[str]) -> None:
    loaded, pcfg, monitor = load(overrides)
    portfolio, monthly = loaded.portfolio, loaded.truth.monthly
    cutoff = pd.Timestamp(monitor.cutoff) if monitor.cutoff else default_cutoff(portfolio, 0.5)
    trained = train_profile_model(portfolio, cutoff, pcfg)
    dates = month_starts(cutoff, portfolio.as_of + pd.Timedelta(days=1))
    feats = features_panel(portfolio, dates, pcfg)
    print_frame(proxy_quality(trained, monthly), "0. Proxy labels (training panel)", "{:.3f}")
    oracle = _oracle_thresholds(loaded)
    methods = threshold_methods(trained, feats, monthly, oracle)
    print_frame(methods, "1. Threshold methods", "{:.3f}")
    trained.model.thresholds_ = choose_thresholds(*validation(trained), pcfg.rules)
    profiles = profile(trained.model, feats, pcfg.rules)
    f1, pair = best_truth_thresholds(profiles, monthly)
    print(
        f"2. Best thresholds chosen with the truth: macro-F1 {f1:.3f} "
        f"(unable below {pair[0]:.2f}, unwilling below {pair[1]:.2f})"
    )
    history = features_panel(
        portfolio, month_starts(portfolio.invoices["issue_date"].min(), cutoff), pcfg
    )
    ceiling = truth_label_ceiling(pd.concat([history, feats]), monthly, cutoff, pcfg.model)
    print(f"3. Same features, truth as the label: macro-F1 {ceiling:.3f}")
    print_frame(misses(profiles, feats, monthly), "4. Missed customer-months", "{:,.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])

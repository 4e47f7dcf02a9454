"""The response model: who reads which message when, and what reading it does to payment.

Two LightGBM parts, fitted on logged contacts (:func:`dso_model.policy.logs.contact_units`):

- :class:`ReadModel`, P(read | invoice features, channel, hour in portfolio and local time). The
  logging policy explores channels and hours at random; rows are weighted by their inverse logged
  propensity (stabilised, clipped) so that rarely chosen channels and hours weigh as much as the
  usual ones.
- :class:`EffectModel`, a doubly robust (DR) learner of the effect of *reading* a message on the
  invoice's balance-days over the horizon, as a function of the invoice's features, the send day
  relative to due, the message's purpose and tone. Reading is the treatment, the read model's
  out-of-fold probability its propensity; an unread message is taken to change nothing.

:class:`ResponseModel` ties them together. The expected balance-days saved by an action (channel,
send day, hour, template) is P(read) x (- effect of reading), the uplift over no contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dso_model.contract.lookup import first_appearances
from dso_model.contract.spec import CHANNELS, TEMPLATES, TONES
from dso_model.models.patterns import column_patterns, split_points
from dso_model.policy.config import LimitConfig
from dso_model.policy.limits import local_hour_grid, local_hours

PURPOSES = tuple(dict.fromkeys(purpose for purpose, _ in TEMPLATES.values()))
READ_ACTION_FEATURES = ("act_channel", "act_hour", "act_local_hour")
EFFECT_ACTION_FEATURES = ("act_offset", "act_purpose", "act_tone")
DESIGN_ROWS = 500_000  # design rows scored at a time


@dataclass(frozen=True)
class LgbmParams:
    """LightGBM settings (sklearn names) of one part of the response model."""

    n_estimators: int = 300
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_child_samples: int = 100
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    reg_lambda: float = 1.0
    n_jobs: int = 1  # threads fight on shared machines; one is faster there

    def make(self, objective: str, seed: int):
        import lightgbm as lgb

        cls = lgb.LGBMClassifier if objective == "binary" else lgb.LGBMRegressor
        return cls(
            objective=objective,
            subsample_freq=1,
            random_state=seed,
            verbosity=-1,
            deterministic=True,
            force_row_wise=True,
            **self.__dict__,
        )


def action_features(
    actions: pd.DataFrame, customers: pd.DataFrame, portfolio_timezone: str
) -> pd.DataFrame:
    """Numeric codes of an action: channel, hour (portfolio and customer-local), send day
    relative to due, template purpose and tone. Columns an action frame lacks come out missing
    (the effect model needs no channel or hour)."""
    out = pd.DataFrame(index=actions.index)
    if "channel" in actions and "hour" in actions:
        plan = pd.DataFrame(
            {
                "customer_id": actions["customer_id"].to_numpy(),
                "send_date": pd.to_datetime(actions["send_date"]).to_numpy(),
                "hour": actions["hour"].to_numpy(float),
            }
        )
        local = local_hours(plan, customers, _portfolio_clock(portfolio_timezone))
        out["act_channel"] = _codes(actions["channel"], CHANNELS)
        out["act_hour"] = plan["hour"].to_numpy()
        out["act_local_hour"] = np.where(np.isnan(local), plan["hour"].to_numpy(), local)
    if "template" in actions:
        template = actions["template"]
        out["act_offset"] = actions["offset"].to_numpy(float)
        out["act_purpose"] = _codes(template, PURPOSES, lambda t: TEMPLATES[t][0])
        if "tone" in actions:
            out["act_tone"] = _codes(actions["tone"], TONES)
        else:
            out["act_tone"] = _codes(template, TONES, _tone)
    return out


def _portfolio_clock(portfolio_timezone: str) -> LimitConfig:
    """Hours given on the portfolio's clock (the read model's customer-local hour feature)."""
    return LimitConfig(hour_zone="portfolio", portfolio_timezone=portfolio_timezone)


def _distinct_rows(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's number among the distinct rows of ``frame`` (in order of first appearance), and
    the first row of each."""
    code = np.zeros(len(frame), dtype=np.int64)
    for column in frame.columns:
        values, uniques = pd.factorize(frame[column], use_na_sentinel=False)
        code, _ = pd.factorize(code * len(uniques) + values)
    return code, first_appearances(code)


def _distinct_hours(hour: np.ndarray, local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (portfolio hour, local hour) pairs of two (slots, hours) grids, as rows of a
    (pairs, 2) array, and each cell's pair."""
    h_code, h_values = pd.factorize(hour.ravel())
    l_code, l_values = pd.factorize(local.ravel())
    code, combined = pd.factorize(h_code * len(l_values) + l_code)
    pairs = np.column_stack(
        [h_values[combined // len(l_values)], l_values[combined % len(l_values)]]
    )
    return code.reshape(hour.shape), pairs


def _tone(template: str) -> str:
    return TEMPLATES[template][1]


def _codes(values: pd.Series, categories: tuple[str, ...], lookup=None) -> np.ndarray:
    """The category code of each value (of ``lookup(value)`` when given), -1 for a missing or
    unknown one; looked up and coded once per distinct value."""
    code, uniques = pd.factorize(values)
    if lookup is not None:
        uniques = [lookup(value) for value in uniques]
    table = pd.Categorical(uniques, categories=list(categories)).codes.astype(np.int16)
    return np.append(table, np.int16(-1))[code]


def _with_columns(X: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """``X[names]``, without a copy when ``X`` has just these columns in this order."""
    return X if list(X.columns) == list(names) else X[names]


def _design(X: pd.DataFrame, acts: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    extra = pd.DataFrame({col: acts[col].to_numpy() for col in columns})
    return pd.concat([X.reset_index(drop=True), extra], axis=1)


def distinct_predictions(
    model,
    X: pd.DataFrame,
    acts: pd.DataFrame,
    columns: tuple[str, ...],
    rows=None,
    act_rows=None,
) -> np.ndarray:
    """The fitted LightGBM ``model``'s output (P(class 1) of a classifier) on the design rows (row
    ``rows[i]`` of ``X``, then the action ``columns`` of row ``act_rows[i]`` of ``acts``; by
    default row ``i`` of each), evaluated on the first row of each decision pattern only: the rows
    of one pattern get the very same values (:mod:`dso_model.models.patterns`)."""
    n = len(acts) if act_rows is None else len(act_rows)
    rows = np.arange(n) if rows is None else np.asarray(rows)
    act_rows = np.arange(n) if act_rows is None else np.asarray(act_rows)
    actions = acts[list(columns)].reset_index(drop=True)
    points = split_points(model.booster_)
    x_pattern = column_patterns(points, X)
    a_pattern = column_patterns(points, actions, first_feature=X.shape[1])
    design = (model, X, rows, actions, act_rows, columns)
    if x_pattern is None or a_pattern is None or n < 2:
        return _predict_in_parts(*design, np.arange(n))
    pattern, _ = pd.factorize(x_pattern[rows] * (a_pattern.max() + 1) + a_pattern[act_rows])
    return _predict_in_parts(*design, first_appearances(pattern))[pattern]


def _predict_in_parts(model, X, rows, actions, act_rows, columns, which) -> np.ndarray:
    """The model's output on the design rows ``which``, ``DESIGN_ROWS`` at a time (bounds the
    memory of the design). Numeric features go to the booster as one float matrix, built
    directly from ``X``'s values: the same numbers LightGBM would read off the design frame."""
    if not len(which):
        return np.zeros(0)
    matrices = _design_matrices(X, actions)
    parts = [which[i : i + DESIGN_ROWS] for i in range(0, len(which), DESIGN_ROWS)]
    if matrices is None:
        return np.concatenate(
            [
                _frame_output(model, _design(X.iloc[rows[p]], actions.iloc[act_rows[p]], columns))
                for p in parts
            ]
        )
    x, a = matrices
    threads = model.n_jobs if isinstance(model.n_jobs, int) and model.n_jobs > 0 else 0
    out = []
    for p in parts:
        design = np.empty((len(p), x.shape[1] + a.shape[1]))
        design[:, : x.shape[1]] = x[rows[p]]
        design[:, x.shape[1] :] = a[act_rows[p]]
        out.append(model.booster_.predict(design, num_threads=threads))
    return np.concatenate(out)


def _design_matrices(X: pd.DataFrame, actions: pd.DataFrame):
    """``X`` and ``actions`` as arrays when every column is a plain number (LightGBM reads such a
    design frame as float64 values), else ``None`` (category columns are recoded by LightGBM)."""
    dtypes = (*X.dtypes, *actions.dtypes)
    if not all(isinstance(d, np.dtype) and d.kind in "fiu" for d in dtypes):
        return None
    # row-major: the design gathers whole rows (a frame's values come out column-major)
    return np.ascontiguousarray(X.to_numpy()), actions.to_numpy(np.float64)


def _frame_output(model, design: pd.DataFrame) -> np.ndarray:
    if hasattr(model, "predict_proba"):
        return model.predict_proba(design)[:, 1]
    return model.predict(design)


def stabilised_weights(propensity: np.ndarray, clip: float) -> np.ndarray:
    """1 / propensity scaled to mean 1 and capped at ``clip``; missing propensities weigh 1."""
    p = np.asarray(propensity, dtype=float)
    w = np.where(np.isfinite(p) & (p > 0), 1.0 / np.where(p > 0, p, 1.0), np.nan)
    w = w / np.nanmean(w) if np.isfinite(w).any() else np.ones_like(p)
    return np.clip(np.nan_to_num(w, nan=1.0), 1.0 / clip, clip)


def customer_folds(customer_ids: pd.Series, n_folds: int, seed: int) -> np.ndarray:
    """A fold number per row, the same for all rows of a customer (no leakage across folds)."""
    codes, _ = pd.factorize(customer_ids)
    rng = np.random.default_rng(seed)
    return rng.integers(0, n_folds, codes.max() + 1 if len(codes) else 0)[codes]


@dataclass
class ReadModel:
    """P(read | features, channel, hours), weighted by inverse logged propensity."""

    params: LgbmParams = field(default_factory=LgbmParams)
    weight_clip: float = 20.0
    seed: int = 0

    def fit(self, X: pd.DataFrame, acts: pd.DataFrame, read, propensity=None) -> ReadModel:
        w = stabilised_weights(
            propensity if propensity is not None else np.ones(len(X)), self.weight_clip
        )
        self.model_ = self.params.make("binary", self.seed)
        self.model_.fit(
            _design(X, acts, READ_ACTION_FEATURES), np.asarray(read, int), sample_weight=w
        )
        self.feature_names_ = list(X.columns)
        return self

    def predict(self, X: pd.DataFrame, acts: pd.DataFrame, rows=None, act_rows=None) -> np.ndarray:
        """P(read) of the actions of ``acts`` with the features of rows of ``X`` (design row
        ``i``: ``rows[i]`` of ``X``, ``act_rows[i]`` of ``acts``, by default row ``i`` of each),
        scored once per decision pattern."""
        return distinct_predictions(
            self.model_,
            _with_columns(X, self.feature_names_),
            acts,
            READ_ACTION_FEATURES,
            rows,
            act_rows,
        )


@dataclass
class EffectModel:
    """DR-learner of the effect of reading a message on balance-days (negative: fewer days)."""

    outcome_params: LgbmParams = field(default_factory=LgbmParams)
    effect_params: LgbmParams = field(
        default_factory=lambda: LgbmParams(n_estimators=200, num_leaves=15, min_child_samples=300)
    )
    n_folds: int = 2
    propensity_clip: float = 0.03
    seed: int = 0

    def fit(self, X, acts, read, y, read_prob, groups) -> EffectModel:
        """``read_prob`` must be out-of-fold; ``groups`` (customer ids) define the folds."""
        t = np.asarray(read, dtype=float)
        y = np.asarray(y, dtype=float)
        mu1, mu0 = self._cross_fitted_outcomes(X, acts, t, y, groups)
        e = np.clip(np.asarray(read_prob, float), self.propensity_clip, 1 - self.propensity_clip)
        pseudo = mu1 - mu0 + t * (y - mu1) / e - (1 - t) * (y - mu0) / (1 - e)
        self.model_ = self.effect_params.make("regression", self.seed)
        self.model_.fit(_design(X, acts, EFFECT_ACTION_FEATURES), pseudo)
        self.feature_names_ = list(X.columns)
        self.mean_effect_ = float(np.mean(pseudo))
        return self

    def _cross_fitted_outcomes(self, X, acts, t, y, groups):
        cols = (*EFFECT_ACTION_FEATURES, "treated")
        design = _design(X, acts.assign(treated=t), cols)
        folds = customer_folds(pd.Series(groups), self.n_folds, self.seed)
        mu1, mu0 = np.zeros(len(y)), np.zeros(len(y))
        for k in range(self.n_folds):
            train, test = folds != k, folds == k
            model = self.outcome_params.make("regression", self.seed + k)
            model.fit(design[train], y[train])
            mu1[test] = model.predict(design[test].assign(treated=1.0))
            mu0[test] = model.predict(design[test].assign(treated=0.0))
        return mu1, mu0

    def predict(self, X: pd.DataFrame, acts: pd.DataFrame, rows=None, act_rows=None) -> np.ndarray:
        """Effect of reading the actions of ``acts`` with the features of rows of ``X`` (design
        row ``i``: ``rows[i]`` of ``X``, ``act_rows[i]`` of ``acts``, by default row ``i`` of
        each), computed once per decision pattern."""
        return distinct_predictions(
            self.model_,
            _with_columns(X, self.feature_names_),
            acts,
            EFFECT_ACTION_FEATURES,
            rows,
            act_rows,
        )


@dataclass
class ResponseModel:
    """Read probability and effect of reading, fitted together on logged contacts."""

    horizon_days: int = 60
    portfolio_timezone: str = "Europe/Madrid"
    read: ReadModel = field(default_factory=ReadModel)
    effect: EffectModel = field(default_factory=EffectModel)
    n_folds: int = 2
    seed: int = 0
    info_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def fit(self, X: pd.DataFrame, units: pd.DataFrame, customers: pd.DataFrame) -> ResponseModel:
        """``X``: features of each unit's invoice at the contact day, aligned with ``units``."""
        acts = action_features(units, customers, self.portfolio_timezone)
        oof = self._out_of_fold_read(X, acts, units)
        self.read.fit(X, acts, units["read"], units["propensity"])
        self.effect.fit(X, acts, units["read"], units["y"], oof, units["customer_id"])
        self.info_ = {
            "units": len(units),
            "read_rate": float(units["read"].mean()),
            "mean_effect_of_reading": self.effect.mean_effect_,
        }
        return self

    def _out_of_fold_read(self, X, acts, units) -> np.ndarray:
        folds = customer_folds(units["customer_id"], self.n_folds, self.seed + 1)
        oof = np.zeros(len(units))
        for k in range(self.n_folds):
            train, test = folds != k, folds == k
            part = ReadModel(self.read.params, self.read.weight_clip, self.seed + k)
            part.fit(X[train], acts[train], units["read"][train], units["propensity"][train])
            oof[test] = part.predict(X[test], acts[test])
        return oof

    def read_probability(self, X, actions, customers) -> np.ndarray:
        return self.read.predict(X, action_features(actions, customers, self.portfolio_timezone))

    def read_grid(self, X: pd.DataFrame, slots: pd.DataFrame, customers, hours) -> np.ndarray:
        """P(read) of each slot (``X``: its invoice's features, same rows) on every channel and
        hour, as a (slots, channels, hours) array; the customer's local hour is found once per
        zone and send day, the probability once per decision pattern."""
        n, n_c, n_h = len(slots), len(CHANNELS), len(hours)
        plan = pd.DataFrame(
            {
                "customer_id": slots["customer_id"].to_numpy(),
                "send_date": pd.to_datetime(slots["send_date"]).to_numpy(),
            }
        )
        local = local_hour_grid(plan, hours, customers, _portfolio_clock(self.portfolio_timezone))
        hour = np.tile(np.asarray(hours, dtype=float), (n, 1))
        pair, pairs = _distinct_hours(hour, np.where(np.isnan(local), hour, local))
        cells = pd.DataFrame(
            {
                "act_channel": np.repeat(_codes(pd.Series(CHANNELS), CHANNELS), len(pairs)),
                "act_hour": np.tile(pairs[:, 0], n_c),
                "act_local_hour": np.tile(pairs[:, 1], n_c),
            }
        )
        cell = np.arange(n_c)[None, :, None] * len(pairs) + pair[:, None, :]  # (slot, ch, hour)
        rows = np.repeat(np.arange(n), n_c * n_h)
        return self.read.predict(X, cells, rows, cell.ravel()).reshape(n, n_c, n_h)

    def effect_of_reading(self, X, actions, customers, rows=None) -> np.ndarray:
        """Effect of reading each action, with the features of its row of ``X`` (``rows[i]``, by
        default row ``i``)."""
        acts = action_features(actions, customers, self.portfolio_timezone)
        act_rows, first = _distinct_rows(acts[list(EFFECT_ACTION_FEATURES)])
        return self.effect.predict(X, acts.iloc[first], rows, act_rows)

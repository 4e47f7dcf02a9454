"""The world: customers, their latent traits and paths, and their invoices.

Nothing here depends on how anyone collects: two policies rolled out on the same world face the same
customers, the same invoices and the same cash-flow shocks. Everything is drawn month by month from
generators keyed by (seed, purpose, month), so a world built for more months begins with exactly the
months of a shorter one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from dso_model.contract.spec import CHANNELS, LANGUAGES, SEGMENTS
from dso_model.errors import DsoInputError
from dso_model.sim.config import SimConfig
from dso_model.sim.noise import generator

# A yearly fall of at most 90 %: a normal draw's far tail would go below -100 % on a large book.
MIN_SPEND_TREND = -0.9

N_CHANNELS = len(CHANNELS)


@dataclass(frozen=True)
class Calendar:
    """Day numbers (0 = the first simulated day) and the months they fall in."""

    start: pd.Timestamp
    month_starts: np.ndarray  # day number of each month start; one more than months
    month_of_year: np.ndarray  # 0..11 per month

    @classmethod
    def build(cls, start: str, months: int) -> Calendar:
        t0 = pd.Timestamp(start).normalize()
        bounds = pd.date_range(t0, periods=months + 1, freq="MS")
        if bounds[0] != t0:
            raise DsoInputError(f"the simulation must start on a month's first day, not {start}")
        days = (bounds - t0).days.to_numpy().astype(np.int64)
        return cls(t0, days, (bounds[:-1].month.to_numpy() - 1).astype(np.int64))

    @property
    def months(self) -> int:
        return len(self.month_starts) - 1

    @property
    def n_days(self) -> int:
        return int(self.month_starts[-1])

    def month_of(self, day: np.ndarray | int) -> np.ndarray:
        return np.searchsorted(self.month_starts, day, side="right") - 1

    def weekday(self, day: np.ndarray | int) -> np.ndarray:
        return (np.asarray(day) + self.start.day_of_week) % 7

    def dates(self, day: np.ndarray) -> np.ndarray:
        return np.datetime64(self.start.date(), "D") + np.asarray(day).astype("timedelta64[D]")


@dataclass(frozen=True)
class World:
    """Customers (static traits), monthly ability and willingness paths, and invoices."""

    config: SimConfig
    calendar: Calendar  # the months with customers and invoices
    path_months: int  # months with ability/willingness paths (may run past the calendar)
    segments: tuple[str, ...]
    countries: tuple[str, ...]
    customers: dict[str, np.ndarray]
    ability: np.ndarray  # (customers, path_months), NaN before a customer exists
    willingness: np.ndarray
    in_shock: np.ndarray
    invoices: dict[str, np.ndarray]

    @property
    def n_customers(self) -> int:
        return len(self.customers["segment"])

    @property
    def n_invoices(self) -> int:
        return len(self.invoices["customer"])


def build_world(config: SimConfig, months: int | None = None, extra_path_months: int = 0) -> World:
    """Build ``months`` months of customers and invoices (default: the config's)."""
    months = config.months if months is None else months
    calendar = Calendar.build(config.start, months)
    segments = tuple(s for s, seg in config.segments.items() if seg.share > 0)
    countries = tuple(c for c, cc in config.countries.items() if cc.share > 0)
    _check_names(config, segments)
    blocks = [_draw_block(config, calendar, segments, countries, b) for b in range(-1, months)]
    customers = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
    existing = np.cumsum([len(b["segment"]) for b in blocks])  # existing by the end of block
    paths = _draw_paths(config, customers, segments, existing, months + extra_path_months)
    invoices = _draw_invoices(config, calendar, customers, segments, existing)
    return World(
        config,
        calendar,
        months + extra_path_months,
        segments,
        countries,
        customers,
        *paths,
        invoices,
    )


def _check_names(config: SimConfig, segments: tuple[str, ...]) -> None:
    for seg in segments:
        if seg not in SEGMENTS:
            raise DsoInputError(
                f"unknown segment '{seg}' in the simulator settings",
                hint=f"segments: {', '.join(SEGMENTS)}",
            )
    for country in config.countries.values():
        for lang in country.languages:
            if lang not in LANGUAGES:
                raise DsoInputError(f"unknown language '{lang}'", hint=", ".join(LANGUAGES))
    if config.n_customers < 1 or config.months < 1:
        raise DsoInputError("the simulator needs at least one customer and one month")
    _check_stages(config)


def _check_stages(config: SimConfig) -> None:
    dunning = ("overdue_notice", "payment_plan_offer", "final_demand")
    for stage in config.logging.stages:
        if stage.channel not in CHANNELS or stage.template not in dunning:
            raise DsoInputError(
                f"logging stage at {stage.offset} days: unknown channel or template",
                hint=f"channels: {', '.join(CHANNELS)}; templates: {', '.join(dunning)}",
            )
        if stage.hour not in config.logging.hours:
            raise DsoInputError(
                f"logging stage at {stage.offset} days: hour {stage.hour} is not in logging.hours"
            )


def stack_world(world: World, copies: int, invoice_limit: int) -> tuple[World, np.ndarray]:
    """``copies`` independent copies of the world's first ``invoice_limit`` invoices in one world.

    Copy ``r`` of customer ``c`` is customer ``r * C + c``. Invoices stay sorted by issue day; the
    second result maps each stacked invoice back to its original number. Running the day-step process
    once on the stacked world gives ``copies`` replications for the price of one loop over days.
    """
    n_cust = world.n_customers
    customers = {k: np.concatenate([v] * copies) for k, v in world.customers.items()}
    inv = {k: v[:invoice_limit] for k, v in world.invoices.items()}
    tiled = {k: np.concatenate([v] * copies) for k, v in inv.items()}
    tiled["customer"] = tiled["customer"] + np.repeat(np.arange(copies) * n_cust, invoice_limit)
    order = np.argsort(tiled["issue"], kind="stable")
    tiled = {k: v[order] for k, v in tiled.items()}
    paths = (
        np.concatenate([x] * copies) for x in (world.ability, world.willingness, world.in_shock)
    )
    stacked = World(
        world.config,
        world.calendar,
        world.path_months,
        world.segments,
        world.countries,
        customers,
        *paths,
        tiled,
    )
    return stacked, order % invoice_limit


# --------------------------------------------------------------------------- customers
def _block_size(config: SimConfig, block: int) -> int:
    """Customers created in block ``block`` (-1: the initial book; m: arrivals in month m)."""
    n = config.n_customers
    arrivals = n * config.arrival_share
    if block < 0:
        return max(1, round(n - arrivals))
    per_month = arrivals / config.months
    return round(per_month * (block + 1)) - round(per_month * block)


def _created_days(config: SimConfig, cal: Calendar, block: int, n: int, rng) -> np.ndarray:
    if block < 0:
        tenure = rng.exponential(config.enrichment.tenure_mean_years * 365.0, n)
        return -1 - np.floor(tenure).astype(np.int64)
    lo, hi = _month_bounds(cal, block)
    return np.sort(rng.integers(lo, hi, n))


def _month_bounds(cal: Calendar, month: int) -> tuple[int, int]:
    if month < cal.months:
        return int(cal.month_starts[month]), int(cal.month_starts[month + 1])
    raise IndexError(month)


def _pick(rng, weights: dict[str, float] | list[float], n: int) -> np.ndarray:
    w = np.asarray(list(weights.values()) if isinstance(weights, dict) else weights, float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def _draw_block(config, cal, segments, countries, block: int) -> dict[str, np.ndarray]:
    """One block of customers: who they are and their static latent traits."""
    rng = generator(config.seed, "customers", block + 1)
    n = _block_size(config, block)
    seg = _pick(rng, [config.segments[s].share for s in segments], n)
    out = {"segment": seg, "created_day": _created_days(config, cal, block, n, rng)}
    out.update(_draw_geography(config, countries, n, rng))
    out.update(_draw_traits(config, segments, seg, rng))
    out.update(_draw_channels(config, segments, seg, rng))
    out.update(_draw_account(config, segments, seg, rng))
    return out


def _draw_geography(config: SimConfig, countries, n: int, rng) -> dict[str, np.ndarray]:
    country = _pick(rng, [config.countries[c].share for c in countries], n)
    lang = np.zeros(n, np.int64)
    tz = np.empty(n, dtype=object)
    offset = np.zeros(n, np.float64)
    ref = datetime(2024, 1, 15, 12)
    home = ZoneInfo(config.timezone).utcoffset(ref)
    for i, code in enumerate(countries):
        mine = np.flatnonzero(country == i)
        cc = config.countries[code]
        lang[mine] = (
            [
                LANGUAGES.index(x)
                for x in np.array(list(cc.languages))[_pick(rng, cc.languages, len(mine))]
            ]
            if len(mine)
            else []
        )
        zones = np.array(list(cc.timezones))[_pick(rng, cc.timezones, len(mine))]
        tz[mine] = zones
        offset[mine] = [(ZoneInfo(z).utcoffset(ref) - home).total_seconds() / 3600 for z in zones]
    return {"country": country, "language": lang, "timezone": tz, "tz_offset": offset}


def _beta(rng, params: np.ndarray) -> np.ndarray:
    return rng.beta(params[:, 0], params[:, 1])


def _per_segment(config, segments, seg, attr: str) -> np.ndarray:
    values = np.array([np.asarray(getattr(config.segments[s], attr), float) for s in segments])
    return values[seg]


def _draw_traits(config: SimConfig, segments, seg, rng) -> dict[str, np.ndarray]:
    get = lambda attr: _per_segment(config, segments, seg, attr)  # noqa: E731
    terms = _draw_terms(config, segments, seg, rng)
    offset = np.rint(rng.normal(get("pay_offset_mean"), get("pay_offset_sd")))
    offset = np.clip(offset, -(terms - 1), 60).astype(np.int64)
    dispute_mean = get("dispute_rate")
    return {
        "terms": terms,
        "pay_offset": offset,
        "ability_base": _beta(rng, get("ability_beta")),
        "willingness_base": _beta(rng, get("willingness_beta")),
        "forgetfulness": _beta(rng, get("forgetfulness_beta")),
        "reputation": _beta(rng, get("reputation_beta")),
        "dispute_propensity": np.clip(rng.gamma(0.8, dispute_mean / 0.8), 0, 0.6),
        "best_hour": np.clip(rng.normal(get("best_hour_mean"), get("best_hour_sd")), 7, 22),
    }


def _draw_terms(config: SimConfig, segments, seg, rng) -> np.ndarray:
    terms = np.zeros(len(seg), np.int64)
    u = rng.random(len(seg))
    for i, name in enumerate(segments):
        cfg = config.segments[name]
        cum = np.cumsum(cfg.terms_probs) / np.sum(cfg.terms_probs)
        pick = np.minimum(np.searchsorted(cum, u[seg == i], side="right"), len(cum) - 1)
        terms[seg == i] = np.asarray(cfg.terms_days, np.int64)[pick]
    return terms


def _draw_channels(config: SimConfig, segments, seg, rng) -> dict[str, np.ndarray]:
    """Per-channel responsiveness, with one channel each customer clearly prefers."""
    n = len(seg)
    base = np.array([[config.segments[s].responsiveness[c] for c in CHANNELS] for s in segments])
    app_user = rng.random(n) < _per_segment(config, segments, seg, "app_user_share")
    resp = base[seg] * rng.lognormal(0.0, 0.5, (n, N_CHANNELS))
    resp[:, CHANNELS.index("push")] *= app_user
    weights = resp / np.maximum(resp.sum(1, keepdims=True), 1e-9)
    preferred = (rng.random((n, 1)) > np.cumsum(weights, 1)).sum(1).clip(0, N_CHANNELS - 1)
    boost = rng.uniform(0.6, 0.95, n)
    resp[np.arange(n), preferred] = np.maximum(resp[np.arange(n), preferred], boost)
    resp = np.clip(resp, 0.0, 0.97)
    opt_p = np.array([config.contact.initial_opt_out[c] for c in CHANNELS])
    opt_out = rng.random((n, N_CHANNELS)) < opt_p
    return {
        "resp": resp,
        "app_user": app_user,
        "opt_out": opt_out,
        "preferred_channel": np.argmax(resp, 1),
    }


def _draw_account(config: SimConfig, segments, seg, rng) -> dict[str, np.ndarray]:
    n = len(seg)
    get = lambda attr: _per_segment(config, segments, seg, attr)  # noqa: E731
    spend = get("spend_median") * rng.lognormal(0.0, get("spend_sigma"))
    enr = config.enrichment
    return {
        "spend": spend,
        "spend_trend": np.maximum(rng.normal(0.0, get("spend_trend_sd")), MIN_SPEND_TREND),
        "invoices_per_month": get("invoices_per_month"),
        "monthly_billing": get("monthly_billing").astype(bool),
        "billing_day": rng.integers(1, 29, n),
        "autopay": rng.random(n) < get("autopay_share"),
        "paperless": rng.random(n) < get("paperless_share"),
        "enriched": rng.random(n) < enr.share,
        "spend_seen": spend * rng.lognormal(0.0, enr.spend_noise, n),
        "trend_noise": rng.normal(0.0, enr.trend_noise, n),
        "limit_noise": rng.lognormal(0.0, enr.credit_limit_noise, n),
        "credit_limit_months": get("credit_limit_months"),
    }


# --------------------------------------------------------------------------- paths
def _draw_paths(config: SimConfig, cust, segments, existing, months: int):
    """Monthly ability (cash-flow shocks and recoveries) and willingness (slow drift)."""
    n = len(cust["segment"])
    tr = config.traits
    shock = _per_segment(config, segments, cust["segment"], "shock_rate")
    recover = _per_segment(config, segments, cust["segment"], "recovery_rate")
    ability = np.full((n, months), np.nan, np.float32)
    willingness = np.full((n, months), np.nan, np.float32)
    in_shock = np.zeros((n, months), bool)
    state = np.zeros(n, bool)
    depth = np.ones(n)
    drift = np.zeros(n)
    for m in range(months):
        k = int(existing[min(m + 1, len(existing) - 1)])  # customers existing by the month's end
        rng = generator(config.seed, "paths", m)
        u = rng.random((3, k))
        z = rng.standard_normal((2, k))
        born = np.arange(k) >= (int(existing[min(m, len(existing) - 1)]) if m > 0 else 0)
        stationary = shock[:k] / (shock[:k] + recover[:k])
        starts = np.where(born, u[0] < stationary, ~state[:k] & (u[0] < shock[:k]))
        stays = state[:k] & (u[1] >= recover[:k]) & ~born
        new_depth = tr.shock_depth[0] + (tr.shock_depth[1] - tr.shock_depth[0]) * u[2]
        depth[:k] = np.where(starts, new_depth, depth[:k])
        state[:k] = starts | stays
        drift[:k] = tr.willingness_reversion * drift[:k] + tr.willingness_drift_sd * z[1]
        level = cust["ability_base"][:k] * np.where(state[:k], depth[:k], 1.0)
        ability[:k, m] = np.clip(level + tr.ability_noise_sd * z[0], 0.0, 1.0)
        willingness[:k, m] = np.clip(cust["willingness_base"][:k] + drift[:k], 0.0, 1.0)
        in_shock[:k, m] = state[:k]
    return ability, willingness, in_shock


# --------------------------------------------------------------------------- invoices
def _draw_invoices(config: SimConfig, cal: Calendar, cust, segments, existing) -> dict:
    parts = [
        _draw_month_invoices(config, cal, cust, m, int(existing[m + 1])) for m in range(cal.months)
    ]
    inv = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    inv["due"] = inv["issue"] + cust["terms"][inv["customer"]]
    typical = cust["spend"] / cust["invoices_per_month"]
    inv["amount_ratio"] = inv["cents"] / 100.0 / typical[inv["customer"]]
    return inv


def _draw_month_invoices(config: SimConfig, cal: Calendar, cust, month: int, k: int) -> dict:
    """This month's invoices of the first ``k`` customers, sorted by issue day then customer."""
    rng = generator(config.seed, "invoices", month)
    lo, hi = _month_bounds(cal, month)
    created = cust["created_day"][:k]
    monthly = cust["monthly_billing"][:k]
    count = np.where(monthly, 1, rng.poisson(cust["invoices_per_month"][:k]))
    who = np.repeat(np.arange(k), count)
    weekdays = np.flatnonzero(cal.weekday(np.arange(lo, hi)) < 5) + lo
    day = weekdays[rng.integers(0, len(weekdays), len(who))]
    billing = np.minimum(lo + cust["billing_day"][:k] - 1, hi - 1)
    day = np.where(monthly[who], billing[who], day)
    noise = rng.lognormal(0.0, 1.0, len(who))
    keep = day >= created[who]
    who, day, noise = who[keep], day[keep], noise[keep]
    sigma = _invoice_sigma(config, cust, who)
    growth = (1.0 + cust["spend_trend"][who]) ** (month / 12.0)
    season = config.seasonality.amount[int(cal.month_of_year[month])]
    mean = cust["spend"][who] / cust["invoices_per_month"][who] * season * growth
    amount = mean * np.exp(np.log(noise) * sigma - sigma**2 / 2)
    cents = np.maximum(100, np.rint(amount * 100)).astype(np.int64)
    order = np.lexsort((who, day))
    return {"customer": who[order], "issue": day[order].astype(np.int64), "cents": cents[order]}


def _invoice_sigma(config: SimConfig, cust, who: np.ndarray) -> np.ndarray:
    segs = [s for s, seg in config.segments.items() if seg.share > 0]
    sig = np.array([config.segments[s].invoice_sigma for s in segs])
    return sig[cust["segment"][who]]

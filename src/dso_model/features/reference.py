"""A deliberately slow, obviously correct implementation of every feature, for tests and benchmarks.

For each (invoice, cut-off) it filters the customer's rows with ``< cutoff`` and computes each
feature with plain Python loops, straight from its definition in the registry. It shares no code
with the fast path except the settings, the category encoder and the source coverage rule.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

import pandas as pd

from dso_model.contract.spec import AMOUNT_TOLERANCE, CHANNELS, CONTACT_OUTCOMES
from dso_model.features.config import FeatureConfig
from dso_model.features.encode import EVENT_GROUPS
from dso_model.features.encoding import CategoryEncoder
from dso_model.features.registry import feature_registry

NAN = float("nan")
RANK = {o: r for r, o in enumerate(CONTACT_OUTCOMES)}
ENRICHMENT = ("credit_limit", "spend_level", "spend_trend", "autopay", "paperless")


@dataclass
class Inv:
    """One invoice with its payment lines and derived settlement, write-off and close times."""

    id: str
    customer: str
    order: tuple  # (issue date, input row): the tie-break among same-day settlements
    issue: pd.Timestamp
    due: pd.Timestamp
    amount: float
    terms: float
    currency: str
    lines: list = field(default_factory=list)  # (time, amount, real, partial)
    settle: pd.Timestamp | None = None
    write_off: pd.Timestamp | None = None

    @property
    def close(self):
        times = [x for x in (self.settle, self.write_off) if x is not None]
        return min(times) if times else None


def days(delta: pd.Timedelta) -> float:
    return delta.total_seconds() / 86_400


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else NAN


def share(part: float, whole: float) -> float:
    return part / whole if whole and whole > 0 else NAN


def load_invoices(portfolio) -> dict[str, Inv]:
    invs = {}
    for row, r in enumerate(portfolio.invoices.itertuples(index=False)):
        terms = getattr(r, "terms_days", None)
        invs[r.invoice_id] = Inv(
            id=r.invoice_id,
            customer=r.customer_id,
            order=(r.issue_date, row),
            issue=r.issue_date,
            due=r.due_date,
            amount=float(r.amount),
            terms=float(terms) if terms is not None else days(r.due_date - r.issue_date),
            currency=r.currency,
        )
    for r in portfolio.payments.itertuples(index=False):
        invs[r.invoice_id].lines.append([r.payment_date, float(r.amount), True, False])
    for r in portfolio.invoices.itertuples(index=False):
        inv = invs[r.invoice_id]
        if not inv.lines and pd.notna(getattr(r, "paid_date", pd.NaT)):
            inv.lines.append([r.paid_date, inv.amount, False, False])
    for inv in invs.values():
        inv.lines.sort(key=lambda line: line[0])  # stable: same-day lines keep input order
        total = 0.0
        threshold = inv.amount - AMOUNT_TOLERANCE * max(1.0, inv.amount)
        for line in inv.lines:
            total += line[1]
            if total >= threshold and inv.settle is None:
                inv.settle = line[0]
            line[3] = line[2] and total < threshold
    for r in portfolio.events.itertuples(index=False):
        if r.event_type == "write_off" and isinstance(r.invoice_id, str) and r.invoice_id in invs:
            inv = invs[r.invoice_id]
            inv.write_off = (
                r.timestamp if inv.write_off is None else min(inv.write_off, r.timestamp)
            )
    return invs


def first_time(frame: pd.DataFrame, column: str):
    return frame[column].min() if len(frame) else None


def reference_features(
    portfolio,
    cutoffs: pd.DataFrame,
    config: FeatureConfig | None = None,
    encoder: CategoryEncoder | None = None,
) -> pd.DataFrame:
    """The same frame as :func:`~dso_model.features.build_features`, the slow way."""
    cfg = config or FeatureConfig()
    encoder = encoder or CategoryEncoder().fit(portfolio.customers, portfolio.invoices)
    invs = load_invoices(portfolio)
    world = {
        "invs": invs,
        "customers": {r["customer_id"]: r for r in portfolio.customers.to_dict("records")},
        "contacts": list(portfolio.contacts.itertuples(index=False)),
        "events": list(portfolio.events.itertuples(index=False)),
        "first_line": first_time(portfolio.payments, "payment_date"),
        "first_contact": first_time(portfolio.contacts, "timestamp"),
        "first_event": {
            group: first_time(
                portfolio.events[portfolio.events["event_type"].isin(kinds)], "timestamp"
            )
            for group, kinds in EVENT_GROUPS.items()
        },
    }
    rows = []
    for r in cutoffs.itertuples(index=False):
        inv, t = invs[str(r.invoice_id)], pd.Timestamp(r.cutoff)
        feats = {}
        feats.update(history(world, inv, t, cfg))
        feats.update(exposure(world, inv, t))
        feats.update(channels(world, inv, t, cfg))
        feats.update(reputation(world, inv, t, cfg))
        feats.update(attributes(world, inv, t, cfg, encoder, feats))
        feats.update(invoice(world, inv, t, cfg, encoder))
        rows.append(feats)
    specs = feature_registry(cfg)
    frame = pd.DataFrame(rows, columns=[s.name for s in specs])
    frame = frame.astype({s.name: s.dtype for s in specs})
    frame.index = pd.Index(cutoffs["invoice_id"].astype("str"), name="invoice_id")
    return frame


def covered(first, t) -> bool:
    return first is not None and first < t


def others(world, inv: Inv) -> list[Inv]:
    return [j for j in world["invs"].values() if j.customer == inv.customer and j.id != inv.id]


# ---------------------------------------------------------------------------------- history
def history(world, inv: Inv, t, cfg: FeatureConfig) -> dict:
    mine = others(world, inv)
    settled = sorted(
        (j for j in mine if j.settle is not None and j.settle < t),
        key=lambda j: (j.settle, j.order),
    )
    late = lambda j: days_late(j) > cfg.grace_days  # noqa: E731
    out = {"hist_invoices_issued": float(sum(1 for j in mine if j.issue < t))}
    out.update(summary(settled, "", late))
    for w in cfg.windows_days:
        recent = [j for j in settled if j.settle >= t - pd.Timedelta(days=w)]
        out.update(summary(recent, f"_{w}d", late))
    out.update(decayed(settled, t, cfg, late))
    out.update(last_k(settled, cfg.last_k))
    streak = 0
    for j in reversed(settled):
        if late(j):
            break
        streak += 1
    out["hist_on_time_streak"] = float(streak)
    late_ones = [j for j in settled if late(j)]
    out["hist_days_since_late"] = days(t - late_ones[-1].settle) if late_ones else NAN
    own_lines = [
        line for j in world["invs"].values() if j.customer == inv.customer for line in j.lines
    ]
    before = [line[0] for line in own_lines if line[0] < t]
    out["hist_days_since_payment"] = days(t - max(before)) if before else NAN
    partial = sum(1 for j in mine for line in j.lines if line[3] and line[0] < t)
    out["hist_partial_payments"] = float(partial) if covered(world["first_line"], t) else NAN
    out.update(event_history(world, inv, t))
    return out


def days_late(j: Inv) -> float:
    return max(0.0, days(j.settle - j.due))


def summary(settled: list[Inv], suffix: str, late) -> dict:
    return {
        f"hist_paid_count{suffix}": float(len(settled)),
        f"hist_late_share{suffix}": mean(1.0 if late(j) else 0.0 for j in settled),
        f"hist_days_late_mean{suffix}": mean(days_late(j) for j in settled),
        f"hist_days_to_pay_mean{suffix}": mean(days(j.settle - j.issue) for j in settled),
    }


def decayed(settled: list[Inv], t, cfg: FeatureConfig, late) -> dict:
    weights = [2.0 ** (-days(t - j.settle) / cfg.decay_half_life_days) for j in settled]
    total = sum(weights)

    def weighted(values):
        return (
            sum(w * v for w, v in zip(weights, values, strict=True)) / total if total > 0 else NAN
        )

    return {
        "hist_paid_weight_decay": total,
        "hist_late_share_decay": weighted([1.0 if late(j) else 0.0 for j in settled]),
        "hist_days_late_decay": weighted([days_late(j) for j in settled]),
        "hist_days_to_pay_decay": weighted([days(j.settle - j.issue) for j in settled]),
    }


def last_k(settled: list[Inv], k: int) -> dict:
    newest_first = [days_late(j) for j in reversed(settled)][:k]
    out = {
        f"hist_days_late_last{i + 1}": newest_first[i] if i < len(newest_first) else NAN
        for i in range(k)
    }
    out[f"hist_days_late_median_last{k}"] = statistics.median(newest_first) if newest_first else NAN
    out[f"hist_days_late_max_last{k}"] = max(newest_first) if newest_first else NAN
    ys = list(reversed(newest_first))  # oldest first
    if len(ys) >= 2:
        xs = list(range(len(ys)))
        mx, my = mean(xs), mean(ys)
        out["hist_days_late_trend"] = sum(
            (x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)
        ) / sum((x - mx) ** 2 for x in xs)
    else:
        out["hist_days_late_trend"] = NAN
    return out


def customer_events(world, inv: Inv, t) -> list:
    return [e for e in world["events"] if e.customer_id == inv.customer and e.timestamp < t]


def event_history(world, inv: Inv, t) -> dict:
    evs = customer_events(world, inv, t)
    count = lambda kind: float(sum(1 for e in evs if e.event_type == kind))  # noqa: E731
    kept, broken = count("promise_kept"), count("promise_broken")
    disputes = [e.timestamp for e in evs if e.event_type == "dispute_opened"]
    written = sum(e.value for e in evs if e.event_type == "write_off" and pd.notna(e.value))
    out = {
        "hist_write_offs": count("write_off"),
        "hist_written_off_amount": float(written),
        "hist_promises": count("promise_to_pay"),
        "hist_promises_kept": kept,
        "hist_promises_broken": broken,
        "hist_promise_kept_share": share(kept, kept + broken),
        "hist_disputes": count("dispute_opened"),
        "hist_disputes_open": max(0.0, count("dispute_opened") - count("dispute_resolved")),
        "hist_days_since_dispute": days(t - max(disputes)) if disputes else NAN,
        "hist_plan_requests": count("plan_requested"),
        "hist_plans_agreed": count("plan_agreed"),
    }
    groups = {
        "write_offs": ("hist_write_offs", "hist_written_off_amount"),
        "promises": (
            "hist_promises",
            "hist_promises_kept",
            "hist_promises_broken",
            "hist_promise_kept_share",
        ),
        "disputes": ("hist_disputes", "hist_disputes_open", "hist_days_since_dispute"),
        "plans": ("hist_plan_requests", "hist_plans_agreed"),
    }
    for group, names in groups.items():
        if not covered(world["first_event"][group], t):
            out.update(dict.fromkeys(names, NAN))
    return out


# ---------------------------------------------------------------------------------- exposure
def unpaid_at(j: Inv, t) -> float:
    return j.amount - sum(line[1] for line in j.lines if line[0] < t)


def exposure(world, inv: Inv, t) -> dict:
    mine = others(world, inv)
    open_ = [j for j in mine if j.issue < t and not (j.close is not None and j.close < t)]
    overdue = [j for j in open_ if j.due < t]
    issued = [j.amount for j in mine if j.issue < t]
    customer = world["customers"][inv.customer]
    limit = (
        float(customer.get("credit_limit", NAN))
        if pd.notna(customer.get("credit_limit", NAN))
        else NAN
    )
    balance = sum(unpaid_at(j, t) for j in open_)
    return {
        "exp_open_count": float(len(open_)),
        "exp_open_balance": balance,
        "exp_overdue_count": float(len(overdue)),
        "exp_overdue_balance": sum(unpaid_at(j, t) for j in overdue),
        "exp_oldest_open_days": max((days(t - j.issue) for j in open_), default=NAN),
        "exp_oldest_overdue_days": max((days(t - j.due) for j in overdue), default=NAN),
        "exp_amount_vs_mean": share(inv.amount, mean(issued)) if issued else NAN,
        "exp_amount_vs_credit_limit": share(inv.amount, limit),
        "exp_utilisation": share(balance + inv.amount, limit),
        "exp_invoice_paid_share": (inv.amount - unpaid_at(inv, t)) / inv.amount,
    }


# ---------------------------------------------------------------------------------- channels
def channels(world, inv: Inv, t, cfg: FeatureConfig) -> dict:
    seen = [c for c in world["contacts"] if c.customer_id == inv.customer and c.timestamp < t]
    paid_days = [
        line[0] for j in world["invs"].values() if j.customer == inv.customer for line in j.lines
    ]
    span = pd.Timedelta(days=cfg.response_window_days + 1)
    out = {}
    for ch in CHANNELS:
        mine = [c for c in seen if c.channel == ch]
        resolved = [c for c in mine if c.timestamp.normalize() + span <= t]
        followed = [
            c
            for c in resolved
            if any(c.timestamp.normalize() <= p < c.timestamp.normalize() + span for p in paid_days)
        ]
        out[f"ch_{ch}_contacts"] = float(len(mine))
        out[f"ch_{ch}_open_rate"] = share(
            sum(RANK[c.outcome] >= RANK["opened"] for c in mine), len(mine)
        )
        out[f"ch_{ch}_reply_rate"] = share(
            sum(RANK[c.outcome] >= RANK["replied"] for c in mine), len(mine)
        )
        out[f"ch_{ch}_paid_after_share"] = share(len(followed), len(resolved))
        out[f"ch_{ch}_days_since"] = days(t - max(c.timestamp for c in mine)) if mine else NAN
    out["ch_contacts"] = float(len(seen))
    for p in cfg.pressure_windows_days:
        out[f"ch_contacts_{p}d"] = float(
            sum(1 for c in seen if c.timestamp >= t - pd.Timedelta(days=p))
        )
    out["ch_days_since_contact"] = days(t - max(c.timestamp for c in seen)) if seen else NAN
    out["ch_promise_rate"] = share(sum(c.outcome == "promise_to_pay" for c in seen), len(seen))
    replied = [c.timestamp.hour for c in seen if RANK[c.outcome] >= RANK["replied"]]
    out["ch_response_hour_mean"] = mean(replied)
    out["ch_invoice_contacts"] = float(sum(1 for c in seen if c.invoice_id == inv.id))
    if not covered(world["first_contact"], t):
        out = dict.fromkeys(out, NAN)
    return out


# ---------------------------------------------------------------------------------- reputation
def reputation(world, inv: Inv, t, cfg: FeatureConfig) -> dict:
    evs = customer_events(world, inv, t)
    w = cfg.reputation_window_days
    since = t - pd.Timedelta(days=w)
    complaints = [e.timestamp for e in evs if e.event_type == "complaint"]
    mentions = [e for e in evs if e.event_type == "social_mention"]
    scored = [e.sentiment for e in mentions if pd.notna(e.sentiment)]
    out = {
        "rep_complaints": float(len(complaints)),
        f"rep_complaints_{w}d": float(sum(1 for x in complaints if x >= since)),
        "rep_days_since_complaint": days(t - max(complaints)) if complaints else NAN,
        "rep_mentions": float(len(mentions)),
        f"rep_mentions_{w}d": float(sum(1 for e in mentions if e.timestamp >= since)),
        "rep_days_since_mention": days(t - max(e.timestamp for e in mentions)) if mentions else NAN,
        "rep_mention_sentiment_mean": mean(scored),
        "rep_mention_negative_share": share(sum(1 for s in scored if s < 0), len(scored)),
    }
    if not covered(world["first_event"]["reputation"], t):
        out = dict.fromkeys(out, NAN)
    return out


# ---------------------------------------------------------------------------------- attributes
def as_float(value) -> float:
    return NAN if value is None or pd.isna(value) else float(value)


def last_state(evs: list, on: str, off: str | None, channel: str | None, default: float) -> float:
    state = default
    for e in sorted(evs, key=lambda e: e.timestamp):  # stable: same-time events keep input order
        if channel is not None and e.channel != channel:
            continue
        if e.event_type == on:
            state = 1.0
        elif off is not None and e.event_type == off:
            state = 0.0
    return state


def attributes(
    world, inv: Inv, t, cfg: FeatureConfig, encoder: CategoryEncoder, feats: dict
) -> dict:
    c = world["customers"][inv.customer]
    evs = customer_events(world, inv, t)
    code = lambda column: int(encoder.transform(column, [c[column]])[0])  # noqa: E731
    out = {
        "attr_segment": code("segment"),
        "attr_country": code("country"),
        "attr_language": code("language"),
        "attr_tenure_days": days(t - c["created_date"]),
        "attr_credit_limit": as_float(c.get("credit_limit")),
        "attr_spend_level": as_float(c.get("spend_level")),
        "attr_spend_trend": as_float(c.get("spend_trend")),
        "attr_autopay": last_state(
            evs, "autopay_on", "autopay_off", None, as_float(c.get("autopay"))
        ),
        "attr_paperless": last_state(evs, "paperless_on", None, None, as_float(c.get("paperless"))),
    }
    for ch in CHANNELS:
        out[f"attr_opted_out_{ch}"] = last_state(
            evs, "opt_out", "opt_in", ch, as_float(c.get(f"opt_out_{ch}"))
        )
    issued, paid = feats["hist_invoices_issued"], feats["hist_paid_count"]
    out["attr_no_history"] = int(issued == 0)
    out["attr_short_history"] = int(issued > 0 and paid < cfg.short_history_invoices)
    out["attr_no_enrichment"] = int(all(math.isnan(as_float(c.get(k))) for k in ENRICHMENT))
    return out


# ---------------------------------------------------------------------------------- invoice
def invoice(world, inv: Inv, t, cfg: FeatureConfig, encoder: CategoryEncoder) -> dict:
    m = cfg.month_end_days
    month_end = lambda d: int(d.days_in_month - d.day < m)  # noqa: E731
    disputed = any(
        e.event_type == "dispute_opened" and e.invoice_id == inv.id
        for e in customer_events(world, inv, t)
    )
    country = str(world["customers"][inv.customer]["country"])
    due_holiday, between = holidays_around(country, t.normalize(), inv.due.normalize(), cfg)
    return {
        "inv_amount": inv.amount,
        "inv_log_amount": math.log1p(inv.amount),
        "inv_terms_days": inv.terms,
        "inv_currency": int(encoder.transform("currency", [inv.currency])[0]),
        "inv_days_to_due": days(inv.due - t),
        "inv_age_days": days(t - inv.issue),
        "inv_disputed": float(disputed) if covered(world["first_event"]["disputes"], t) else NAN,
        "inv_issue_weekday": inv.issue.day_of_week,
        "inv_issue_month_end": month_end(inv.issue),
        "inv_due_weekday": inv.due.day_of_week,
        "inv_due_month": inv.due.month,
        "inv_due_month_end": month_end(inv.due),
        "inv_due_weekend": int(inv.due.day_of_week >= 5),
        "inv_due_holiday": due_holiday,
        "inv_holidays_to_due": between,
        "inv_cutoff_weekday": t.day_of_week,
        "inv_cutoff_month": t.month,
    }


def holidays_around(country: str, cut_day, due_day, cfg: FeatureConfig) -> tuple[float, float]:
    import holidays

    code = country.strip().upper()
    if not cfg.use_holidays or code not in holidays.list_supported_countries():
        return NAN, NAN
    calendar = holidays.country_holidays(code)
    count, d = 0, cut_day
    while d <= due_day:
        count += d.date() in calendar
        d += pd.Timedelta(days=1)
    return float(due_day.date() in calendar), float(count)


__all__ = ["reference_features"]

"""The invoice itself and its calendar: terms, amount, days to due, month-end, weekdays, holidays.

Calendar facts (weekdays, public holidays) are known in advance, so counting the holidays between
the cut-off and the due date is not leakage. Holidays come from the ``holidays`` package for the
customer's country; countries it does not know (e.g. numeric codes) give missing values.
"""

from __future__ import annotations

import functools

import numpy as np

from dso_model.features.context import Context
from dso_model.features.encode import EVENT_CODE
from dso_model.features.timeline import DAY, build_timeline


def invoice_features(ctx: Context) -> dict[str, np.ndarray]:
    inv, code, t = ctx.book.inv, ctx.tg.inv, ctx.tg.t
    base = ctx.book.clock.base
    issue = Calendar(inv.issue[code] + base)
    due = Calendar(inv.due[code] + base)
    cutoff = Calendar(ctx.tg.t_abs)
    amount = inv.amount[code]
    m = ctx.cfg.month_end_days
    return {
        "inv_amount": amount,
        "inv_log_amount": np.log1p(amount),
        "inv_terms_days": inv.terms[code],
        "inv_currency": inv.currency[code],
        "inv_days_to_due": (inv.due[code] - t) / DAY,
        "inv_age_days": (t - inv.issue[code]) / DAY,
        "inv_disputed": disputed(ctx),
        "inv_issue_weekday": issue.weekday,
        "inv_issue_month_end": issue.month_end(m),
        "inv_due_weekday": due.weekday,
        "inv_due_month": due.month,
        "inv_due_month_end": due.month_end(m),
        "inv_due_weekend": (due.weekday >= 5).astype(np.int8),
        **holiday_features(ctx, cutoff.day, due.day),
        "inv_cutoff_weekday": cutoff.weekday,
        "inv_cutoff_month": cutoff.month,
    }


class Calendar:
    """Calendar fields of epoch seconds, computed with numpy date arithmetic."""

    def __init__(self, seconds: np.ndarray) -> None:
        self.day = seconds.astype("datetime64[s]").astype("datetime64[D]")
        month_start = self.day.astype("datetime64[M]")
        self.weekday = ((self.day.astype(np.int64) + 3) % 7).astype(np.int8)  # 1970-01-01: Thursday
        self.month = (month_start.astype(np.int64) % 12 + 1).astype(np.int8)
        self.day_of_month = (self.day - month_start.astype("datetime64[D]")).astype(np.int64) + 1
        self.days_in_month = (
            (month_start + 1).astype("datetime64[D]") - month_start.astype("datetime64[D]")
        ).astype(np.int64)

    def month_end(self, last_days: int) -> np.ndarray:
        return (self.days_in_month - self.day_of_month < last_days).astype(np.int8)


def disputed(ctx: Context) -> np.ndarray:
    """1 when a dispute about this very invoice was opened before the cut-off."""
    ev = ctx.book.events
    about = ev[(ev["type"] == EVENT_CODE["dispute_opened"]) & (ev["inv"] >= 0)]
    tl = build_timeline(about["inv"].to_numpy(), about["time"].to_numpy(), len(ctx.book.inv))
    seen = (tl.probe(ctx.tg.inv, ctx.tg.t).count > 0).astype(np.float64)
    return np.where(ctx.covered(ctx.book.coverage.event_group("disputes")), seen, np.nan)


def holiday_features(
    ctx: Context, cut_day: np.ndarray, due_day: np.ndarray
) -> dict[str, np.ndarray]:
    """Due date on a holiday, and holidays from the cut-off day to the due date, per country."""
    on_holiday = np.full(ctx.n, np.nan)
    between = np.full(ctx.n, np.nan)
    if not ctx.cfg.use_holidays or ctx.n == 0:
        return {"inv_due_holiday": on_holiday, "inv_holidays_to_due": between}
    names, country_of_customer = np.unique(
        ctx.book.customers["country_name"].to_numpy(dtype=str), return_inverse=True
    )
    country = country_of_customer.ravel()[ctx.tg.cust]
    years = (
        int(min(due_day.min(), cut_day.min()).astype("datetime64[Y]").astype(int)) + 1970,
        int(max(due_day.max(), cut_day.max()).astype("datetime64[Y]").astype(int)) + 1970,
    )
    for k, name in enumerate(names):
        calendar = holiday_days(str(name), years)
        rows = np.flatnonzero(country == k)
        if calendar is None or not len(rows):
            continue
        on_holiday[rows] = np.isin(due_day[rows], calendar)
        upto = np.searchsorted(calendar, due_day[rows], side="right")
        since = np.searchsorted(calendar, cut_day[rows], side="left")
        between[rows] = np.maximum(upto - since, 0)
    return {"inv_due_holiday": on_holiday, "inv_holidays_to_due": between}


@functools.lru_cache(maxsize=256)
def holiday_days(country: str, years: tuple[int, int]) -> np.ndarray | None:
    """Sorted public-holiday dates of ``country`` over ``years`` (inclusive), or None if unknown."""
    import holidays

    code = country.strip().upper()
    if code not in holidays.list_supported_countries():
        return None
    calendar = holidays.country_holidays(code, years=range(years[0], years[1] + 1))
    return np.sort(np.array(sorted(calendar.keys()), dtype="datetime64[D]"))

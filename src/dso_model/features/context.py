"""Timelines and look-ups shared by several feature families, each built at most once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from dso_model.features.config import FeatureConfig
from dso_model.features.encode import EVENT_CODE
from dso_model.features.prepare import Book, Targets
from dso_model.features.timeline import NEVER, Probe, Timeline, build_timeline, group_cummax

EVENT_COUNTS = {
    "promise": "promise_to_pay",
    "kept": "promise_kept",
    "broken": "promise_broken",
    "dispute": "dispute_opened",
    "resolved": "dispute_resolved",
    "plan": "plan_requested",
    "agreed": "plan_agreed",
    "write_off": "write_off",
    "complaint": "complaint",
    "mention": "social_mention",
}
LAST_EVENT = {"dispute": "dispute_opened", "complaint": "complaint", "mention": "social_mention"}


@dataclass
class Context:
    """One batch of target rows over one book, with lazily built shared timelines."""

    book: Book
    tg: Targets
    cfg: FeatureConfig

    @property
    def n(self) -> int:
        return len(self.tg.row)

    def covered(self, start: int | None) -> np.ndarray:
        """True where the source had a record strictly before the cut-off."""
        if start is None:
            return np.zeros(self.n, bool)
        return start < self.tg.t_abs

    def before(self, days_back: float = 0) -> np.ndarray:
        """Cut-off minus ``days_back`` days, in clock seconds."""
        return self.tg.t - np.int64(round(days_back * 86_400))

    @cached_property
    def issued(self) -> Probe:
        """The customer's invoices issued before the cut-off (code order is (customer, issue))."""
        inv = self.book.inv
        tl = build_timeline(
            inv.cust, inv.issue, self.book.ncust, cumulative={"amount": inv.amount}, presorted=True
        )
        return tl.probe(self.tg.cust, self.tg.t)

    @cached_property
    def self_issued(self) -> np.ndarray:
        return self.book.inv.issue[self.tg.inv] < self.tg.t

    @cached_property
    def own_lines(self) -> Probe:
        """This invoice's own payment lines before the cut-off."""
        return self.book.by_invoice.probe(self.tg.inv, self.tg.t)

    @cached_property
    def lines_by_customer(self) -> Timeline:
        lines = self.book.lines
        return build_timeline(
            lines.cust,
            lines.time,
            self.book.ncust,
            cumulative={"partial": lines.partial},
            values={"time": lines.time},
        )

    @cached_property
    def events(self) -> Timeline:
        """All events by (customer, time): running counts per type and last times per kind."""
        ev = self.book.events
        types = ev["type"].to_numpy()
        cum = {name: types == EVENT_CODE[t] for name, t in EVENT_COUNTS.items()}
        value = ev["value"].to_numpy()
        cum["write_off_value"] = np.where(cum["write_off"] & ~np.isnan(value), value, 0.0)
        sentiment = ev["sentiment"].to_numpy()
        scored = cum["mention"] & ~np.isnan(sentiment)
        cum["mention_scored"] = scored
        cum["mention_sentiment"] = np.where(scored, sentiment, 0.0)
        cum["mention_negative"] = scored & (sentiment < 0)
        cust, time = ev["cust"].to_numpy(), ev["time"].to_numpy()
        values = {
            name: group_cummax(np.where(types == EVENT_CODE[t], time, -1), cust)
            for name, t in LAST_EVENT.items()
        }
        return build_timeline(
            cust, time, self.book.ncust, cumulative=cum, values=values, presorted=True
        )

    @cached_property
    def events_now(self) -> Probe:
        return self.events.probe(self.tg.cust, self.tg.t)

    def since(self, last_time: np.ndarray) -> np.ndarray:
        """Days from ``last_time`` (clock seconds; negative or NaN: none) to the cut-off."""
        valid = np.isfinite(last_time) & (last_time >= 0) & (last_time < NEVER)
        return np.where(valid, (self.tg.t - last_time) / 86_400, np.nan)


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, missing where den is 0 or missing."""
    den = np.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(num, dtype=np.float64) / den
    out[~(den > 0)] = np.nan
    return out


def masked(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``values`` where ``keep``, else NaN (a source not covering the cut-off)."""
    if keep.all():
        return values
    return np.where(keep, values, np.nan)

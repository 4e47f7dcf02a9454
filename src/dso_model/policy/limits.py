"""Hard limits: a vectorised filter and allocator over a candidate contact plan.

Whatever the decision layer proposes passes through :func:`apply_limits` before anything is sent.
Static limits are checked row by row (autopay, open disputes, channel opt-outs, quiet hours in the
customer's zone, human review after a recent complaint or hostile public mention); caps and daily
channel capacity are then allocated day by day in priority order, counting the contacts already
sent. The result keeps every input row with a ``decision`` (send / review / blocked) and the
``reason``, so a worklist can show why something was not sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dso_model.contract.lookup import contains, positions_in
from dso_model.contract.spec import CHANNELS
from dso_model.errors import DsoInputError
from dso_model.policy.config import LimitConfig

SEND, REVIEW, BLOCKED = "send", "review", "blocked"
STATIC_REASONS = (
    "unknown_customer",
    "unknown_channel",
    "autopay",
    "dispute",
    "opt_out",
    "quiet_hours",
)
CAP_REASONS = (
    "cap_invoice_day",
    "cap_day",
    "cap_window",
    "cap_channel_day",
    "cap_channel_window",
    "capacity",
)
PLAN_COLUMNS = ("customer_id", "send_date", "hour", "channel")
_UNLIMITED = np.iinfo(np.int64).max // 4


@dataclass(frozen=True)
class LimitedPlan:
    """Every row of a candidate plan with its ``decision`` and ``reason``."""

    plan: pd.DataFrame

    @property
    def send(self) -> pd.DataFrame:
        return self.plan[self.plan["decision"] == SEND]

    @property
    def review(self) -> pd.DataFrame:
        return self.plan[self.plan["decision"] == REVIEW]

    @property
    def blocked(self) -> pd.DataFrame:
        return self.plan[self.plan["decision"] == BLOCKED]

    def reasons(self) -> pd.Series:
        """How many rows each reason stopped."""
        return self.plan.loc[self.plan["decision"] != SEND, "reason"].value_counts()


def apply_limits(
    plan: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    contacts: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    as_of: str | pd.Timestamp | None = None,
    config: LimitConfig | None = None,
) -> LimitedPlan:
    """Decide which rows of ``plan`` may be sent, which go to human review, which are blocked.

    ``plan`` has customer_id, send_date, hour and channel, optionally invoice_id and priority
    (higher first; ties keep the row order). ``contacts`` and ``events`` are what is known strictly
    before ``as_of`` (default: the first send date); contacts already sent count towards the caps.
    """
    config = config or LimitConfig()
    _check_plan(plan)
    plan = plan.copy()
    plan["send_date"] = pd.to_datetime(plan["send_date"]).dt.normalize()
    as_of = pd.Timestamp(as_of) if as_of is not None else plan["send_date"].min()
    events = _known(events, as_of)
    contacts = _known(contacts, as_of)
    reason = static_reasons(plan, customers, events, as_of, config)
    review = review_mask(plan, events, as_of, config) & (reason == "")
    decision = np.where(reason != "", BLOCKED, np.where(review, REVIEW, ""))
    reason = np.where(review, "human_review", reason)
    open_rows = np.flatnonzero(decision == "")
    dyn_decision, dyn_reason = allocate_caps(plan.iloc[open_rows], contacts, config)
    decision[open_rows] = dyn_decision
    reason[open_rows] = dyn_reason
    plan["decision"] = pd.array(decision, dtype="str")
    plan["reason"] = pd.array(reason, dtype="str")
    return LimitedPlan(plan)


def _check_plan(plan: pd.DataFrame) -> None:
    missing = [c for c in PLAN_COLUMNS if c not in plan.columns]
    if missing:
        raise DsoInputError(
            f"the contact plan lacks column(s) {missing}",
            table="plan",
            hint=f"a plan needs {', '.join(PLAN_COLUMNS)} (invoice_id and priority optional)",
        )


def _known(frame: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame | None:
    if frame is None or not len(frame):
        return None
    return frame[frame["timestamp"] < as_of]


# ---------------------------------------------------------------------------- static limits
def static_reasons(
    plan: pd.DataFrame,
    customers: pd.DataFrame,
    events: pd.DataFrame | None,
    as_of: pd.Timestamp,
    config: LimitConfig,
) -> np.ndarray:
    """The first static limit each row breaks ("" when none), in the order of STATIC_REASONS."""
    known = contains(plan["customer_id"], customers["customer_id"])
    channel_ok = plan["channel"].isin(CHANNELS).to_numpy()
    autopay = contains(plan["customer_id"], autopay_customers(customers, events))
    dispute = np.zeros(len(plan), dtype=bool)
    if config.block_open_disputes and "invoice_id" in plan:
        dispute = contains(plan["invoice_id"], open_disputes(events))
    opted = opted_out(plan, customers, events)
    quiet = quiet_mask(plan, customers, config)
    conditions = [
        ~known,
        ~channel_ok,
        autopay & config.block_autopay,
        dispute,
        opted,
        quiet,
    ]
    return np.select(conditions, list(STATIC_REASONS), default="").astype(object)


def autopay_customers(customers: pd.DataFrame, events: pd.DataFrame | None) -> pd.Index:
    """Customers on autopay: flagged in the customers table or last switched on by an event."""
    flagged = customers["customer_id"][_bool_column(customers, "autopay")]
    switched = pd.Index([], dtype=object)
    if events is not None:
        ev = events[events["event_type"].isin(["autopay_on", "autopay_off"])]
        last = ev.sort_values("timestamp", kind="stable").groupby("customer_id").tail(1)
        switched = pd.Index(last.loc[last["event_type"] == "autopay_on", "customer_id"])
    return pd.Index(flagged).union(switched)


def open_disputes(events: pd.DataFrame | None) -> pd.Index:
    """Invoices with a dispute opened and no later (or same-time) resolution."""
    if events is None or "invoice_id" not in events:
        return pd.Index([], dtype=object)
    ev = events[events["event_type"].isin(["dispute_opened", "dispute_resolved"])]
    ev = ev[ev["invoice_id"].notna()]
    last_open = ev[ev["event_type"] == "dispute_opened"].groupby("invoice_id")["timestamp"].max()
    last_done = ev[ev["event_type"] == "dispute_resolved"].groupby("invoice_id")["timestamp"].max()
    done = last_done.reindex(last_open.index)
    is_open = done.isna() | (done < last_open)
    return pd.Index(last_open.index[is_open.to_numpy()])


def opted_out(
    plan: pd.DataFrame,
    customers: pd.DataFrame,
    events: pd.DataFrame | None,
    refused: pd.MultiIndex | None = None,
) -> np.ndarray:
    """Rows whose channel the customer refused, in the customers table or by a later event
    (``refused``: :func:`refused_pairs` of the same tables, when already known)."""
    if refused is None:
        refused = refused_pairs(customers, events)
    out = np.zeros(len(plan), dtype=bool)
    channel = plan["channel"].to_numpy(dtype=object)
    refusing = pd.Series(refused.get_level_values(0)).groupby(refused.get_level_values(1))
    for ch, who in refusing:
        rows = np.flatnonzero(channel == ch)
        out[rows] = contains(plan["customer_id"].iloc[rows], who)
    return out


def refused_pairs(customers: pd.DataFrame, events: pd.DataFrame | None) -> pd.MultiIndex:
    """Every (customer, channel) the customer refused, by flag or by their latest event."""
    refused = _flagged_opt_outs(customers)
    if events is not None:
        refused = refused.union(_event_opt_outs(events))
    return refused


def _flagged_opt_outs(customers: pd.DataFrame) -> pd.MultiIndex:
    parts = []
    for ch in CHANNELS:
        ids = customers["customer_id"][_bool_column(customers, f"opt_out_{ch}")]
        parts.append(pd.DataFrame({"customer_id": ids.to_numpy(), "channel": ch}))
    frame = pd.concat(parts, ignore_index=True)
    return pd.MultiIndex.from_frame(frame.astype(object))


def _event_opt_outs(events: pd.DataFrame) -> pd.MultiIndex:
    """(customer, channel) pairs whose latest opt-out/opt-in event is an opt-out.

    An event without a channel applies to every channel.
    """
    ev = events[events["event_type"].isin(["opt_out", "opt_in"])]
    if not len(ev):
        return pd.MultiIndex.from_arrays([[], []])
    channel = ev["channel"] if "channel" in ev else pd.Series(np.nan, index=ev.index)
    ev = ev.assign(channel=channel.astype(object).where(channel.notna(), None))
    ev = ev.assign(channel=ev["channel"].map(lambda c: [c] if c else list(CHANNELS)))
    ev = ev.explode("channel").sort_values("timestamp", kind="stable")
    last = ev.groupby(["customer_id", "channel"]).tail(1)
    last = last[last["event_type"] == "opt_out"]
    return pd.MultiIndex.from_frame(last[["customer_id", "channel"]].astype(object))


def _bool_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].astype("boolean").fillna(False).to_numpy(dtype=bool)


def local_hours(plan: pd.DataFrame, customers: pd.DataFrame, config: LimitConfig) -> np.ndarray:
    """Each row's send hour on the customer's local clock (NaN when the time does not exist)."""
    hours = plan["hour"].to_numpy(dtype=float)
    if config.hour_zone == "customer":
        return hours
    zone, zones = _customer_zone_codes(plan, customers, config.portfolio_timezone)
    send_date = plan["send_date"].reset_index(drop=True)
    codes = _combined_codes(zone, send_date, hours)
    if not len(codes):
        return np.full(0, np.nan)
    _, first, row = np.unique(codes, return_index=True, return_inverse=True)
    once = _converted_hours(
        send_date.iloc[first], hours[first], zones[zone[first]], config.portfolio_timezone
    )
    return once[row]


def local_hour_grid(
    plan: pd.DataFrame, hours, customers: pd.DataFrame, config: LimitConfig
) -> np.ndarray:
    """:func:`local_hours` of each row of ``plan`` (``customer_id``, ``send_date``) sent at each
    of ``hours``, as a (rows, hours) array; each zone and send day is converted once."""
    hours = np.asarray(hours, dtype=float)
    if config.hour_zone == "customer":
        return np.tile(hours, (len(plan), 1))
    zone, zones = _customer_zone_codes(plan, customers, config.portfolio_timezone)
    send_date = plan["send_date"].reset_index(drop=True)
    days = _combined_codes(zone, send_date)
    if not len(days):
        return np.full((0, len(hours)), np.nan)
    _, first, day = np.unique(days, return_index=True, return_inverse=True)
    each = np.repeat(first, len(hours))
    once = _converted_hours(
        send_date.iloc[each], np.tile(hours, len(first)), zones[zone[each]],
        config.portfolio_timezone,
    )  # fmt: skip
    return once.reshape(len(first), len(hours))[day]


def _combined_codes(zone: np.ndarray, *columns) -> np.ndarray:
    """One integer per distinct combination of the zone code and the columns' values."""
    codes = zone.astype(np.int64)
    for column in columns:
        code, uniques = pd.factorize(column, use_na_sentinel=False)
        codes = codes * len(uniques) + code
    return codes


def _converted_hours(send_date: pd.Series, hours: np.ndarray, zones: np.ndarray, home: str):
    """Local hour of each (send day, portfolio hour) in the row's zone (see :func:`local_hours`)."""
    stamps = send_date + pd.to_timedelta(hours, unit="h")
    local = np.full(len(send_date), np.nan)
    utc = stamps.dt.tz_localize(home, ambiguous="NaT", nonexistent="NaT")
    for zone in np.unique(zones):
        rows = np.flatnonzero(zones == zone)
        converted = utc.iloc[rows].dt.tz_convert(zone)
        local[rows] = converted.dt.hour + converted.dt.minute / 60.0
    return local


def _customer_zone_codes(plan, customers, default_zone: str) -> tuple[np.ndarray, np.ndarray]:
    """Each row's time zone as a code into the distinct zones (the default where the customer
    has none or is unknown); every zone used is checked."""
    if "timezone" not in customers:
        return np.zeros(len(plan), dtype=np.int64), np.array([default_zone], dtype=object)
    zone = customers["timezone"].astype(object)
    zone = zone.where(zone.notna(), default_zone).to_numpy(dtype=object)
    code, zones = pd.factorize(np.append(zone, default_zone))
    position = positions_in(plan["customer_id"], customers["customer_id"])
    codes = np.where(position >= 0, code[position], code[-1])
    zones = np.asarray(zones, dtype=object)
    _check_zones(np.sort(zones[np.unique(codes)]))
    return codes, zones


def _check_zones(zones: np.ndarray) -> None:
    from zoneinfo import ZoneInfo

    for zone in zones:
        try:
            ZoneInfo(str(zone))
        except (KeyError, ValueError) as exc:
            raise DsoInputError(
                f"unknown time zone {zone!r}",
                table="customers",
                column="timezone",
                examples=[zone],
                hint="use IANA names such as Europe/Madrid",
            ) from exc


def is_quiet(local_hour: np.ndarray, quiet_hours: tuple[int, int]) -> np.ndarray:
    """True where a local hour falls in the quiet window [start, end) (which may wrap midnight).

    An hour that does not exist locally (NaN, a clock change) counts as quiet.
    """
    start, end = quiet_hours
    h = np.asarray(local_hour, dtype=float)
    if start == end:
        inside = np.zeros(h.shape, dtype=bool)
    elif start < end:
        inside = (h >= start) & (h < end)
    else:
        inside = (h >= start) | (h < end)
    return inside | np.isnan(h)


def quiet_mask(plan: pd.DataFrame, customers: pd.DataFrame, config: LimitConfig) -> np.ndarray:
    return is_quiet(local_hours(plan, customers, config), config.quiet_hours)


def review_customers(
    events: pd.DataFrame | None, as_of: pd.Timestamp, config: LimitConfig
) -> pd.Index:
    """Customers with a recent complaint or hostile public mention: a person decides, not rules.

    A mention without a sentiment counts as hostile (when unsure, a person looks).
    """
    if events is None:
        return pd.Index([], dtype=object)
    recent = events[events["timestamp"] >= as_of - pd.Timedelta(days=config.review_days)]
    sentiment = recent["sentiment"] if "sentiment" in recent else pd.Series(np.nan, recent.index)
    hostile = (recent["event_type"] == "social_mention") & ~(
        sentiment >= config.review_sentiment_below
    )
    complaint = (recent["event_type"] == "complaint") & config.review_on_complaint
    return pd.Index(recent.loc[hostile | complaint, "customer_id"].unique())


def review_mask(
    plan: pd.DataFrame, events: pd.DataFrame | None, as_of: pd.Timestamp, config: LimitConfig
) -> np.ndarray:
    return plan["customer_id"].isin(review_customers(events, as_of, config)).to_numpy()


# ---------------------------------------------------------------------------- caps and capacity
@dataclass
class _Counters:
    """Contacts counted on the day being allocated, per customer, channel and invoice."""

    day: np.ndarray
    window: np.ndarray
    ch_day: np.ndarray
    ch_window: np.ndarray
    inv_day: np.ndarray
    capacity: np.ndarray

    def add(self, cust: np.ndarray, chan: np.ndarray, inv: np.ndarray) -> None:
        np.add.at(self.day, cust, 1)
        np.add.at(self.window, cust, 1)
        np.add.at(self.ch_day, (cust, chan), 1)
        np.add.at(self.ch_window, (cust, chan), 1)
        np.add.at(self.inv_day, inv[inv >= 0], 1)
        np.add.at(self.capacity, chan, 1)


@dataclass(frozen=True)
class _Caps:
    per_day: int
    per_window: int
    per_invoice: int
    ch_day: np.ndarray
    ch_window: np.ndarray
    capacity: np.ndarray

    @classmethod
    def from_config(cls, config: LimitConfig) -> _Caps:
        def per_channel(values: dict[str, int]) -> np.ndarray:
            return np.array([values.get(ch, _UNLIMITED) for ch in CHANNELS], dtype=np.int64)

        return cls(
            config.per_day,
            config.per_window,
            config.per_invoice_per_day,
            per_channel(config.per_channel_per_day),
            per_channel(config.per_channel_per_window),
            per_channel(config.capacity),
        )


def allocate_caps(
    plan: pd.DataFrame, contacts: pd.DataFrame | None, config: LimitConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Allocate caps and capacity day by day, highest priority first.

    Days are taken in order because a window cap on one day depends on what earlier days sent.
    Within a day, each round gives every customer their best remaining feasible row and channel
    capacity goes to the best of those; rows that no longer fit are blocked with the cap they hit.
    """
    n = len(plan)
    decision = np.full(n, "", dtype=object)
    reason = np.full(n, "", dtype=object)
    if n == 0:
        return decision, reason
    cust, cust_ids = pd.factorize(plan["customer_id"])
    chan = pd.Categorical(plan["channel"], categories=list(CHANNELS)).codes.astype(np.int64)
    inv, inv_ids = _invoice_codes(plan)
    dates = plan["send_date"].to_numpy()
    since = dates.min() - np.timedelta64(max(config.window_days, 1), "D")
    log = _history_log(contacts, cust_ids, inv_ids, since)
    caps = _Caps.from_config(config)
    order = _priority_order(plan)
    for day in np.unique(dates):
        rows = order[dates[order] == day]
        counters = _counters_for_day(log, day, len(cust_ids), inv.max() + 1, config.window_days)
        sent = _allocate_day(rows, cust, chan, inv, caps, counters, decision, reason)
        log = _append_log(log, cust[sent], chan[sent], inv[sent], day)
    return decision, reason


def _invoice_codes(plan: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    if "invoice_id" not in plan:
        return np.full(len(plan), -1, dtype=np.int64), pd.Index([], dtype=object)
    codes, uniques = pd.factorize(plan["invoice_id"])  # missing invoice -> -1
    return codes.astype(np.int64), pd.Index(uniques)


def _priority_order(plan: pd.DataFrame) -> np.ndarray:
    """Row positions, highest priority first; ties keep the plan's order."""
    if "priority" not in plan:
        return np.arange(len(plan))
    priority = plan["priority"].to_numpy(dtype=float)
    return np.argsort(-np.nan_to_num(priority, nan=-np.inf), kind="stable")


def _history_log(contacts, cust_ids: pd.Index, inv_ids: pd.Index, since) -> pd.DataFrame:
    """Contacts already sent after the day ``since`` (older ones count towards no cap of the
    plan's days): (customer code, channel code, invoice code, day).

    Customers not in the plan keep code -1: they count towards channel capacity only.
    """
    columns = {"cust": [], "chan": [], "inv": [], "day": []}
    if contacts is not None and len(contacts):
        day = pd.to_datetime(contacts["timestamp"]).dt.normalize().to_numpy()
        recent = day > since
        contacts = contacts[[c for c in ("customer_id", "invoice_id", "channel") if c in contacts]]
        contacts = contacts[recent].assign(day=day[recent])
    if contacts is None or not len(contacts):
        return pd.DataFrame(columns).astype(
            {"cust": np.int64, "chan": np.int64, "inv": np.int64, "day": "datetime64[ns]"}
        )
    inv = (
        positions_in(contacts["invoice_id"], inv_ids)
        if "invoice_id" in contacts
        else np.full(len(contacts), -1)
    )
    chan = pd.Categorical(contacts["channel"], categories=list(CHANNELS)).codes
    return pd.DataFrame(
        {
            "cust": positions_in(contacts["customer_id"], cust_ids),
            "chan": chan.astype(np.int64),
            "inv": inv.astype(np.int64),
            "day": contacts["day"].to_numpy(),
        }
    )


def _append_log(log: pd.DataFrame, cust, chan, inv, day) -> pd.DataFrame:
    if not len(cust):
        return log
    new = pd.DataFrame({"cust": cust, "chan": chan, "inv": inv, "day": day})
    return pd.concat([log, new.astype(log.dtypes.to_dict())], ignore_index=True)


def _counters_for_day(log, day, n_cust: int, n_inv: int, window_days: int) -> _Counters:
    n_ch = len(CHANNELS)
    counters = _Counters(
        day=np.zeros(n_cust, np.int64),
        window=np.zeros(n_cust, np.int64),
        ch_day=np.zeros((n_cust, n_ch), np.int64),
        ch_window=np.zeros((n_cust, n_ch), np.int64),
        inv_day=np.zeros(max(n_inv, 1), np.int64),
        capacity=np.zeros(n_ch, np.int64),
    )
    days = log["day"].to_numpy()
    today = days == day
    in_window = (days > day - np.timedelta64(window_days, "D")) & (days <= day)
    cust, chan, inv = (log[c].to_numpy() for c in ("cust", "chan", "inv"))
    mine = cust >= 0
    known_chan = chan >= 0
    np.add.at(counters.capacity, chan[today & known_chan], 1)
    sel = mine & today
    np.add.at(counters.day, cust[sel], 1)
    np.add.at(counters.ch_day, (cust[sel & known_chan], chan[sel & known_chan]), 1)
    np.add.at(counters.inv_day, inv[sel & (inv >= 0)], 1)
    sel = mine & in_window
    np.add.at(counters.window, cust[sel], 1)
    np.add.at(counters.ch_window, (cust[sel & known_chan], chan[sel & known_chan]), 1)
    return counters


def _cap_failures(rows, cust, chan, inv, caps: _Caps, counters: _Counters) -> np.ndarray:
    c, ch, iv = cust[rows], chan[rows], inv[rows]
    inv_used = np.where(iv >= 0, counters.inv_day[np.maximum(iv, 0)], 0)
    conditions = [
        (iv >= 0) & (inv_used >= caps.per_invoice),
        counters.day[c] >= caps.per_day,
        counters.window[c] >= caps.per_window,
        counters.ch_day[c, ch] >= caps.ch_day[ch],
        counters.ch_window[c, ch] >= caps.ch_window[ch],
        counters.capacity[ch] >= caps.capacity[ch],
    ]
    return np.select(conditions, list(CAP_REASONS), default="").astype(object)


def _allocate_day(rows, cust, chan, inv, caps, counters, decision, reason) -> np.ndarray:
    """Greedy allocation of one day's rows (given best first); returns the positions sent."""
    sent: list[np.ndarray] = []
    while len(rows):
        fail = _cap_failures(rows, cust, chan, inv, caps, counters)
        bad = fail != ""
        decision[rows[bad]] = BLOCKED
        reason[rows[bad]] = fail[bad]
        rows = rows[~bad]
        if not len(rows):
            break
        _, first = np.unique(cust[rows], return_index=True)
        picks = rows[np.sort(first)]  # each customer's best row, still best first
        rank = pd.Series(chan[picks]).groupby(chan[picks]).cumcount().to_numpy()
        room = caps.capacity[chan[picks]] - counters.capacity[chan[picks]]
        accepted = picks[rank < room]
        counters.add(cust[accepted], chan[accepted], inv[accepted])
        decision[accepted] = SEND
        sent.append(accepted)
        rows = rows[~np.isin(rows, accepted)]
    return np.concatenate(sent) if sent else np.array([], dtype=np.int64)

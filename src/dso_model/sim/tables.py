"""Turn the world, the state and the records into the canonical tables and the truth tables.

``upto`` is a day number: the tables show what was known strictly before that day, so the same code
gives the final portfolio and the point-in-time view a roll-out policy sees.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pandas as pd

from dso_model.contract.spec import CHANNELS, EVENT_TYPES, INVOICE_STATUSES, LANGUAGES, TONES
from dso_model.sim.state import TEMPLATE_IDS, Recorder, State
from dso_model.sim.world import World

LATENT_GROUPS = ("able_willing", "unable", "unwilling")
OUTCOMES = ("failed", "delivered", "opened", "replied", "promise_to_pay")
FAKE_NAMES = {"es": "Cliente Ficticio", "ca": "Client Fictici", "en": "Sample Customer"}


def _arrow_ids(prefix: str, numbers: np.ndarray, width: int):
    import pyarrow as pa
    import pyarrow.compute as pc

    numbers = np.asarray(numbers, np.int64)
    if _fits_fixed_width(prefix, numbers, width):
        return _fixed_width_ids(prefix, numbers, width)
    text = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, text, "")


def _fits_fixed_width(prefix: str, numbers: np.ndarray, width: int) -> bool:
    """Every id is ``prefix`` and exactly ``width`` digits, in a plain Arrow string array."""
    if not prefix.isascii() or not len(numbers):
        return False
    row = len(prefix) + width
    small = int(numbers.min()) >= 0 and int(numbers.max()) < 10**width
    return small and len(numbers) * row < 2**31


def _fixed_width_ids(prefix: str, numbers: np.ndarray, width: int):
    """``prefix`` + zero-padded ``numbers``, written straight into the Arrow string buffers."""
    import pyarrow as pa

    head = np.frombuffer(prefix.encode("ascii"), np.uint8)
    row = len(head) + width
    chars = np.empty((len(numbers), row), np.uint8)
    chars[:, : len(head)] = head
    rest = numbers.copy()
    for k in range(row - 1, len(head) - 1, -1):
        chars[:, k] = rest % 10 + ord("0")
        rest //= 10
    offsets = np.arange(len(numbers) + 1, dtype=np.int32) * np.int32(row)
    return pa.StringArray.from_buffers(len(numbers), pa.py_buffer(offsets), pa.py_buffer(chars))


def _arrow_labels(names, codes: np.ndarray):
    import pyarrow as pa

    return pa.array([str(n) for n in names], pa.string()).take(
        pa.array(np.asarray(codes, np.int64))
    )


def _column(values, missing=None) -> pd.Series:
    if missing is not None:
        import pyarrow as pa
        import pyarrow.compute as pc

        values = pc.if_else(
            pa.array(np.asarray(missing, bool)), pa.scalar(None, pa.string()), values
        )
    return pd.Series(values, dtype="str")


def make_ids(prefix: str, numbers: np.ndarray, width: int, missing=None) -> pd.Series:
    """Zero-padded string ids such as ``C000042`` (numbers start at 1); ``missing`` rows are NA."""
    return _column(_arrow_ids(prefix, numbers, width), missing)


def labels(names, codes: np.ndarray, missing=None) -> pd.Series:
    """The names for integer codes, as a string column (``missing`` rows are NA)."""
    return _column(_arrow_labels(names, codes), missing)


def id_widths(world: World) -> dict[str, int]:
    """Fixed by the config, so a longer world (a roll-out) keeps the history's ids."""
    n = world.config.n_customers
    per_month = max(1, n * 10)
    return {
        "customer": max(6, len(str(n * 10))),
        "invoice": max(8, len(str(per_month * world.config.months))),
        "row": 9,
    }


_ID_CACHE: dict[tuple[str, int], object] | None = None  # (prefix, width) -> ids 1..n, if shared


@contextmanager
def shared_ids():
    """Within the block, customer and invoice ids are cut from one formatted array per kind.

    Formatting millions of ids is costly and the same ids appear in several tables; taking them
    from one array gives the same strings.
    """
    global _ID_CACHE
    outer = _ID_CACHE
    _ID_CACHE = {} if outer is None else outer
    try:
        yield
    finally:
        _ID_CACHE = outer


def _cached_ids(prefix: str, numbers: np.ndarray, width: int):
    """``_arrow_ids(prefix, numbers, width)``, from the shared array when one is in use."""
    numbers = np.asarray(numbers, np.int64)
    if _ID_CACHE is None or not len(numbers) or numbers.min() < 1:
        return _arrow_ids(prefix, numbers, width)
    import pyarrow as pa

    full = _ID_CACHE.get((prefix, width))
    top = int(numbers.max())
    if full is None or len(full) < top:
        full = _arrow_ids(prefix, np.arange(1, top + 1), width)
        _ID_CACHE[(prefix, width)] = full
    return full.take(pa.array(numbers - 1))


def customer_ids(world: World, idx: np.ndarray) -> pd.Series:
    return _column(_cached_ids("C", idx + 1, id_widths(world)["customer"]))


def invoice_ids(world: World, idx: np.ndarray, missing=None) -> pd.Series:
    numbers = np.maximum(idx, 0) + 1
    return _column(_cached_ids("I", numbers, id_widths(world)["invoice"]), missing)


def _dates(world: World, days: np.ndarray) -> np.ndarray:
    return world.calendar.dates(days).astype("datetime64[ns]")


def _timestamps(world: World, days: np.ndarray, hours: np.ndarray) -> np.ndarray:
    return _dates(world, days) + np.asarray(hours).astype("timedelta64[h]")


def latent_group_codes(world: World, ability: np.ndarray, willingness: np.ndarray) -> np.ndarray:
    """Indices into ``LATENT_GROUPS``."""
    tr = world.config.traits
    return np.where(ability < tr.unable_below, 1, np.where(willingness < tr.unwilling_below, 2, 0))


def latent_group(world: World, ability: np.ndarray, willingness: np.ndarray) -> np.ndarray:
    return np.asarray(LATENT_GROUPS)[latent_group_codes(world, ability, willingness)]


def latent_group_column(world: World, ability: np.ndarray, willingness: np.ndarray) -> pd.Series:
    """:func:`latent_group` as a string column, built without a NumPy string array."""
    return labels(LATENT_GROUPS, latent_group_codes(world, ability, willingness))


# --------------------------------------------------------------------------- customers
def customers_table(world: World, upto: int, opt_out: np.ndarray | None = None) -> pd.DataFrame:
    cust = world.customers
    idx = np.flatnonzero(cust["created_day"] < upto)
    enriched = cust["enriched"][idx]
    lang = cust["language"][idx]
    frame = pd.DataFrame(
        {
            "customer_id": customer_ids(world, idx),
            "created_date": _dates(world, cust["created_day"][idx]),
            "segment": labels(world.segments, cust["segment"][idx]),
            "country": labels(world.countries, cust["country"][idx]),
            "language": labels(LANGUAGES, cust["language"][idx]),
            "timezone": pd.array(cust["timezone"][idx].astype(str), dtype="str"),
        }
    )
    frame = frame.assign(**_enrichment(world, idx, enriched))
    flags = world.customers["opt_out"] if opt_out is None else opt_out
    for k, ch in enumerate(CHANNELS):
        frame[f"opt_out_{ch}"] = flags[idx, k]
    return frame.assign(**_fake_identity(world, idx, lang))


def _enrichment(world: World, idx: np.ndarray, enriched: np.ndarray) -> dict[str, object]:
    cust, enr = world.customers, world.config.enrichment
    spend = cust["spend_seen"][idx]
    limit = (
        spend
        * cust["credit_limit_months"][idx]
        * cust["limit_noise"][idx]
        * cust["ability_base"][idx] ** enr.credit_limit_ability_weight
    )
    limit = np.where(cust["credit_limit_months"][idx] > 0, np.round(limit / 100) * 100, np.nan)

    def seen(values: np.ndarray) -> np.ndarray:
        return np.where(enriched, values, np.nan)

    def flag(values: np.ndarray) -> pd.arrays.BooleanArray:
        return pd.array(np.where(enriched, values, None), dtype="boolean")

    return {
        "credit_limit": seen(limit),
        "spend_level": seen(np.round(spend, 2)),
        "spend_trend": seen(np.round(cust["spend_trend"][idx] + cust["trend_noise"][idx], 3)),
        "autopay": flag(cust["autopay"][idx]),
        "paperless": flag(cust["paperless"][idx]),
    }


def _fake_identity(world: World, idx: np.ndarray, lang: np.ndarray) -> dict[str, pd.Series]:
    """Obviously fake personal data, so that downstream tests can check it never leaks."""
    import pyarrow.compute as pc

    number = _arrow_ids("", idx + 1, id_widths(world)["customer"])
    stem = _arrow_labels([FAKE_NAMES.get(code, "Sample Customer") for code in LANGUAGES], lang)
    prefixes = [world.config.countries[c].phone_prefix for c in world.countries]
    prefix = _arrow_labels(prefixes, world.customers["country"][idx])
    join = pc.binary_join_element_wise
    return {
        "name": _column(join(stem, number, " ")),
        "email": _column(join("customer", number, "@example.invalid", "")),
        "phone": _column(join(prefix, "000", number, " ")),
    }


# --------------------------------------------------------------------------- invoices
def invoices_table(world: World, state: State, upto: int) -> pd.DataFrame:
    inv = world.invoices
    n = int(np.searchsorted(inv["issue"], upto))
    cents, rest = inv["cents"][:n], state.remaining[:n]
    paid_day = state.paid_day[:n]
    paid = (paid_day >= 0) & (paid_day < upto)
    written = (state.wo_day[:n] >= 0) & (state.wo_day[:n] < upto)
    # codes into INVOICE_STATUSES: open, paid, partially_paid, written_off
    status = np.select([paid, written, rest < cents], [1, 3, 2], default=0)
    paid_date = np.where(paid, _dates(world, np.maximum(paid_day, 0)), np.datetime64("NaT"))
    return pd.DataFrame(
        {
            "invoice_id": invoice_ids(world, np.arange(n)),
            "customer_id": customer_ids(world, inv["customer"][:n]),
            "issue_date": _dates(world, inv["issue"][:n]),
            "due_date": _dates(world, inv["due"][:n]),
            "amount": cents / 100.0,
            "currency": labels([world.config.currency], np.zeros(n, np.int64)),
            "terms_days": (inv["due"][:n] - inv["issue"][:n]).astype(np.int64),
            "paid_date": paid_date.astype("datetime64[ns]"),
            "paid_amount": (cents - rest) / 100.0,
            "status": labels(INVOICE_STATUSES, status),
        }
    )


# --------------------------------------------------------------------------- records
def _stack(chunks: list[tuple[np.ndarray, ...]], width: int) -> list[np.ndarray]:
    if not chunks:
        return [np.zeros(0)] * width
    return [np.concatenate([c[i] for c in chunks]) for i in range(width)]


def payments_table(world: World, rec: Recorder, upto: int) -> pd.DataFrame:
    day, inv, cents = _stack(rec.payments, 3)
    keep = day < upto
    day, inv, cents = day[keep].astype(np.int64), inv[keep].astype(np.int64), cents[keep]
    return pd.DataFrame(
        {
            "payment_id": make_ids("P", np.arange(1, len(day) + 1), id_widths(world)["row"]),
            "invoice_id": invoice_ids(world, inv),
            "payment_date": _dates(world, day),
            "amount": cents / 100.0,
        }
    )


def contacts_table(world: World, rec: Recorder, upto: int) -> pd.DataFrame:
    cols = _stack(rec.contacts, 11)
    day, cust, inv, hour, ch, tpl, tone, pol, prop, outcome, cost = cols
    keep = day < upto
    order = np.lexsort((hour[keep], day[keep]))
    pick = np.flatnonzero(keep)[order]
    inv_ids = invoice_ids(world, inv[pick].astype(np.int64), missing=inv[pick] < 0)
    return pd.DataFrame(
        {
            "contact_id": make_ids("K", np.arange(1, len(pick) + 1), id_widths(world)["row"]),
            "customer_id": customer_ids(world, cust[pick].astype(np.int64)),
            "invoice_id": inv_ids,
            "timestamp": _timestamps(world, day[pick].astype(np.int64), hour[pick]),
            "channel": labels(CHANNELS, ch[pick]),
            "template": labels(TEMPLATE_IDS, tpl[pick]),
            "tone": labels(TONES, tone[pick]),
            "policy": labels(rec.policies, pol[pick]),
            "propensity": prop[pick].astype(float),
            "outcome": labels(OUTCOMES, outcome[pick]),
            "cost": cost[pick].astype(float),
        }
    )


def dispute_events(world: World, state: State, upto: int) -> tuple[np.ndarray, ...]:
    """Disputes are decided at issue; they surface only while the invoice is still open."""
    n = min(state.issued, int(np.searchsorted(world.invoices["issue"], upto)))
    idx = np.flatnonzero(state.disputed[:n])
    settled = np.where(state.paid_day[idx] >= 0, state.paid_day[idx], state.wo_day[idx])
    settled = np.where(settled >= 0, settled, upto)
    ends = np.minimum(settled, upto)
    opened = idx[state.disp_open[idx] < ends]
    resolved = idx[state.disp_close[idx] < ends]
    days = np.concatenate([state.disp_open[opened], state.disp_close[resolved]])
    which = np.concatenate([opened, resolved])
    kinds = np.concatenate(
        [
            np.full(len(opened), EVENT_TYPES.index("dispute_opened")),
            np.full(len(resolved), EVENT_TYPES.index("dispute_resolved")),
        ]
    )
    hours = np.concatenate([np.full(len(opened), 10), np.full(len(resolved), 15)])
    cust = world.invoices["customer"][which]
    nan = np.full(len(which), np.nan)
    return days, hours, cust, which, kinds, np.full(len(which), -1), nan, nan


def events_table(world: World, state: State, rec: Recorder, upto: int) -> pd.DataFrame:
    chunks = [*rec.events, dispute_events(world, state, upto)]
    day, hour, cust, inv, kind, ch, sentiment, value = _stack(chunks, 8)
    keep = day < upto
    order = np.lexsort((hour[keep], day[keep]))
    pick = np.flatnonzero(keep)[order]
    inv = inv[pick].astype(np.int64)
    ch = ch[pick].astype(np.int64)
    channel = labels(CHANNELS, np.maximum(ch, 0), missing=ch < 0)
    return pd.DataFrame(
        {
            "event_id": make_ids("E", np.arange(1, len(pick) + 1), id_widths(world)["row"]),
            "customer_id": customer_ids(world, cust[pick].astype(np.int64)),
            "invoice_id": invoice_ids(world, inv, missing=inv < 0),
            "timestamp": _timestamps(world, day[pick].astype(np.int64), hour[pick]),
            "event_type": labels(EVENT_TYPES, kind[pick]),
            "channel": channel,
            "sentiment": np.round(sentiment[pick].astype(float), 3),
            "value": np.round(value[pick].astype(float), 2),
        }
    )


def portfolio_tables(
    world: World, state: State, rec: Recorder, upto: int, opt_out: np.ndarray | None = None
) -> dict[str, pd.DataFrame]:
    return {
        "customers": customers_table(world, upto, opt_out),
        "invoices": invoices_table(world, state, upto),
        "payments": payments_table(world, rec, upto),
        "contacts": contacts_table(world, rec, upto),
        "events": events_table(world, state, rec, upto),
    }

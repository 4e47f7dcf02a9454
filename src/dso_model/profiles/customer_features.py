"""Customer-level behaviour features at a date, from what was known strictly before it.

Every feature is computed on ``portfolio.snapshot(as_of)``: invoices issued, payments received,
contacts sent and events recorded before the date, with invoice status recomputed from those
payments. Nothing at or after the date can reach a feature. Customers created on or after the
date are not profiled at all.

The features describe the two things the profiles need: signs of cash-flow stress (ability:
partial payments, a growing overdue balance, lateness on everything at once, plan requests, paying
less than falls due) and signs of (un)willingness (paying after a contact or not, promises kept or
broken, paying only after escalation, disputes), plus how much is known (history, enrichment).
``CUSTOMER_FEATURES`` documents each one with Spanish and English labels for the reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dso_model.contract.lookup import map_values, positions_in
from dso_model.contract.portfolio import Portfolio, effective_payments
from dso_model.contract.spec import SEGMENTS, TEMPLATES
from dso_model.profiles.config import WindowConfig
from dso_model.profiles.tallies import count_by, share_by, sum_by

DAY = pd.Timedelta(days=1)
DUNNING_PURPOSES = ("dunning", "escalation", "plan_offer")
INVOICE_PURPOSES = ("reminder", "dunning", "escalation")
TEMPLATE_PURPOSE = {t: purpose for t, (purpose, _) in TEMPLATES.items()}
TEMPLATE_TONE = {t: tone for t, (_, tone) in TEMPLATES.items()}
ESCALATION_TONES = ("firm",)
SEGMENT_CODE = {s: i for i, s in enumerate(SEGMENTS)}
ENRICHMENT_COLUMNS = ("credit_limit", "spend_level", "spend_trend")
# The only columns of these tables that the features and the snapshot read: a numbered book keeps
# no others (less to copy at every filter). A feature that reads another one must add it here.
READ_COLUMNS = {
    "invoices": (
        "invoice_id", "customer_id", "issue_date", "due_date", "amount", "paid_date",
        "paid_amount", "status",
    ),
    "payments": ("payment_id", "invoice_id", "payment_date", "amount"),
    "contacts": ("customer_id", "invoice_id", "timestamp", "template", "tone", "outcome"),
    "events": ("customer_id", "invoice_id", "timestamp", "event_type"),
}  # fmt: skip

# name -> (label_en, label_es, direction): direction +1 when a high value signals trouble.
CUSTOMER_FEATURES: dict[str, tuple[str, str, int]] = {
    "n_invoices": ("Invoices issued", "Facturas emitidas", 0),
    "n_settled": ("Invoices paid", "Facturas pagadas", 0),
    "n_judged": ("Invoices with a known outcome", "Facturas con desenlace conocido", 0),
    "tenure_days": ("Customer tenure", "Antigüedad del cliente", 0),
    "late_share": ("Share of invoices paid late", "Proporción de facturas pagadas tarde", 1),
    "days_late_mean": ("Average days late", "Retraso medio en días", 1),
    "late_share_recent": ("Share paid late recently", "Proporción pagada tarde últimamente", 1),
    "days_late_recent": ("Days late recently", "Retraso reciente en días", 1),
    "days_late_last3": (
        "Days late, last three invoices",
        "Retraso de las tres últimas facturas",
        1,
    ),
    "delay_change": ("Delays getting longer", "Retrasos cada vez mayores", 1),
    "open_count": ("Open invoices", "Facturas pendientes", 1),
    "overdue_count": ("Overdue invoices", "Facturas vencidas", 1),
    "overdue_long_count": ("Invoices long overdue", "Facturas vencidas hace tiempo", 1),
    "overdue_share_open": (
        "Share of open invoices overdue",
        "Proporción vencida de lo pendiente",
        1,
    ),
    "oldest_overdue_days": (
        "Days overdue (oldest invoice)",
        "Días vencida (factura más antigua)",
        1,
    ),
    "overdue_rel": (
        "Overdue balance against usual billing",
        "Saldo vencido frente a la facturación habitual",
        1,
    ),
    "overdue_growth_rel": ("Overdue balance growing", "Saldo vencido en aumento", 1),
    "due_recent_unpaid_share": ("Recent invoices left unpaid", "Facturas recientes sin pagar", 1),
    "due_recent_ontime_share": (
        "Recent invoices paid on time",
        "Facturas recientes pagadas a tiempo",
        -1,
    ),
    "paid_vs_due_recent": ("Paid against amount falling due", "Pagado frente a lo vencido", -1),
    "paid_vs_due_latest": (
        "Paid this month against amount due",
        "Pagado este mes frente a lo vencido",
        -1,
    ),
    "due_latest_unpaid_share": (
        "This month's invoices left unpaid",
        "Facturas de este mes sin pagar",
        1,
    ),
    "days_since_payment": ("Days since last payment", "Días desde el último pago", 1),
    "partial_payments_recent": ("Partial payments", "Pagos parciales", 1),
    "partial_payments_long": ("Partial payments (last year)", "Pagos parciales (último año)", 1),
    "partial_payments_latest": ("Partial payments this month", "Pagos parciales este mes", 1),
    "stress_months_share": (
        "Months with partial payments or plans",
        "Meses con pagos parciales o planes",
        1,
    ),
    "partial_share_recent": (
        "Share of payments that were partial",
        "Proporción de pagos parciales",
        1,
    ),
    "partial_open_count": ("Open invoices partly paid", "Facturas pendientes pagadas en parte", 1),
    "plan_requests_recent": ("Payment-plan requests", "Solicitudes de plan de pagos", 1),
    "plan_requests_long": (
        "Payment-plan requests (last year)",
        "Solicitudes de plan de pagos (último año)",
        1,
    ),
    "plans_agreed_long": ("Payment plans agreed", "Planes de pago acordados", 1),
    "plan_events_latest": ("Payment plan requested this month", "Plan de pagos pedido este mes", 1),
    "promises_long": ("Promises to pay", "Promesas de pago", 0),
    "promises_broken_long": ("Promises broken", "Promesas incumplidas", 1),
    "promise_kept_share": ("Share of promises kept", "Proporción de promesas cumplidas", -1),
    "promises_broken_recent": ("Promises broken lately", "Promesas incumplidas últimamente", 1),
    "disputes_long": ("Disputes opened", "Disputas abiertas", 1),
    "complaints_long": ("Complaints", "Quejas", 1),
    "write_offs": ("Invoices written off", "Facturas declaradas incobrables", 1),
    "contacts_recent": ("Contacts received", "Contactos recibidos", 1),
    "dunning_recent": ("Collection notices received", "Avisos de cobro recibidos", 1),
    "ignored_dunning_recent": ("Collection notices ignored", "Avisos de cobro ignorados", 1),
    "reply_rate": ("Replies to contacts", "Respuestas a los contactos", -1),
    "promise_rate": ("Promises made when contacted", "Promesas al ser contactado", 0),
    "paid_after_contact_share": ("Pays after being contacted", "Paga tras ser contactado", -1),
    "paid_after_escalation_share": ("Pays after a firm notice", "Paga tras un aviso firme", 1),
    "escalation_only_share": ("Pays only after escalation", "Solo paga tras escalar", 1),
    "opened_paid_share": (
        "Pays an invoice once the notice is read",
        "Paga la factura tras leer el aviso",
        -1,
    ),
    "opened_ignored_recent": ("Notices read but not acted on", "Avisos leídos sin respuesta", 1),
    "plan_offers_read": ("Payment-plan offers read", "Ofertas de plan de pagos leídas", 0),
    "plan_offer_taken_share": (
        "Payment-plan offers taken",
        "Ofertas de plan de pagos aceptadas",
        1,
    ),
    "credit_limit": ("Credit limit", "Límite de crédito", -1),
    "spend_level": ("Spend level", "Nivel de gasto", 0),
    "spend_trend": ("Spend trend", "Tendencia del gasto", -1),
    "limit_to_spend": ("Credit limit against spend", "Límite de crédito frente al gasto", -1),
    "has_enrichment": ("Enrichment data on file", "Datos de enriquecimiento disponibles", 0),
    "autopay": ("Direct debit", "Domiciliación bancaria", -1),
    "segment": ("Segment", "Segmento", 0),
}


@dataclass(frozen=True)
class NumberedBook:
    """A portfolio whose customer and invoice ids are numbers that sort like the ids
    (:func:`number_ids`), and the customer ids by number.

    Pass one to :func:`customer_features` in place of the portfolio when profiling the same book at
    several dates: the ids are then numbered once rather than once per date.
    """

    portfolio: Portfolio
    names: pd.Index


def customer_features(
    portfolio: Portfolio | NumberedBook,
    as_of: str | pd.Timestamp,
    windows: WindowConfig | None = None,
    enrichment_columns: tuple[str, ...] = ENRICHMENT_COLUMNS,
    *,
    is_snapshot: bool = False,
) -> pd.DataFrame:
    """One row per customer created before ``as_of``; columns as in ``CUSTOMER_FEATURES``.

    ``portfolio`` may be a :class:`NumberedBook` of it (the same result). ``has_enrichment`` is 1
    when any of ``enrichment_columns`` (customer table) is on record. ``is_snapshot``: the
    portfolio is already ``snapshot(as_of)`` of a book with payment lines (taking it again would
    give the same tables), so it is used as it is.
    """
    w = windows or WindowConfig()
    book = portfolio if isinstance(portfolio, NumberedBook) else number_ids(portfolio)
    snap = book.portfolio if is_snapshot else book.portfolio.snapshot(as_of)
    t = snap.as_of
    index = pd.Index(snap.customers["customer_id"])
    inv = prepared_invoices(snap, t, w)
    pay = prepared_payments(snap, inv, t)
    parts = [
        history_block(snap.customers, inv, t, w),
        overdue_block(inv, pay, t, w),
        partial_block(inv, pay, t, w),
        event_block(snap.events, t, w),
        stress_months_block(snap.events, pay, t, w),
        contact_block(snap.contacts, pay, t, w),
        enrichment_block(snap.customers, enrichment_columns),
    ]
    out = fill_counts(pd.concat([p.reindex(index) for p in parts], axis=1))
    offers = out["plan_offers_read"]
    out["plan_offer_taken_share"] = (
        (out["plans_agreed_long"] / offers).clip(upper=1.0).where(offers > 0)
    )
    out.index = pd.Index(book.names[index.to_numpy(dtype=np.int64)], name="customer_id")
    return out[list(CUSTOMER_FEATURES)]


def number_ids(portfolio: Portfolio) -> NumberedBook:
    """The portfolio with customer and invoice ids replaced by numbers that sort like the ids.

    Every grouping, join and sort below then works on numbers instead of text and yields the same
    rows in the same order. Ids that are not in the customer or invoice table become NaN; payment
    ids become row numbers (nothing reads them). Every table but the customers keeps only the
    ``READ_COLUMNS``.
    """
    names, customer_numbers = sorted_ids(portfolio.customers["customer_id"])
    invoice_ids, invoice_numbers = sorted_ids(portfolio.invoices["invoice_id"])
    tables = {"customers": portfolio.customers} | {
        name: _read_columns(getattr(portfolio, name), name) for name in READ_COLUMNS
    }
    numbers = {
        "customer_id": references(tables, "customer_id", names, own="customers"),
        "invoice_id": references(tables, "invoice_id", invoice_ids, own="invoices"),
    }
    numbers["customer_id"]["customers"] = customer_numbers
    numbers["invoice_id"]["invoices"] = invoice_numbers
    numbers["payment_id"] = {"payments": np.arange(len(tables["payments"]))}
    numbered = {
        name: frame.assign(**{c: numbers[c][name] for c in numbers if name in numbers[c]})
        for name, frame in tables.items()
    }
    return NumberedBook(portfolio.with_tables(**numbered), names)


def sorted_ids(ids: pd.Series) -> tuple[pd.Index, np.ndarray]:
    """The ids as text in sorted order, and each row's id as its number there (ids unique, as the
    table contract requires)."""
    text, order = pd.Index(ids.astype("str")).sort_values(return_indexer=True)
    numbers = np.empty(len(order), dtype=float)
    numbers[order] = np.arange(len(order))
    return text, numbers


def references(
    tables: dict[str, pd.DataFrame], column: str, ids: pd.Index, own: str
) -> dict[str, np.ndarray]:
    """For every table but ``own`` with a ``column``: the number of each row's reference among the
    sorted ``ids`` (NaN when not there). One look-up for all the tables: the hash table of the
    ids is built once."""
    holders = [name for name, frame in tables.items() if column in frame and name != own]
    if not holders:
        return {}
    values = pd.concat([tables[name][column].astype("str") for name in holders], ignore_index=True)
    at = positions_in(values, ids)
    numbers = np.where(at >= 0, at, np.nan)
    ends = np.cumsum([len(tables[name]) for name in holders])[:-1]
    return dict(zip(holders, np.split(numbers, ends), strict=True))


def _read_columns(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    return frame[[c for c in frame.columns if c in READ_COLUMNS[table]]]


def prepared_invoices(snap: Portfolio, t: pd.Timestamp, w: WindowConfig) -> pd.DataFrame:
    """Invoices as known at ``t`` with settlement, lateness and what is still owed."""
    inv = snap.invoices[list(READ_COLUMNS["invoices"])]
    settled = inv["status"].eq("paid")
    days_late = (inv["paid_date"] - inv["due_date"]) / DAY
    inv = inv.assign(settled=settled)
    inv["days_late"] = days_late.where(settled).clip(lower=0)
    inv["late"] = (days_late > w.grace_days).astype(float).where(settled)
    live = inv["status"].isin(["open", "partially_paid"])
    inv["owed"] = (inv["amount"] - inv["paid_amount"]).clip(lower=0).where(live, 0.0)
    inv["overdue"] = live & (inv["due_date"] < t)
    inv["days_overdue"] = ((t - inv["due_date"]) / DAY).where(inv["overdue"])
    inv["judged"] = settled | (inv["days_overdue"] > w.judged_overdue_days)
    return inv


def prepared_payments(snap: Portfolio, inv: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    """Payment lines before ``t`` with their customer and whether they left the invoice open."""
    pay = effective_payments(snap.invoices, snap.payments)
    pay = pay[pay["payment_date"] < t]
    by_invoice = np.lexsort((pay["payment_date"].to_numpy(), pay["invoice_id"].to_numpy()))
    pay = pay.iloc[by_invoice]  # a stable sort by invoice and date; NaN ids last
    at = positions_in(pay["invoice_id"], inv["invoice_id"])
    cum = pay.groupby("invoice_id", sort=False)["amount"].cumsum()
    due = _at_rows(inv["amount"], at, pay.index)
    return pay.assign(
        partial=cum < due * (1 - 0.01), customer_id=_at_rows(inv["customer_id"], at, pay.index)
    )


def _at_rows(values: pd.Series, at: np.ndarray, index: pd.Index) -> pd.Series:
    """``values`` at the row positions ``at`` (missing where ``at`` is -1), on ``index``."""
    return values.reset_index(drop=True).reindex(at).set_axis(index)


def _rows(frame: pd.DataFrame, mask, columns: list[str]) -> pd.DataFrame:
    """The ``columns`` of the rows of ``frame`` where ``mask`` holds (only those are copied)."""
    return frame.loc[np.asarray(mask, dtype=bool), columns]


def history_block(customers: pd.DataFrame, inv: pd.DataFrame, t, w: WindowConfig) -> pd.DataFrame:
    """How much history there is and how late it was paid, overall and recently."""
    ids = inv["customer_id"]
    settled = _rows(inv, inv["settled"], ["customer_id", "paid_date", "late", "days_late"])
    recent = _rows(settled, settled["paid_date"] >= t - w.recent_days * DAY, list(settled))
    last3 = last_paid(settled, 3)
    out = pd.DataFrame(
        {
            "n_invoices": count_by(ids),
            "n_settled": sum_by(ids, inv["settled"]),
            "n_judged": sum_by(ids, inv["judged"]),
            "late_share": share_by(settled["customer_id"], settled["late"]),
            "days_late_mean": settled.groupby("customer_id")["days_late"].mean(),
            "late_share_recent": share_by(recent["customer_id"], recent["late"]),
            "days_late_recent": recent.groupby("customer_id")["days_late"].mean(),
            "days_late_last3": last3.groupby("customer_id")["days_late"].mean(),
        }
    )
    out["delay_change"] = out["days_late_last3"] - out["days_late_mean"]
    tenure = (t - customers.set_index("customer_id")["created_date"]) / DAY
    return out.join(tenure.rename("tenure_days"), how="outer")


def last_paid(settled: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` invoices of each customer paid last (ties: the later row), each customer's in
    order of payment: the rows a stable sort by paid date and ``groupby(...).tail(n)`` keep."""
    known = settled[settled["customer_id"].notna()]
    customer = known["customer_id"].to_numpy()
    order = np.lexsort((known["paid_date"].to_numpy("datetime64[ns]"), customer))  # stable
    by_customer = customer[order]
    last = np.ones(len(order), dtype=bool)
    last[: max(len(order) - n, 0)] = by_customer[n:] != by_customer[:-n]
    return known.iloc[order[last]]


def overdue_at(inv: pd.DataFrame, pay: pd.DataFrame, s: pd.Timestamp) -> pd.Series:
    """Overdue balance per customer at an earlier date ``s``, from invoices and payments before it.

    Invoices written off stay in: a write-off is recorded later than the lateness it ends.
    """
    before = _rows(
        inv,
        (inv["issue_date"] < s) & (inv["due_date"] < s),
        ["invoice_id", "customer_id", "amount"],
    )
    paid = _rows(pay, pay["payment_date"] < s, ["invoice_id", "amount"])
    paid = paid.groupby("invoice_id")["amount"].sum()
    owed = before["amount"].to_numpy(float) - map_values(before["invoice_id"], paid, fill=0.0)
    return pd.Series(owed.clip(min=0), index=before.index).groupby(before["customer_id"]).sum()


def usual_monthly_billing(inv: pd.DataFrame, t, w: WindowConfig) -> pd.Series:
    """Amount billed per month over the billing window; the mean invoice when nothing was billed."""
    recent = _rows(inv, inv["issue_date"] >= t - w.billing_days * DAY, ["customer_id", "amount"])
    billed = recent.groupby("customer_id")["amount"].sum() / (w.billing_days / 30.0)
    fallback = inv.groupby("customer_id")["amount"].mean()
    return billed.reindex(fallback.index).fillna(fallback).clip(lower=1.0)


def _falling_due(inv: pd.DataFrame, t, days: int) -> pd.DataFrame:
    """The invoices that fell due in the last ``days`` before ``t``."""
    due = inv["due_date"]
    columns = ["customer_id", "amount", "settled", "days_late"]
    return _rows(inv, (due >= t - days * DAY) & (due < t), columns)


def _paid_since(pay: pd.DataFrame, since) -> pd.Series:
    """Amount received per customer on or after ``since``."""
    recent = _rows(pay, pay["payment_date"] >= since, ["customer_id", "amount"])
    return recent.groupby("customer_id")["amount"].sum()


def paid_against_due(inv: pd.DataFrame, pay: pd.DataFrame, t, days: int) -> pd.DataFrame:
    """Over the last ``days``: money received against money falling due, and unpaid share."""
    due = _falling_due(inv, t, days)
    paid = _paid_since(pay, t - days * DAY)
    due_amount = due.groupby("customer_id")["amount"].sum()
    ratio = (paid.reindex(due_amount.index).fillna(0.0) / due_amount).clip(upper=3.0)
    unpaid = share_by(due["customer_id"], ~due["settled"])
    return pd.DataFrame({"paid_vs_due_latest": ratio, "due_latest_unpaid_share": unpaid})


def overdue_block(inv: pd.DataFrame, pay: pd.DataFrame, t, w: WindowConfig) -> pd.DataFrame:
    """What is overdue now, how it grew, and how much of what fell due recently was paid."""
    monthly = usual_monthly_billing(inv, t, w)
    idx = monthly.index
    overdue = _rows(inv, inv["overdue"], ["customer_id", "owed", "days_overdue"])
    by_cust = overdue.groupby("customer_id")
    now = by_cust["owed"].sum().reindex(idx).fillna(0.0)
    before = overdue_at(inv, pay, t - w.growth_days * DAY).reindex(idx).fillna(0.0)
    due_recent = _falling_due(inv, t, w.recent_days)
    on_time = due_recent["settled"] & (due_recent["days_late"] <= w.grace_days)
    paid_recent = _paid_since(pay, t - w.recent_days * DAY)
    due_amount = due_recent.groupby("customer_id")["amount"].sum()
    long_overdue = overdue["days_overdue"] > w.judged_overdue_days
    latest = paid_against_due(inv, pay, t, w.latest_days)
    latest_payment = pay["payment_date"].groupby(pay["customer_id"]).max()
    out = pd.DataFrame(
        {
            "open_count": count_by(inv["customer_id"][inv["owed"] > 0]),
            "overdue_count": count_by(overdue["customer_id"]),
            "overdue_long_count": count_by(overdue["customer_id"][long_overdue]),
            "oldest_overdue_days": by_cust["days_overdue"].max(),
            "due_recent_unpaid_share": share_by(due_recent["customer_id"], ~due_recent["settled"]),
            "due_recent_ontime_share": share_by(due_recent["customer_id"], on_time),
            "days_since_payment": (t - latest_payment) / DAY,
            "paid_vs_due_recent": (
                paid_recent.reindex(due_amount.index).fillna(0.0) / due_amount
            ).clip(upper=3.0),
        }
    ).reindex(idx)
    out = out.join(latest)
    out["overdue_share_open"] = out["overdue_count"].fillna(0) / out["open_count"]
    out["overdue_rel"] = now / monthly
    out["overdue_growth_rel"] = (now - before) / monthly
    return out


def partial_block(inv: pd.DataFrame, pay: pd.DataFrame, t, w: WindowConfig) -> pd.DataFrame:
    """Instalments that left an invoice open: the most direct sign of cash-flow stress."""
    ids, partial, when = pay["customer_id"], pay["partial"], pay["payment_date"]
    recent = when >= t - w.recent_days * DAY
    long = when >= t - w.long_days * DAY
    latest = when >= t - w.latest_days * DAY
    return pd.DataFrame(
        {
            "partial_payments_latest": sum_by(ids[latest], partial[latest]),
            "partial_payments_recent": sum_by(ids[recent], partial[recent]),
            "partial_payments_long": sum_by(ids[long], partial[long]),
            "partial_share_recent": share_by(ids[recent], partial[recent]),
            "partial_open_count": count_by(inv["customer_id"][inv["status"] == "partially_paid"]),
        }
    )


def _count(events: pd.DataFrame, kind: str, since: pd.Timestamp) -> pd.Series:
    mine = (events["event_type"] == kind) & (events["timestamp"] >= since)
    return count_by(events["customer_id"][mine])


def event_block(events: pd.DataFrame, t, w: WindowConfig) -> pd.DataFrame:
    """Plan requests, promises, disputes, complaints and write-offs in the trailing windows."""
    ev = events
    recent, long = t - w.recent_days * DAY, t - w.long_days * DAY
    out = pd.DataFrame(
        {
            "plan_requests_recent": _count(ev, "plan_requested", recent),
            "plan_requests_long": _count(ev, "plan_requested", long),
            "plans_agreed_long": _count(ev, "plan_agreed", long),
            "plan_events_latest": _count(ev, "plan_requested", t - w.latest_days * DAY).add(
                _count(ev, "plan_agreed", t - w.latest_days * DAY), fill_value=0
            ),
            "promises_broken_recent": _count(ev, "promise_broken", recent),
            "promises_long": _count(ev, "promise_to_pay", long),
            "promises_broken_long": _count(ev, "promise_broken", long),
            "disputes_long": _count(ev, "dispute_opened", long),
            "complaints_long": _count(ev, "complaint", long),
            "write_offs": _count(ev, "write_off", pd.Timestamp.min),
        }
    )
    kept = _count(ev, "promise_kept", long).reindex(out.index).fillna(0)
    resolved = kept + out["promises_broken_long"].fillna(0)
    out["promise_kept_share"] = (kept / resolved).where(resolved > 0)
    return out


def stress_months_block(
    events: pd.DataFrame, pay: pd.DataFrame, t, w: WindowConfig
) -> pd.DataFrame:
    """Share of the last ``stress_months`` months with a partial payment or a plan event."""
    since = t - pd.DateOffset(months=w.stress_months)
    plans = events[
        events["event_type"].isin(["plan_requested", "plan_agreed"])
        & (events["timestamp"] >= since)
    ]
    parts = pay[pay["partial"] & (pay["payment_date"] >= since)]
    stamps = pd.concat(
        [
            pd.DataFrame({"customer_id": plans["customer_id"], "when": plans["timestamp"]}),
            pd.DataFrame({"customer_id": parts["customer_id"], "when": parts["payment_date"]}),
        ]
    )
    months_back = ((t - stamps["when"]) / DAY // 30.44).astype(int)
    count = months_back.groupby(stamps["customer_id"]).nunique()
    return pd.DataFrame({"stress_months_share": count / w.stress_months})


def next_payment_days(
    contacts: pd.DataFrame, pay: pd.DataFrame, by: str = "customer_id"
) -> pd.Series:
    """Days from each contact's day to the first payment on or after it (NaN: none).

    ``by="customer_id"``: any payment of the customer; ``by="invoice_id"``: a payment of the very
    invoice the contact was about (contacts without an invoice get NaN). The ids are those of a
    :class:`NumberedBook` (whole numbers, NaN when missing).
    """
    known = contacts[by].notna().to_numpy()
    right = pay[[by, "payment_date"]].dropna()
    day = contacts["timestamp"][known].dt.normalize().to_numpy("datetime64[ns]").view(np.int64)
    lag = np.full(len(contacts), np.nan)
    lag[known] = _days_to_first_on_or_after(
        contacts[by].to_numpy()[known].astype(np.int64),
        day,
        right[by].to_numpy(np.int64),
        right["payment_date"].to_numpy("datetime64[ns]").view(np.int64),
    )
    return pd.Series(lag, index=contacts.index)


def _days_to_first_on_or_after(
    left_key: np.ndarray, left_day: np.ndarray, right_key: np.ndarray, right_time: np.ndarray
) -> np.ndarray:
    """For each (key, midnight) on the left, the days to the earliest right time of that key on or
    after it (NaN where there is none); times in int64 nanoseconds.

    A time is on or after a midnight exactly when its own day is, so the search runs on (key, day)
    packed into one int64: the rights are reduced to the earliest time per (key, day), and the
    lefts, in sorted order, are found among them by binary search.
    """
    if not len(right_key):
        return np.full(len(left_key), np.nan)
    per_day = DAY.value
    first = min(left_day.min(initial=0), right_time.min()) // per_day
    packed = (right_key << 32) | (right_time // per_day - first)
    order = _sorting_order(packed)
    packed = packed[order]
    starts = np.flatnonzero(np.r_[True, packed[1:] != packed[:-1]])
    days, earliest = packed[starts], np.minimum.reduceat(right_time[order], starts)
    wanted = (left_key << 32) | (left_day // per_day - first)
    by_want = np.argsort(wanted)
    at = np.empty(len(wanted), dtype=np.int64)
    at[by_want] = np.searchsorted(days, wanted[by_want], side="left")
    at = np.minimum(at, len(days) - 1)
    found = (days[at] >= wanted) & ((days[at] >> 32) == left_key)
    return np.where(found, (earliest[at] - left_day) / per_day, np.nan)


def _sorting_order(values: np.ndarray) -> np.ndarray:
    """Positions of ``values`` in ascending order; no sort when they are in order already (payment
    lines come sorted by invoice)."""
    if (values[1:] >= values[:-1]).all():
        return np.arange(len(values))
    return np.argsort(values)


def template_flags(template: pd.Series) -> dict[str, np.ndarray]:
    """What each contact's template says: its purpose and whether its tone is firm (all False for
    a missing or unknown template), worked out once per distinct template."""
    codes, uniques = pd.factorize(template)
    purposes = [TEMPLATE_PURPOSE.get(u, "other") for u in uniques]
    tones = [TEMPLATE_TONE.get(u, "neutral") for u in uniques]

    def flag(hits) -> np.ndarray:
        return np.array([*hits, False], dtype=bool)[codes]  # code -1 (missing): the last

    return {
        "dunning": flag(p in DUNNING_PURPOSES for p in purposes),
        "escalation": flag(p == "escalation" for p in purposes),
        "about_invoice": flag(p in INVOICE_PURPOSES for p in purposes),
        "plan_offer": flag(p == "plan_offer" for p in purposes),
        "firm": flag(t in ESCALATION_TONES for t in tones),
    }


def contact_kinds(contacts: pd.DataFrame) -> pd.DataFrame:
    """Per contact: its ids and time, what it was (purpose and tone from the template, unless a
    tone is recorded) and how the customer answered."""
    flags = template_flags(contacts["template"])
    firm = flags.pop("firm")
    if "tone" in contacts:
        tone = contacts["tone"]
        firm = np.where(tone.notna(), tone.isin(ESCALATION_TONES), firm)
    outcome = contacts["outcome"].astype("str")
    return pd.DataFrame(
        {
            "customer_id": contacts["customer_id"],
            "invoice_id": contacts["invoice_id"],
            "timestamp": contacts["timestamp"],
            "dunning": flags["dunning"],
            "firm": firm | flags["escalation"],
            "about_invoice": flags["about_invoice"],
            "plan_offer": flags["plan_offer"],
            "opened": outcome.isin(["opened", "replied", "promise_to_pay"]).to_numpy(),
            "replied": outcome.isin(["replied", "promise_to_pay"]).to_numpy(),
            "promised": outcome.eq("promise_to_pay").to_numpy(),
        },
        index=contacts.index,
    )


def contact_block(contacts: pd.DataFrame, pay: pd.DataFrame, t, w: WindowConfig) -> pd.DataFrame:
    """Response to contact: replies, promises, payment after a notice or only after escalation."""
    if not len(contacts):
        return pd.DataFrame(index=pd.Index([], name="customer_id", dtype=float))
    kinds = contact_kinds(contacts)
    c = kinds[(kinds["timestamp"] >= t - w.long_days * DAY).to_numpy()]
    lag = next_payment_days(c, pay)
    day = c["timestamp"].dt.normalize()
    closed = day + w.response_days * DAY < t
    closed_firm = day + w.escalation_response_days * DAY < t
    paid_after = (lag <= w.response_days).astype(float).where(closed)
    paid_after_firm = (
        (lag <= w.escalation_response_days).astype(float).where(closed_firm & c["firm"])
    )
    ignored = (c["dunning"] & closed & ~(lag <= w.response_days)).astype(float)
    on_invoice = c["about_invoice"] & c["opened"] & closed
    inv_lag = next_payment_days(c, pay, by="invoice_id")
    opened_paid = (inv_lag <= w.response_days).astype(float).where(on_invoice)
    opened_ignored = (on_invoice & ~(inv_lag <= w.response_days)).astype(float)
    ids, dunning = c["customer_id"], c["dunning"]
    recent = c["timestamp"] >= t - w.recent_days * DAY
    neutral = dunning & ~c["firm"]
    out = pd.DataFrame(
        {
            "contacts_recent": count_by(ids[recent]),
            "dunning_recent": sum_by(ids[recent], dunning[recent]),
            "ignored_dunning_recent": sum_by(ids[recent], ignored[recent]),
            "reply_rate": share_by(ids, c["replied"]),
            "promise_rate": share_by(ids, c["promised"]),
            "paid_after_contact_share": share_by(ids[dunning], paid_after[dunning]),
            "paid_after_escalation_share": share_by(ids, paid_after_firm),
            "opened_paid_share": share_by(ids, opened_paid),
            "opened_ignored_recent": sum_by(ids[recent], opened_ignored[recent]),
            "plan_offers_read": sum_by(ids, (c["plan_offer"] & c["opened"]).astype(float)),
        }
    )
    out["escalation_only_share"] = (
        out["paid_after_escalation_share"]
        - share_by(ids[neutral], paid_after[neutral]).reindex(out.index)
    ).clip(lower=0)
    return out


def enrichment_block(customers: pd.DataFrame, enrichment_columns: tuple[str, ...]) -> pd.DataFrame:
    """Enrichment attributes as recorded (missing stays missing) and whether any is on file."""
    cust = customers.set_index("customer_id")
    cols = {}
    for name in ("credit_limit", "spend_level", "spend_trend"):
        cols[name] = (
            cust[name].astype(float) if name in cust else pd.Series(np.nan, index=cust.index)
        )
    out = pd.DataFrame(cols)
    out["limit_to_spend"] = out["credit_limit"] / out["spend_level"].where(out["spend_level"] > 0)
    present = [c for c in enrichment_columns if c in cust]
    known = cust[present].notna().any(axis=1) if present else pd.Series(False, index=cust.index)
    out["has_enrichment"] = known.astype(float)
    autopay = cust["autopay"] if "autopay" in cust else pd.Series(pd.NA, index=cust.index)
    out["autopay"] = pd.to_numeric(autopay.astype("boolean"), errors="coerce").astype(float)
    out["segment"] = cust["segment"].astype("str").map(SEGMENT_CODE).astype(float)
    return out


COUNT_FEATURES = (
    "n_invoices", "n_settled", "n_judged", "open_count", "overdue_count", "overdue_long_count",
    "partial_open_count", "plan_requests_recent", "plan_requests_long", "plans_agreed_long",
    "promises_long", "promises_broken_long", "disputes_long", "complaints_long", "write_offs",
    "contacts_recent", "dunning_recent", "ignored_dunning_recent", "partial_payments_recent",
    "partial_payments_long", "partial_payments_latest", "plan_events_latest",
    "promises_broken_recent", "stress_months_share", "opened_ignored_recent", "plan_offers_read",
)  # fmt: skip


def fill_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts of things that did not happen are 0; rates and means without a base stay missing."""
    out = frame.copy()
    for name in COUNT_FEATURES:
        if name in out:
            out[name] = out[name].astype(float).fillna(0.0)
    for name in CUSTOMER_FEATURES:
        if name not in out:
            out[name] = np.nan
    return out.astype(float)

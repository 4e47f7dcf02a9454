"""DSO measures over any period, for a whole portfolio or per group, as of any date.

All balances are point in time: the receivables at a period's end are the invoices issued before
it, less the payments received and the amounts written off before it.

- DSO (PMC) = receivables at period end / credit sales in the period x days in the period
- Countback DSO: walk back month by month through sales until the receivables are used up
- Best possible DSO (BPDSO) = current (not yet due) receivables / credit sales x days
- Average days delinquent (ADD) = DSO - BPDSO
- CEI = (opening receivables + sales - closing receivables)
        / (opening receivables + sales - closing current receivables) x 100
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dso_model.contract.lookup import positions_in
from dso_model.contract.portfolio import effective_payments

MEASURE_COLUMNS = [
    "period_start",
    "period_end",
    "days",
    "credit_sales",
    "opening_receivables",
    "receivables",
    "current_receivables",
    "overdue_receivables",
    "dso",
    "countback_dso",
    "bpdso",
    "add",
    "cei",
]


def _write_off_dates(invoices: pd.DataFrame, events: pd.DataFrame | None) -> pd.Series:
    """Write-off date per invoice (NaT when never written off)."""
    none = pd.Series(pd.NaT, index=invoices.index, dtype="datetime64[ns]")
    if events is None or not len(events):
        return none
    wo = events[(events["event_type"] == "write_off") & events["invoice_id"].notna()]
    if not len(wo):
        return none
    first = wo.groupby("invoice_id")["timestamp"].min()
    values = first.reindex(invoices["invoice_id"]).to_numpy().astype("datetime64[ns]")
    return pd.Series(values, index=invoices.index)


def outstanding_at(
    invoices: pd.DataFrame,
    payments: pd.DataFrame,
    at: pd.Timestamp,
    write_off_dates: pd.Series | None = None,
) -> pd.Series:
    """Amount still owed on each invoice at the instant ``at`` (0 once paid or written off)."""
    return Ledger(invoices, payments, write_off_dates).outstanding_at(at)


class Ledger:
    """Invoices and their payments, matched once: each invoice id gets a number, the same in the
    payments, so that the amounts paid before any instant are summed by number (much faster
    than by text, over the same rows in the same order: the same sums to the last bit; the
    numbers are categories, so no sum hashes them again).

    Build it with :meth:`of` to measure one portfolio several times (:func:`dso_measures`'s
    ``ledger``).
    """

    def __init__(
        self,
        invoices: pd.DataFrame,
        payments: pd.DataFrame,
        write_off_dates: pd.Series | None = None,
    ) -> None:
        self.invoices = invoices
        self.number, ids = pd.factorize(invoices["invoice_id"])
        paying = positions_in(payments["invoice_id"], ids)
        matched = paying >= 0
        self.paying = paying[matched]
        self.payments = payments.loc[matched, ["payment_date", "amount"]].reset_index(drop=True)
        self.n_ids = len(ids)
        self.numbers = pd.CategoricalDtype(pd.RangeIndex(len(ids)))
        self.payment_dates = self.payments["payment_date"].to_numpy()
        self.write_off_dates = write_off_dates

    @classmethod
    def of(
        cls,
        invoices: pd.DataFrame,
        payments: pd.DataFrame | None = None,
        events: pd.DataFrame | None = None,
    ) -> Ledger:
        """The ledger of a portfolio's tables: its payment lines (or settlements, see
        :func:`~dso_model.contract.portfolio.effective_payments`) and write-offs."""
        pay = effective_payments(invoices, payments if payments is not None else invoices.iloc[:0])
        return cls(invoices, pay, _write_off_dates(invoices, events))

    def paid_before(self, at: pd.Timestamp) -> np.ndarray:
        """Amount paid on each invoice before the instant ``at``."""
        before = self.payment_dates < np.datetime64(at)
        paying = pd.Categorical.from_codes(self.paying[before], dtype=self.numbers)
        sums = self.payments.loc[before, "amount"].groupby(paying, observed=False).sum()
        by_number = sums.to_numpy(dtype=float)  # every number, in order (0 when none paid)
        return np.where(self.number >= 0, by_number[self.number], 0.0)

    def outstanding_at(self, at: pd.Timestamp) -> pd.Series:
        """Amount still owed on each invoice at the instant ``at`` (0 once paid or written off)."""
        invoices = self.invoices
        owed = np.clip(invoices["amount"].to_numpy(dtype=float) - self.paid_before(at), 0.0, None)
        owed = np.where(invoices["issue_date"].to_numpy() < np.datetime64(at), owed, 0.0)
        if self.write_off_dates is not None:
            gone = (self.write_off_dates < at).fillna(False).to_numpy(dtype=bool)
            owed = np.where(gone, 0.0, owed)
        return pd.Series(owed, index=invoices.index)

    def receivables_at(self, at: pd.Timestamp, rows: np.ndarray | None = None) -> dict[str, float]:
        """Total, current (not yet due) and overdue receivables at the start of day ``at``, of
        every invoice or of the ``rows`` (a boolean mask) only."""
        owed, due = self.outstanding_at(at), self.invoices["due_date"]
        if rows is not None:
            owed, due = owed[rows], due[rows]
        current = owed[due >= at].sum()
        return {"receivables": owed.sum(), "current": current, "overdue": owed.sum() - current}


def receivables_at(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    at: str | pd.Timestamp | None = None,
    events: pd.DataFrame | None = None,
) -> dict[str, float]:
    """Total, current (not yet due) and overdue receivables at the start of day ``at``."""
    return Ledger.of(invoices, payments, events).receivables_at(pd.Timestamp(at))


def _period_bounds(start, end, freq: str) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    starts = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq=freq, inclusive="left")
    if len(starts) == 0 or starts[0] != pd.Timestamp(start):
        starts = pd.DatetimeIndex([pd.Timestamp(start)]).append(starts)
    ends = list(starts[1:]) + [pd.Timestamp(end)]
    return [(s, e) for s, e in zip(starts, ends, strict=True) if e > s]


def _balances_at(owed: pd.Series, due: pd.Series, at: pd.Timestamp, groups) -> pd.DataFrame:
    """Total and current receivables at ``at``, per group (``groups``: :func:`_numbered`)."""
    current = owed.where(due >= at, 0.0)
    frame = pd.DataFrame({"receivables": owed, "current_receivables": current})
    return _group_sums(frame, groups)


def _numbered(groups: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each invoice's group number (in sorted order, -1 when missing) and the groups, found once
    for every period's sums."""
    numbers, labels = pd.factorize(groups, sort=True)
    return numbers, pd.Index(labels, name=groups.name)


def _group_sums(data, groups: tuple[np.ndarray, pd.Index]):
    """``data.groupby(group, sort=True).sum()`` from the group numbers: the same rows summed in
    the same order, without hashing the groups (or their numbers) again."""
    numbers, labels = groups
    kept = numbers >= 0
    if not kept.all():
        data, numbers = data[kept], numbers[kept]
    numbers = pd.Categorical.from_codes(numbers, dtype=pd.CategoricalDtype(range(len(labels))))
    sums = data.groupby(numbers, observed=True, sort=True).sum()
    return sums.set_axis(labels[sums.index.to_numpy()])


def _countback(receivables: float, monthly_sales: list[tuple[float, int]]) -> float:
    """Days of the most recent sales needed to account for the receivables."""
    remaining, days = receivables, 0.0
    for sales, span in monthly_sales:
        if remaining <= 0:
            break
        if sales <= 0:
            days += span
            continue
        if remaining >= sales:
            days += span
            remaining -= sales
        else:
            days += remaining / sales * span
            remaining = 0.0
    return days if remaining <= 1e-9 else np.nan


def dso_measures(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    freq: str = "MS",
    by: str | None = None,
    customers: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    ledger: Ledger | None = None,
) -> pd.DataFrame:
    """DSO, countback DSO, BPDSO, ADD and CEI per period (and per group when ``by`` is given).

    ``start``/``end`` bound the periods (``end`` exclusive; defaults cover the invoices' issue
    dates); ``freq`` is a pandas offset alias ("MS" months, "QS" quarters, "YS" years). ``by``
    names a column of ``invoices`` or of ``customers`` (e.g. "segment", "customer_id").
    ``ledger``: ``Ledger.of(invoices, payments, events)`` when the caller already has it.
    """
    inv = invoices
    groups = _groups(invoices, by, customers)
    numbered = _numbered(groups)
    ledger = ledger if ledger is not None else Ledger.of(invoices, payments, events)
    start = (
        pd.Timestamp(start)
        if start is not None
        else inv["issue_date"].min().to_period("M").start_time
    )
    end = (
        pd.Timestamp(end)
        if end is not None
        else inv["issue_date"].max().to_period("M").end_time.normalize() + pd.Timedelta(days=1)
    )
    monthly = _monthly_sales(inv, groups)
    rows = []
    opening = _balances_at(ledger.outstanding_at(start), inv["due_date"], start, numbered)
    for p_start, p_end in _period_bounds(start, end, freq):
        owed = ledger.outstanding_at(p_end)
        closing = _balances_at(owed, inv["due_date"], p_end, numbered)
        in_period = (inv["issue_date"] >= p_start) & (inv["issue_date"] < p_end)
        sales = _group_sums(inv["amount"].where(in_period, 0.0), numbered)
        rows.append(_period_rows(p_start, p_end, sales, opening, closing, monthly))
        opening = closing
    out = pd.concat(rows, ignore_index=True)
    out = out.drop(columns="_group") if by is None else out.rename(columns={"_group": by})
    return out


def _groups(invoices, by, customers) -> pd.Series:
    """The group of each invoice (named ``_group``): "all", a column of the invoices or of the
    customers."""
    if by is None:
        group = pd.Series("all", index=invoices.index)
    elif by in invoices.columns:
        group = invoices[by]
    elif customers is not None and by in customers.columns:
        group = invoices["customer_id"].map(customers.set_index("customer_id")[by])
    else:
        raise KeyError(f"cannot group DSO by '{by}': not a column of invoices or customers")
    return group.rename("_group")


def _monthly_sales(inv: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    month = inv["issue_date"].dt.to_period("M")
    return inv.groupby([groups, month])["amount"].sum().rename("sales").reset_index()


def _period_rows(p_start, p_end, sales, opening, closing, monthly) -> pd.DataFrame:
    days = (p_end - p_start).days
    frame = pd.DataFrame({"credit_sales": sales}).join(
        opening["receivables"].rename("opening_receivables"), how="outer"
    )
    frame = frame.join(closing, how="outer").fillna(0.0)
    frame["overdue_receivables"] = frame["receivables"] - frame["current_receivables"]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_day = frame["credit_sales"].where(frame["credit_sales"] > 0) / days
        frame["dso"] = frame["receivables"] / per_day
        frame["bpdso"] = frame["current_receivables"] / per_day
        frame["add"] = frame["dso"] - frame["bpdso"]
        collectable = frame["opening_receivables"] + frame["credit_sales"]
        denom = collectable - frame["current_receivables"]
        frame["cei"] = (collectable - frame["receivables"]) / denom.where(denom > 0) * 100
    last_month = (p_end - pd.Timedelta(days=1)).to_period("M")
    frame["countback_dso"] = [
        _countback(rec, _sales_back_from(monthly, group, last_month))
        for group, rec in frame["receivables"].items()
    ]
    frame.index.name = "_group"
    frame = frame.reset_index()
    frame.insert(0, "period_start", p_start)
    frame.insert(1, "period_end", p_end)
    frame.insert(2, "days", days)
    return frame[["_group", *MEASURE_COLUMNS]]


def _sales_back_from(monthly: pd.DataFrame, group, last_month) -> list[tuple[float, int]]:
    mine = monthly[(monthly["_group"] == group) & (monthly["issue_date"] <= last_month)]
    by_month = mine.set_index("issue_date")["sales"]
    first = by_month.index.min() if len(by_month) else last_month
    months = pd.period_range(first, last_month, freq="M")[::-1]
    return [(float(by_month.get(m, 0.0)), m.days_in_month) for m in months]

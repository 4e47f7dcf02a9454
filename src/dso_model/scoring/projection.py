"""Portfolio figures now and projected for the next month, with and without the actions.

"Now" is the month that ends at the scoring date, measured by :func:`dso_model.metrics.dso_measures`.
The next month runs from the scoring date for one calendar month. Its closing receivables are

* the open invoices, each weighted by the probability that it is still unpaid at the month's end
  (from its delay distribution, given that it is unpaid today; with the actions, the contacted
  invoices' payments come forward by the expected days the action saves), plus
* next month's new invoices: credit sales equal to the average of the last ``history_months``
  months, of which the share still owed (and still current) at a month's end is the share observed
  over those months.

The same formulas as the DSO measures then give DSO, BPDSO, ADD and CEI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MEASURES = ("dso", "bpdso", "add", "cei")
BALANCES = ("credit_sales", "opening_receivables", "receivables", "current_receivables")
SCENARIOS = ("now", "next_without_actions", "next_with_actions")
MONTH = pd.DateOffset(months=1)


@dataclass(frozen=True)
class NewSales:
    """What a month of new invoices looks like at the month's end, from recent months."""

    monthly_sales: float
    owed_share: float  # of a month's sales, the share still owed at its end
    current_share: float  # ... and not yet due


def measures(
    opening: float, sales: float, closing: float, closing_current: float, days: int
) -> dict[str, float]:
    """DSO, BPDSO, ADD and CEI from a period's balances (the definitions of ``metrics.dso``)."""
    per_day = sales / days if sales > 0 else np.nan
    dso, bpdso = closing / per_day, closing_current / per_day
    collectable = opening + sales
    denom = collectable - closing_current
    cei = (collectable - closing) / denom * 100 if denom > 0 else np.nan
    return {
        "dso": dso,
        "bpdso": bpdso,
        "add": dso - bpdso,
        "cei": cei,
        "credit_sales": sales,
        "opening_receivables": opening,
        "receivables": closing,
        "current_receivables": closing_current,
    }


def ledger_of(portfolio):
    """The portfolio's invoices matched with their payments and write-offs, once for every
    measure (:class:`dso_model.metrics.Ledger`)."""
    from dso_model.metrics import Ledger

    return Ledger.of(portfolio.invoices, portfolio.payments, portfolio.events)


def measures_now(portfolio, as_of: pd.Timestamp, ledger=None) -> dict[str, float]:
    """The measures of the month ending at ``as_of`` (``ledger``: :func:`ledger_of` the
    portfolio, when the caller has it)."""
    from dso_model.metrics import dso_measures

    table = dso_measures(
        portfolio.invoices,
        portfolio.payments,
        start=as_of - MONTH,
        end=as_of,
        freq=MONTH,
        events=portfolio.events,
        ledger=ledger,
    )
    row = table.iloc[-1]
    return {k: float(row[k]) for k in (*MEASURES, *BALANCES)}


def recent_new_sales(portfolio, as_of: pd.Timestamp, months: int = 3, ledger=None) -> NewSales:
    """Average monthly sales over the last ``months`` months and how much of them stays owed."""
    inv = portfolio.invoices
    ledger = ledger if ledger is not None else ledger_of(portfolio)
    sales, owed, current = [], [], []
    for k in range(months):
        end = as_of - k * MONTH
        start = end - MONTH
        window = ((inv["issue_date"] >= start) & (inv["issue_date"] < end)).to_numpy(dtype=bool)
        balances = ledger.receivables_at(end, window)
        sales.append(float(inv["amount"][window].sum()))
        owed.append(balances["receivables"])
        current.append(balances["current"])
    total = sum(sales)
    if total <= 0:
        return NewSales(0.0, 0.0, 0.0)
    return NewSales(total / months, sum(owed) / total, sum(current) / total)


def project_next_month(
    book: pd.DataFrame, opening: float, new: NewSales, as_of: pd.Timestamp, unpaid_column: str
) -> dict[str, float]:
    """Measures of the month starting at ``as_of``.

    ``book``: one row per open invoice with ``outstanding``, ``due_date`` and ``unpaid_column``,
    the probability it is still unpaid at the month's end.
    """
    end = as_of + MONTH
    expected = book["outstanding"].to_numpy(float) * book[unpaid_column].to_numpy(float)
    still_current = book["due_date"].to_numpy("datetime64[ns]") >= np.datetime64(end)
    closing = expected.sum() + new.monthly_sales * new.owed_share
    closing_current = expected[still_current].sum() + new.monthly_sales * new.current_share
    return measures(opening, new.monthly_sales, closing, closing_current, (end - as_of).days)


def portfolio_figures(
    portfolio, book: pd.DataFrame, as_of: pd.Timestamp, history_months: int = 3, ledger=None
) -> tuple[pd.DataFrame, NewSales]:
    """A frame indexed by measure (and balance) with the columns of :data:`SCENARIOS`
    (``ledger``: :func:`ledger_of` the portfolio, when the caller has it)."""
    as_of = pd.Timestamp(as_of)
    ledger = ledger if ledger is not None else ledger_of(portfolio)
    now = measures_now(portfolio, as_of, ledger)
    new = recent_new_sales(portfolio, as_of, history_months, ledger)
    opening = float(book["outstanding"].sum())
    columns = {
        "now": now,
        "next_without_actions": project_next_month(
            book, opening, new, as_of, "p_unpaid_next_without"
        ),
        "next_with_actions": project_next_month(book, opening, new, as_of, "p_unpaid_next_with"),
    }
    frame = pd.DataFrame(columns).reindex([*MEASURES, *BALANCES])
    frame.index.name = "measure"
    return frame, new

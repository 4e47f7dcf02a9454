"""From a scoring result to the briefing's data (what the credit manager sees)."""

from __future__ import annotations

import pandas as pd

from dso_model.briefing import BriefingData, worklist_view

NOTES = {
    "en": (
        "Now: the month ending at the scoring date. Next month: one month from the scoring date.",
        "Open invoices count with the probability that they are still unpaid at next month's end, "
        "given that they are unpaid today; with the actions, contacted invoices are paid earlier "
        "by the days the action is expected to save.",
        "New invoices next month: average monthly sales of the last {months} months "
        "({sales:,.0f}), {owed:.0%} of which still owed at a month's end ({current:.0%} not yet due).",
        "Priority is the expected reduction of receivables in money-days (amount owed x days "
        "saved); the list is sorted by it.",
    ),
    "es": (
        "Ahora: el mes que termina en la fecha de corte. Próximo mes: un mes desde la fecha de corte.",
        "Las facturas abiertas cuentan con la probabilidad de seguir impagadas al final del próximo "
        "mes, sabiendo que hoy lo están; con las acciones, las facturas contactadas se cobran antes "
        "según los días que se espera ahorrar.",
        "Facturas nuevas del próximo mes: ventas medias mensuales de los últimos {months} meses "
        "({sales:,.0f}), de las que el {owed:.0%} sigue pendiente al final de un mes "
        "({current:.0%} sin vencer).",
        "La prioridad es la reducción esperada del saldo en importe·días (importe pendiente x días "
        "ahorrados); la lista se ordena por ella.",
    ),
}


def group_table(result) -> pd.DataFrame:
    """Customers and open amount per profile group, in the groups' canonical order."""
    from dso_model.profiles.groups import GROUPS

    customers = result.groups["group"].value_counts()
    amount = result.worklist.groupby("group")["outstanding"].sum()
    return pd.DataFrame(
        {
            "group": list(GROUPS),
            "customers": [int(customers.get(g, 0)) for g in GROUPS],
            "open_amount": [float(amount.get(g, 0.0)) for g in GROUPS],
        }
    )


def migration_matrix(result) -> pd.DataFrame | None:
    if result.previous_groups is None:
        return None
    from dso_model.monitoring.migration import transition_matrix

    return transition_matrix(result.previous_groups, result.groups)


def briefing_data(
    result,
    portfolio_name: str,
    *,
    lang: str = "en",
    max_rows: int = 2000,
    model: dict[str, str] | None = None,
    history_months: int = 3,
) -> BriefingData:
    """The briefing of one scoring run."""
    new = result.new_sales
    notes = tuple(
        n.format(
            months=history_months,
            sales=new.monthly_sales,
            owed=new.owed_share,
            current=new.current_share,
        )
        for n in NOTES["es" if lang == "es" else "en"]
    )
    currencies = result.worklist["currency"].dropna().unique()
    return BriefingData(
        portfolio_name=portfolio_name,
        as_of=result.as_of,
        figures=result.figures,
        trend=result.trend,
        groups=group_table(result),
        migrations=migration_matrix(result),
        drivers=result.drivers,
        worklist=worklist_view(result.worklist, lang=lang, max_rows=max_rows),
        worklist_total=len(result.worklist),
        model=dict(model or {}),
        notes=notes,
        lang=lang,
        currency=str(currencies[0]) if len(currencies) == 1 else "",
    )

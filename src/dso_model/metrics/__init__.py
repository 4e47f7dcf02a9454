"""Measures of DSO (PMC): standard, countback, best possible, ADD and CEI."""

from dso_model.metrics.dso import Ledger, dso_measures, receivables_at
from dso_model.metrics.summary import monthly_dso, portfolio_summary

__all__ = ["Ledger", "dso_measures", "monthly_dso", "portfolio_summary", "receivables_at"]

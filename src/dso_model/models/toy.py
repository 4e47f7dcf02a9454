"""A small synthetic delay dataset with known structure, for tests, examples and benchmarks.

Unlike the simulator it produces the model's inputs directly: an invoice table (contract columns
needed by labels, splits and baselines) and a numeric feature frame, with delays driven by a
customer trait the features only partly reveal. Nothing here is point-in-time feature engineering;
it exists to exercise the estimators quickly and at any size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_delay_dataset(
    n_invoices: int = 2000,
    n_customers: int = 200,
    n_noise_features: int = 3,
    start: str = "2022-01-01",
    days: int = 730,
    as_of_extra_days: int = 0,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(invoices, features)``; ``features`` is indexed by invoice id.

    The extraction date is the last issue date plus ``as_of_extra_days``: invoices whose payment
    falls after it are open (censored). Delays mix early payers, forgetful payers who are a week
    or two late and a few who pay months late or never.
    """
    rng = np.random.default_rng(seed)
    lateness = rng.gamma(1.2, 6.0, n_customers) - 4.0
    never = rng.random(n_customers) < 0.03
    cust = rng.integers(0, n_customers, n_invoices)
    issue = pd.Timestamp(start) + pd.to_timedelta(
        np.sort(rng.integers(0, days, n_invoices)), unit="D"
    )
    terms = rng.choice([15, 30, 45, 60], n_invoices, p=[0.2, 0.5, 0.2, 0.1])
    amount = np.round(rng.lognormal(6.0, 1.0, n_invoices), 2)
    noise = rng.normal(0, 5.0, n_invoices)
    delay = np.round(lateness[cust] + 0.004 * (amount - 400).clip(-400, 2000) + noise)
    delay = np.maximum(delay, -terms)
    delay = np.where(
        rng.random(n_invoices) < 0.02, delay + rng.integers(60, 200, n_invoices), delay
    )
    due = issue + pd.to_timedelta(terms, unit="D")
    paid = due + pd.to_timedelta(delay, unit="D")
    as_of = issue.max() + pd.Timedelta(days=as_of_extra_days + 1)
    unpaid = never[cust] | (paid >= as_of)
    ids = np.array([f"I{i:07d}" for i in range(n_invoices)])
    invoices = pd.DataFrame(
        {
            "invoice_id": ids,
            "customer_id": np.array([f"C{c:05d}" for c in cust]),
            "issue_date": issue.astype("datetime64[ns]"),
            "due_date": due.astype("datetime64[ns]"),
            "amount": amount,
            "paid_date": pd.Series(paid).where(~unpaid).astype("datetime64[ns]").to_numpy(),
            "segment": np.where(
                cust % 3 == 0, "consumer", np.where(cust % 3 == 1, "sme", "corporate")
            ),
        }
    )
    invoices.attrs["as_of"] = as_of
    features = pd.DataFrame(
        {
            "trait_signal": lateness[cust] + rng.normal(0, 2.0, n_invoices),
            "log_amount": np.log(amount),
            "terms_days": terms.astype(float),
            "segment_code": (cust % 3).astype(float),
            **{f"noise_{i}": rng.normal(size=n_invoices) for i in range(n_noise_features)},
        },
        index=pd.Index(ids, name="invoice_id"),
    )
    return invoices, features


def toy_portfolio(invoices: pd.DataFrame):
    """Wrap the toy invoice table in a :class:`Portfolio` (customers derived, no other tables).

    The toy table carries only what labels, splits and baselines need, so it is not validated.
    """
    from dso_model.contract.portfolio import Portfolio, empty_table

    customers = invoices.groupby("customer_id", as_index=False, sort=True)["segment"].first()
    customers["created_date"] = (
        invoices.groupby("customer_id", sort=True)["issue_date"].min().to_numpy()
    )
    return Portfolio(
        customers=customers,
        invoices=invoices.drop(columns="segment"),
        payments=empty_table("payments"),
        contacts=empty_table("contacts"),
        events=empty_table("events"),
        as_of=invoices.attrs["as_of"],
        name="toy",
    )

"""dso_model: preventive, data-driven collections.

Predict late payment from strictly past data, profile customers into five groups, choose the next
best action under hard limits and measure what it does to DSO.

Importing the package is cheap: heavy dependencies (MLflow, SHAP, Dask) load inside the functions
that need them.
"""

from dso_model.contract.portfolio import Portfolio

__all__ = ["Portfolio", "__version__"]
__version__ = "0.1.0"

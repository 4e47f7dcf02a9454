"""Features as a numeric model matrix: what LightGBM, MLflow signatures and scoring all accept.

pandas ``category`` columns do not survive MLflow signatures, so categories become their integer
codes (missing as NaN) and are passed to LightGBM as categorical by name; booleans become 0/1.
The feature module's encoders keep category codes stable between training and scoring.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def categorical_columns(features: pd.DataFrame) -> tuple[str, ...]:
    """Columns that hold categories (pandas ``category`` or string dtypes)."""
    return tuple(
        str(c)
        for c, dtype in features.dtypes.items()
        if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype)
    )


def _as_codes(column: pd.Series) -> np.ndarray:
    if not isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype("category")
    codes = column.cat.codes.to_numpy().astype(np.float32)
    codes[codes < 0] = np.nan
    return codes


def to_model_matrix(features: pd.DataFrame) -> pd.DataFrame:
    """A float32 copy of ``features`` with the same index and column order."""
    categorical = set(categorical_columns(features))
    data = {}
    for name in features.columns:
        col = features[name]
        if name in categorical:
            data[name] = _as_codes(col)
        else:
            data[name] = pd.to_numeric(col, errors="coerce").to_numpy(
                dtype=np.float32, na_value=np.nan
            )
    return pd.DataFrame(data, index=features.index, columns=features.columns)

"""The MLflow pyfunc wrapper of a fitted delay model (imported only when MLflow is in use)."""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import pandas as pd


class DelayPyfunc(mlflow.pyfunc.PythonModel):
    """Serve a fitted :class:`~dso_model.models.delay.DelayModel`: numeric features in, one row of
    delay predictions out."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        columns = list(self.model.feature_names_in_)
        frame = model_input[columns].astype("float32")
        return self.model.predict(frame).reset_index(drop=True)

"""The scoring bundle as an MLflow pyfunc (imported only when MLflow is in use).

``mlflow.pyfunc.load_model(uri)`` gives a model whose ``predict`` takes the numeric feature frame
(the bundle's feature schema) and returns the delay predictions; ``unwrap_python_model().bundle``
is the whole :class:`~dso_model.scoring.bundle.ScoringBundle` the scoring job uses. Loading checks
the bundle against the installed code and refuses a mismatch.
"""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import pandas as pd

BUNDLE_ARTIFACT = "bundle"


class ScoringModel(mlflow.pyfunc.PythonModel):
    """Holds no state when pickled; the bundle is read from the model's artifacts on load."""

    bundle: Any = None

    def load_context(self, context: Any) -> None:
        from dso_model.scoring.bundle import load_bundle

        self.bundle = load_bundle(context.artifacts[BUNDLE_ARTIFACT], check=True)

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        frame = pd.DataFrame(model_input)
        return self.bundle.predict_delays(frame).reset_index(drop=True)

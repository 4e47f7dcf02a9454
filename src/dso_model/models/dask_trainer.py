"""Distributed training with ``lightgbm.dask``: for data beyond one machine.

The trainer connects to ``scheduler_address`` or starts a :class:`distributed.LocalCluster`,
partitions the training frame, fits the Dask counterpart of the requested LightGBM model and
returns ``to_local()``: an ordinary LightGBM model that predicts, pickles and logs like one trained
in process. ``lightgbm.dask`` has no early stopping, so every model uses ``n_estimators`` rounds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


class DaskTrainer:
    """Fit LightGBM models on a Dask cluster (started lazily, closed by :meth:`close`)."""

    def __init__(
        self,
        scheduler_address: str | None = None,
        n_workers: int = 2,
        threads_per_worker: int = 1,
        partitions_per_worker: int = 1,
    ) -> None:
        self.scheduler_address = scheduler_address
        self.n_workers = n_workers
        self.threads_per_worker = threads_per_worker
        self.partitions_per_worker = partitions_per_worker
        self._client: Any = None
        self._cluster: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.scheduler_address:
                self._client = Client(self.scheduler_address)
            else:
                self._cluster = LocalCluster(
                    n_workers=self.n_workers,
                    threads_per_worker=self.threads_per_worker,
                    processes=True,
                    dashboard_address=None,
                )
                self._client = Client(self._cluster)
        return self._client

    def _partitions(self) -> int:
        workers = len(self.client.scheduler_info()["workers"]) or 1
        return max(1, workers * self.partitions_per_worker)

    def fit(
        self,
        model: Any,
        X: pd.DataFrame,
        y: np.ndarray,
        *,
        sample_weight: np.ndarray | None = None,
        eval_set: tuple[pd.DataFrame, np.ndarray] | None = None,
        eval_weight: np.ndarray | None = None,
        early_stopping_rounds: int = 0,
        categorical: tuple[str, ...] = (),
    ) -> Any:
        """Fit ``model``'s Dask twin on the cluster; validation data is ignored (no early stop)."""
        import dask.dataframe as dd
        import lightgbm as lgb

        twin_class = (
            lgb.DaskLGBMClassifier
            if isinstance(model, lgb.LGBMClassifier)
            else lgb.DaskLGBMRegressor
        )
        params = model.get_params()
        params.pop("n_jobs", None)
        twin = twin_class(client=self.client, **params)
        parts = self._partitions()
        X_d = dd.from_pandas(X.reset_index(drop=True), npartitions=parts)
        y_d = dd.from_pandas(pd.Series(np.asarray(y), name="y"), npartitions=parts)
        kwargs: dict[str, Any] = {}
        names = [c for c in categorical if c in X.columns]
        if names:
            kwargs["categorical_feature"] = names
        if sample_weight is not None:
            kwargs["sample_weight"] = dd.from_pandas(pd.Series(sample_weight), npartitions=parts)
        twin.fit(X_d, y_d, **kwargs)
        return twin.to_local()

    def close(self) -> None:
        """Shut down the client and any cluster this trainer started."""
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

"""Scoring: the exported model bundle and the batch job that turns a portfolio into a worklist.

* :class:`ScoringBundle` (``bundle``): feature settings and codes, delay, profile and response
  models, policy settings, reason tables, feature schema and versions; checked against the
  installed code before use. ``build_bundle`` assembles one, ``export`` logs and registers it as
  an MLflow pyfunc (``champion`` alias) and loads it back.
* :func:`score_portfolio` (``pipeline``): open invoices in, worklist and portfolio figures out
  (pandas or Dask); ``run_score_job`` is the ``dso-score`` app's core.

See ``docs/scoring.md``.
"""

from dso_model.scoring.build import build_bundle
from dso_model.scoring.bundle import ScoringBundle, load_bundle
from dso_model.scoring.pipeline import ScoreResult, ScoreSettings, score_portfolio

__all__ = [
    "ScoreResult",
    "ScoreSettings",
    "ScoringBundle",
    "build_bundle",
    "load_bundle",
    "score_portfolio",
]

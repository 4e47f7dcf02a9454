"""Reputation signals: complaints and public social-media mentions, their recency and tone.

Missing (not zero) before the source's first complaint or mention is on record.
"""

from __future__ import annotations

import numpy as np

from dso_model.features.context import Context, masked, ratio
from dso_model.features.timeline import Window


def reputation_features(ctx: Context) -> dict[str, np.ndarray]:
    w = ctx.cfg.reputation_window_days
    now = ctx.events_now
    window = Window(now, ctx.events.probe(ctx.tg.cust, ctx.before(w)))
    scored = now.total("mention_scored")
    out = {
        "rep_complaints": now.total("complaint"),
        f"rep_complaints_{w}d": window.total("complaint"),
        "rep_days_since_complaint": ctx.since(now.last("complaint")),
        "rep_mentions": now.total("mention"),
        f"rep_mentions_{w}d": window.total("mention"),
        "rep_days_since_mention": ctx.since(now.last("mention")),
        "rep_mention_sentiment_mean": ratio(now.total("mention_sentiment"), scored),
        "rep_mention_negative_share": ratio(now.total("mention_negative"), scored),
    }
    covered = ctx.covered(ctx.book.coverage.event_group("reputation"))
    return {name: masked(values, covered) for name, values in out.items()}

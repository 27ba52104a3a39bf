"""Background work for fans (Huey): activity batching and rollups, automatic tags, nightly RFM,
points expiry. Each job is safe to run twice and safe to run late."""

from __future__ import annotations

import time

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

FLUSH_BATCH = 50_000


@db_periodic_task(crontab(minute="*"))
def activity_flush() -> int:
    """Move buffered events into the raw table and roll them up into hours and days. Keeps
    going while batches come back full, for up to 50 s, so one run a minute keeps up with a busy
    shop instead of one batch a minute."""
    from vshop.fans import activity

    deadline = time.monotonic() + 50
    moved = 0
    while True:
        n = activity.activity_flush(limit=FLUSH_BATCH)
        moved += n
        if n < FLUSH_BATCH or time.monotonic() > deadline:
            return moved


@db_periodic_task(crontab(hour="3", minute="41"))
def activity_prune() -> int:
    from vshop.fans import activity

    return activity.activity_prune()


@db_periodic_task(crontab(minute="7"))
def auto_tags_evaluate() -> int:
    from vshop.fans import scoring

    return scoring.auto_tags_evaluate_all()


@db_periodic_task(crontab(hour="2", minute="13"))
def rfm_recompute() -> int:
    from vshop.fans import scoring

    return scoring.rfm_recompute_all()


@db_periodic_task(crontab(hour="1", minute="29"))
def points_expire() -> int:
    from vshop.fans import points

    return points.points_expire_due()

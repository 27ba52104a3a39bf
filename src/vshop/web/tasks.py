"""Background work of the web layer (Huey)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from vshop.web.idempotency import idempotency_prune


@db_periodic_task(crontab(minute="23"))
def idempotency_keys_prune() -> int:
    """Forget answers to Idempotency-Key requests older than VSHOP_IDEMPOTENCY_HOURS, hourly."""
    return idempotency_prune()

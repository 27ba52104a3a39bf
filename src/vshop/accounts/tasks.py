"""Background work for accounts (Huey)."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(hour="4", minute="17"))
def sessions_prune() -> int:
    """Delete expired sessions every night (04:17 UTC), so the session table stays small.

    Returns how many were deleted.
    """
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted

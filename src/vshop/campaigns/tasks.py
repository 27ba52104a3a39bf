"""The worker's campaign jobs: planning, delivering due slots and the outbox every minute,
the nightly send-time model, pruning the caps' ledger."""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from vshop.campaigns import caps as caps_module
from vshop.campaigns import channels, delivery, planning, send_time
from vshop.campaigns.models import OutgoingMessage, OutgoingState


@db_task(retries=2, retry_delay=30)
def campaign_plan(campaign_id: int) -> int:
    planned = planning.campaign_plan(campaign_id=campaign_id)
    delivery.due_slots_deliver()  # "now" campaigns go out at once
    return planned


@db_periodic_task(crontab(minute="*"))
@lock_task("campaign-slots-deliver")
def campaign_slots_deliver() -> int:
    return delivery.due_slots_deliver(deadline_seconds=50)


@db_task(retries=1, retry_delay=30)
def campaign_outgoing_send() -> int:
    return channels.outgoing_send_due()


@db_periodic_task(crontab(minute="*"))
@lock_task("campaign-outgoing-send")
def campaign_outgoing_sweep() -> int:
    """Sends what is due (retries after their backoff); stops after about 50 s."""
    deadline = time.monotonic() + 50
    total = 0
    while time.monotonic() < deadline:
        total += channels.outgoing_send_due()
        # A drain may send nothing and still have work left (a batch all skipped or retried).
        if not OutgoingMessage.objects.filter(
            state=OutgoingState.PENDING, next_try_at__lte=timezone.now()
        ).exists():
            break
    return total


@db_periodic_task(crontab(hour="3", minute="23"))
def send_profiles_recompute() -> int:
    send_time.arm_stats_recompute()
    return send_time.profiles_recompute()


@db_periodic_task(crontab(hour="4", minute="11"))
def daily_counts_prune() -> int:
    return caps_module.daily_counts_prune(before=(timezone.now() - timedelta(days=3)).date())

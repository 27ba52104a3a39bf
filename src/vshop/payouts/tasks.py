"""Background work for withdrawals (Huey): sending an approved withdrawal to the payout gateway,
with retries, and a sweep for those no worker finished."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from vshop.errors import DomainError
from vshop.payouts import services

log = logging.getLogger(__name__)


@db_task(retries=8, retry_delay=60)
def withdrawal_send(number: str) -> str:
    try:
        return services.withdrawal_send(number=number)
    except DomainError:
        log.warning("withdrawal %s: payout gateway not reachable, will retry", number)
        raise


@db_periodic_task(crontab(minute="*/15"))
def withdrawals_resend_stuck() -> int:
    return services.withdrawals_resend_stuck()

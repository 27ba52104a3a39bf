"""Background work for payments (Huey): the sandbox provider's notifications, and refunds sent to
the gateways with retries."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from vshop.errors import DomainError
from vshop.payments import services

log = logging.getLogger(__name__)


@db_task(retries=5, retry_delay=2)
def sandbox_deliver(body: str) -> str:
    """The sandbox provider calls VShop back with a freshly signed notification."""
    from vshop.payments.gateways.sandbox import signed_headers

    raw = body.encode()
    ack = services.notification_receive(gateway="sandbox", headers=signed_headers(raw), body=raw)
    return ack.body.decode()


@db_task(retries=8, retry_delay=60)
def refund_submit(refund_id: int) -> str:
    try:
        return services.refund_submit(refund_id=refund_id)
    except DomainError:
        log.warning("refund %s: gateway not reachable, will retry", refund_id)
        raise


@db_periodic_task(crontab(minute="*/15"))
def refunds_resubmit_stuck() -> int:
    return services.refunds_resubmit_stuck()

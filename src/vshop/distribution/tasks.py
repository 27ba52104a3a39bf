"""Background work for sharing and promoters."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from vshop.distribution import flags


@db_task(retries=3, retry_delay=30)
def orders_check_patterns(order_ids: list[int]) -> int:
    return flags.orders_check_patterns(order_ids=order_ids)

"""Background work for orders (Huey): the clocks of an order's life.

Each unpaid checkout gets its own job at its pay-by time (kept in Huey's storage, so it survives
a restart of the worker); a sweep every minute catches any the worker missed while it was down.
Automatic receipt and completion are sweeps too.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from vshop.orders import services


@db_task(retries=3, retry_delay=30)
def checkout_expire(number: str) -> bool:
    return services.checkout_expire(number=number)


@db_periodic_task(crontab(minute="*"))
def checkouts_expire_overdue() -> int:
    return services.checkouts_expire_overdue()


@db_periodic_task(crontab(minute="*/10"))
def orders_confirm_overdue() -> int:
    return services.orders_confirm_overdue()


@db_periodic_task(crontab(minute="*/10"))
def orders_complete_due() -> int:
    from vshop.orders.after_sales import after_sales_close_undisputed

    after_sales_close_undisputed()  # their orders may complete now
    return services.orders_complete_due()

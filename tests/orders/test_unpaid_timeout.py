"""An unpaid checkout is cancelled at its pay-by time by a job kept in the worker's storage, so a
worker restarted in between still cancels it; the minute sweep catches any that were missed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from huey import SqliteHuey

from tests.buying import committed, place
from tests.factories import make_listing, make_product, sku_input
from vshop.inventory.models import Stock
from vshop.orders import tasks
from vshop.orders.models import Checkout, CheckoutStatus

pytestmark = pytest.mark.django_db


def test_the_expiry_job_outlives_a_worker_restart(
    tmp_path, supplier, shop, fan, settings, monkeypatch
):
    from huey.contrib.djhuey import HUEY

    settings.VSHOP_UNPAID_TIMEOUT_SECONDS = 15 * 60
    product = make_product(supplier, skus=[sku_input("A", stock=4)])
    listing = make_listing(shop, product)

    # The worker's real, on-disk queue (SqliteHuey, the default without Redis).
    path = tmp_path / "huey.sqlite3"
    HUEY.immediate = False
    HUEY.storage = SqliteHuey("vshop", filename=str(path)).storage
    checkout = place(fan, listing, quantity=3)
    assert Stock.objects.get(sku=product.skus.get()).reserved == 3

    # The worker stops and a new one starts on the same file: the job is still there, due at
    # the pay-by time (queued with its time; a consumer moves it to its schedule when it reads it).
    # (A new process imports the same tasks; only its storage connection is new.)
    HUEY.storage = SqliteHuey("vshop", filename=str(path)).storage
    [job] = HUEY.pending() + HUEY.scheduled()
    assert job.name.endswith("checkout_expire") and job.args == (checkout.number,)
    assert abs((job.eta - checkout.pay_by.replace(tzinfo=None)).total_seconds()) < 1

    # Fifteen minutes later the new worker runs it. (Run here in the test's thread: a real
    # worker closes its database connections around each job, which would end the test's
    # transaction, so the job runs the way the inline mode runs it.)
    Checkout.objects.filter(pk=checkout.pk).update(pay_by=timezone.now() - timedelta(seconds=1))
    HUEY.immediate = True
    with committed():
        assert job.execute() is True
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.CANCELLED
    stock = Stock.objects.get(sku=product.skus.get())
    assert (stock.quantity, stock.reserved) == (4, 0)


def test_an_early_run_does_not_cancel(supplier, shop, fan):
    checkout = place(fan, make_listing(shop, make_product(supplier)))
    assert tasks.checkout_expire.call_local(checkout.number) is False
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PENDING_PAYMENT


def test_the_sweep_cancels_what_the_jobs_missed_and_the_timeout_is_configurable(
    supplier, shop, fan, settings
):
    settings.VSHOP_UNPAID_TIMEOUT_SECONDS = 60
    checkout = place(fan, make_listing(shop, make_product(supplier)))
    assert checkout.pay_by - checkout.created_at == timedelta(seconds=60)
    Checkout.objects.filter(pk=checkout.pk).update(pay_by=timezone.now() - timedelta(seconds=1))
    with committed():
        assert tasks.checkouts_expire_overdue.call_local() == 1
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.CANCELLED
    assert [e.role for e in checkout.orders.get().events.all()] == ["buyer", "system"]

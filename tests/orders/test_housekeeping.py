"""The clocks and safety nets around orders and payments: undisputed rejections close, stuck
refunds are sent again, an operator can resend a failed one, old idempotency answers go, and a
half-configured gateway stops the site at start-up instead of at a buyer's payment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone

from tests.buying import committed, pay, place, ship
from tests.factories import make_listing, make_product
from vshop.errors import DomainError
from vshop.orders import after_sales
from vshop.orders import services as orders
from vshop.orders.models import AfterSalesRequest
from vshop.orders.states import AfterSalesStatus, OrderStatus
from vshop.payments import services as payments
from vshop.payments.models import Refund, RefundStatus
from vshop.web.idempotency import idempotency_prune, kept_body
from vshop.web.models import IdempotentRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(supplier, shop, fan):
    order = pay(place(fan, make_listing(shop, make_product(supplier)))).orders.get()
    ship(order)
    return order


def test_a_rejection_not_taken_to_the_platform_closes_and_the_order_completes(
    shipped, fan, supplier
):
    with committed():
        orders.order_confirm_receipt(order_number=shipped.number, actor=fan)
        request = after_sales.after_sales_request(
            buyer=fan, order_number=shipped.number, kind="refund_only", reason="changed_mind"
        )
        after_sales.after_sales_reject(actor=supplier.owner, number=request.number, note="Used")
    later = timezone.now() + timedelta(days=8)
    assert orders.orders_complete_due(now=later) == 0  # the open request holds it
    assert after_sales.after_sales_close_undisputed() == 0  # the buyer still has time
    assert after_sales.after_sales_close_undisputed(now=later) == 1
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.CLOSED
    assert orders.orders_complete_due(now=later) == 1
    shipped.refresh_from_db()
    assert shipped.status == OrderStatus.COMPLETED


def test_a_refund_left_pending_is_sent_again_by_the_sweep(shipped, fan, supplier):
    # The refund is recorded, but its job never ran (the worker died): nothing was committed
    # through committed(), so the on-commit submission did not happen.
    request = after_sales.after_sales_request(
        buyer=fan, order_number=shipped.number, kind="refund_only", reason="damaged"
    )
    after_sales.after_sales_approve(actor=supplier.owner, number=request.number)
    refund = Refund.objects.get(order=shipped)
    assert refund.status == RefundStatus.PENDING
    assert payments.refunds_resubmit_stuck() == 0  # too fresh: its own job may still run
    assert payments.refunds_resubmit_stuck(now=timezone.now() + timedelta(minutes=11)) == 1
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED


def test_an_operator_sends_a_failed_refund_again(shipped, fan, supplier, operator):
    with committed():
        orders.order_confirm_receipt(order_number=shipped.number, actor=fan)
        request = after_sales.after_sales_request(
            buyer=fan, order_number=shipped.number, kind="refund_only", reason="damaged"
        )
    request = AfterSalesRequest.objects.get(pk=request.pk)
    after_sales.after_sales_approve(actor=supplier.owner, number=request.number)
    refund = Refund.objects.get(order=shipped)
    Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.FAILED, last_error="refused")
    with pytest.raises(DomainError):
        payments.refund_retry(refund=refund, operator=fan)
    with committed():
        payments.refund_retry(refund=refund, operator=operator)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    with pytest.raises(DomainError) as exc:
        payments.refund_retry(refund=refund, operator=operator)
    assert exc.value.status == 409


def test_answers_with_a_payment_secret_are_kept_without_it():
    body = b'{"number": "P1", "client_secret": "pi_123_secret_456", "amount": 100}'
    kept = kept_body(body)
    assert b"secret_456" not in kept and b'"number": "P1"' in kept
    assert kept_body(b'{"number": "P1"}') == b'{"number": "P1"}'


def test_old_idempotency_answers_are_forgotten(settings):
    settings.VSHOP_IDEMPOTENCY_HOURS = 24
    IdempotentRequest.objects.create(
        client="user:1",
        key="old",
        fingerprint="x",
        status=201,
        created_at=timezone.now() - timedelta(hours=25),
    )
    IdempotentRequest.objects.create(client="user:1", key="new", fingerprint="x", status=201)
    assert idempotency_prune() == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]


def test_a_half_configured_gateway_fails_the_start_up_checks(monkeypatch):
    monkeypatch.setenv("ALIPAY_APP_ID", "2021000000000000")
    with pytest.raises(SystemCheckError) as exc:
        call_command("check")
    assert "ALIPAY_APP_PRIVATE_KEY_FILE" in str(exc.value)
    monkeypatch.delenv("ALIPAY_APP_ID")
    call_command("check")

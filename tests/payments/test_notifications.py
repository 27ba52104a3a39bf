"""Payment notifications take effect exactly once, whatever order and however often they come,
and a notification that cannot be verified changes nothing."""

from __future__ import annotations

import json
import time

import pytest

from tests.buying import committed, place
from tests.factories import make_listing, make_product, sku_input
from vshop.inventory.models import Stock
from vshop.orders import services as orders
from vshop.orders.models import CheckoutStatus, OrderEvent
from vshop.orders.states import Role
from vshop.payments import services as payments
from vshop.payments.gateways.sandbox import notification_body, sandbox_pay, signed_headers
from vshop.payments.models import Payment, PaymentNotification, PaymentStatus, Refund, RefundStatus

pytestmark = pytest.mark.django_db

NOTIFY = "/api/payments/notify/sandbox"


@pytest.fixture
def checkout(supplier, shop, fan):
    product = make_product(supplier, skus=[sku_input("A", stock=5)])
    return place(fan, make_listing(shop, product), quantity=2)


def _payment(checkout) -> Payment:
    with committed():
        payment, _start = payments.payment_start(
            buyer=checkout.buyer, checkout_number=checkout.number, gateway="sandbox"
        )
    return payment


def _event(
    payment: Payment, *, kind: str = "payment_succeeded", event_id: str = "evt_1", amount=None
):
    return {
        "id": event_id,
        "type": kind,
        "payment_number": payment.number,
        "amount": payment.amount if amount is None else amount,
        "currency": "CNY",
        "transaction_id": "SBXTEST",
    }


def _post(client, event: dict, *, timestamp: int | None = None, tamper: bool = False):
    body = notification_body(event)
    headers = signed_headers(body, timestamp)
    if tamper:
        body = body.replace(b'"amount": ', b'"amount": 1')
    return client.post(
        NOTIFY,
        body,
        content_type="application/json",
        headers=headers,
    )


def _sold(checkout) -> tuple[int, int, int]:
    line = checkout.orders.get().lines.get()
    s = Stock.objects.get(sku_id=line.sku_id)
    return s.quantity, s.reserved, s.sold


def test_a_genuine_notification_pays_the_checkout_once_even_when_sent_twice(client, checkout):
    payment = _payment(checkout)
    with committed():
        first = _post(client, _event(payment))
    with committed():
        second = _post(client, _event(payment))

    assert first.status_code == second.status_code == 200
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID
    assert _sold(checkout) == (3, 0, 2)
    assert PaymentNotification.objects.filter(payment=payment).count() == 1
    assert OrderEvent.objects.filter(to_status="paid").count() == 1


def test_the_same_payment_notified_under_two_event_ids_still_pays_once(client, checkout):
    payment = _payment(checkout)
    with committed():
        _post(client, _event(payment, event_id="evt_a"))
        _post(client, _event(payment, event_id="evt_b"))
    assert _sold(checkout) == (3, 0, 2)
    assert list(PaymentNotification.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "paid",
        "already_paid",
    ]
    assert not Refund.objects.exists()


def test_a_late_failure_after_success_changes_nothing(client, checkout):
    payment = _payment(checkout)
    with committed():
        _post(client, _event(payment, event_id="ok"))
        _post(client, _event(payment, kind="payment_failed", event_id="late-fail"))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID


def test_a_success_after_a_failure_notice_pays(client, checkout):
    payment = _payment(checkout)
    with committed():
        _post(client, _event(payment, kind="payment_failed", event_id="fail"))
        _post(client, _event(payment, event_id="ok"))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID


def test_payment_after_the_checkout_was_cancelled_is_refunded_automatically(client, checkout):
    payment = _payment(checkout)
    with committed():
        orders.checkout_cancel(checkout=checkout, role=Role.SYSTEM, reason="payment time ran out")
    with committed():
        sandbox_pay(payment_number=payment.number)  # the buyer paid just too late
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.CANCELLED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.refunded_amount == payment.amount
    [refund] = Refund.objects.filter(payment=payment)
    assert refund.status == RefundStatus.SUCCEEDED and refund.amount == payment.amount
    assert _sold(checkout) == (5, 0, 0)  # the stock went back at the cancellation, once


def test_two_payments_of_one_checkout_charge_once(client, checkout):
    first, second = _payment(checkout), _payment(checkout)
    with committed():
        sandbox_pay(payment_number=first.number)
    with committed():
        sandbox_pay(payment_number=second.number)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.settles_checkout and not second.settles_checkout
    assert second.refunded_amount == second.amount
    assert first.refunded_amount == 0
    assert _sold(checkout) == (3, 0, 2)


@pytest.mark.parametrize(
    "how",
    [
        "bad signature",
        "stale timestamp",
        "future timestamp",
        "no headers",
        "tampered body",
        "garbage",
    ],
)
def test_a_notification_that_cannot_be_verified_is_refused_and_changes_nothing(
    client, checkout, how
):
    payment = _payment(checkout)
    event = _event(payment)
    if how == "bad signature":
        body = notification_body(event)
        headers = signed_headers(body)
        headers["X-Sandbox-Signature"] = "0" * 64
        response = client.post(NOTIFY, body, content_type="application/json", headers=headers)
    elif how == "stale timestamp":
        response = _post(client, event, timestamp=int(time.time()) - 3600)
    elif how == "future timestamp":
        response = _post(client, event, timestamp=int(time.time()) + 3600)
    elif how == "no headers":
        response = client.post(NOTIFY, notification_body(event), content_type="application/json")
    elif how == "tampered body":
        response = _post(client, event, tamper=True)
    else:
        body = b"not json at all"
        response = client.post(
            NOTIFY, body, content_type="application/json", headers=signed_headers(body)
        )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_notification"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CREATED
    assert not PaymentNotification.objects.exists()
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PENDING_PAYMENT


def test_an_amount_that_does_not_match_is_not_applied(client, checkout):
    payment = _payment(checkout)
    with committed():
        response = _post(client, _event(payment, amount=1))
    assert response.status_code == 200  # genuine, so acknowledged; but not applied
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CREATED
    assert PaymentNotification.objects.get().outcome == "amount_mismatch"


def test_an_unknown_gateway_is_refused(client):
    response = client.post("/api/payments/notify/paypal", b"{}", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_gateway"


def test_the_sandbox_notifies_late_and_twice_and_the_effect_is_once(
    settings, checkout, monkeypatch
):
    """With delays, the notifications wait in the worker's schedule; run them in any order."""
    from huey.contrib.djhuey import HUEY

    from vshop.payments.gateways import sandbox

    settings.VSHOP_SANDBOX_MAX_DELAY_SECONDS = 2
    settings.VSHOP_SANDBOX_DUPLICATE_RATE = 1.0
    # The delays are random; here they are 1 s and 1 s later (never "at once").
    monkeypatch.setattr(sandbox.random, "uniform", lambda low, high: (low + high) / 2)
    payment = _payment(checkout)
    with committed():
        sandbox_pay(payment_number=payment.number)
    scheduled = [t for t in HUEY.scheduled() if t.name.endswith("sandbox_deliver")]
    assert len(scheduled) == 2  # late, and twice
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CREATED  # nothing yet: it is late
    # The buyer is back from the payment page first: VShop asks the provider.
    with committed():
        assert payments.payment_sync(payment=payment) == "paid"
    outcomes = []
    for task in reversed(scheduled):
        with committed():
            outcomes.append(task.execute())
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert _sold(checkout) == (3, 0, 2)
    # The query applied it; the provider's event then counts once; its repeat not at all.
    assert sorted(PaymentNotification.objects.values_list("outcome", flat=True)) == [
        "already_paid",
        "paid",
    ]
    assert Refund.objects.count() == 0


def test_no_secret_or_signature_is_stored(client, checkout):
    payment = _payment(checkout)
    body = notification_body(_event(payment))
    headers = signed_headers(body)
    with committed():
        client.post(NOTIFY, body, content_type="application/json", headers=headers)
    stored = json.dumps(list(PaymentNotification.objects.values()), default=str)
    assert headers["X-Sandbox-Signature"] not in stored

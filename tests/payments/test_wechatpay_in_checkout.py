"""A checkout paid and refunded through WeChat Pay end to end: the real ``wechatpayv3`` SDK signs
VShop's calls to a local WeChat Pay, and VShop's notification endpoint verifies and decrypts
notifications signed with the platform key, exactly once."""

from __future__ import annotations

import pytest

import vshop.payments.gateways as registry
from tests.buying import committed, place
from tests.factories import make_listing, make_product, sku_input
from tests.payments.test_gateway_wechatpay import (  # noqa: F401  (fixtures)
    APIV3_KEY,
    envelope,
    keys,
    make_gateway,
    refund_resource,
    server,
    signed_headers,
    transaction,
)
from vshop.errors import DomainError
from vshop.orders import services as orders
from vshop.orders.models import CheckoutStatus
from vshop.payments import services as payments
from vshop.payments.gateways.sandbox import SandboxGateway
from vshop.payments.models import Payment, PaymentStatus, Refund, RefundStatus

pytestmark = pytest.mark.django_db

NOTIFY = "/api/payments/notify/wechatpay"


def notify(client, body: bytes, key):
    """Posts ``body`` to VShop's WeChat Pay endpoint, signed by ``key`` as WeChat Pay signs."""
    return client.post(
        NOTIFY, body, content_type="application/json", headers=signed_headers(body, key)
    )


@pytest.fixture
def wechat(keys, server, monkeypatch):
    gateway = make_gateway(keys, server.url)
    monkeypatch.setattr(
        registry, "_configured", lambda: {"sandbox": SandboxGateway(), "wechatpay": gateway}
    )
    return gateway


def test_pay_and_refund_a_checkout_with_wechat_pay(
    client, wechat, keys, server, supplier, shop, fan
):
    checkout = place(
        fan, make_listing(shop, make_product(supplier, skus=[sku_input("A", stock=3)]))
    )
    server.respond = lambda seen: (200, {"code_url": "weixin://wxpay/bizpayurl?pr=VShop"})
    with committed():
        payment, start = payments.payment_start(
            buyer=fan, checkout_number=checkout.number, gateway="wechatpay"
        )
    assert start.code_url == "weixin://wxpay/bizpayurl?pr=VShop"
    sent = server.seen[-1].json()
    assert sent["out_trade_no"] == payment.number and sent["amount"]["total"] == checkout.total
    assert sent["notify_url"].endswith(NOTIFY)

    body = envelope(
        transaction(
            out_trade_no=payment.number, amount={"total": payment.amount, "currency": "CNY"}
        ),
        event_id="EV-PAID-1",
    )
    for _ in range(2):  # WeChat Pay resends until it sees the answer
        with committed():
            response = notify(client, body, keys.platform)
        assert response.status_code == 200
        assert response.json()["code"] == "SUCCESS"
    checkout.refresh_from_db()
    payment.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.provider_ref == "4200002024060812345678901"

    # Cancelled before shipping: the refund goes back through WeChat Pay, which answers later.
    order = checkout.orders.get()
    server.respond = lambda seen: (
        200,
        {
            "refund_id": "5000001",
            "out_refund_no": seen.json()["out_refund_no"],
            "status": "PROCESSING",
        },
    )
    with committed():
        orders.order_cancel(order_number=order.number, actor=fan, reason="Changed my mind")
    refund = Refund.objects.get(order=order)
    assert refund.status == RefundStatus.PENDING
    asked = server.seen[-1].json()
    assert asked["out_refund_no"] == refund.number
    assert asked["amount"] == {"refund": order.total, "total": payment.amount, "currency": "CNY"}

    body = envelope(
        refund_resource(
            out_trade_no=payment.number,
            out_refund_no=refund.number,
            amount={
                "total": payment.amount,
                "refund": order.total,
                "payer_total": payment.amount,
                "payer_refund": order.total,
            },
        ),
        event_type="REFUND.SUCCESS",
        event_id="EV-REFUND-1",
    )
    with committed():
        response = notify(client, body, keys.platform)
    assert response.status_code == 200
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED


def test_a_wechat_notification_signed_by_someone_else_is_refused(
    client, wechat, keys, supplier, shop, fan
):
    checkout = place(fan, make_listing(shop, make_product(supplier)))
    payment = Payment.objects.create(
        number="P-FORGED-TEST", checkout=checkout, gateway="wechatpay", amount=checkout.total
    )
    body = envelope(
        transaction(
            out_trade_no=payment.number, amount={"total": payment.amount, "currency": "CNY"}
        )
    )
    response = notify(client, body, keys.stranger)
    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CREATED
    wrong_key = envelope(transaction(out_trade_no=payment.number), key="x" * 32)
    response = notify(client, wrong_key, keys.platform)
    assert response.status_code == 400
    assert APIV3_KEY not in response.content.decode()


def test_a_provider_that_cannot_be_reached_leaves_the_attempt_closed(
    wechat, server, supplier, shop, fan
):
    checkout = place(fan, make_listing(shop, make_product(supplier)))
    server.respond = lambda seen: (500, {"code": "SYSTEM_ERROR", "message": "busy"})
    with pytest.raises(DomainError) as exc:
        payments.payment_start(buyer=fan, checkout_number=checkout.number, gateway="wechatpay")
    assert exc.value.status == 502
    assert list(Payment.objects.values_list("status", flat=True)) == [PaymentStatus.CLOSED]
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PENDING_PAYMENT  # she can try again

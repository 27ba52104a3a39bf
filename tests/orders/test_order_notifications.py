"""Buyer, shop owner and fulfiller hear of each order event: in the inbox and by email, which
travels through a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest

from tests.buying import committed, pay, place, ship
from tests.factories import make_listing, make_product
from tests.smtp import subject_of, text_of
from vshop.messaging.models import InboxMessage
from vshop.orders import after_sales
from vshop.orders import services as orders

pytestmark = pytest.mark.django_db


def _inbox(user) -> list[str]:
    return list(
        InboxMessage.objects.filter(recipient=user).order_by("pk").values_list("kind", flat=True)
    )


def test_paid_shipped_received_and_refunded_reach_everyone_concerned(
    smtp_server, settings, supplier, shop, fan
):
    settings.VSHOP_SITE_URL = "https://vshop.example"
    order = pay(place(fan, make_listing(shop, make_product(supplier)))).orders.get()

    assert _inbox(fan) == ["order.paid"]
    assert _inbox(shop.owner) == ["order.paid"]
    assert _inbox(supplier.owner) == ["order.paid"]
    mails = smtp_server.wait_for(3)
    assert sorted(m["To"] for m in mails) == sorted(
        [fan.email, shop.owner.email, supplier.owner.email]
    )
    assert all(subject_of(m) == f"Order {order.number} is paid" for m in mails)
    to_fan = next(m for m in mails if m["To"] == fan.email)
    assert f"https://vshop.example/orders/{order.number}/" in text_of(to_fan)
    to_supplier = next(m for m in mails if m["To"] == supplier.owner.email)
    assert f"https://vshop.example/fulfilment/{order.number}/" in text_of(to_supplier)

    ship(order)
    assert _inbox(fan)[-1] == "order.shipped"
    assert _inbox(supplier.owner)[-1] == "order.paid"  # the one who shipped is not told of it
    with committed():
        orders.order_confirm_receipt(order_number=order.number, actor=fan)
    with committed():
        request = after_sales.after_sales_request(
            buyer=fan, order_number=order.number, kind="refund_only", reason="damaged"
        )
    assert _inbox(supplier.owner)[-1] == "after_sales.requested"
    assert _inbox(shop.owner)[-1] == "after_sales.requested"
    with committed():
        after_sales.after_sales_approve(actor=supplier.owner, number=request.number)
    assert "after_sales.refunded" in _inbox(fan) and "order.refunded" in _inbox(fan)
    received = smtp_server.wait_for(len(InboxMessage.objects.all()))
    assert any(subject_of(m) == f"Order {order.number} was refunded" for m in received)


def test_the_owner_of_own_goods_hears_as_the_fulfiller(smtp_server, shop, fan, category):
    from vshop.shops import services as shops

    own = shops.listing_create_own_goods(
        shop=shop,
        actor=shop.owner,
        title="Soap",
        category_id=category.pk,
        skus=[shops.OwnSkuInput(code="S", price=900, stock=2)],
    )
    order = pay(place(fan, own)).orders.get()
    [message] = InboxMessage.objects.filter(recipient=shop.owner)
    assert message.link == f"/fulfilment/{order.number}/"

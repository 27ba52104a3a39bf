"""Money back: cancel before shipping, after-sales requests after it, partial refunds by line and
amount, returns that restock, disputes the operator settles; never more than was paid."""

from __future__ import annotations

import pytest

from tests.buying import committed, pay, place, ship
from tests.factories import image_upload, make_listing, make_product, sku_input
from vshop.errors import DomainError, NotFound
from vshop.inventory.models import Stock
from vshop.orders import after_sales
from vshop.orders import services as orders
from vshop.orders.after_sales import LineRefund
from vshop.orders.models import AfterSalesPhoto, Order
from vshop.orders.states import AfterSalesStatus, OrderStatus
from vshop.payments.gateways.sandbox import SandboxTransaction
from vshop.payments.models import Payment, Refund, RefundStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(supplier, shop, fan):
    """A paid order of 2 × ¥19.90 (A) and 1 × ¥21.90 (B), ¥8 delivery."""
    orders.delivery_rule_set(actor=supplier.owner, flat_fee=800, free_over=None)
    product = make_product(
        supplier, skus=[sku_input("A", stock=5), sku_input("B", suggested=2190, stock=5)]
    )
    listing = make_listing(shop, product)
    from tests.buying import add_to_cart

    add_to_cart(fan, listing, sku_index=0, quantity=2)
    add_to_cart(fan, listing, sku_index=1, quantity=1)
    checkout = pay(place(fan))
    order = checkout.orders.get()
    assert order.total == 2 * 1990 + 2190 + 800
    return order


def _stock(order: Order) -> list[tuple[int, int, int]]:
    return [
        (s.quantity, s.reserved, s.sold)
        for s in Stock.objects.filter(sku__in=[x.sku_id for x in order.lines.all()]).order_by(
            "sku_id"
        )
    ]


def _refunded(order: Order) -> int:
    return sum(Refund.objects.filter(order=order).values_list("amount", flat=True))


def test_cancel_before_shipping_refunds_everything_at_once_and_restocks(paid, fan):
    with committed():
        orders.order_cancel(order_number=paid.number, actor=fan, reason="Ordered the wrong size")
    paid.refresh_from_db()
    assert paid.status == OrderStatus.CANCELLED
    assert paid.refunded_total == paid.total
    [refund] = Refund.objects.filter(order=paid)
    assert refund.amount == paid.total and refund.status == RefundStatus.SUCCEEDED
    assert SandboxTransaction.objects.get().refunded == paid.total  # through the same gateway
    assert _stock(paid) == [(5, 0, 0), (5, 0, 0)]


def test_a_shipped_order_cannot_simply_be_cancelled(paid, fan):
    ship(paid)
    with pytest.raises(DomainError) as exc:
        orders.order_cancel(order_number=paid.number, actor=fan)
    assert exc.value.status == 409


def test_refund_only_for_part_of_one_line(paid, fan, supplier):
    ship(paid)
    line_a = paid.lines.get(sku_code="A")
    with committed():
        request = after_sales.after_sales_request(
            buyer=fan,
            order_number=paid.number,
            kind="refund_only",
            reason="damaged",
            description="One cup arrived cracked",
            lines=[LineRefund(line_id=line_a.pk, amount=1990)],
            photos=[image_upload()],
        )
    assert AfterSalesPhoto.objects.filter(request=request).count() == 1
    with committed():
        after_sales.after_sales_approve(actor=supplier.owner, number=request.number)
    request.refresh_from_db()
    paid.refresh_from_db()
    assert request.status == AfterSalesStatus.REFUNDED
    assert paid.refunded_total == 1990 and paid.status == OrderStatus.SHIPPED
    assert _refunded(paid) == 1990
    assert _stock(paid) == [(3, 0, 2), (4, 0, 1)]  # refund only: the goods stay with the buyer


def test_return_and_refund_restocks_what_comes_back(paid, fan, supplier):
    ship(paid)
    line_b = paid.lines.get(sku_code="B")
    with committed():
        request = after_sales.after_sales_request(
            buyer=fan,
            order_number=paid.number,
            kind="return_and_refund",
            reason="wrong_item",
            lines=[LineRefund(line_id=line_b.pk, amount=2190, quantity=1)],
        )
        after_sales.after_sales_approve(actor=supplier.owner, number=request.number)
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.APPROVED
    assert _refunded(paid) == 0  # not before the goods are back
    with committed():
        after_sales.after_sales_return_shipped(
            buyer=fan, number=request.number, carrier="ZTO", tracking_number="ZT99"
        )
        after_sales.after_sales_receive_return(actor=supplier.owner, number=request.number)
    assert _refunded(paid) == 2190
    assert _stock(paid) == [(3, 0, 2), (5, 0, 0)]


def test_a_full_refund_after_shipping_closes_the_order(paid, fan, supplier):
    ship(paid)
    with committed():
        request = after_sales.after_sales_request(
            buyer=fan, order_number=paid.number, kind="refund_only", reason="not_received"
        )
        after_sales.after_sales_approve(actor=supplier.owner, number=request.number)
    paid.refresh_from_db()
    assert paid.status == OrderStatus.REFUNDED
    assert paid.refunded_total == paid.total == _refunded(paid)
    assert Payment.objects.get(settles_checkout=True).refunded_amount == paid.total


def test_rejected_then_disputed_then_the_operator_decides(paid, fan, supplier, operator):
    ship(paid)
    with committed():
        request = after_sales.after_sales_request(
            buyer=fan, order_number=paid.number, kind="refund_only", reason="not_as_described"
        )
    with pytest.raises(DomainError) as exc:
        after_sales.after_sales_reject(actor=supplier.owner, number=request.number, note="")
    assert exc.value.status == 400
    with committed():
        after_sales.after_sales_reject(
            actor=supplier.owner, number=request.number, note="It matches the photos"
        )
        after_sales.after_sales_dispute(
            buyer=fan, number=request.number, reason="The colour is different"
        )
    with pytest.raises(DomainError):
        after_sales.after_sales_arbitrate(
            operator=fan, number=request.number, refund=True, note="x"
        )
    with committed():
        after_sales.after_sales_arbitrate(
            operator=operator,
            number=request.number,
            refund=True,
            note="The photos show a different colour",
        )
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.REFUNDED
    assert _refunded(paid) == paid.total
    roles = list(paid.events.filter(after_sales=request).values_list("to_status", "role"))
    assert roles == [
        ("requested", "buyer"),
        ("rejected", "fulfiller"),
        ("disputed", "buyer"),
        ("refunded", "operator"),
    ]


def test_the_operator_can_also_close_a_dispute_for_the_seller(paid, fan, supplier, operator):
    ship(paid)
    with committed():
        request = after_sales.after_sales_request(
            buyer=fan, order_number=paid.number, kind="refund_only", reason="changed_mind"
        )
        after_sales.after_sales_reject(
            actor=supplier.owner, number=request.number, note="No reason given"
        )
        after_sales.after_sales_dispute(buyer=fan, number=request.number, reason="Please")
        after_sales.after_sales_arbitrate(
            operator=operator, number=request.number, refund=False, note="Seller right"
        )
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.CLOSED
    assert _refunded(paid) == 0


def test_never_more_than_what_is_left(paid, fan, supplier):
    ship(paid)
    line_a = paid.lines.get(sku_code="A")
    with pytest.raises(DomainError) as exc:
        after_sales.after_sales_request(
            buyer=fan,
            order_number=paid.number,
            kind="refund_only",
            reason="damaged",
            lines=[LineRefund(line_id=line_a.pk, amount=line_a.line_total + 1)],
        )
    assert exc.value.code == "refund_too_large"
    with committed():
        first = after_sales.after_sales_request(
            buyer=fan,
            order_number=paid.number,
            kind="refund_only",
            reason="damaged",
            lines=[LineRefund(line_id=line_a.pk, amount=3000)],
        )
    with pytest.raises(DomainError) as exc:
        after_sales.after_sales_request(
            buyer=fan, order_number=paid.number, kind="refund_only", reason="damaged"
        )
    assert exc.value.code == "after_sales_open"
    with committed():
        after_sales.after_sales_approve(actor=supplier.owner, number=first.number)
    with pytest.raises(DomainError) as exc:
        after_sales.after_sales_request(
            buyer=fan,
            order_number=paid.number,
            kind="refund_only",
            reason="damaged",
            lines=[LineRefund(line_id=line_a.pk, amount=981)],  # 3980 - 3000 = 980 left
        )
    assert exc.value.code == "refund_too_large"
    with committed():
        rest = after_sales.after_sales_request(
            buyer=fan, order_number=paid.number, kind="refund_only", reason="damaged"
        )
        after_sales.after_sales_approve(actor=supplier.owner, number=rest.number)
    paid.refresh_from_db()
    assert paid.refunded_total == paid.total == _refunded(paid)
    assert paid.status == OrderStatus.REFUNDED


def test_only_the_fulfiller_decides_and_only_the_buyer_asks(paid, fan, shop, other_shop):
    ship(paid)
    with pytest.raises(NotFound):
        after_sales.after_sales_request(
            buyer=shop.owner, order_number=paid.number, kind="refund_only", reason="damaged"
        )
    with committed():
        request = after_sales.after_sales_request(
            buyer=fan, order_number=paid.number, kind="refund_only", reason="damaged"
        )
    for outsider in (
        shop.owner,
        other_shop.owner,
        fan,
    ):  # the shop owner does not ship catalogue goods
        with pytest.raises(NotFound):
            after_sales.after_sales_approve(actor=outsider, number=request.number)


def test_after_sales_needs_a_shipped_order(paid, fan):
    with pytest.raises(DomainError) as exc:
        after_sales.after_sales_request(
            buyer=fan, order_number=paid.number, kind="refund_only", reason="damaged"
        )
    assert exc.value.status == 409


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_written(paid, fan):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ship(paid)
    with pytest.raises(DomainError) as exc:
        after_sales.after_sales_request(
            buyer=fan,
            order_number=paid.number,
            kind="refund_only",
            reason="damaged",
            photos=[SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")],
        )
    assert exc.value.status == 400
    assert not paid.after_sales.exists()

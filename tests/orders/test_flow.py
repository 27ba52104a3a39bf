"""The whole way: cart, checkout, payment through the sandbox, shipping, receipt, completion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.buying import committed, pay, place, ship
from tests.factories import make_listing, make_product, sku_input
from vshop.inventory.models import Stock
from vshop.orders import services as orders
from vshop.orders.models import CheckoutStatus, Order, OrderEvent
from vshop.orders.states import OrderStatus
from vshop.payments.models import Payment, PaymentStatus

pytestmark = pytest.mark.django_db


def test_buy_pay_ship_receive_complete(supplier, shop, fan):
    product = make_product(supplier, skus=[sku_input("A", stock=5)])
    listing = make_listing(shop, product)
    checkout = place(fan, listing, quantity=2)
    stock = Stock.objects.get(sku=product.skus.get())
    assert (stock.quantity, stock.reserved, stock.sold) == (3, 2, 0)
    [order] = checkout.orders.all()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.total == 2 * 1990

    pay(checkout)
    assert checkout.status == CheckoutStatus.PAID
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    stock.refresh_from_db()
    assert (stock.quantity, stock.reserved, stock.sold) == (3, 0, 2)
    assert Payment.objects.get(checkout=checkout).status == PaymentStatus.SUCCEEDED

    ship(order)
    with committed():
        orders.order_confirm_receipt(order_number=order.number, actor=fan)
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert orders.orders_complete_due() == 0  # the after-sales window is still open
    assert orders.orders_complete_due(now=timezone.now() + timedelta(days=8)) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    history = list(
        OrderEvent.objects.filter(order=order).values_list("from_status", "to_status", "role")
    )
    assert history == [
        ("", "pending_payment", "buyer"),
        ("pending_payment", "paid", "gateway"),
        ("paid", "shipped", "fulfiller"),
        ("shipped", "delivered", "buyer"),
        ("delivered", "completed", "system"),
    ]


def test_one_checkout_makes_one_order_per_shop_and_fulfiller(supplier, shop, fan, other_shop):
    from tests.factories import make_supplier

    second_supplier = make_supplier()
    a = make_listing(shop, make_product(supplier))
    b = make_listing(shop, make_product(second_supplier))
    c = make_listing(other_shop, make_product(supplier))
    checkout = place(fan, a, b, c)
    orders_ = list(Order.objects.filter(checkout=checkout))
    assert len(orders_) == 3
    assert {(o.shop_id, o.supplier_id) for o in orders_} == {
        (shop.pk, supplier.pk),
        (shop.pk, second_supplier.pk),
        (other_shop.pk, supplier.pk),
    }
    assert checkout.total == sum(o.total for o in orders_)
    pay(checkout)
    assert Payment.objects.filter(checkout=checkout).count() == 1
    assert set(Order.objects.filter(checkout=checkout).values_list("status", flat=True)) == {"paid"}


def test_unpaid_checkout_expires_and_stock_comes_back(supplier, shop, fan):
    product = make_product(supplier, skus=[sku_input("A", stock=3)])
    checkout = place(fan, make_listing(shop, product), quantity=3)
    assert orders.checkouts_expire_overdue() == 0
    assert orders.checkouts_expire_overdue(now=timezone.now() + timedelta(minutes=16)) == 1
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.CANCELLED
    stock = Stock.objects.get(sku=product.skus.get())
    assert (stock.quantity, stock.reserved, stock.sold) == (3, 0, 0)

"""No unit is sold twice: 50 buyers with their own connections race for the last 10 units on
PostgreSQL, and a payment races the unpaid-order timeout."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.buying import add_to_cart, make_address
from tests.factories import make_listing, make_product, make_user, sku_input
from tests.races import race
from vshop.inventory.models import Stock
from vshop.orders import services as orders
from vshop.orders.models import Checkout, OrderLine


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_buyers_racing_for_the_last_ten_units():
    from tests.factories import make_shop, make_supplier

    supplier = make_supplier()
    shop = make_shop()
    product = make_product(supplier, skus=[sku_input("LAST", stock=10)])
    listing = make_listing(shop, product)
    buyers = [make_user() for _ in range(50)]
    addresses = [make_address(b) for b in buyers]
    for buyer in buyers:
        add_to_cart(buyer, listing, quantity=1)

    results = race(50, lambda i: orders.checkout_place(buyer=buyers[i], address_id=addresses[i].pk))

    assert connection.vendor == "postgresql"
    assert results.count("ok") == 10, results
    assert results.count("out_of_stock") == 40, results
    stock = Stock.objects.get(sku=product.skus.get())
    assert (stock.quantity, stock.reserved) == (0, 10)
    assert Checkout.objects.count() == 10
    assert sum(OrderLine.objects.values_list("quantity", flat=True)) == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_buyers_taking_several_skus_in_opposite_orders_never_deadlock():
    from tests.factories import make_shop, make_supplier

    supplier = make_supplier()
    shop = make_shop()
    a = make_listing(shop, make_product(supplier, skus=[sku_input("A", stock=100)]))
    b = make_listing(shop, make_product(supplier, skus=[sku_input("B", stock=100)]))
    buyers = [make_user() for _ in range(20)]
    addresses = [make_address(x) for x in buyers]
    for n, buyer in enumerate(buyers):
        first, second = (a, b) if n % 2 else (b, a)
        add_to_cart(buyer, first)
        add_to_cart(buyer, second)

    results = race(20, lambda i: orders.checkout_place(buyer=buyers[i], address_id=addresses[i].pk))

    assert results == ["ok"] * 20
    assert sorted(Stock.objects.values_list("quantity", "reserved")) == [(80, 20), (80, 20)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(5))
def test_a_payment_racing_the_timeout_leaves_exactly_one_outcome(attempt):
    from tests.factories import make_shop, make_supplier
    from vshop.orders.states import Role
    from vshop.payments import services as payments
    from vshop.payments.gateways.base import Notification
    from vshop.payments.models import Payment, Refund

    supplier = make_supplier()
    listing = make_listing(make_shop(), make_product(supplier, skus=[sku_input("A", stock=3)]))
    buyer = make_user()
    address = make_address(buyer)
    add_to_cart(buyer, listing, quantity=2)
    checkout = orders.checkout_place(buyer=buyer, address_id=address.pk)
    payment, _start = payments.payment_start(
        buyer=buyer, checkout_number=checkout.number, gateway="sandbox"
    )
    notification = Notification(
        gateway="sandbox",
        event_id=f"race-{attempt}",
        kind="payment_succeeded",
        payment_number=payment.number,
        amount=payment.amount,
        currency="CNY",
    )

    def act(i: int) -> None:
        if i == 0:
            orders.checkout_cancel(checkout=Checkout.objects.get(pk=checkout.pk), role=Role.SYSTEM)
        else:
            payments.notification_apply(notification=notification)

    assert race(2, act) == ["ok", "ok"]
    checkout.refresh_from_db()
    stock = Stock.objects.get(sku=listing.product.skus.get())
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    if checkout.status == "paid":
        assert (stock.quantity, stock.reserved, stock.sold) == (1, 0, 2)
        assert not Refund.objects.exists()
    else:
        assert checkout.status == "cancelled"
        assert (stock.quantity, stock.reserved, stock.sold) == (3, 0, 0)
        assert Refund.objects.get().amount == payment.amount  # charged once, given back
    assert Payment.objects.filter(settles_checkout=True).count() == (
        1 if checkout.status == "paid" else 0
    )

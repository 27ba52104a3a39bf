"""Builders for the buying tests: an address, a placed checkout, a paid one, a shipped order.

Services that act after their transaction commits (refunds sent to the gateway, the sandbox's
notifications, inbox messages) run here because each step is wrapped in ``committed()``, which
runs the on-commit callbacks as a real commit would (the test's own transaction never commits).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.test import TestCase

from vshop.accounts.models import User
from vshop.orders import services as orders
from vshop.orders.models import Address, Checkout, Order
from vshop.payments import services as payments
from vshop.payments.gateways.sandbox import sandbox_pay
from vshop.shops.models import Listing


@contextmanager
def committed() -> Iterator[None]:
    with TestCase.captureOnCommitCallbacks(execute=True):
        yield


def make_address(user: User, **overrides: object) -> Address:
    data = {
        "name": "Li Hua",
        "mobile": "13800138000",
        "province": "Zhejiang",
        "city": "Hangzhou",
        "district": "Xihu",
        "detail": "1 Lingyin Road",
        "is_default": False,
    }
    data.update(overrides)
    return orders.address_create(user=user, data=orders.AddressInput(**data))  # type: ignore[arg-type]


def add_to_cart(buyer: User, listing: Listing, *, sku_index: int = 0, quantity: int = 1) -> None:
    sku = list(listing.product.skus.order_by("position", "pk"))[sku_index]
    cart = orders.cart_of_user(user=buyer)
    orders.cart_add(cart=cart, listing_id=listing.pk, sku_id=sku.pk, quantity=quantity, buyer=buyer)


def place(
    buyer: User, *listings: Listing, quantity: int = 1, address: Address | None = None
) -> Checkout:
    for listing in listings:
        add_to_cart(buyer, listing, quantity=quantity)
    address = address or Address.objects.filter(user=buyer).first() or make_address(buyer)
    with committed():
        return orders.checkout_place(buyer=buyer, address_id=address.pk)


def pay(checkout: Checkout) -> Checkout:
    """Pay through the sandbox: start a payment, pay on its page, its notification arrives."""
    assert checkout.buyer is not None
    with committed():
        payment, _start = payments.payment_start(
            buyer=checkout.buyer, checkout_number=checkout.number, gateway="sandbox"
        )
    with committed():
        sandbox_pay(payment_number=payment.number)
    checkout.refresh_from_db()
    return checkout


def ship(order: Order) -> Order:
    fulfiller = order.supplier.owner if order.supplier else order.shop.owner
    with committed():
        return orders.order_ship(
            order_number=order.number,
            actor=fulfiller,
            carrier="SF Express",
            tracking_number="SF1234567890",
        )

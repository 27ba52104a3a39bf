"""Buying reads, each scoped by the acting account: a buyer sees her own addresses, cart and
orders; a shop owner her shops' orders; a fulfiller the orders she ships (a supplier its
catalogue products, a shop owner her own goods). Another account's row is simply not found."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Prefetch, Q, QuerySet

from vshop.accounts.models import User
from vshop.errors import NotFound
from vshop.orders.models import (
    Address,
    AfterSalesRequest,
    Cart,
    CartLine,
    Checkout,
    Order,
    OrderEvent,
)
from vshop.shops.models import Listing


def addresses_of(*, user: User) -> QuerySet[Address]:
    return Address.objects.filter(user=user)


def address_of(*, user: User, address_id: int, for_update: bool = False) -> Address:
    qs = Address.objects.filter(user=user, pk=address_id)
    if for_update:
        qs = qs.select_for_update()
    address = qs.first()
    if address is None:
        raise NotFound(field="address_id")
    return address


def listing_for_cart(*, listing_id: int) -> Listing:
    """A listing with what decides whether it can be bought (shop, product, supplier)."""
    listing = (
        Listing.objects.select_related("shop", "product", "product__supplier")
        .filter(pk=listing_id)
        .first()
    )
    if listing is None:
        raise NotFound(field="listing_id")
    return listing


def cart_lines(*, cart: Cart) -> QuerySet[CartLine]:
    return cart.lines.select_related(
        "listing", "listing__shop", "listing__product", "sku", "sku__stock"
    )


def cart_line_of(*, cart: Cart, line_id: int) -> CartLine:
    line = CartLine.objects.select_related("sku").filter(cart=cart, pk=line_id).first()
    if line is None:
        raise NotFound(field="line_id")
    return line


def cart_lines_for_checkout(*, cart: Cart, line_ids: Sequence[int] | None) -> list[CartLine]:
    """The lines to check out: the chosen ones (all must be hers), or the whole cart."""
    qs = CartLine.objects.filter(cart=cart).select_related("listing")
    if line_ids is not None:
        wanted = set(line_ids)
        lines = list(qs.filter(pk__in=wanted))
        if len(lines) != len(wanted):
            raise NotFound(field="cart_line_ids")
        return lines
    return list(qs)


def cart_count(*, cart: Cart | None) -> int:
    if cart is None:
        return 0
    return sum(cart.lines.values_list("quantity", flat=True))


def checkout_of(*, buyer: User, number: str) -> Checkout:
    checkout = Checkout.objects.filter(buyer=buyer, number=number).first()
    if checkout is None:
        raise NotFound()
    return checkout


def _with_details(qs: QuerySet[Order]) -> QuerySet[Order]:
    return qs.select_related("shop", "supplier", "checkout", "buyer").prefetch_related(
        "lines",
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
        Prefetch("after_sales", queryset=AfterSalesRequest.objects.prefetch_related("lines")),
    )


def orders_of_buyer(*, buyer: User, status: str | None = None) -> QuerySet[Order]:
    qs = Order.objects.filter(buyer=buyer)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("shop").prefetch_related("lines")


def order_of_buyer(*, buyer: User, number: str, for_update: bool = False) -> Order:
    qs = Order.objects.filter(buyer=buyer, number=number)
    qs = qs.select_for_update() if for_update else _with_details(qs)
    order = qs.first()
    if order is None:
        raise NotFound()
    return order


def orders_of_shop_owner(
    *, owner: User, shop_id: int | None = None, status: str | None = None
) -> QuerySet[Order]:
    qs = Order.objects.filter(shop__owner=owner)
    if shop_id is not None:
        qs = qs.filter(shop_id=shop_id)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("shop", "supplier").prefetch_related("lines")


def order_of_shop_owner(*, owner: User, number: str) -> Order:
    order = _with_details(Order.objects.filter(shop__owner=owner, number=number)).first()
    if order is None:
        raise NotFound()
    return order


def fulfiller_filter(user: User) -> Q:
    """Orders this account ships: its supplier's, and its shops' own goods."""
    return Q(supplier__owner=user) | Q(supplier__isnull=True, shop__owner=user)


def orders_to_fulfil(*, user: User, status: str | None = None) -> QuerySet[Order]:
    qs = Order.objects.filter(fulfiller_filter(user))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("shop", "supplier").prefetch_related("lines")


def order_to_fulfil(*, user: User, number: str, for_update: bool = False) -> Order:
    qs = Order.objects.filter(fulfiller_filter(user), number=number)
    if for_update:
        # FOR UPDATE cannot lock the nullable side of the join: lock by primary key instead.
        pk = qs.values_list("pk", flat=True).first()
        if pk is None:
            raise NotFound()
        qs = Order.objects.select_for_update().filter(pk=pk)
    else:
        qs = _with_details(qs)
    order = qs.first()
    if order is None:
        raise NotFound()
    return order


def order_for_operator(*, number: str) -> Order:
    order = _with_details(Order.objects.filter(number=number)).first()
    if order is None:
        raise NotFound()
    return order


def after_sales_to_decide(*, user: User, status: str | None = None) -> QuerySet[AfterSalesRequest]:
    """After-sales requests on the orders this account ships."""
    qs = AfterSalesRequest.objects.filter(order__in=Order.objects.filter(fulfiller_filter(user)))
    return qs.filter(status=status) if status else qs


def disputes_for_operator(*, operator: User) -> QuerySet[AfterSalesRequest]:
    """Disputes waiting for the platform's decision, oldest first."""
    from vshop.accounts.permissions import require_operator
    from vshop.orders.states import AfterSalesStatus

    require_operator(operator)
    return AfterSalesRequest.objects.filter(status=AfterSalesStatus.DISPUTED).order_by("updated_at")

"""The demo's buying: delivery rules, address books, and orders in every state of their life.

Every order is made as people make them, through the services: the fan fills her cart and checks
out, pays on the sandbox gateway's page and comes back to the shop (which asks the gateway, as
the "payment done" page does), the fulfiller ships, the fan confirms receipt or asks for her
money back, and the worker's sweep completes an order whose after-sales window has closed.

The loader runs all of it inside its one transaction, so nothing here may wait for a commit:
payments are settled by ``payment_sync`` (the provider's own notification, queued for after the
commit, then finds the payment already paid), and the inbox messages and emails that the
services queue for after the commit are written when the demo commits.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

from django.test.utils import override_settings
from django.utils import timezone

from vshop.accounts.models import User
from vshop.catalog.models import Sku, Supplier
from vshop.demo import data, drawings
from vshop.orders import after_sales
from vshop.orders import services as orders
from vshop.orders.models import (
    Address,
    AfterSalesKind,
    AfterSalesReason,
    Checkout,
    Order,
)
from vshop.payments import services as payments
from vshop.payments.gateways import available_gateways
from vshop.payments.gateways.sandbox import sandbox_pay
from vshop.shops.models import Listing, Shop

logger = logging.getLogger("vshop.demo")

GATEWAY = "sandbox"
# The demo's order waiting for payment stays payable for a day, so that a person who tries the
# demo later the same day still finds it (the product's own rule is VSHOP_UNPAID_TIMEOUT_SECONDS).
UNPAID_SECONDS = 24 * 60 * 60
SF = "顺丰速运"
ZTO = "中通快递"


@dataclass(frozen=True)
class Item:
    listing: Listing
    sku: Sku
    quantity: int = 1


class _Shelf:
    """The goods a demo buyer can pick from, in a fixed order, each variant picked only once so
    the orders show different products."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.taken: set[int] = set()

    def pick(
        self, shop: Shop, *, supplier: Supplier | None = None, own: bool = False, quantity: int = 1
    ) -> Item:
        listings = Listing.objects.filter(shop=shop).select_related("product").order_by("pk")
        if own:
            listings = listings.filter(product__shop=shop)
        elif supplier is not None:
            listings = listings.filter(product__supplier=supplier)
        candidates = [
            (listing, sku)
            for listing in listings
            for sku in listing.product.skus.filter(is_active=True).select_related("stock")[:1]
            if sku.pk not in self.taken and sku.stock.quantity >= quantity + (0 if own else 4)
        ]
        if not candidates:
            raise RuntimeError(f"The demo found nothing in stock to buy in {shop.slug}.")
        listing, sku = self.rng.choice(candidates)
        self.taken.add(sku.pk)
        return Item(listing, sku, quantity)


def _address(user: User, row: data.AddressRow) -> Address:
    return orders.address_create(
        user=user,
        data=orders.AddressInput(
            name=row.name,
            mobile=row.mobile,
            province=row.province,
            city=row.city,
            district=row.district,
            detail=row.detail,
            is_default=row.is_default,
        ),
    )


def _place(buyer: User, address: Address, *items: Item, note: str = "") -> Checkout:
    cart = orders.cart_of_user(user=buyer)
    for item in items:
        orders.cart_add(
            cart=cart,
            listing_id=item.listing.pk,
            sku_id=item.sku.pk,
            quantity=item.quantity,
            buyer=buyer,
        )
    return orders.checkout_place(buyer=buyer, address_id=address.pk, note=note)


def _pay(checkout: Checkout) -> Checkout:
    """Pay on the sandbox's page, then come back to the shop, which asks the gateway."""
    assert checkout.buyer is not None
    payment, _start = payments.payment_start(
        buyer=checkout.buyer, checkout_number=checkout.number, gateway=GATEWAY
    )
    sandbox_pay(payment_number=payment.number)
    outcome = payments.payment_sync(payment=payment)
    if outcome != "paid":
        raise RuntimeError(f"The demo's payment {payment.number} was not applied: {outcome}.")
    checkout.refresh_from_db()
    return checkout


def _only_order(checkout: Checkout) -> Order:
    (order,) = checkout.orders.all()
    return order


def _ship(order: Order, rng: random.Random, carrier: str = SF) -> Order:
    fulfiller = order.supplier.owner if order.supplier else order.shop.owner
    prefix, digits = ("SF", 13) if carrier == SF else ("7", 14)
    tracking = prefix + "".join(str(rng.randint(0, 9)) for _ in range(digits))
    return orders.order_ship(
        order_number=order.number, actor=fulfiller, carrier=carrier, tracking_number=tracking
    )


def _receive(order: Order) -> Order:
    assert order.buyer is not None
    return orders.order_confirm_receipt(order_number=order.number, actor=order.buyer)


def _shape_of(item: Item) -> str:
    title = item.listing.product.title
    return next((p.shape for p in data.PRODUCTS if p.title == title), "jar")


def load_buying(
    rng: random.Random,
    *,
    suppliers: dict[str, Supplier],
    shops_by_slug: dict[str, Shop],
    fans: list[User],
) -> None:
    """Delivery rules, addresses, and the fans' orders (see the module's docstring)."""
    for key, (fee, free_over) in data.SUPPLIER_DELIVERY.items():
        supplier = suppliers[key]
        orders.delivery_rule_set(actor=supplier.owner, flat_fee=fee, free_over=free_over)
    for slug, (fee, free_over) in data.SHOP_DELIVERY.items():
        shop = shops_by_slug[slug]
        orders.delivery_rule_set(actor=shop.owner, flat_fee=fee, free_over=free_over, shop=shop)
    if GATEWAY not in available_gateways():
        logger.warning("The sandbox gateway is switched off: the demo has no orders.")
        return

    fan = fans[0]
    home, office = (_address(fan, row) for row in data.FAN_ADDRESSES)
    lily = shops_by_slug[data.SHOPS[0].slug]
    mianmian = suppliers[data.SUPPLIERS[0].key]
    shelf = _Shelf(rng)

    # Completed: received a while ago, the after-sales window closed, the worker's sweep ran.
    # (The window is shortened for this one order rather than running the sweep "in the future",
    # which would complete other people's orders early.)
    completed = _only_order(_pay(_place(fan, home, shelf.pick(lily, supplier=mianmian))))
    _ship(completed, rng)
    with override_settings(VSHOP_AFTER_SALES_DAYS=0):
        _receive(completed)
    if not orders.orders_complete_due(now=timezone.now()):
        raise RuntimeError("The demo's received order did not complete.")
    # Received: the buyer confirmed; after-sales is open for a week.
    received = _only_order(_pay(_place(fan, home, shelf.pick(lily, supplier=mianmian))))
    _receive(_ship(received, rng))
    # After-sales: received damaged; the refund request waits for the supplier.
    damaged_item = shelf.pick(lily, supplier=mianmian)
    damaged = _only_order(_pay(_place(fan, office, damaged_item)))
    _receive(_ship(damaged, rng))
    after_sales.after_sales_request(
        buyer=fan,
        order_number=damaged.number,
        kind=AfterSalesKind.REFUND_ONLY,
        reason=AfterSalesReason.DAMAGED,
        description=data.AFTER_SALES_DESCRIPTION,
        photos=drawings.product_photos(rng, shape=_shape_of(damaged_item), count=1),
    )
    # Shipped, on its way with SF Express.
    _ship(
        _only_order(_pay(_place(fan, home, shelf.pick(lily, supplier=mianmian, quantity=2)))), rng
    )
    # Paid, for the supplier to ship.
    _pay(_place(fan, office, shelf.pick(lily, supplier=mianmian)))
    # One checkout across two shops and three fulfillers: Lily's own picture books (she ships
    # them herself), a catalogue product in her shop, and snacks from AJ's shop.
    aj = shops_by_slug[data.SHOPS[1].slug]
    multi = _pay(
        _place(
            fan,
            home,
            shelf.pick(lily, own=True),
            shelf.pick(lily, supplier=mianmian),
            shelf.pick(aj),
            note="周末在家，周六日都可以送。Home at the weekend.",
        )
    )
    own = multi.orders.get(supplier__isnull=True)
    _ship(own, rng, carrier=ZTO)
    # Cancelled before payment: the wrong address.
    wrong = _only_order(_place(fan, office, shelf.pick(lily, supplier=mianmian)))
    orders.order_cancel(order_number=wrong.number, actor=fan, reason=data.CANCEL_REASON)
    # Waiting for payment (placed last, so it is the first she sees).
    with override_settings(VSHOP_UNPAID_TIMEOUT_SECONDS=UNPAID_SECONDS):
        _place(fan, home, shelf.pick(lily, supplier=mianmian))

    # Two other fans: one paid and waiting for the supplier, one received from Lao Zhang.
    (first_index, first_row), (second_index, second_row) = data.OTHER_BUYERS
    buyer = fans[first_index]
    _pay(_place(buyer, _address(buyer, first_row), shelf.pick(lily, supplier=mianmian)))
    buyer = fans[second_index]
    laozhang = shops_by_slug["laozhang-home"]
    handmade = _only_order(
        _pay(_place(buyer, _address(buyer, second_row), shelf.pick(laozhang, own=True)))
    )
    _receive(_ship(handmade, rng, carrier=ZTO))

"""Buying: the address book, the cart, checkout, and an order's life from payment to completion.

Every function takes the acting account and touches only what is hers: a buyer's addresses, cart
and orders; a fulfiller's orders to ship. Totals are computed here from the listing strategy;
nothing a client sends about prices, totals or shops is used.

Stock moves with the order (``vshop.inventory.services``): placing reserves it, payment sells
it, cancelling an unpaid order releases it, cancelling a paid one or taking goods back returns
it to the shelf.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vshop.accounts.identifiers import normalize_mobile
from vshop.accounts.models import User
from vshop.distribution.attribution import attribute_orders
from vshop.errors import NotFound, PermissionDenied, ValidationFailed
from vshop.fans import activity
from vshop.fans.models import ActivityKind
from vshop.inventory import services as inventory
from vshop.ledger import bookings
from vshop.ledger.models import SplitStage
from vshop.orders import notify, selectors
from vshop.orders.errors import (
    CartEmpty,
    CheckoutExpired,
    CheckoutNotPayable,
    ListingUnavailable,
    QuantityNotAllowed,
)
from vshop.orders.models import (
    Address,
    Cart,
    CartLine,
    Checkout,
    CheckoutStatus,
    DeliveryRule,
    Order,
    OrderEvent,
    OrderLine,
)
from vshop.orders.numbers import new_number
from vshop.orders.pricing import CheckoutSummary, summarise, with_points
from vshop.orders.states import ORDER_TRANSITIONS, OrderStatus, Role, check_transition
from vshop.shops.models import Listing, Shop
from vshop.validation import clean_text

log = logging.getLogger(__name__)

MAX_ADDRESSES = 20
MAX_CART_LINES = 100


# --- the state machine's one writer --------------------------------------------------------


def order_transition(
    *,
    order: Order,
    to: str,
    role: str,
    actor: User | None = None,
    reason: str = "",
    **fields: object,
) -> Order:
    """Move an order to ``to`` if the table allows it for ``role``, recording who and why.

    The UPDATE is conditional on the status the caller saw, so of two racing transitions one
    wins and the other raises ``IllegalTransition`` without writing anything.
    """
    from vshop.orders.states import IllegalTransition

    current = order.status
    check_transition(ORDER_TRANSITIONS, current, to, role)
    updated = Order.objects.filter(pk=order.pk, status=current).update(status=to, **fields)
    if not updated:
        order.refresh_from_db(fields=["status"])
        raise IllegalTransition(current=order.status, target=to)
    order.status = to
    for name, value in fields.items():
        setattr(order, name, value)
    OrderEvent.objects.create(
        order=order,
        from_status=current,
        to_status=to,
        actor=actor,
        role=role,
        reason=str(reason)[:300],
    )
    notify.order_changed(order=order, status=to)
    return order


# --- the address book ----------------------------------------------------------------------


@dataclass(frozen=True)
class AddressInput:
    name: str
    mobile: str
    province: str
    city: str
    district: str
    detail: str
    is_default: bool = False


def _clean_address(data: AddressInput) -> dict[str, object]:
    cleaned: dict[str, object] = {}
    for name, limit in (
        ("name", 40),
        ("province", 20),
        ("city", 20),
        ("district", 20),
        ("detail", 120),
    ):
        value = clean_text(getattr(data, name), field=name, max_length=limit)
        if not value:
            raise ValidationFailed(_("This field is required."), field=name)
        cleaned[name] = value
    cleaned["mobile"] = normalize_mobile(clean_text(data.mobile, field="mobile", max_length=20))
    cleaned["is_default"] = bool(data.is_default)
    return cleaned


@transaction.atomic
def address_create(*, user: User, data: AddressInput) -> Address:
    cleaned = _clean_address(data)
    existing = Address.objects.select_for_update().filter(user=user)
    count = existing.count()
    if count >= MAX_ADDRESSES:
        raise ValidationFailed(
            _("You can keep at most %(n)s addresses.") % {"n": MAX_ADDRESSES}, field="address"
        )
    if count == 0:
        cleaned["is_default"] = True  # the first address is the default one
    if cleaned["is_default"]:
        existing.filter(is_default=True).update(is_default=False)
    return Address.objects.create(user=user, **cleaned)


@transaction.atomic
def address_update(*, user: User, address_id: int, data: AddressInput) -> Address:
    address = selectors.address_of(user=user, address_id=address_id, for_update=True)
    cleaned = _clean_address(data)
    if cleaned["is_default"]:
        Address.objects.filter(user=user, is_default=True).exclude(pk=address.pk).update(
            is_default=False
        )
    elif address.is_default:
        cleaned["is_default"] = True  # keep one default: choose another to change it
    for name, value in cleaned.items():
        setattr(address, name, value)
    address.save(update_fields=[*cleaned])
    return address


@transaction.atomic
def address_delete(*, user: User, address_id: int) -> None:
    address = selectors.address_of(user=user, address_id=address_id, for_update=True)
    was_default = address.is_default
    address.delete()
    if was_default:
        nxt = Address.objects.filter(user=user).order_by("-created_at").first()
        if nxt is not None:
            Address.objects.filter(pk=nxt.pk).update(is_default=True)


# --- the cart ------------------------------------------------------------------------------


def cart_of_user(*, user: User) -> Cart:
    cart, _created = Cart.objects.get_or_create(user=user)
    return cart


def _check_quantity(quantity: int, limit: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= limit:
        raise QuantityNotAllowed(
            str(QuantityNotAllowed.default_message) % {"limit": limit},
            field="quantity",
            limit=limit,
        )


def _buyable(*, buyer: User | None, listing_id: int, sku_id: int) -> tuple[Listing, int]:
    """The listing and the SKU's per-order limit, if this SKU of it can be bought now (sold out
    is fine in a cart: stock is checked, exactly, at checkout)."""
    from vshop.catalog.models import Sku
    from vshop.shops.strategy import strategy_for

    listing = selectors.listing_for_cart(listing_id=listing_id)
    sku = Sku.objects.filter(pk=sku_id, product_id=listing.product_id, is_active=True).first()
    if sku is None:
        raise NotFound(_("This product has no such variant."), field="sku_id")
    reason = strategy_for(buyer=buyer).unavailable_reason(listing)
    if reason:
        from vshop.shops.strategy import Unavailable

        raise ListingUnavailable(str(Unavailable.messages[reason]), field="listing_id")
    return listing, sku.max_per_order


@transaction.atomic
def cart_add(
    *, cart: Cart, listing_id: int, sku_id: int, quantity: int, buyer: User | None = None
) -> CartLine:
    """Put units in the cart; adding a SKU already there adds to its line."""
    listing, limit = _buyable(buyer=buyer, listing_id=listing_id, sku_id=sku_id)
    _check_quantity(quantity, limit)
    # After commit, so a refused add (raised below) records nothing.
    activity.record_by(user=buyer, shop_id=listing.shop_id, kind=ActivityKind.CART, ref=listing.pk)
    line = CartLine.objects.select_for_update().filter(cart=cart, listing=listing, sku_id=sku_id)
    existing = line.first()
    if existing is not None:
        _check_quantity(existing.quantity + quantity, limit)
        existing.quantity += quantity
        existing.save(update_fields=["quantity"])
        return existing
    if CartLine.objects.filter(cart=cart).count() >= MAX_CART_LINES:
        raise ValidationFailed(
            _("Your cart is full: check out or remove something first."), field="listing_id"
        )
    return CartLine.objects.create(cart=cart, listing=listing, sku_id=sku_id, quantity=quantity)


@transaction.atomic
def cart_set_quantity(*, cart: Cart, line_id: int, quantity: int) -> CartLine:
    line = selectors.cart_line_of(cart=cart, line_id=line_id)
    _check_quantity(quantity, line.sku.max_per_order)
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    return line


def cart_remove(*, cart: Cart, line_id: int) -> None:
    selectors.cart_line_of(cart=cart, line_id=line_id).delete()


@transaction.atomic
def cart_merge(*, guest_cart: Cart, user: User) -> Cart:
    """On login: the guest's lines join her account's cart (same SKU: the larger quantity, so
    logging in twice never doubles a line)."""
    cart = cart_of_user(user=user)
    if guest_cart.pk == cart.pk or guest_cart.user_id is not None:
        return cart
    mine = {(x.listing_id, x.sku_id): x for x in cart.lines.select_for_update()}
    for line in guest_cart.lines.select_related("sku"):
        own = mine.get((line.listing_id, line.sku_id))
        if own is None:
            line.cart = cart
            line.save(update_fields=["cart"])
        elif line.quantity > own.quantity:
            own.quantity = min(line.quantity, line.sku.max_per_order)
            own.save(update_fields=["quantity"])
    guest_cart.delete()
    return cart


# --- checkout ------------------------------------------------------------------------------


def checkout_preview(
    *,
    buyer: User,
    cart_line_ids: Sequence[int] | None = None,
    address_id: int | None = None,
    points: Mapping[int, int] | None = None,
) -> CheckoutSummary:
    """What the buyer would pay, computed on the server: lines, fees, totals, any problems, and
    her points per shop (with ``points`` taken off when she chose some)."""
    cart = cart_of_user(user=buyer)
    lines = selectors.cart_lines_for_checkout(cart=cart, line_ids=cart_line_ids)
    if address_id is not None:
        selectors.address_of(user=buyer, address_id=address_id)
    summary = summarise(buyer=buyer, lines=[(x.listing_id, x.sku_id, x.quantity) for x in lines])
    return with_points(summary, buyer=buyer, spend=points)


def checkout_place(
    *,
    buyer: User,
    address_id: int,
    cart_line_ids: Sequence[int] | None = None,
    items: Sequence[tuple[int, int, int]] | None = None,
    note: str = "",
    points: Mapping[int, int] | None = None,
) -> Checkout:
    """Turn cart lines (all, or the chosen ones), or ``items`` bought at once without the cart
    ("buy now": listing id, SKU id, quantity), into one checkout: one order per shop and
    fulfiller, stock reserved. ``points`` (shop id → points) pay part of a shop's orders: they
    are taken, her records locked, in the same transaction (before the stock), and given back
    if the checkout is cancelled or runs out of time unpaid.

    Everything is one transaction; stock is taken last, by conditional updates in SKU order,
    so the rows stay locked for as short a time as possible and never in a conflicting order.
    """
    address = selectors.address_of(user=buyer, address_id=address_id)
    note = clean_text(note, field="note", max_length=200)
    from_cart: list[int] = []
    if items is not None:
        wanted: dict[tuple[int, int], int] = {}
        for listing_id, sku_id, quantity in items:
            _check_quantity(quantity, settings.VSHOP_MAX_UNITS_PER_LINE)
            wanted[(listing_id, sku_id)] = wanted.get((listing_id, sku_id), 0) + quantity
        lines = [(listing_id, sku_id, n) for (listing_id, sku_id), n in wanted.items()]
    else:
        cart_lines = selectors.cart_lines_for_checkout(
            cart=cart_of_user(user=buyer), line_ids=cart_line_ids
        )
        lines = [(x.listing_id, x.sku_id, x.quantity) for x in cart_lines]
        from_cart = [x.pk for x in cart_lines]
    if not lines:
        raise CartEmpty(field="items" if items is not None else "cart_line_ids")
    summary = summarise(buyer=buyer, lines=lines)
    summary.raise_problems()
    if points:
        with_points(summary, buyer=buyer, spend=points)
    now = timezone.now()
    pay_by = now + timedelta(seconds=settings.VSHOP_UNPAID_TIMEOUT_SECONDS)
    with transaction.atomic():
        checkout = Checkout.objects.create(
            number=new_number("C"),
            buyer=buyer,
            currency=summary.currency,
            items_total=summary.items_total,
            delivery_total=summary.delivery_total,
            total=summary.total,
            created_at=now,
            pay_by=pay_by,
        )
        orders = Order.objects.bulk_create(
            [
                Order(
                    number=new_number("O"),
                    checkout=checkout,
                    buyer=buyer,
                    shop_id=group.shop_id,
                    supplier_id=group.supplier_id,
                    currency=summary.currency,
                    items_total=group.items_total,
                    delivery_fee=group.delivery_fee,
                    total=group.total,
                    points_spent=group.points_spent,
                    points_discount=group.points_discount,
                    ship_name=address.name,
                    ship_mobile=address.mobile,
                    ship_province=address.province,
                    ship_city=address.city,
                    ship_district=address.district,
                    ship_detail=address.detail,
                    note=note,
                    created_at=now,
                )
                for group in summary.groups
            ]
        )
        events = [
            OrderEvent(
                order=order,
                from_status="",
                to_status=OrderStatus.PENDING_PAYMENT,
                actor=buyer,
                role=Role.BUYER,
                created_at=now,
            )
            for order in orders
        ]
        order_lines = [
            OrderLine(
                order=order,
                listing_id=x.listing_id,
                sku_id=x.sku_id,
                title=x.title[:120],
                sku_label=x.sku_label[:120],
                sku_code=x.sku_code,
                image=x.image,
                unit_price=x.unit_price,
                supply_price=x.supply_price,
                quantity=x.quantity,
                points_discount=x.points_discount,
                line_total=x.line_total,
            )
            for order, group in zip(orders, summary.groups, strict=True)
            for x in group.lines
        ]
        OrderLine.objects.bulk_create(order_lines)
        OrderEvent.objects.bulk_create(events)
        _redeem_points(buyer=buyer, orders=orders, groups=summary.groups)
        attribute_orders(orders=orders, buyer=buyer, now=now)
        if from_cart:
            CartLine.objects.filter(pk__in=from_cart).delete()
        inventory.stock_reserve(units=summary.units())
        transaction.on_commit(lambda: _schedule_expiry(checkout.number, pay_by))
    return checkout


def _redeem_points(*, buyer: User, orders: Sequence[Order], groups: Sequence[Any]) -> None:
    """Take the points the orders are paid with, her records locked (``fans.points``)."""
    from vshop.fans import points as fan_points

    spending = [(o, g) for o, g in zip(orders, groups, strict=True) if g.points_spent]
    if not spending:
        return
    fans = fan_points.lock_fans_of(user=buyer, shop_ids={o.shop_id for o, _g in spending})
    if any(o.shop_id not in fans for o, _g in spending):
        raise fan_points.InsufficientPoints(field="points")
    fan_points.points_redeem(
        fans={f.pk: f for f in fans.values()},
        spends=[(fans[o.shop_id].pk, o.pk, g.points_spent) for o, g in spending],
    )


def _schedule_expiry(number: str, pay_by: object) -> None:
    from vshop.orders import tasks

    try:
        tasks.checkout_expire.schedule(args=(number,), eta=pay_by)
    except Exception:  # the periodic sweep cancels it anyway; never fail a placed order
        log.exception("could not schedule the expiry of checkout %s", number)


def checkout_for_payment(*, buyer: User, number: str) -> Checkout:
    """A checkout the buyer may pay now; an expired one is cancelled on the spot."""
    checkout = selectors.checkout_of(buyer=buyer, number=number)
    if checkout.status == CheckoutStatus.PENDING_PAYMENT and checkout.pay_by <= timezone.now():
        checkout_cancel(checkout=checkout, role=Role.SYSTEM, reason="payment time ran out")
        raise CheckoutExpired()
    if checkout.status == CheckoutStatus.CANCELLED:
        raise CheckoutExpired() if checkout.pay_by <= timezone.now() else CheckoutNotPayable()
    if checkout.status != CheckoutStatus.PENDING_PAYMENT:
        raise CheckoutNotPayable()
    return checkout


def _units(order_lines: Sequence[OrderLine]) -> dict[int, int]:
    units: dict[int, int] = {}
    for line in order_lines:
        units[line.sku_id] = units.get(line.sku_id, 0) + line.quantity
    return units


@transaction.atomic
def checkout_cancel(
    *, checkout: Checkout, role: str, actor: User | None = None, reason: str = ""
) -> bool:
    """Cancel an unpaid checkout and all its orders; their stock goes back to the shelf.

    Returns False, changing nothing, when it is no longer waiting for payment (paid meanwhile).
    """
    if role == Role.BUYER and (actor is None or checkout.buyer_id != actor.pk):
        raise NotFound()
    now = timezone.now()
    flipped = Checkout.objects.filter(pk=checkout.pk, status=CheckoutStatus.PENDING_PAYMENT).update(
        status=CheckoutStatus.CANCELLED, cancelled_at=now
    )
    if not flipped:
        return False
    checkout.status = CheckoutStatus.CANCELLED
    orders = list(checkout.orders.prefetch_related("lines"))
    for order in orders:
        order_transition(
            order=order,
            to=OrderStatus.CANCELLED,
            role=role,
            actor=actor,
            reason=reason,
            cancelled_at=now,
        )
    from vshop.fans import points as fan_points

    # Her records before the stock rows: the order every writer takes its locks in.
    fan_points.points_return_for_orders(orders=orders, memo="checkout not paid")
    inventory.stock_release(units=_units([x for o in orders for x in o.lines.all()]))
    return True


@transaction.atomic(savepoint=False)  # part of applying a payment notification
def checkout_mark_paid(
    *, checkout_id: int, paid_at: object
) -> tuple[dict[int, int], list[Order]] | None:
    """A payment of this checkout succeeded: its orders are paid.

    Returns None when the checkout was already paid or cancelled: the caller refunds that
    payment. The conditional UPDATE decides between a payment and a timeout racing.
    Otherwise returns the units to sell and the orders (with their lines' money, for the
    book). The caller moves the units from reserved to sold with ``inventory.stock_sell`` as
    the last write of its transaction: a popular SKU's stock row is then locked only for the
    moment before the commit, not for the rest of the work.
    """
    flipped = Checkout.objects.filter(pk=checkout_id, status=CheckoutStatus.PENDING_PAYMENT).update(
        status=CheckoutStatus.PAID, paid_at=paid_at
    )
    if not flipped:
        return None
    orders = list(
        Order.objects.filter(checkout_id=checkout_id)
        .select_related("shop", "supplier")
        .only(
            "id",
            "number",
            "status",
            "total",
            "delivery_fee",
            "currency",
            "buyer_id",
            "checkout_id",
            "shop__name",
            "shop__owner_id",
            "supplier__owner_id",
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.only(
                    "order_id",
                    "sku_id",
                    "quantity",
                    "listing_id",
                    "unit_price",
                    "supply_price",
                    "line_total",
                ),
            )
        )
        .order_by("pk")
    )
    for order in orders:
        order_transition(order=order, to=OrderStatus.PAID, role=Role.GATEWAY, paid_at=paid_at)
    from vshop.fans import records

    # Her record counts them and she earns their points; the rows it read (with the buyer)
    # give the activity her time zone.
    paid = records.orders_paid(orders=orders)
    from vshop.campaigns.attribution import orders_paid_attribute

    orders_paid_attribute(paid)  # a campaign message she got in the last days gets the credit
    activity.record_paid_orders(orders=paid, paid_at=paid_at)  # fan activity, after commit
    return _units([x for o in orders for x in o.lines.all()]), orders


# --- after payment: cancel, ship, receive, complete ----------------------------------------


@transaction.atomic
def order_cancel(*, order_number: str, actor: User, reason: str = "") -> Order:
    """The buyer cancels. Unpaid: the whole checkout is cancelled (one payment covers it).
    Paid and not shipped: this order is cancelled and refunded in full at once."""
    order = selectors.order_of_buyer(buyer=actor, number=order_number, for_update=True)
    reason = clean_text(reason, field="reason", max_length=200)
    if order.status == OrderStatus.PENDING_PAYMENT:
        checkout_cancel(checkout=order.checkout, role=Role.BUYER, actor=actor, reason=reason)
        order.refresh_from_db()
        return order
    return _cancel_paid(order=order, role=Role.BUYER, actor=actor, reason=reason)


def _cancel_paid(*, order: Order, role: str, actor: User | None, reason: str) -> Order:
    from vshop.payments import services as payments

    check_transition(ORDER_TRANSITIONS, order.status, OrderStatus.CANCELLED, role)
    lines = list(order.lines.all())
    amount = order.refundable
    order_transition(
        order=order,
        to=OrderStatus.CANCELLED,
        role=role,
        actor=actor,
        reason=reason,
        cancelled_at=timezone.now(),
        refunded_total=order.total,
    )
    if amount:
        from vshop.fans import records

        # Her record before the stock rows: the order every writer takes its locks in.
        records.order_refunded(order=order, amount=amount)
    for line in lines:
        OrderLine.objects.filter(pk=line.pk).update(
            refunded_amount=line.line_total, returned_quantity=line.quantity
        )
    units = {
        sku: n
        for sku, n in _units(
            [
                OrderLine(sku_id=x.sku_id, quantity=x.quantity - x.returned_quantity)
                for x in lines
                if x.quantity > x.returned_quantity
            ]
        ).items()
    }
    if units:
        inventory.stock_return(units=units)
    if amount:
        payments.refund_create(order=order, amount=amount, reason=reason or "order cancelled")
    return order


@transaction.atomic
def order_cancel_by_fulfiller(*, order_number: str, actor: User, reason: str) -> Order:
    """The fulfiller cannot ship (say the goods were damaged in the warehouse): the buyer gets
    everything back at once."""
    order = selectors.order_to_fulfil(user=actor, number=order_number, for_update=True)
    reason = clean_text(reason, field="reason", max_length=200)
    if not reason:
        raise ValidationFailed(_("Tell the buyer why."), field="reason")
    return _cancel_paid(order=order, role=Role.FULFILLER, actor=actor, reason=reason)


@transaction.atomic
def order_ship(*, order_number: str, actor: User, carrier: str, tracking_number: str) -> Order:
    order = selectors.order_to_fulfil(user=actor, number=order_number, for_update=True)
    carrier = clean_text(carrier, field="carrier", max_length=40)
    tracking_number = clean_text(tracking_number, field="tracking_number", max_length=40)
    if not carrier:
        raise ValidationFailed(_("Name the carrier."), field="carrier")
    if not tracking_number:
        raise ValidationFailed(_("Enter the tracking number."), field="tracking_number")
    now = timezone.now()
    return order_transition(
        order=order,
        to=OrderStatus.SHIPPED,
        role=Role.FULFILLER,
        actor=actor,
        reason=f"{carrier} {tracking_number}",
        carrier=carrier,
        tracking_number=tracking_number,
        shipped_at=now,
        confirm_by=now + timedelta(days=settings.VSHOP_AUTO_CONFIRM_DAYS),
    )


def _deliver(order: Order, *, role: str, actor: User | None, reason: str) -> Order:
    now = timezone.now()
    bookings.order_moved_on(order_id=order.pk, to=SplitStage.FROZEN)
    return order_transition(
        order=order,
        to=OrderStatus.DELIVERED,
        role=role,
        actor=actor,
        reason=reason,
        delivered_at=now,
        after_sales_until=now + timedelta(days=settings.VSHOP_AFTER_SALES_DAYS),
    )


@transaction.atomic
def order_confirm_receipt(*, order_number: str, actor: User) -> Order:
    order = selectors.order_of_buyer(buyer=actor, number=order_number, for_update=True)
    return _deliver(order, role=Role.BUYER, actor=actor, reason="")


def orders_confirm_overdue(*, now: object | None = None) -> int:
    """Shipped orders whose buyer did not confirm in time are received automatically."""
    now = now or timezone.now()
    done = 0
    for pk in Order.objects.filter(status=OrderStatus.SHIPPED, confirm_by__lte=now).values_list(
        "pk", flat=True
    )[:1000]:
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=pk)
            if order.status == OrderStatus.SHIPPED:
                _deliver(order, role=Role.SYSTEM, actor=None, reason="confirmed automatically")
                done += 1
    return done


def orders_complete_due(*, now: object | None = None, batch: int = 100) -> int:
    """Delivered orders whose after-sales window closed, with no request open, complete; their
    money becomes available (commission is earned now, and not before: the sale is complete).
    A batch of orders is one transaction, and one ledger transaction."""
    from vshop.orders.states import AFTER_SALES_OPEN

    now = now or timezone.now()
    done = 0
    due = list(
        Order.objects.filter(status=OrderStatus.DELIVERED, after_sales_until__lte=now)
        .exclude(after_sales__status__in=AFTER_SALES_OPEN)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    for start in range(0, len(due), batch):
        with transaction.atomic():
            completed = []
            for order in (
                Order.objects.select_for_update()
                .filter(pk__in=due[start : start + batch], status=OrderStatus.DELIVERED)
                .order_by("pk")
            ):
                if order.after_sales.filter(status__in=AFTER_SALES_OPEN).exists():
                    continue
                order_transition(
                    order=order,
                    to=OrderStatus.COMPLETED,
                    role=Role.SYSTEM,
                    reason="after-sales window closed",
                    completed_at=timezone.now(),
                )
                completed.append(order.pk)
            bookings.orders_moved_on(order_ids=completed, to=SplitStage.AVAILABLE)
            done += len(completed)
    return done


def checkouts_expire_overdue(*, now: object | None = None) -> int:
    """Cancel every unpaid checkout past its pay-by time (the safety net of the per-checkout
    scheduled job)."""
    now = now or timezone.now()
    done = 0
    for checkout in Checkout.objects.filter(status=CheckoutStatus.PENDING_PAYMENT, pay_by__lte=now)[
        :1000
    ]:
        if checkout_cancel(checkout=checkout, role=Role.SYSTEM, reason="payment time ran out"):
            done += 1
    return done


def checkout_expire(*, number: str) -> bool:
    checkout = Checkout.objects.filter(number=number).first()
    if checkout is None or checkout.status != CheckoutStatus.PENDING_PAYMENT:
        return False
    if checkout.pay_by > timezone.now():
        return False  # run early (clock skew): the sweep will get it
    return checkout_cancel(checkout=checkout, role=Role.SYSTEM, reason="payment time ran out")


# --- delivery rules ------------------------------------------------------------------------


def delivery_rule_set(
    *,
    actor: User,
    flat_fee: int,
    free_over: int | None,
    shop: Shop | None = None,
) -> DeliveryRule:
    """A supplier's rule (no ``shop``) or a shop owner's rule for her own goods."""
    for name, value in (("flat_fee", flat_fee), ("free_over", free_over)):
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10**8
        ):
            raise ValidationFailed(_("Enter an amount of 0 or more."), field=name)
    if shop is not None:
        if shop.owner_id != actor.pk:
            raise NotFound()
        owner: dict[str, Any] = {"shop": shop}
    else:
        from vshop.catalog.selectors import supplier_of_user

        supplier = supplier_of_user(user=actor)
        if supplier is None:
            raise PermissionDenied(_("Only suppliers set delivery rules for the catalogue."))
        owner = {"supplier": supplier}
    try:
        rule, _created = DeliveryRule.objects.update_or_create(
            **owner, defaults={"flat_fee": flat_fee, "free_over": free_over}
        )
    except IntegrityError as exc:  # two first saves at once: the other one won
        raise ValidationFailed(_("Please try again.")) from exc
    return rule

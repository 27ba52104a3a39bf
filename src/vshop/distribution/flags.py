"""Patterns the operator should look at: a promoter's sale to her own address or from her own
device, a burst of orders from brand-new accounts, an order refunded after its commission was
settled. A flag does not hold money back by itself; the operator decides."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from vshop.distribution.models import Device, Flag, FlagKind, OrderAttribution
from vshop.orders.models import Address, Order

NEW_ACCOUNT_DAYS = 7
NEW_ACCOUNT_ORDERS_PER_DAY = 5


def _flag(**fields: object) -> None:
    try:
        with transaction.atomic():
            Flag.objects.create(**fields)
    except IntegrityError:
        pass  # already flagged (a check run twice)


def orders_check_patterns(*, order_ids: Iterable[int]) -> int:
    """Look at freshly placed orders that pay a promoter; returns how many flags were raised."""
    raised = 0
    attributions = OrderAttribution.objects.filter(
        order_id__in=list(order_ids), promoter__isnull=False
    ).select_related("order", "order__buyer", "promoter", "last_touch")
    for a in attributions:
        order, promoter = a.order, a.promoter
        if promoter is None:
            continue
        same_address = Address.objects.filter(user_id=promoter.user_id).filter(
            mobile=order.ship_mobile
        ) | Address.objects.filter(
            user_id=promoter.user_id,
            province=order.ship_province,
            city=order.ship_city,
            district=order.ship_district,
            detail=order.ship_detail,
        )
        if same_address.exists():
            _flag(
                kind=FlagKind.SAME_ADDRESS,
                shop_id=a.shop_id,
                promoter=promoter,
                order=order,
                detail=f"{order.ship_city} {order.ship_detail}"[:300],
            )
            raised += 1
        buyer_devices = set(
            Device.objects.filter(user=order.buyer).values_list("visitor_id", flat=True)
        )
        if a.last_touch is not None:
            buyer_devices.add(a.last_touch.visitor_id)
        if (
            buyer_devices
            and Device.objects.filter(
                user_id=promoter.user_id, visitor_id__in=buyer_devices
            ).exists()
        ):
            _flag(kind=FlagKind.SAME_DEVICE, shop_id=a.shop_id, promoter=promoter, order=order)
            raised += 1
        raised += _new_accounts_burst(a)
    return raised


def _new_accounts_burst(a: OrderAttribution) -> int:
    if a.promoter_id is None:
        return 0
    now = timezone.now()
    recent = OrderAttribution.objects.filter(
        promoter_id=a.promoter_id,
        created_at__gte=now - timedelta(days=1),
        order__buyer__date_joined__gte=now - timedelta(days=NEW_ACCOUNT_DAYS),
    ).count()
    if recent < NEW_ACCOUNT_ORDERS_PER_DAY:
        return 0
    already = Flag.objects.filter(
        kind=FlagKind.NEW_ACCOUNTS,
        promoter_id=a.promoter_id,
        created_at__gte=now - timedelta(days=1),
    ).exists()
    if already:
        return 0
    _flag(
        kind=FlagKind.NEW_ACCOUNTS,
        shop_id=a.shop_id,
        promoter_id=a.promoter_id,
        detail=f"{recent} orders in 24 hours from accounts younger than {NEW_ACCOUNT_DAYS} days",
    )
    return 1


def refunded_after_settlement(*, order: Order, amount: int) -> None:
    attribution = OrderAttribution.objects.filter(order=order).first()
    _flag(
        kind=FlagKind.REFUNDED_AFTER_SETTLEMENT,
        shop_id=order.shop_id,
        promoter_id=attribution.promoter_id if attribution else None,
        order=order,
        detail=f"{amount} refunded after the commission became available",
    )

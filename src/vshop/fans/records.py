"""Keeping each shop's record of a fan (``ShopFan``) in step with what she does: she becomes a
fan of a shop by following it, buying from it, promoting it, or by being imported. The contact
fields copied onto the record respect her privacy settings, so a shop's list and exports never
read her account.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from vshop.accounts.models import User
from vshop.fans.models import FanSource, PrivacySettings, ShopFan
from vshop.orders.models import Order

DIRECT = "direct"


def privacy_of(user: User) -> PrivacySettings:
    """Her privacy settings; the defaults (unsaved) when she never changed them."""
    try:
        return user.privacy  # type: ignore[no-any-return]
    except PrivacySettings.DoesNotExist:
        return PrivacySettings(user=user)


def contact_fields(user: User, privacy: PrivacySettings | None = None) -> dict[str, str]:
    """What a shop may copy of her account: her name always, the rest as she allows."""
    privacy = privacy or privacy_of(user)
    return {
        "name": (user.display_name or "")[:60],
        "mobile": (user.mobile or "") if privacy.share_mobile else "",
        "email": (user.email or "") if privacy.share_email else "",
        "time_zone": user.time_zone or "Asia/Shanghai",
    }


def _first_channel(*, shop_id: int, user: User) -> str:
    """The channel of her first share-link visit to the shop, or "direct"."""
    from vshop.distribution.models import Touch

    channel = (
        Touch.objects.filter(shop_id=shop_id, user=user)
        .order_by("created_at", "pk")
        .values_list("channel", flat=True)
        .first()
    )
    return channel or DIRECT


def shop_fan_ensure(
    *,
    shop_id: int,
    user: User,
    source: FanSource | str,
    channel: str | None = None,
    now: datetime | None = None,
) -> ShopFan:
    """The shop's record of her, made if she has none. An imported contact with her mobile or
    email (and no account yet) becomes hers. Safe against a concurrent first call.

    One query when she has a record already (the common case): hers and any matching contact
    are read together."""
    contact = Q(pk__in=[])
    if user.mobile:
        contact |= Q(mobile=user.mobile)
    if user.email:
        contact |= Q(email__iexact=user.email)
    rows = list(
        ShopFan.objects.filter(
            Q(user=user) | (contact & Q(user__isnull=True)), shop_id=shop_id
        ).order_by("pk")
    )
    for row in rows:
        if row.user_id == user.pk:
            return row
    fields = contact_fields(user, privacy_of(user))
    try:
        with transaction.atomic():
            claimed = (
                ShopFan.objects.select_for_update()
                .filter(pk__in=[row.pk for row in rows], user__isnull=True)
                .order_by("pk")
                .first()
            )
            if claimed is not None:
                # Keep what the shop already knows of the contact unless she hides it now.
                claimed.user = user
                claimed.name = claimed.name or fields["name"]
                claimed.mobile = fields["mobile"]
                claimed.email = fields["email"]
                claimed.time_zone = fields["time_zone"]
                claimed.save(update_fields=["user", "name", "mobile", "email", "time_zone"])
                return claimed
            return ShopFan.objects.create(
                shop_id=shop_id,
                user=user,
                source=source,
                source_channel=channel or _first_channel(shop_id=shop_id, user=user),
                created_at=now or timezone.now(),
                **fields,
            )
    except IntegrityError:  # a concurrent first call made it
        pass
    return ShopFan.objects.get(shop_id=shop_id, user=user)


def shop_fans_refresh_contact(*, user: User) -> int:
    """Copy her (possibly changed) name and contact details, as her privacy allows, onto every
    shop's record of her. Returns the number of records updated."""
    privacy = privacy_of(user)
    fields: dict[str, object] = dict(contact_fields(user, privacy))
    if not privacy.share_city:
        fields["city"] = ""
    return ShopFan.objects.filter(user=user).update(**fields)


# --- purchases feed the record -----------------------------------------------------------------


def orders_paid(*, orders: Sequence[Order], now: datetime | None = None) -> list[Order]:
    """Orders just paid (a whole checkout, inside its payment's transaction): each buyer's
    record in each shop (made if she had none) counts them — orders, spend, first and last
    order, her city when she shares it — then she earns their points and her level follows.

    Reads the orders afresh (one query), so callers may pass partly loaded rows, and returns
    those rows (with their buyers). Locks the records in pk order, as every points writer does.
    """
    from vshop.fans import loyalty, points

    now = now or timezone.now()
    rows = list(
        Order.objects.filter(pk__in=[o.pk for o in orders], buyer__isnull=False)
        .select_related("buyer", "buyer__privacy")
        .order_by("pk")
    )
    if not rows:
        return rows
    records: dict[tuple[int, int | None], int] = {}
    for order in rows:
        key = (order.shop_id, order.buyer_id)
        if key not in records:
            assert order.buyer is not None
            records[key] = shop_fan_ensure(
                shop_id=order.shop_id, user=order.buyer, source=FanSource.ORDER, now=now
            ).pk
    fans = points._locked_fans(records.values())
    for order in rows:
        fan = fans[records[(order.shop_id, order.buyer_id)]]
        at = order.paid_at or now
        fan.order_count += 1
        fan.total_spend += order.total
        fan.first_order_at = min(fan.first_order_at or at, at)
        fan.last_order_at = max(fan.last_order_at or at, at)
        assert order.buyer is not None
        if privacy_of(order.buyer).share_city and order.ship_city:
            fan.city = order.ship_city[:20]
    for fan in fans.values():
        ShopFan.objects.filter(pk=fan.pk).update(
            order_count=fan.order_count,
            total_spend=fan.total_spend,
            first_order_at=fan.first_order_at,
            last_order_at=fan.last_order_at,
            city=fan.city,
        )
    points.points_earn_for_orders(
        orders=[
            points.PaidOrder(
                order_id=o.pk,
                fan_id=records[(o.shop_id, o.buyer_id)],
                shop_id=o.shop_id,
                total=o.total,
                paid_at=o.paid_at or now,
            )
            for o in rows
        ],
        now=now,
    )
    for fan in fans.values():
        loyalty.level_refresh(fan=fan)
    return rows


def order_refunded(*, order: Order, amount: int) -> None:
    """Money of a paid order went back (``order.refunded_total`` already includes ``amount``):
    her spend goes down, the refunded share of the points the order earned is taken back (never
    more than she holds), the points she paid with come back when the whole order is refunded,
    and her level follows. Call inside the refund's transaction."""
    from vshop.fans import loyalty, points

    if order.buyer_id is None or amount <= 0:
        return
    record = ShopFan.objects.filter(shop_id=order.shop_id, user_id=order.buyer_id).first()
    if record is None:
        return
    fan = points._locked_fans([record.pk])[record.pk]
    fan.total_spend = max(fan.total_spend - amount, 0)
    ShopFan.objects.filter(pk=fan.pk).update(total_spend=fan.total_spend)
    points.points_take_back(
        fan=fan, order_id=order.pk, refunded=order.refunded_total, total=order.total
    )
    if order.refunded_total >= order.total and order.points_spent:
        points.points_return_for_orders(orders=[order], memo=order.number)
    loyalty.level_refresh(fan=fan)

"""The fan's privacy: what the shops she is a fan of may see of her, and everything VShop holds
about her as one download (her right to her data). Account deletion is in
``vshop.accounts.deletion``."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from vshop.accounts.models import User
from vshop.fans.models import (
    ActivityDay,
    Follow,
    PointsEntry,
    PrivacySettings,
    ShopFan,
)
from vshop.fans.records import privacy_of, shop_fans_refresh_contact

PRIVACY_FIELDS = ("share_mobile", "share_email", "share_city", "share_activity")


def privacy_settings_of(*, user: User) -> dict[str, bool]:
    privacy = privacy_of(user)
    return {name: bool(getattr(privacy, name)) for name in PRIVACY_FIELDS}


@transaction.atomic
def privacy_update(
    *,
    user: User,
    share_mobile: bool | None = None,
    share_email: bool | None = None,
    share_city: bool | None = None,
    share_activity: bool | None = None,
) -> PrivacySettings:
    """Change what shops may see (None: leave as it is), then copy her contact details onto
    every shop's record of her as the new settings allow, in the same transaction."""
    privacy, _created = PrivacySettings.objects.select_for_update().get_or_create(user=user)
    wanted = {
        "share_mobile": share_mobile,
        "share_email": share_email,
        "share_city": share_city,
        "share_activity": share_activity,
    }
    for name, value in wanted.items():
        if value is not None:
            setattr(privacy, name, bool(value))
    privacy.save()
    user.privacy = privacy  # the cached relation, for privacy_of below
    shop_fans_refresh_contact(user=user)
    return privacy


# --- her data ----------------------------------------------------------------------------------


def _rows(qs: Any, *fields: str) -> list[dict[str, Any]]:
    return [dict(row) for row in qs.values(*fields)]


def my_data(*, user: User) -> dict[str, Any]:
    """Everything VShop holds about her, as plain data (datetimes left for the JSON encoder).

    Only rows that are hers: her account, addresses, orders with their lines, follows, each
    shop's record of her (level, points and their entries), her activity per day, reviews,
    promoter records and share links, ledger balances and withdrawals. What a shop wrote about
    her privately (notes, tags) is the shop's and is not included.
    """
    from vshop.accounts.models import ApiToken
    from vshop.distribution.models import Promoter, ShareLink
    from vshop.ledger.models import Account
    from vshop.orders.models import Address, Order, OrderLine
    from vshop.payouts.models import Withdrawal
    from vshop.trust.models import Review

    orders: list[dict[str, Any]] = [
        dict(row)
        for row in Order.objects.filter(buyer=user)
        .select_related("shop")
        .order_by("created_at", "pk")
        .values(
            "id",
            "number",
            "shop__slug",
            "shop__name",
            "status",
            "currency",
            "items_total",
            "delivery_fee",
            "total",
            "refunded_total",
            "points_spent",
            "points_discount",
            "ship_name",
            "ship_mobile",
            "ship_province",
            "ship_city",
            "ship_district",
            "ship_detail",
            "note",
            "carrier",
            "tracking_number",
            "created_at",
            "paid_at",
            "shipped_at",
            "delivered_at",
            "completed_at",
            "cancelled_at",
        )
    ]
    lines_by_order: dict[int, list[dict[str, Any]]] = {}
    for line in (
        OrderLine.objects.filter(order__buyer=user)
        .order_by("pk")
        .values(
            "id",
            "order_id",
            "title",
            "sku_label",
            "sku_code",
            "unit_price",
            "quantity",
            "points_discount",
            "line_total",
            "refunded_amount",
            "returned_quantity",
        )
    ):
        row: dict[str, Any] = dict(line)
        lines_by_order.setdefault(row.pop("order_id"), []).append(row)
    for order in orders:
        order["lines"] = lines_by_order.get(order.pop("id"), [])

    records: list[dict[str, Any]] = [
        dict(row)
        for row in ShopFan.objects.filter(user=user)
        .select_related("shop", "level")
        .order_by("pk")
        .values(
            "id",
            "shop__slug",
            "shop__name",
            "name",
            "mobile",
            "email",
            "city",
            "source",
            "is_follower",
            "followed_at",
            "is_muted",
            "created_at",
            "last_visit_at",
            "visit_count",
            "order_count",
            "total_spend",
            "points",
            "points_earned",
            "level__name",
        )
    ]
    entries_by_record: dict[int, list[dict[str, Any]]] = {}
    for entry in (
        PointsEntry.objects.filter(fan__user=user)
        .order_by("created_at", "pk")
        .values("fan_id", "kind", "delta", "balance_after", "memo", "expires_at", "created_at")
    ):
        item: dict[str, Any] = dict(entry)
        entries_by_record.setdefault(item.pop("fan_id"), []).append(item)
    for record in records:
        record["points_entries"] = entries_by_record.get(record.pop("id"), [])

    return {
        "account": {
            "id": user.pk,
            "email": user.email,
            "mobile": user.mobile,
            "display_name": user.display_name,
            "time_zone": user.time_zone,
            "date_joined": user.date_joined,
            "roles": sorted(user.roles.values_list("role", flat=True)),
        },
        "privacy": privacy_settings_of(user=user),
        "api_tokens": _rows(
            ApiToken.objects.filter(user=user).order_by("pk"),
            "name",
            "prefix",
            "created_at",
            "last_used_at",
            "revoked_at",
        ),
        "addresses": _rows(
            Address.objects.filter(user=user).order_by("pk"),
            "name",
            "mobile",
            "province",
            "city",
            "district",
            "detail",
            "is_default",
            "created_at",
        ),
        "orders": orders,
        "follows": _rows(
            Follow.objects.filter(fan=user).order_by("pk"),
            "shop__slug",
            "shop__name",
            "created_at",
            "muted_at",
        ),
        "shop_records": records,
        "activity_days": _rows(
            ActivityDay.objects.filter(user_id=user.pk).order_by("day", "shop_id"),
            "shop_id",
            "day",
            "visits",
            "views",
            "carts",
            "orders",
            "shares",
            "opens",
            "clicks",
            "sales",
        ),
        "reviews": _rows(
            Review.objects.filter(buyer=user).order_by("pk"),
            "shop__slug",
            "order_line__order__number",
            "order_line__title",
            "rating",
            "text",
            "is_hidden",
            "created_at",
        ),
        "promoter_records": _rows(
            Promoter.objects.filter(user=user).order_by("pk"),
            "shop__slug",
            "status",
            "message",
            "applied_at",
            "joined_at",
        ),
        "share_links": _rows(
            ShareLink.objects.filter(sharer=user).order_by("pk"),
            "code",
            "shop__slug",
            "listing_id",
            "channel",
            "created_at",
        ),
        "ledger_accounts": _rows(
            Account.objects.filter(user=user).order_by("pk"),
            "code",
            "kind",
            "bucket",
            "currency",
            "balance",
        ),
        "withdrawals": _rows(
            Withdrawal.objects.filter(requester=user).order_by("pk"),
            "number",
            "role",
            "amount",
            "fee",
            "currency",
            "payee",
            "payee_name",
            "status",
            "created_at",
            "finished_at",
        ),
    }

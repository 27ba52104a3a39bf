"""Builders for the loyalty tests: a shop's rules and levels turned on, points given to a fan,
and the ledger invariant (her balance is the sum of her entries, and of her open lots)."""

from __future__ import annotations

from django.db.models import Sum

from vshop.accounts.models import User
from vshop.fans import loyalty, points
from vshop.fans.models import FanSource, LoyaltyRules, PointsEntry, ShopFan
from vshop.fans.records import shop_fan_ensure
from vshop.shops.models import Shop


def loyalty_on(shop: Shop, **rules: object) -> LoyaltyRules:
    data: dict[str, object] = {"points_enabled": True, **rules}
    return loyalty.rules_update(owner=shop.owner, shop=shop, data=data)


def levels(shop: Shop, *specs: tuple[str, int, int]) -> list[object]:
    return loyalty.levels_replace(
        owner=shop.owner,
        shop=shop,
        levels=[loyalty.LevelInput(name=n, threshold=t, discount_percent=d) for n, t, d in specs],
    )


def record_of(user: User, shop: Shop) -> ShopFan:
    return ShopFan.objects.get(shop=shop, user=user)


def give_points(user: User, shop: Shop, n: int) -> ShopFan:
    fan = shop_fan_ensure(shop_id=shop.pk, user=user, source=FanSource.FOLLOW)
    points.points_adjust(owner=shop.owner, shop=shop, fan_id=fan.pk, delta=n, memo="welcome")
    fan.refresh_from_db()
    return fan


def assert_books_balance(fan: ShopFan) -> None:
    fan.refresh_from_db()
    entries = PointsEntry.objects.filter(fan=fan)
    assert (entries.aggregate(n=Sum("delta"))["n"] or 0) == fan.points
    assert (entries.aggregate(n=Sum("remaining"))["n"] or 0) == fan.points
    last = entries.order_by("-created_at", "-pk").first()
    assert (last.balance_after if last else 0) == fan.points

"""Reads of the fan's own side: the shops she follows and the shops that keep a record of her,
each with her level, points and progress to the next level. Scoped by her account only."""

from __future__ import annotations

from dataclasses import dataclass

from vshop.accounts.models import User
from vshop.errors import NotFound
from vshop.fans.loyalty import LevelProgress, level_progress
from vshop.fans.models import Follow, ShopFan
from vshop.shops.models import Shop


@dataclass(frozen=True)
class MyShop:
    """One shop on her side: her follow (None if she does not follow it) and the shop's record
    of her (None if it has none yet)."""

    shop: Shop
    follow: Follow | None
    record: ShopFan | None
    progress: LevelProgress | None = None

    @property
    def is_following(self) -> bool:
        return self.follow is not None

    @property
    def is_muted(self) -> bool:
        return self.follow is not None and self.follow.muted_at is not None

    @property
    def points(self) -> int:
        return self.record.points if self.record is not None else 0

    @property
    def level_name(self) -> str:
        level = self.record.level if self.record is not None else None
        return level.name if level is not None else ""


def _progress(record: ShopFan | None) -> LevelProgress | None:
    if record is None:
        return None
    return level_progress(fan=record)


def my_shops(*, user: User) -> list[MyShop]:
    """The shops she follows (newest first), then the other shops that keep a record of her
    (she bought there or used to follow). Two queries plus the level progress of each."""
    follows = list(
        Follow.objects.filter(fan=user).select_related("shop").order_by("-created_at", "-pk")
    )
    records = {
        r.shop_id: r
        for r in ShopFan.objects.filter(user=user).select_related("shop", "level").order_by("pk")
    }
    rows = [
        MyShop(
            shop=f.shop,
            follow=f,
            record=records.get(f.shop_id),
            progress=_progress(records.get(f.shop_id)),
        )
        for f in follows
    ]
    followed = {f.shop_id for f in follows}
    rows += [
        MyShop(shop=r.shop, follow=None, record=r, progress=_progress(r))
        for r in records.values()
        if r.shop_id not in followed
    ]
    return rows


def my_shop(*, user: User, slug: str) -> MyShop:
    """One of her shops by its slug; a shop she neither follows nor is known to is not found."""
    follow = Follow.objects.filter(fan=user, shop__slug=slug).select_related("shop").first()
    record = (
        ShopFan.objects.filter(user=user, shop__slug=slug).select_related("shop", "level").first()
    )
    if follow is not None:
        shop = follow.shop
    elif record is not None:
        shop = record.shop
    else:
        raise NotFound()
    return MyShop(shop=shop, follow=follow, record=record, progress=_progress(record))

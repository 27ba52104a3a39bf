"""Fan writes: following and unfollowing shops. The shop's fan count moves with them."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from vshop.accounts.models import User
from vshop.fans.models import Follow
from vshop.shops.errors import ShopSuspended
from vshop.shops.models import Shop


@transaction.atomic
def fan_follow(*, fan: User, shop: Shop) -> bool:
    """Follow a shop; returns False if she already did (nothing changes then).

    A suspended shop gains no new fans until it is reinstated.
    """
    if not shop.is_open:
        raise ShopSuspended()
    try:
        with transaction.atomic():
            Follow.objects.create(fan=fan, shop=shop)
    except IntegrityError:
        return False
    Shop.objects.filter(pk=shop.pk).update(fan_count=F("fan_count") + 1)
    return True


@transaction.atomic
def fan_unfollow(*, fan: User, shop: Shop) -> bool:
    deleted, _ = Follow.objects.filter(fan=fan, shop=shop).delete()
    if deleted:
        Shop.objects.filter(pk=shop.pk, fan_count__gt=0).update(fan_count=F("fan_count") - 1)
    return bool(deleted)

"""Fan writes: following, unfollowing, muting and leaving shops. The shop's fan count and its
record of her (``ShopFan``) move with them."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vshop.accounts.models import User
from vshop.errors import NotFound
from vshop.fans.models import FanSource, Follow, ShopFan
from vshop.fans.records import shop_fan_ensure
from vshop.shops.errors import ShopSuspended
from vshop.shops.models import Shop


class NotFollowing(NotFound):
    code = "not_following"
    default_message = _("You do not follow this shop.")


class NotAFan(NotFound):
    code = "not_a_fan"
    default_message = _("This shop has no record of you.")


@transaction.atomic
def fan_follow(*, fan: User, shop: Shop) -> bool:
    """Follow a shop; returns False if she already did (nothing changes then).

    A suspended shop gains no new fans until it is reinstated. The shop's record of her is made
    (or found, if she bought there before) and marked as a follower's.
    """
    if not shop.is_open:
        raise ShopSuspended()
    try:
        with transaction.atomic():
            follow = Follow.objects.create(fan=fan, shop=shop)
    except IntegrityError:
        return False
    Shop.objects.filter(pk=shop.pk).update(fan_count=F("fan_count") + 1)
    record = shop_fan_ensure(shop_id=shop.pk, user=fan, source=FanSource.FOLLOW)
    ShopFan.objects.filter(pk=record.pk).update(
        is_follower=True, followed_at=follow.created_at, is_muted=False
    )
    return True


@transaction.atomic
def fan_unfollow(*, fan: User, shop: Shop) -> bool:
    """Stop following; the shop keeps its record of her (she may still be its buyer)."""
    deleted, _count = Follow.objects.filter(fan=fan, shop=shop).delete()
    if deleted:
        Shop.objects.filter(pk=shop.pk, fan_count__gt=0).update(fan_count=F("fan_count") - 1)
        ShopFan.objects.filter(shop=shop, user=fan).update(
            is_follower=False, followed_at=None, is_muted=False
        )
        # Her circle drops the shop's pushed posts (imported here: circle depends on fans).
        from vshop.circle import timelines

        fan_id, shop_id = fan.pk, shop.pk
        transaction.on_commit(
            lambda: timelines.timeline_remove_shop(user_id=fan_id, shop_id=shop_id), robust=True
        )
    return bool(deleted)


@transaction.atomic
def fan_mute(*, fan: User, shop: Shop, muted: bool) -> Follow:
    """Mute (no pushes, no circle posts) or unmute a shop she follows; she stays its fan.

    Locks her follow row so that a concurrent unfollow cannot leave a muted record behind.
    """
    follow = Follow.objects.select_for_update().filter(fan=fan, shop=shop).first()
    if follow is None:
        raise NotFollowing()
    if muted and follow.muted_at is None:
        follow.muted_at = timezone.now()
        follow.save(update_fields=["muted_at"])
    elif not muted and follow.muted_at is not None:
        follow.muted_at = None
        follow.save(update_fields=["muted_at"])
    ShopFan.objects.filter(shop=shop, user=fan).update(is_muted=muted)
    return follow


@transaction.atomic
def fan_leave_shop(*, fan: User, shop: Shop) -> None:
    """Leave a shop: unfollow it and delete its record of her, with its tags, notes and points
    (by cascade): she is gone from its CRM. Her orders stay (the shop needs them for its
    accounts). She may follow again later and starts afresh. ``NotAFan`` (404) when she neither
    follows the shop nor has a record there."""
    unfollowed = fan_unfollow(fan=fan, shop=shop)
    deleted, _count = ShopFan.objects.filter(shop=shop, user=fan).delete()
    if not unfollowed and not deleted:
        raise NotAFan()

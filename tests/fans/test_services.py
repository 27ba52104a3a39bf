"""Following shops: counted once, and a suspended shop gains no new fans."""

from __future__ import annotations

import pytest

from vshop.fans import services
from vshop.shops.errors import ShopSuspended
from vshop.shops.models import Shop
from vshop.shops.services import shop_suspend

pytestmark = pytest.mark.django_db


def test_following_twice_counts_once_and_unfollowing_gives_it_back(shop, fan):
    assert services.fan_follow(fan=fan, shop=shop) is True
    assert services.fan_follow(fan=fan, shop=shop) is False
    assert Shop.objects.get(pk=shop.pk).fan_count == 1

    assert services.fan_unfollow(fan=fan, shop=shop) is True
    assert services.fan_unfollow(fan=fan, shop=shop) is False
    assert Shop.objects.get(pk=shop.pk).fan_count == 0


def test_a_suspended_shop_gains_no_new_fans(shop, fan, operator):
    shop_suspend(shop=shop, operator=operator, reason="fake reviews")

    with pytest.raises(ShopSuspended):
        services.fan_follow(fan=fan, shop=Shop.objects.get(pk=shop.pk))

    assert Shop.objects.get(pk=shop.pk).fan_count == 0

"""Fan reads."""

from __future__ import annotations

from vshop.accounts.models import User
from vshop.fans.models import Follow
from vshop.shops.models import Shop


def fan_follows(*, fan: User | None, shop: Shop) -> bool:
    if fan is None or not fan.is_authenticated:
        return False
    return Follow.objects.filter(fan=fan, shop=shop).exists()

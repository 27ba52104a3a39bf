"""Fan reads."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from vshop.accounts.models import User
from vshop.fans.models import Follow
from vshop.shops.models import Shop


def fan_follows(*, fan: User | AnonymousUser | None, shop: Shop) -> bool:
    """Whether she follows the shop; a visitor (anonymous, or no account at all) follows none."""
    if fan is None or not fan.is_authenticated:
        return False
    return Follow.objects.filter(fan=fan, shop=shop).exists()

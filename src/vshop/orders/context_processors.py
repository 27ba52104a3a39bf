"""The number of units in the cart, for the cart link in the site header."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Sum
from django.http import HttpRequest

from vshop.accounts.models import User
from vshop.orders.carts import SESSION_KEY
from vshop.orders.models import CartLine


def _units(request: HttpRequest) -> int:
    user = getattr(request, "user", None)
    if isinstance(user, User) and user.is_authenticated:
        lines = CartLine.objects.filter(cart__user=user)
    else:
        session = getattr(request, "session", None)
        cart_id = session.get(SESSION_KEY) if session is not None else None
        if not cart_id:
            return 0  # a visitor who never added anything costs no query
        lines = CartLine.objects.filter(cart_id=cart_id, cart__user__isnull=True)
    return int(lines.aggregate(units=Sum("quantity"))["units"] or 0)


def cart(request: HttpRequest) -> dict[str, Callable[[], int]]:
    """``cart_units``: counted (one query) only when a template shows it, at most once per page.
    Pages cached for every visitor never show it (see ``base.html``)."""
    counted: list[int] = []

    def units() -> int:
        if not counted:
            counted.append(_units(request))
        return counted[0]

    return {"cart_units": units}

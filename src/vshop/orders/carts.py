"""Which cart a request uses: the account's, or a guest's kept by id in her session and merged
into her account's cart when she logs in (``apps.OrdersConfig.ready`` connects that)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from vshop.accounts.models import User
from vshop.orders import services
from vshop.orders.models import Cart

SESSION_KEY = "vshop_cart_id"


def _user_of(request: HttpRequest) -> User | None:
    user = getattr(request, "auth", None)
    if isinstance(user, User):
        return user
    user = getattr(request, "user", None)
    return user if isinstance(user, User) and user.is_authenticated else None


def cart_for_request(request: HttpRequest, *, create: bool) -> Cart | None:
    user = _user_of(request)
    if user is not None:
        return services.cart_of_user(user=user)
    cart_id = request.session.get(SESSION_KEY)
    cart = Cart.objects.filter(pk=cart_id, user__isnull=True).first() if cart_id else None
    if cart is None and create:
        cart = Cart.objects.create()
        request.session[SESSION_KEY] = cart.pk
    return cart


def merge_on_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    cart_id = request.session.pop(SESSION_KEY, None)
    guest = Cart.objects.filter(pk=cart_id, user__isnull=True).first() if cart_id else None
    if guest is not None:
        services.cart_merge(guest_cart=guest, user=user)

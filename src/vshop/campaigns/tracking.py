"""Signed links of a campaign message: the click redirect, the email's open pixel, and the
one-click unsubscribe. A token carries only ids; the signature (Django's signing, salted per
use) means nobody can forge another recipient's click or unsubscribe someone else.

The recording side (``recipient_opened``, ``recipient_clicked``) and the views live in
``tracking_views`` and ``channels``.
"""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

_CLICK = "campaigns.click"
_OPEN = "campaigns.open"
_UNSUBSCRIBE = "campaigns.unsubscribe"


def click_token(recipient_id: int) -> str:
    return signing.dumps(recipient_id, salt=_CLICK)


def open_token(recipient_id: int) -> str:
    return signing.dumps(recipient_id, salt=_OPEN)


def unsubscribe_token(*, user_id: int, shop_id: int | None, channel: str) -> str:
    return signing.dumps([user_id, shop_id or 0, channel], salt=_UNSUBSCRIBE)


def recipient_of_click(token: str) -> int | None:
    """The recipient id a click token was made for, or None when it was tampered with."""
    return _loads_id(token, _CLICK)


def recipient_of_open(token: str) -> int | None:
    return _loads_id(token, _OPEN)


def unsubscribe_of(token: str) -> tuple[int, int | None, str] | None:
    """(user id, shop id or None for every shop, channel), or None when tampered with."""
    try:
        user_id, shop_id, channel = signing.loads(token, salt=_UNSUBSCRIBE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(shop_id, int) or not isinstance(channel, str):
        return None
    return user_id, shop_id or None, channel


def _loads_id(token: str, salt: str) -> int | None:
    try:
        value = signing.loads(token, salt=salt)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return value if isinstance(value, int) and value > 0 else None


def click_path(recipient_id: int) -> str:
    """The site-relative link a campaign message carries: it records the click, then goes on
    to the campaign's link (or the listing's page)."""
    return reverse("campaigns_tracking:click", args=[click_token(recipient_id)])


def open_pixel_path(recipient_id: int) -> str:
    return reverse("campaigns_tracking:open", args=[open_token(recipient_id)])


def unsubscribe_path(*, user_id: int, shop_id: int | None, channel: str) -> str:
    return reverse(
        "campaigns_tracking:unsubscribe",
        args=[unsubscribe_token(user_id=user_id, shop_id=shop_id, channel=channel)],
    )

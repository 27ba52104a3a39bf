"""Counting visits from requests: every storefront page view asks ``page_viewed``, a landing
through a share link ``share_landed``.

A view starts a visit when its visitor was not seen on the shop in the last 30 minutes (a
window from the visit's first page; later views do not stretch it). That is decided by one
``cache.add`` per page view, and a process remembers the keys it has seen taken, so a visitor's
further page views served by the same process cost nothing at all: the storefront's cached
pages must stay fast. Only a new visit costs queries: the shop's id, and one INSERT.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest

from vshop.analytics.services import visit_record
from vshop.distribution.models import ShareLink
from vshop.distribution.visitors import COOKIE, _valid, visitor_id
from vshop.shops.models import Shop

VISIT_SECONDS = 30 * 60
# How long a process trusts a key it found already taken by another process (whose remaining
# lifetime it does not know); a key it took itself is trusted for its whole lifetime.
_TAKEN_ELSEWHERE_SECONDS = 60


class _SeenKeys:
    """Visit keys this process knows are taken in the shared cache, with when that ends.

    Safe without invalidation: an entry never outlives the shared key it stands for by more
    than ``_TAKEN_ELSEWHERE_SECONDS``. Keyed by the cache's full key (prefix included), so it is
    exactly as shared as that key.
    """

    def __init__(self, *, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._until: dict[str, float] = {}

    def __contains__(self, key: str) -> bool:
        until = self._until.get(key)
        return until is not None and until > time.monotonic()

    def add(self, key: str, seconds: float) -> None:
        if len(self._until) >= self.max_entries:
            self._until.clear()  # rare; costs at most one cache call per visitor afterwards
        self._until[key] = time.monotonic() + seconds

    def clear(self) -> None:
        self._until.clear()


seen_keys = _SeenKeys()


def _key(slug: str, who: str) -> str:
    return f"vshop:visit:{slug}:{who}"


def _address_key(request: HttpRequest) -> str:
    """Who a browser without the visitor cookie is, until it comes back with one: its address
    and user agent. A client that keeps no cookies (a crawler, a load test) so counts as one
    visitor per address, not as a new visitor (and a new row) on every request."""
    raw = f"{request.META.get('REMOTE_ADDR', '')}|{request.META.get('HTTP_USER_AGENT', '')[:300]}"
    return "a" + hashlib.md5(raw.encode(), usedforsecurity=False).hexdigest()[:24]


def _claim(key: str) -> bool:
    """True when this call starts the visit the key stands for (one cache call at most)."""
    local = cache.make_key(key)
    if local in seen_keys:
        return False
    if cache.add(key, 1, VISIT_SECONDS):
        seen_keys.add(local, VISIT_SECONDS)
        return True
    seen_keys.add(local, _TAKEN_ELSEWHERE_SECONDS)
    return False


def _user_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def page_viewed(request: HttpRequest, *, slug: str) -> None:
    """Count a view of one of the shop's pages: a direct visit when it starts one."""
    cookie = request.COOKIES.get(COOKIE) or ""
    has_cookie = _valid(cookie)
    if not _claim(_key(slug, cookie if has_cookie else _address_key(request))):
        return
    visitor = visitor_id(request)
    if not has_cookie:
        # Her next page comes with the cookie this answer sets: the same visit, not a new one.
        cache.set(_key(slug, visitor), 1, VISIT_SECONDS)
    shop = Shop.objects.filter(slug=slug).values_list("pk", "owner_id").first()
    if shop is None:
        return
    visit_record(
        shop_id=shop[0], shop_owner_id=shop[1], visitor_id=visitor, user_id=_user_id(request)
    )


def share_landed(request: HttpRequest, *, link: ShareLink) -> None:
    """Count a landing through a share link: a visit of its channel and sharer, unless she is
    already inside a visit of the shop. Call it only for a recorded touch, which is what keeps
    cookie-less storms bounded here."""
    visitor = visitor_id(request)
    if not _claim(_key(link.shop.slug, visitor)):
        return
    visit_record(
        shop_id=link.shop_id,
        shop_owner_id=link.shop.owner_id,
        visitor_id=visitor,
        user_id=_user_id(request),
        channel=link.channel,
        sharer_id=link.sharer_id,
    )


def forget() -> None:
    """Forget what this process remembers (tests; a process may also just restart)."""
    seen_keys.clear()

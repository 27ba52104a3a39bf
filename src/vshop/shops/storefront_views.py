"""Fan-side shop pages: shop home, persona, listing and search in a shop.

Thin views over ``shops.selectors`` and the pricing ``Strategy``. For anonymous visitors the
rendered page is cached whole (in this process and in the shared cache), keyed by the shop's
``content_version``, so a hit costs one narrow query and an edit shows on the next request.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

from vshop.analytics.visits import page_viewed
from vshop.catalog.models import Category, ProductImage
from vshop.circle import selectors as circle_selectors
from vshop.errors import NotFound
from vshop.fans import activity
from vshop.fans.models import ActivityKind
from vshop.fans.selectors import fan_follows
from vshop.orders.carts import SESSION_KEY as CART_SESSION_KEY
from vshop.shops import selectors
from vshop.shops.models import Listing, Shop
from vshop.shops.strategy import ListingOffer, Strategy, Unavailable, strategy_for
from vshop.trust.selectors import listing_reviews

PER_PAGE = 24
MAX_PAGE = 200
# Shared pages render no token (base.html leaves it out for them); should a template still ask
# for one, it gets this placeholder and each answer swaps in the visitor's own token.
CSRF_PLACEHOLDER = "vshopcsrfplaceholder0000000000"
_CSRF_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()
# Any other query parameter skips the cache, so junk URLs cannot fill it.
_CACHEABLE_PARAMS = frozenset({"page", "q", "category"})
_MAX_CACHEABLE_PATH = 300
# How long a copy fetched from the shared cache stays in this process as well; stock states can
# then be at most this much staler than VSHOP_PAGE_CACHE_SECONDS says.
_LOCAL_SECONDS = 30

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class ListingCard:
    """One listing as a card or a page shows it: the listing, its offer for this buyer, a photo."""

    listing: Listing
    offer: ListingOffer

    @property
    def images(self) -> list[ProductImage]:
        return list(self.listing.product.images.all())

    @property
    def thumbnail(self) -> ProductImage | None:
        images = self.images
        return images[0] if images else None

    @property
    def shows_price(self) -> bool:
        # Sold out still shows what it costs; a suspended shop or supplier shows nothing buyable.
        return self.offer.is_available or self.offer.unavailable_reason == Unavailable.SOLD_OUT

    @property
    def is_sold_out(self) -> bool:
        return self.offer.unavailable_reason == Unavailable.SOLD_OUT


# --- the anonymous page cache ---------------------------------------------------------------


def _is_cacheable(request: HttpRequest) -> bool:
    return (
        settings.VSHOP_PAGE_CACHE_SECONDS > 0
        and request.method == "GET"
        # A pending flash message would be baked into the page: render it fresh instead.
        and "messages" not in request.COOKIES
        and set(request.GET) <= _CACHEABLE_PARAMS
        and len(request.get_full_path()) <= _MAX_CACHEABLE_PATH
        and not request.user.is_authenticated
        # A guest with a cart sees its count in the header: her pages are her own.
        and not getattr(request, "session", {}).get(CART_SESSION_KEY)
    )


def page_cache_key(request: HttpRequest, *, slug: str, version: int) -> str:
    """Everything an anonymous page depends on: shop, its content version, language, URL, and
    whether htmx asked for the fragment only."""
    path = hashlib.md5(request.get_full_path().encode(), usedforsecurity=False).hexdigest()
    fragment = "f" if getattr(request, "htmx", False) else "p"
    return f"vshop:sf:{slug}:{version}:{get_language()}:{fragment}:{path}"


class _LocalPages:
    """The newest rendered pages kept in this process too, in front of the shared cache.

    Safe without invalidation because the key holds the shop's content version; it saves the
    shared cache's round trip (a SQL query with the database cache) on every hit.
    """

    def __init__(self, *, max_entries: int = 256, max_bytes: int = 256 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._pages: OrderedDict[str, tuple[float, bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bytes, str] | None:
        with self._lock:
            entry = self._pages.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return entry[1], entry[2]

    def set(self, key: str, content: bytes, content_type: str, *, ttl: float) -> None:
        if len(content) > self.max_bytes:
            return
        with self._lock:
            self._pages[key] = (time.monotonic() + ttl, content, content_type)
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


local_pages = _LocalPages()


def _cached_page(key: str) -> tuple[bytes, str] | None:
    # The local copy goes by the shared entry's full key (prefix included), so it is exactly
    # as shared as that entry and never outlives a change of cache namespace.
    local_key = cache.make_key(key)
    entry = local_pages.get(local_key)
    if entry is None:
        entry = cache.get(key)
        if entry is not None:
            # Made by another process; its remaining shared lifetime is unknown, so keep it
            # here only briefly.
            ttl = min(_LOCAL_SECONDS, settings.VSHOP_PAGE_CACHE_SECONDS)
            local_pages.set(local_key, *entry, ttl=ttl)
    return entry


def _store_page(key: str, content: bytes, content_type: str) -> None:
    ttl = settings.VSHOP_PAGE_CACHE_SECONDS
    cache.set(key, (content, content_type), ttl)
    local_pages.set(cache.make_key(key), content, content_type, ttl=ttl)


def _with_csrf_token(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if _CSRF_PLACEHOLDER_BYTES in response.content:
        response.content = response.content.replace(
            _CSRF_PLACEHOLDER_BYTES, get_token(request).encode()
        )
    return response


def anonymous_page_cache(view: View) -> View:
    """Serve anonymous visitors a rendered copy while the shop's content version is unchanged.

    Logged-in visitors always get a fresh page (follow state, CSRF token, messages). Stock sold
    since the copy was made is not a content change: ``VSHOP_PAGE_CACHE_SECONDS`` bounds how
    stale a stock state can be.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, **kwargs: object) -> HttpResponse:
        page_viewed(request, slug=slug)  # traffic: one cache call, a write only for a new visit
        if not _is_cacheable(request):
            return view(request, slug, **kwargs)
        version = selectors.shop_content_version(slug=slug)
        if version is None:
            raise Http404()
        key = page_cache_key(request, slug=slug, version=version)
        entry = _cached_page(key)
        if entry is not None:
            content, content_type = entry
            response = HttpResponse(content, content_type=content_type)
            patch_vary_headers(response, ["HX-Request"])
            response["X-Page-Cache"] = "hit"
        else:
            request.vshop_shared_render = True  # type: ignore[attr-defined]
            response = view(request, slug, **kwargs)
            if response.status_code == 200:
                _store_page(key, response.content, response["Content-Type"])
            response["X-Page-Cache"] = "miss"
        return _with_csrf_token(request, response)

    return wrapper


def _render(request: HttpRequest, template: str, context: dict[str, object]) -> HttpResponse:
    if getattr(request, "vshop_shared_render", False):
        # This copy will be served to every anonymous visitor: nothing of this one's in it.
        context = {**context, "csrf_token": CSRF_PLACEHOLDER, "messages": (), "shared_render": True}
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- helpers --------------------------------------------------------------------------------


def _buyer(request: HttpRequest) -> object | None:
    return request.user if request.user.is_authenticated else None


def _strategy(request: HttpRequest) -> Strategy:
    return strategy_for(buyer=_buyer(request))


def _shop_or_404(slug: str) -> Shop:
    try:
        return selectors.shop_public_get(slug=slug)
    except NotFound as exc:
        raise Http404() from exc


def _page_number(request: HttpRequest) -> int:
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


def _cards_page(
    request: HttpRequest, qs: QuerySet[Listing], page: int
) -> tuple[list[ListingCard], bool]:
    """One page of cards and whether another follows; one row more tells, so no COUNT query."""
    start = (page - 1) * PER_PAGE
    rows = list(selectors.listing_offer_queryset(qs)[start : start + PER_PAGE + 1])
    strategy = _strategy(request)
    cards = [ListingCard(listing, strategy.offer_for(listing)) for listing in rows[:PER_PAGE]]
    return cards, len(rows) > PER_PAGE


def _category_from(request: HttpRequest, categories: Sequence[Category]) -> Category | None:
    wanted = (request.GET.get("category") or "").strip()
    return next((c for c in categories if wanted in (c.slug, str(c.pk))), None) if wanted else None


def _is_fragment(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _shop_context(request: HttpRequest, shop: Shop) -> dict[str, object]:
    return {"shop": shop, "following": fan_follows(fan=request.user, shop=shop)}


# --- pages ----------------------------------------------------------------------------------


@anonymous_page_cache
def shop_home(request: HttpRequest, slug: str) -> HttpResponse:
    """Cover, persona, follow button, category chips, then pinned and newest listings."""
    shop = _shop_or_404(slug)
    if not _is_fragment(request):  # the next page of cards is the same visit
        activity.record_by(user=request.user, shop_id=shop.pk, kind=ActivityKind.VISIT)
    page = _page_number(request)
    cards: list[ListingCard] = []
    has_more = False
    if shop.is_open:
        qs = selectors.storefront_ordered(selectors.storefront_listings(shop=shop))
        cards, has_more = _cards_page(request, qs, page)
    context = {"cards": cards, "page": page, "has_more": has_more, "next_page": page + 1}
    if _is_fragment(request):
        return _render(request, "shops/storefront/_cards.html", {"shop": shop, **context})
    pinned = [c for c in cards if c.listing.is_pinned] if page == 1 else []
    return _render(
        request,
        "shops/storefront/home.html",
        {
            **_shop_context(request, shop),
            **context,
            "pinned": pinned,
            "cards": cards[len(pinned) :],
            "categories": selectors.storefront_categories(shop=shop) if shop.is_open else [],
            # The owner's pinned circle post: one query, first page only.
            "pinned_post": circle_selectors.pinned_post(shop=shop)
            if shop.is_open and page == 1
            else None,
        },
    )


@anonymous_page_cache
def shop_search(request: HttpRequest, slug: str) -> HttpResponse:
    """Search in one shop by words and category."""
    shop = _shop_or_404(slug)
    if not _is_fragment(request):
        activity.record_by(user=request.user, shop_id=shop.pk, kind=ActivityKind.VISIT)
    q = (request.GET.get("q") or "").strip()[:100]
    page = _page_number(request)
    categories = selectors.storefront_categories(shop=shop) if shop.is_open else []
    category = _category_from(request, categories)
    cards: list[ListingCard] = []
    has_more = False
    if shop.is_open:
        qs = selectors.storefront_search(
            shop=shop, q=q, category_id=category.pk if category else None
        )
        cards, has_more = _cards_page(request, selectors.storefront_ordered(qs), page)
    context = {
        "shop": shop,
        "cards": cards,
        "page": page,
        "has_more": has_more,
        "next_page": page + 1,
        "q": q,
        "category": category,
    }
    if _is_fragment(request):
        return _render(request, "shops/storefront/_cards.html", context)
    return _render(
        request,
        "shops/storefront/search.html",
        {**_shop_context(request, shop), **context, "categories": categories},
    )


@anonymous_page_cache
def shop_about(request: HttpRequest, slug: str) -> HttpResponse:
    """The persona: who runs the shop and why her fans trust her."""
    shop = _shop_or_404(slug)
    activity.record_by(user=request.user, shop_id=shop.pk, kind=ActivityKind.VISIT)
    return _render(
        request,
        "shops/storefront/about.html",
        {
            **_shop_context(request, shop),
            "listing_count": selectors.storefront_listing_count(shop=shop) if shop.is_open else 0,
        },
    )


@anonymous_page_cache
def listing_detail(request: HttpRequest, slug: str, listing_id: int) -> HttpResponse:
    """Photos, price per SKU, stock state, the owner's endorsement and the buy box."""
    try:
        listing = selectors.listing_public_by_slug(slug=slug, listing_id=listing_id)
    except NotFound as exc:
        raise Http404() from exc
    activity.record_by(
        user=request.user, shop_id=listing.shop_id, kind=ActivityKind.VIEW, ref=listing.pk
    )
    card = ListingCard(listing, _strategy(request).offer_for(listing))
    # The buy box: each variant with its per-order limit, the first one in stock chosen.
    limits = {sku.pk: sku.max_per_order for sku in listing.product.skus.all()}
    buy_skus = [(sku, limits.get(sku.sku_id, 1)) for sku in card.offer.skus]
    chosen = next((pair for pair in buy_skus if pair[0].is_available), None)
    return _render(
        request,
        "shops/storefront/listing.html",
        {
            **_shop_context(request, listing.shop),
            "card": card,
            "listing": listing,
            "buy_skus": buy_skus,
            "chosen_sku": chosen[0].sku_id if chosen else None,
            "chosen_limit": chosen[1] if chosen else 1,
            # Verified-purchase reviews: one query; a new or hidden review bumps the shop's
            # content version, so the anonymous page cache shows it on the next request.
            "reviews": listing_reviews(listing_id=listing.pk),
        },
    )

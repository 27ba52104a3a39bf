"""A fan's circle: newest first, or "for you" (ranked); cursor pages that never repeat a post.

Newest: the stream is her timeline (posts pushed by fan-out) merged with the newest posts of the
big shops she follows (read-time merge), ordered by (published, id) descending; posts not live,
hidden by her, or of shops she muted or left are dropped. Posts of small shops published before
she followed them (or before their fan-out ran) are not in her timeline and are not shown.
No shop shows 3 posts in a row on a page: the third waits for another shop's post (and, when no
other shop is left, goes anyway). The cursor carries the boundary (every post at or above it was
shown or dropped) plus the posts already shown below it, signed: nothing repeats, nothing skipped.

For you: up to ~500 candidates of the last 7 days ranked by recency × her affinity to the shop ×
engagement × in stock; the ranked list is kept in the cache under a token in the cursor, so
later pages are slices of the same list.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core import signing
from django.core.cache import cache
from django.db import connection
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from vshop.accounts.models import User
from vshop.circle import timelines
from vshop.circle.fanout import fanout_threshold
from vshop.circle.models import Post, PostCard, PostHide, PostLike, PostStatus
from vshop.errors import ValidationFailed
from vshop.fans.models import Follow, ShopFan
from vshop.shops.models import ListingPrice, ListingStatus

MODES = ("newest", "for_you")
MAX_LIMIT = 50
MAX_IN_A_ROW = 2
FOR_YOU_DAYS = 7
FOR_YOU_CANDIDATES = 500
FOR_YOU_TTL = 3600  # seconds a ranked list stays paged
_SALT = "vshop.circle.feed"


@dataclass
class FeedPage:
    posts: list[Post]
    next_cursor: str | None


@dataclass(frozen=True)
class _Item:
    ts: float
    id: int
    shop_id: int

    @property
    def pos(self) -> tuple[float, int]:
        return (self.ts, self.id)


def circle_page(
    *, user: User, mode: str = "newest", cursor: str | None = None, limit: int = 20
) -> FeedPage:
    if mode not in MODES:
        raise ValidationFailed(_("Unknown mode."), field="mode")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            _("Limit must be between 1 and %(max)d.") % {"max": MAX_LIMIT}, field="limit"
        )
    state = _cursor_load(cursor, user=user, mode=mode) if cursor else None
    followed, big = _followed_shops(user)
    if mode == "for_you":
        return _for_you_page(user=user, state=state, limit=limit, followed=followed, big=big)
    return _newest_page(user=user, state=state, limit=limit, followed=followed, big=big)


# --- cursor -------------------------------------------------------------------------------


def _cursor_dump(data: dict[str, Any]) -> str:
    return signing.dumps(data, salt=_SALT, compress=True)


def _cursor_load(cursor: str, *, user: User, mode: str) -> dict[str, Any]:
    try:
        data = signing.loads(cursor, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        data = None
    # A cursor is hers and for one mode; anything else is as bad as garbage.
    if not isinstance(data, dict) or data.get("u") != user.pk or data.get("m") != mode:
        raise ValidationFailed(_("The cursor is not valid."), field="cursor")
    return data


# --- shared ---------------------------------------------------------------------------------


def _followed_shops(user: User) -> tuple[set[int], list[int]]:
    """Shops she follows and has not muted; those of them merged at read time (big)."""
    threshold = fanout_threshold()
    rows = Follow.objects.filter(fan=user, muted_at__isnull=True).values_list(
        "shop_id", "shop__fan_count"
    )
    followed = {shop_id for shop_id, _n in rows}
    big = sorted(shop_id for shop_id, n in rows if n >= threshold)
    return followed, big


def _live_posts() -> Any:
    return Post.objects.filter(
        status=PostStatus.PUBLISHED, hidden_at__isnull=True, published_at__isnull=False
    )


def _big_shop_posts(
    big: Sequence[int], *, before: tuple[float, int] | None, since: datetime | None, limit: int
) -> list[tuple[int, float]]:
    if not big:
        return []
    qs = _live_posts()
    if connection.vendor == "postgresql":
        # She may follow hundreds of big shops: one array parameter, not hundreds of
        # placeholders that Django and the driver each walk through (a third of a page's time).
        qs = qs.extra(where=['"circle_post"."shop_id" = ANY(%s::bigint[])'], params=[list(big)])
    else:
        qs = qs.filter(shop_id__in=big)
    if before is not None:
        at = datetime.fromtimestamp(before[0], tz=UTC)
        qs = qs.filter(Q(published_at__lt=at) | Q(published_at=at, id__lt=before[1]))
    qs = qs.order_by("-published_at", "-id")
    if since is not None:
        windows: tuple[timedelta | None, ...] = (None,)
        qs = qs.filter(published_at__gte=since)
    else:
        # Widening windows: the newest posts of hundreds of big shops lie in the last day, and
        # (shop, published) index ranges read only those, not months of every shop's posts.
        windows = (timedelta(days=1), timedelta(days=7), timedelta(days=30), None)
    anchor = datetime.fromtimestamp(before[0], tz=UTC) if before else timezone.now()
    rows: list[tuple[int, datetime]] = []
    for window in windows:
        part = qs if window is None else qs.filter(published_at__gte=anchor - window)
        rows = list(part.values_list("id", "published_at")[:limit])
        if len(rows) >= limit:
            break  # the window holds the newest `limit`: all outside it is older
    return [(post_id, at.timestamp()) for post_id, at in rows]


def _merge(*sources: Iterable[tuple[int, float]]) -> list[tuple[int, float]]:
    seen: dict[int, float] = {}
    for source in sources:
        for post_id, ts in source:
            seen[post_id] = ts
    return sorted(seen.items(), key=lambda r: (r[1], r[0]), reverse=True)


def _visible(
    rows: Sequence[tuple[int, float]], *, user: User, followed: set[int]
) -> dict[int, int]:
    """post id → shop id for the rows she may see (live, not hidden by her, shop followed)."""
    if not rows:
        return {}
    ids = [post_id for post_id, _ts in rows]
    live = dict(_live_posts().filter(pk__in=ids).values_list("pk", "shop_id"))
    hidden = set(
        PostHide.objects.filter(user=user, post_id__in=ids).values_list("post_id", flat=True)
    )
    return {pk: shop_id for pk, shop_id in live.items() if shop_id in followed and pk not in hidden}


def _place(
    items: Iterable[_Item], *, limit: int, placed: list[_Item] | None = None
) -> tuple[list[_Item], list[_Item], _Item | None]:
    """Lay items out in order, holding back a shop's third post in a row until another shop's
    post comes. Returns (placed, still held back, last item looked at)."""
    placed = placed if placed is not None else []
    held: list[_Item] = []
    last: _Item | None = None

    def fits(item: _Item) -> bool:
        return not (
            len(placed) >= MAX_IN_A_ROW
            and all(p.shop_id == item.shop_id for p in placed[-MAX_IN_A_ROW:])
        )

    for item in items:
        if len(placed) >= limit:
            break
        last = item
        if not fits(item):
            held.append(item)
            continue
        placed.append(item)
        moved = True
        while moved and held and len(placed) < limit:
            moved = False
            for waiting in held:
                if fits(waiting):
                    placed.append(waiting)
                    held.remove(waiting)
                    moved = True
                    break
    return placed, held, last


# --- newest ---------------------------------------------------------------------------------


def _newest_page(
    *, user: User, state: dict[str, Any] | None, limit: int, followed: set[int], big: list[int]
) -> FeedPage:
    boundary: tuple[float, int] | None = None
    shown: set[tuple[float, int]] = set()
    if state is not None:
        try:
            b = state["b"]
            boundary = (float(b[0]), int(b[1])) if b is not None else None
            shown = {(float(ts), int(i)) for ts, i in state["s"]}
        except (KeyError, TypeError, ValueError, IndexError):
            raise ValidationFailed(_("The cursor is not valid."), field="cursor") from None
    shown_ids = {i for _ts, i in shown}

    def stream() -> Iterable[_Item]:
        before = boundary
        chunk = limit * 2 + len(shown)
        while True:
            rows = _merge(
                timelines.timeline_read(user_id=user.pk, before=before, limit=chunk),
                _big_shop_posts(big, before=before, since=None, limit=chunk),
            )[:chunk]
            if not rows:
                return
            visible = _visible(rows, user=user, followed=followed)
            for post_id, ts in rows:
                if post_id in visible and post_id not in shown_ids:
                    yield _Item(ts, post_id, visible[post_id])
            if len(rows) < chunk:
                return
            before = (rows[-1][1], rows[-1][0])
            chunk = min(chunk * 2, 1000)

    source = iter(stream())
    placed, held, last = _place(source, limit=limit)
    exhausted = len(placed) < limit
    if exhausted:
        # The stream ran dry: held posts go anyway (no other shop's post is left to put between).
        room = limit - len(placed)
        placed += held[:room]
        held = held[room:]

    posts = load_posts([p.id for p in placed], user=user)
    if exhausted and not held:
        return FeedPage(posts=posts, next_cursor=None)
    if held:
        first = held[0]
        new_boundary: tuple[float, int] = (first.ts, first.id + 1)
    else:
        assert last is not None
        new_boundary = last.pos
    # Posts already shown that lie below the new boundary: the next pages skip them.
    below = {p.pos for p in placed} | shown
    keep = sorted(pos for pos in below if pos < new_boundary)
    data = {"u": user.pk, "m": "newest", "b": list(new_boundary), "s": [list(p) for p in keep]}
    return FeedPage(posts=posts, next_cursor=_cursor_dump(data))


# --- for you --------------------------------------------------------------------------------


def _for_you_page(
    *, user: User, state: dict[str, Any] | None, limit: int, followed: set[int], big: list[int]
) -> FeedPage:
    if state is None:
        ranked = _rank(user=user, followed=followed, big=big)
        token = secrets.token_urlsafe(12)
        cache.set(_ranked_key(user, token), ranked, FOR_YOU_TTL)
        offset = 0
    else:
        token = str(state.get("t", ""))
        at = state.get("o")
        ranked = cache.get(_ranked_key(user, token))
        if ranked is None or not isinstance(at, int) or at < 0:
            raise ValidationFailed(_("This list has expired; reload your circle."), field="cursor")
        offset = at
    ids = ranked[offset : offset + limit]
    # Re-check: a post hidden or a shop muted since the list was ranked drops out.
    visible = _visible([(i, 0.0) for i in ids], user=user, followed=followed)
    posts = load_posts([i for i in ids if i in visible], user=user)
    end = offset + limit
    cursor = (
        _cursor_dump({"u": user.pk, "m": "for_you", "t": token, "o": end})
        if end < len(ranked)
        else None
    )
    return FeedPage(posts=posts, next_cursor=cursor)


def _ranked_key(user: User, token: str) -> str:
    return f"circle:foryou:{user.pk}:{token}"


def _rank(*, user: User, followed: set[int], big: list[int]) -> list[int]:
    now = timezone.now()
    since = now - timedelta(days=FOR_YOU_DAYS)
    rows = _merge(
        timelines.timeline_read(user_id=user.pk, before=None, limit=FOR_YOU_CANDIDATES),
        _big_shop_posts(big, before=None, since=since, limit=FOR_YOU_CANDIDATES),
    )
    rows = [r for r in rows if r[1] >= since.timestamp()][:FOR_YOU_CANDIDATES]
    visible = _visible(rows, user=user, followed=followed)
    posts = [p for p in load_posts(list(visible), user=user, liked=False)]
    affinity = {
        shop_id: (visits, orders)
        for shop_id, visits, orders in ShopFan.objects.filter(
            user=user, shop_id__in={p.shop_id for p in posts}
        ).values_list("shop_id", "visit_count", "order_count")
    }
    scored = []
    for post in posts:
        assert post.published_at is not None
        age_h = max((now - post.published_at).total_seconds() / 3600, 0.0)
        recency = 0.5 ** (age_h / 24)  # halves every day
        visits, orders = affinity.get(post.shop_id, (0, 0))
        fondness = 1 + 0.3 * math.log1p(visits) + 0.8 * math.log1p(orders)
        buzz = 1 + 0.4 * math.log1p(post.like_count + 2 * post.comment_count + 3 * post.share_count)
        cards = getattr(post, "card_facts", [])
        stock = 1.0 if not cards or any(c["in_stock"] for c in cards) else 0.4
        scored.append((recency * fondness * buzz * stock, post))
    scored.sort(key=lambda r: (r[0], r[1].pk), reverse=True)
    items = [
        _Item(p.published_at.timestamp() if p.published_at else 0.0, p.pk, p.shop_id)
        for _s, p in scored
    ]
    placed, held, _last = _place(items, limit=len(items))
    return [p.id for p in placed + held]


# --- loading a page -------------------------------------------------------------------------


def load_posts(ids: Sequence[int], *, user: User | None, liked: bool = True) -> list[Post]:
    """Posts in this order with shop, images and cards (price, stock) in a fixed number of
    queries; ``post.card_facts`` (dicts) and ``post.liked_by_me`` are set."""
    if not ids:
        return []
    prices = ListingPrice.objects.select_related("sku__stock").order_by("retail_price")
    cards = PostCard.objects.select_related("listing__product").prefetch_related(
        Prefetch("listing__prices", queryset=prices)
    )
    rows = (
        Post.objects.filter(pk__in=ids)
        .select_related("shop")
        .prefetch_related("images", Prefetch("cards", queryset=cards))
    )
    by_id = {p.pk: p for p in rows}
    liked_ids: set[int] = set()
    if liked and user is not None:
        liked_ids = set(
            PostLike.objects.filter(user=user, post_id__in=ids).values_list("post_id", flat=True)
        )
    out = []
    for post_id in ids:
        post = by_id.get(post_id)
        if post is None:
            continue
        post.card_facts = [_card_facts(card) for card in post.cards.all()]  # type: ignore[attr-defined]
        post.liked_by_me = post_id in liked_ids  # type: ignore[attr-defined]
        out.append(post)
    return out


def _card_facts(card: PostCard) -> dict[str, Any]:
    listing = card.listing
    prices = list(listing.prices.all())
    in_stock = listing.status == ListingStatus.ACTIVE and any(
        _quantity(price) > 0 for price in prices
    )
    return {
        "listing_id": listing.pk,
        "title": listing.product.title,
        "price_fen": prices[0].retail_price if prices else None,
        "in_stock": in_stock,
        "listing": listing,
    }


def _quantity(price: ListingPrice) -> int:
    stock = getattr(price.sku, "stock", None)
    return stock.quantity if stock is not None else 0

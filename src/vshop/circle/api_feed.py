"""Circle API: feed. The acting fan's circle, newest first or "for you", in cursor pages that
never repeat a post. Thin over ``circle.feed``."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, NinjaAPI, Query, Router, Schema

from vshop.api import ErrorOut, acting_user
from vshop.circle import feed
from vshop.circle.models import Post

router = Router(tags=["circle"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 422: ErrorOut}


class CircleShopOut(Schema):
    id: int
    slug: str
    name: str


class CircleImageOut(Schema):
    url: str
    thumbnail_url: str


class CircleCardOut(Schema):
    listing_id: int
    title: str
    price_fen: int | None = Field(None, description="lowest retail price, minor units (fen)")
    in_stock: bool


class CircleCountsOut(Schema):
    likes: int
    comments: int
    shares: int


class CirclePostOut(Schema):
    id: int
    shop: CircleShopOut
    text: str = Field(..., description="sanitised HTML")
    images: list[CircleImageOut]
    cards: list[CircleCardOut]
    counts: CircleCountsOut
    liked_by_me: bool
    published_at: datetime | None


class CirclePageOut(Schema):
    items: list[CirclePostOut]
    next_cursor: str | None = Field(None, description="pass back as `cursor`; null at the end")


class CircleQuery(Schema):
    mode: Literal["newest", "for_you"] = "newest"
    cursor: str | None = Field(None, max_length=8000)
    limit: int = Field(20, ge=1, le=feed.MAX_LIMIT)


def post_out(post: Post) -> dict[str, object]:
    """A post as the API shows it (``post`` loaded by ``feed.load_posts``)."""
    return {
        "id": post.pk,
        "shop": {"id": post.shop.pk, "slug": post.shop.slug, "name": post.shop.name},
        "text": post.text,
        "images": [
            {"url": i.image.url, "thumbnail_url": i.thumbnail.url} for i in post.images.all()
        ],
        "cards": [
            {k: c[k] for k in ("listing_id", "title", "price_fen", "in_stock")}
            for c in getattr(post, "card_facts", [])
        ],
        "counts": {
            "likes": post.like_count,
            "comments": post.comment_count,
            "shares": post.share_count,
        },
        "liked_by_me": bool(getattr(post, "liked_by_me", False)),
        "published_at": post.published_at,
    }


@router.get(
    "/circle",
    response={200: CirclePageOut, **ERRORS},
    summary=(
        "My circle: posts of the shops I follow (not muted), newest first or ranked "
        '"for you"; at most 2 in a row from one shop; pass next_cursor for the next page'
    ),
)
def circle(request: HttpRequest, query: Query[CircleQuery]) -> dict[str, object]:
    page = feed.circle_page(
        user=acting_user(request), mode=query.mode, cursor=query.cursor, limit=query.limit
    )
    return {"items": [post_out(p) for p in page.posts], "next_cursor": page.next_cursor}


def mount(api: NinjaAPI) -> None:
    api.add_router("/me", router)

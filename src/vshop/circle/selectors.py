"""Circle reads for the shop owner and the shop page: her posts, one of them, the pinned post;
the operator's posting policy. Another shop's post is ``NotFound``, never forbidden."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from vshop.circle.models import CirclePolicy, Post, PostCard, PostImage, PostStatus, ShopPosting
from vshop.errors import NotFound
from vshop.shops.models import Shop


def posts_per_day() -> int:
    """The daily posting cap: the operator's policy row when she saved one, else the setting."""
    policy = CirclePolicy.objects.filter(pk=1).first()
    return policy.posts_per_day if policy else settings.VSHOP_CIRCLE_POSTS_PER_DAY


def posting_suspension(*, shop: Shop) -> ShopPosting | None:
    """The operator's suspension of this shop's posting, if it is in force."""
    return ShopPosting.objects.filter(shop=shop, suspended_at__isnull=False).first()


def edit_deadline(post: Post) -> datetime | None:
    """Until when a published post may be edited (None: not published yet, or deleted)."""
    if post.status != PostStatus.PUBLISHED or post.published_at is None:
        return None
    return post.published_at + timedelta(minutes=settings.VSHOP_CIRCLE_EDIT_MINUTES)


def post_can_edit(post: Post, *, now: datetime | None = None) -> bool:
    """Scheduled posts any time; published ones for a short time; never one an operator hid."""
    if post.hidden_at is not None:
        return False
    if post.status == PostStatus.SCHEDULED:
        return True
    deadline = edit_deadline(post)
    return deadline is not None and (now or timezone.now()) <= deadline


def _with_content(qs: QuerySet[Post]) -> QuerySet[Post]:
    """Images and cards (with the listing's product) in two more queries, whatever the count."""
    return qs.prefetch_related(
        Prefetch("images", queryset=PostImage.objects.order_by("position", "pk")),
        Prefetch(
            "cards",
            queryset=PostCard.objects.select_related("listing__product").order_by("position", "pk"),
        ),
    )


def posts_of_shop(*, shop: Shop) -> QuerySet[Post]:
    """The owner's posts: all but deleted ones, scheduled and newest first."""
    return _with_content(
        Post.objects.filter(shop=shop)
        .exclude(status=PostStatus.DELETED)
        .order_by("-publish_at", "-id")
    )


def post_of_shop(*, shop: Shop, post_id: int) -> Post:
    """One of her posts (not deleted); another shop's post is ``NotFound``."""
    post = (
        _with_content(Post.objects.filter(shop=shop, pk=post_id))
        .exclude(status=PostStatus.DELETED)
        .first()
    )
    if post is None:
        raise NotFound()
    return post


def shop_live_posts(*, shop: Shop) -> QuerySet[Post]:
    """What anybody may see of a shop: published, not hidden by an operator, newest first."""
    return _with_content(
        Post.objects.filter(
            shop=shop, status=PostStatus.PUBLISHED, hidden_at__isnull=True
        ).order_by("-published_at", "-id")
    )


@dataclass(frozen=True)
class PinnedPost:
    post: Post
    thumbnail_url: str | None


def pinned_post(*, shop: Shop) -> PinnedPost | None:
    """The shop's pinned post if it is live, with its first image's thumbnail, in one query (the
    shop page's query count is pinned in tests)."""
    first_thumbnail = (
        PostImage.objects.filter(post=OuterRef("pk"))
        .order_by("position", "pk")
        .values("thumbnail")[:1]
    )
    post = (
        Post.objects.filter(
            shop=shop,
            status=PostStatus.PUBLISHED,
            hidden_at__isnull=True,
            pinned_at__isnull=False,
        )
        .annotate(first_thumbnail=Subquery(first_thumbnail))
        .order_by("-pinned_at", "-id")
        .first()
    )
    if post is None:
        return None
    name = getattr(post, "first_thumbnail", None)
    return PinnedPost(post=post, thumbnail_url=default_storage.url(name) if name else None)

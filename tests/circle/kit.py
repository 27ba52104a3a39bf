"""Builders shared by the circle's tests: posts made straight through the models (no fan-out,
no daily cap), follows through the real service (fan count and the shop's record move)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

import pytest
from django.utils import timezone

from vshop.accounts.models import User
from vshop.circle.models import Post, PostCard, PostStatus
from vshop.fans import services as fans
from vshop.fans.models import Follow
from vshop.shops.models import Listing, Shop


def make_post(
    shop: Shop,
    *,
    text: str = "<p>New in the shop</p>",
    published_at: datetime | None = None,
    status: str = PostStatus.PUBLISHED,
    cards: Iterable[Listing] = (),
    hidden: bool = False,
) -> Post:
    """A post of this shop, published ``published_at`` (now by default), without fan-out."""
    when = published_at or timezone.now()
    post = Post.objects.create(
        shop=shop,
        author=shop.owner,
        text=text,
        status=status,
        publish_at=when,
        published_at=when if status != PostStatus.SCHEDULED else None,
        created_at=when,
        hidden_at=timezone.now() if hidden else None,
        hidden_reason="test" if hidden else "",
    )
    PostCard.objects.bulk_create(
        PostCard(post=post, listing=listing, position=i) for i, listing in enumerate(cards)
    )
    return post


def follow(fan: User, shop: Shop) -> Follow:
    """She follows the shop (through ``fans.services.fan_follow``)."""
    fans.fan_follow(fan=fan, shop=shop)
    return Follow.objects.get(fan=fan, shop=shop)


def _timeline_keys_drop() -> None:
    from vshop.circle import timelines

    client = timelines.redis_client()
    if client is None:
        return
    keys = list(client.scan_iter(match=timelines._key("*"), count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def clean_timelines() -> Iterator[None]:
    """Redis timelines outlive the test's rolled-back rows (user ids come again): drop them
    before and after. Import it into a test module (``from tests.circle.kit import
    clean_timelines  # noqa: F401``) to have it run for every test there."""
    _timeline_keys_drop()
    yield
    _timeline_keys_drop()

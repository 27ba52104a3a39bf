"""Fans' timelines: post ids by publish time, in Redis sorted sets when REDIS_URL is set
(``circle:tl:<user>``), in ``TimelineEntry`` rows otherwise; trimmed to
VSHOP_CIRCLE_TIMELINE_LENGTH."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime


def timeline_add(
    *, post_id: int, shop_id: int, published_at: datetime, user_ids: Sequence[int]
) -> None:
    """Push one post into these fans' timelines (again is harmless)."""
    raise NotImplementedError


def timeline_remove_shop(*, user_id: int, shop_id: int) -> None:
    """Take a shop's posts out of her timeline (she unfollowed it)."""
    raise NotImplementedError


def timeline_read(
    *, user_id: int, before: tuple[float, int] | None, limit: int
) -> list[tuple[int, float]]:
    """(post id, published timestamp) newest first, strictly before ``before`` (timestamp,
    post id) when given."""
    raise NotImplementedError

"""A fan's circle: newest first, or "for you" (ranked); cursor pages that never repeat a post."""

from __future__ import annotations

from dataclasses import dataclass

from vshop.accounts.models import User
from vshop.circle.models import Post


@dataclass
class FeedPage:
    posts: list[Post]
    next_cursor: str | None


def circle_page(
    *, user: User, mode: str = "newest", cursor: str | None = None, limit: int = 20
) -> FeedPage:
    raise NotImplementedError

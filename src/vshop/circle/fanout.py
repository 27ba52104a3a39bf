"""Fan-out: a published post of a shop under the threshold goes into each follower's timeline,
in the worker, in batches; safe to run twice. Bigger shops' posts are merged at read time."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vshop.circle import timelines
from vshop.circle.models import CirclePolicy, Post, PostStatus
from vshop.fans.models import Follow
from vshop.shops.models import Shop


def fanout_threshold() -> int:
    """Shops with at least this many followers are merged at read time (operator's policy)."""
    policy = CirclePolicy.objects.filter(pk=1).values_list("fanout_threshold", flat=True).first()
    return int(policy if policy is not None else settings.VSHOP_CIRCLE_FANOUT_THRESHOLD)


def post_published(*, post_id: int) -> None:
    """Called (after commit) when a post goes live: enqueue its fan-out if its shop is small."""
    fan_count = Shop.objects.filter(posts__pk=post_id).values_list("fan_count", flat=True).first()
    if fan_count is None or fan_count >= fanout_threshold():
        return  # gone, or a big shop: read-time merge

    def enqueue() -> None:
        from vshop.circle.tasks import post_fan_out as task

        task(post_id)

    transaction.on_commit(enqueue, robust=True)


def post_fan_out(*, post_id: int, batch_size: int = 1000) -> int:
    """Push the post into every active follower's timeline; returns how many timelines."""
    post = (
        Post.objects.filter(pk=post_id, status=PostStatus.PUBLISHED, hidden_at__isnull=True)
        .only("pk", "shop_id", "published_at")
        .first()
    )
    if post is None or post.published_at is None:
        return 0  # deleted, hidden or not yet live: nothing to push
    followers = Follow.objects.filter(
        shop_id=post.shop_id, muted_at__isnull=True, fan__is_active=True
    ).order_by("pk")
    pushed = 0
    last = 0
    while True:
        rows = list(followers.filter(pk__gt=last).values_list("pk", "fan_id")[:batch_size])
        if not rows:
            break
        last = rows[-1][0]
        user_ids = [fan_id for _pk, fan_id in rows]
        # ZADD / insert-ignore: a retry or a second run adds nothing twice.
        timelines.timeline_add(
            post_id=post.pk,
            shop_id=post.shop_id,
            published_at=post.published_at,
            user_ids=user_ids,
        )
        pushed += len(user_ids)
    Post.objects.filter(pk=post.pk).update(fanned_out_at=timezone.now())
    return pushed

"""Fan-out: a published post of a shop under the threshold goes into each follower's timeline,
in the worker, in batches; safe to run twice. Bigger shops' posts are merged at read time."""

from __future__ import annotations


def post_published(*, post_id: int) -> None:
    """Called (after commit) when a post goes live: enqueue its fan-out if its shop is small."""
    raise NotImplementedError


def post_fan_out(*, post_id: int, batch_size: int = 1000) -> int:
    """Push the post into every active follower's timeline; returns how many timelines."""
    raise NotImplementedError

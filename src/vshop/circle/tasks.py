"""The circle's jobs: fan-out of a published post, publishing scheduled posts."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task


@db_task(retries=3, retry_delay=10)
def post_fan_out(post_id: int) -> int:
    from vshop.circle import fanout

    return fanout.post_fan_out(post_id=post_id)


@db_periodic_task(crontab(minute="*"))
@lock_task("circle-posts-publish")
def posts_publish_due() -> int:
    from vshop.circle import posts

    return posts.posts_publish_due()

"""Fans' timelines: post ids by publish time, in Redis sorted sets when REDIS_URL is set
(``circle:tl:<user>``), in ``TimelineEntry`` rows otherwise; trimmed to
VSHOP_CIRCLE_TIMELINE_LENGTH.

Redis: one sorted set per fan, score = published timestamp, member = ``"<post id>:<shop id>"``
so an unfollow removes a shop's members from the (at most N) members without a query. Trimmed
on every add (ZREMRANGEBYRANK in the same pipeline).
Database: one row per (fan, post); trimmed lazily when she reads her first page (one cheap
query for her only), so a fan-out batch never pays for 1,000 users' trims.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db.models import Q

from vshop.circle.models import TimelineEntry
from vshop.fans.activity import _redis


def _key(user_id: int) -> str:
    # The cache's prefix keeps installs (and test runs) sharing one Redis apart.
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "") or "vshop"
    return f"{prefix}:circle:tl:{user_id}"


def _length() -> int:
    return int(settings.VSHOP_CIRCLE_TIMELINE_LENGTH)


def redis_client() -> Any | None:
    """The shared Redis client (``fans.activity``'s pool), or None without REDIS_URL."""
    return _redis()


_ADD = """
local keep = tonumber(ARGV[3])
for i, key in ipairs(KEYS) do
    redis.call('ZADD', key, ARGV[1], ARGV[2])
    redis.call('ZREMRANGEBYRANK', key, 0, -keep - 1)
end
return #KEYS
"""
_scripts: dict[int, Any] = {}


def _add_script(client: Any) -> Any:
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_ADD)
    return script


def timeline_add(
    *, post_id: int, shop_id: int, published_at: datetime, user_ids: Sequence[int]
) -> None:
    """Push one post into these fans' timelines (again is harmless)."""
    if not user_ids:
        return
    client = redis_client()
    if client is not None:
        # One script call per batch: the ZADD and the trim of 1,000 timelines run inside Redis
        # instead of 2,000 commands built and parsed in Python (fan-out of 9,000 in well under
        # a second). The keys are passed as KEYS, as scripts must (one Redis, not a cluster).
        script = _add_script(client)
        member = f"{post_id}:{shop_id}"
        score = repr(published_at.timestamp())
        keys = [_key(u) for u in user_ids]
        script(keys=keys, args=[score, member, _length()])
        return
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(user_id=u, post_id=post_id, shop_id=shop_id, published_at=published_at)
            for u in user_ids
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


def timeline_remove_shop(*, user_id: int, shop_id: int) -> None:
    """Take a shop's posts out of her timeline (she unfollowed it)."""
    client = redis_client()
    if client is not None:
        key = _key(user_id)
        suffix = f":{shop_id}".encode()
        members = [m for m in client.zrange(key, 0, -1) if m.endswith(suffix)]
        if members:
            client.zrem(key, *members)
        return
    TimelineEntry.objects.filter(user_id=user_id, shop_id=shop_id).delete()


def timeline_forget(*, user_id: int) -> None:
    """Her whole timeline goes (her account is deleted)."""
    client = redis_client()
    if client is not None:
        client.delete(_key(user_id))
    TimelineEntry.objects.filter(user_id=user_id).delete()


def timeline_read(
    *, user_id: int, before: tuple[float, int] | None, limit: int
) -> list[tuple[int, float]]:
    """(post id, published timestamp) newest first, strictly before ``before`` (timestamp,
    post id) when given."""
    if limit <= 0:
        return []
    client = redis_client()
    if client is not None:
        return _redis_read(client, user_id=user_id, before=before, limit=limit)
    return _db_read(user_id=user_id, before=before, limit=limit)


def _redis_read(
    client: Any, *, user_id: int, before: tuple[float, int] | None, limit: int
) -> list[tuple[int, float]]:
    key = _key(user_id)
    if before is None:
        raw = client.zrevrange(key, 0, limit - 1, withscores=True)
        rows = [(int(m.split(b":", 1)[0]), float(s)) for m, s in raw]
    else:
        ts, post_id = before
        # Members that share the boundary's score sort by text, not by post id: take them all
        # and order them here, then the strictly older ones.
        pipe = client.pipeline(transaction=False)
        pipe.zrangebyscore(key, ts, ts, withscores=True)
        pipe.zrevrangebyscore(key, f"({ts!r}", "-inf", start=0, num=limit, withscores=True)
        same, older = pipe.execute()
        rows = [(int(m.split(b":", 1)[0]), float(s)) for m, s in same]
        rows = [r for r in rows if r[0] < post_id]
        rows += [(int(m.split(b":", 1)[0]), float(s)) for m, s in older]
    if len(rows) >= limit:
        # The page may end inside a run of equal scores cut by text order: take that whole
        # run so the newest-by-id of them are the ones kept.
        edge = min(r[1] for r in rows)
        tie = client.zrangebyscore(key, edge, edge, withscores=True)
        known = {r[0] for r in rows}
        for m, sc in tie:
            post_id = int(m.split(b":", 1)[0])
            if post_id not in known and (before is None or (sc, post_id) < before):
                rows.append((post_id, float(sc)))
    rows.sort(key=lambda r: (r[1], r[0]), reverse=True)
    return rows[:limit]


def _db_read(
    *, user_id: int, before: tuple[float, int] | None, limit: int
) -> list[tuple[int, float]]:
    qs = TimelineEntry.objects.filter(user_id=user_id)
    if before is None:
        _db_trim(user_id)
    else:
        at = datetime.fromtimestamp(before[0], tz=UTC)
        qs = qs.filter(Q(published_at__lt=at) | Q(published_at=at, post_id__lt=before[1]))
    rows = qs.order_by("-published_at", "-post_id").values_list("post_id", "published_at")[:limit]
    return [(post_id, at.timestamp()) for post_id, at in rows]


def _db_trim(user_id: int) -> None:
    """Drop her entries beyond the N newest (done when she opens her circle)."""
    qs = TimelineEntry.objects.filter(user_id=user_id).order_by("-published_at", "-post_id")
    edge = qs.values_list("published_at", "post_id")[_length() : _length() + 1]
    for at, post_id in edge:
        TimelineEntry.objects.filter(user_id=user_id).filter(
            Q(published_at__lt=at) | Q(published_at=at, post_id__lte=post_id)
        ).delete()

"""Timelines in both stores: add (twice = once), read newest first before a boundary, trim to
the fixed length, unfollow removes the shop's posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.circle.kit import clean_timelines, follow, make_post  # noqa: F401
from tests.factories import make_shop, make_user
from vshop.circle import timelines
from vshop.circle.models import TimelineEntry
from vshop.fans import services as fans

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def store(request, settings) -> str:
    if request.param == "database":
        settings.REDIS_URL = ""
    return request.param


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.django_db
def test_add_then_read_newest_first_and_twice_is_once(store):
    for post_id, minutes in [(1, 0), (2, 5), (3, 3)]:
        timelines.timeline_add(
            post_id=post_id, shop_id=7, published_at=at(minutes), user_ids=[10, 11]
        )
    timelines.timeline_add(post_id=2, shop_id=7, published_at=at(5), user_ids=[10])  # again
    rows = timelines.timeline_read(user_id=10, before=None, limit=10)
    assert [r[0] for r in rows] == [2, 3, 1]
    assert rows[0][1] == pytest.approx(at(5).timestamp())
    assert [r[0] for r in timelines.timeline_read(user_id=11, before=None, limit=2)] == [2, 3]
    assert timelines.timeline_read(user_id=12, before=None, limit=10) == []
    if store == "database":
        assert TimelineEntry.objects.filter(user_id=10).count() == 3


@pytest.mark.django_db
def test_read_before_a_boundary_is_strict_and_breaks_ties_by_post_id(store):
    # Three posts at the same instant, one earlier: the boundary (ts, id) splits the tie.
    for post_id in (5, 12, 100):
        timelines.timeline_add(post_id=post_id, shop_id=1, published_at=at(10), user_ids=[1])
    timelines.timeline_add(post_id=3, shop_id=1, published_at=at(1), user_ids=[1])
    first = timelines.timeline_read(user_id=1, before=None, limit=2)
    assert [r[0] for r in first] == [100, 12]
    rest = timelines.timeline_read(user_id=1, before=(first[-1][1], first[-1][0]), limit=5)
    assert [r[0] for r in rest] == [5, 3]
    assert timelines.timeline_read(user_id=1, before=(at(1).timestamp(), 3), limit=5) == []


@pytest.mark.django_db
def test_trimmed_to_the_newest_n(store, settings):
    settings.VSHOP_CIRCLE_TIMELINE_LENGTH = 3
    for post_id in range(1, 7):
        timelines.timeline_add(post_id=post_id, shop_id=1, published_at=at(post_id), user_ids=[4])
    assert [r[0] for r in timelines.timeline_read(user_id=4, before=None, limit=10)] == [6, 5, 4]
    # Nothing older survives below the page either.
    assert timelines.timeline_read(user_id=4, before=(at(4).timestamp(), 4), limit=10) == []
    if store == "database":
        assert sorted(TimelineEntry.objects.values_list("post_id", flat=True)) == [4, 5, 6]


@pytest.mark.django_db
def test_remove_shop_takes_only_that_shops_posts_of_that_fan(store):
    timelines.timeline_add(post_id=1, shop_id=3, published_at=at(1), user_ids=[1, 2])
    timelines.timeline_add(post_id=2, shop_id=33, published_at=at(2), user_ids=[1])
    timelines.timeline_add(post_id=3, shop_id=3, published_at=at(3), user_ids=[1])
    timelines.timeline_remove_shop(user_id=1, shop_id=3)
    assert [r[0] for r in timelines.timeline_read(user_id=1, before=None, limit=10)] == [2]
    assert [r[0] for r in timelines.timeline_read(user_id=2, before=None, limit=10)] == [1]


@pytest.mark.django_db(transaction=True)
def test_unfollow_removes_the_shops_posts_from_her_timeline(store):
    shop, other = make_shop(), make_shop()
    her = make_user("her@example.com")
    follow(her, shop)
    follow(her, other)
    p1, p2 = make_post(shop), make_post(other)
    for p in (p1, p2):
        timelines.timeline_add(
            post_id=p.pk, shop_id=p.shop_id, published_at=p.published_at, user_ids=[her.pk]
        )
    fans.fan_unfollow(fan=her, shop=shop)
    assert [r[0] for r in timelines.timeline_read(user_id=her.pk, before=None, limit=10)] == [p2.pk]

"""Fan-out: small shops' posts go into each active, unmuted follower's timeline, in batches, in
the worker; twice is once; big shops are left to the read-time merge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.circle.kit import clean_timelines, follow, make_post  # noqa: F401
from tests.factories import make_shop, make_user
from tests.smtp import huey_immediate
from vshop.circle import fanout, timelines
from vshop.circle.models import CirclePolicy, Post, PostStatus, TimelineEntry
from vshop.fans import services as fans
from vshop.shops.models import Shop


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def store(request, settings) -> str:
    if request.param == "database":
        settings.REDIS_URL = ""
    return request.param


def ids_in(user) -> list[int]:
    return [r[0] for r in timelines.timeline_read(user_id=user.pk, before=None, limit=100)]


@pytest.fixture
def cast(db):
    shop = make_shop()
    fans_ = [make_user(f"f{i}@example.com") for i in range(5)]
    for f in fans_:
        follow(f, shop)
    return shop, fans_


def test_fan_out_pushes_to_active_unmuted_followers_in_batches_and_twice_is_once(store, cast):
    shop, (a, b, c, d, e) = cast
    fans.fan_mute(fan=d, shop=shop, muted=True)
    e.is_active = False
    e.save(update_fields=["is_active"])
    stranger = make_user("stranger@example.com")
    post = make_post(shop)
    assert fanout.post_fan_out(post_id=post.pk, batch_size=2) == 3
    assert fanout.post_fan_out(post_id=post.pk, batch_size=2) == 3  # again: nothing twice
    for f in (a, b, c):
        assert ids_in(f) == [post.pk]
    for f in (d, e, stranger):
        assert ids_in(f) == []
    if store == "database":
        assert TimelineEntry.objects.filter(post_id=post.pk).count() == 3
    post.refresh_from_db()
    assert post.fanned_out_at is not None


@pytest.mark.parametrize("state", ["hidden", "deleted", "scheduled"])
def test_a_post_that_is_not_live_is_not_pushed(store, cast, state):
    shop, (a, *_rest) = cast
    if state == "hidden":
        post = make_post(shop, hidden=True)
    else:
        status = PostStatus.DELETED if state == "deleted" else PostStatus.SCHEDULED
        post = make_post(shop, status=status)
    assert fanout.post_fan_out(post_id=post.pk) == 0
    assert ids_in(a) == []
    assert Post.objects.get(pk=post.pk).fanned_out_at is None


def test_post_published_runs_the_fan_out_in_the_worker_after_commit(
    store, cast, django_capture_on_commit_callbacks
):
    shop, (a, *_rest) = cast
    post = make_post(shop)
    with huey_immediate(), django_capture_on_commit_callbacks(execute=True) as callbacks:
        fanout.post_published(post_id=post.pk)
        assert ids_in(a) == []  # nothing before the commit
    assert len(callbacks) == 1
    assert ids_in(a) == [post.pk]


def test_a_big_shop_is_not_fanned_out(store, cast, django_capture_on_commit_callbacks):
    shop, (a, *_rest) = cast
    CirclePolicy.objects.create(pk=1, fanout_threshold=5)  # the operator's policy wins
    assert Shop.objects.get(pk=shop.pk).fan_count == 5
    post = make_post(shop)
    with huey_immediate(), django_capture_on_commit_callbacks(execute=True) as callbacks:
        fanout.post_published(post_id=post.pk)
    assert callbacks == []
    assert ids_in(a) == []


def test_threshold_comes_from_settings_without_a_policy(settings, db):
    settings.VSHOP_CIRCLE_FANOUT_THRESHOLD = 42
    assert fanout.fanout_threshold() == 42
    CirclePolicy.objects.create(pk=1, fanout_threshold=7)
    assert fanout.fanout_threshold() == 7


def test_fan_out_of_an_unknown_post_pushes_nothing(store, db):
    assert fanout.post_fan_out(post_id=987654) == 0
    fanout.post_published(post_id=987654)  # no error, nothing queued


def test_fan_out_keeps_published_time_order(store, cast):
    shop, (a, *_rest) = cast
    old = make_post(shop, published_at=timezone.now() - timedelta(hours=3))
    new = make_post(shop)
    fanout.post_fan_out(post_id=new.pk)
    fanout.post_fan_out(post_id=old.pk)  # late fan-out of an older post
    assert ids_in(a) == [new.pk, old.pk]

"""Fan activity under real concurrency on PostgreSQL: flushes racing each other and racing the
pages that record, and an insert still in flight when the flush runs. Each event is rolled up
exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections, transaction
from django.db.models import Sum

from tests.factories import make_shop, make_user
from tests.races import race
from vshop.fans import activity
from vshop.fans.activity import ActivityInput, activity_flush, record_many
from vshop.fans.models import ActivityDay, ActivityEvent, ActivityHour, ActivityKind

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def buffer(request, settings) -> str:
    if request.param == "database":
        settings.REDIS_URL = ""
    yield request.param
    if request.param == "redis":
        activity._redis().delete(activity._key("buffer"), activity._key("processing"))


def visits_rolled_up() -> int:
    return ActivityDay.objects.aggregate(n=Sum("visits"))["n"] or 0


def drain() -> None:
    while activity_flush():
        pass


def test_flushes_racing_each_other_count_each_event_once(buffer):
    shop, users = make_shop(), [make_user() for _ in range(5)]
    record_many(
        ActivityInput(
            shop_id=shop.pk,
            user_id=users[n % 5].pk,
            kind=ActivityKind.VISIT,
            at=START + timedelta(minutes=n),
        )
        for n in range(3000)
    )

    results = race(4, lambda i: activity_flush(limit=700))
    drain()

    assert results == ["ok"] * 4
    assert visits_rolled_up() == 3000
    assert ActivityHour.objects.aggregate(n=Sum("visits"))["n"] == 3000
    assert ActivityEvent.objects.filter(shop_id=shop.pk).count() == 3000


def test_flushes_racing_the_pages_that_record_count_each_event_once(buffer):
    shop, user = make_shop(), make_user()
    per_writer, writers = 300, 3

    def act(i: int) -> None:
        if i < writers:  # a page: small batches, each its own commit
            for n in range(0, per_writer, 10):
                record_many(
                    ActivityInput(shop_id=shop.pk, user_id=user.pk, kind=1, at=START)
                    for _ in range(10)
                )
        else:  # the worker
            for _ in range(15):
                activity_flush(limit=200)

    results = race(writers + 2, act)
    drain()

    assert results == ["ok"] * (writers + 2)
    assert visits_rolled_up() == per_writer * writers
    assert ActivityEvent.objects.filter(shop_id=shop.pk).count() == per_writer * writers


def test_an_insert_still_in_flight_is_rolled_up_once_it_commits(settings):
    settings.REDIS_URL = ""
    shop, user = make_shop(), make_user()
    inserted, release = threading.Event(), threading.Event()

    def slow_page() -> None:
        try:
            with transaction.atomic():
                ActivityEvent.objects.create(
                    shop_id=shop.pk, user_id=user.pk, kind=1, at=START, local_hour=18
                )
                inserted.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_page)
    thread.start()
    assert inserted.wait(timeout=30)
    # a later page commits a higher id while the first one is still open
    record_many([ActivityInput(shop_id=shop.pk, user_id=user.pk, kind=1, at=START)])
    first = activity_flush()
    release.set()
    thread.join(timeout=30)
    drain()

    assert first == 0  # it waited briefly for the open insert, then left both for next time
    assert visits_rolled_up() == 2

"""Fan activity: recording (Redis list or raw rows), exactly-once flushing into hourly and daily
rollups in the fan's own time, pruning, the hours-of-week grid, privacy, and the hooks in the
storefront, the cart, payment, sharing and the inbox."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.buying import add_to_cart, committed, pay, place
from tests.factories import make_user
from vshop.fans import activity
from vshop.fans.activity import ActivityInput, activity_flush, activity_prune, record, record_many
from vshop.fans.models import (
    ActivityDay,
    ActivityEvent,
    ActivityHour,
    ActivityKind,
    FanSource,
    PrivacySettings,
    ShopFan,
)

# A Monday, 2026-03-02 10:15 UTC = 18:15 in Shanghai = 05:15 in New York (EST, UTC-5).
MONDAY = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def buffer(request, settings) -> str:
    """Run the test with each buffer: the raw table (no Redis) and the Redis list."""
    if request.param == "database":
        settings.REDIS_URL = ""
    yield request.param
    if request.param == "redis":
        client = activity._redis()
        client.delete(activity._key("buffer"), activity._key("processing"))


@pytest.fixture
def no_redis(settings) -> None:
    settings.REDIS_URL = ""


@pytest.fixture
def with_redis() -> None:
    """For tests marked ``redis``: clean the test's own buffer keys afterwards."""
    yield
    activity._redis().delete(activity._key("buffer"), activity._key("processing"))


def events(shop_id: int, user_id: int) -> list[ActivityEvent]:
    return list(ActivityEvent.objects.filter(shop_id=shop_id, user_id=user_id).order_by("at", "pk"))


def day_counts(shop_id: int, user_id: int) -> dict[date, tuple[int, ...]]:
    return {
        d.day: (d.visits, d.views, d.carts, d.orders, d.shares, d.opens, d.clicks, d.sales)
        for d in ActivityDay.objects.filter(shop_id=shop_id, user_id=user_id)
    }


def hour_counts(shop_id: int, user_id: int) -> dict[tuple[datetime, int], tuple[int, ...]]:
    return {
        (h.hour, h.local_hour): (h.visits, h.views, h.carts, h.orders, h.shares, h.opens, h.clicks)
        for h in ActivityHour.objects.filter(shop_id=shop_id, user_id=user_id)
    }


def record_now(**kwargs: object) -> None:
    with committed():
        record(**kwargs)  # type: ignore[arg-type]


def record_all(items: list[ActivityInput]) -> None:
    with committed():
        record_many(items)


# --- recording ---------------------------------------------------------------------------------


def test_without_redis_a_record_is_one_raw_row_written_after_commit(no_redis, shop, fan):
    with committed():
        record(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VISIT, at=MONDAY)
        assert ActivityEvent.objects.count() == 0  # not before the commit
    [event] = events(shop.pk, fan.pk)
    assert event.kind == ActivityKind.VISIT
    assert event.at == MONDAY
    assert event.local_hour == 18  # Monday 18:00 in Shanghai


def test_a_rolled_back_transaction_records_nothing(no_redis, shop, fan):
    with committed(), pytest.raises(RuntimeError):
        from django.db import transaction

        with transaction.atomic():
            record(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VISIT)
            raise RuntimeError("page failed")
    assert ActivityEvent.objects.count() == 0


@pytest.mark.redis
def test_with_redis_a_record_is_one_push_and_no_row_until_the_flush(with_redis, shop, fan):
    with CaptureQueriesContext(connection) as queries:
        record_now(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VIEW, ref=7, at=MONDAY)
    assert len(queries) == 0
    assert activity._redis().llen(activity._key("buffer")) == 1
    assert ActivityEvent.objects.count() == 0
    assert activity_flush() == 1
    [event] = events(shop.pk, fan.pk)
    assert (event.kind, event.ref, event.at, event.local_hour) == (2, 7, MONDAY, 18)
    assert activity._redis().llen(activity._key("buffer")) == 0


def test_record_refuses_an_unknown_kind(shop, fan):
    with pytest.raises(ValueError):
        record(shop_id=shop.pk, user_id=fan.pk, kind=99)


def test_an_unknown_time_zone_falls_back_to_shanghai(no_redis, shop, fan):
    record_now(shop_id=shop.pk, user_id=fan.pk, kind=1, at=MONDAY, time_zone="Mars/Olympus")
    assert events(shop.pk, fan.pk)[0].local_hour == 18


def test_redis_that_is_down_falls_back_to_the_database(settings, shop, fan):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    record_now(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VISIT, at=MONDAY)
    assert len(events(shop.pk, fan.pk)) == 1
    assert activity_flush() == 1
    assert day_counts(shop.pk, fan.pk)[date(2026, 3, 2)][0] == 1


# --- flushing ----------------------------------------------------------------------------------


def test_flush_rolls_events_up_into_hours_and_days(buffer, shop, fan):
    record_all(
        [
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VISIT, at=MONDAY),
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VIEW, at=MONDAY),
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VIEW, at=MONDAY),
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.CART, at=MONDAY),
            ActivityInput(
                shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.ORDER, at=MONDAY, value=5990
            ),
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.SHARE, at=MONDAY),
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.OPEN, at=MONDAY),
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.CLICK, at=MONDAY),
        ]
    )
    assert activity_flush() == 8
    hour = MONDAY.replace(minute=0)
    assert hour_counts(shop.pk, fan.pk) == {(hour, 18): (1, 2, 1, 1, 1, 1, 1)}
    assert day_counts(shop.pk, fan.pk) == {date(2026, 3, 2): (1, 2, 1, 1, 1, 1, 1, 5990)}


def test_flushing_twice_counts_each_event_once(buffer, shop, fan):
    record_now(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VISIT, at=MONDAY)
    assert activity_flush() == 1
    assert activity_flush() == 0
    record_now(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VISIT, at=MONDAY)
    assert activity_flush() == 1
    assert activity_flush() == 0
    assert day_counts(shop.pk, fan.pk)[date(2026, 3, 2)][0] == 2
    assert len(events(shop.pk, fan.pk)) == 2


def test_flush_moves_at_most_its_limit_and_the_rest_next_time(buffer, shop, fan):
    record_all(
        [
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=1, at=MONDAY + timedelta(hours=i))
            for i in range(5)
        ]
    )
    assert activity_flush(limit=3) == 3
    assert activity_flush(limit=3) == 2
    assert sum(c[0] for c in day_counts(shop.pk, fan.pk).values()) == 5


def test_a_roll_up_that_fails_half_way_counts_nothing_and_the_next_counts_once(
    buffer, shop, fan, monkeypatch
):
    ShopFan.objects.create(shop=shop, user=fan, source=FanSource.FOLLOW)
    record_now(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VISIT, at=MONDAY)

    # the worker dies after the rollups were written, before the watermark moves
    for name in ("_roll_up", "_roll_up_in_database"):
        original = getattr(activity, name)

        def crash(*args: object, _original=original, **kwargs: object) -> None:
            _original(*args, **kwargs)
            raise RuntimeError("worker killed")

        monkeypatch.setattr(activity, name, crash)
    with pytest.raises(RuntimeError):
        activity_flush()
    assert ActivityHour.objects.count() == 0
    assert ActivityDay.objects.count() == 0
    monkeypatch.undo()
    assert activity_flush() == 1
    assert day_counts(shop.pk, fan.pk)[date(2026, 3, 2)][0] == 1
    assert ShopFan.objects.get(shop=shop, user=fan).visit_count == 1


@pytest.mark.redis
def test_a_redis_batch_whose_release_was_lost_is_not_inserted_twice(
    with_redis, shop, fan, monkeypatch
):
    record_now(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VISIT, at=MONDAY)
    client = activity._redis()

    class LosesRelease:
        """The worker dies right after the commit, before the batch is released."""

        def eval(self, script: str, *args: object) -> object:
            if script == activity._RELEASE:
                raise ConnectionError("worker killed")
            return client.eval(script, *args)

    with pytest.raises(ConnectionError):
        activity._drain_one(LosesRelease(), 100)
    assert client.exists(activity._key("processing"))
    # the next flush finds the same batch, sees it was committed, and only releases it
    activity_flush()
    assert not client.exists(activity._key("processing"))
    assert len(events(shop.pk, fan.pk)) == 1
    assert day_counts(shop.pk, fan.pk)[date(2026, 3, 2)][0] == 1


def test_local_hour_is_in_the_fans_own_time_zone(buffer, shop, fan):
    record_now(
        shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VISIT, at=MONDAY,
        time_zone="America/New_York",
    )  # fmt: skip
    activity_flush()
    [hour] = ActivityHour.objects.filter(shop_id=shop.pk, user_id=fan.pk)
    assert hour.hour == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert hour.local_hour == 5  # Monday 05:15 in New York
    grid = activity.fan_hours_of_week(shop_id=shop.pk, user_id=fan.pk, days=100_000)
    assert grid[0][5] == 1


def test_a_half_hour_time_zone_keeps_one_row_per_utc_hour(buffer, shop, fan):
    # 10:15 and 10:45 UTC are 15:45 and 16:15 in Kolkata (UTC+5:30): one UTC hour, two of hers
    record_all(
        [
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=1, at=MONDAY, time_zone="Asia/Kolkata"),
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=2, at=MONDAY + timedelta(minutes=30), time_zone="Asia/Kolkata"),
        ]
    )  # fmt: skip
    activity_flush()
    assert sorted(e.local_hour for e in events(shop.pk, fan.pk)) == [15, 16]
    [hour] = ActivityHour.objects.filter(shop_id=shop.pk, user_id=fan.pk)
    assert (hour.local_hour, hour.visits, hour.views) == (15, 1, 1)  # where the hour begins


def test_days_are_her_local_dates(buffer, shop, fan):
    # 2026-03-01 17:30 UTC is already Monday 01:30 in Shanghai, still Sunday 12:30 in New York.
    late = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)
    # 2026-03-02 02:00 UTC is still Sunday 21:00 in New York.
    early = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    ny = make_user()
    record_all(
        [
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=1, at=late),
            ActivityInput(shop_id=shop.pk, user_id=ny.pk, kind=1, at=late, time_zone="America/New_York"),
            ActivityInput(shop_id=shop.pk, user_id=ny.pk, kind=1, at=early, time_zone="America/New_York"),
        ]
    )  # fmt: skip
    activity_flush()
    assert list(day_counts(shop.pk, fan.pk)) == [date(2026, 3, 2)]
    assert day_counts(shop.pk, ny.pk)[date(2026, 3, 1)][0] == 2
    assert ActivityHour.objects.get(shop_id=shop.pk, user_id=fan.pk).local_hour == 1  # Mon 01:00
    ny_hours = set(ActivityHour.objects.filter(user_id=ny.pk).values_list("local_hour", flat=True))
    assert ny_hours == {6 * 24 + 12, 6 * 24 + 21}  # Sunday 12:00 and 21:00


def test_flush_updates_the_figures_of_existing_fans_only(buffer, shop, other_shop, fan):
    record_fan = ShopFan.objects.create(shop=shop, user=fan, source=FanSource.FOLLOW)
    stranger = make_user()
    later = MONDAY + timedelta(hours=3)
    record_all(
        [
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VISIT, at=later),
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VISIT, at=MONDAY),
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.SHARE, at=MONDAY),
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VIEW, at=MONDAY),
            ActivityInput(shop_id=other_shop.pk, user_id=fan.pk, kind=1, at=later),
            ActivityInput(shop_id=shop.pk, user_id=stranger.pk, kind=1, at=later),
        ]
    )
    assert activity_flush() == 6
    record_fan.refresh_from_db()
    assert (record_fan.visit_count, record_fan.share_count) == (2, 1)
    assert record_fan.last_visit_at == later
    assert not ShopFan.objects.filter(user=stranger).exists()
    # the stranger is still recorded: she may become a fan later
    assert day_counts(shop.pk, stranger.pk)[date(2026, 3, 2)][0] == 1
    # an older visit never moves the last visit back
    record_now(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VISIT, at=MONDAY)
    activity_flush()
    record_fan.refresh_from_db()
    assert (record_fan.visit_count, record_fan.last_visit_at) == (3, later)


# --- privacy -----------------------------------------------------------------------------------


def test_a_fan_who_hides_her_activity_is_not_recorded(buffer, shop, fan):
    PrivacySettings.objects.create(user=fan, share_activity=False)
    other = make_user()
    ShopFan.objects.create(shop=shop, user=fan, source=FanSource.FOLLOW)
    record_all(
        [
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VISIT, at=MONDAY),
            ActivityInput(shop_id=shop.pk, user_id=other.pk, kind=ActivityKind.VISIT, at=MONDAY),
        ]
    )
    activity_flush()
    assert events(shop.pk, fan.pk) == []
    assert day_counts(shop.pk, fan.pk) == {}
    assert ActivityHour.objects.filter(user_id=fan.pk).count() == 0
    assert ShopFan.objects.get(shop=shop, user=fan).visit_count == 0
    assert day_counts(shop.pk, other.pk)[date(2026, 3, 2)][0] == 1


def test_reads_show_nothing_once_she_hides_her_activity(no_redis, shop, fan):
    record_now(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VISIT)
    activity_flush()
    assert activity.fan_activity_summary(shop_id=shop.pk, user_id=fan.pk)["visits"] == 1
    PrivacySettings.objects.create(user=fan, share_activity=False)
    assert activity.fan_activity_summary(shop_id=shop.pk, user_id=fan.pk)["visits"] == 0
    assert sum(map(sum, activity.fan_hours_of_week(shop_id=shop.pk, user_id=fan.pk))) == 0


# --- pruning -----------------------------------------------------------------------------------


def test_prune_deletes_old_raw_events_and_old_hours_but_keeps_days(no_redis, settings, shop, fan):
    settings.VSHOP_ACTIVITY_RAW_DAYS = 30
    settings.VSHOP_ACTIVITY_HOURLY_DAYS = 180
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    ages = [1, 29, 31, 179, 181]
    record_all(
        [
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=1, at=now - timedelta(days=d))
            for d in ages
        ]
    )
    activity_flush()
    # one more, too old to keep but not rolled up yet: it waits for its roll-up
    record_now(shop_id=shop.pk, user_id=fan.pk, kind=1, at=now - timedelta(days=40))
    assert activity_prune(now=now) == 3 + 1  # raw 31, 179, 181 days old; the 181-day hour
    kept = {(now - e.at).days for e in events(shop.pk, fan.pk)}
    assert kept == {1, 29, 40}
    hours = {(now - h.hour).days for h in ActivityHour.objects.filter(user_id=fan.pk)}
    assert hours == {1, 29, 31, 179}
    assert ActivityDay.objects.filter(user_id=fan.pk).count() == 5
    # the markers survive any prune
    activity_flush()
    assert activity_prune(now=now + timedelta(days=10_000)) > 0
    assert ActivityEvent.objects.filter(shop_id=activity.MARKER_SHOP).count() >= 1
    assert activity_flush() == 0


# --- reading -----------------------------------------------------------------------------------


def test_hours_of_week_grid_is_seven_days_of_24_hours_from_monday(no_redis, shop, fan):
    now = datetime.now(UTC)
    base = now - timedelta(days=10)
    items = [ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=k, at=base) for k in (1, 2, 2)]
    items.append(
        ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=1, at=now - timedelta(days=200))
    )
    items.append(ActivityInput(shop_id=shop.pk, user_id=make_user().pk, kind=1, at=base))
    record_all(items)
    activity_flush()
    grid = activity.fan_hours_of_week(shop_id=shop.pk, user_id=fan.pk)
    local = base.astimezone(activity._zone("Asia/Shanghai"))
    assert len(grid) == 7
    assert all(len(row) == 24 for row in grid)
    assert grid[local.weekday()][local.hour] == 3
    assert sum(map(sum, grid)) == 3  # the 200-day-old one is outside the 90 days


def test_summary_counts_the_period_and_stays_within_the_shop(no_redis, shop, other_shop, fan):
    now = datetime.now(UTC)
    record_all(
        [
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VISIT, at=now),
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.ORDER, at=now, value=100),
            ActivityInput(shop_id=shop.pk, user_id=fan.pk, kind=ActivityKind.VISIT, at=now - timedelta(days=120)),
            ActivityInput(shop_id=other_shop.pk, user_id=fan.pk, kind=ActivityKind.VIEW, at=now),
        ]
    )  # fmt: skip
    activity_flush()
    summary = activity.fan_activity_summary(shop_id=shop.pk, user_id=fan.pk)
    assert summary == {
        "visits": 1,
        "views": 0,
        "carts": 0,
        "orders": 1,
        "shares": 0,
        "opens": 0,
        "clicks": 0,
        "sales": 100,
    }
    assert activity.fan_activity_summary(shop_id=shop.pk, user_id=fan.pk, days=365)["visits"] == 2
    rival = activity.fan_activity_summary(shop_id=other_shop.pk, user_id=fan.pk)
    assert (rival["visits"], rival["views"]) == (0, 1)


# --- hooks -------------------------------------------------------------------------------------


def kinds_recorded(shop_id: int, user_id: int) -> list[int]:
    activity_flush()
    return sorted(e.kind for e in events(shop_id, user_id))


def test_a_logged_in_storefront_visit_and_listing_view_are_recorded(
    buffer, client, shop, listing, fan
):
    fan.time_zone = "America/New_York"
    fan.save(update_fields=["time_zone"])
    client.force_login(fan)
    with committed():
        assert client.get(f"/s/{shop.slug}/").status_code == 200
        assert client.get(f"/s/{shop.slug}/about/").status_code == 200
        assert client.get(f"/s/{shop.slug}/l/{listing.pk}/").status_code == 200
        # the next page of cards (htmx) is the same visit
        client.get(f"/s/{shop.slug}/?page=2", HTTP_HX_REQUEST="true")
    assert kinds_recorded(shop.pk, fan.pk) == [1, 1, 2]
    view = ActivityEvent.objects.get(user_id=fan.pk, kind=ActivityKind.VIEW)
    assert view.ref == listing.pk
    assert view.local_hour == activity.local_hour_of(view.at, "America/New_York")
    assert sum(c[0] for c in day_counts(shop.pk, fan.pk).values()) == 2


def test_anonymous_storefront_visits_are_not_recorded(buffer, client, shop, listing):
    with committed():
        client.get(f"/s/{shop.slug}/")
        client.get(f"/s/{shop.slug}/l/{listing.pk}/")
    activity_flush()
    assert ActivityEvent.objects.exclude(shop_id=activity.MARKER_SHOP).count() == 0
    assert ActivityDay.objects.count() == 0


def _listing_page_queries(client, url: str, monkeypatch, *, hooked: bool) -> list[str]:
    if not hooked:
        monkeypatch.setattr(activity, "_write", lambda rows: None)
    with CaptureQueriesContext(connection) as queries, committed():
        assert client.get(url).status_code == 200
    monkeypatch.undo()
    # The database cache's own housekeeping (culling, savepoints) varies from call to call.
    return [
        q["sql"]
        for q in queries.captured_queries
        if "vshop_cache" not in q["sql"] and "SAVEPOINT" not in q["sql"]
    ]


@pytest.mark.redis
def test_a_storefront_page_costs_no_extra_query_with_redis(
    with_redis, client, shop, listing, fan, monkeypatch
):
    client.force_login(fan)
    url = f"/s/{shop.slug}/l/{listing.pk}/"
    client.get(url)  # warm up: session, caches
    without = _listing_page_queries(client, url, monkeypatch, hooked=False)
    with_hook = _listing_page_queries(client, url, monkeypatch, hooked=True)
    assert len(with_hook) == len(without)
    assert activity._redis().llen(activity._key("buffer")) >= 1


def test_a_storefront_page_costs_one_insert_without_redis(
    no_redis, client, shop, listing, fan, monkeypatch
):
    client.force_login(fan)
    url = f"/s/{shop.slug}/l/{listing.pk}/"
    client.get(url)
    without = _listing_page_queries(client, url, monkeypatch, hooked=False)
    with_hook = _listing_page_queries(client, url, monkeypatch, hooked=True)
    assert len(with_hook) == len(without) + 1
    extra = [q for q in with_hook if "fans_activityevent" in q]
    assert len(extra) == 1 and extra[0].startswith("INSERT")


def test_add_to_cart_and_a_paid_order_are_recorded_with_its_total(buffer, shop, listing, fan):
    with committed():
        add_to_cart(fan, listing)
    checkout = place(fan)
    assert kinds_recorded(shop.pk, fan.pk) == [ActivityKind.CART]
    pay(checkout)
    order = checkout.orders.get()
    assert kinds_recorded(shop.pk, fan.pk) == [ActivityKind.CART, ActivityKind.ORDER]
    paid = ActivityEvent.objects.get(user_id=fan.pk, kind=ActivityKind.ORDER)
    assert (paid.ref, paid.value) == (order.pk, order.total)
    [day] = day_counts(shop.pk, fan.pk).values()
    assert (day[2], day[3], day[7]) == (1, 1, order.total)


def test_a_guest_cart_add_is_not_recorded_and_a_fans_is(no_redis, client, shop, listing, fan):
    from vshop.orders.models import CartLine

    sku = listing.product.skus.first()
    form = {"listing_id": listing.pk, "sku_id": sku.pk, "quantity": 1}
    with committed():
        client.post("/cart/add/", form)
    assert CartLine.objects.count() == 1  # the guest's cart
    assert ActivityEvent.objects.count() == 0
    client.force_login(fan)
    with committed():
        client.post("/cart/add/", form)
    assert kinds_recorded(shop.pk, fan.pk) == [ActivityKind.CART]


def test_making_share_links_is_a_share(no_redis, client, shop, listing, fan):
    client.force_login(fan)
    with committed():
        assert client.get(f"/share/{shop.slug}/").status_code == 200
    from tests.api.conftest import client_for

    api = client_for(fan)
    with committed():
        response = api.post(
            "/api/share-links", {"shop": shop.slug, "listing_id": listing.pk, "channel": "wechat"}
        )
    assert response.status_code == 201, response.content
    assert kinds_recorded(shop.pk, fan.pk) == [ActivityKind.SHARE, ActivityKind.SHARE]


def test_opening_and_clicking_an_inbox_message_of_a_shop(no_redis, client, shop, fan):
    from vshop.messaging.services import notify

    with committed():
        [message] = notify(
            recipients=[fan],
            kind="campaign",
            title="New arrivals",
            body="",
            link=f"/s/{shop.slug}/",
        )
        [elsewhere] = notify(
            recipients=[fan], kind="order.paid", title="Paid", body="", link="/me/orders/"
        )
    client.force_login(fan)
    with committed():
        assert client.post(f"/inbox/{message.pk}/open/")["Location"] == f"/s/{shop.slug}/"
        assert client.post(f"/inbox/{elsewhere.pk}/open/").status_code == 302
    assert kinds_recorded(shop.pk, fan.pk) == [ActivityKind.OPEN, ActivityKind.CLICK]
    assert ActivityEvent.objects.exclude(shop_id__in=[0, shop.pk]).count() == 0

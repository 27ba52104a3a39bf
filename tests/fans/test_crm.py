"""The shop owner's fan CRM through its API and services: filters and sorts (NULLs count as
oldest), keyset pages that never repeat or skip a fan, search, the CSV export, a fan's profile,
notes and manual tags; and another owner sees none of it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.utils import timezone

from tests.api.conftest import anon, client_for, owner_client, rival_client  # noqa: F401 (fixtures)
from tests.factories import make_shop, make_user
from vshop.fans import crm
from vshop.fans.models import (
    ActivityHour,
    FanNote,
    FanSource,
    FanTag,
    MemberLevel,
    RfmGroup,
    Segment,
    ShopFan,
    Tag,
)
from vshop.shops.models import Shop

pytestmark = pytest.mark.django_db

_n = count(1)
T0 = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def make_fan(shop: Shop, **fields: object) -> ShopFan:
    n = next(_n)
    data: dict[str, object] = {
        "name": f"Fan {n}",
        "mobile": f"+86139{n:08d}",
        "source": FanSource.FOLLOW,
    }
    data.update(fields)
    return ShopFan.objects.create(shop=shop, **data)


def ids(fans: list[ShopFan]) -> list[int]:
    return [f.pk for f in fans]


def all_pages(shop: Shop, sort: str, limit: int, filters: crm.FanFilters | None = None):
    """Walk every page forwards; return the ids in order and the cursors met."""
    filters = filters or crm.FanFilters()
    seen: list[int] = []
    cursors: list[str | None] = [None]
    cursor = None
    for _ in range(1000):
        page = crm.fan_list(shop=shop, filters=filters, sort=sort, cursor=cursor, limit=limit)
        seen += ids(page.fans)
        if page.next_cursor is None:
            return seen, cursors
        cursor = page.next_cursor
        cursors.append(cursor)
    raise AssertionError("no end")


# --- sorts and pages ---------------------------------------------------------------------------


@pytest.fixture
def mixed(shop):
    """Fans with ties and NULLs in every sort key."""
    fans = []
    for i in range(23):
        fans.append(
            make_fan(
                shop,
                followed_at=None if i % 4 == 0 else T0 + timedelta(days=i % 5),
                last_visit_at=None if i % 3 == 0 else T0 + timedelta(hours=i % 4),
                last_order_at=None if i % 2 == 0 else T0 - timedelta(days=i % 3),
                order_count=i % 3,
                total_spend=(i % 4) * 1000,
            )
        )
    return fans


def expected_order(fans: list[ShopFan], sort: str) -> list[int]:
    key = sort.lstrip("-")
    desc = sort.startswith("-")
    oldest = datetime.min.replace(tzinfo=UTC)

    def k(f: ShopFan):
        v = getattr(f, key)
        return (v is not None, v if v is not None else oldest, f.pk)

    return [f.pk for f in sorted(fans, key=k, reverse=desc)]


@pytest.mark.parametrize("sort", crm.SORTS)
@pytest.mark.parametrize("limit", [1, 4, 7, 50])
def test_every_sort_walks_every_fan_once_in_order_with_nulls_oldest(shop, mixed, sort, limit):
    seen, _cursors = all_pages(shop, sort, limit)

    assert seen == expected_order(mixed, sort)
    assert len(set(seen)) == len(mixed)


@pytest.mark.parametrize("sort", ["-followed_at", "last_visit_at", "-order_count", "total_spend"])
def test_previous_pages_give_back_exactly_the_pages_before(shop, mixed, sort):
    pages = []
    page = crm.fan_list(shop=shop, filters=crm.FanFilters(), sort=sort, limit=5)
    pages.append(ids(page.fans))
    assert page.prev_cursor is None
    while page.next_cursor:
        page = crm.fan_list(
            shop=shop, filters=crm.FanFilters(), sort=sort, cursor=page.next_cursor, limit=5
        )
        pages.append(ids(page.fans))
    # And back again from the last page to the first.
    back = [ids(page.fans)]
    while page.prev_cursor:
        page = crm.fan_list(
            shop=shop, filters=crm.FanFilters(), sort=sort, cursor=page.prev_cursor, limit=5
        )
        back.append(ids(page.fans))
    assert back[::-1] == pages
    assert page.next_cursor is not None


def test_nulls_come_last_when_sorting_down_and_first_when_sorting_up(shop):
    never = make_fan(shop, followed_at=None)
    old = make_fan(shop, followed_at=T0)
    new = make_fan(shop, followed_at=T0 + timedelta(days=1))

    down = crm.fan_list(shop=shop, filters=crm.FanFilters(), sort="-followed_at").fans
    up = crm.fan_list(shop=shop, filters=crm.FanFilters(), sort="followed_at").fans

    assert ids(down) == [new.pk, old.pk, never.pk]
    assert ids(up) == [never.pk, old.pk, new.pk]


def test_a_page_does_not_repeat_a_fan_when_one_is_added_while_paging(shop, mixed):
    first = crm.fan_list(shop=shop, filters=crm.FanFilters(), sort="-followed_at", limit=10)
    make_fan(shop, followed_at=T0 + timedelta(days=30))  # lands on page one, already read
    second = crm.fan_list(
        shop=shop,
        filters=crm.FanFilters(),
        sort="-followed_at",
        cursor=first.next_cursor,
        limit=10,
    )
    assert not set(ids(first.fans)) & set(ids(second.fans))


def test_a_bad_cursor_or_sort_or_limit_is_a_400(shop, mixed, owner_client):
    url = f"/api/shops/{shop.slug}/fans"
    assert owner_client.get(url, {"cursor": "garbage!"}).status_code == 400
    page = crm.fan_list(shop=shop, filters=crm.FanFilters(), sort="-followed_at", limit=2)
    # A cursor of another sort order is refused, not misread.
    r = owner_client.get(url, {"cursor": page.next_cursor, "sort": "order_count"})
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_cursor"
    assert owner_client.get(url, {"sort": "password"}).status_code == 400
    assert owner_client.get(url, {"limit": 0}).status_code == 422
    assert owner_client.get(url, {"limit": 201}).status_code == 422


# --- filters and search ------------------------------------------------------------------------


def listed(shop: Shop, **filters: object) -> set[int]:
    f = crm.FanFilters(**filters)  # type: ignore[arg-type]
    seen = set(all_pages(shop, "-followed_at", 50, f)[0])
    assert crm.fan_count(shop=shop, filters=f) == len(seen)
    return seen


def test_search_by_name_by_mobile_prefix_and_by_email(shop):
    mei = make_fan(shop, name="Xiao Mei", mobile="+8613800138000")
    hua = make_fan(shop, name="Li Hua", mobile="+8613912345678", email="hua@example.com")
    make_fan(shop, name="Other", mobile="+8615000000000")

    assert listed(shop, q="mei") == {mei.pk}
    assert listed(shop, q="  MEI ") == {mei.pk}
    assert listed(shop, q="138001") == {mei.pk}
    assert listed(shop, q="13912345678") == {hua.pk}
    assert listed(shop, q="+86139") == {hua.pk}
    assert listed(shop, q="8613800138000") == {mei.pk}
    assert listed(shop, q="hua@ex") == {hua.pk}
    assert listed(shop, q="nobody") == set()


def test_a_search_longer_than_60_characters_is_a_400(shop, owner_client):
    r = owner_client.get(f"/api/shops/{shop.slug}/fans", {"q": "x" * 61})
    assert r.status_code == 422


def test_filters_each_narrow_the_list(shop):
    gold = MemberLevel.objects.create(shop=shop, name="Gold", threshold=100_000)
    vip = Tag.objects.create(shop=shop, name="VIP")
    mum = Tag.objects.create(shop=shop, name="Mum")
    a = make_fan(
        shop,
        level=gold,
        rfm_group=RfmGroup.CHAMPIONS,
        city="Hangzhou",
        source_channel="wechat",
        source=FanSource.ORDER,
        is_follower=True,
        followed_at=T0,
        last_visit_at=T0 + timedelta(days=2),
        last_order_at=T0 + timedelta(days=1),
        order_count=5,
        total_spend=50_000,
    )
    b = make_fan(
        shop,
        rfm_group=RfmGroup.LOST,
        city="Shanghai",
        source=FanSource.IMPORT,
        source_channel="import",
        order_count=1,
        total_spend=1_000,
    )
    c = make_fan(shop, followed_at=T0 - timedelta(days=10), is_follower=True)
    FanTag.objects.create(fan=a, tag=vip)
    FanTag.objects.create(fan=a, tag=mum)
    FanTag.objects.create(fan=b, tag=vip)

    assert listed(shop) == {a.pk, b.pk, c.pk}
    assert listed(shop, level_id=gold.pk) == {a.pk}
    assert listed(shop, tag_ids=[vip.pk]) == {a.pk, b.pk}
    assert listed(shop, tag_ids=[vip.pk, mum.pk]) == {a.pk}
    assert listed(shop, rfm_group="lost") == {b.pk}
    assert listed(shop, city="Hangzhou") == {a.pk}
    assert listed(shop, source_channel="import") == {b.pk}
    assert listed(shop, source="order") == {a.pk}
    assert listed(shop, is_follower=True) == {a.pk, c.pk}
    assert listed(shop, is_follower=False) == {b.pk}
    day = timezone.localtime(T0).date()
    assert listed(shop, followed_from=day, followed_to=day) == {a.pk}
    assert listed(shop, followed_to=day - timedelta(days=1)) == {c.pk}
    assert listed(shop, last_visit_from=day + timedelta(days=2)) == {a.pk}
    assert listed(shop, last_order_from=day, last_order_to=day + timedelta(days=1)) == {a.pk}
    assert listed(shop, order_count_min=1, order_count_max=1) == {b.pk}
    assert listed(shop, order_count_min=2) == {a.pk}
    assert listed(shop, spend_min=1_000, spend_max=1_000) == {b.pk}
    assert listed(shop, spend_max=999) == {c.pk}


def test_the_segment_filter_applies_the_saved_rule(shop, other_shop):
    buyer = make_fan(shop, order_count=3)
    make_fan(shop, order_count=0)
    segment = Segment.objects.create(
        shop=shop,
        name="Buyers",
        rule={"op": "and", "conditions": [{"field": "order_count", "op": "gte", "value": 1}]},
    )
    foreign = Segment.objects.create(shop=other_shop, name="Theirs", rule=segment.rule)

    assert listed(shop, segment_id=segment.pk) == {buyer.pk}
    with pytest.raises(crm.NotFound):
        crm.fan_count(shop=shop, filters=crm.FanFilters(segment_id=foreign.pk))


def test_the_api_lists_filters_counts_and_pages(shop, owner_client):
    vip = Tag.objects.create(shop=shop, name="VIP")
    fans = [make_fan(shop, followed_at=T0 + timedelta(days=i), order_count=i) for i in range(5)]
    FanTag.objects.create(fan=fans[4], tag=vip)
    url = f"/api/shops/{shop.slug}/fans"

    r = owner_client.get(url, {"limit": 2})
    body = r.json()
    assert r.status_code == 200
    assert [f["id"] for f in body["items"]] == [fans[4].pk, fans[3].pk]
    assert body["items"][0]["tags"] == [{"id": vip.pk, "name": "VIP", "is_automatic": False}]
    r2 = owner_client.get(url, {"limit": 2, "cursor": body["next_cursor"]}).json()
    assert [f["id"] for f in r2["items"]] == [fans[2].pk, fans[1].pk]

    r = owner_client.get(url, {"tag": [vip.pk], "order_count_min": 1})
    assert [f["id"] for f in r.json()["items"]] == [fans[4].pk]
    assert owner_client.get(f"{url}/count", {"order_count_min": 2}).json() == {"count": 3}


# --- export ------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def test_the_export_has_the_lists_fans_with_the_same_filters_and_order(shop, owner_client):
    gold = MemberLevel.objects.create(shop=shop, name="Gold", threshold=1)
    vip = Tag.objects.create(shop=shop, name="VIP")
    a = make_fan(shop, name="=cmd()", order_count=2, total_spend=12345, level=gold, followed_at=T0)
    b = make_fan(shop, name="Li Hua", order_count=3, total_spend=5, city="杭州")
    make_fan(shop, name="No orders", order_count=0)
    FanTag.objects.create(fan=a, tag=vip)

    r = owner_client.get(
        f"/api/shops/{shop.slug}/fans.csv", {"order_count_min": 1, "sort": "order_count"}
    )

    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    rows = read_csv(r)
    assert rows[0][:3] == ["Name", "Mobile", "Email"]
    assert [row[0] for row in rows[1:]] == ["'=cmd()", "Li Hua"]  # formulas are defused
    assert rows[1][10:14] == ["2", "123.45", "0", "Gold"]
    assert rows[1][15] == "VIP"
    assert rows[2][3] == "杭州"
    assert rows[1][1] == f"'{a.mobile}"
    assert b.pk


def test_the_export_of_many_fans_reads_them_all_in_chunks(shop, owner_client, monkeypatch):
    monkeypatch.setattr(crm, "MAX_LIMIT", 3)
    for i in range(8):
        make_fan(shop, order_count=i)
    rows = read_csv(owner_client.get(f"/api/shops/{shop.slug}/fans.csv", {"sort": "order_count"}))
    assert [r[10] for r in rows[1:]] == [str(i) for i in range(8)]


def test_the_export_refuses_bad_filters_before_sending_anything(shop, owner_client):
    r = owner_client.get(f"/api/shops/{shop.slug}/fans.csv", {"rfm_group": "nonsense"})
    assert r.status_code == 400


# --- profile -----------------------------------------------------------------------------------


def test_the_profile_shows_orders_spend_tags_notes_points_and_active_hours(shop, owner_client, fan):
    record = make_fan(
        shop,
        user=fan,
        name="Xiao Mei",
        order_count=2,
        total_spend=5000,
        visit_count=7,
        share_count=3,
        share_sales=1200,
        points=40,
    )
    vip = Tag.objects.create(shop=shop, name="VIP")
    FanTag.objects.create(fan=record, tag=vip)
    FanNote.objects.create(fan=record, author=shop.owner, text="Likes red")
    # Monday 09:00 and Wednesday 21:00 her time; hour of the week = day * 24 + hour.
    for local_hour, visits in ((9, 4), (2 * 24 + 21, 1)):
        ActivityHour.objects.create(
            shop_id=shop.pk,
            user_id=fan.pk,
            hour=timezone.now() - timedelta(days=1, hours=local_hour % 24),
            local_hour=local_hour,
            visits=visits,
        )

    r = owner_client.get(f"/api/shops/{shop.slug}/fans/{record.pk}")

    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "Xiao Mei"
    assert body["order_count"] == 2
    assert body["total_spend"] == 5000
    assert body["visit_count"] == 7
    assert body["share_count"] == 3
    assert body["referred_sales"] == 1200
    assert body["points"] == 40
    assert body["tags"] == [{"id": vip.pk, "name": "VIP", "is_automatic": False}]
    assert [n["text"] for n in body["notes"]] == ["Likes red"]
    hours = body["hours_of_week"]
    assert len(hours) == 7 and all(len(d) == 24 for d in hours)
    assert hours[0][9] >= 4
    assert hours[2][21] >= 1
    assert hours[6][0] == 0


def test_the_profile_lists_her_orders_in_this_shop_and_the_sales_her_shares_brought(
    shop, listing, owner_client, fan
):
    from tests.buying import pay, place
    from vshop.distribution.models import OrderAttribution

    record = make_fan(shop, user=fan)
    friend = make_user("friend@example.com")
    mine = pay(place(fan, listing)).orders.get()
    brought = pay(place(friend, listing)).orders.get()
    OrderAttribution.objects.update_or_create(
        order=brought, defaults={"shop": shop, "sharer": fan, "channel": "wechat"}
    )

    body = owner_client.get(f"/api/shops/{shop.slug}/fans/{record.pk}").json()

    assert [o["number"] for o in body["orders"]] == [mine.number]
    assert body["referred_orders"] == 1
    assert body["referred_sales"] == brought.total


def test_an_imported_contact_without_an_account_has_an_empty_chart(shop, owner_client):
    record = make_fan(shop, source=FanSource.IMPORT)
    body = owner_client.get(f"/api/shops/{shop.slug}/fans/{record.pk}").json()
    assert body["orders"] == []
    assert sum(map(sum, body["hours_of_week"])) == 0


# --- notes and tags ----------------------------------------------------------------------------


def test_notes_are_added_and_deleted(shop, owner_client):
    record = make_fan(shop)
    url = f"/api/shops/{shop.slug}/fans/{record.pk}/notes"

    r = owner_client.post(url, {"text": "  Prefers SF Express  "})
    assert r.status_code == 201
    note = r.json()
    assert note["text"] == "Prefers SF Express"
    assert owner_client.post(url, {"text": "   "}).status_code == 400
    assert owner_client.post(url, {"text": "x" * 1001}).status_code == 422
    assert FanNote.objects.count() == 1

    assert owner_client.delete(f"{url}/{note['id']}").status_code == 204
    assert owner_client.delete(f"{url}/{note['id']}").status_code == 404
    assert FanNote.objects.count() == 0


def test_manual_tags_go_on_and_come_off_one_fan_and_many(shop, owner_client):
    vip = Tag.objects.create(shop=shop, name="VIP")
    fans = [make_fan(shop) for _ in range(3)]
    base = f"/api/shops/{shop.slug}/fans"

    assert owner_client.put(f"{base}/{fans[0].pk}/tags/{vip.pk}").json() == {"changed": 1}
    assert owner_client.put(f"{base}/{fans[0].pk}/tags/{vip.pk}").json() == {"changed": 0}
    r = owner_client.post(f"{base}/bulk-tag", {"fan_ids": [f.pk for f in fans], "tag_id": vip.pk})
    assert r.json() == {"changed": 2}
    assert FanTag.objects.filter(tag=vip).count() == 3

    assert owner_client.delete(f"{base}/{fans[0].pk}/tags/{vip.pk}").json() == {"changed": 1}
    r = owner_client.post(
        f"{base}/bulk-tag",
        {"fan_ids": [f.pk for f in fans], "tag_id": vip.pk, "action": "remove"},
    )
    assert r.json() == {"changed": 2}
    assert FanTag.objects.count() == 0


def test_an_automatic_tag_cannot_be_put_on_or_taken_off_by_hand(shop, owner_client):
    auto = Tag.objects.create(shop=shop, name="Big spenders", rule={"op": "and", "conditions": []})
    record = make_fan(shop)
    FanTag.objects.create(fan=make_fan(shop), tag=auto, by_rule=True)
    base = f"/api/shops/{shop.slug}/fans"

    r = owner_client.put(f"{base}/{record.pk}/tags/{auto.pk}")
    assert r.status_code == 400
    assert r.json()["code"] == "automatic_tag"
    tagged = FanTag.objects.get().fan_id
    assert owner_client.delete(f"{base}/{tagged}/tags/{auto.pk}").status_code == 400
    r = owner_client.post(f"{base}/bulk-tag", {"fan_ids": [record.pk], "tag_id": auto.pk})
    assert r.status_code == 400
    assert FanTag.objects.count() == 1


def test_bulk_tagging_with_one_foreign_fan_changes_nothing(shop, other_shop, owner_client):
    vip = Tag.objects.create(shop=shop, name="VIP")
    mine = make_fan(shop)
    theirs = make_fan(other_shop)
    r = owner_client.post(
        f"/api/shops/{shop.slug}/fans/bulk-tag", {"fan_ids": [mine.pk, theirs.pk], "tag_id": vip.pk}
    )
    assert r.status_code == 404
    assert FanTag.objects.count() == 0


# --- isolation ---------------------------------------------------------------------------------


@pytest.fixture
def foreign(shop, other_shop):
    """Lily's fan with a note and a tag, and the rival's own fan and tag."""
    record = make_fan(shop, name="Lily's fan")
    note = FanNote.objects.create(fan=record, author=shop.owner, text="secret")
    tag = Tag.objects.create(shop=shop, name="VIP")
    FanTag.objects.create(fan=record, tag=tag)
    rival_fan = make_fan(other_shop, name="Rival's fan")
    rival_tag = Tag.objects.create(shop=other_shop, name="Theirs")
    return {"fan": record, "note": note, "tag": tag, "rival_fan": rival_fan, "rival_tag": rival_tag}


def test_another_owner_gets_404_from_every_endpoint_of_this_shop(shop, foreign, rival_client):
    base = f"/api/shops/{shop.slug}/fans"
    f, note, tag = foreign["fan"], foreign["note"], foreign["tag"]
    before = (ShopFan.objects.count(), FanNote.objects.count(), FanTag.objects.count())

    calls = [
        rival_client.get(base),
        rival_client.get(f"{base}/count"),
        rival_client.get(f"{shop.slug}/fans.csv".join(["/api/shops/", ""])),
        rival_client.get(f"{base}/import-template.csv"),
        rival_client.post(
            f"{base}/import",
            {"file": io.BytesIO(b"name,mobile\nA,13800138000\n")},
        ),
        rival_client.post(f"{base}/bulk-tag", {"fan_ids": [f.pk], "tag_id": tag.pk}),
        rival_client.get(f"{base}/{f.pk}"),
        rival_client.post(f"{base}/{f.pk}/notes", {"text": "mine now"}),
        rival_client.delete(f"{base}/{f.pk}/notes/{note.pk}"),
        rival_client.put(f"{base}/{f.pk}/tags/{tag.pk}"),
        rival_client.delete(f"{base}/{f.pk}/tags/{tag.pk}"),
    ]

    assert [c.status_code for c in calls] == [404] * len(calls)
    assert (ShopFan.objects.count(), FanNote.objects.count(), FanTag.objects.count()) == before


def test_a_fan_note_or_tag_of_another_shop_is_not_found_in_her_own_shop(
    other_shop, foreign, rival_client
):
    base = f"/api/shops/{other_shop.slug}/fans"
    f, note, tag = foreign["fan"], foreign["note"], foreign["tag"]
    mine, my_tag = foreign["rival_fan"], foreign["rival_tag"]
    before = (FanNote.objects.count(), FanTag.objects.count())

    calls = [
        rival_client.get(f"{base}/{f.pk}"),
        rival_client.post(f"{base}/{f.pk}/notes", {"text": "x"}),
        rival_client.delete(f"{base}/{f.pk}/notes/{note.pk}"),
        rival_client.delete(f"{base}/{mine.pk}/notes/{note.pk}"),
        rival_client.put(f"{base}/{f.pk}/tags/{my_tag.pk}"),
        rival_client.put(f"{base}/{mine.pk}/tags/{tag.pk}"),
        rival_client.delete(f"{base}/{f.pk}/tags/{tag.pk}"),
        rival_client.post(f"{base}/bulk-tag", {"fan_ids": [mine.pk], "tag_id": tag.pk}),
        rival_client.post(f"{base}/bulk-tag", {"fan_ids": [f.pk], "tag_id": my_tag.pk}),
    ]

    assert [c.status_code for c in calls] == [404] * len(calls)
    assert (FanNote.objects.count(), FanTag.objects.count()) == before
    listed_ids = [x["id"] for x in rival_client.get(base).json()["items"]]
    assert listed_ids == [mine.pk]
    rows = read_csv(rival_client.get(f"/api/shops/{other_shop.slug}/fans.csv"))
    assert [r[0] for r in rows[1:]] == ["Rival's fan"]


def test_a_fan_cannot_read_the_shops_crm_and_a_visitor_must_log_in(shop, fan, anon):
    base = f"/api/shops/{shop.slug}/fans"
    assert client_for(fan).get(base).status_code == 404
    assert anon.get(base).status_code == 401


def test_two_shops_of_one_owner_keep_their_fans_apart(shop):
    second = make_shop(shop.owner)
    make_fan(shop)
    theirs = make_fan(second)
    client = client_for(shop.owner)
    items = client.get(f"/api/shops/{second.slug}/fans").json()["items"]
    assert [i["id"] for i in items] == [theirs.pk]


def test_a_page_costs_the_same_few_queries_however_many_fans_and_tags(
    shop, owner_client, django_assert_max_num_queries
):
    gold = MemberLevel.objects.create(shop=shop, name="Gold", threshold=1)
    tags = [Tag.objects.create(shop=shop, name=f"T{i}") for i in range(3)]
    for i in range(60):
        f = make_fan(shop, level=gold, followed_at=None if i % 2 else T0)
        for t in tags[: i % 4]:
            FanTag.objects.create(fan=f, tag=t)
    page = crm.fan_list(shop=shop, filters=crm.FanFilters(), sort="-followed_at", limit=20)

    # Session, user, shop, the tie, the keys beyond, the NULL rows, the tags.
    with django_assert_max_num_queries(8):
        r = owner_client.get(
            f"/api/shops/{shop.slug}/fans", {"limit": 50, "cursor": page.next_cursor}
        )
    assert len(r.json()["items"]) == 40

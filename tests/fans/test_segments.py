"""Segments: the live count of an unsaved rule, saving with a unique name, changing, counting
again and deleting; malformed rules are 400 with nothing written; another owner gets 404 and a
count never includes another shop's fans."""

from __future__ import annotations

import pytest

from tests.api.conftest import client_for
from tests.factories import make_user
from vshop.errors import NotFound, ValidationFailed
from vshop.fans import segments
from vshop.fans.models import Segment, ShopFan, Tag

pytestmark = pytest.mark.django_db

BIG_SPENDERS = {
    "op": "and",
    "conditions": [{"field": "total_spend", "op": "gte", "value": 10000}],
}


def fan(shop, name: str, spend: int = 0) -> ShopFan:
    return ShopFan.objects.create(
        shop=shop, user=make_user(name=name), name=name, total_spend=spend, source="follow"
    )


@pytest.fixture
def spenders(shop, other_shop):
    fan(shop, "Ann", 20000)
    fan(shop, "Bea", 10000)
    fan(shop, "Cat", 500)
    fan(other_shop, "Rival", 99999)


def test_count_counts_only_this_shops_fans(spenders, shop, other_shop):
    assert segments.segment_count(shop=shop, rule=BIG_SPENDERS) == 2
    assert segments.segment_count(shop=other_shop, rule=BIG_SPENDERS) == 1
    assert segments.segment_count(shop=shop, rule={"op": "and", "conditions": []}) == 3


def test_save_update_recount_and_delete(spenders, shop):
    segment = segments.segment_create(
        shop=shop, actor=shop.owner, name="  Big   spenders ", rule=BIG_SPENDERS
    )
    assert (segment.name, segment.fan_count) == ("Big spenders", 2)
    assert [f.name for f in segments.segment_fans(shop=shop, segment=segment)] == ["Ann", "Bea"]

    fan(shop, "Dee", 50000)
    assert segments.segment_recount(shop=shop, segment_id=segment.pk).fan_count == 3

    rule = {"op": "and", "conditions": [{"field": "total_spend", "op": "gte", "value": 30000}]}
    changed = segments.segment_update(shop=shop, segment_id=segment.pk, name="Top", rule=rule)
    assert (changed.name, changed.fan_count) == ("Top", 1)

    segments.segment_delete(shop=shop, segment_id=segment.pk)
    assert not Segment.objects.filter(pk=segment.pk).exists()


def test_names_are_unique_per_shop(shop, other_shop):
    segments.segment_create(shop=shop, actor=shop.owner, name="VIP", rule=BIG_SPENDERS)
    segments.segment_create(shop=other_shop, actor=other_shop.owner, name="VIP", rule=BIG_SPENDERS)
    with pytest.raises(ValidationFailed, match="already have a segment"):
        segments.segment_create(shop=shop, actor=shop.owner, name="VIP", rule=BIG_SPENDERS)
    other = segments.segment_create(shop=shop, actor=shop.owner, name="B", rule=BIG_SPENDERS)
    with pytest.raises(ValidationFailed, match="already have a segment"):
        segments.segment_update(shop=shop, segment_id=other.pk, name="VIP")
    assert Segment.objects.filter(shop=shop).count() == 2


def test_another_shops_segment_is_not_found(shop, other_shop):
    theirs = segments.segment_create(
        shop=other_shop, actor=other_shop.owner, name="Theirs", rule=BIG_SPENDERS
    )
    for call in (
        lambda: segments.segment_of_shop(shop=shop, segment_id=theirs.pk),
        lambda: segments.segment_update(shop=shop, segment_id=theirs.pk, name="x"),
        lambda: segments.segment_recount(shop=shop, segment_id=theirs.pk),
        lambda: segments.segment_delete(shop=shop, segment_id=theirs.pk),
        lambda: segments.segment_fans(shop=shop, segment=theirs),
    ):
        with pytest.raises(NotFound):
            call()
    assert Segment.objects.get(pk=theirs.pk).name == "Theirs"


# --- API -------------------------------------------------------------------------------------


def test_api_live_count_and_description(spenders, shop):
    answer = client_for(shop.owner).post(
        f"/api/shops/{shop.slug}/segments/count", {"rule": BIG_SPENDERS}
    )
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"count": 2, "description": "Spent at least ¥100 in all"}


def test_api_save_get_update_recount_delete(spenders, shop):
    client = client_for(shop.owner)
    base = f"/api/shops/{shop.slug}/segments"
    made = client.post(base, {"name": "Big spenders", "rule": BIG_SPENDERS})
    assert made.status_code == 201, made.content
    seg = made.json()
    assert seg["fan_count"] == 2 and seg["rule"] == BIG_SPENDERS

    assert client.get(base).json()["items"][0]["id"] == seg["id"]
    assert client.get(f"{base}/{seg['id']}").json()["name"] == "Big spenders"

    changed = client.put(
        f"{base}/{seg['id']}",
        {"rule": {"op": "or", "conditions": [{"field": "city", "op": "in", "value": ["X"]}]}},
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["fan_count"] == 0

    ShopFan.objects.filter(pk=fan(shop, "Dee").pk).update(city="X")
    assert client.post(f"{base}/{seg['id']}/count").json()["fan_count"] == 1

    assert client.delete(f"{base}/{seg['id']}").status_code == 204
    assert client.get(f"{base}/{seg['id']}").status_code == 404


@pytest.mark.parametrize(
    "rule",
    [
        {"op": "and", "conditions": [{"field": "foo", "op": "in", "value": [1]}]},
        {"op": "and", "conditions": [{"field": "city", "op": "gte", "value": 1}]},
        {"op": "and", "conditions": [{"field": "points", "op": "gte", "value": "many"}]},
        "everybody",
        [1, 2],
        None,
        {
            "op": "and",
            "conditions": [
                {
                    "op": "or",
                    "conditions": [
                        {
                            "op": "and",
                            "conditions": [
                                {
                                    "op": "or",
                                    "conditions": [{"field": "points", "op": "gte", "value": 1}],
                                }
                            ],
                        }
                    ],
                }
            ],
        },
    ],
)
def test_api_malformed_rules_are_400_and_nothing_is_written(shop, rule):
    client = client_for(shop.owner)
    base = f"/api/shops/{shop.slug}/segments"
    before = Segment.objects.count()
    saved = client.post(base, {"name": "Broken", "rule": rule})
    assert saved.status_code == 400, saved.content
    assert saved.json()["code"] == "invalid" and saved.json()["message"]
    assert client.post(f"{base}/count", {"rule": rule}).status_code == 400
    assert Segment.objects.count() == before


def test_api_a_tag_of_another_shop_is_400(shop, other_shop):
    theirs = Tag.objects.create(shop=other_shop, name="Theirs")
    rule = {"op": "and", "conditions": [{"field": "tag", "op": "any", "value": [theirs.pk]}]}
    answer = client_for(shop.owner).post(f"/api/shops/{shop.slug}/segments/count", {"rule": rule})
    assert answer.status_code == 400
    assert "not one of your tags" in answer.json()["message"]


def test_api_update_with_a_bad_rule_changes_nothing(shop):
    seg = segments.segment_create(shop=shop, actor=shop.owner, name="A", rule=BIG_SPENDERS)
    answer = client_for(shop.owner).put(
        f"/api/shops/{shop.slug}/segments/{seg.pk}",
        {"name": "B", "rule": {"op": "nand", "conditions": []}},
        content_type="application/json",
    )
    assert answer.status_code == 400
    seg.refresh_from_db()
    assert (seg.name, seg.rule) == ("A", BIG_SPENDERS)


def test_api_duplicate_name_is_400(shop):
    client = client_for(shop.owner)
    base = f"/api/shops/{shop.slug}/segments"
    client.post(base, {"name": "VIP", "rule": BIG_SPENDERS})
    answer = client.post(base, {"name": "VIP", "rule": BIG_SPENDERS})
    assert answer.status_code == 400
    assert Segment.objects.filter(shop=shop).count() == 1


def test_api_another_owner_gets_404_everywhere(spenders, shop, other_shop):
    seg = segments.segment_create(shop=shop, actor=shop.owner, name="Mine", rule=BIG_SPENDERS)
    rival = client_for(other_shop.owner)
    mine = f"/api/shops/{shop.slug}/segments"
    json = {"content_type": "application/json"}
    assert rival.post(f"{mine}/count", {"rule": BIG_SPENDERS}).status_code == 404
    assert rival.get(mine).status_code == 404
    assert rival.post(mine, {"name": "Planted", "rule": BIG_SPENDERS}).status_code == 404
    assert rival.get(f"{mine}/{seg.pk}").status_code == 404
    assert rival.put(f"{mine}/{seg.pk}", {"name": "x"}, **json).status_code == 404
    assert rival.post(f"{mine}/{seg.pk}/count").status_code == 404
    assert rival.delete(f"{mine}/{seg.pk}").status_code == 404
    theirs = f"/api/shops/{other_shop.slug}/segments"
    assert rival.get(f"{theirs}/{seg.pk}").status_code == 404
    assert rival.put(f"{theirs}/{seg.pk}", {"name": "x"}, **json).status_code == 404
    assert rival.post(f"{theirs}/{seg.pk}/count").status_code == 404
    assert rival.delete(f"{theirs}/{seg.pk}").status_code == 404
    # Her own count never sees my fans.
    assert rival.post(f"{theirs}/count", {"rule": BIG_SPENDERS}).json()["count"] == 1
    seg.refresh_from_db()
    assert seg.name == "Mine"
    assert not Segment.objects.filter(name="Planted").exists()


def test_api_needs_a_login(shop):
    assert client_for(None).get(f"/api/shops/{shop.slug}/segments").status_code == 401

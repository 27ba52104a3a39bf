"""Tags: manual and automatic ones, names unique per shop, rules checked; the automatic ones
put on exactly the fans their rule matches and taken off those it no longer matches, never
touching links set by hand; the API, with another owner getting 404."""

from __future__ import annotations

import pytest

from tests.api.conftest import client_for
from tests.factories import make_user
from vshop.errors import NotFound, ValidationFailed
from vshop.fans import scoring, tags
from vshop.fans.models import FanTag, ShopFan, Tag

pytestmark = pytest.mark.django_db

HANGZHOU = {"op": "and", "conditions": [{"field": "city", "op": "in", "value": ["Hangzhou"]}]}


def fan(shop, name: str, city: str = "") -> ShopFan:
    return ShopFan.objects.create(
        shop=shop, user=make_user(name=name), name=name, city=city, source="follow"
    )


def tagged(tag: Tag) -> dict[str, bool]:
    return {link.fan.name: link.by_rule for link in tag.fan_links.select_related("fan")}


@pytest.fixture
def people(shop, other_shop):
    return {
        "ann": fan(shop, "Ann", "Hangzhou"),
        "bea": fan(shop, "Bea", "Hangzhou"),
        "cat": fan(shop, "Cat", "Beijing"),
        "rival": fan(other_shop, "Rival", "Hangzhou"),
    }


def test_an_automatic_tag_is_put_on_matching_fans_once_saved(
    people, shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tag = tags.tag_create(shop=shop, name="Hangzhou fans", rule=HANGZHOU)
    assert tagged(tag) == {"Ann": True, "Bea": True}
    assert Tag.objects.get(pk=tag.pk).evaluated_at is not None


def test_rule_links_follow_the_rule_and_manual_links_stay(people, shop):
    tag = Tag.objects.create(shop=shop, name="Hangzhou", rule=HANGZHOU)
    # By hand: Bea (who matches) and Cat (who does not).
    FanTag.objects.create(fan=people["bea"], tag=tag)
    FanTag.objects.create(fan=people["cat"], tag=tag)

    assert scoring.auto_tags_evaluate(shop_id=shop.pk) == 1
    assert tagged(tag) == {"Ann": True, "Bea": False, "Cat": False}

    ShopFan.objects.filter(pk=people["ann"].pk).update(city="Shanghai")
    ShopFan.objects.filter(pk=people["bea"].pk).update(city="Shanghai")
    assert scoring.auto_tags_evaluate(shop_id=shop.pk, tag_id=tag.pk) == 1
    assert tagged(tag) == {"Bea": False, "Cat": False}
    # Nothing to do the second time.
    assert scoring.auto_tags_evaluate(shop_id=shop.pk) == 0


def test_another_shops_fans_are_never_tagged(people, shop, other_shop):
    tag = Tag.objects.create(shop=shop, name="Hangzhou", rule=HANGZHOU)
    scoring.auto_tags_evaluate_all()
    assert not FanTag.objects.filter(fan=people["rival"]).exists()
    assert set(tagged(tag)) == {"Ann", "Bea"}


def test_evaluate_all_skips_a_stale_rule_and_does_the_rest(people, shop):
    gone = Tag.objects.create(shop=shop, name="Gone")
    Tag.objects.create(
        shop=shop,
        name="Stale",
        rule={"op": "and", "conditions": [{"field": "tag", "op": "any", "value": [gone.pk]}]},
    )
    good = Tag.objects.create(shop=shop, name="Hangzhou", rule=HANGZHOU)
    gone.delete()
    assert scoring.auto_tags_evaluate_all() == 2
    assert set(tagged(good)) == {"Ann", "Bea"}


def test_a_manual_tag_is_left_alone_by_the_job(people, shop):
    tag = tags.tag_create(shop=shop, name="Friends")
    FanTag.objects.create(fan=people["cat"], tag=tag)
    scoring.auto_tags_evaluate_all()
    assert tagged(tag) == {"Cat": False}


def test_names_are_unique_per_shop_and_short(shop, other_shop):
    tags.tag_create(shop=shop, name="VIP")
    tags.tag_create(shop=other_shop, name="VIP")
    with pytest.raises(ValidationFailed, match="already have a tag"):
        tags.tag_create(shop=shop, name=" VIP ")
    with pytest.raises(ValidationFailed, match="30 characters"):
        tags.tag_create(shop=shop, name="x" * 31)
    with pytest.raises(ValidationFailed, match="name"):
        tags.tag_create(shop=shop, name="  ")
    assert Tag.objects.filter(shop=shop).count() == 1


def test_a_rule_naming_another_shops_tag_or_itself_is_refused(shop, other_shop):
    theirs = Tag.objects.create(shop=other_shop, name="Theirs")
    rule = {"op": "and", "conditions": [{"field": "tag", "op": "any", "value": [theirs.pk]}]}
    with pytest.raises(ValidationFailed, match="not one of your tags"):
        tags.tag_create(shop=shop, name="Copy", rule=rule)
    assert not Tag.objects.filter(shop=shop).exists()

    mine = tags.tag_create(shop=shop, name="Mine", rule=HANGZHOU)
    rule["conditions"][0]["value"] = [mine.pk]
    with pytest.raises(ValidationFailed, match="depend on the tag itself"):
        tags.tag_update(shop=shop, tag_id=mine.pk, rule=rule)
    assert Tag.objects.get(pk=mine.pk).rule == HANGZHOU


def test_making_a_tag_manual_keeps_it_on_its_fans(people, shop):
    tag = Tag.objects.create(shop=shop, name="Hangzhou", rule=HANGZHOU)
    scoring.auto_tags_evaluate(shop_id=shop.pk)
    tags.tag_update(shop=shop, tag_id=tag.pk, rule=tags.MANUAL, name="Was Hangzhou")
    tag.refresh_from_db()
    assert tag.rule is None and tag.name == "Was Hangzhou"
    assert tagged(tag) == {"Ann": False, "Bea": False}


def test_another_shops_tag_cannot_be_changed_or_deleted(shop, other_shop):
    theirs = tags.tag_create(shop=other_shop, name="Theirs")
    with pytest.raises(NotFound):
        tags.tag_update(shop=shop, tag_id=theirs.pk, name="Mine now")
    with pytest.raises(NotFound):
        tags.tag_delete(shop=shop, tag_id=theirs.pk)
    assert Tag.objects.get(pk=theirs.pk).name == "Theirs"


# --- API -------------------------------------------------------------------------------------


def test_api_create_list_update_delete(people, shop, django_capture_on_commit_callbacks):
    client = client_for(shop.owner)
    base = f"/api/shops/{shop.slug}/tags"
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post(base, {"name": "Hangzhou", "rule": HANGZHOU})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["is_automatic"] is True
    # Evaluated as the tag's transaction commits (in a test: as the block above ends).
    listed = client.get(base).json()
    assert [(t["name"], t["fan_count"]) for t in listed["items"]] == [("Hangzhou", 2)]
    assert body["description"] == "City is one of Hangzhou"
    manual = client.post(base, {"name": "Friends"}).json()
    assert manual["is_automatic"] is False and manual["rule"] is None

    listed = client.get(base).json()
    assert [t["name"] for t in listed["items"]] == ["Friends", "Hangzhou"]

    renamed = client.put(f"{base}/{body['id']}", {"name": "HZ"}, content_type="application/json")
    assert renamed.status_code == 200 and renamed.json()["is_automatic"] is True
    manualised = client.put(f"{base}/{body['id']}", {"rule": None}, content_type="application/json")
    assert manualised.json()["is_automatic"] is False
    assert manualised.json()["fan_count"] == 2

    assert client.delete(f"{base}/{body['id']}").status_code == 204
    assert not Tag.objects.filter(pk=body["id"]).exists()
    assert not FanTag.objects.filter(tag_id=body["id"]).exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "Bad", "rule": {"op": "and", "conditions": [{"field": "foo"}]}},
        {"name": "Bad", "rule": "city = Hangzhou"},
        {"name": "Bad", "rule": {"op": "and", "conditions": []}},
        {"name": "", "rule": None},
        {"name": "x" * 31},
    ],
)
def test_api_bad_tags_are_400_and_nothing_is_written(shop, payload):
    before = Tag.objects.count()
    answer = client_for(shop.owner).post(f"/api/shops/{shop.slug}/tags", payload)
    assert answer.status_code == 400, answer.content
    assert answer.json()["message"]
    assert Tag.objects.count() == before


def test_api_duplicate_name_is_400(shop):
    client = client_for(shop.owner)
    client.post(f"/api/shops/{shop.slug}/tags", {"name": "VIP"})
    answer = client.post(f"/api/shops/{shop.slug}/tags", {"name": "VIP"})
    assert answer.status_code == 400
    assert "already have a tag" in answer.json()["message"]


def test_api_another_owner_gets_404_everywhere(shop, other_shop):
    tag = tags.tag_create(shop=shop, name="Mine")
    rival = client_for(other_shop.owner)
    base = f"/api/shops/{shop.slug}/tags"
    assert rival.get(base).status_code == 404
    assert rival.post(base, {"name": "Planted"}).status_code == 404
    assert (
        rival.put(f"{base}/{tag.pk}", {"name": "x"}, content_type="application/json").status_code
        == 404
    )
    assert rival.delete(f"{base}/{tag.pk}").status_code == 404
    # Through her own shop, my tag's id is not found either.
    own = f"/api/shops/{other_shop.slug}/tags/{tag.pk}"
    assert rival.put(own, {"name": "x"}, content_type="application/json").status_code == 404
    assert rival.delete(own).status_code == 404
    assert Tag.objects.get(pk=tag.pk).name == "Mine"
    assert not Tag.objects.filter(name="Planted").exists()


def test_a_rule_may_build_on_another_tag(people, shop):
    vip = tags.tag_create(shop=shop, name="VIP")
    FanTag.objects.create(fan=people["ann"], tag=vip)
    FanTag.objects.create(fan=people["cat"], tag=vip)
    rule = {
        "op": "and",
        "conditions": [
            {"field": "tag", "op": "any", "value": [vip.pk]},
            {"field": "city", "op": "in", "value": ["Hangzhou"]},
        ],
    }
    auto = Tag.objects.create(shop=shop, name="VIP in Hangzhou", rule=rule)
    scoring.auto_tags_evaluate(shop_id=shop.pk)
    assert tagged(auto) == {"Ann": True}
    FanTag.objects.filter(fan=people["ann"], tag=vip).delete()
    FanTag.objects.create(fan=people["bea"], tag=vip)
    scoring.auto_tags_evaluate(shop_id=shop.pk)
    assert tagged(auto) == {"Bea": True}

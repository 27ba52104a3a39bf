"""The fan's own side: following keeps the shop's record of her in step, she mutes a shop
without leaving it, and leaving removes her from the shop's CRM (fan count right, she may follow
again). Every endpoint and page is hers only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.conftest import client_for
from tests.factories import make_shop, make_user
from vshop.errors import NotFound
from vshop.fans import services
from vshop.fans.models import (
    FanNote,
    FanSource,
    FanTag,
    Follow,
    LevelBasis,
    LoyaltyRules,
    MemberLevel,
    PointsEntry,
    PointsKind,
    ShopFan,
    Tag,
)
from vshop.shops.models import Shop

pytestmark = pytest.mark.django_db


def page_client(user) -> Client:
    """A browser: forms are posted form-encoded (the API client posts JSON)."""
    client = Client()
    client.force_login(user)
    return client


def fan_count(shop: Shop) -> int:
    return Shop.objects.get(pk=shop.pk).fan_count


def record_of(shop: Shop, user) -> ShopFan | None:
    return ShopFan.objects.filter(shop=shop, user=user).first()


def give_points(record: ShopFan, points: int) -> None:
    PointsEntry.objects.create(
        fan=record, kind=PointsKind.ADJUST, delta=points, balance_after=points, key="test:gift"
    )
    ShopFan.objects.filter(pk=record.pk).update(points=points, points_earned=points)


# --- services ---------------------------------------------------------------------------------


def test_following_makes_the_shops_record_of_her_and_unfollowing_keeps_it(shop, fan):
    services.fan_follow(fan=fan, shop=shop)

    record = record_of(shop, fan)
    assert record is not None
    assert record.source == FanSource.FOLLOW
    assert record.is_follower and record.followed_at is not None
    assert record.name == "Xiao Mei"

    services.fan_unfollow(fan=fan, shop=shop)

    record = record_of(shop, fan)
    assert record is not None  # she may still be a buyer: the shop keeps her record
    assert not record.is_follower and record.followed_at is None


def test_muting_keeps_her_a_fan_and_marks_the_record_muted(shop, fan):
    services.fan_follow(fan=fan, shop=shop)

    services.fan_mute(fan=fan, shop=shop, muted=True)

    assert Follow.objects.get(fan=fan, shop=shop).muted_at is not None
    record = record_of(shop, fan)
    assert record.is_muted and record.is_follower
    assert fan_count(shop) == 1

    services.fan_mute(fan=fan, shop=shop, muted=False)

    assert Follow.objects.get(fan=fan, shop=shop).muted_at is None
    assert not record_of(shop, fan).is_muted


def test_only_a_follower_can_mute(shop, fan):
    with pytest.raises(NotFound):
        services.fan_mute(fan=fan, shop=shop, muted=True)
    assert not Follow.objects.exists() and not ShopFan.objects.exists()


def test_leaving_removes_her_from_the_crm_with_tags_notes_and_points(shop, fan):
    services.fan_follow(fan=fan, shop=shop)
    record = record_of(shop, fan)
    give_points(record, 40)
    tag = Tag.objects.create(shop=shop, name="VIP")
    FanTag.objects.create(fan=record, tag=tag)
    FanNote.objects.create(fan=record, author=shop.owner, text="likes pink")

    services.fan_leave_shop(fan=fan, shop=shop)

    assert record_of(shop, fan) is None
    assert not Follow.objects.filter(fan=fan).exists()
    assert not PointsEntry.objects.exists()
    assert not FanTag.objects.exists() and not FanNote.objects.exists()
    assert Tag.objects.filter(pk=tag.pk).exists()  # the shop's tag itself stays
    assert fan_count(shop) == 0


def test_she_can_follow_again_after_leaving_and_starts_afresh(shop, fan):
    services.fan_follow(fan=fan, shop=shop)
    give_points(record_of(shop, fan), 40)
    services.fan_leave_shop(fan=fan, shop=shop)

    assert services.fan_follow(fan=fan, shop=shop) is True

    record = record_of(shop, fan)
    assert record.is_follower and record.points == 0
    assert fan_count(shop) == 1


def test_leaving_a_shop_that_has_no_record_of_her_is_not_found(shop, fan):
    with pytest.raises(NotFound):
        services.fan_leave_shop(fan=fan, shop=shop)


def test_leaving_one_shop_leaves_her_other_shops_alone(shop, other_shop, fan):
    services.fan_follow(fan=fan, shop=shop)
    services.fan_follow(fan=fan, shop=other_shop)

    services.fan_leave_shop(fan=fan, shop=shop)

    assert record_of(other_shop, fan).is_follower
    assert fan_count(other_shop) == 1


# --- API --------------------------------------------------------------------------------------


def test_api_following_lists_her_shops_with_muted_level_and_points(shop, other_shop, fan):
    services.fan_follow(fan=fan, shop=shop)
    services.fan_mute(fan=fan, shop=shop, muted=True)
    give_points(record_of(shop, fan), 25)
    services.fan_follow(fan=make_user(), shop=other_shop)  # somebody else's follow

    body = client_for(fan).get("/api/me/following").json()

    assert body["count"] == 1
    item = body["items"][0]
    assert item["slug"] == "lily-picks"
    assert item["is_following"] and item["muted"]
    assert item["points"] == 25
    assert item["fan_count"] == 1


def test_api_mute_and_unmute(shop, fan):
    services.fan_follow(fan=fan, shop=shop)
    client = client_for(fan)

    r = client.put(
        "/api/me/following/lily-picks/mute", {"muted": True}, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    assert r.json() == {"slug": "lily-picks", "muted": True}
    assert record_of(shop, fan).is_muted

    r = client.put(
        "/api/me/following/lily-picks/mute", {"muted": False}, content_type="application/json"
    )
    assert r.json()["muted"] is False
    assert not record_of(shop, fan).is_muted


def test_api_mute_refuses_a_shop_she_does_not_follow_and_bad_input(shop, fan):
    client = client_for(fan)
    r = client.put(
        "/api/me/following/lily-picks/mute", {"muted": True}, content_type="application/json"
    )
    assert r.status_code == 404
    assert r.json()["code"] == "not_following"

    services.fan_follow(fan=fan, shop=shop)
    r = client.put(
        "/api/me/following/lily-picks/mute", {"muted": "yes"}, content_type="application/json"
    )
    assert r.status_code == 422
    assert Follow.objects.get(fan=fan).muted_at is None

    r = client.put(
        "/api/me/following/no-such-shop/mute", {"muted": True}, content_type="application/json"
    )
    assert r.status_code == 404


def test_api_leave(shop, fan):
    services.fan_follow(fan=fan, shop=shop)
    client = client_for(fan)

    r = client.post("/api/me/shops/lily-picks/leave")

    assert r.status_code == 200, r.content
    assert r.json() == {"slug": "lily-picks", "fan_count": 0}
    assert record_of(shop, fan) is None
    assert client.post("/api/me/shops/lily-picks/leave").status_code == 404


def test_api_needs_login(db):
    anon = client_for(None)
    assert anon.get("/api/me/following").status_code == 401
    assert anon.post("/api/me/shops/lily-picks/leave").status_code == 401


def test_api_another_fan_cannot_mute_or_leave_for_her(shop, fan):
    """Each call acts only on the caller's own follow: another fan's attempts are 404 and her
    follow, mute state and record do not change."""
    services.fan_follow(fan=fan, shop=shop)
    other = client_for(make_user())

    r = other.put(
        "/api/me/following/lily-picks/mute", {"muted": True}, content_type="application/json"
    )
    assert r.status_code == 404
    assert other.post("/api/me/shops/lily-picks/leave").status_code == 404
    assert other.get("/api/me/following").json()["count"] == 0

    assert Follow.objects.get(fan=fan).muted_at is None
    assert record_of(shop, fan) is not None
    assert fan_count(shop) == 1


# --- pages ------------------------------------------------------------------------------------


def test_following_page_shows_her_shops_and_other_shops_that_know_her(shop, other_shop, fan):
    services.fan_follow(fan=fan, shop=shop)
    services.fan_follow(fan=fan, shop=other_shop)
    services.fan_unfollow(fan=fan, shop=other_shop)  # record kept: an "other shop"
    client = page_client(fan)

    r = client.get(reverse("fans_mine:following"))

    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-testid="followed-shops"' in html and 'data-shop="lily-picks"' in html
    assert 'data-testid="other-shops"' in html and 'data-shop="rival-shop"' in html


def test_following_page_needs_login(client):
    r = client.get(reverse("fans_mine:following"))
    assert r.status_code == 302 and "/accounts/login" in r["Location"]


def test_mute_unfollow_and_leave_from_the_page(shop, fan):
    services.fan_follow(fan=fan, shop=shop)
    client = page_client(fan)

    r = client.post(reverse("fans_mine:mute", args=["lily-picks"]), {"muted": "1"})
    assert r.status_code == 302
    assert record_of(shop, fan).is_muted

    r = client.post(
        reverse("fans_mine:mute", args=["lily-picks"]), {"muted": "0"}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 200 and 'data-testid="mute"' in r.content.decode()
    assert not record_of(shop, fan).is_muted

    r = client.post(reverse("fans_mine:unfollow", args=["lily-picks"]))
    assert r.status_code == 302 and fan_count(shop) == 0
    assert record_of(shop, fan) is not None

    r = client.post(reverse("fans_mine:leave", args=["lily-picks"]))
    assert r.status_code == 302
    assert record_of(shop, fan) is None


def test_another_fan_gets_404_on_her_page_actions(shop, fan):
    services.fan_follow(fan=fan, shop=shop)
    other = page_client(make_user())

    for name, data in (("mute", {"muted": "1"}), ("unfollow", {}), ("leave", {})):
        r = other.post(reverse(f"fans_mine:{name}", args=["lily-picks"]), data)
        assert r.status_code == 404, name

    assert Follow.objects.get(fan=fan).muted_at is None
    assert record_of(shop, fan) is not None
    assert fan_count(shop) == 1
    assert (
        'data-shop="lily-picks"' not in other.get(reverse("fans_mine:following")).content.decode()
    )


def test_the_page_actions_refuse_get(shop, fan):
    services.fan_follow(fan=fan, shop=shop)
    r = page_client(fan).get(reverse("fans_mine:leave", args=["lily-picks"]))
    assert r.status_code == 405
    assert record_of(shop, fan) is not None


def test_a_shop_owner_sees_a_muted_fan_as_muted_in_her_crm(fan):
    shop = make_shop()
    services.fan_follow(fan=fan, shop=shop)
    services.fan_mute(fan=fan, shop=shop, muted=True)

    assert ShopFan.objects.filter(shop=shop, is_muted=True, is_follower=True).count() == 1


def test_her_level_and_progress_show_in_the_api_and_on_the_page(shop, fan):
    LoyaltyRules.objects.create(shop=shop, level_basis=LevelBasis.POINTS)
    silver = MemberLevel.objects.create(shop=shop, name="Silver", threshold=100)
    MemberLevel.objects.create(shop=shop, name="Gold", threshold=500)
    services.fan_follow(fan=fan, shop=shop)
    ShopFan.objects.filter(user=fan).update(points=150, points_earned=150, level=silver)

    (item,) = client_for(fan).get("/api/me/following").json()["items"]

    assert item["level"] == "Silver" and item["points"] == 150
    assert item["progress"] == {
        "level": "Silver",
        "next_level": "Gold",
        "remaining": 350,
        "percent": 12,
        "basis": "points",
    }
    html = page_client(fan).get(reverse("fans_mine:following")).content.decode()
    assert 'data-testid="progress"' in html and "Gold" in html
    assert reverse("fans_loyalty:check_in", args=["lily-picks"]) in html

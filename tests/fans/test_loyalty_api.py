"""The loyalty API and pages: the owner's rules and levels, her points adjustment, the fan's
membership and check-in — with another owner (or fan) never seeing or changing any of it."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import client_for
from tests.factories import make_user
from tests.fans.points_kit import give_points, levels, loyalty_on, record_of
from vshop.fans.models import Follow, LoyaltyRules, MemberLevel, PointsEntry

pytestmark = pytest.mark.django_db


def _put(client, path, body):
    import json

    return client.put(path, json.dumps(body), content_type="application/json")


def test_owner_reads_and_sets_her_rules(shop):
    client = client_for(shop.owner)
    body = client.get(f"/api/shops/{shop.slug}/loyalty").json()
    assert body["configured"] is False and body["points_enabled"] is False
    answer = _put(
        client,
        f"/api/shops/{shop.slug}/loyalty",
        {"points_enabled": True, "points_per_yuan_off": 50, "level_basis": "points"},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["points_per_yuan_off"] == 50 and answer.json()["configured"] is True
    bad = _put(client, f"/api/shops/{shop.slug}/loyalty", {"max_points_percent": 101})
    assert bad.status_code == 400 and bad.json()["field"] == "max_points_percent"
    assert LoyaltyRules.objects.get(shop=shop).max_points_percent == 50


def test_owner_replaces_her_levels_and_an_overlap_is_a_400_with_nothing_written(shop):
    client = client_for(shop.owner)
    ok = _put(
        client,
        f"/api/shops/{shop.slug}/levels",
        {"levels": [{"name": "Silver", "threshold": 10000, "discount_percent": 5}]},
    )
    assert ok.status_code == 200 and ok.json()[0]["name"] == "Silver"
    overlap = _put(
        client,
        f"/api/shops/{shop.slug}/levels",
        {
            "levels": [
                {"name": "Gold", "threshold": 50000, "discount_percent": 10},
                {"name": "Platinum", "threshold": 50000, "discount_percent": 15},
            ]
        },
    )
    assert overlap.status_code == 400 and overlap.json()["code"] == "level_overlap"
    assert list(MemberLevel.objects.filter(shop=shop).values_list("name", flat=True)) == ["Silver"]
    over90 = _put(
        client,
        f"/api/shops/{shop.slug}/levels",
        {"levels": [{"name": "Gold", "threshold": 1, "discount_percent": 95}]},
    )
    assert over90.status_code == 400
    listed = client.get(f"/api/shops/{shop.slug}/levels").json()
    assert [x["name"] for x in listed] == ["Silver"]


def test_another_owner_gets_404_on_every_owner_endpoint(shop, other_shop, fan):
    loyalty_on(shop)
    levels(shop, ("Silver", 100, 5))
    record = give_points(fan, shop, 50)
    rival = client_for(other_shop.owner)
    base = f"/api/shops/{shop.slug}"
    assert rival.get(f"{base}/loyalty").status_code == 404
    assert _put(rival, f"{base}/loyalty", {"points_per_yuan": 9}).status_code == 404
    assert rival.get(f"{base}/levels").status_code == 404
    assert _put(rival, f"{base}/levels", {"levels": []}).status_code == 404
    adjust = rival.post(f"{base}/fans/{record.pk}/points", {"delta": 5, "memo": "x"})
    assert adjust.status_code == 404
    # Her own shop's URL with a fan of another shop: not found either.
    own = rival.post(
        f"/api/shops/{other_shop.slug}/fans/{record.pk}/points", {"delta": 5, "memo": "x"}
    )
    assert own.status_code == 404
    assert LoyaltyRules.objects.get(shop=shop).points_per_yuan == 1
    assert MemberLevel.objects.filter(shop=shop).count() == 1
    assert record_of(fan, shop).points == 50
    assert client_for(None).get(f"{base}/loyalty").status_code == 401


def test_owner_adjusts_a_fans_points_never_below_zero(shop, fan):
    record = give_points(fan, shop, 50)
    client = client_for(shop.owner)
    path = f"/api/shops/{shop.slug}/fans/{record.pk}/points"
    ok = client.post(path, {"delta": -20, "memo": "correction"})
    assert ok.status_code == 200 and ok.json()["balance_after"] == 30
    too_much = client.post(path, {"delta": -31, "memo": "oops"})
    assert too_much.status_code == 400 and too_much.json()["code"] == "insufficient_points"
    assert PointsEntry.objects.filter(fan=record).count() == 2
    assert client.post(path, {"delta": 5, "memo": ""}).status_code == 400


def test_the_fan_sees_her_membership_and_checks_in_once_a_day(shop, fan):
    loyalty_on(shop, checkin_points=7)
    levels(shop, ("Silver", 1000, 5))
    Follow.objects.create(fan=fan, shop=shop)
    client = client_for(fan)
    before = client.get(f"/api/storefront/shops/{shop.slug}/membership").json()
    assert before["points"] == 0 and before["next_level"]["name"] == "Silver"
    assert before["checked_in_today"] is False
    first = client.post(f"/api/storefront/shops/{shop.slug}/check-in")
    assert first.status_code == 200 and first.json() == {"points": 7, "balance": 7}
    again = client.post(f"/api/storefront/shops/{shop.slug}/check-in")
    assert again.status_code == 409 and "already checked in" in again.json()["message"]
    after = client.get(f"/api/storefront/shops/{shop.slug}/membership").json()
    assert after["points"] == 7 and after["checked_in_today"] is True
    assert [e["kind"] for e in after["entries"]] == ["checkin"]


def test_membership_is_only_ever_her_own(shop, fan):
    loyalty_on(shop)
    give_points(fan, shop, 80)
    other = client_for(make_user())
    body = other.get(f"/api/storefront/shops/{shop.slug}/membership").json()
    assert body["points"] == 0 and body["entries"] == [] and body["is_member"] is False
    assert client_for(None).get(f"/api/storefront/shops/{shop.slug}/membership").status_code == 401
    assert client_for(fan).get("/api/storefront/shops/no-such-shop/membership").status_code == 404


# --- pages -----------------------------------------------------------------------------------


def page_client(user):
    """A browser: form posts, not JSON."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_owner_page_saves_rules_and_levels_and_shows_an_overlap(shop):
    client = page_client(shop.owner)
    page = client.get(f"/me/shop/loyalty/?shop={shop.pk}")
    assert page.status_code == 200 and b"levels-form" in page.content
    saved = client.post(
        f"/me/shop/loyalty/rules/?shop={shop.pk}",
        {
            "points_enabled": "on",
            "points_per_yuan": "2",
            "checkin_points": "5",
            "review_points": "20",
            "points_per_yuan_off": "100",
            "max_points_percent": "30",
            "points_expire_days": "365",
            "level_basis": "spend",
        },
    )
    assert saved.status_code == 302
    assert LoyaltyRules.objects.get(shop=shop).max_points_percent == 30
    levels_ok = client.post(
        f"/me/shop/loyalty/levels/?shop={shop.pk}",
        {"name_0": "Silver", "threshold_0": "100", "discount_0": "5"},
    )
    assert levels_ok.status_code == 302
    assert MemberLevel.objects.get(shop=shop).threshold == 10000  # ¥100 in fen
    overlap = client.post(
        f"/me/shop/loyalty/levels/?shop={shop.pk}",
        {
            "name_0": "Gold",
            "threshold_0": "500",
            "discount_0": "10",
            "name_1": "Platinum",
            "threshold_1": "500",
            "discount_1": "15",
        },
    )
    assert overlap.status_code == 400
    assert "cannot overlap" in overlap.content.decode()
    assert list(MemberLevel.objects.filter(shop=shop).values_list("name", flat=True)) == ["Silver"]


def test_another_owner_cannot_open_or_post_to_her_loyalty_page(shop, other_shop):
    rival = page_client(other_shop.owner)
    assert rival.get(f"/me/shop/loyalty/?shop={shop.pk}").status_code == 404
    posted = rival.post(
        f"/me/shop/loyalty/levels/?shop={shop.pk}",
        {"name_0": "Gold", "threshold_0": "1", "discount_0": "5"},
    )
    assert posted.status_code == 404
    assert not MemberLevel.objects.exists()


def test_check_in_page_button_and_membership_page(shop, fan):
    loyalty_on(shop, checkin_points=3)
    Follow.objects.create(fan=fan, shop=shop)
    client = page_client(fan)
    done = client.post(f"/s/{shop.slug}/check-in/", {"next": "/me/following/"})
    assert done.status_code == 302 and done["Location"] == "/me/following/"
    assert record_of(fan, shop).points == 3
    again = client.post(f"/s/{shop.slug}/check-in/")
    assert again.status_code == 302 and record_of(fan, shop).points == 3
    away = client.post(f"/s/{shop.slug}/check-in/", {"next": "https://evil.example/"})
    assert away["Location"].startswith(f"/s/{shop.slug}/membership/")
    page = client.get(f"/s/{shop.slug}/membership/")
    assert page.status_code == 200 and b'data-testid="points">3<' in page.content
    assert page_client(None).post(f"/s/{shop.slug}/check-in/").status_code == 302  # to log in
    assert record_of(fan, shop).points == 3

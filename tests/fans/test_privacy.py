"""Her privacy: what shops may see follows her settings on every shop's record of her, and the
download of her data holds her orders and points but nothing of anybody else."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.conftest import client_for
from tests.buying import make_address, pay, place
from tests.factories import make_user
from vshop.fans import privacy, services
from vshop.fans.models import PointsEntry, PointsKind, PrivacySettings, ShopFan
from vshop.orders.models import Order

pytestmark = pytest.mark.django_db


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mobile_fan(db):
    return make_user("13800138111", name="Xiao Mei")


def test_hiding_her_mobile_blanks_it_on_every_shops_record(shop, other_shop, mobile_fan):
    services.fan_follow(fan=mobile_fan, shop=shop)
    services.fan_follow(fan=mobile_fan, shop=other_shop)
    assert set(ShopFan.objects.values_list("mobile", flat=True)) == {"+8613800138111"}

    privacy.privacy_update(user=mobile_fan, share_mobile=False)

    assert set(ShopFan.objects.values_list("mobile", flat=True)) == {""}
    assert ShopFan.objects.filter(user=mobile_fan).count() == 2

    privacy.privacy_update(user=mobile_fan, share_mobile=True)

    assert set(ShopFan.objects.values_list("mobile", flat=True)) == {"+8613800138111"}


def test_sharing_her_email_copies_it_and_city_hidden_blanks_it(shop, fan):
    services.fan_follow(fan=fan, shop=shop)
    ShopFan.objects.filter(user=fan).update(city="Hangzhou")
    assert ShopFan.objects.get(user=fan).email == ""  # hidden by default

    privacy.privacy_update(user=fan, share_email=True, share_city=False)

    record = ShopFan.objects.get(user=fan)
    assert record.email == "fan@example.com"
    assert record.city == ""


def test_a_settings_change_leaves_other_fans_records_alone(shop, fan, mobile_fan):
    services.fan_follow(fan=fan, shop=shop)
    services.fan_follow(fan=mobile_fan, shop=shop)

    privacy.privacy_update(user=fan, share_mobile=False, share_email=True)

    assert ShopFan.objects.get(user=mobile_fan).mobile == "+8613800138111"
    assert ShopFan.objects.get(user=mobile_fan).email == ""


def test_api_privacy_get_and_put(shop, mobile_fan):
    services.fan_follow(fan=mobile_fan, shop=shop)
    client = client_for(mobile_fan)

    assert client.get("/api/me/privacy").json() == {
        "share_mobile": True,
        "share_email": False,
        "share_city": True,
        "share_activity": True,
    }
    r = client.put("/api/me/privacy", {"share_mobile": False}, content_type="application/json")

    assert r.status_code == 200, r.content
    assert r.json()["share_mobile"] is False and r.json()["share_city"] is True
    assert ShopFan.objects.get(user=mobile_fan).mobile == ""


def test_api_privacy_refuses_bad_input_and_writes_nothing(fan):
    client = client_for(fan)
    for body in ({"share_mobile": "no"}, {"share_everything": True}, {"share_city": 0}):
        r = client.put("/api/me/privacy", body, content_type="application/json")
        assert r.status_code == 422, body
    assert not PrivacySettings.objects.exists()


def test_privacy_is_hers_only(fan, mobile_fan):
    client_for(fan).put("/api/me/privacy", {"share_mobile": False}, content_type="application/json")

    assert client_for(mobile_fan).get("/api/me/privacy").json()["share_mobile"] is True
    assert PrivacySettings.objects.get().user == fan
    assert client_for(None).get("/api/me/privacy").status_code == 401


def test_privacy_page_saves_the_settings(shop, mobile_fan):
    services.fan_follow(fan=mobile_fan, shop=shop)
    client = page_client(mobile_fan)

    assert client.get(reverse("fans_mine:privacy")).status_code == 200
    # Only the boxes left ticked are sent.
    r = client.post(reverse("fans_mine:privacy"), {"share_city": "on", "share_activity": "on"})

    assert r.status_code == 302
    settings = PrivacySettings.objects.get(user=mobile_fan)
    assert not settings.share_mobile and not settings.share_email
    assert settings.share_city and settings.share_activity
    assert ShopFan.objects.get(user=mobile_fan).mobile == ""


def test_privacy_page_needs_login(client):
    assert client.get(reverse("fans_mine:privacy")).status_code == 302
    assert client.get(reverse("fans_mine:data")).status_code == 302


# --- her data -----------------------------------------------------------------------------------


def test_data_download_holds_her_orders_and_points_and_nothing_of_anybody_else(shop, listing, fan):
    other = make_user("other@example.com", name="Somebody Else")
    make_address(fan, name="Li Hua", detail="1 Lingyin Road")
    make_address(other, name="Wang Wei", mobile="13900139000", detail="9 Secret Lane")
    pay(place(fan, listing))
    pay(place(other, listing))
    services.fan_follow(fan=fan, shop=shop)
    services.fan_follow(fan=other, shop=shop)
    record = ShopFan.objects.get(user=fan, shop=shop)
    PointsEntry.objects.create(
        fan=record, kind=PointsKind.ADJUST, delta=30, balance_after=30, key="test:gift"
    )
    ShopFan.objects.filter(pk=record.pk).update(points=30)

    r = client_for(fan).get("/api/me/data")

    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment; filename=")
    data = json.loads(r.content)
    assert data["account"]["email"] == "fan@example.com"
    my_order = Order.objects.get(buyer=fan)
    assert [o["number"] for o in data["orders"]] == [my_order.number]
    assert data["orders"][0]["lines"][0]["quantity"] == 1
    assert [f["shop__slug"] for f in data["follows"]] == ["lily-picks"]
    (shop_record,) = data["shop_records"]
    assert shop_record["points"] == 30
    assert [e["delta"] for e in shop_record["points_entries"]] == [30]
    text = r.content.decode()
    for secret in ("other@example.com", "Wang Wei", "13900139000", "9 Secret Lane"):
        assert secret not in text
    assert Order.objects.get(buyer=other).number not in text


def test_data_download_from_the_privacy_page(fan):
    r = page_client(fan).get(reverse("fans_mine:data"))

    assert r.status_code == 200
    assert "attachment" in r["Content-Disposition"]
    assert json.loads(r.content)["account"]["display_name"] == "Xiao Mei"


def test_data_download_needs_login(db):
    assert client_for(None).get("/api/me/data").status_code == 401

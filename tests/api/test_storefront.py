"""The public storefront through the API: shops, personas, listings, following. Prices come from
the pricing strategy; supply prices and margins never show; query counts stay fixed."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import client_for
from tests.factories import make_listing, make_product, make_shop, make_user, sku_input
from vshop.catalog import services as catalog
from vshop.fans.models import Follow
from vshop.shops import services as shops
from vshop.shops.models import Shop

pytestmark = pytest.mark.django_db

SECRET_KEYS = {"supply_price", "margin", "margin_from", "margin_to", "min_price", "max_price"}


def all_keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in all_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in all_keys(v)}
    return set()


def test_shop_list_shows_open_shops_the_verified_first(anon, shop, other_shop, operator):
    shops.shop_set_verified(shop=other_shop, operator=operator, verified=True)
    suspended = make_shop(slug="closed-shop")
    shops.shop_suspend(shop=suspended, operator=operator, reason="fake goods")
    body = anon.get("/api/storefront/shops").json()
    assert [s["slug"] for s in body["items"]] == ["rival-shop", "lily-picks"]
    assert body["items"][0]["is_verified"] is True
    assert body["items"][0]["owner_name"]


def test_shop_list_search(anon, shop, other_shop):
    body = anon.get("/api/storefront/shops?q=rival").json()
    assert body["count"] == 0  # the name is "Shop N", the slug is not searched
    shops.shop_update(shop=shop, actor=shop.owner, bio="Organic baby clothes")
    assert anon.get("/api/storefront/shops?q=organic").json()["items"][0]["slug"] == "lily-picks"


def test_persona_shows_owner_bio_badge_fans_and_listing_count(anon, shop, listing, fan):
    client_for(fan).post(f"/api/storefront/shops/{shop.slug}/follow")
    body = anon.get(f"/api/storefront/shops/{shop.slug}").json()
    assert body["owner_name"] == shop.owner.display_name
    assert body["bio"] == "I test things."
    assert body["is_verified"] is False
    assert body["fan_count"] == 1
    assert body["listing_count"] == 1
    assert body["categories"][0]["slug"] == "baby"
    assert body["is_open"] is True
    assert body["is_following"] is False


def test_persona_of_an_unknown_shop_is_404(anon):
    resp = anon.get("/api/storefront/shops/nobody-here")
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"


def test_listings_show_prices_from_the_strategy_and_no_supply_prices(anon, shop, listing):
    # when
    resp = anon.get(f"/api/storefront/shops/{shop.slug}/listings")
    # then
    body = resp.json()
    assert body["count"] == 1
    offer = body["items"][0]["offer"]
    assert (offer["price_from"], offer["price_to"]) == (1990, 2190)
    assert offer["is_available"] is True
    assert offer["stock_state"] == "in_stock"
    assert not all_keys(body) & SECRET_KEYS
    assert b"1000" not in resp.content  # the supply price, anywhere


def test_listing_detail_shows_variants_and_endorsement_but_no_margin(anon, shop, listing):
    resp = anon.get(f"/api/storefront/shops/{shop.slug}/listings/{listing.pk}")
    body = resp.json()
    assert resp.status_code == 200
    assert body["endorsement"] == "My daughter wears it every day."
    assert body["product"]["description_html"] == "<p>Soft and safe.</p>"
    assert [s["options"] for s in body["offer"]["skus"]] == [
        {"colour": "red", "size": "M"},
        {"colour": "blue", "size": "L"},
    ]
    assert all(s["label"] for s in body["offer"]["skus"])
    assert not all_keys(body) & SECRET_KEYS


def test_a_logged_in_buyer_sees_no_margin_either(fan_client, shop, listing):
    body = fan_client.get(f"/api/storefront/shops/{shop.slug}/listings/{listing.pk}").json()
    assert not all_keys(body) & SECRET_KEYS


def test_listing_search_and_category_filter(anon, shop, listing, supplier):
    other = make_listing(shop, make_product(supplier, title="Wooden toy train"))
    assert [
        i["id"]
        for i in anon.get(f"/api/storefront/shops/{shop.slug}/listings?q=train").json()["items"]
    ] == [other.pk]
    by_cat = anon.get(
        f"/api/storefront/shops/{shop.slug}/listings?category={listing.product.category_id}"
    ).json()
    assert listing.pk in [i["id"] for i in by_cat["items"]]


def test_a_listing_of_another_shop_is_not_found_under_this_shop(anon, listing, other_shop):
    resp = anon.get(f"/api/storefront/shops/{other_shop.slug}/listings/{listing.pk}")
    assert resp.status_code == 404


def test_a_hidden_listing_is_not_shown(anon, shop, listing):
    shops.listing_update(listing=listing, actor=shop.owner, status="hidden")
    assert anon.get(f"/api/storefront/shops/{shop.slug}/listings").json()["count"] == 0
    assert anon.get(f"/api/storefront/shops/{shop.slug}/listings/{listing.pk}").status_code == 404


def test_sold_out_and_suspended_states(anon, shop, listing, product, operator):
    for sku in product.skus.all():
        catalog.sku_restock(sku=sku, actor=product.supplier.owner, quantity=-10)
    offer = anon.get(f"/api/storefront/shops/{shop.slug}/listings/{listing.pk}").json()["offer"]
    assert (offer["is_available"], offer["unavailable_reason"], offer["stock_state"]) == (
        False,
        "sold_out",
        "sold_out",
    )
    shops.shop_suspend(shop=shop, operator=operator, reason="checks")
    persona = anon.get(f"/api/storefront/shops/{shop.slug}").json()
    assert persona["is_open"] is False
    assert persona["notice"]
    offer = anon.get(f"/api/storefront/shops/{shop.slug}/listings/{listing.pk}").json()["offer"]
    assert offer["unavailable_reason"] == "shop_suspended"


def _listings_queries(client, shop: Shop) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(f"/api/storefront/shops/{shop.slug}/listings?page_size=100")
    return len(ctx.captured_queries), len(resp.json()["items"])


@pytest.mark.parametrize("logged_in", [False, True])
def test_listing_page_uses_a_fixed_number_of_queries(shop, supplier, category, logged_in):
    # given
    client = client_for(make_user() if logged_in else None)
    for _ in range(3):
        make_listing(shop, make_product(supplier, category=category))
    few, n_few = _listings_queries(client, shop)
    for _ in range(30):
        make_listing(
            shop,
            make_product(
                supplier, category=category, skus=[sku_input("A"), sku_input("B"), sku_input("C")]
            ),
        )
    # when
    many, n_many = _listings_queries(client, shop)
    # then
    assert (n_few, n_many) == (3, 33)
    assert few == many


def test_follow_and_unfollow(fan_client, fan, shop):
    followed = fan_client.post(f"/api/storefront/shops/{shop.slug}/follow")
    assert followed.json() == {"is_following": True, "fan_count": 1}
    again = fan_client.post(f"/api/storefront/shops/{shop.slug}/follow")
    assert again.json() == {"is_following": True, "fan_count": 1}
    assert fan_client.get(f"/api/storefront/shops/{shop.slug}").json()["is_following"] is True
    unfollowed = fan_client.delete(f"/api/storefront/shops/{shop.slug}/follow")
    assert unfollowed.json() == {"is_following": False, "fan_count": 0}
    assert not Follow.objects.exists()


def test_following_needs_a_login(anon, shop):
    resp = anon.post(f"/api/storefront/shops/{shop.slug}/follow")
    assert resp.status_code == 401
    assert not Follow.objects.exists()


def test_following_with_an_api_token(fan, shop):
    from vshop.accounts.services import api_token_create

    _token, raw = api_token_create(user=fan, name="app")
    app = client_for(None)
    resp = app.post(f"/api/storefront/shops/{shop.slug}/follow", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert resp.status_code == 200
    persona = app.get(f"/api/storefront/shops/{shop.slug}", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert persona.json()["is_following"] is True


def test_storefront_json_is_plain_json(anon, shop, listing):
    resp = anon.get(f"/api/storefront/shops/{shop.slug}")
    assert resp["Content-Type"].startswith("application/json")
    assert json.loads(resp.content)["slug"] == "lily-picks"


def test_listings_show_pinned_first_then_the_newest(anon, shop, listing, supplier):
    # given
    newer = make_listing(shop, make_product(supplier, title="Newer"))
    pinned = make_listing(shop, make_product(supplier, title="Pinned"), is_pinned=True)
    # when
    items = anon.get(f"/api/storefront/shops/{shop.slug}/listings").json()["items"]
    # then
    assert [i["id"] for i in items] == [pinned.pk, newer.pk, listing.pk]
    assert items[0]["is_pinned"] is True

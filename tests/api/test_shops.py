"""Shop owners through the API: opening a shop, the persona, listings from the catalogue and of
her own goods, prices within the supplier's bounds, margins, ordering."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import image_upload, make_listing, make_product
from vshop.catalog.models import Product
from vshop.shops.models import Listing, ListingPrice, Shop

pytestmark = pytest.mark.django_db


def test_open_a_shop_makes_the_account_a_shop_owner(nobody_client, category):
    # when
    resp = nobody_client.post(
        "/api/shops",
        {"name": "Lily's picks", "slug": "lily", "bio": "Mum of two.", "category_id": category.pk},
    )
    # then
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["url"] == "/s/lily/"
    assert body["category"]["slug"] == "baby"
    assert body["is_verified"] is False
    assert "shop_owner" in nobody_client.get("/api/me").json()["roles"]
    assert nobody_client.get("/api/shops/mine").json()["count"] == 1


def test_a_taken_slug_is_a_conflict_and_writes_nothing(nobody_client, shop):
    resp = nobody_client.post("/api/shops", {"name": "Copycat", "slug": shop.slug})
    assert resp.status_code == 409
    assert resp.json() == {
        "code": "slug_taken",
        "message": resp.json()["message"],
        "field": "slug",
    }
    assert Shop.objects.count() == 1


def test_a_reserved_or_malformed_slug_is_refused(nobody_client):
    assert nobody_client.post("/api/shops", {"name": "A", "slug": "api"}).status_code == 409
    assert nobody_client.post("/api/shops", {"name": "A", "slug": "No Spaces"}).status_code == 400
    assert not Shop.objects.exists()


def test_opening_a_shop_ignores_nobody_else_owner_fields(nobody_client, fan):
    resp = nobody_client.post("/api/shops", {"name": "A", "slug": "abc", "owner_id": fan.pk})
    assert resp.status_code == 422
    assert not Shop.objects.exists()


def test_get_and_edit_my_shop_but_not_its_slug(owner_client, shop):
    assert owner_client.get(f"/api/shops/{shop.pk}").json()["slug"] == "lily-picks"
    edited = owner_client.patch(f"/api/shops/{shop.pk}", {"bio": "I pick what my kids use."})
    assert edited.status_code == 200
    assert edited.json()["bio"] == "I pick what my kids use."
    assert edited.json()["name"] == shop.name
    refused = owner_client.patch(f"/api/shops/{shop.pk}", {"slug": "new-slug"})
    assert refused.status_code == 422
    shop.refresh_from_db()
    assert shop.slug == "lily-picks"


def test_clearing_the_category(owner_client, shop, category):
    owner_client.patch(f"/api/shops/{shop.pk}", {"category_id": category.pk})
    resp = owner_client.patch(f"/api/shops/{shop.pk}", {"category_id": None})
    assert resp.json()["category"] is None


def test_a_shop_cannot_be_suspended_by_its_owner(owner_client, shop):
    resp = owner_client.patch(f"/api/shops/{shop.pk}", {"status": "active", "is_verified": True})
    assert resp.status_code == 422
    shop.refresh_from_db()
    assert shop.is_verified is False


def test_avatar_and_cover_uploads(owner_client, shop):
    avatar = owner_client.post(f"/api/shops/{shop.pk}/avatar", {"image": image_upload()})
    cover = owner_client.post(f"/api/shops/{shop.pk}/cover", {"image": image_upload()})
    assert avatar.status_code == 200, avatar.content
    assert avatar.json()["avatar_url"].startswith("/media/shops/lily-picks/")
    assert cover.json()["cover_url"].startswith("/media/shops/lily-picks/")


def test_a_text_file_as_avatar_is_refused(owner_client, shop):
    fake = SimpleUploadedFile("a.jpg", b"not an image", content_type="image/jpeg")
    resp = owner_client.post(f"/api/shops/{shop.pk}/avatar", {"image": fake})
    assert resp.status_code == 400
    assert resp.json()["field"] == "avatar"
    shop.refresh_from_db()
    assert not shop.avatar


def test_add_from_catalogue_at_suggested_prices_shows_margins(owner_client, shop, product):
    # when
    resp = owner_client.post(
        f"/api/shops/{shop.pk}/listings",
        {"product_id": product.pk, "endorsement": "My daughter loves it."},
    )
    # then
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["endorsement"] == "My daughter loves it."
    offer = body["offer"]
    assert offer["currency"] == "CNY"
    assert [(s["code"], s["price"], s["margin"]) for s in offer["skus"]] == [
        ("RED-M", 1990, 990),
        ("BLUE-L", 2190, 1190),
    ]
    assert offer["skus"][0]["min_price"] == 1500
    assert offer["is_available"] is True
    product.refresh_from_db()
    assert product.listing_count == 1


def test_add_from_catalogue_with_my_own_price(owner_client, shop, product):
    red = product.skus.get(code="RED-M")
    resp = owner_client.post(
        f"/api/shops/{shop.pk}/listings", {"product_id": product.pk, "prices": {str(red.pk): 2500}}
    )
    assert resp.status_code == 201
    assert resp.json()["offer"]["skus"][0]["price"] == 2500
    assert resp.json()["offer"]["skus"][0]["margin"] == 1500


def test_a_price_outside_the_bounds_is_refused_and_nothing_is_written(owner_client, shop, product):
    red = product.skus.get(code="RED-M")
    resp = owner_client.post(
        f"/api/shops/{shop.pk}/listings", {"product_id": product.pk, "prices": {red.pk: 3001}}
    )
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "price_out_of_bounds"
    assert body["details"] == {"sku_id": red.pk, "min": 1500, "max": 3000}
    assert not Listing.objects.exists()
    assert not ListingPrice.objects.exists()


def test_an_unknown_sku_is_refused_and_nothing_is_written(owner_client, shop, product):
    resp = owner_client.post(
        f"/api/shops/{shop.pk}/listings", {"product_id": product.pk, "prices": {"999999": 2000}}
    )
    assert resp.status_code == 400
    assert "999999" in resp.json()["message"]
    assert not Listing.objects.exists()


def test_supply_prices_cannot_be_sent_to_a_listing(owner_client, shop, product):
    resp = owner_client.post(
        f"/api/shops/{shop.pk}/listings", {"product_id": product.pk, "supply_price": 1}
    )
    assert resp.status_code == 422
    assert not Listing.objects.exists()


def test_the_same_product_twice_is_a_conflict(owner_client, shop, listing, product):
    resp = owner_client.post(f"/api/shops/{shop.pk}/listings", {"product_id": product.pk})
    assert resp.status_code == 409
    assert Listing.objects.count() == 1


def test_a_missing_product_id_is_422(owner_client, shop):
    resp = owner_client.post(f"/api/shops/{shop.pk}/listings", {"endorsement": "x"})
    assert resp.status_code == 422
    assert resp.json()["field"] == "product_id"


def test_my_listings_with_prices_and_margins(owner_client, shop, listing):
    body = owner_client.get(f"/api/shops/{shop.pk}/listings").json()
    assert body["count"] == 1
    assert body["items"][0]["offer"]["margin_from"] == 990


def test_own_goods_are_listed_at_my_price(owner_client, shop, category):
    resp = owner_client.post(
        f"/api/shops/{shop.pk}/own-goods",
        {
            "title": "Hand-knitted hat",
            "category_id": category.pk,
            "endorsement": "I knit these myself.",
            "skus": [{"code": "ONE", "price": 8800, "stock": 3}],
        },
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["product"]["is_own_goods"] is True
    assert body["offer"]["skus"][0]["price"] == 8800
    assert body["offer"]["skus"][0]["stock"] == 3
    photo = owner_client.post(f"/api/listings/{body['id']}/images", {"image": image_upload()})
    assert photo.status_code == 201
    removed = owner_client.delete(f"/api/listings/{body['id']}/images/{photo.json()['id']}")
    assert removed.status_code == 204


def test_own_goods_with_a_zero_price_are_422(owner_client, shop, category):
    resp = owner_client.post(
        f"/api/shops/{shop.pk}/own-goods",
        {"title": "Hat", "category_id": category.pk, "skus": [{"code": "ONE", "price": 0}]},
    )
    assert resp.status_code == 422
    assert resp.json()["field"] == "skus.0.price"
    assert not Product.objects.exists()


def test_catalogue_products_get_photos_from_their_supplier(owner_client, listing):
    resp = owner_client.post(f"/api/listings/{listing.pk}/images", {"image": image_upload()})
    assert resp.status_code == 400


def test_get_edit_hide_and_remove_a_listing(owner_client, listing, product):
    red = product.skus.get(code="RED-M")
    assert owner_client.get(f"/api/listings/{listing.pk}").json()["id"] == listing.pk
    edited = owner_client.patch(
        f"/api/listings/{listing.pk}",
        {"prices": {red.pk: 1600}, "is_pinned": True, "status": "hidden"},
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["is_pinned"] is True
    assert edited.json()["status"] == "hidden"
    assert edited.json()["offer"]["skus"][0]["price"] == 1600
    assert owner_client.delete(f"/api/listings/{listing.pk}").status_code == 204
    assert not Listing.objects.exists()


def test_editing_a_price_out_of_bounds_changes_nothing(owner_client, listing, product):
    red = product.skus.get(code="RED-M")
    resp = owner_client.patch(
        f"/api/listings/{listing.pk}", {"prices": {red.pk: 100}, "endorsement": "changed"}
    )
    assert resp.status_code == 400
    listing.refresh_from_db()
    assert listing.endorsement == "My daughter wears it every day."
    assert ListingPrice.objects.get(listing=listing, sku=red).retail_price == 1990


def test_reorder_listings(owner_client, shop, listing, supplier, category):
    second = make_listing(shop, make_product(supplier, category=category))
    resp = owner_client.post(
        f"/api/shops/{shop.pk}/listings/reorder", {"listing_ids": [second.pk, listing.pk]}
    )
    assert resp.status_code == 204
    ids = [i["id"] for i in owner_client.get(f"/api/shops/{shop.pk}/listings").json()["items"]]
    assert ids == [second.pk, listing.pk]


@pytest.mark.parametrize("price", [19.9, "1990", True])
def test_money_is_a_json_integer_of_fen_never_a_float_string_or_bool(
    owner_client, shop, product, price
):
    red = product.skus.get(code="RED-M")
    resp = owner_client.post(
        f"/api/shops/{shop.pk}/listings", {"product_id": product.pk, "prices": {red.pk: price}}
    )
    assert resp.status_code == 422
    assert resp.json()["field"] == f"prices.{red.pk}"
    assert not Listing.objects.exists()


def test_preview_shows_price_and_margin_per_sku_and_writes_nothing(owner_client, shop, product):
    red = product.skus.get(code="RED-M")
    resp = owner_client.post(
        f"/api/shops/{shop.pk}/listings/preview",
        {"product_id": product.pk, "prices": {red.pk: 3500}},
    )
    assert resp.status_code == 200, resp.content
    rows = resp.json()
    assert [(r["code"], r["price"], r["margin"]) for r in rows] == [
        ("RED-M", 3500, 2500),
        ("BLUE-L", 2190, 1190),
    ]
    assert rows[0]["problem"]  # above the supplier's maximum
    assert rows[1]["problem"] == ""
    assert not Listing.objects.exists()

"""Tenant isolation, endpoint by endpoint: another shop owner or supplier gets 404 (or 403) from
every endpoint that reads or writes owned data, and nothing changes in the owner's rows."""

from __future__ import annotations

import pytest

from tests.api.conftest import client_for
from tests.factories import image_upload, make_product
from vshop.accounts import services as accounts
from vshop.accounts.models import ApiToken
from vshop.catalog import services as catalog
from vshop.catalog.models import Product, ProductImage
from vshop.inventory.models import Stock
from vshop.shops import services as shops
from vshop.shops.models import Listing, ListingPrice, Shop

pytestmark = pytest.mark.django_db


def snapshot() -> tuple:
    """Everything an attacker could try to change, in a comparable form."""
    return (
        list(Shop.objects.order_by("pk").values_list("pk", "name", "bio", "avatar", "cover")),
        list(
            Listing.objects.order_by("pk").values_list(
                "pk", "shop_id", "endorsement", "is_pinned", "position", "status"
            )
        ),
        list(ListingPrice.objects.order_by("pk").values_list("pk", "retail_price")),
        list(Product.objects.order_by("pk").values_list("pk", "title", "status", "shop_id")),
        list(ProductImage.objects.order_by("pk").values_list("pk", "image")),
        list(Stock.objects.order_by("pk").values_list("sku_id", "quantity")),
        list(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at")),
    )


@pytest.fixture
def victim(shop, listing, product, supplier, category):
    """The first shop owner's and the first supplier's rows, with an image and own goods."""
    image = catalog.product_image_add(product=product, actor=supplier.owner, upload=image_upload())
    own = shops.listing_create_own_goods(
        shop=shop,
        actor=shop.owner,
        title="Hand-made soap",
        category_id=category.pk,
        skus=[shops.OwnSkuInput(code="ONE", price=1200, stock=4)],
    )
    own_image = catalog.product_image_add(
        product=own.product, actor=shop.owner, upload=image_upload()
    )
    token, _raw = accounts.api_token_create(user=shop.owner, name="phone")
    return {
        "shop": shop.pk,
        "listing": listing.pk,
        "own_listing": own.pk,
        "product": product.pk,
        "sku": product.skus.first().pk,
        "own_sku": own.product.skus.first().pk,
        "image": image.pk,
        "own_image": own_image.pk,
        "token": token.pk,
        "catalogue_product": make_product(supplier, category=category).pk,
    }


SHOP_OWNER_ENDPOINTS = [
    ("get", "/api/shops/{shop}", None),
    ("patch", "/api/shops/{shop}", {"name": "Hacked", "bio": "hacked"}),
    ("post", "/api/shops/{shop}/avatar", "image"),
    ("post", "/api/shops/{shop}/cover", "image"),
    ("get", "/api/shops/{shop}/listings", None),
    ("post", "/api/shops/{shop}/listings", {"product_id": "{catalogue_product}"}),
    (
        "post",
        "/api/shops/{shop}/own-goods",
        {"title": "x", "category_id": 1, "skus": [{"code": "A", "price": 100}]},
    ),
    ("post", "/api/shops/{shop}/listings/reorder", {"listing_ids": ["{listing}"]}),
    ("get", "/api/listings/{listing}", None),
    ("patch", "/api/listings/{listing}", {"endorsement": "hacked", "is_pinned": True}),
    ("delete", "/api/listings/{listing}", None),
    ("post", "/api/listings/{own_listing}/images", "image"),
    ("delete", "/api/listings/{own_listing}/images/{own_image}", None),
    (
        "post",
        "/api/shops/{shop}/listings/preview",
        {"product_id": "{catalogue_product}", "prices": {}},
    ),
    ("post", "/api/supplier/skus/{own_sku}/restock", {"quantity": 100}),
    ("delete", "/api/me/tokens/{token}", None),
]

SUPPLIER_ENDPOINTS = [
    ("get", "/api/supplier/products/{product}", None),
    ("patch", "/api/supplier/products/{product}", {"title": "Hacked"}),
    ("post", "/api/supplier/products/{product}/publish", None),
    ("post", "/api/supplier/products/{product}/unpublish", None),
    ("post", "/api/supplier/products/{product}/images", "image"),
    ("delete", "/api/supplier/images/{image}", None),
    ("post", "/api/supplier/skus/{sku}/restock", {"quantity": -5}),
]


def _fill(value: object, ids: dict[str, int]) -> object:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def call(client, method: str, path: str, body: object, ids: dict[str, int]):
    url = path.format(**ids)
    if body == "image":
        return client.post(url, {"image": image_upload()})
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, _fill(body, ids))


@pytest.mark.parametrize(("method", "path", "body"), SHOP_OWNER_ENDPOINTS)
def test_another_shop_owner_gets_404_and_changes_nothing(victim, rival_client, method, path, body):
    # given
    before = snapshot()
    # when
    resp = call(rival_client, method, path, body, victim)
    # then
    assert resp.status_code in (403, 404), resp.content
    assert resp.json()["code"] in ("not_found", "forbidden")
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), SUPPLIER_ENDPOINTS)
def test_another_supplier_gets_404_and_changes_nothing(
    victim, rival_supplier_client, method, path, body
):
    before = snapshot()
    resp = call(rival_supplier_client, method, path, body, victim)
    assert resp.status_code in (403, 404), resp.content
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), SUPPLIER_ENDPOINTS)
def test_a_shop_owner_cannot_touch_a_suppliers_product(victim, owner_client, method, path, body):
    before = snapshot()
    resp = call(owner_client, method, path, body, victim)
    assert resp.status_code in (403, 404), resp.content
    assert snapshot() == before


def test_reordering_my_shop_with_anothers_listing_is_refused(victim, rival_client, other_shop):
    before = snapshot()
    resp = rival_client.post(
        f"/api/shops/{other_shop.pk}/listings/reorder", {"listing_ids": [victim["listing"]]}
    )
    assert resp.status_code == 404
    assert snapshot() == before


def test_lists_show_only_my_own_rows(victim, rival_client, rival_supplier_client, other_shop):
    mine = rival_client.get("/api/shops/mine").json()
    assert [s["id"] for s in mine["items"]] == [other_shop.pk]
    assert rival_client.get(f"/api/shops/{other_shop.pk}/listings").json()["count"] == 0
    assert rival_supplier_client.get("/api/supplier/products").json()["count"] == 0
    assert rival_client.get("/api/me/tokens").json()["count"] == 0


def test_the_owner_herself_can_use_every_endpoint_in_the_table(victim, shop):
    """The table is not vacuous: the same calls work for the owner (reads at least)."""
    owner = client_for(shop.owner)
    assert owner.get(f"/api/shops/{victim['shop']}").status_code == 200
    assert owner.get(f"/api/listings/{victim['listing']}").status_code == 200
    assert owner.get(f"/api/shops/{victim['shop']}/listings").json()["count"] == 2

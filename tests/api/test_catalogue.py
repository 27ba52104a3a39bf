"""The catalogue as shop owners browse it through the API: search, filters, sorting, detail."""

from __future__ import annotations

import pytest

from tests.factories import make_category, make_listing, make_product, make_shop, sku_input

pytestmark = pytest.mark.django_db


def test_categories_are_public_and_paginated(anon, category):
    body = anon.get("/api/categories").json()
    assert body["count"] == 1
    assert body["items"][0]["slug"] == "baby"
    assert set(body) == {"items", "count", "page", "pages"}


def test_browse_shows_published_products_with_margins(owner_client, product):
    # given: a draft that must not show
    make_product(product.supplier, publish=False)
    # when
    body = owner_client.get("/api/catalogue/products").json()
    # then
    assert body["count"] == 1
    item = body["items"][0]
    assert item["title"] == "Organic cotton baby romper"
    assert item["price_from"] == 1990
    assert item["best_margin"] == 2190 - 1000
    assert item["skus"][0]["margin"] == 1990 - 1000
    assert item["supplier"]["company_name"]


def test_browse_filters_by_search_category_and_margin(owner_client, supplier, category):
    # given
    other = make_category()
    make_product(
        supplier, category=category, title="Thin margin socks", skus=[sku_input(suggested=1500)]
    )
    make_product(
        supplier, category=category, title="Fat margin hat", skus=[sku_input(suggested=3000)]
    )
    make_product(
        supplier, category=other, title="Fat margin scarf", skus=[sku_input(suggested=3000)]
    )

    def titles(query: str) -> list[str]:
        return [
            p["title"] for p in owner_client.get(f"/api/catalogue/products?{query}").json()["items"]
        ]

    # then
    assert titles("q=hat") == ["Fat margin hat"]
    assert sorted(titles(f"category={category.pk}")) == ["Fat margin hat", "Thin margin socks"]
    assert sorted(titles("min_margin=1000")) == ["Fat margin hat", "Fat margin scarf"]
    assert titles("sort=margin")[-1] == "Thin margin socks"
    assert titles("sort=new")[0] == "Fat margin scarf"


def test_browse_sorts_by_popularity(owner_client, supplier, category):
    popular = make_product(supplier, category=category, title="Popular")
    make_product(supplier, category=category, title="Quiet")
    make_listing(make_shop(), popular)
    body = owner_client.get("/api/catalogue/products?sort=popular").json()
    assert body["items"][0]["title"] == "Popular"
    assert body["items"][0]["listing_count"] == 1


def test_an_unknown_sort_is_422_with_a_message(owner_client):
    resp = owner_client.get("/api/catalogue/products?sort=cheapest")
    assert resp.status_code == 422
    assert resp.json()["field"] == "sort"


def test_pagination_pages_and_caps_the_page_size(owner_client, supplier, category):
    for i in range(5):
        make_product(supplier, category=category, title=f"P{i}")
    body = owner_client.get("/api/catalogue/products?page=2&page_size=2").json()
    assert (body["count"], body["page"], body["pages"], len(body["items"])) == (5, 2, 3, 2)
    too_big = owner_client.get("/api/catalogue/products?page_size=101")
    assert too_big.status_code == 422
    assert too_big.json()["field"] == "page_size"


def test_catalogue_product_detail(owner_client, product):
    body = owner_client.get(f"/api/catalogue/products/{product.pk}").json()
    assert body["description_html"] == "<p>Soft and safe.</p>"
    assert [s["code"] for s in body["skus"]] == ["RED-M", "BLUE-L"]
    assert body["skus"][0]["min_price"] == 1500


def test_a_draft_is_not_in_the_catalogue(owner_client, supplier):
    draft = make_product(supplier, publish=False)
    assert owner_client.get(f"/api/catalogue/products/{draft.pk}").status_code == 404


def test_the_catalogue_needs_a_login(anon, product):
    assert anon.get("/api/catalogue/products").status_code == 401

"""Storefront pages use the same number of SQL queries for 5 listings as for 500, for anonymous
visitors and logged-in fans alike. The counts are pinned: a change here is a change in cost."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_user
from vshop.catalog.models import Category, Product, ProductImage, ProductStatus, Sku, Supplier
from vshop.inventory.models import Stock
from vshop.shops.models import Listing, ListingPrice, Shop
from vshop.shops.storefront_views import local_pages


@pytest.fixture(autouse=True)
def _pages_without_visit_counting(monkeypatch):
    """Visit counting has its own pinned cost in tests/analytics/test_visits.py."""
    monkeypatch.setattr("vshop.shops.storefront_views.page_viewed", lambda request, *, slug: None)


def bulk_listings(
    shop: Shop, *, supplier: Supplier, category: Category, n: int, pinned: int = 2
) -> list[Listing]:
    """``n`` listings of new published products, each with two SKUs in stock and two photos."""
    now = timezone.now()
    products = Product.objects.bulk_create(
        [
            Product(
                supplier=supplier,
                title=f"Bulk product {i}",
                category=category,
                status=ProductStatus.PUBLISHED,
                published_at=now,
                description_html="<p>Bulk.</p>",
            )
            for i in range(n)
        ]
    )
    skus = Sku.objects.bulk_create(
        [
            Sku(
                product=p,
                code=code,
                options={"size": code},
                supply_price=1000,
                min_price=1500,
                max_price=3000,
                suggested_price=price,
            )
            for p in products
            for code, price in (("M", 1990), ("L", 2190))
        ]
    )
    Stock.objects.bulk_create([Stock(sku=s, quantity=20) for s in skus])
    ProductImage.objects.bulk_create(
        [
            # Width and height are set, so Django never opens these (absent) files.
            ProductImage(
                product=p,
                image=f"products/{p.pk}/{k}.jpg",
                thumbnail=f"products/{p.pk}/{k}_t.jpg",
                width=800,
                height=800,
                position=k,
            )
            for p in products
            for k in range(2)
        ]
    )
    listings = Listing.objects.bulk_create(
        [
            Listing(shop=shop, product=p, position=i + 1, is_pinned=i < pinned)
            for i, p in enumerate(products)
        ]
    )
    by_product = {listing.product_id: listing for listing in listings}
    ListingPrice.objects.bulk_create(
        [
            ListingPrice(listing=by_product[s.product_id], sku=s, retail_price=s.suggested_price)
            for s in skus
        ]
    )
    return listings


@pytest.fixture
def locmem_cache(settings) -> None:
    """A process-local cache, so query counts do not include the database cache's own SQL."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"storefront-{id(settings)}",
        }
    }
    local_pages.clear()


# Anonymous pages are rendered without the page cache here (it is tested on its own); the
# numbers are the cost of a cache miss. Logged-in fans add the session and user rows and
# whether they follow the shop.
# shop, categories, listings + prices + SKUs with stock + images, the pinned circle post
HOME_ANONYMOUS = 7
# session, user, follows?, the inbox's unread count, the cart's units in the header, and her
# member levels (member prices)
HOME_LOGGED_IN = HOME_ANONYMOUS + 6
# listing with shop and owner + prices + SKUs with stock + images + its latest reviews
LISTING_ANONYMOUS = 5
LISTING_LOGGED_IN = LISTING_ANONYMOUS + 6
SEARCH_ANONYMOUS = 6
ABOUT_ANONYMOUS = 2  # shop, listing count


@pytest.fixture
def no_page_cache(settings) -> None:
    settings.VSHOP_PAGE_CACHE_SECONDS = 0


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


def _shop_with(n: int, supplier, category) -> tuple[Shop, list[Listing]]:
    from tests.factories import make_shop

    shop = make_shop()
    return shop, bulk_listings(shop, supplier=supplier, category=category, n=n)


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_shop_home_costs_the_same_queries_for_5_and_500_listings(
    client, supplier, category, no_page_cache, logged_in
):
    # given two shops, one with 5 listings and one with 500
    small, _ = _shop_with(5, supplier, category)
    large, _ = _shop_with(500, supplier, category)
    if logged_in:
        client.force_login(make_user())
    # when each shop home is loaded
    small_count = _count(client, f"/s/{small.slug}/")
    large_count = _count(client, f"/s/{large.slug}/")
    # then both cost the same, pinned number of queries
    expected = HOME_LOGGED_IN if logged_in else HOME_ANONYMOUS
    assert (small_count, large_count) == (expected, expected)


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_listing_page_costs_the_same_queries_for_5_and_500_listings(
    client, supplier, category, no_page_cache, logged_in
):
    # given a listing in a shop of 5 listings and one in a shop of 500
    small, small_listings = _shop_with(5, supplier, category)
    large, large_listings = _shop_with(500, supplier, category)
    if logged_in:
        client.force_login(make_user())
    # when each listing page is loaded
    small_count = _count(client, f"/s/{small.slug}/l/{small_listings[3].pk}/")
    large_count = _count(client, f"/s/{large.slug}/l/{large_listings[250].pk}/")
    # then both cost the same, pinned number of queries
    expected = LISTING_LOGGED_IN if logged_in else LISTING_ANONYMOUS
    assert (small_count, large_count) == (expected, expected)


def test_search_and_next_page_cost_the_same_queries_for_5_and_500_listings(
    client, supplier, category, no_page_cache
):
    # given a small and a large shop
    small, _ = _shop_with(5, supplier, category)
    large, _ = _shop_with(500, supplier, category)
    # when searching them and loading a later page of the large one
    counts = {
        _count(client, f"/s/{small.slug}/search/?q=Bulk&category={category.slug}"),
        _count(client, f"/s/{large.slug}/search/?q=Bulk&category={category.slug}"),
        _count(client, f"/s/{large.slug}/?page=7"),
    }
    # then each costs the same
    assert counts == {SEARCH_ANONYMOUS}


def test_persona_page_costs_two_queries_whatever_the_number_of_listings(
    client, supplier, category, no_page_cache
):
    small, _ = _shop_with(5, supplier, category)
    large, _ = _shop_with(500, supplier, category)
    assert {
        _count(client, f"/s/{small.slug}/about/"),
        _count(client, f"/s/{large.slug}/about/"),
    } == {ABOUT_ANONYMOUS}


@pytest.mark.parametrize(
    ("version_seconds", "queries"),
    [(0, 1), (1, 0)],
    ids=["version-read-each-time", "version-remembered-for-a-second"],
)
def test_a_cache_hit_costs_at_most_one_query_to_read_the_shops_content_version(
    client, supplier, category, locmem_cache, settings, version_seconds, queries
):
    # given a large shop whose pages an anonymous fan has already loaded once
    settings.VSHOP_PAGE_VERSION_SECONDS = version_seconds
    shop, listings = _shop_with(500, supplier, category)
    urls = [f"/s/{shop.slug}/", f"/s/{shop.slug}/l/{listings[10].pk}/"]
    for url in urls:
        assert client.get(url)["X-Page-Cache"] == "miss"
    # when another anonymous fan loads them
    other = client.__class__()
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            response = other.get(url)
        # then they come from the cache, reading the shop's version at most once
        assert response["X-Page-Cache"] == "hit"
        assert len(ctx.captured_queries) == queries, [q["sql"] for q in ctx.captured_queries]

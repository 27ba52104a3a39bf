"""The pricing strategy: one answer to price, availability and margin of a listing."""

from __future__ import annotations

import pytest

from tests.factories import make_listing, make_product, make_shop
from vshop.catalog import services as catalog
from vshop.inventory import services as inventory
from vshop.shops import selectors, services
from vshop.shops.models import Listing
from vshop.shops.strategy import Unavailable, strategy_for

pytestmark = pytest.mark.django_db


def offer(listing):
    loaded = selectors.listing_offer_queryset(Listing.objects.filter(pk=listing.pk)).get()
    return strategy_for().offer_for(loaded)


def test_offer_gives_price_range_and_the_owner_margin_per_sku(listing):
    result = offer(listing)

    assert result.is_available
    assert (result.price_from, result.price_to) == (1990, 2190)
    assert {s.code: s.margin for s in result.skus} == {"RED-M": 990, "BLUE-L": 1190}


def test_sold_out_when_no_sku_has_stock(listing):
    for sku in listing.product.skus.all():
        inventory.stock_set(sku=sku, quantity=0)

    result = offer(listing)

    assert result.unavailable_reason == Unavailable.SOLD_OUT


def test_suspended_shop_and_supplier_and_unpublished_product_are_unavailable(listing, operator):
    services.shop_suspend(shop=listing.shop, operator=operator, reason="x")
    assert offer(listing).unavailable_reason == Unavailable.SHOP_SUSPENDED
    services.shop_reinstate(shop=listing.shop, operator=operator)

    catalog.supplier_suspend(supplier=listing.product.supplier, operator=operator, reason="x")
    assert offer(listing).unavailable_reason == Unavailable.SUPPLIER_SUSPENDED


def test_unpublished_product_is_unavailable(listing):
    catalog.product_unpublish(product=listing.product, actor=listing.product.supplier.owner)

    assert offer(listing).unavailable_reason == Unavailable.UNPUBLISHED


def test_offer_for_preloaded_listings_runs_no_queries(supplier, django_assert_num_queries):
    shop = make_shop()
    for n in range(5):
        make_listing(shop, make_product(supplier, title=f"P{n}"))
    listings = list(selectors.listing_offer_queryset(selectors.storefront_listings(shop=shop)))

    with django_assert_num_queries(0):
        offers = [strategy_for().offer_for(listing) for listing in listings]

    assert len(offers) == 5

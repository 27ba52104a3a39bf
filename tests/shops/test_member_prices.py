"""Member prices: her level's discount lowers the owner's retail price in that shop only, rounded
in her favour but never below the SKU's minimum price or its supply price; visitors pay retail;
the strategy asks the database once, whatever the page shows."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.buying import pay, place
from tests.factories import make_listing, make_product, sku_input
from tests.fans.points_kit import levels, loyalty_on
from vshop.catalog.models import Sku
from vshop.fans.models import ShopFan
from vshop.fans.records import shop_fan_ensure
from vshop.orders.models import OrderLine
from vshop.shops import selectors
from vshop.shops.models import Listing
from vshop.shops.strategy import member_price, strategy_for

pytestmark = pytest.mark.django_db


def _member(user, shop, percent):
    loyalty_on(shop, points_per_yuan=0)
    (level,) = levels(shop, ("VIP", 0, percent))
    record = shop_fan_ensure(shop_id=shop.pk, user=user, source="follow")
    ShopFan.objects.filter(pk=record.pk).update(level=level)
    return level


def _offer(listing, buyer):
    row = selectors.listing_offer_queryset(Listing.objects.filter(pk=listing.pk)).get()
    return strategy_for(buyer=buyer).offer_for(row)


def test_member_price_rounds_the_discount_down_and_respects_the_bounds():
    sku = Sku(supply_price=1000, min_price=1500)
    assert member_price(1990, 10, sku) == 1791  # 199.0 off
    assert member_price(1995, 10, sku) == 1796  # 199.5 off → 199
    assert member_price(1990, 50, sku) == 1500  # never below the minimum price
    assert member_price(1990, 0, sku) == 1990
    own = Sku(supply_price=0, min_price=1)
    assert member_price(3, 90, own) == 1  # 2.7 off → 2


def test_a_member_sees_her_price_and_a_visitor_the_retail_price(shop, listing, fan):
    _member(fan, shop, 10)
    mine = _offer(listing, fan)
    assert [s.price for s in mine.skus] == [1791, 1971]
    assert mine.is_member_price and mine.skus[0].retail_price == 1990
    visitor = _offer(listing, None)
    assert [s.price for s in visitor.skus] == [1990, 2190] and not visitor.is_member_price


def test_her_level_in_one_shop_does_not_lower_prices_in_another(shop, other_shop, product, fan):
    _member(fan, shop, 20)
    theirs = make_listing(other_shop, product)
    assert [s.price for s in _offer(theirs, fan).skus] == [1990, 2190]


def test_a_member_pays_the_member_price_at_checkout(shop, supplier, fan):
    listing = make_listing(shop, make_product(supplier, skus=[sku_input("A", supply=1000)]))
    _member(fan, shop, 50)
    pay(place(fan, listing))
    line = OrderLine.objects.get()
    assert line.unit_price == 1500 and line.unit_price >= line.supply_price


def test_the_strategy_asks_once_for_all_her_levels(
    shop, listing, other_shop, product, fan, django_assert_num_queries
):
    _member(fan, shop, 10)
    theirs = make_listing(other_shop, product)
    rows = list(
        selectors.listing_offer_queryset(Listing.objects.filter(pk__in=[listing.pk, theirs.pk]))
    )
    strategy = strategy_for(buyer=fan)
    with django_assert_num_queries(1):
        for row in rows:
            strategy.offer_for(row)
    with django_assert_num_queries(0):
        strategy_for(buyer=None).offer_for(rows[0])


def test_the_listing_page_marks_the_member_price(shop, listing, fan):
    _member(fan, shop, 10)
    client = Client()
    client.force_login(fan)
    page = client.get(f"/s/{shop.slug}/l/{listing.pk}/")
    assert page.status_code == 200
    assert "Member price" in page.content.decode()
    assert "Member price" not in Client().get(f"/s/{shop.slug}/l/{listing.pk}/").content.decode()

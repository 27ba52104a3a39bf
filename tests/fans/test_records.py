"""Purchases feed each fan's record: orders, spend, first and last order, her city as she
allows; one checkout across shops updates each shop's record; promoters become fans."""

from __future__ import annotations

import pytest

from tests.buying import make_address, pay, place
from tests.factories import make_listing, make_product, make_user
from tests.fans.points_kit import record_of
from vshop.distribution import services as distribution
from vshop.fans.models import FanSource, PrivacySettings, ShopFan
from vshop.orders.models import Order

pytestmark = pytest.mark.django_db


def test_a_first_purchase_makes_her_a_fan_with_the_order_figures(shop, listing, fan):
    make_address(fan, city="Suzhou")
    checkout = pay(place(fan, listing, quantity=2))
    record = record_of(fan, shop)
    order = Order.objects.get(checkout=checkout)
    assert record.source == FanSource.ORDER
    assert (record.order_count, record.total_spend) == (1, order.total)
    assert record.first_order_at == record.last_order_at == order.paid_at
    assert record.city == "Suzhou"
    second = Order.objects.get(checkout=pay(place(fan, listing)))
    record = record_of(fan, shop)
    assert record.order_count == 2 and record.total_spend == order.total + second.total
    assert record.first_order_at == order.paid_at and record.last_order_at == second.paid_at


def test_an_unpaid_order_does_not_count(shop, listing, fan):
    place(fan, listing)
    assert not ShopFan.objects.filter(user=fan).exists()


def test_her_city_stays_hidden_when_she_hides_it(shop, listing, fan):
    PrivacySettings.objects.create(user=fan, share_city=False)
    pay(place(fan, listing))
    assert record_of(fan, shop).city == ""


def test_one_checkout_across_shops_updates_each_shops_record(
    shop, listing, other_shop, supplier, fan
):
    theirs = make_listing(other_shop, make_product(supplier))
    pay(place(fan, listing, theirs))
    mine, other = record_of(fan, shop), record_of(fan, other_shop)
    assert (mine.order_count, other.order_count) == (1, 1)
    assert mine.total_spend == Order.objects.get(shop=shop).total
    assert other.total_spend == Order.objects.get(shop=other_shop).total


def test_a_new_promoter_becomes_a_fan(shop):
    distribution.programme_update(
        owner=shop.owner, shop=shop, data={"is_enabled": True, "join_policy": "open"}
    )
    user = make_user()
    distribution.promoter_join(user=user, shop=shop)
    assert record_of(user, shop).source == FanSource.PROMOTER

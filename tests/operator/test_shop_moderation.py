"""Operators suspend, reinstate and verify shops in the console, through the shop services: a
suspended shop cannot sell, and the one place that answers availability says so."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_listing, make_product
from vshop.shops import services as shops
from vshop.shops.errors import ShopSuspended
from vshop.shops.models import ShopStatus
from vshop.shops.selectors import listing_offer_queryset
from vshop.shops.strategy import Unavailable, strategy_for

pytestmark = pytest.mark.django_db

SHOPS = reverse("admin:shops_shop_changelist")


def act(client, action: str, *rows, **extra: str):
    return client.post(SHOPS, {"action": action, "_selected_action": [r.pk for r in rows], **extra})


def test_suspended_shop_cannot_sell_and_says_why(client, operator, shop, supplier, category):
    # given a shop with a listing fans can buy
    listing = make_listing(shop, make_product(supplier, category=category))
    another = make_product(supplier, category=category)
    version = shop.content_version
    client.force_login(operator)
    # when an operator suspends it from the console, with a reason
    asked = act(client, "suspend", shop)
    assert 'name="reason"' in asked.content.decode()
    response = act(client, "suspend", shop, apply="Suspend", reason="Selling fake brands")
    assert response.status_code == 302
    # then the shop is suspended, its pages refresh, and it cannot sell
    shop.refresh_from_db()
    assert shop.status == ShopStatus.SUSPENDED
    assert shop.status_reason == "Selling fake brands"
    assert shop.content_version > version
    offer = strategy_for().offer_for(listing_offer_queryset().get(pk=listing.pk))
    assert not offer.is_available
    assert offer.unavailable_reason == Unavailable.SHOP_SUSPENDED
    assert "suspended" in offer.unavailable_message
    # nor add anything to sell
    with pytest.raises(ShopSuspended):
        shops.listing_add_from_catalog(shop=shop, actor=shop.owner, product_id=another.pk)


def test_reinstated_shop_sells_again(client, operator, listing):
    shop = listing.shop
    shops.shop_suspend(shop=shop, operator=operator, reason="check")
    client.force_login(operator)
    act(client, "reinstate", shop)
    shop.refresh_from_db()
    assert shop.status == ShopStatus.ACTIVE and shop.status_reason == ""
    offer = strategy_for().offer_for(listing_offer_queryset().get(pk=listing.pk))
    assert offer.is_available


def test_operator_gives_and_removes_the_verified_badge(client, operator, shop, other_shop):
    client.force_login(operator)
    act(client, "verify", shop, other_shop)
    shop.refresh_from_db()
    other_shop.refresh_from_db()
    assert shop.is_verified and other_shop.is_verified
    act(client, "unverify", other_shop)
    other_shop.refresh_from_db()
    assert not other_shop.is_verified
    assert list(client.get(SHOPS, {"is_verified__exact": "1"}).context["cl"].result_list) == [shop]


def test_shops_are_found_by_name_address_or_owner_and_filtered_by_status(
    client, operator, shop, other_shop
):
    shops.shop_suspend(shop=other_shop, operator=operator, reason="x")
    client.force_login(operator)
    for q in (shop.name, shop.slug, shop.owner.email):
        assert list(client.get(SHOPS, {"q": q}).context["cl"].result_list) == [shop]
    suspended = client.get(SHOPS, {"status__exact": "suspended"}).context["cl"].result_list
    assert list(suspended) == [other_shop]


def test_shop_rows_cannot_be_edited_or_deleted_in_the_console(client, operator, shop):
    # the console changes shops only through the actions above, which call the services
    client.force_login(operator)
    url = reverse("admin:shops_shop_change", args=[shop.pk])
    client.post(url, {"name": "Renamed", "slug": "renamed"})
    shop.refresh_from_db()
    assert shop.name != "Renamed"
    assert client.get(reverse("admin:shops_shop_delete", args=[shop.pk])).status_code == 403

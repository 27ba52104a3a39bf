"""Paying with points at checkout: within the shop's cap and her balance, off the owner's margin
only, spread exactly over the lines; refused with nothing written; given back when the checkout
closes unpaid; the book still balances and commission comes out of the discounted margin."""

from __future__ import annotations

import pytest

from tests.api.conftest import client_for
from tests.buying import add_to_cart, committed, make_address, pay
from tests.factories import make_listing, make_product, make_supplier, make_user, sku_input
from tests.fans.points_kit import assert_books_balance, give_points, loyalty_on, record_of
from tests.races import race
from vshop.distribution import services as distribution
from vshop.errors import DomainError
from vshop.fans.models import PointsEntry, PointsKind
from vshop.inventory.models import Stock
from vshop.ledger.checks import ledger_check
from vshop.ledger.models import OrderSplit
from vshop.orders import services as orders
from vshop.orders.models import Checkout, Order, OrderLine
from vshop.orders.states import Role

pytestmark = pytest.mark.django_db


def _place(buyer, *listings, points=None, quantity=1):
    for listing in listings:
        add_to_cart(buyer, listing, quantity=quantity)
    return _check_out(buyer, points=points)


def _check_out(buyer, *, points=None):
    """Check out what is in her cart (a refused checkout leaves the cart as it was)."""
    address = make_address(buyer)
    with committed():
        return orders.checkout_place(buyer=buyer, address_id=address.pk, points=points)


def test_points_take_yuan_off_the_owner_margin_spread_over_lines(shop, listing, supplier, fan):
    loyalty_on(shop, points_per_yuan_off=100, max_points_percent=50)
    second = make_listing(shop, make_product(supplier, skus=[sku_input("B", supply=500)]))
    give_points(fan, shop, 1000)
    # Two lines: ¥19.90 (margin 990) and ¥19.90 (margin 1490): 1000 points = ¥10 off.
    checkout = _place(fan, listing, second, points={shop.pk: 1000})
    order = Order.objects.get(checkout=checkout)
    assert (order.points_spent, order.points_discount) == (1000, 1000)
    assert order.items_total == 3980 - 1000 and checkout.total == order.total == 2980
    lines = list(OrderLine.objects.filter(order=order).order_by("pk"))
    assert sum(x.points_discount for x in lines) == 1000
    for x in lines:
        assert x.line_total == x.unit_price * x.quantity - x.points_discount
        assert x.points_discount <= (x.unit_price - x.supply_price) * x.quantity
    assert [x.points_discount for x in lines] == [399, 601]  # by margin 990 : 1490
    fan_record = record_of(fan, shop)
    assert fan_record.points == 0
    assert_books_balance(fan_record)


def test_over_her_balance_is_refused_and_nothing_is_written(shop, listing, fan):
    loyalty_on(shop)
    give_points(fan, shop, 300)
    stock_before = Stock.objects.get(sku=listing.product.skus.first()).reserved
    with pytest.raises(DomainError) as caught:
        _place(fan, listing, points={shop.pk: 301})
    assert caught.value.code == "insufficient_points" and caught.value.status == 400
    assert not Checkout.objects.exists() and not Order.objects.exists()
    assert Stock.objects.get(sku=listing.product.skus.first()).reserved == stock_before
    assert record_of(fan, shop).points == 300


def test_over_the_cap_is_refused_saying_the_maximum(shop, listing, fan):
    loyalty_on(shop, points_per_yuan_off=100, max_points_percent=10)
    give_points(fan, shop, 5000)
    with pytest.raises(DomainError) as caught:
        _place(fan, listing, points={shop.pk: 200})  # 10% of ¥19.90 = 199 fen = 199 points
    assert caught.value.code == "points_over_cap"
    assert "199" in caught.value.message
    assert caught.value.details["max_points"] == 199
    assert not Checkout.objects.exists()
    assert PointsEntry.objects.filter(kind=PointsKind.REDEEM).count() == 0


def test_the_supplier_share_is_never_touched(shop, supplier, fan):
    loyalty_on(shop, points_per_yuan_off=1, max_points_percent=100)  # 1 point = ¥1
    cheap = make_listing(shop, make_product(supplier, skus=[sku_input("C", supply=1400)]))
    give_points(fan, shop, 100)
    # Retail 1990, supply 1400: margin 590 → at most 5 points (¥5), never into the ¥14.
    with pytest.raises(DomainError) as caught:
        _place(fan, cheap, points={shop.pk: 6})
    assert caught.value.details["max_points"] == 5
    checkout = _check_out(fan, points={shop.pk: 5})
    line = OrderLine.objects.get(order__checkout=checkout)
    assert line.line_total == 1990 - 500 >= line.supply_price


def test_points_for_a_shop_not_in_the_checkout_are_refused(shop, listing, other_shop, fan):
    loyalty_on(shop)
    loyalty_on(other_shop)
    give_points(fan, other_shop, 500)
    with pytest.raises(DomainError) as caught:
        _place(fan, listing, points={other_shop.pk: 100})
    assert caught.value.status == 400
    assert not Checkout.objects.exists()


def test_points_come_back_when_the_checkout_is_cancelled_or_expires(shop, listing, fan):
    loyalty_on(shop)
    give_points(fan, shop, 800)
    checkout = _place(fan, listing, points={shop.pk: 500})
    assert record_of(fan, shop).points == 300
    with committed():
        orders.checkout_cancel(checkout=checkout, role=Role.BUYER, actor=fan)
    assert record_of(fan, shop).points == 800
    # Expiry: the same path, by the system; counted once even if it runs twice.
    second = _place(fan, listing, points={shop.pk: 800})
    Checkout.objects.filter(pk=second.pk).update(pay_by=second.created_at)
    with committed():
        assert orders.checkout_expire(number=second.number)
        assert not orders.checkout_expire(number=second.number)
    fan_record = record_of(fan, shop)
    assert fan_record.points == 800
    assert PointsEntry.objects.filter(fan=fan_record, kind=PointsKind.RETURN).count() == 2
    assert_books_balance(fan_record)


def test_the_book_balances_and_commission_is_on_the_discounted_margin(shop, listing, fan):
    loyalty_on(shop, points_per_yuan_off=100, max_points_percent=50, points_per_yuan=0)
    distribution.programme_update(
        owner=shop.owner,
        shop=shop,
        data={"is_enabled": True, "join_policy": "open", "level1_rate": 1000},
    )
    promoter_user = make_user()
    promoter = distribution.promoter_join(user=promoter_user, shop=shop)
    from vshop.distribution.models import OrderAttribution

    give_points(fan, shop, 990)
    checkout = _place(fan, listing, points={shop.pk: 990})  # the whole margin of ¥9.90
    order = Order.objects.get(checkout=checkout)
    OrderAttribution.objects.update_or_create(
        order=order, defaults={"shop": shop, "promoter": promoter, "channel": "link"}
    )
    pay(checkout)
    split = OrderSplit.objects.get(order=order)
    assert split.total == order.total == 1000
    assert split.margin == 0 and split.commission1 == 0 and split.supply == 1000
    assert ledger_check() == []


def test_commission_comes_out_of_what_was_really_earned(shop, listing, fan):
    from vshop.distribution.models import OrderAttribution

    loyalty_on(shop, points_per_yuan_off=100, max_points_percent=50, points_per_yuan=0)
    distribution.programme_update(
        owner=shop.owner,
        shop=shop,
        data={"is_enabled": True, "join_policy": "open", "level1_rate": 1000},
    )
    promoter = distribution.promoter_join(user=make_user(), shop=shop)
    give_points(fan, shop, 490)
    checkout = _place(fan, listing, points={shop.pk: 490})
    order = Order.objects.get(checkout=checkout)
    OrderAttribution.objects.update_or_create(
        order=order, defaults={"shop": shop, "promoter": promoter, "channel": "link"}
    )
    pay(checkout)
    split = OrderSplit.objects.get(order=order)
    assert split.margin == 990 - 490
    assert split.commission1 == 50  # 10% of ¥5.00, not of ¥9.90
    assert ledger_check() == []


def test_preview_shows_her_points_and_the_maximum(shop, listing, fan):
    loyalty_on(shop, points_per_yuan_off=100, max_points_percent=50)
    give_points(fan, shop, 300)
    add_to_cart(fan, listing)
    client = client_for(fan)
    body = client.post("/api/checkouts/preview", {}).json()
    (offer,) = body["points"]
    assert offer["shop_id"] == shop.pk and offer["balance"] == 300
    assert offer["max_points"] == 990 and offer["usable"] == 300  # the margin, under 50%
    body = client.post("/api/checkouts/preview", {"points": {str(shop.pk): 200}}).json()
    assert body["points_discount"] == 200 and body["total"] == 1790


def test_api_place_with_points_and_refusals(shop, listing, fan):
    loyalty_on(shop)
    give_points(fan, shop, 300)
    add_to_cart(fan, listing)
    address = make_address(fan)
    client = client_for(fan)
    bad = client.post("/api/checkouts", {"address_id": address.pk, "points": {str(shop.pk): 301}})
    assert bad.status_code == 400 and bad.json()["code"] == "insufficient_points"
    negative = client.post(
        "/api/checkouts", {"address_id": address.pk, "points": {str(shop.pk): -5}}
    )
    assert negative.status_code in (400, 422)
    assert not Checkout.objects.exists()
    with committed():
        ok = client.post(
            "/api/checkouts", {"address_id": address.pk, "points": {str(shop.pk): 300}}
        )
    assert ok.status_code == 201, ok.content
    assert ok.json()["orders"][0]["points_spent"] == 300
    assert ok.json()["total"] == 1690


def test_own_goods_can_be_paid_with_points_but_total_stays_positive(shop, fan, category):
    from vshop.shops import services as shops

    loyalty_on(shop, points_per_yuan_off=100, max_points_percent=100)
    own = shops.listing_create_own_goods(
        shop=shop,
        actor=shop.owner,
        title="Handmade soap",
        category_id=category.pk,
        skus=[shops.OwnSkuInput(code="SOAP", price=1200, stock=4)],
    )
    give_points(fan, shop, 5000)
    with pytest.raises(DomainError) as caught:
        _place(fan, own, points={shop.pk: 1200})
    assert caught.value.details["max_points"] == 1199
    checkout = _check_out(fan, points={shop.pk: 1199})
    assert checkout.total == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_checkouts_spending_the_same_points_at_once_one_fails(shop, listing, supplier):
    loyalty_on(shop)
    fan = make_user()
    give_points(fan, shop, 500)
    address = make_address(fan)
    other = make_listing(shop, make_product(make_supplier()))

    def buy(i: int) -> None:
        target = listing if i == 0 else other
        sku = target.product.skus.order_by("position", "pk").first()
        orders.checkout_place(
            buyer=fan,
            address_id=address.pk,
            items=[(target.pk, sku.pk, 1)],
            points={shop.pk: 400},
        )

    results = race(2, buy)
    assert sorted(results) == ["insufficient_points", "ok"], results
    fan_record = record_of(fan, shop)
    assert fan_record.points == 100
    assert Checkout.objects.count() == 1
    assert_books_balance(fan_record)


def test_the_checkout_page_offers_points_and_places_with_them(shop, listing, fan):
    from django.test import Client

    loyalty_on(shop, points_per_yuan_off=100, max_points_percent=50)
    give_points(fan, shop, 300)
    add_to_cart(fan, listing)
    address = make_address(fan)
    client = Client()
    client.force_login(fan)
    page = client.get("/checkout/").content.decode()
    assert f'name="points_{shop.pk}"' in page and "You have 300 points" in page
    refused = client.post("/checkout/", {"address": str(address.pk), f"points_{shop.pk}": "301"})
    assert refused.status_code == 400 and not Checkout.objects.exists()
    junk = client.post("/checkout/", {"address": str(address.pk), f"points_{shop.pk}": "1e3"})
    assert junk.status_code == 400 and not Checkout.objects.exists()
    with committed():
        placed = client.post("/checkout/", {"address": str(address.pk), f"points_{shop.pk}": "300"})
    assert placed.status_code == 302
    assert Checkout.objects.get().total == 1990 - 300
    assert record_of(fan, shop).points == 0


def test_other_buyers_points_are_never_offered(shop, listing, fan):
    loyalty_on(shop)
    give_points(fan, shop, 300)
    other = make_user()
    add_to_cart(other, listing)
    body = client_for(other).post("/api/checkouts/preview", {}).json()
    assert body["points"][0]["balance"] == 0 and body["points"][0]["usable"] == 0
    address = make_address(other)
    refused = client_for(other).post(
        "/api/checkouts", {"address_id": address.pk, "points": {str(shop.pk): 100}}
    )
    assert refused.status_code == 400 and not Checkout.objects.exists()
    assert record_of(fan, shop).points == 300

"""Checkout: totals from the server only, delivery rules, limits, and refusals that write nothing."""

from __future__ import annotations

import pytest

from tests.api.conftest import client_for
from tests.buying import add_to_cart, committed, make_address, place
from tests.factories import make_listing, make_product, make_supplier, make_user, sku_input
from vshop.errors import DomainError, NotFound
from vshop.inventory.models import Stock
from vshop.orders import services as orders
from vshop.orders.models import CartLine, Checkout, Order, OrderLine
from vshop.shops import services as shops

pytestmark = pytest.mark.django_db


def _nothing_written() -> None:
    assert not Checkout.objects.exists()
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()


def test_delivery_fee_flat_and_free_over_an_amount(supplier, shop, fan):
    orders.delivery_rule_set(actor=supplier.owner, flat_fee=800, free_over=5000)
    listing = make_listing(shop, make_product(supplier, skus=[sku_input("A", stock=50)]))
    one = place(fan, listing, quantity=1)  # 1 × ¥19.90: under ¥50, pays ¥8 delivery
    assert (one.items_total, one.delivery_total, one.total) == (1990, 800, 2790)
    three = place(fan, listing, quantity=3)  # ¥59.70: free delivery
    assert (three.items_total, three.delivery_total, three.total) == (5970, 0, 5970)


def test_each_fulfiller_charges_its_own_delivery_once(supplier, shop, fan):
    other = make_supplier()
    orders.delivery_rule_set(actor=supplier.owner, flat_fee=500, free_over=None)
    orders.delivery_rule_set(actor=other.owner, flat_fee=700, free_over=None)
    a1 = make_listing(shop, make_product(supplier))
    a2 = make_listing(shop, make_product(supplier))
    b = make_listing(shop, make_product(other))
    checkout = place(fan, a1, a2, b)
    fees = sorted(Order.objects.filter(checkout=checkout).values_list("delivery_fee", flat=True))
    assert fees == [500, 700]
    assert checkout.delivery_total == 1200


def test_own_goods_are_an_order_of_their_own_shipped_by_the_owner(supplier, shop, fan, category):
    own = shops.listing_create_own_goods(
        shop=shop,
        actor=shop.owner,
        title="Handmade soap",
        category_id=category.pk,
        skus=[shops.OwnSkuInput(code="SOAP", price=1200, stock=4)],
    )
    orders.delivery_rule_set(actor=shop.owner, shop=shop, flat_fee=600, free_over=None)
    catalogue = make_listing(shop, make_product(supplier))
    checkout = place(fan, own, catalogue)
    own_order = Order.objects.get(checkout=checkout, supplier__isnull=True)
    assert own_order.shop == shop and own_order.total == 1200 + 600
    assert Order.objects.get(checkout=checkout, supplier=supplier).delivery_fee == 0


def test_prices_come_from_the_listing_not_from_anything_the_client_says(supplier, shop, fan):
    listing = make_listing(shop, make_product(supplier, skus=[sku_input("A", stock=5)]))
    sku = listing.product.skus.get()
    client = client_for(fan)
    address = make_address(fan)
    client.post("/api/cart/lines", {"listing_id": listing.pk, "sku_id": sku.pk, "quantity": 1})
    for tampered in ({"total": 1}, {"unit_price": 1}, {"discount": 1990}, {"shop_id": 999}):
        response = client.post("/api/checkouts", {"address_id": address.pk, **tampered})
        assert response.status_code == 422, response.content
    _nothing_written()
    with committed():
        response = client.post("/api/checkouts", {"address_id": address.pk})
    assert response.status_code == 201
    assert response.json()["total"] == 1990


@pytest.mark.parametrize("quantity", [0, -1, 100])
def test_quantity_zero_negative_or_over_the_limit_is_refused(supplier, shop, fan, quantity):
    listing = make_listing(shop, make_product(supplier))
    sku = listing.product.skus.first()
    with pytest.raises(DomainError) as exc:
        orders.cart_add(
            cart=orders.cart_of_user(user=fan),
            listing_id=listing.pk,
            sku_id=sku.pk,
            quantity=quantity,
        )
    assert exc.value.code == "quantity_not_allowed" and exc.value.status == 400
    assert not CartLine.objects.exists()


def test_a_sku_purchase_limit_holds_across_adds(supplier, shop, fan):
    product = make_product(supplier, skus=[sku_input("A", stock=50)])
    product.skus.update(purchase_limit=3)
    listing = make_listing(shop, product)
    add_to_cart(fan, listing, quantity=2)
    with pytest.raises(DomainError) as exc:
        add_to_cart(fan, listing, quantity=2)
    assert exc.value.code == "quantity_not_allowed"
    assert CartLine.objects.get().quantity == 2


def test_unknown_or_another_buyers_address_is_not_found(supplier, shop, fan):
    listing = make_listing(shop, make_product(supplier))
    add_to_cart(fan, listing)
    someone_else = make_address(make_user())
    for address_id in (someone_else.pk, 999_999):
        with pytest.raises(NotFound):
            orders.checkout_place(buyer=fan, address_id=address_id)
    _nothing_written()
    assert CartLine.objects.count() == 1


def test_a_listing_of_a_suspended_shop_cannot_be_bought(supplier, shop, fan, operator):
    listing = make_listing(shop, make_product(supplier))
    add_to_cart(fan, listing)
    address = make_address(fan)
    shops.shop_suspend(shop=shop, operator=operator, reason="Fake reviews")
    with pytest.raises(DomainError) as exc:
        orders.checkout_place(buyer=fan, address_id=address.pk)
    assert exc.value.code == "unavailable" and exc.value.status == 400
    _nothing_written()
    with pytest.raises(DomainError):
        add_to_cart(fan, listing)


def test_not_enough_stock_refuses_the_whole_checkout_and_writes_nothing(supplier, shop, fan):
    plenty = make_listing(shop, make_product(supplier, skus=[sku_input("P", stock=10)]))
    scarce = make_listing(shop, make_product(supplier, skus=[sku_input("S", stock=1)]))
    add_to_cart(fan, plenty, quantity=2)
    add_to_cart(fan, scarce, quantity=2)
    address = make_address(fan)
    with pytest.raises(DomainError) as exc:
        orders.checkout_place(buyer=fan, address_id=address.pk)
    assert exc.value.code == "out_of_stock"
    _nothing_written()
    assert sorted(Stock.objects.values_list("quantity", "reserved")) == [(1, 0), (10, 0)]
    assert CartLine.objects.count() == 2


def test_an_empty_cart_cannot_check_out(fan):
    address = make_address(fan)
    with pytest.raises(DomainError) as exc:
        orders.checkout_place(buyer=fan, address_id=address.pk)
    assert exc.value.code == "cart_empty"


def test_a_guest_cart_joins_the_account_cart_on_login(supplier, shop, fan):
    from tests.factories import PASSWORD

    listing = make_listing(shop, make_product(supplier))
    sku = listing.product.skus.first()
    from django.test import Client

    browser = Client()
    response = browser.post(
        "/api/cart/lines",
        {"listing_id": listing.pk, "sku_id": sku.pk, "quantity": 2},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["items_total"] == 2 * 1990
    browser.post(
        "/api/accounts/login",
        {"identifier": fan.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert CartLine.objects.get(cart__user=fan).quantity == 2
    assert browser.get("/api/cart").json()["items_total"] == 2 * 1990


def test_the_address_book_keeps_one_default(fan):
    first = make_address(fan)
    second = make_address(fan, is_default=True)
    first.refresh_from_db()
    assert second.is_default and not first.is_default
    orders.address_delete(user=fan, address_id=second.pk)
    first.refresh_from_db()
    assert first.is_default
    with pytest.raises(DomainError):
        make_address(fan, mobile="12345")


def test_a_supplier_sets_a_purchase_limit_through_the_api(supplier, shop, fan, category):
    from tests.api.conftest import client_for as api_client

    response = api_client(supplier.owner).post(
        "/api/supplier/products",
        {
            "title": "Limited edition",
            "category_id": category.pk,
            "skus": [
                {
                    "code": "LTD",
                    "supply_price": 1000,
                    "min_price": 1500,
                    "max_price": 3000,
                    "suggested_price": 1990,
                    "stock": 50,
                    "purchase_limit": 2,
                }
            ],
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["skus"][0]["purchase_limit"] == 2
    from vshop.catalog import services as catalog
    from vshop.catalog.models import Product

    product = Product.objects.get(title="Limited edition")
    catalog.product_publish(product=product, actor=supplier.owner)
    listing = make_listing(shop, product)
    with pytest.raises(DomainError) as exc:
        add_to_cart(fan, listing, quantity=3)
    assert exc.value.code == "quantity_not_allowed"
    too_big = api_client(supplier.owner).post(
        "/api/supplier/products",
        {
            "title": "Too much",
            "category_id": category.pk,
            "skus": [
                {
                    "code": "X",
                    "supply_price": 1,
                    "min_price": 1,
                    "max_price": 1,
                    "suggested_price": 1,
                    "purchase_limit": 1000,
                }
            ],
        },
    )
    assert too_big.status_code == 422

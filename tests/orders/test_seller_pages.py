"""The seller's order pages: a shop owner's orders with her margin, the fulfiller's list, packing
list, shipping, cancelling and after-sales decisions, delivery fees; and that no account ever
sees or moves another's orders on any of them."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from tests.buying import add_to_cart, committed, make_address, pay, place, ship
from tests.factories import (
    image_upload,
    make_listing,
    make_product,
    make_shop,
    make_supplier,
    make_user,
    sku_input,
)
from vshop.accounts.models import User
from vshop.orders import after_sales
from vshop.orders import services as orders
from vshop.orders.models import AfterSalesRequest, DeliveryRule, Order
from vshop.orders.states import AfterSalesStatus, OrderStatus
from vshop.shops import services as shops
from vshop.shops.models import Listing, Shop

pytestmark = pytest.mark.django_db

SHOP_ORDERS = reverse("orders:shop_orders")
FULFIL = reverse("orders:fulfil_list")
PACKING = reverse("orders:packing_list")
DELIVERY = reverse("orders:delivery_rules")


def shop_order_url(order: Order) -> str:
    return reverse("orders:shop_order", args=[order.number])


def fulfil_url(order: Order) -> str:
    return reverse("orders:fulfil_detail", args=[order.number])


def listed(response) -> list[str]:
    """The order numbers on a list page."""
    assert response.status_code == 200
    return [o.number for o in response.context["page"].object_list]


def paid_order(buyer: User, listing: Listing, *, quantity: int = 1) -> Order:
    checkout = pay(place(buyer, listing, quantity=quantity))
    return checkout.orders.get()


def own_goods_listing(shop: Shop, category_id: int) -> Listing:
    return shops.listing_create_own_goods(
        shop=shop,
        actor=shop.owner,
        title="Hand-knitted scarf",
        category_id=category_id,
        skus=[shops.OwnSkuInput(code="SCARF", price=5000, stock=5)],
    )


def ask_refund(order: Order, *, kind: str = "refund_only", **extra: object) -> AfterSalesRequest:
    assert order.buyer is not None
    with committed():
        return after_sales.after_sales_request(
            buyer=order.buyer, order_number=order.number, kind=kind, reason="damaged", **extra
        )


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, data: dict[str, str]):
    with committed():  # refunds go to the gateway when the change commits
        return client.post(url, data)


# --- the shop owner's orders ---------------------------------------------------------------


def test_shop_owner_sees_her_order_with_margin_and_only_the_buyers_city(listing, fan):
    # given a paid order of a catalogue product sold at 19.90, supplied at 10.00
    order = paid_order(fan, listing, quantity=2)
    client = as_user(listing.shop.owner)
    # the list shows it
    page = client.get(SHOP_ORDERS)
    assert page.status_code == 200
    assert order.number in page.content.decode()
    # when she opens it
    page = client.get(shop_order_url(order))
    body = page.content.decode()
    # then she sees what she earns per line and on the order
    assert page.status_code == 200
    assert "¥9.90 × 2 = ¥19.80" in body
    assert page.context["margin_total"] == 2 * (1990 - 1000)
    # and the buyer's city, but not her street, full name or mobile number
    assert "Hangzhou" in body
    assert "1 Lingyin Road" not in body
    assert "13800138000" not in body
    assert "138****8000" in body
    assert "Li Hua" not in body
    # and nothing to ship: the supplier does that
    assert 'value="ship"' not in body
    assert fulfil_url(order) not in body
    # and the history of the order
    assert [row.status for row in page.context["history"]] == [
        "Waiting for payment",
        "Paid, to be shipped",
    ]


def test_shop_orders_filter_by_status_and_shop(listing, fan, category):
    owner = listing.shop.owner
    second = make_shop(owner)
    own = own_goods_listing(second, category.pk)
    catalogue_order = paid_order(fan, listing)
    own_order = paid_order(fan, own)
    ship(catalogue_order)
    client = as_user(owner)

    def shown(**query: object) -> set[str]:
        return set(listed(client.get(SHOP_ORDERS, query)))

    assert shown() == {catalogue_order.number, own_order.number}
    assert shown(status="shipped") == {catalogue_order.number}
    assert shown(status="paid") == {own_order.number}
    assert shown(shop=second.pk) == {own_order.number}
    assert shown(shop=listing.shop.pk, status="paid") == set()


def test_shop_orders_with_a_bad_filter_answer_400_with_a_message(listing, fan, other_shop):
    paid_order(fan, listing)
    client = as_user(listing.shop.owner)
    response = client.get(SHOP_ORDERS, {"status": "stolen"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    # another owner's shop is not one she can choose: and its orders never show
    rival_order = paid_order(fan, make_listing(other_shop, listing.product))
    response = client.get(SHOP_ORDERS, {"shop": other_shop.pk})
    assert response.status_code == 400
    assert rival_order.number not in response.content.decode()


def test_shop_orders_are_paginated(supplier, shop, fan, settings):
    from vshop.orders import seller_views

    listing = make_listing(shop, make_product(supplier, skus=[sku_input("A", stock=50)]))
    for _ in range(seller_views.PAGE_SIZE + 1):
        place(fan, listing)
    client = as_user(shop.owner)
    first = client.get(SHOP_ORDERS)
    assert len(first.context["page"].object_list) == seller_views.PAGE_SIZE
    assert "page=2" in first.content.decode()
    second = client.get(SHOP_ORDERS, {"page": 2})
    assert len(second.context["page"].object_list) == 1


def test_own_goods_order_links_to_its_fulfilment_page(shop, fan, category):
    order = paid_order(fan, own_goods_listing(shop, category.pk))
    body = as_user(shop.owner).get(shop_order_url(order)).content.decode()
    assert fulfil_url(order) in body
    assert 'data-testid="margin"' not in body  # all of the price is hers


def test_shop_owner_never_sees_another_shops_orders(listing, fan, other_shop):
    rival_order = paid_order(fan, make_listing(other_shop, listing.product))
    mine = paid_order(fan, listing)
    client = as_user(listing.shop.owner)
    assert client.get(shop_order_url(rival_order)).status_code == 404
    assert client.get(fulfil_url(rival_order)).status_code == 404
    listed = client.get(SHOP_ORDERS).content.decode()
    assert mine.number in listed
    assert rival_order.number not in listed


def test_shop_owner_cannot_ship_or_cancel_a_suppliers_order(listing, fan):
    order = paid_order(fan, listing)
    client = as_user(listing.shop.owner)
    assert client.get(fulfil_url(order)).status_code == 404
    for data in (
        {"action": "ship", "carrier": "SF", "tracking_number": "SF1"},
        {"action": "cancel", "reason": "I changed my mind"},
    ):
        assert post(client, fulfil_url(order), data).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.number not in client.get(FULFIL, {"tab": "all"}).content.decode()


# --- fulfilment ----------------------------------------------------------------------------


def test_supplier_ships_an_order_from_its_list(listing, fan, supplier):
    order = paid_order(fan, listing)
    client = as_user(supplier.owner)
    # the order waits under "to ship", with the full address on its page
    assert listed(client.get(FULFIL)) == [order.number]
    page = client.get(fulfil_url(order))
    assert page.status_code == 200
    assert "1 Lingyin Road" in page.content.decode()
    assert "13800138000" in page.content.decode()
    # when it ships it with a carrier and a tracking number
    response = post(
        client,
        fulfil_url(order),
        {"action": "ship", "carrier": "SF Express", "tracking_number": "SF100200300"},
    )
    # then the order is shipped and moves to the "shipped" tab
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_number) == (
        OrderStatus.SHIPPED,
        "SF Express",
        "SF100200300",
    )
    assert listed(client.get(FULFIL)) == []
    assert listed(client.get(FULFIL, {"tab": "shipped"})) == [order.number]


def test_shipping_without_a_tracking_number_is_refused_and_changes_nothing(listing, fan, supplier):
    order = paid_order(fan, listing)
    response = post(
        as_user(supplier.owner),
        fulfil_url(order),
        {"action": "ship", "carrier": "SF Express", "tracking_number": "  "},
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    order.refresh_from_db()
    assert (order.status, order.tracking_number) == (OrderStatus.PAID, "")


def test_shipping_twice_answers_409_with_the_message(listing, fan, supplier):
    order = paid_order(fan, listing)
    ship(order)
    response = post(
        as_user(supplier.owner),
        fulfil_url(order),
        {"action": "ship", "carrier": "YTO", "tracking_number": "YT1"},
    )
    assert response.status_code == 409
    assert "present state" in response.content.decode()
    order.refresh_from_db()
    assert order.tracking_number == "SF1234567890"


def test_fulfiller_cancels_and_refunds_only_with_a_reason(listing, fan, supplier):
    order = paid_order(fan, listing)
    client = as_user(supplier.owner)
    assert "Cancel this order and refund the buyer in full?" in (
        client.get(fulfil_url(order)).content.decode()
    )  # the browser asks before the form is sent
    response = post(client, fulfil_url(order), {"action": "cancel", "reason": ""})
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    response = post(client, fulfil_url(order), {"action": "cancel", "reason": "Broken in stock"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.refunded_total) == (OrderStatus.CANCELLED, order.total)


def test_unknown_action_answers_400(listing, fan, supplier):
    order = paid_order(fan, listing)
    assert post(as_user(supplier.owner), fulfil_url(order), {"action": "steal"}).status_code == 400


def test_approving_a_refund_only_request_refunds_the_buyer(listing, fan, supplier):
    order = paid_order(fan, listing)
    ship(order)
    request = ask_refund(order, description="Torn seam", photos=[image_upload()])
    client = as_user(supplier.owner)
    # the request shows under "after-sales open", with its photo as a thumbnail and a link
    assert listed(client.get(FULFIL, {"tab": "after_sales"})) == [order.number]
    body = client.get(fulfil_url(order)).content.decode()
    photo = request.photos.get()
    assert photo.thumbnail.url in body
    assert f'href="{photo.image.url}"' in body
    assert "Torn seam" in body
    # when the supplier approves it
    response = post(
        client,
        fulfil_url(order),
        {"action": "approve", "request_number": request.number, "note": "Sorry!"},
    )
    # then the buyer is refunded and the order closes
    assert response.status_code == 302
    request.refresh_from_db()
    order.refresh_from_db()
    assert request.status == AfterSalesStatus.REFUNDED
    assert (order.status, order.refunded_total) == (OrderStatus.REFUNDED, order.total)
    assert listed(client.get(FULFIL, {"tab": "after_sales"})) == []


def test_rejecting_needs_a_reason(listing, fan, supplier):
    order = paid_order(fan, listing)
    ship(order)
    request = ask_refund(order)
    client = as_user(supplier.owner)
    data = {"action": "reject", "request_number": request.number, "note": ""}
    response = post(client, fulfil_url(order), data)
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.REQUESTED
    response = post(client, fulfil_url(order), {**data, "note": "The photo shows no damage"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.decision_note) == (
        AfterSalesStatus.REJECTED,
        "The photo shows no damage",
    )


def test_return_and_refund_pays_out_when_the_goods_are_back(listing, fan, supplier):
    order = paid_order(fan, listing)
    ship(order)
    request = ask_refund(order, kind="return_and_refund")
    client = as_user(supplier.owner)
    data = {"action": "approve", "request_number": request.number, "note": ""}
    assert post(client, fulfil_url(order), data).status_code == 302
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.APPROVED
    # "goods received back" only once the buyer has sent them
    receive = {"action": "receive", "request_number": request.number}
    assert post(client, fulfil_url(order), receive).status_code == 409
    with committed():
        after_sales.after_sales_return_shipped(
            buyer=fan, number=request.number, carrier="YTO", tracking_number="YT9"
        )
    assert 'value="receive"' in client.get(fulfil_url(order)).content.decode()
    assert post(client, fulfil_url(order), receive).status_code == 302
    request.refresh_from_db()
    order.refresh_from_db()
    assert request.status == AfterSalesStatus.REFUNDED
    assert order.refunded_total == order.total


def test_a_request_of_another_order_cannot_be_decided_through_this_one(listing, fan, supplier):
    first = paid_order(fan, listing)
    second = paid_order(fan, listing)
    ship(second)
    request = ask_refund(second)
    response = post(
        as_user(supplier.owner),
        fulfil_url(first),
        {"action": "approve", "request_number": request.number},
    )
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.REQUESTED


def test_shop_owner_ships_her_own_goods(shop, fan, category):
    order = paid_order(fan, own_goods_listing(shop, category.pk))
    client = as_user(shop.owner)
    assert listed(client.get(FULFIL)) == [order.number]
    response = post(
        client,
        fulfil_url(order),
        {"action": "ship", "carrier": "ZTO", "tracking_number": "ZT42"},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


def test_an_unknown_tab_answers_400(supplier):
    response = as_user(supplier.owner).get(FULFIL, {"tab": "everything"})
    assert response.status_code == 400
    assert "no such list" in response.content.decode()


# --- the packing list ----------------------------------------------------------------------


def test_packing_list_has_a_row_per_line_of_this_fulfillers_paid_orders_only(
    supplier, shop, fan, category
):
    # given a paid order with two lines, whose note looks like a spreadsheet formula
    product = make_product(supplier, title="Romper")
    listing = make_listing(shop, product)
    add_to_cart(fan, listing, sku_index=0)
    add_to_cart(fan, listing, sku_index=1, quantity=2)
    address = make_address(fan, name="=HYPERLINK(1)")
    with committed():
        checkout = orders.checkout_place(buyer=fan, address_id=address.pk, note="=1+1")
    pay(checkout)
    wanted = checkout.orders.get()
    # and orders that are not its to pack: shipped, unpaid, another supplier's, own goods
    shipped = paid_order(fan, listing)
    ship(shipped)
    unpaid = place(fan, listing).orders.get()
    other = paid_order(fan, make_listing(shop, make_product(make_supplier())))
    own = paid_order(fan, own_goods_listing(shop, category.pk))
    # when the supplier downloads the packing list
    response = as_user(supplier.owner).get(PACKING)
    # then it is a CSV attachment
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="packing-list.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header[:3] == ["Order", "Paid at", "Shop"]
    # one row per line of its paid order, formula-looking cells neutralised
    assert [(r[0], r[6], r[9]) for r in rows] == [
        (wanted.number, "RED-M", "1"),
        (wanted.number, "BLUE-L", "2"),
    ]
    assert {r[3] for r in rows} == {"'=HYPERLINK(1)"}
    assert {r[10] for r in rows} == {"'=1+1"}
    for absent in (shipped, unpaid, other, own):
        assert absent.number not in text


def test_packing_list_of_an_owner_holds_her_own_goods_only(listing, fan, category):
    shop = listing.shop
    catalogue_order = paid_order(fan, listing)
    own = paid_order(fan, own_goods_listing(shop, category.pk))
    text = as_user(shop.owner).get(PACKING).content.decode()
    assert own.number in text
    assert catalogue_order.number not in text


# --- tenant isolation across every page ----------------------------------------------------


def test_supplier_a_never_sees_supplier_b_orders_on_any_page(supplier, shop, fan):
    supplier_b = make_supplier()
    mine = paid_order(fan, make_listing(shop, make_product(supplier)))
    theirs = paid_order(fan, make_listing(shop, make_product(supplier_b)))
    ship(theirs)
    theirs_request = ask_refund(theirs)
    theirs_paid = paid_order(fan, make_listing(shop, make_product(supplier_b)))
    client = as_user(supplier.owner)
    for tab in ("to_ship", "shipped", "after_sales", "all"):
        body = client.get(FULFIL, {"tab": tab}).content.decode()
        assert theirs.number not in body and theirs_paid.number not in body, tab
    assert mine.number in client.get(FULFIL, {"tab": "all"}).content.decode()
    assert theirs_paid.number not in client.get(PACKING).content.decode()
    for order in (theirs, theirs_paid):
        assert client.get(fulfil_url(order)).status_code == 404
        assert client.get(shop_order_url(order)).status_code == 404
    assert listed(client.get(SHOP_ORDERS)) == []
    # nor can it act on them
    for order, data in (
        (theirs_paid, {"action": "ship", "carrier": "SF", "tracking_number": "X1"}),
        (theirs_paid, {"action": "cancel", "reason": "no"}),
        (theirs, {"action": "approve", "request_number": theirs_request.number}),
        (theirs, {"action": "reject", "request_number": theirs_request.number, "note": "no"}),
    ):
        assert post(client, fulfil_url(order), data).status_code == 404
    theirs_paid.refresh_from_db()
    theirs_request.refresh_from_db()
    assert theirs_paid.status == OrderStatus.PAID
    assert theirs_request.status == AfterSalesStatus.REQUESTED


def test_pages_need_a_login_and_posts_a_csrf_token(listing, fan, supplier):
    order = paid_order(fan, listing)
    for url in (SHOP_ORDERS, FULFIL, PACKING, DELIVERY, fulfil_url(order), shop_order_url(order)):
        response = Client().get(url)
        assert response.status_code == 302 and "/login" in response["Location"], url
    client = Client(enforce_csrf_checks=True)
    client.force_login(supplier.owner)
    response = client.post(
        fulfil_url(order), {"action": "ship", "carrier": "SF", "tracking_number": "SF1"}
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


# --- delivery fees -------------------------------------------------------------------------


def test_supplier_sets_its_delivery_fee_in_yuan(supplier):
    client = as_user(supplier.owner)
    page = client.get(DELIVERY)
    assert page.status_code == 200
    assert "free delivery" in page.content.decode()
    response = client.post(
        DELIVERY,
        {"target": "supplier", "supplier-flat_fee": "8", "supplier-free_over": "99.5"},
    )
    assert response.status_code == 302
    rule = DeliveryRule.objects.get(supplier=supplier)
    assert (rule.flat_fee, rule.free_over) == (800, 9950)
    body = client.get(DELIVERY).content.decode()
    assert "¥8" in body and "free from ¥99.50" in body
    # an empty "free from" means never free
    client.post(DELIVERY, {"target": "supplier", "supplier-flat_fee": "6.5"})
    rule.refresh_from_db()
    assert (rule.flat_fee, rule.free_over) == (650, None)


def test_a_bad_amount_shows_the_form_again_and_saves_nothing(supplier):
    client = as_user(supplier.owner)
    for fee in ("abc", "-3", "1.999"):
        response = client.post(DELIVERY, {"target": "supplier", "supplier-flat_fee": fee})
        assert response.status_code == 400, fee
        assert "Enter an amount like 19.90" in response.content.decode()
    assert not DeliveryRule.objects.exists()


def test_shop_owner_sets_a_fee_per_shop_and_only_for_her_shops(shop, other_shop):
    client = as_user(shop.owner)
    key = f"shop-{shop.pk}"
    response = client.post(DELIVERY, {"target": key, f"{key}-flat_fee": "10"})
    assert response.status_code == 302
    assert DeliveryRule.objects.get(shop=shop).flat_fee == 1000
    rival = f"shop-{other_shop.pk}"
    response = client.post(DELIVERY, {"target": rival, f"{rival}-flat_fee": "0"})
    assert response.status_code == 404
    assert not DeliveryRule.objects.filter(shop=other_shop).exists()
    assert 'value="supplier"' not in client.get(DELIVERY).content.decode()


def test_the_fee_is_charged_on_the_next_order(supplier, shop, fan):
    as_user(supplier.owner).post(
        DELIVERY, {"target": "supplier", "supplier-flat_fee": "8", "supplier-free_over": ""}
    )
    order = place(fan, make_listing(shop, make_product(supplier))).orders.get()
    assert order.delivery_fee == 800


# --- the links to these pages --------------------------------------------------------------


def test_owner_and_supplier_pages_link_to_orders(shop, supplier):
    dashboard = as_user(shop.owner).get(reverse("shops:dashboard")).content.decode()
    assert reverse("orders:shop_orders") in dashboard
    assert reverse("orders:fulfil_list") in dashboard
    home = as_user(supplier.owner).get(reverse("catalog:home")).content.decode()
    assert reverse("orders:fulfil_list") in home
    assert reverse("orders:delivery_rules") in home


def test_an_account_with_neither_shop_nor_supplier_sees_empty_pages():
    client = as_user(make_user())
    assert client.get(SHOP_ORDERS).status_code == 200
    assert listed(client.get(FULFIL)) == []
    assert "You ship nothing yet" in client.get(DELIVERY).content.decode()

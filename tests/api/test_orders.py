"""The buying API: cart to paid order through HTTP, Idempotency-Key on writes, bad input as 4xx
with nothing written, and every endpoint scoped to its caller."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import client_for
from tests.buying import committed, make_address, pay, place, ship
from tests.factories import make_listing, make_product, make_supplier, make_user, sku_input
from vshop.orders import after_sales
from vshop.orders.models import AfterSalesRequest, CartLine, Checkout, Order, OrderEvent
from vshop.payments.models import Payment, Refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def goods(supplier, shop):
    return make_listing(shop, make_product(supplier, skus=[sku_input("A", stock=5)]))


def _add(client, listing, quantity=1):
    sku = listing.product.skus.get()
    return client.post(
        "/api/cart/lines", {"listing_id": listing.pk, "sku_id": sku.pk, "quantity": quantity}
    )


def test_from_cart_to_a_paid_order_over_http(goods, fan):
    client = client_for(fan)
    assert _add(client, goods, 2).status_code == 200
    address = client.post(
        "/api/me/addresses",
        {
            "name": "Li Hua",
            "mobile": "13800138000",
            "province": "Zhejiang",
            "city": "Hangzhou",
            "district": "Xihu",
            "detail": "1 Lingyin Road",
        },
    )
    assert address.status_code == 201, address.content
    preview = client.post("/api/checkouts/preview", {"address_id": address.json()["id"]})
    assert preview.json()["total"] == 2 * 1990
    with committed():
        placed = client.post(
            "/api/checkouts", {"address_id": address.json()["id"], "note": "Ring twice"}
        )
    assert placed.status_code == 201, placed.content
    number = placed.json()["number"]
    assert [o["status"] for o in placed.json()["orders"]] == ["pending_payment"]
    assert client.get("/api/payments/gateways").json()[0]["name"] == "sandbox"
    with committed():
        started = client.post(f"/api/payments/checkouts/{number}", {"gateway": "sandbox"})
    assert started.status_code == 201, started.content
    assert started.json()["redirect_url"].startswith("/pay/sandbox/")
    from vshop.payments.gateways.sandbox import sandbox_pay

    with committed():
        sandbox_pay(payment_number=started.json()["number"])
    assert client.get(f"/api/payments/{started.json()['number']}").json()["status"] == "succeeded"
    orders = client.get("/api/orders").json()
    assert orders["count"] == 1 and orders["items"][0]["status"] == "paid"
    detail = client.get(f"/api/orders/{orders['items'][0]['number']}").json()
    assert [h["to_status"] for h in detail["history"]] == ["pending_payment", "paid"]
    assert detail["note"] == "Ring twice"


def test_a_repeated_post_with_the_same_idempotency_key_places_one_checkout(goods, fan):
    client = client_for(fan)
    _add(client, goods, 1)
    address = make_address(fan)
    body = {"address_id": address.pk}
    with committed():
        first = client.post("/api/checkouts", body, headers={"Idempotency-Key": "order-1"})
    with committed():
        again = client.post("/api/checkouts", body, headers={"Idempotency-Key": "order-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Checkout.objects.count() == 1
    different = client.post(
        "/api/checkouts",
        {"address_id": address.pk, "note": "x"},
        headers={"Idempotency-Key": "order-1"},
    )
    assert different.status_code == 422
    assert different.json()["code"] == "idempotency_key_reused"
    # Another account's identical key is another request.
    other = make_user()
    other_client = client_for(other)
    response = other_client.post(
        "/api/checkouts",
        {"address_id": make_address(other).pk},
        headers={"Idempotency-Key": "order-1"},
    )
    assert response.status_code == 400 and response.json()["code"] == "cart_empty"


def test_payments_and_refund_requests_are_idempotent_too(goods, fan):
    client = client_for(fan)
    checkout = place(fan, goods)
    with committed():
        a = client.post(
            f"/api/payments/checkouts/{checkout.number}",
            {"gateway": "sandbox"},
            headers={"Idempotency-Key": "pay-1"},
        )
        b = client.post(
            f"/api/payments/checkouts/{checkout.number}",
            {"gateway": "sandbox"},
            headers={"Idempotency-Key": "pay-1"},
        )
    assert a.json()["number"] == b.json()["number"]
    assert Payment.objects.count() == 1
    pay(checkout)
    order = checkout.orders.get()
    ship(order)
    request = {"kind": "refund_only", "reason": "damaged"}
    with committed():
        a = client.post(
            f"/api/orders/{order.number}/after-sales", request, headers={"Idempotency-Key": "as-1"}
        )
        b = client.post(
            f"/api/orders/{order.number}/after-sales", request, headers={"Idempotency-Key": "as-1"}
        )
    assert a.status_code == b.status_code == 201
    assert AfterSalesRequest.objects.count() == 1


def test_an_invalid_idempotency_key_is_refused(goods, fan):
    client = client_for(fan)
    response = client.post("/api/cart/lines", {}, headers={"Idempotency-Key": "x" * 101})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"quantity": 0}, 422),
        ({"quantity": -1}, 422),
        ({"quantity": 100}, 400),
        ({"quantity": "2"}, 422),
        ({"quantity": 1.5}, 422),
        ({"quantity": 1, "price": 1}, 422),
    ],
)
def test_bad_cart_input_is_a_clear_4xx_and_writes_nothing(goods, fan, body, status):
    sku = goods.product.skus.get()
    response = client_for(fan).post(
        "/api/cart/lines", {"listing_id": goods.pk, "sku_id": sku.pk, **body}
    )
    assert response.status_code == status, response.content
    assert response.json()["message"]
    assert not CartLine.objects.exists()


def test_paying_an_expired_checkout_is_refused(goods, fan):
    from datetime import timedelta

    from django.utils import timezone

    checkout = place(fan, goods)
    Checkout.objects.filter(pk=checkout.pk).update(pay_by=timezone.now() - timedelta(seconds=1))
    with committed():
        response = client_for(fan).post(
            f"/api/payments/checkouts/{checkout.number}", {"gateway": "sandbox"}
        )
    assert response.status_code == 409
    assert response.json()["code"] == "checkout_expired"
    assert not Payment.objects.exists()
    checkout.refresh_from_db()
    assert checkout.status == "cancelled"


def test_an_unknown_gateway_is_refused(goods, fan):
    checkout = place(fan, goods)
    response = client_for(fan).post(
        f"/api/payments/checkouts/{checkout.number}", {"gateway": "bitcoin"}
    )
    assert response.status_code == 400 and response.json()["code"] == "unknown_gateway"


def test_the_supplier_ships_and_downloads_the_packing_list(goods, fan, supplier):
    checkout = pay(place(fan, goods, quantity=2))
    order = checkout.orders.get()
    client = client_for(supplier.owner)
    listing = client.get("/api/fulfilment/orders?status=paid").json()
    assert [o["number"] for o in listing["items"]] == [order.number]
    csv = client.get("/api/fulfilment/orders/packing-list.csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    rows = csv.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 2 and order.number in rows[1] and ",2," in rows[1]
    bad = client.post(
        f"/api/fulfilment/orders/{order.number}/ship", {"carrier": "SF", "tracking_number": ""}
    )
    assert bad.status_code == 400
    with committed():
        ok = client.post(
            f"/api/fulfilment/orders/{order.number}/ship",
            {"carrier": "SF", "tracking_number": "SF1"},
        )
    assert ok.status_code == 200 and ok.json()["status"] == "shipped"
    with committed():
        received = client_for(fan).post(f"/api/orders/{order.number}/confirm-receipt")
    assert received.json()["status"] == "delivered"


# --- isolation ---------------------------------------------------------------------------------


@pytest.fixture
def victim(goods, fan, supplier, shop):
    """A paid and shipped order of the fan's, with an after-sales request, and her address."""
    checkout = pay(place(fan, goods))
    order = checkout.orders.get()
    ship(order)
    with committed():
        request = after_sales.after_sales_request(
            buyer=fan, order_number=order.number, kind="refund_only", reason="damaged"
        )
    address = fan.addresses.get()
    cart_line = CartLine.objects.create(
        cart=__import__("vshop.orders.services", fromlist=["x"]).cart_of_user(user=fan),
        listing=goods,
        sku=goods.product.skus.get(),
        quantity=1,
    )
    payment = Payment.objects.get(checkout=checkout)
    return {
        "order": order.number,
        "checkout": checkout.number,
        "address": address.pk,
        "after_sales": request.number,
        "cart_line": cart_line.pk,
        "payment": payment.number,
        "shop": shop.pk,
    }


BUYER_ENDPOINTS = [
    ("get", "/api/orders/{order}", None),
    ("post", "/api/orders/{order}/cancel", {"reason": "x"}),
    ("post", "/api/orders/{order}/confirm-receipt", {}),
    ("post", "/api/orders/{order}/after-sales", {"kind": "refund_only", "reason": "damaged"}),
    ("post", "/api/orders/after-sales/{after_sales}/withdraw", {}),
    ("post", "/api/orders/after-sales/{after_sales}/dispute", {"reason": "x"}),
    (
        "post",
        "/api/orders/after-sales/{after_sales}/return-shipped",
        {"carrier": "x", "tracking_number": "y"},
    ),
    ("get", "/api/checkouts/{checkout}", None),
    ("post", "/api/checkouts/{checkout}/cancel", {}),
    ("post", "/api/payments/checkouts/{checkout}", {"gateway": "sandbox"}),
    ("get", "/api/payments/{payment}", None),
    ("post", "/api/payments/{payment}/sync", {}),
    (
        "put",
        "/api/me/addresses/{address}",
        {
            "name": "x",
            "mobile": "13800138000",
            "province": "a",
            "city": "b",
            "district": "c",
            "detail": "d",
        },
    ),
    ("delete", "/api/me/addresses/{address}", None),
    ("patch", "/api/cart/lines/{cart_line}", {"quantity": 2}),
    ("delete", "/api/cart/lines/{cart_line}", None),
]

FULFILLER_ENDPOINTS = [
    ("get", "/api/fulfilment/orders/{order}", None),
    ("post", "/api/fulfilment/orders/{order}/ship", {"carrier": "x", "tracking_number": "y"}),
    ("post", "/api/fulfilment/orders/{order}/cancel", {"reason": "x"}),
    ("post", "/api/fulfilment/after-sales/{after_sales}/approve", {"note": ""}),
    ("post", "/api/fulfilment/after-sales/{after_sales}/reject", {"note": "no"}),
    ("post", "/api/fulfilment/after-sales/{after_sales}/receive-return", {}),
]

SHOP_OWNER_ENDPOINTS = [
    ("get", "/api/shop-orders/{order}", None),
    ("put", "/api/fulfilment/shops/{shop}/delivery-rule", {"flat_fee": 1, "free_over": None}),
]


def _snapshot() -> tuple:
    return (
        list(
            Order.objects.order_by("pk").values_list(
                "pk", "status", "refunded_total", "tracking_number"
            )
        ),
        list(AfterSalesRequest.objects.values_list("pk", "status")),
        list(CartLine.objects.values_list("pk", "quantity")),
        OrderEvent.objects.count(),
        Refund.objects.count(),
        Payment.objects.count(),
        list(
            __import__("vshop.orders.models", fromlist=["Address"]).Address.objects.values_list(
                "pk", "name"
            )
        ),
    )


def _call(client, method, path, body):
    if method == "get":
        return client.get(path)
    if method == "delete":
        return client.delete(path)
    if method == "put":
        return client.put(path, json.dumps(body), content_type="application/json")
    if method == "patch":
        return client.patch(path, body)
    return client.post(path, body)


@pytest.mark.parametrize(
    ("method", "path", "body"), BUYER_ENDPOINTS + FULFILLER_ENDPOINTS + SHOP_OWNER_ENDPOINTS
)
def test_nobody_else_reaches_an_order_or_its_buyers_things(victim, method, path, body, other_shop):
    path = path.format(**victim)
    rival_supplier = make_supplier()
    outsiders = [make_user(), other_shop.owner, rival_supplier.owner]
    before = _snapshot()
    for outsider in outsiders:
        with committed():
            response = _call(client_for(outsider), method, path, body)
        assert response.status_code in (403, 404), (
            outsider,
            path,
            response.status_code,
            response.content,
        )
    assert _snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), BUYER_ENDPOINTS)
def test_the_shop_owner_and_the_supplier_cannot_act_as_the_buyer(
    victim, method, path, body, shop, supplier
):
    path = path.format(**victim)
    before = _snapshot()
    for seller in (shop.owner, supplier.owner):
        with committed():
            response = _call(client_for(seller), method, path, body)
        assert response.status_code in (403, 404), (seller, path, response.status_code)
    assert _snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), FULFILLER_ENDPOINTS)
def test_a_shop_owner_cannot_act_as_the_supplier_who_ships(victim, method, path, body, shop, fan):
    path = path.format(**victim)
    before = _snapshot()
    for user in (shop.owner, fan):
        response = _call(client_for(user), method, path, body)
        assert response.status_code in (403, 404), (user, path, response.status_code)
    assert _snapshot() == before


def test_lists_show_only_ones_own(victim, fan, shop, supplier, other_shop):
    stranger = make_user()
    assert client_for(stranger).get("/api/orders").json()["count"] == 0
    assert client_for(other_shop.owner).get("/api/shop-orders").json()["count"] == 0
    assert client_for(shop.owner).get("/api/shop-orders").json()["count"] == 1
    assert client_for(make_supplier().owner).get("/api/fulfilment/orders").json()["count"] == 0
    assert client_for(supplier.owner).get("/api/fulfilment/orders").json()["count"] == 1
    assert client_for(shop.owner).get("/api/fulfilment/orders").json()["count"] == 0
    assert client_for(make_supplier().owner).get("/api/fulfilment/after-sales").json()["count"] == 0
    assert client_for(stranger).get("/api/me/addresses").json() == []
    csv = client_for(make_supplier().owner).get("/api/fulfilment/orders/packing-list.csv")
    assert victim["order"] not in csv.content.decode()
    assert client_for(fan).get("/api/operator/disputes").status_code == 403


def test_buy_now_checks_out_items_without_touching_the_cart(goods, fan, supplier, shop):
    client = client_for(fan)
    other = make_listing(shop, make_product(supplier, skus=[sku_input("B", stock=2)]))
    _add(client, other, 1)
    address = make_address(fan)
    sku = goods.product.skus.get()
    item = {"listing_id": goods.pk, "sku_id": sku.pk, "quantity": 2}
    with committed():
        response = client.post("/api/checkouts", {"address_id": address.pk, "items": [item]})
    assert response.status_code == 201, response.content
    assert response.json()["items_total"] == 2 * 1990
    assert CartLine.objects.filter(listing=other).count() == 1  # the cart is left as it was
    both = client.post(
        "/api/checkouts", {"address_id": address.pk, "items": [item], "cart_line_ids": [1]}
    )
    assert both.status_code == 400
    too_many = client.post(
        "/api/checkouts", {"address_id": address.pk, "items": [{**item, "quantity": 4}]}
    )
    assert too_many.status_code == 400 and too_many.json()["code"] == "out_of_stock"
    unknown = client.post(
        "/api/checkouts", {"address_id": address.pk, "items": [{**item, "listing_id": 999_999}]}
    )
    assert unknown.status_code == 404
    assert Checkout.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/operator/disputes", None),
        ("get", "/api/operator/orders/{order}", None),
        (
            "post",
            "/api/operator/after-sales/{after_sales}/arbitrate",
            {"refund": True, "note": "x"},
        ),
    ],
)
def test_only_operators_reach_the_operator_endpoints(
    victim, method, path, body, fan, shop, supplier
):
    path = path.format(**victim)
    before = _snapshot()
    for user in (fan, shop.owner, supplier.owner, make_user()):
        response = _call(client_for(user), method, path, body)
        assert response.status_code == 403, (user, path, response.status_code)
    assert _snapshot() == before


def test_a_delivery_rule_is_set_only_for_ones_own_supplier_or_shop(fan, shop, other_shop, supplier):
    from vshop.orders.models import DeliveryRule

    assert (
        client_for(fan)
        .put(
            "/api/fulfilment/delivery-rule",
            json.dumps({"flat_fee": 500}),
            content_type="application/json",
        )
        .status_code
        == 403
    )
    response = client_for(supplier.owner).put(
        "/api/fulfilment/delivery-rule",
        json.dumps({"flat_fee": 500, "free_over": 9900}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json() == {"flat_fee": 500, "free_over": 9900}
    assert (
        client_for(other_shop.owner)
        .put(
            f"/api/fulfilment/shops/{shop.pk}/delivery-rule",
            json.dumps({"flat_fee": 1}),
            content_type="application/json",
        )
        .status_code
        == 404
    )
    bad = client_for(shop.owner).put(
        f"/api/fulfilment/shops/{shop.pk}/delivery-rule",
        json.dumps({"flat_fee": -1}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert list(DeliveryRule.objects.values_list("supplier_id", "shop_id", "flat_fee")) == [
        (supplier.pk, None, 500)
    ]

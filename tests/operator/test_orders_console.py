"""Orders, after-sales and payments in the operator console: shown and searched, never edited;
a dispute is settled by an admin action that asks for a note and calls the after-sales service."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from tests.buying import committed, pay, place, ship
from tests.factories import make_user
from vshop.accounts.models import User
from vshop.orders import after_sales
from vshop.orders import services as orders
from vshop.orders.models import AfterSalesRequest, Order
from vshop.orders.states import AfterSalesStatus, OrderStatus
from vshop.payments.models import Refund, RefundStatus
from vshop.shops.models import Listing

pytestmark = pytest.mark.django_db

ORDERS = reverse("admin:orders_order_changelist")
AFTER_SALES = reverse("admin:orders_aftersalesrequest_changelist")

CHANGELISTS = [
    "orders_order",
    "orders_aftersalesrequest",
    "orders_checkout",
    "orders_deliveryrule",
    "payments_payment",
    "payments_refund",
    "payments_paymentnotification",
]


def paid_order(buyer: User, listing: Listing) -> Order:
    return pay(place(buyer, listing)).orders.get()


def disputed(order: Order) -> AfterSalesRequest:
    """Shipped, the buyer asks for her money, the supplier says no, she asks the platform."""
    assert order.buyer is not None and order.supplier is not None
    ship(order)
    with committed():
        request = after_sales.after_sales_request(
            buyer=order.buyer, order_number=order.number, kind="refund_only", reason="damaged"
        )
        after_sales.after_sales_reject(
            actor=order.supplier.owner, number=request.number, note="Looks fine to us"
        )
        after_sales.after_sales_dispute(
            buyer=order.buyer, number=request.number, reason="It is torn, see the photo"
        )
    request.refresh_from_db()
    return request


def arbitrate(client: Client, action: str, request: AfterSalesRequest, **extra: str):
    with committed():  # the refund goes to the gateway when the decision commits
        return client.post(
            AFTER_SALES, {"action": action, "_selected_action": [request.pk], **extra}
        )


@pytest.mark.parametrize("model", CHANGELISTS)
def test_every_buying_list_and_row_renders_for_the_operator(client, operator, listing, fan, model):
    # given some of everything: a refunded dispute, a delivery rule, a payment, a notification
    orders.delivery_rule_set(actor=listing.product.supplier.owner, flat_fee=800, free_over=9900)
    order = paid_order(fan, listing)
    request = disputed(order)
    with committed():
        after_sales.after_sales_arbitrate(
            operator=operator, number=request.number, refund=True, note="Photo is clear"
        )
    client.force_login(operator)
    url = reverse(f"admin:{model}_changelist")
    # when the operator opens the list, searches it and opens the first row
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "a"}).status_code == 200
    row = client.get(url).context["cl"].result_list[0]
    response = client.get(reverse(f"admin:{model}_change", args=[row.pk]))
    # then every page renders, and none of them can add, change or delete a row
    assert response.status_code == 200
    assert client.get(reverse(f"admin:{model}_add")).status_code == 403
    assert client.get(reverse(f"admin:{model}_delete", args=[row.pk])).status_code == 403


def test_operator_finds_an_order_by_number_and_status_with_its_lines_and_history(
    client, operator, listing, fan
):
    paid = paid_order(fan, listing)
    unpaid = place(fan, listing).orders.get()
    client.force_login(operator)
    found = client.get(ORDERS, {"q": paid.number}).context["cl"].result_list
    assert list(found) == [paid]
    by_status = client.get(ORDERS, {"status__exact": "pending_payment"}).context["cl"]
    assert list(by_status.result_list) == [unpaid]
    page = client.get(reverse("admin:orders_order_change", args=[paid.pk]))
    body = page.content.decode()
    assert listing.product.title in body  # its line
    assert "¥19.90" in body  # amounts shown as money
    assert "gateway" in body  # the history: who moved it to paid
    assert 'name="_save"' not in body  # read-only


def test_operator_settles_a_dispute_for_the_buyer_with_a_note(client, operator, listing, fan):
    order = paid_order(fan, listing)
    request = disputed(order)
    client.force_login(operator)
    # disputes are found by their status
    queue = client.get(AFTER_SALES, {"status__exact": "disputed"}).context["cl"].result_list
    assert list(queue) == [request]
    # choosing the action first asks for a note, and changes nothing yet
    page = arbitrate(client, "refund_for_buyer", request)
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.DISPUTED
    # an empty note is refused
    arbitrate(client, "refund_for_buyer", request, apply="1", reason="")
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.DISPUTED
    # with a note, the buyer is refunded through the gateway and the order closes
    response = arbitrate(
        client, "refund_for_buyer", request, apply="1", reason="The photo shows the tear"
    )
    assert response.status_code == 302
    request.refresh_from_db()
    order.refresh_from_db()
    assert (request.status, request.decision_note) == (
        AfterSalesStatus.REFUNDED,
        "The photo shows the tear",
    )
    assert (order.status, order.refunded_total) == (OrderStatus.REFUNDED, order.total)
    refund = Refund.objects.get(order=order)
    assert (refund.amount, refund.status) == (order.total, RefundStatus.SUCCEEDED)
    assert request.events.filter(role="operator", actor=operator).exists()
    assert LogEntry.objects.filter(object_id=str(request.pk), user=operator).exists()


def test_operator_settles_a_dispute_for_the_seller(client, operator, listing, fan):
    order = paid_order(fan, listing)
    request = disputed(order)
    client.force_login(operator)
    response = arbitrate(
        client, "close_for_seller", request, apply="1", reason="No damage in the photos"
    )
    assert response.status_code == 302
    request.refresh_from_db()
    order.refresh_from_db()
    assert (request.status, request.decision_note) == (
        AfterSalesStatus.CLOSED,
        "No damage in the photos",
    )
    assert (order.status, order.refunded_total) == (OrderStatus.SHIPPED, 0)
    assert not Refund.objects.filter(order=order).exists()


def test_a_request_that_is_not_disputed_cannot_be_arbitrated(client, operator, listing, fan):
    order = paid_order(fan, listing)
    ship(order)
    with committed():
        request = after_sales.after_sales_request(
            buyer=fan, order_number=order.number, kind="refund_only", reason="damaged"
        )
    client.force_login(operator)
    response = arbitrate(client, "refund_for_buyer", request, apply="1", reason="Why not")
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]  # type: ignore[attr-defined]
    assert any(request.number in m for m in messages)
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.REQUESTED
    assert not Refund.objects.filter(order=order).exists()


@pytest.mark.parametrize("url", [ORDERS, AFTER_SALES, reverse("admin:payments_payment_changelist")])
def test_non_operators_get_no_access(client, listing, supplier, fan, url):
    order = paid_order(fan, listing)
    request = disputed(order)
    for user in (fan, listing.shop.owner, supplier.owner, make_user()):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 302, user
        assert response["Location"].startswith("/operator/login/")
        # nor can they post an arbitration
        arbitrate(client, "refund_for_buyer", request, apply="1", reason="Me!")
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.DISPUTED

"""Who is told of an order event, and what: the buyer, the shop owner and the fulfiller, in the
in-app inbox and by email (``vshop.messaging``), after the change has committed."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from vshop.accounts.models import User
from vshop.orders.models import AfterSalesRequest, Order
from vshop.orders.states import AfterSalesStatus, OrderStatus

# Which order statuses each party hears about.
_BUYER = {
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.CANCELLED,
    OrderStatus.REFUNDED,
}
_SELLERS = {OrderStatus.PAID, OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.REFUNDED}


def _titles() -> dict[str, str]:
    return {
        OrderStatus.PAID: _("Order %(number)s is paid"),
        OrderStatus.SHIPPED: _("Order %(number)s has shipped"),
        OrderStatus.DELIVERED: _("Order %(number)s was received"),
        OrderStatus.COMPLETED: _("Order %(number)s is completed"),
        OrderStatus.CANCELLED: _("Order %(number)s was cancelled"),
        OrderStatus.REFUNDED: _("Order %(number)s was refunded"),
    }


def _send(order_id: int, status: str) -> None:
    from vshop.messaging.services import notify as messaging_notify

    order = Order.objects.select_related("shop__owner", "supplier__owner", "buyer").get(pk=order_id)
    title = _titles().get(status)
    if title is None:
        return
    title = title % {"number": order.number}
    body = _("%(shop)s · %(status)s · total ¥%(total)s") % {
        "shop": order.shop.name,
        "status": order.get_status_display(),
        "total": f"{order.total / 100:.2f}",
    }
    if order.buyer is not None and status in _BUYER:
        messaging_notify(
            recipients=[order.buyer],
            kind=f"order.{status}",
            title=title,
            body=body,
            link=reverse("orders:detail", args=[order.number]),
        )
    if status in _SELLERS:
        for user, link in _seller_links(order):
            messaging_notify(
                recipients=[user], kind=f"order.{status}", title=title, body=body, link=link
            )


def _seller_links(order: Order) -> list[tuple[User, str]]:
    """The shop owner sees the order among her shop's; the fulfiller among those to ship."""
    if order.supplier is None:
        return [(order.shop.owner, reverse("orders:fulfil_detail", args=[order.number]))]
    return [
        (order.shop.owner, reverse("orders:shop_order", args=[order.number])),
        (order.supplier.owner, reverse("orders:fulfil_detail", args=[order.number])),
    ]


def order_changed(*, order: Order, status: str) -> None:
    transaction.on_commit(lambda: _send(order.pk, status))


def _send_after_sales(request_id: int) -> None:
    from vshop.messaging.services import notify as messaging_notify

    request = AfterSalesRequest.objects.select_related(
        "order__buyer", "order__shop__owner", "order__supplier__owner"
    ).get(pk=request_id)
    order = request.order
    title = _("After-sales for order %(number)s: %(status)s") % {
        "number": order.number,
        "status": request.get_status_display(),
    }
    body = request.decision_note or request.get_reason_display()
    if request.status != AfterSalesStatus.REQUESTED and order.buyer is not None:
        messaging_notify(
            recipients=[order.buyer],
            kind=f"after_sales.{request.status}",
            title=title,
            body=body,
            link=reverse("orders:detail", args=[order.number]),
        )
    if request.status in {
        AfterSalesStatus.REQUESTED,
        AfterSalesStatus.RETURN_SHIPPED,
        AfterSalesStatus.DISPUTED,
        AfterSalesStatus.REFUNDED,
        AfterSalesStatus.WITHDRAWN,
    }:
        for user, link in _seller_links(order):
            messaging_notify(
                recipients=[user],
                kind=f"after_sales.{request.status}",
                title=title,
                body=body,
                link=link,
            )


def after_sales_changed(*, request: AfterSalesRequest) -> None:
    transaction.on_commit(lambda: _send_after_sales(request.pk))

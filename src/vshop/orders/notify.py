"""Who is told of an order event, and what: the buyer, the shop owner and the fulfiller, in the
in-app inbox and by email (``vshop.messaging``).

Inbox messages are written in the same transaction as the change they tell of (both or
neither); emails are queued once it commits.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from vshop.accounts.models import User
from vshop.orders.models import AfterSalesRequest, Order
from vshop.orders.states import AfterSalesStatus, OrderStatus

# Which order statuses each party hears about. Completion is quiet: nothing happens to anyone.
_BUYER = {
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.CANCELLED,
    OrderStatus.REFUNDED,
}
_SELLERS = {OrderStatus.PAID, OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.REFUNDED}
_SELLERS_HEAR_AFTER_SALES = {
    AfterSalesStatus.REQUESTED,
    AfterSalesStatus.RETURN_SHIPPED,
    AfterSalesStatus.DISPUTED,
    AfterSalesStatus.REFUNDED,
    AfterSalesStatus.WITHDRAWN,
}


def _titles() -> dict[str, str]:
    return {
        OrderStatus.PAID: _("Order %(number)s is paid"),
        OrderStatus.SHIPPED: _("Order %(number)s has shipped"),
        OrderStatus.DELIVERED: _("Order %(number)s was received"),
        OrderStatus.CANCELLED: _("Order %(number)s was cancelled"),
        OrderStatus.REFUNDED: _("Order %(number)s was refunded"),
    }


def _seller_links(order: Order) -> list[tuple[User | int, str]]:
    """The shop owner sees the order among her shop's; the fulfiller among those to ship."""
    shop_owner = order.shop.owner_id
    if order.supplier is None:
        return [(shop_owner, reverse("orders:fulfil_detail", args=[order.number]))]
    return [
        (shop_owner, reverse("orders:shop_order", args=[order.number])),
        (order.supplier.owner_id, reverse("orders:fulfil_detail", args=[order.number])),
    ]


def order_changed(*, order: Order, status: str) -> None:
    from vshop.messaging.services import notify_each

    title = _titles().get(status)
    if title is None:
        return
    recipients: list[tuple[User | int, str]] = []
    if order.buyer_id is not None and status in _BUYER:
        recipients.append((order.buyer_id, reverse("orders:detail", args=[order.number])))
    if status in _SELLERS:
        recipients += _seller_links(order)
    notify_each(
        recipients=recipients,
        kind=f"order.{status}",
        title=title % {"number": order.number},
        body=_("%(shop)s · %(status)s · total ¥%(total)s")
        % {
            "shop": order.shop.name,
            "status": order.get_status_display(),
            "total": f"{order.total / 100:.2f}",
        },
    )


def after_sales_changed(*, request: AfterSalesRequest) -> None:
    from vshop.messaging.services import notify_each

    order = request.order
    recipients: list[tuple[User | int, str]] = []
    if request.status != AfterSalesStatus.REQUESTED and order.buyer_id is not None:
        recipients.append((order.buyer_id, reverse("orders:detail", args=[order.number])))
    if request.status in _SELLERS_HEAR_AFTER_SALES:
        recipients += _seller_links(order)
    notify_each(
        recipients=recipients,
        kind=f"after_sales.{request.status}",
        title=_("After-sales for order %(number)s: %(status)s")
        % {"number": order.number, "status": request.get_status_display()},
        body=request.decision_note or request.get_reason_display(),
    )

"""The order and after-sales state machines: every allowed transition, in one place.

A transition not listed here raises ``IllegalTransition``; a listed one by somebody whose role
may not make it raises ``PermissionDenied``. ``transition`` is the only code that changes an
order's or an after-sales request's status: it changes it with a conditional UPDATE (so two
racing transitions cannot both win) and records who, when and why.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from vshop.errors import Conflict


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Waiting for payment")
    PAID = "paid", _("Paid, to be shipped")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Received")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class AfterSalesStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for the seller")
    APPROVED = "approved", _("Approved: send the goods back")
    RETURN_SHIPPED = "return_shipped", _("Goods on their way back")
    REFUNDED = "refunded", _("Refunded")
    REJECTED = "rejected", _("Rejected by the seller")
    DISPUTED = "disputed", _("Waiting for the platform's decision")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Role:
    """Who acts. ``system`` is the worker (timeouts, automatic confirmation); ``gateway`` a
    verified payment notification."""

    BUYER = "buyer"
    FULFILLER = "fulfiller"  # the supplier, or the shop owner for her own goods
    OPERATOR = "operator"
    SYSTEM = "system"
    GATEWAY = "gateway"


S = OrderStatus
ORDER_TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (S.PENDING_PAYMENT, S.PAID): frozenset({Role.GATEWAY}),
    (S.PENDING_PAYMENT, S.CANCELLED): frozenset({Role.BUYER, Role.SYSTEM, Role.OPERATOR}),
    # Before shipping the buyer may cancel and gets everything back at once.
    (S.PAID, S.CANCELLED): frozenset({Role.BUYER, Role.FULFILLER, Role.OPERATOR, Role.SYSTEM}),
    (S.PAID, S.SHIPPED): frozenset({Role.FULFILLER}),
    (S.SHIPPED, S.DELIVERED): frozenset({Role.BUYER, Role.SYSTEM, Role.OPERATOR}),
    (S.DELIVERED, S.COMPLETED): frozenset({Role.SYSTEM}),
    # After shipping, money goes back through an after-sales request; all of it closes the order.
    (S.SHIPPED, S.REFUNDED): frozenset({Role.FULFILLER, Role.OPERATOR, Role.SYSTEM}),
    (S.DELIVERED, S.REFUNDED): frozenset({Role.FULFILLER, Role.OPERATOR, Role.SYSTEM}),
    # A late claim the platform upholds after the window closed (its commission is taken back).
    (S.COMPLETED, S.REFUNDED): frozenset({Role.OPERATOR}),
}
ORDER_FINAL = frozenset({S.COMPLETED, S.CANCELLED, S.REFUNDED})

A = AfterSalesStatus
AFTER_SALES_TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (A.REQUESTED, A.APPROVED): frozenset({Role.FULFILLER, Role.OPERATOR}),
    (A.REQUESTED, A.REFUNDED): frozenset({Role.FULFILLER, Role.OPERATOR, Role.SYSTEM}),
    (A.REQUESTED, A.REJECTED): frozenset({Role.FULFILLER}),
    (A.REQUESTED, A.WITHDRAWN): frozenset({Role.BUYER}),
    (A.APPROVED, A.RETURN_SHIPPED): frozenset({Role.BUYER}),
    (A.APPROVED, A.WITHDRAWN): frozenset({Role.BUYER}),
    (A.RETURN_SHIPPED, A.REFUNDED): frozenset({Role.FULFILLER, Role.OPERATOR}),
    (A.REJECTED, A.DISPUTED): frozenset({Role.BUYER}),
    (A.REJECTED, A.CLOSED): frozenset({Role.SYSTEM, Role.BUYER}),
    (A.DISPUTED, A.APPROVED): frozenset({Role.OPERATOR}),
    (A.DISPUTED, A.REFUNDED): frozenset({Role.OPERATOR}),
    (A.DISPUTED, A.CLOSED): frozenset({Role.OPERATOR}),
}
AFTER_SALES_OPEN = frozenset({A.REQUESTED, A.APPROVED, A.RETURN_SHIPPED, A.REJECTED, A.DISPUTED})


class IllegalTransition(Conflict):
    code = "illegal_transition"
    default_message = _("That cannot be done in this order's present state.")


def check_transition(
    table: dict[tuple[str, str], frozenset[str]], current: str, target: str, role: str
) -> None:
    from vshop.errors import PermissionDenied

    roles = table.get((current, target))
    if roles is None:
        raise IllegalTransition(current=current, target=target)
    if role not in roles:
        raise PermissionDenied(current=current, target=target, role=role)

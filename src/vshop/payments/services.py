"""Payment writes: start a payment, apply a provider's notification exactly once, refund.

Notifications are the truth about money. Each is verified by its gateway, then recorded under
its provider event id (UNIQUE): the same event twice takes effect once. A payment that succeeds
for a checkout that was cancelled meanwhile, or that another payment already paid, is refunded
at once, so a buyer is never charged twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vshop.accounts.models import User
from vshop.distribution.commission import splits_for_orders
from vshop.distribution.flags import refunded_after_settlement
from vshop.errors import Conflict, DomainError, NotFound, ValidationFailed
from vshop.inventory import services as inventory
from vshop.ledger import bookings
from vshop.orders import services as orders
from vshop.orders.errors import RefundTooLarge
from vshop.orders.models import Checkout, Order
from vshop.orders.numbers import new_number
from vshop.payments.gateways import gateway_for
from vshop.payments.gateways.base import (
    Acknowledgement,
    GatewayUnavailable,
    Notification,
    NotificationKind,
    PaymentOrder,
    PaymentStart,
    PaymentState,
    RefundOrder,
)
from vshop.payments.models import (
    Payment,
    PaymentNotification,
    PaymentStatus,
    Refund,
    RefundStatus,
)

log = logging.getLogger(__name__)


def _absolute(path: str) -> str:
    return settings.VSHOP_SITE_URL.rstrip("/") + path


def payment_start(
    *, buyer: User, checkout_number: str, gateway: str, buyer_ip: str = ""
) -> tuple[Payment, PaymentStart]:
    """Open a payment of the buyer's checkout with a gateway. Refused for an expired or
    already paid checkout. What the gateway returns (a page, a QR code, a client secret) goes
    back to the buyer and is not stored."""
    adapter = gateway_for(gateway)
    checkout = orders.checkout_for_payment(buyer=buyer, number=checkout_number)
    payment = Payment.objects.create(
        number=new_number("P"),
        checkout=checkout,
        gateway=adapter.name,
        amount=checkout.total,
        currency=checkout.currency,
    )
    try:
        start = adapter.create_payment(
            PaymentOrder(
                number=payment.number,
                amount=payment.amount,
                currency=payment.currency,
                description=_checkout_description(checkout),
                notify_url=_absolute(reverse("api:payment_notify", args=[adapter.name])),
                return_url=_absolute(reverse("orders:checkout_done", args=[checkout.number])),
                buyer_ip=buyer_ip,
            )
        )
    except DomainError:
        # The provider refused or could not be reached: nothing can be paid on this attempt.
        Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.CLOSED)
        raise
    if start.provider_ref:
        Payment.objects.filter(pk=payment.pk).update(provider_ref=start.provider_ref[:64])
    return payment, start


def _checkout_description(checkout: Checkout) -> str:
    # What the buyer's bank or wallet statement shows.
    return f"VShop {checkout.number}"


def notification_receive(
    *, gateway: str, headers: Mapping[str, str], body: bytes
) -> Acknowledgement:
    """A provider calls back: verify (400 and no change when it is not genuine), apply once."""
    adapter = gateway_for(gateway)
    notification = adapter.verify_notification(headers=headers, body=body)
    notification_apply(notification=notification)
    return adapter.acknowledge(notification)


def notification_apply(*, notification: Notification) -> str:
    """Apply a verified notification exactly once; returns what it did (for logs and tests).

    The payment row is locked first, so two deliveries of one event queue up behind each other;
    the event is recorded in the same transaction, and its UNIQUE key turns the second delivery
    into a no-op (its transaction rolls back).
    """
    n = notification
    event_id = n.event_id[:100]
    try:
        with transaction.atomic():
            payment, outcome, units_sold = _apply(n)
            PaymentNotification.objects.create(
                gateway=n.gateway, event_id=event_id, kind=n.kind, payment=payment, outcome=outcome
            )
            if units_sold:
                inventory.stock_sell(units=units_sold)  # last: see orders.checkout_mark_paid
    except IntegrityError:
        if PaymentNotification.objects.filter(gateway=n.gateway, event_id=event_id).exists():
            return "duplicate"
        raise
    log.info("payment notification %s:%s %s → %s", n.gateway, n.event_id, n.kind, outcome)
    return outcome


def _apply(n: Notification) -> tuple[Payment | None, str, dict[int, int] | None]:
    payment = Payment.objects.select_for_update().filter(number=n.payment_number).first()
    if payment is None or payment.gateway != n.gateway:
        return None, "unknown_payment", None
    if n.kind == NotificationKind.PAYMENT_SUCCEEDED:
        return (payment, *_payment_succeeded(payment, n))
    if n.kind == NotificationKind.PAYMENT_FAILED:
        if payment.status == PaymentStatus.CREATED:
            Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.FAILED)
            return payment, "failed", None
        return payment, "ignored", None
    if n.kind in (NotificationKind.REFUND_SUCCEEDED, NotificationKind.REFUND_FAILED):
        return payment, _refund_notified(payment, n), None
    return payment, "ignored", None


def _payment_succeeded(payment: Payment, n: Notification) -> tuple[str, dict[int, int] | None]:
    if payment.status == PaymentStatus.SUCCEEDED:
        return "already_paid", None
    if n.amount != payment.amount or n.currency.upper() != payment.currency.upper():
        log.error(
            "payment %s: notified %s %s, expected %s",
            payment.number,
            n.amount,
            n.currency,
            payment.amount,
        )
        return "amount_mismatch", None
    now = timezone.now()
    paid = orders.checkout_mark_paid(checkout_id=payment.checkout_id, paid_at=now)
    Payment.objects.filter(pk=payment.pk).update(
        status=PaymentStatus.SUCCEEDED,
        provider_ref=n.provider_ref[:64],
        paid_at=now,
        settles_checkout=paid is not None,
    )
    payment.status = PaymentStatus.SUCCEEDED
    payment.provider_ref = n.provider_ref[:64]
    if paid is not None:
        units, paid_orders = paid
        bookings.orders_paid(
            payment_number=payment.number,
            gateway=payment.gateway,
            splits=splits_for_orders(orders=paid_orders, gateway=payment.gateway),
        )
        return "paid", units
    # Cancelled (the time ran out) or paid by another payment: give this money back.
    bookings.payment_owed_back(
        payment_number=payment.number,
        gateway=payment.gateway,
        amount=payment.amount,
        buyer=_buyer_of(payment),
    )
    _refund_create(
        payment=payment, order=None, amount=payment.amount, reason="checkout no longer payable"
    )
    return "refunded", None


def _refund_notified(payment: Payment, n: Notification) -> str:
    refund = Refund.objects.filter(number=n.refund_number, payment=payment).first()
    if refund is None:
        return "unknown_refund"
    if refund.status != RefundStatus.PENDING:
        return "already_final" if refund.status == RefundStatus.SUCCEEDED else "ignored"
    if n.kind == NotificationKind.REFUND_SUCCEEDED:
        Refund.objects.filter(pk=refund.pk).update(
            status=RefundStatus.SUCCEEDED, succeeded_at=timezone.now()
        )
        _refund_paid(refund, payment)
        return "refund_succeeded"
    Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.FAILED, last_error="provider")
    return "refund_failed"


def payment_sync(*, payment: Payment) -> str:
    """Ask the provider (for a buyer back from the payment page before the notification)."""
    if payment.status != PaymentStatus.CREATED:
        return "unchanged"
    status = gateway_for(payment.gateway).query_payment(payment.number)
    if status.state != PaymentState.SUCCEEDED:
        return "pending"
    return notification_apply(
        notification=Notification(
            gateway=payment.gateway,
            event_id=f"query:{payment.number}",
            kind=NotificationKind.PAYMENT_SUCCEEDED,
            payment_number=payment.number,
            amount=status.amount,
            currency=payment.currency,
            provider_ref=status.provider_ref,
        )
    )


# --- refunds ---------------------------------------------------------------------------------


def refund_create(*, order: Order, amount: int, reason: str = "") -> Refund:
    """Give ``amount`` of an order back through the payment that paid it. Call inside the
    transaction that records why (the order or after-sales change); the gateway is asked once it
    commits, by the worker, with retries."""
    payment = (
        Payment.objects.select_for_update()
        .filter(checkout_id=order.checkout_id, settles_checkout=True)
        .first()
    )
    if payment is None:
        raise NotFound(_("This order has no payment to refund."))
    return _refund_create(payment=payment, order=order, amount=amount, reason=reason)


def _refund_create(*, payment: Payment, order: Order | None, amount: int, reason: str) -> Refund:
    if amount <= 0:
        raise ValidationFailed(_("Enter an amount above 0."), field="amount")
    updated = Payment.objects.filter(
        pk=payment.pk, refunded_amount__lte=F("amount") - amount
    ).update(refunded_amount=F("refunded_amount") + amount)
    if not updated:
        raise RefundTooLarge(field="amount")
    refund = Refund.objects.create(
        number=new_number("R"), payment=payment, order=order, amount=amount, reason=reason[:200]
    )
    if order is not None:
        clawback = bookings.refund_agreed(
            refund_number=refund.number,
            order_id=order.pk,
            buyer=User(pk=order.buyer_id) if order.buyer_id else None,
            amount=amount,
        )
        if clawback is not None and clawback.after_settlement:
            refunded_after_settlement(order=order, amount=amount)
    transaction.on_commit(lambda: _submit_later(refund.pk))
    return refund


def _buyer_of(payment: Payment) -> User | None:
    buyer_id = Checkout.objects.values_list("buyer_id", flat=True).get(pk=payment.checkout_id)
    return User(pk=buyer_id) if buyer_id else None


def _refund_paid(refund: Refund, payment: Payment) -> None:
    """The gateway gave the money back: it leaves the gateway's account in the book."""
    bookings.refund_paid(
        refund_number=refund.number,
        payment_number=payment.number,
        gateway=payment.gateway,
        buyer=_buyer_of(payment),
        amount=refund.amount,
    )


def _submit_later(refund_id: int) -> None:
    from vshop.payments import tasks

    tasks.refund_submit(refund_id)


def refund_retry(*, refund: Refund, operator: User) -> Refund:
    """An operator sends a failed (or stuck) refund to its gateway again; the refund number is
    the provider's idempotency key, so money cannot go back twice."""
    from vshop.accounts.permissions import require_operator

    require_operator(operator)
    updated = Refund.objects.filter(
        pk=refund.pk, status__in=[RefundStatus.FAILED, RefundStatus.PENDING]
    ).update(status=RefundStatus.PENDING, last_error="")
    if not updated:
        raise Conflict(_("Only a pending or failed refund can be sent again."))
    transaction.on_commit(lambda: _submit_later(refund.pk))
    refund.refresh_from_db()
    return refund


def refunds_resubmit_stuck(*, now: object | None = None) -> int:
    """Pending refunds that no worker finished within 10 minutes (its retries ran out, or it
    died) are sent again; a provider still unreachable leaves them pending for the next sweep."""
    from datetime import timedelta

    now = now or timezone.now()
    sent = 0
    stuck = Refund.objects.filter(
        status=RefundStatus.PENDING,
        created_at__lte=now - timedelta(minutes=10),  # type: ignore[operator]
    ).values_list("pk", flat=True)[:500]
    for refund_id in stuck:
        try:
            refund_submit(refund_id=refund_id)
            sent += 1
        except GatewayUnavailable:
            continue
    return sent


def refund_submit(*, refund_id: int) -> str:
    """Send a pending refund to its gateway. Safe to repeat: the refund number is the
    provider's idempotency key. Raises GatewayUnavailable for the worker to retry."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund.status
    payment = refund.payment
    Refund.objects.filter(pk=refund.pk).update(attempts=F("attempts") + 1)
    try:
        result = gateway_for(payment.gateway).refund(
            RefundOrder(
                refund_number=refund.number,
                payment_number=payment.number,
                provider_ref=payment.provider_ref,
                amount=refund.amount,
                payment_amount=payment.amount,
                currency=payment.currency,
                reason=refund.reason,
                notify_url=_absolute(reverse("api:payment_notify", args=[payment.gateway])),
            )
        )
    except GatewayUnavailable as exc:
        Refund.objects.filter(pk=refund.pk).update(last_error=str(exc.message)[:200])
        raise
    if result.state == "succeeded":
        with transaction.atomic():
            if Refund.objects.filter(pk=refund.pk, status=RefundStatus.PENDING).update(
                status=RefundStatus.SUCCEEDED,
                succeeded_at=timezone.now(),
                provider_ref=result.provider_ref[:64],
            ):
                _refund_paid(refund, payment)
    elif result.state == "failed":
        Refund.objects.filter(pk=refund.pk, status=RefundStatus.PENDING).update(
            status=RefundStatus.FAILED, last_error="refused by the provider"
        )
    return result.state

"""Payments and refunds as VShop records them, and the notifications that moved them.

No card number, no provider secret and no raw notification body is stored: only amounts,
numbers and the provider's transaction ids.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("Waiting for the buyer")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")
    CLOSED = "closed", _("Closed")


class Payment(models.Model):
    """One attempt to pay a checkout through one gateway. A buyer may switch gateway, so a
    checkout can have several; only the first that succeeds pays it, any other is refunded."""

    number = models.CharField(_("payment number"), max_length=32, unique=True)
    checkout = models.ForeignKey(
        "orders.Checkout", on_delete=models.PROTECT, related_name="payments"
    )
    gateway = models.CharField(_("gateway"), max_length=16)
    amount = models.PositiveIntegerField(_("amount"))
    currency = models.CharField(max_length=3, default="CNY")
    status = models.CharField(
        max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.CREATED
    )
    provider_ref = models.CharField(_("provider transaction"), max_length=64, blank=True)
    refunded_amount = models.PositiveIntegerField(default=0)
    # True for the one payment that paid its checkout; any other that succeeds is refunded.
    settles_checkout = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("amount")), name="payment_refund_within_amount"
            ),
            models.UniqueConstraint(
                fields=["checkout"],
                condition=Q(settles_checkout=True),
                name="one_payment_settles_a_checkout",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Being refunded")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Refund failed")


class Refund(models.Model):
    """Money going back through the gateway that took it."""

    number = models.CharField(_("refund number"), max_length=32, unique=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    # The order it is for; None for a second payment of an already paid checkout.
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    amount = models.PositiveIntegerField(_("amount"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(
        max_length=12, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    provider_ref = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")
        ]

    def __str__(self) -> str:
        return self.number


class PaymentNotification(models.Model):
    """A verified notification, kept by its provider event id: the same event twice takes effect
    once (the UNIQUE constraint is the gate)."""

    gateway = models.CharField(max_length=16)
    event_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=24)
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    outcome = models.CharField(max_length=24, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("payment notification")
        verbose_name_plural = _("payment notifications")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "event_id"], name="one_notification_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.event_id}"


class SandboxTransaction(models.Model):
    """The sandbox provider's own book (not VShop's): what a real provider keeps on its side."""

    payment_number = models.CharField(max_length=32, unique=True)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12, default="pending")
    transaction_id = models.CharField(max_length=40, unique=True)
    refunded = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sandbox transaction")
        verbose_name_plural = _("sandbox transactions")
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded__lte=F("amount")), name="sandbox_refund_within_amount"
            )
        ]

    def __str__(self) -> str:
        return self.payment_number


class SandboxRefund(models.Model):
    transaction = models.ForeignKey(
        SandboxTransaction, on_delete=models.CASCADE, related_name="refunds"
    )
    refund_number = models.CharField(max_length=32, unique=True)
    amount = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.pk)


class SandboxPayout(models.Model):
    """The sandbox provider's record of money it sent out (not VShop's book): one row per payout
    number, so that asking twice pays once, as at a real provider."""

    payout_number = models.CharField(max_length=32, unique=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    payee = models.CharField(max_length=64)
    payee_name = models.CharField(max_length=40)
    memo = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12)  # "succeeded" or "failed"
    transaction_id = models.CharField(max_length=40, unique=True)
    message = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sandbox payout")
        verbose_name_plural = _("sandbox payouts")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sandbox_payout_amount_positive")
        ]

    def __str__(self) -> str:
        return self.payout_number

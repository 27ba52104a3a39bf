"""Withdrawals: a shop owner, a promoter or a supplier asks for her available money, an operator
approves, the payout gateway sends it. The money itself is in the ledger; a withdrawal is the
request and its history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vshop.payouts.states import WithdrawalStatus

PAYEE_MAX = 64
PAYEE_NAME_MAX = 40
REASON_MAX = 200


class WithdrawalRole(models.TextChoices):
    """Whose available money is withdrawn."""

    OWNER = "owner", _("Shop owner earnings")
    PROMOTER = "promoter", _("Promoter commission")
    SUPPLIER = "supplier", _("Supplier payable")


class Withdrawal(models.Model):
    number = models.CharField(_("withdrawal number"), max_length=32, unique=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="withdrawals",
        verbose_name=_("requested by"),
    )
    role = models.CharField(_("from"), max_length=12, choices=WithdrawalRole.choices)
    # The supplier whose payable is withdrawn (role "supplier"): its owner is the requester.
    supplier = models.ForeignKey(
        "catalog.Supplier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="withdrawals",
    )
    amount = models.BigIntegerField(_("amount"))  # taken out of the available balance
    fee = models.BigIntegerField(_("fee"), default=0)  # kept by the platform; amount − fee is sent
    # A debt from an earlier late refund, repaid out of the same balance when asked.
    repaid = models.BigIntegerField(_("debt repaid"), default=0)
    currency = models.CharField(max_length=3, default="CNY")
    payee = models.CharField(_("payout account"), max_length=PAYEE_MAX)
    payee_name = models.CharField(_("real name"), max_length=PAYEE_NAME_MAX)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=WithdrawalStatus.choices,
        default=WithdrawalStatus.REQUESTED,
        db_index=True,
    )
    # Why it was rejected (by the operator) or failed (from the gateway): the requester sees it.
    reason = models.CharField(_("reason"), max_length=REASON_MAX, blank=True)
    gateway = models.CharField(_("payout gateway"), max_length=16, blank=True)
    provider_ref = models.CharField(_("provider reference"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="withdrawal_amount_positive"),
            models.CheckConstraint(
                condition=Q(fee__gte=0) & Q(fee__lt=F("amount")), name="withdrawal_fee_below_amount"
            ),
            models.CheckConstraint(
                condition=Q(repaid__gte=0), name="withdrawal_repaid_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(role=WithdrawalRole.SUPPLIER, supplier__isnull=False)
                | (~Q(role=WithdrawalRole.SUPPLIER) & Q(supplier__isnull=True)),
                name="withdrawal_supplier_iff_supplier_role",
            ),
            models.CheckConstraint(
                condition=Q(status__in=WithdrawalStatus.values), name="withdrawal_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["requester", "-created_at"]),
            models.Index(fields=["supplier", "-created_at"]),
            models.Index(fields=["status", "approved_at"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def sent_amount(self) -> int:
        """What reaches the payee: the amount less the platform's fee."""
        return self.amount - self.fee


class WithdrawalEvent(models.Model):
    """One state change of a withdrawal: who, in which role, when and why."""

    withdrawal = models.ForeignKey(Withdrawal, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)  # "" for the request itself
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=12)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("withdrawal event")
        verbose_name_plural = _("withdrawal history")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.withdrawal_id}: {self.from_status or '-'} → {self.to_status}"

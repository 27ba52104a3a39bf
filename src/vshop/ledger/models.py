"""The book: accounts with a cached balance, and transactions made of entries that sum to zero.

Entries and transactions are append-only: a mistake is corrected by a new transaction (an
adjustment or a reversal), never by changing or deleting what was written. Python refuses
updates and deletes here; on PostgreSQL triggers refuse them too (migration 0002).
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AppendOnlyError(RuntimeError):
    """A programming error: ledger rows are never changed or deleted once written."""


class AccountKind(models.TextChoices):
    GATEWAY_CLEARING = "gateway_clearing", _("Gateway clearing")
    SUPPLIER_PAYABLE = "supplier_payable", _("Owed to a supplier")
    OWNER_EARNINGS = "owner_earnings", _("Shop owner earnings")
    PROMOTER_COMMISSION = "promoter_commission", _("Promoter commission")
    PLATFORM_FEE = "platform_fee", _("Platform fee income")
    BUYER_REFUNDS = "buyer_refunds", _("Refunds owed to a buyer")
    PAYOUTS_IN_TRANSIT = "payouts_in_transit", _("Payouts in transit")
    # Money a user or a supplier owes back: a refund clawed back more than her balance held
    # (she had withdrawn it). Her next available money repays it first.
    RECEIVABLE = "receivable", _("Owed back after a refund")
    # Withdrawals requested and not yet paid out: held here, out of the requester's balance.
    WITHDRAWALS = "withdrawals", _("Withdrawals being paid out")


class Bucket(models.TextChoices):
    NONE = "", _("—")
    PENDING = "pending", _("Pending")
    FROZEN = "frozen", _("Frozen")
    AVAILABLE = "available", _("Available")


class NormalSide(models.TextChoices):
    DEBIT = "debit", _("Debit")
    CREDIT = "credit", _("Credit")


class TransactionKind(models.TextChoices):
    PAYMENT = "payment", pgettext_lazy("ledger", "Payment")
    SPLIT = "split", _("Split")
    REFUND = "refund", _("Refund")
    CLAWBACK = "clawback", _("Clawback")
    SETTLEMENT = "settlement", _("Settlement")
    PAYOUT = "payout", _("Payout")
    PAYOUT_REVERSAL = "payout_reversal", _("Payout reversal")
    ADJUSTMENT = "adjustment", _("Adjustment")


class Account(models.Model):
    """One balance of one party. ``balance`` caches the sum of the account's entries in its
    normal direction (positive: the account holds money, or is owed money); ``post`` keeps it
    equal to that sum and ``ledger_check`` proves it."""

    code = models.CharField(_("code"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=AccountKind.choices)
    bucket = models.CharField(
        _("bucket"), max_length=12, choices=Bucket.choices, blank=True, default=""
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    supplier = models.ForeignKey(
        "catalog.Supplier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    normal_side = models.CharField(_("normal side"), max_length=6, choices=NormalSide.choices)
    balance = models.BigIntegerField(_("balance"), default=0)
    # False for every account that is a person's or a company's money: it can never be overdrawn.
    may_go_negative = models.BooleanField(_("may go negative"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(may_go_negative=True) | Q(balance__gte=0),
                name="ledger_account_not_overdrawn",
            ),
            models.CheckConstraint(
                condition=Q(normal_side__in=NormalSide.values),
                name="ledger_account_normal_side_valid",
            ),
            models.CheckConstraint(
                condition=Q(bucket__in=Bucket.values), name="ledger_account_bucket_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_debit_normal(self) -> bool:
        return self.normal_side == NormalSide.DEBIT

    def in_normal_terms(self, amount: int) -> int:
        """A signed entry amount (debit +, credit −) as a change of this account's balance."""
        return amount if self.is_debit_normal else -amount


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk updates and deletes would bypass ``save``/``delete``; refuse them too."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")

    def delete(self) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class Transaction(AppendOnlyModel):
    """One event that moved money, written once under its idempotency ``key``."""

    kind = models.CharField(_("kind"), max_length=16, choices=TransactionKind.choices)
    key = models.CharField(_("key"), max_length=100, unique=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # What it is about, e.g. "order:123", so that a case can be traced through the book.
    reference = models.CharField(_("reference"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(key=""), name="ledger_transaction_has_key")
        ]

    def __str__(self) -> str:
        return self.key


class Entry(AppendOnlyModel):
    """One line of a transaction: ``amount`` is signed, debit positive and credit negative."""

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField(_("amount"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_amount_not_zero")
        ]
        indexes = [
            models.Index(fields=["account", "created_at", "id"], name="ledger_entry_account_time")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount:+d}"


class SplitStage(models.TextChoices):
    PENDING = "pending", _("Paid, not yet received")
    FROZEN = "frozen", _("Received, in the after-sales window")
    AVAILABLE = "available", _("Completed")


class OrderSplit(models.Model):
    """How one paid order's money is shared, fixed when it is paid: the snapshot the book is
    written from (and can be recomputed from).

    ``supply`` goes to the supplier (with the delivery fee when the supplier ships),
    ``owner_amount`` to the shop owner (her margin after commission and fee, plus the delivery
    fee for her own goods), ``commission1``/``commission2`` to the promoters, ``platform_fee``
    to the platform. They add up to the order total. Refunds take back from every part in
    proportion; ``refunded`` is how much of the order has been taken back so far. ``stage`` is
    the bucket the money sits in. ``rates`` keeps each line's margin and rates.
    """

    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="split")
    stage = models.CharField(max_length=10, choices=SplitStage.choices, default=SplitStage.PENDING)
    gateway = models.CharField(max_length=16)
    currency = models.CharField(max_length=3, default="CNY")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(
        "catalog.Supplier", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    promoter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    promoter2 = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    total = models.BigIntegerField()
    margin = models.BigIntegerField()
    supply = models.BigIntegerField()
    owner_amount = models.BigIntegerField()
    commission1 = models.BigIntegerField(default=0)
    commission2 = models.BigIntegerField(default=0)
    platform_fee = models.BigIntegerField(default=0)
    fee_rate = models.PositiveIntegerField(default=0)
    rates = models.JSONField(default=list)
    refunded = models.BigIntegerField(default=0)
    # What refunds took back from each share so far: {"owner_amount": 120, ...}.
    taken = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("order split")
        verbose_name_plural = _("order splits")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    total=F("supply")
                    + F("owner_amount")
                    + F("commission1")
                    + F("commission2")
                    + F("platform_fee")
                ),
                name="order_split_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(commission1__gte=0)
                & Q(commission2__gte=0)
                & Q(platform_fee__gte=0)
                & Q(supply__gte=0)
                & Q(owner_amount__gte=0),
                name="order_split_parts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(commission1__lte=F("margin") - F("commission2")),
                name="order_split_commission_within_margin",
            ),
            models.CheckConstraint(
                condition=Q(refunded__gte=0) & Q(refunded__lte=F("total")),
                name="order_split_refund_within_total",
            ),
        ]
        indexes = [
            models.Index(fields=["promoter", "-created_at"]),
            models.Index(fields=["promoter2", "-created_at"]),
            models.Index(fields=["owner", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"split of {self.order_id}"

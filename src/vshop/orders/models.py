"""Buying: the address book, carts, checkouts (one payment), orders (one per shop and fulfiller),
their lines, after-sales requests and the history of every state change.

Money is integer minor units; totals are computed on the server only and the database checks that
they add up.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vshop.orders.states import AfterSalesStatus, OrderStatus


class Address(models.Model):
    """A delivery address in a buyer's address book (mainland China format)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses"
    )
    name = models.CharField(_("recipient"), max_length=40)
    mobile = models.CharField(_("mobile"), max_length=20)
    province = models.CharField(_("province"), max_length=20)
    city = models.CharField(_("city"), max_length=20)
    district = models.CharField(_("district"), max_length=20)
    detail = models.CharField(_("street and number"), max_length=120)
    is_default = models.BooleanField(_("default address"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="one_default_address"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.province}{self.city}{self.district}{self.detail}"

    @property
    def one_line(self) -> str:
        return f"{self.province} {self.city} {self.district} {self.detail}"


class Cart(models.Model):
    """A buyer's cart across shops. A guest's cart has no user and is found through her session;
    it is merged into her account's cart when she logs in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")

    def __str__(self) -> str:
        return f"cart {self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    listing = models.ForeignKey("shops.Listing", on_delete=models.CASCADE, related_name="+")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "listing", "sku"], name="one_cart_line_per_sku"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} × {self.quantity}"


class DeliveryRule(models.Model):
    """What a fulfiller charges for delivery of one order: a flat fee, free over an amount.

    A supplier has one for the catalogue products it ships; a shop owner one for her own goods.
    Without a rule delivery is free.
    """

    supplier = models.OneToOneField(
        "catalog.Supplier",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="delivery_rule",
    )
    shop = models.OneToOneField(
        "shops.Shop", on_delete=models.CASCADE, null=True, blank=True, related_name="delivery_rule"
    )
    flat_fee = models.PositiveIntegerField(_("delivery fee"), default=0)
    free_over = models.PositiveIntegerField(
        _("free delivery from"), null=True, blank=True, help_text=_("Leave empty for never.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("delivery rule")
        verbose_name_plural = _("delivery rules")
        constraints = [
            models.CheckConstraint(
                condition=(Q(supplier__isnull=False) & Q(shop__isnull=True))
                | (Q(supplier__isnull=True) & Q(shop__isnull=False)),
                name="delivery_rule_of_supplier_or_shop",
            )
        ]

    def __str__(self) -> str:
        return f"{self.flat_fee} / free over {self.free_over}"

    def fee_for(self, items_total: int) -> int:
        if self.free_over is not None and items_total >= self.free_over:
            return 0
        return self.flat_fee


class CheckoutStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Waiting for payment")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class Checkout(models.Model):
    """One checkout of a buyer: one payment for one or several orders (one per shop and
    fulfiller). Its status flips once, by a conditional update: paid or cancelled, never both."""

    number = models.CharField(_("checkout number"), max_length=24, unique=True)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="checkouts",
    )
    status = models.CharField(
        max_length=16, choices=CheckoutStatus.choices, default=CheckoutStatus.PENDING_PAYMENT
    )
    currency = models.CharField(max_length=3, default="CNY")
    items_total = models.PositiveIntegerField()
    delivery_total = models.PositiveIntegerField()
    total = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    pay_by = models.DateTimeField(_("pay by"))
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("checkout")
        verbose_name_plural = _("checkouts")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total=F("items_total") + F("delivery_total")),
                name="checkout_total_adds_up",
            ),
            models.CheckConstraint(condition=Q(total__gt=0), name="checkout_total_positive"),
        ]
        indexes = [models.Index(fields=["status", "pay_by"])]

    def __str__(self) -> str:
        return self.number


class Order(models.Model):
    """What one fulfiller ships to the buyer for one shop: its lines, delivery and status."""

    number = models.CharField(_("order number"), max_length=24, unique=True)
    checkout = models.ForeignKey(Checkout, on_delete=models.PROTECT, related_name="orders")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="orders",
    )
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="orders")
    # The supplier ships catalogue products; None when the shop owner ships her own goods.
    supplier = models.ForeignKey(
        "catalog.Supplier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT
    )
    currency = models.CharField(max_length=3, default="CNY")
    items_total = models.PositiveIntegerField(_("goods"))
    delivery_fee = models.PositiveIntegerField(_("delivery"))
    total = models.PositiveIntegerField(_("total"))
    refunded_total = models.PositiveIntegerField(_("refunded"), default=0)
    # The shop's points the buyer paid with, and what they took off the goods (already out of
    # ``items_total``; spread over the lines as ``OrderLine.points_discount``).
    points_spent = models.PositiveIntegerField(_("points used"), default=0)
    points_discount = models.PositiveIntegerField(_("paid with points"), default=0)
    # The delivery address, copied: later edits of the address book do not move a parcel.
    ship_name = models.CharField(_("recipient"), max_length=40)
    ship_mobile = models.CharField(_("mobile"), max_length=20)
    ship_province = models.CharField(_("province"), max_length=20)
    ship_city = models.CharField(_("city"), max_length=20)
    ship_district = models.CharField(_("district"), max_length=20)
    ship_detail = models.CharField(_("street and number"), max_length=120)
    note = models.CharField(_("note to the seller"), max_length=200, blank=True)
    carrier = models.CharField(_("carrier"), max_length=40, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Set when shipped: received automatically then unless the buyer confirms earlier.
    confirm_by = models.DateTimeField(null=True, blank=True)
    # Set when delivered: the order completes when the after-sales window closes.
    after_sales_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total=F("items_total") + F("delivery_fee")),
                name="order_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(refunded_total__lte=F("total")), name="order_refund_within_total"
            ),
        ]
        indexes = [
            models.Index(fields=["buyer", "-created_at"]),
            models.Index(fields=["shop", "status", "-created_at"]),
            models.Index(fields=["supplier", "status", "-created_at"]),
            models.Index(fields=["status", "confirm_by"]),
            models.Index(fields=["status", "after_sales_until"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def ships_own_goods(self) -> bool:
        return self.supplier_id is None

    @property
    def address_line(self) -> str:
        return f"{self.ship_province} {self.ship_city} {self.ship_district} {self.ship_detail}"

    @property
    def refundable(self) -> int:
        return self.total - self.refunded_total


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    listing = models.ForeignKey(
        "shops.Listing", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+")
    # What was bought, copied: a later edit of the listing does not change a past order.
    title = models.CharField(max_length=120)
    sku_label = models.CharField(max_length=120, blank=True)
    sku_code = models.CharField(max_length=40)
    image = models.CharField(max_length=255, blank=True)
    unit_price = models.PositiveIntegerField(_("unit price"))
    supply_price = models.PositiveIntegerField(_("supply price"))
    quantity = models.PositiveIntegerField(_("quantity"))
    # This line's part of the order's points discount: off the owner's margin, never the supply.
    points_discount = models.PositiveIntegerField(default=0)
    line_total = models.PositiveIntegerField(_("line total"))
    refunded_amount = models.PositiveIntegerField(default=0)
    returned_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity"),
            models.CheckConstraint(
                condition=Q(line_total=F("unit_price") * F("quantity") - F("points_discount")),
                name="order_line_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("line_total")), name="line_refund_within_total"
            ),
            models.CheckConstraint(
                condition=Q(returned_quantity__lte=F("quantity")), name="line_return_within_qty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} × {self.quantity}"


class AfterSalesKind(models.TextChoices):
    REFUND_ONLY = "refund_only", _("Refund only (keep the goods)")
    RETURN_AND_REFUND = "return_and_refund", _("Return the goods and get a refund")


class AfterSalesReason(models.TextChoices):
    DAMAGED = "damaged", _("Arrived damaged")
    WRONG_ITEM = "wrong_item", _("Wrong item or size")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    MISSING = "missing", _("Parts missing")
    NOT_RECEIVED = "not_received", _("Not received")
    CHANGED_MIND = "changed_mind", _("Changed my mind")
    OTHER = "other", _("Other")


class AfterSalesRequest(models.Model):
    """A buyer's request for money back after shipping, decided by the fulfiller (the operator
    arbitrates a dispute)."""

    number = models.CharField(max_length=24, unique=True)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="after_sales")
    kind = models.CharField(_("what you want"), max_length=20, choices=AfterSalesKind.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=AfterSalesReason.choices)
    description = models.TextField(_("what happened"), max_length=1000, blank=True)
    amount = models.PositiveIntegerField(_("amount"))
    status = models.CharField(
        max_length=16, choices=AfterSalesStatus.choices, default=AfterSalesStatus.REQUESTED
    )
    decision_note = models.CharField(_("answer"), max_length=300, blank=True)
    return_carrier = models.CharField(_("return carrier"), max_length=40, blank=True)
    return_tracking_number = models.CharField(
        _("return tracking number"), max_length=40, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("after-sales request")
        verbose_name_plural = _("after-sales requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="after_sales_amount_positive")
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def returns_goods(self) -> bool:
        return self.kind == AfterSalesKind.RETURN_AND_REFUND


class AfterSalesLine(models.Model):
    request = models.ForeignKey(AfterSalesRequest, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(default=0)  # units sent back (0 for refund only)
    amount = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request", "order_line"], name="one_after_sales_line_per_order_line"
            )
        ]

    def __str__(self) -> str:
        return str(self.pk)


def after_sales_photo_path(instance: AfterSalesPhoto, filename: str) -> str:
    return f"after-sales/{instance.request_id}/{filename}"


class AfterSalesPhoto(models.Model):
    request = models.ForeignKey(AfterSalesRequest, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=after_sales_photo_path)
    thumbnail = models.ImageField(upload_to=after_sales_photo_path)

    def __str__(self) -> str:
        return str(self.pk)


class OrderEvent(models.Model):
    """One state change of an order or of one of its after-sales requests: who, when, why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    after_sales = models.ForeignKey(
        AfterSalesRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=12)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order history")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"

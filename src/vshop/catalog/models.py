"""The supplier catalogue: suppliers, categories, products with images and SKUs.

A product belongs either to a supplier (listed in the catalogue for every shop to resell) or to
one shop (the owner's own goods, C2C). SKUs carry the supplier's price bounds; stock lives in
``inventory``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    slug = models.SlugField(unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=40)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class SupplierStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")


class Supplier(models.Model):
    """A company that lists products once and reaches many shops. An operator approves it."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supplier"
    )
    company_name = models.CharField(_("company name"), max_length=100)
    contact_name = models.CharField(_("contact person"), max_length=60)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    licence_number = models.CharField(_("business licence number"), max_length=40, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=SupplierStatus.choices, default=SupplierStatus.PENDING
    )
    status_reason = models.CharField(_("reason"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.company_name

    @property
    def can_publish(self) -> bool:
        return self.status == SupplierStatus.APPROVED


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    UNPUBLISHED = "unpublished", _("Unpublished")


class Product(models.Model):
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, null=True, blank=True, related_name="products"
    )
    # Set instead of ``supplier`` for a shop owner's own goods, which she ships herself.
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.CASCADE, null=True, blank=True, related_name="own_products"
    )
    title = models.CharField(_("title"), max_length=120)
    description_html = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ProductStatus.choices, default=ProductStatus.DRAFT
    )
    currency = models.CharField(max_length=3, default="CNY")
    # How many shops list it; the catalogue's popularity sort.
    listing_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(supplier__isnull=False) & Q(shop__isnull=True))
                | (Q(supplier__isnull=True) & Q(shop__isnull=False)),
                name="product_from_supplier_or_shop",
            )
        ]
        indexes = [models.Index(fields=["status", "category"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_own_goods(self) -> bool:
        return self.shop_id is not None


def product_image_path(instance: ProductImage, filename: str) -> str:
    return f"products/{instance.product_id}/{filename}"


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(
        upload_to=product_image_path, width_field="width", height_field="height"
    )
    thumbnail = models.ImageField(upload_to=product_image_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.image.name


class Sku(models.Model):
    """One variant of a product (a colour and size), with the supplier's prices in minor units.

    The owner's retail price must lie in ``[min_price, max_price]``; her margin is the retail
    price minus ``supply_price``.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus")
    code = models.CharField(_("SKU code"), max_length=40)
    options = models.JSONField(_("option values"), default=dict, blank=True)
    supply_price = models.PositiveIntegerField(_("supply price"))
    min_price = models.PositiveIntegerField(_("minimum retail price"))
    max_price = models.PositiveIntegerField(_("maximum retail price"))
    suggested_price = models.PositiveIntegerField(_("suggested retail price"))
    weight_grams = models.PositiveIntegerField(_("weight (g)"), default=0)
    # Most units one buyer may put in one order; 0 means the platform's limit.
    purchase_limit = models.PositiveSmallIntegerField(_("most units per order"), default=0)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["product", "code"], name="sku_code_unique_per_product"),
            models.CheckConstraint(
                condition=Q(min_price__gte=F("supply_price"))
                & Q(suggested_price__gte=F("min_price"))
                & Q(max_price__gte=F("suggested_price"))
                & Q(min_price__gt=0),
                name="sku_price_bounds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.title} — {self.label}" if self.options else self.product.title

    @property
    def label(self) -> str:
        """ "red / M". PostgreSQL's jsonb does not keep key order, so the order is fixed here."""
        keys = sorted(
            self.options, key=lambda k: (OPTION_ORDER.get(k.lower(), len(OPTION_ORDER)), k)
        )
        return " / ".join(str(self.options[k]) for k in keys) or str(_("Standard"))

    @property
    def max_per_order(self) -> int:
        platform = settings.VSHOP_MAX_UNITS_PER_LINE
        return min(self.purchase_limit, platform) if self.purchase_limit else platform


# Colour before size before the rest, as shops name their variants.
OPTION_ORDER = {
    name: n
    for n, name in enumerate(["colour", "color", "颜色", "style", "款式", "size", "尺码", "规格"])
}

"""Shops and what they sell: a shop's persona, and its listings of catalogue or own products."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ShopStatus(models.TextChoices):
    ACTIVE = "active", _("Open")
    SUSPENDED = "suspended", _("Suspended")


def shop_image_path(instance: Shop, filename: str) -> str:
    return f"shops/{instance.slug}/{filename}"


class Shop(models.Model):
    """A micro-shop and the persona of the person behind it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shops"
    )
    name = models.CharField(_("shop name"), max_length=60)
    slug = models.SlugField(_("short address"), max_length=40, unique=True)
    bio = models.TextField(_("who I am and why my fans trust me"), max_length=1000, blank=True)
    category = models.ForeignKey(
        "catalog.Category",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shops",
        verbose_name=_("category"),
    )
    avatar = models.ImageField(_("avatar"), upload_to=shop_image_path, blank=True)
    cover = models.ImageField(_("cover"), upload_to=shop_image_path, blank=True)
    is_verified = models.BooleanField(_("identity verified"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=ShopStatus.choices, default=ShopStatus.ACTIVE
    )
    status_reason = models.CharField(_("reason"), max_length=200, blank=True)
    fan_count = models.PositiveIntegerField(_("fans"), default=0)
    # Bumped by every write that changes what the shop's pages show; part of their cache key.
    content_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == ShopStatus.ACTIVE


class ListingStatus(models.TextChoices):
    ACTIVE = "active", _("On sale")
    HIDDEN = "hidden", _("Hidden")


class Listing(models.Model):
    """A product on sale in a shop, with the owner's prices and her endorsement."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="listings")
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="listings"
    )
    endorsement = models.TextField(_("why I recommend it"), max_length=500, blank=True)
    is_pinned = models.BooleanField(_("pinned"), default=False)
    position = models.IntegerField(_("position"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=ListingStatus.choices, default=ListingStatus.ACTIVE
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        ordering = ["-is_pinned", "position", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "product"], name="one_listing_per_product")
        ]
        indexes = [models.Index(fields=["shop", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.shop} · {self.product}"


class ListingPrice(models.Model):
    """The owner's retail price of one SKU, in minor units, inside the supplier's bounds."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="prices")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="listing_prices")
    retail_price = models.PositiveIntegerField(_("retail price"))

    class Meta:
        verbose_name = _("listing price")
        verbose_name_plural = _("listing prices")
        constraints = [
            models.UniqueConstraint(fields=["listing", "sku"], name="one_price_per_sku"),
            models.CheckConstraint(condition=Q(retail_price__gt=0), name="retail_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}: {self.retail_price}"

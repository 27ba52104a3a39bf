"""Credibility: verified-purchase reviews (one per order line, only by the buyer, only once the
goods have arrived)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Review(models.Model):
    order_line = models.OneToOneField(
        "orders.OrderLine", on_delete=models.CASCADE, related_name="review"
    )
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="reviews")
    listing = models.ForeignKey(
        "shops.Listing", on_delete=models.SET_NULL, null=True, related_name="reviews"
    )
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="reviews")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="reviews"
    )
    rating = models.PositiveSmallIntegerField(_("rating"))
    text = models.TextField(_("review"), max_length=500, blank=True)
    is_hidden = models.BooleanField(_("hidden by the operator"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_1_to_5"
            ),
        ]
        indexes = [models.Index(fields=["listing", "-created_at"], name="review_listing_recent")]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.order_line_id}"

"""Stock on hand per SKU. Never below zero: the database refuses it (CHECK constraint)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Stock(models.Model):
    sku = models.OneToOneField("catalog.Sku", on_delete=models.CASCADE, related_name="stock")
    quantity = models.IntegerField(_("in stock"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stock_never_negative")
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}: {self.quantity}"

"""Stock per SKU: units on the shelf, units held by unpaid orders, units sold.

None of the three can go below zero: the database refuses it (CHECK constraints). Units only
move between the three columns (and in and out by the supplier's restocks), so
``quantity + reserved + sold`` changes only when the supplier adds or writes off stock.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Stock(models.Model):
    sku = models.OneToOneField("catalog.Sku", on_delete=models.CASCADE, related_name="stock")
    # On the shelf: what buyers can still order.
    quantity = models.IntegerField(_("in stock"), default=0)
    # Held by orders waiting for payment; back to the shelf when they are cancelled.
    reserved = models.IntegerField(_("reserved"), default=0)
    # Paid for (and not returned).
    sold = models.IntegerField(_("sold"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stock_never_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="reserved_never_negative"),
            models.CheckConstraint(condition=Q(sold__gte=0), name="sold_never_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}: {self.quantity}"

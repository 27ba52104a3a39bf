"""Stock writes. Stock is changed by conditional updates, never read-check-write, so it stays
exact under concurrency; the CHECK constraint is the last line of defence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from vshop.errors import ValidationFailed
from vshop.inventory.models import Stock

if TYPE_CHECKING:
    from vshop.catalog.models import Sku


class NotEnoughStock(ValidationFailed):
    code = "out_of_stock"
    default_message = _("Not enough stock.")


def stock_set(*, sku: Sku, quantity: int) -> Stock:
    if quantity < 0:
        raise ValidationFailed(_("Stock cannot be negative."), field="stock")
    stock, _created = Stock.objects.update_or_create(sku=sku, defaults={"quantity": quantity})
    return stock


def stock_add(*, sku: Sku, quantity: int) -> int:
    """Add (or with a negative number remove) units; refuses to go below zero. Returns the level."""
    if not isinstance(quantity, int) or quantity == 0:
        raise ValidationFailed(_("Enter a number of units other than 0."), field="quantity")
    Stock.objects.get_or_create(sku=sku)
    try:
        with transaction.atomic():
            qs = Stock.objects.filter(sku=sku)
            if quantity < 0:
                qs = qs.filter(quantity__gte=-quantity)
            updated = qs.update(quantity=F("quantity") + quantity)
    except IntegrityError as exc:
        raise NotEnoughStock() from exc
    if not updated:
        raise NotEnoughStock()
    return Stock.objects.values_list("quantity", flat=True).get(sku=sku)

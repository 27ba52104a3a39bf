"""Stock writes. Stock is changed by conditional updates, never read-check-write, so it stays
exact under concurrency; the CHECK constraint is the last line of defence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, connection, transaction
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


# --- stock and orders ----------------------------------------------------------------------
# Each function moves units between the three columns for a batch of SKUs, in ascending SKU
# order so that two checkouts touching the same SKUs lock their rows in the same order and never
# deadlock. Each UPDATE is conditional on the source column holding enough units; a batch runs
# inside the caller's transaction, so a short one rolls the whole checkout back.

Units = dict[int, int]  # sku id → units


_COLUMNS = {"quantity", "reserved", "sold"}


def _move(units: Units, *, source: str, target: str, error: type[ValidationFailed]) -> None:
    assert source in _COLUMNS and target in _COLUMNS  # column names, never user input
    table = Stock._meta.db_table
    # One conditional UPDATE per SKU, written out: this runs on every checkout and payment, and
    # the hand-written statement costs a fraction of a query built by the ORM each time.
    sql = (
        f'UPDATE "{table}" SET "{source}" = "{source}" - %s, "{target}" = "{target}" + %s '
        f'WHERE "sku_id" = %s AND "{source}" >= %s'
    )
    with connection.cursor() as cursor:
        for sku_id in sorted(units):
            n = units[sku_id]
            if n <= 0:
                raise ValidationFailed(_("Enter a number of units above 0."), field="quantity")
            # No savepoint: a short batch fails the caller's whole transaction anyway.
            cursor.execute(sql, [n, n, sku_id, n])
            if cursor.rowcount != 1:
                raise error(sku_id=sku_id)


class StockOutOfStep(ValidationFailed):
    """Units to release or sell that were never reserved: a bug, refused rather than hidden."""

    status = 409
    code = "stock_out_of_step"
    default_message = _("The stock of this order is out of step; nothing was changed.")


def stock_reserve(*, units: Units) -> None:
    """An order is placed: shelf → reserved. Raises NotEnoughStock (with ``sku_id``)."""
    _move(units, source="quantity", target="reserved", error=NotEnoughStock)


def stock_release(*, units: Units) -> None:
    """An unpaid order is cancelled: reserved → shelf."""
    _move(units, source="reserved", target="quantity", error=StockOutOfStep)


def stock_sell(*, units: Units) -> None:
    """An order is paid: reserved → sold."""
    _move(units, source="reserved", target="sold", error=StockOutOfStep)


def stock_return(*, units: Units) -> None:
    """Paid goods come back (cancelled before shipping, or returned): sold → shelf."""
    _move(units, source="sold", target="quantity", error=StockOutOfStep)

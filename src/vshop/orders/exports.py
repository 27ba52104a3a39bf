"""The packing list: what a fulfiller has to pack and ship, as CSV that Excel and WPS open."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from vshop.orders.models import Order
from vshop.spreadsheets import spreadsheet_cell


def packing_list_csv(orders: Iterable[Order]) -> str:
    """One row per order line; a BOM so that Excel reads the Chinese as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Order"),
            _("Paid at"),
            _("Shop"),
            _("Recipient"),
            _("Mobile"),
            _("Address"),
            _("SKU code"),
            _("Product"),
            _("Variant"),
            _("Quantity"),
            _("Note"),
        ]
    )
    tz = timezone.get_current_timezone()
    for order in orders:
        paid = (
            timezone.localtime(order.paid_at, tz).strftime("%Y-%m-%d %H:%M")
            if order.paid_at
            else ""
        )
        for line in order.lines.all():
            quantity = line.quantity - line.returned_quantity
            if quantity <= 0:
                continue
            writer.writerow(
                [
                    spreadsheet_cell(x)
                    for x in (
                        order.number,
                        paid,
                        order.shop.name,
                        order.ship_name,
                        order.ship_mobile,
                        order.address_line,
                        line.sku_code,
                        line.title,
                        line.sku_label,
                        quantity,
                        order.note,
                    )
                ]
            )
    return out.getvalue()

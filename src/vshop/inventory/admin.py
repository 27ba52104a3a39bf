"""Operator console for stock: looked at, never changed here (suppliers restock through the
catalogue service, so the no-negative-stock rule and page refreshes always apply)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from vshop.inventory.models import Stock
from vshop.web.admin import ReadOnlyAdmin


class StockLevelFilter(admin.SimpleListFilter):
    title = _("stock level")
    parameter_name = "level"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("out", _("Sold out")), ("low", _("Low (1–5)"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Stock]) -> QuerySet[Stock]:
        if self.value() == "out":
            return queryset.filter(quantity=0)
        if self.value() == "low":
            return queryset.filter(quantity__gte=1, quantity__lte=5)
        return queryset


@admin.register(Stock)
class StockAdmin(ReadOnlyAdmin):
    list_display = ["sku_code", "product", "quantity", "reserved", "sold", "updated_at"]
    list_filter = [StockLevelFilter]
    search_fields = ["sku__code", "sku__product__title"]
    list_select_related = ["sku__product"]
    fields = ("sku", "quantity", "reserved", "sold", "updated_at")
    readonly_fields = fields

    @admin.display(description=_("SKU code"), ordering="sku__code")
    def sku_code(self, obj: Stock) -> str:
        return obj.sku.code

    @admin.display(description=_("product"), ordering="sku__product__title")
    def product(self, obj: Stock) -> str:
        return obj.sku.product.title

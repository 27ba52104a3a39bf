"""Operator console for buying: orders with their lines and history, checkouts, delivery rules,
and after-sales requests, where the operator settles a dispute.

Everything is shown, never edited: orders change only through ``orders.services``. Settling a
dispute is an admin action that asks for a note and calls ``after_sales.after_sales_arbitrate``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from vshop.money import format_money
from vshop.orders import after_sales
from vshop.orders.models import (
    AfterSalesLine,
    AfterSalesPhoto,
    AfterSalesRequest,
    Checkout,
    DeliveryRule,
    Order,
    OrderEvent,
    OrderLine,
)
from vshop.web.admin import ReadOnlyAdmin, ReadOnlyInline, ask_reason, run_service
from vshop.web.auth import acting_user

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = (
        "title",
        "sku_label",
        "sku_code",
        "unit",
        "supply",
        "quantity",
        "total",
        "refunded",
        "returned_quantity",
    )
    readonly_fields = fields

    @admin.display(description=_("unit price"))
    def unit(self, obj: OrderLine) -> str:
        return format_money(obj.unit_price)

    @admin.display(description=_("supply price"))
    def supply(self, obj: OrderLine) -> str:
        return format_money(obj.supply_price)

    @admin.display(description=_("line total"))
    def total(self, obj: OrderLine) -> str:
        return format_money(obj.line_total)

    @admin.display(description=_("refunded"))
    def refunded(self, obj: OrderLine) -> str:
        return format_money(obj.refunded_amount)


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fk_name = "order"
    fields = ("created_at", "after_sales", "from_status", "to_status", "role", "actor", "reason")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderEvent]:
        return super().get_queryset(request).select_related("actor", "after_sales")


class AfterSalesOfOrderInline(ReadOnlyInline):
    model = AfterSalesRequest
    fields = ("link", "kind", "reason", "amount_shown", "status", "decision_note", "created_at")
    readonly_fields = fields
    verbose_name_plural = _("after-sales requests")

    @admin.display(description=_("request"))
    def link(self, obj: AfterSalesRequest) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_aftersalesrequest_change", args=[obj.pk]),
            obj.number,
        )

    @admin.display(description=_("amount"))
    def amount_shown(self, obj: AfterSalesRequest) -> str:
        return format_money(obj.amount)


def _money(field: str, label: StrOrPromise) -> Callable[[Any, Any], str]:
    """A column showing an amount in fen as money."""

    @admin.display(description=label, ordering=field)
    def show(self: Any, obj: Any) -> str:
        return format_money(getattr(obj, field), getattr(obj, "currency", "CNY"))

    return show


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "shop",
        "supplier",
        "status",
        "total_shown",
        "refunded_shown",
        "created_at",
    ]
    list_filter = ["status", ("supplier", admin.EmptyFieldListFilter)]
    search_fields = ["number", "checkout__number"]
    list_select_related = ["shop", "supplier"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, AfterSalesOfOrderInline, OrderEventInline]
    fields = (
        "number",
        "checkout",
        "buyer",
        "shop",
        "supplier",
        "status",
        "items_shown",
        "delivery_shown",
        "total_shown",
        "refunded_shown",
        "recipient",
        "note",
        "carrier",
        "tracking_number",
        "created_at",
        "paid_at",
        "shipped_at",
        "confirm_by",
        "delivered_at",
        "after_sales_until",
        "completed_at",
        "cancelled_at",
    )
    readonly_fields = fields

    total_shown = _money("total", _("total"))
    refunded_shown = _money("refunded_total", _("refunded"))
    items_shown = _money("items_total", _("goods"))
    delivery_shown = _money("delivery_fee", _("delivery"))

    @admin.display(description=_("deliver to"))
    def recipient(self, obj: Order) -> str:
        return f"{obj.ship_name} {obj.ship_mobile} · {obj.address_line}"


class AfterSalesLineInline(ReadOnlyInline):
    model = AfterSalesLine
    fields = ("order_line", "quantity", "amount_shown")
    readonly_fields = fields

    @admin.display(description=_("amount"))
    def amount_shown(self, obj: AfterSalesLine) -> str:
        return format_money(obj.amount)


class AfterSalesPhotoInline(ReadOnlyInline):
    model = AfterSalesPhoto
    fields = ("preview",)
    readonly_fields = fields

    @admin.display(description=_("photo"))
    def preview(self, obj: AfterSalesPhoto) -> str:
        if not obj.thumbnail:
            return "-"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="" width="120"></a>',
            obj.image.url,
            obj.thumbnail.url,
        )


class AfterSalesEventInline(ReadOnlyInline):
    model = OrderEvent
    fk_name = "after_sales"
    fields = ("created_at", "from_status", "to_status", "role", "actor", "reason")
    readonly_fields = fields
    verbose_name_plural = _("history")


@admin.register(AfterSalesRequest)
class AfterSalesRequestAdmin(ReadOnlyAdmin):
    """Disputes wait under "status: waiting for the platform's decision". Select one and refund
    the buyer or close it for the seller; either way with a note both of them see."""

    list_display = [
        "number",
        "order",
        "shop",
        "kind",
        "reason",
        "amount_shown",
        "status",
        "created_at",
        "updated_at",
    ]
    list_filter = ["status", "kind", "reason"]
    search_fields = ["number", "order__number"]
    list_select_related = ["order", "order__shop"]
    date_hierarchy = "created_at"
    actions = ["refund_for_buyer", "close_for_seller"]
    inlines = [AfterSalesLineInline, AfterSalesPhotoInline, AfterSalesEventInline]
    fields = (
        "number",
        "order",
        "kind",
        "reason",
        "description",
        "amount_shown",
        "status",
        "decision_note",
        "return_carrier",
        "return_tracking_number",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    amount_shown = _money("amount", _("amount"))

    @admin.display(description=_("shop"), ordering="order__shop__name")
    def shop(self, obj: AfterSalesRequest) -> str:
        return obj.order.shop.name

    def _arbitrate(
        self, request: HttpRequest, queryset: QuerySet[AfterSalesRequest], *, refund: bool
    ) -> HttpResponse | None:
        action = "refund_for_buyer" if refund else "close_for_seller"
        note = ask_reason(
            self,
            request,
            queryset,
            action=action,
            title=_("Refund the buyer") if refund else _("Close for the seller"),
            question=(
                _(
                    "Decide for the buyer: refund these requests? The buyer and the seller see your note."
                )
                if refund
                else _(
                    "Decide for the seller: close these requests without a refund? The buyer and "
                    "the seller see your note."
                )
            ),
        )
        if isinstance(note, HttpResponse):
            return note
        operator = acting_user(request)
        run_service(
            self,
            request,
            queryset,
            lambda r: after_sales.after_sales_arbitrate(
                operator=operator, number=r.number, refund=refund, note=note
            ),
            done=_("Decided for the buyer") if refund else _("Decided for the seller"),
        )
        return None

    @admin.action(description=_("Settle the dispute for the buyer: refund (with a note)"))
    def refund_for_buyer(
        self, request: HttpRequest, queryset: QuerySet[AfterSalesRequest]
    ) -> HttpResponse | None:
        return self._arbitrate(request, queryset, refund=True)

    @admin.action(description=_("Settle the dispute for the seller: close (with a note)"))
    def close_for_seller(
        self, request: HttpRequest, queryset: QuerySet[AfterSalesRequest]
    ) -> HttpResponse | None:
        return self._arbitrate(request, queryset, refund=False)


@admin.register(Checkout)
class CheckoutAdmin(ReadOnlyAdmin):
    list_display = ["number", "buyer", "status", "total_shown", "created_at", "paid_at"]
    list_filter = ["status"]
    search_fields = ["number"]
    list_select_related = ["buyer"]
    date_hierarchy = "created_at"
    fields = (
        "number",
        "buyer",
        "status",
        "items_shown",
        "delivery_shown",
        "total_shown",
        "orders_list",
        "created_at",
        "pay_by",
        "paid_at",
        "cancelled_at",
    )
    readonly_fields = fields

    total_shown = _money("total", _("total"))
    items_shown = _money("items_total", _("goods"))
    delivery_shown = _money("delivery_total", _("delivery"))

    @admin.display(description=_("orders"))
    def orders_list(self, obj: Checkout) -> SafeString:
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:orders_order_change", args=[o.pk]), o.number)
                for o in obj.orders.all()
            ),
        )


@admin.register(DeliveryRule)
class DeliveryRuleAdmin(ReadOnlyAdmin):
    list_display = ["owner", "flat_fee_shown", "free_over_shown", "updated_at"]
    list_select_related = ["supplier", "shop"]
    search_fields = ["supplier__company_name", "shop__name", "shop__slug"]
    fields = ("supplier", "shop", "flat_fee_shown", "free_over_shown", "updated_at")
    readonly_fields = fields

    @admin.display(description=_("who ships"))
    def owner(self, obj: DeliveryRule) -> str:
        return str(obj.supplier or obj.shop)

    @admin.display(description=_("delivery fee"), ordering="flat_fee")
    def flat_fee_shown(self, obj: DeliveryRule) -> str:
        return format_money(obj.flat_fee)

    @admin.display(description=_("free delivery from"), ordering="free_over")
    def free_over_shown(self, obj: DeliveryRule) -> str:
        return "-" if obj.free_over is None else format_money(obj.free_over)

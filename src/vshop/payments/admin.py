"""Operator console for payments: payments, refunds and the gateway notifications that moved
them, to answer "I paid but the order says unpaid" and "where is my refund".

Shown, never edited: they change only through ``payments.services`` and verified
notifications. No secret is stored, so none can be shown. The sandbox gateway's own tables are
the provider's side, not VShop's, and are left out of the console.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from vshop.money import format_money
from vshop.payments import services
from vshop.payments.models import Payment, PaymentNotification, Refund
from vshop.web.admin import ReadOnlyAdmin, ReadOnlyInline, run_service
from vshop.web.auth import acting_user


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ("number", "order", "amount_shown", "status", "reason", "attempts", "created_at")
    readonly_fields = fields

    @admin.display(description=_("amount"))
    def amount_shown(self, obj: Refund) -> str:
        return format_money(obj.amount)


class NotificationInline(ReadOnlyInline):
    model = PaymentNotification
    fields = ("received_at", "gateway", "event_id", "kind", "outcome")
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "checkout",
        "gateway",
        "amount_shown",
        "refunded_shown",
        "status",
        "settles_checkout",
        "created_at",
        "paid_at",
    ]
    list_filter = ["status", "gateway", "settles_checkout"]
    search_fields = ["number", "checkout__number", "provider_ref"]
    list_select_related = ["checkout"]
    date_hierarchy = "created_at"
    inlines = [RefundInline, NotificationInline]
    fields = (
        "number",
        "checkout",
        "gateway",
        "amount_shown",
        "refunded_shown",
        "currency",
        "status",
        "settles_checkout",
        "provider_ref",
        "created_at",
        "paid_at",
    )
    readonly_fields = fields

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, obj: Payment) -> str:
        return format_money(obj.amount, obj.currency)

    @admin.display(description=_("refunded"), ordering="refunded_amount")
    def refunded_shown(self, obj: Payment) -> str:
        return format_money(obj.refunded_amount, obj.currency)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "payment",
        "order",
        "amount_shown",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "succeeded_at",
    ]
    list_filter = ["status"]
    actions = ["send_again"]
    search_fields = ["number", "payment__number", "order__number", "provider_ref"]
    list_select_related = ["payment", "order"]
    date_hierarchy = "created_at"
    fields = (
        "number",
        "payment",
        "order",
        "amount_shown",
        "reason",
        "status",
        "provider_ref",
        "attempts",
        "last_error",
        "created_at",
        "succeeded_at",
    )
    readonly_fields = fields

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, obj: Refund) -> str:
        return format_money(obj.amount)

    @admin.action(description=_("Send the refund to its gateway again"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[Refund]) -> None:
        operator = acting_user(request)
        run_service(
            self,
            request,
            queryset,
            lambda refund: services.refund_retry(refund=refund, operator=operator),
            done=_("Sent again"),
        )


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "gateway", "event_id", "kind", "payment", "outcome"]
    list_filter = ["gateway", "kind", "outcome"]
    search_fields = ["event_id", "payment__number"]
    list_select_related = ["payment"]
    date_hierarchy = "received_at"
    fields = ("gateway", "event_id", "kind", "payment", "outcome", "received_at")
    readonly_fields = fields

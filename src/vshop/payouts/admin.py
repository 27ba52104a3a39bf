"""Operator console for withdrawals: the review queue (filter "waiting for review"), approve or
reject with a reason, and each withdrawal's history. Rows change only through
``payouts.services``, never by editing."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from vshop.money import format_money
from vshop.payouts import services
from vshop.payouts.models import Withdrawal, WithdrawalEvent
from vshop.web.admin import ReadOnlyAdmin, ReadOnlyInline, ask_reason, run_service
from vshop.web.auth import acting_user


class WithdrawalEventInline(ReadOnlyInline):
    model = WithdrawalEvent
    fields = ("created_at", "from_status", "to_status", "role", "actor", "reason")
    readonly_fields = fields


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "requester",
        "role",
        "supplier",
        "amount_shown",
        "fee_shown",
        "payee",
        "payee_name",
        "status",
        "created_at",
    ]
    list_filter = ["status", "role"]
    search_fields = [
        "number",
        "payee",
        "payee_name",
        "requester__email",
        "requester__mobile",
        "supplier__company_name",
    ]
    list_select_related = ["requester", "supplier"]
    date_hierarchy = "created_at"
    ordering = ["created_at", "id"]  # oldest first: nobody waits longest
    actions = ["approve", "reject"]
    inlines = [WithdrawalEventInline]
    fields = (
        "number",
        "requester",
        "role",
        "supplier",
        "amount_shown",
        "fee_shown",
        "repaid_shown",
        "payee",
        "payee_name",
        "status",
        "reason",
        "gateway",
        "provider_ref",
        "attempts",
        "last_error",
        "created_at",
        "approved_at",
        "finished_at",
    )
    readonly_fields = fields

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, obj: Withdrawal) -> str:
        return format_money(obj.amount, obj.currency)

    @admin.display(description=_("fee"), ordering="fee")
    def fee_shown(self, obj: Withdrawal) -> str:
        return format_money(obj.fee, obj.currency)

    @admin.display(description=_("debt repaid"))
    def repaid_shown(self, obj: Withdrawal) -> str:
        return format_money(obj.repaid, obj.currency)

    @admin.action(description=_("Approve and pay out the selected withdrawals"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        operator = acting_user(request)
        run_service(
            self,
            request,
            queryset,
            lambda w: services.withdrawal_approve(operator=operator, number=w.number),
            done=_("Approved"),
        )

    @admin.action(description=_("Reject the selected withdrawals (with a reason)"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> HttpResponse | None:
        reason = ask_reason(
            self,
            request,
            queryset,
            action="reject",
            title=_("Reject"),
            question=_("Reject these withdrawals? The money goes back to their balances."),
        )
        if isinstance(reason, HttpResponse):
            return reason
        operator = acting_user(request)
        run_service(
            self,
            request,
            queryset,
            lambda w: services.withdrawal_reject(operator=operator, number=w.number, reason=reason),
            done=_("Rejected"),
        )
        return None

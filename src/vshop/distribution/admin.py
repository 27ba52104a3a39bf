"""Operator console for promoters: the flag queue (suspicious sales to look at, resolved with a
note), and read-only views of promoters, programmes, listing rates and order attributions.

Rows change only through ``distribution.services``: resolving flags is an admin action that asks
for the decision and calls ``flag_resolve``; the owners' settings and decisions are theirs.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vshop.distribution import services
from vshop.distribution.models import (
    Flag,
    ListingCommission,
    OrderAttribution,
    Programme,
    Promoter,
)
from vshop.web.admin import ReadOnlyAdmin, ask_reason, run_service
from vshop.web.auth import acting_user


class ResolvedFilter(admin.SimpleListFilter):
    title = _("resolved")
    parameter_name = "resolved"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("no", str(pgettext_lazy("flag", "Open"))), ("yes", str(_("Resolved")))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Flag]) -> QuerySet[Flag]:
        if self.value() == "no":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "shop",
        "promoter",
        "order",
        "detail",
        "resolved_at",
        "resolved_by",
    ]
    list_filter = ["kind", ResolvedFilter]
    search_fields = [
        "order__number",
        "shop__slug",
        "promoter__user__email",
        "promoter__user__mobile",
        "promoter__user__display_name",
    ]
    list_select_related = ["shop", "promoter__user", "order", "resolved_by"]
    date_hierarchy = "created_at"
    actions = ["mark_resolved"]
    fields = (
        "kind",
        "shop",
        "promoter",
        "order",
        "detail",
        "created_at",
        "resolved_at",
        "resolved_by",
        "resolution",
    )
    readonly_fields = fields

    @admin.action(description=_("Mark resolved (with what you decided)"))
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[Flag]) -> HttpResponse | None:
        resolution = ask_reason(
            self,
            request,
            queryset,
            action="mark_resolved",
            title=_("Mark resolved"),
            question=_("What did you decide about these flags?"),
        )
        if isinstance(resolution, HttpResponse):
            return resolution
        run_service(
            self,
            request,
            queryset,
            lambda flag: services.flag_resolve(
                operator=acting_user(request), flag_id=flag.pk, resolution=resolution
            ),
            done=_("Resolved"),
        )
        return None


@admin.register(Promoter)
class PromoterAdmin(ReadOnlyAdmin):
    list_display = ["user", "shop", "status", "recruiter", "applied_at", "joined_at"]
    list_filter = ["status"]
    search_fields = ["user__email", "user__mobile", "user__display_name", "shop__slug"]
    list_select_related = ["user", "shop", "recruiter__user"]
    fields = (
        "user",
        "shop",
        "status",
        "recruiter",
        "message",
        "decision_note",
        "applied_at",
        "joined_at",
    )
    readonly_fields = fields


@admin.register(Programme)
class ProgrammeAdmin(ReadOnlyAdmin):
    list_display = [
        "shop",
        "is_enabled",
        "join_policy",
        "levels",
        "level1_rate",
        "level2_rate",
        "attribution_model",
        "attribution_days",
        "updated_at",
    ]
    list_filter = ["is_enabled", "join_policy", "levels"]
    search_fields = ["shop__slug", "shop__name"]
    list_select_related = ["shop"]
    fields = (
        "shop",
        "is_enabled",
        "join_policy",
        "levels",
        "level1_rate",
        "level2_rate",
        "attribution_model",
        "attribution_days",
        "updated_at",
    )
    readonly_fields = fields


@admin.register(ListingCommission)
class ListingCommissionAdmin(ReadOnlyAdmin):
    list_display = ["listing", "level1_rate", "level2_rate", "updated_at"]
    search_fields = ["listing__shop__slug", "listing__product__title"]
    list_select_related = ["listing"]
    fields = ("listing", "level1_rate", "level2_rate", "updated_at")
    readonly_fields = fields


@admin.register(OrderAttribution)
class OrderAttributionAdmin(ReadOnlyAdmin):
    list_display = [
        "order",
        "shop",
        "channel",
        "sharer",
        "promoter",
        "promoter2",
        "self_referral",
        "created_at",
    ]
    list_filter = ["channel", "self_referral"]
    search_fields = ["order__number", "shop__slug", "sharer__email", "sharer__display_name"]
    list_select_related = ["order", "shop", "sharer", "promoter__user", "promoter2__user"]
    date_hierarchy = "created_at"
    fields = (
        "order",
        "shop",
        "channel",
        "first_touch",
        "last_touch",
        "sharer",
        "promoter",
        "promoter2",
        "self_referral",
        "created_at",
    )
    readonly_fields = fields

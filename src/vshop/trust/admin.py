"""Operator console for reviews: read them, and hide (or show again) one that breaks the rules.
Rows change only through ``trust.services``."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from vshop.trust import services
from vshop.trust.models import Review
from vshop.web.admin import ReadOnlyAdmin


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "rating", "text", "shop", "listing", "buyer", "is_hidden"]
    list_filter = ["is_hidden", "rating"]
    search_fields = ["text", "shop__slug", "order_line__order__number", "buyer__email"]
    list_select_related = ["shop", "listing__product", "listing__shop", "buyer"]
    date_hierarchy = "created_at"
    actions = ["hide", "show"]
    fields = (
        "order_line",
        "shop",
        "listing",
        "product",
        "buyer",
        "rating",
        "text",
        "is_hidden",
        "created_at",
    )
    readonly_fields = fields

    def _set_hidden(self, request: HttpRequest, queryset: QuerySet[Review], hidden: bool) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        changed = services.reviews_set_hidden(review_ids=ids, hidden=hidden)
        for review in queryset.filter(pk__in=ids):
            self.log_change(request, review, str(_("Hidden") if hidden else _("Shown again")))
        self.message_user(
            request,
            ngettext("%(n)d review changed.", "%(n)d reviews changed.", changed) % {"n": changed},
        )

    @admin.action(description=_("Hide the selected reviews"))
    def hide(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._set_hidden(request, queryset, True)

    @admin.action(description=_("Show the selected reviews again"))
    def show(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._set_hidden(request, queryset, False)

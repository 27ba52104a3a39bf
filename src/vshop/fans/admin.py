"""Operator console for follows: who follows which shop, to look into complaints and fake fans.
Shown, never edited: follows change only through ``fans.services`` (which keep fan counts)."""

from __future__ import annotations

from django.contrib import admin

from vshop.fans.models import Follow
from vshop.web.admin import ReadOnlyAdmin


@admin.register(Follow)
class FollowAdmin(ReadOnlyAdmin):
    list_display = ["fan", "shop", "created_at"]
    search_fields = [
        "fan__email",
        "fan__mobile",
        "fan__display_name",
        "shop__name",
        "shop__slug",
    ]
    list_select_related = ["fan", "shop"]
    date_hierarchy = "created_at"
    fields = ("fan", "shop", "created_at")
    readonly_fields = fields

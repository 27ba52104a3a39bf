"""The operator's console: platform caps, campaigns (read only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from vshop.campaigns.models import (
    Campaign,
    CampaignVariant,
    MessagingPolicy,
    ShopMessagingSettings,
)
from vshop.web.admin import ReadOnlyAdmin, ReadOnlyInline


class MessagingPolicyForm(forms.ModelForm):
    class Meta:
        model = MessagingPolicy
        fields = ["per_shop_per_day", "per_fan_per_day"]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        per_shop, per_fan = data.get("per_shop_per_day"), data.get("per_fan_per_day")
        if isinstance(per_shop, int) and per_shop < 1:
            self.add_error("per_shop_per_day", _("At least 1: 0 would stop every campaign."))
        if isinstance(per_fan, int) and per_fan < 1:
            self.add_error("per_fan_per_day", _("At least 1: 0 would stop every campaign."))
        if isinstance(per_shop, int) and isinstance(per_fan, int) and per_shop > per_fan:
            self.add_error(
                "per_shop_per_day", _("One shop cannot send more than a fan gets in all.")
            )
        return data


@admin.register(MessagingPolicy)
class MessagingPolicyAdmin(admin.ModelAdmin):
    """One row: made once (until then the settings' defaults hold), changed, never deleted."""

    form = MessagingPolicyForm
    list_display = ["__str__", "per_shop_per_day", "per_fan_per_day", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not MessagingPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


class VariantInline(ReadOnlyInline):
    model = CampaignVariant
    fields = ("number", "title", "text")
    readonly_fields = fields


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    """Shown, never edited: campaigns change only through the owner's pages and the worker."""

    list_display = [
        "name",
        "shop",
        "status",
        "timing",
        "audience_count",
        "planned_count",
        "holdout_count",
        "held_caps",
        "held_quiet",
        "held_optout",
        "created_at",
    ]
    list_filter = ["status", "timing"]
    search_fields = ["name", "shop__name", "shop__slug"]
    list_select_related = ["shop"]
    date_hierarchy = "created_at"
    inlines = [VariantInline]


@admin.register(ShopMessagingSettings)
class ShopMessagingSettingsAdmin(ReadOnlyAdmin):
    """The owners' own caps and webhooks; the signing secret is never shown here."""

    list_display = ["shop", "per_fan_per_day", "webhook_url", "updated_at"]
    search_fields = ["shop__name", "shop__slug", "webhook_url"]
    list_select_related = ["shop"]
    fields = ("shop", "per_fan_per_day", "webhook_url", "has_secret", "updated_at")
    readonly_fields = fields

    @admin.display(boolean=True, description=_("secret set"))
    def has_secret(self, obj: ShopMessagingSettings) -> bool:
        return bool(obj.webhook_secret)

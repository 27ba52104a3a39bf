"""Operator console for shops and listings: find a shop, suspend or reinstate it, set the
verified badge. Every change is an admin action that calls ``shops.services``; listings are
shown, not edited, because only the shop owner changes them.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from vshop.money import format_money
from vshop.shops import services as shops
from vshop.shops.models import Listing, ListingPrice, Shop
from vshop.web.admin import ReadOnlyAdmin, ReadOnlyInline, ask_reason, run_service
from vshop.web.auth import acting_user


@admin.register(Shop)
class ShopAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "slug",
        "owner",
        "category",
        "status",
        "is_verified",
        "fan_count",
        "listing_total",
        "created_at",
    ]
    list_filter = ["status", "is_verified", "category"]
    search_fields = [
        "name",
        "slug",
        "owner__email",
        "owner__mobile",
        "owner__display_name",
    ]
    list_select_related = ["owner", "category"]
    date_hierarchy = "created_at"
    actions = ["suspend", "reinstate", "verify", "unverify"]
    fields = (
        "name",
        "slug",
        "public_page",
        "owner",
        "category",
        "bio",
        "avatar_preview",
        "status",
        "status_reason",
        "is_verified",
        "fan_count",
        "created_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Shop]:
        return super().get_queryset(request).annotate(n_listings=Count("listings"))

    @admin.display(description=_("listings"), ordering="n_listings")
    def listing_total(self, obj: Shop) -> int:
        return obj.n_listings  # type: ignore[attr-defined]  # annotated in get_queryset

    @admin.display(description=_("public page"))
    def public_page(self, obj: Shop) -> str:
        return format_html('<a href="/s/{0}/">/s/{0}/</a>', obj.slug)

    @admin.display(description=_("avatar"))
    def avatar_preview(self, obj: Shop) -> str:
        if not obj.avatar:
            return "-"
        return format_html('<img src="{}" alt="" width="80" height="80">', obj.avatar.url)

    @admin.action(description=_("Suspend the selected shops (with a reason)"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Shop]) -> HttpResponse | None:
        reason = ask_reason(
            self,
            request,
            queryset,
            action="suspend",
            title=_("Suspend"),
            question=_(
                "Suspend these shops? Their pages will say they are suspended and they "
                "cannot sell until they are reinstated."
            ),
        )
        if isinstance(reason, HttpResponse):
            return reason
        run_service(
            self,
            request,
            queryset,
            lambda s: shops.shop_suspend(shop=s, operator=acting_user(request), reason=reason),
            done=_("Suspended"),
        )
        return None

    @admin.action(description=_("Reinstate the selected shops"))
    def reinstate(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        run_service(
            self,
            request,
            queryset,
            lambda s: shops.shop_reinstate(shop=s, operator=acting_user(request)),
            done=_("Reinstated"),
        )

    @admin.action(description=_("Give the verified badge (identity checked)"))
    def verify(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        run_service(
            self,
            request,
            queryset,
            lambda s: shops.shop_set_verified(shop=s, operator=acting_user(request), verified=True),
            done=_("Verified"),
        )

    @admin.action(description=_("Remove the verified badge"))
    def unverify(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        run_service(
            self,
            request,
            queryset,
            lambda s: shops.shop_set_verified(
                shop=s, operator=acting_user(request), verified=False
            ),
            done=_("Badge removed"),
        )


class ListingPriceInline(ReadOnlyInline):
    model = ListingPrice
    fields = ("sku", "retail", "bounds", "margin")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ListingPrice]:
        return super().get_queryset(request).select_related("sku__product")

    @admin.display(description=_("retail price"))
    def retail(self, obj: ListingPrice) -> str:
        return format_money(obj.retail_price)

    @admin.display(description=_("supplier's bounds"))
    def bounds(self, obj: ListingPrice) -> str:
        return f"{format_money(obj.sku.min_price)} – {format_money(obj.sku.max_price)}"

    @admin.display(description=_("margin"))
    def margin(self, obj: ListingPrice) -> str:
        return format_money(obj.retail_price - obj.sku.supply_price)


@admin.register(Listing)
class ListingAdmin(ReadOnlyAdmin):
    list_display = ["product", "shop", "status", "is_pinned", "position", "created_at"]
    list_filter = ["status", "is_pinned", "product__category", "shop__status"]
    search_fields = ["product__title", "shop__name", "shop__slug", "endorsement"]
    list_select_related = ["product", "shop"]
    date_hierarchy = "created_at"
    inlines = [ListingPriceInline]
    fields = (
        "shop",
        "product",
        "endorsement",
        "status",
        "is_pinned",
        "position",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

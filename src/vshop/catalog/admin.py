"""Operator console for the catalogue: supplier applications to review, products, categories.

Supplier reviews are admin actions that call ``catalog.services``; products are shown, not
edited, because only their supplier changes them (through the services).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from vshop.catalog import services as catalog
from vshop.catalog.models import Category, Product, ProductImage, Sku, Supplier
from vshop.money import format_money
from vshop.web.admin import ReadOnlyAdmin, ReadOnlyInline, ask_reason, run_service
from vshop.web.auth import acting_user


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Categories are the platform's own reference data: operators edit them here directly."""

    list_display = ["name_zh", "name_en", "slug", "position", "product_count"]
    list_editable = ["position"]
    search_fields = ["name_zh", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(n_products=Count("products"))

    @admin.display(description=_("products"), ordering="n_products")
    def product_count(self, obj: Category) -> int:
        return obj.n_products  # type: ignore[attr-defined]  # annotated in get_queryset


@admin.register(Supplier)
class SupplierAdmin(ReadOnlyAdmin):
    """The review queue: filter by status, open an application, approve or reject it."""

    list_display = [
        "company_name",
        "licence_number",
        "contact_name",
        "contact_phone",
        "owner",
        "status",
        "status_reason",
        "product_count",
        "created_at",
        "reviewed_at",
    ]
    list_filter = ["status"]
    search_fields = [
        "company_name",
        "licence_number",
        "contact_name",
        "contact_phone",
        "owner__email",
        "owner__mobile",
    ]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    actions = ["approve", "reject", "suspend", "reinstate"]
    readonly_fields = [
        "company_name",
        "licence_number",
        "contact_name",
        "contact_phone",
        "owner",
        "status",
        "status_reason",
        "reviewed_by",
        "reviewed_at",
        "created_at",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Supplier]:
        return super().get_queryset(request).annotate(n_products=Count("products"))

    @admin.display(description=_("products"), ordering="n_products")
    def product_count(self, obj: Supplier) -> int:
        return obj.n_products  # type: ignore[attr-defined]  # annotated in get_queryset

    @admin.action(description=_("Approve the selected suppliers"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        run_service(
            self,
            request,
            queryset.select_related("owner"),
            lambda s: catalog.supplier_approve(supplier=s, operator=acting_user(request)),
            done=_("Approved"),
        )

    @admin.action(description=_("Reject the selected applications (with a reason)"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> HttpResponse | None:
        reason = ask_reason(
            self,
            request,
            queryset,
            action="reject",
            title=_("Reject"),
            question=_("Reject these supplier applications? Tell the applicant why."),
        )
        if isinstance(reason, HttpResponse):
            return reason
        run_service(
            self,
            request,
            queryset,
            lambda s: catalog.supplier_reject(
                supplier=s, operator=acting_user(request), reason=reason
            ),
            done=_("Rejected"),
        )
        return None

    @admin.action(description=_("Suspend the selected suppliers (with a reason)"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> HttpResponse | None:
        reason = ask_reason(
            self,
            request,
            queryset,
            action="suspend",
            title=_("Suspend"),
            question=_(
                "Suspend these suppliers? Their products stay in shops but cannot be sold "
                "until they are reinstated."
            ),
        )
        if isinstance(reason, HttpResponse):
            return reason
        run_service(
            self,
            request,
            queryset,
            lambda s: catalog.supplier_suspend(
                supplier=s, operator=acting_user(request), reason=reason
            ),
            done=_("Suspended"),
        )
        return None

    @admin.action(description=_("Reinstate the selected suspended suppliers"))
    def reinstate(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        run_service(
            self,
            request,
            queryset,
            lambda s: catalog.supplier_reinstate(supplier=s, operator=acting_user(request)),
            done=_("Reinstated"),
        )


class SkuInline(ReadOnlyInline):
    model = Sku
    fields = (
        "code",
        "label",
        "supply",
        "minimum",
        "suggested",
        "maximum",
        "in_stock",
        "weight_grams",
        "is_active",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Sku]:
        return super().get_queryset(request).select_related("stock")

    @admin.display(description=_("options"))
    def label(self, obj: Sku) -> str:
        return obj.label

    @admin.display(description=_("supply price"))
    def supply(self, obj: Sku) -> str:
        return format_money(obj.supply_price)

    @admin.display(description=_("minimum"))
    def minimum(self, obj: Sku) -> str:
        return format_money(obj.min_price)

    @admin.display(description=_("suggested"))
    def suggested(self, obj: Sku) -> str:
        return format_money(obj.suggested_price)

    @admin.display(description=_("maximum"))
    def maximum(self, obj: Sku) -> str:
        return format_money(obj.max_price)

    # Not named "stock": the admin would show Sku.stock, the related row, instead.
    @admin.display(description=_("in stock"))
    def in_stock(self, obj: Sku) -> int:
        stock = getattr(obj, "stock", None)
        return stock.quantity if stock is not None else 0


class ProductImageInline(ReadOnlyInline):
    model = ProductImage
    fields = ("preview", "width", "height", "position")
    readonly_fields = fields

    @admin.display(description=_("image"))
    def preview(self, obj: ProductImage) -> str:
        if not obj.thumbnail:
            return "-"
        return format_html(
            '<a href="{}"><img src="{}" alt="" width="120" height="120"></a>',
            obj.image.url,
            obj.thumbnail.url,
        )


class OwnGoodsFilter(admin.SimpleListFilter):
    title = _("source")
    parameter_name = "source"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("catalogue", _("Supplier catalogue")), ("own", _("Shop's own goods"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> QuerySet[Product]:
        if self.value() == "catalogue":
            return queryset.filter(supplier__isnull=False)
        if self.value() == "own":
            return queryset.filter(shop__isnull=False)
        return queryset


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = [
        "title",
        "supplier",
        "shop",
        "category",
        "status",
        "price_range",
        "listing_count",
        "created_at",
    ]
    list_filter = [
        "status",
        OwnGoodsFilter,
        ("supplier", admin.RelatedOnlyFieldListFilter),
        "category",
    ]
    search_fields = ["title", "supplier__company_name", "shop__name", "shop__slug"]
    list_select_related = ["supplier", "shop", "category"]
    date_hierarchy = "created_at"
    inlines = [SkuInline, ProductImageInline]
    fields = (
        "title",
        "supplier",
        "shop",
        "category",
        "status",
        "currency",
        "description",
        "listing_count",
        "created_at",
        "updated_at",
        "published_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return super().get_queryset(request).prefetch_related("skus")

    @admin.display(description=_("suggested price"))
    def price_range(self, obj: Product) -> str:
        prices = [s.suggested_price for s in obj.skus.all() if s.is_active]
        if not prices:
            return "-"
        low, high = min(prices), max(prices)
        if low == high:
            return format_money(low, obj.currency)
        return f"{format_money(low, obj.currency)} – {format_money(high, obj.currency)}"

    @admin.display(description=_("description"))
    def description(self, obj: Product) -> str:
        # Sanitised (nh3) by the catalogue service when it was saved, so it is shown as HTML.
        return mark_safe(obj.description_html)

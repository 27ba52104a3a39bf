"""Catalogue reads: what shop owners can pick from, and each supplier's own products."""

from __future__ import annotations

from django.db.models import F, Max, Min, Prefetch, Q, QuerySet

from vshop.accounts.models import User
from vshop.accounts.permissions import require_operator
from vshop.catalog.models import (
    Category,
    Product,
    ProductImage,
    ProductStatus,
    Sku,
    Supplier,
    SupplierStatus,
)
from vshop.errors import NotFound

CATALOGUE_SORTS = {
    # Margin at the suggested price, the best SKU first: what the owner earns per sale.
    "margin": ("-best_margin", "-pk"),
    "popular": ("-listing_count", "-pk"),
    "new": ("-published_at", "-pk"),
}


def category_list() -> list[Category]:
    return list(Category.objects.all())


def _with_skus_and_images(qs: QuerySet[Product]) -> QuerySet[Product]:
    return qs.select_related("supplier", "category").prefetch_related(
        Prefetch("skus", queryset=Sku.objects.filter(is_active=True).select_related("stock")),
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "pk")),
    )


def catalogue_browse(
    *,
    q: str = "",
    category_id: int | None = None,
    min_margin: int | None = None,
    sort: str = "popular",
) -> QuerySet[Product]:
    """Published products of approved suppliers, for shop owners to pick from.

    ``min_margin`` (minor units) keeps products whose best SKU earns at least that much per sale
    at the suggested price. ``sort`` is one of ``margin``, ``popular``, ``new``.
    """
    qs = Product.objects.filter(
        status=ProductStatus.PUBLISHED,
        supplier__status=SupplierStatus.APPROVED,
        skus__is_active=True,
    ).annotate(
        best_margin=Max(F("skus__suggested_price") - F("skus__supply_price")),
        price_from=Min("skus__suggested_price"),
    )
    q = (q or "").strip()[:100]
    if q:
        qs = qs.filter(
            Q(title__icontains=q)
            | Q(description_html__icontains=q)
            | Q(supplier__company_name__icontains=q)
        )
    if category_id:
        qs = qs.filter(category_id=category_id)
    if min_margin is not None:
        qs = qs.filter(best_margin__gte=min_margin)
    return _with_skus_and_images(
        qs.order_by(*CATALOGUE_SORTS.get(sort, CATALOGUE_SORTS["popular"]))
    )


def catalogue_product_get(*, product_id: int) -> Product:
    product = _with_skus_and_images(
        Product.objects.filter(
            pk=product_id,
            status=ProductStatus.PUBLISHED,
            supplier__status=SupplierStatus.APPROVED,
        )
    ).first()
    if product is None:
        raise NotFound()
    return product


def supplier_of_user(*, user: User) -> Supplier | None:
    return Supplier.objects.filter(owner=user).first()


def supplier_products(*, user: User, status: str | None = None, q: str = "") -> QuerySet[Product]:
    """The acting supplier's own products; empty for anybody else."""
    qs = Product.objects.filter(supplier__owner=user)
    if status:
        qs = qs.filter(status=status)
    q = (q or "").strip()[:100]
    if q:
        qs = qs.filter(title__icontains=q)
    return _with_skus_and_images(qs.order_by("-created_at"))


def supplier_product_get(*, user: User, product_id: int) -> Product:
    product = _with_skus_and_images(
        Product.objects.filter(pk=product_id, supplier__owner=user)
    ).first()
    if product is None:
        raise NotFound()
    return product


def product_of_actor(*, user: User, product_id: int) -> Product:
    """A product the actor may change: her supplier's, or her own shop's goods."""
    product = _with_skus_and_images(
        Product.objects.filter(pk=product_id).filter(Q(supplier__owner=user) | Q(shop__owner=user))
    ).first()
    if product is None:
        raise NotFound()
    return product


def sku_of_actor(*, user: User, sku_id: int) -> Sku:
    sku = (
        Sku.objects.select_related("product", "product__supplier", "product__shop")
        .filter(pk=sku_id)
        .filter(Q(product__supplier__owner=user) | Q(product__shop__owner=user))
        .first()
    )
    if sku is None:
        raise NotFound()
    return sku


def suppliers_for_operator(*, operator: User, status: str | None = None) -> QuerySet[Supplier]:
    """Supplier applications for the operator to review, the oldest waiting first."""
    require_operator(operator)
    qs = Supplier.objects.select_related("owner")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("created_at", "pk")


def supplier_for_operator(*, operator: User, supplier_id: int) -> Supplier:
    require_operator(operator)
    supplier = Supplier.objects.select_related("owner").filter(pk=supplier_id).first()
    if supplier is None:
        raise NotFound()
    return supplier


def supplier_image_get(*, user: User, image_id: int) -> ProductImage:
    """One image of the acting supplier's products; anybody else's is ``NotFound``."""
    image = (
        ProductImage.objects.select_related("product", "product__supplier")
        .filter(pk=image_id, product__supplier__owner=user)
        .first()
    )
    if image is None:
        raise NotFound()
    return image

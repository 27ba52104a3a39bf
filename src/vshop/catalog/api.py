"""Catalogue API: suppliers apply and manage their products; shop owners browse the catalogue;
operators review suppliers."""

from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Query, Router, UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from vshop.accounts.models import User
from vshop.api import ErrorOut, Page, acting_user, require_operator
from vshop.catalog import selectors, services
from vshop.catalog.models import Category, Product, Supplier
from vshop.catalog.schemas import (
    CatalogueFilters,
    CatalogueProductDetailOut,
    CatalogueProductOut,
    CategoryOut,
    ImageOut,
    OperatorSupplierOut,
    ProductIn,
    ProductPatchIn,
    ReasonIn,
    RestockIn,
    SkuIn,
    StockOut,
    SupplierApplyIn,
    SupplierOut,
    SupplierProductFilters,
    SupplierProductOut,
)
from vshop.catalog.services import SkuInput
from vshop.errors import NotFound

supplier_router = Router(tags=["supplier"])
catalogue_router = Router(tags=["catalogue"])
operator_router = Router(tags=["operator"])

_ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


def _sku_inputs(skus: list[SkuIn]) -> list[SkuInput]:
    return [SkuInput(**s.model_dump()) for s in skus]


def _my_product(request: HttpRequest, product_id: int) -> Product:
    return selectors.supplier_product_get(user=acting_user(request), product_id=product_id)


# --- the supplier's own side --------------------------------------------------------------


@supplier_router.post(
    "/apply",
    response={201: SupplierOut, **_ERRORS},
    summary="Apply to become a supplier; an operator reviews the application",
)
def supplier_apply(request: HttpRequest, payload: SupplierApplyIn) -> Status:
    supplier = services.supplier_apply(user=acting_user(request), **payload.model_dump())
    return Status(201, supplier)


@supplier_router.get(
    "", response={200: SupplierOut, **_ERRORS}, summary="My supplier application and its status"
)
def supplier_me(request: HttpRequest) -> Supplier:
    supplier = selectors.supplier_of_user(user=acting_user(request))
    if supplier is None:
        raise NotFound(_("You have not applied as a supplier."))
    return supplier


@supplier_router.get(
    "/products", response=list[SupplierProductOut], summary="My products (supply prices, stock)"
)
@paginate(Page)
def product_list(request: HttpRequest, filters: Query[SupplierProductFilters]) -> QuerySet[Product]:
    return selectors.supplier_products(
        user=acting_user(request), status=filters.status, q=filters.q
    )


@supplier_router.post(
    "/products",
    response={201: SupplierProductOut, **_ERRORS},
    summary="Create a draft product with its SKUs (prices in fen)",
)
def product_create(request: HttpRequest, payload: ProductIn) -> Status:
    user = acting_user(request)
    product = services.product_create(
        actor=user,
        title=payload.title,
        category_id=payload.category_id,
        description_html=payload.description_html,
        skus=_sku_inputs(payload.skus),
    )
    return Status(201, selectors.supplier_product_get(user=user, product_id=product.pk))


@supplier_router.get(
    "/products/{product_id}", response={200: SupplierProductOut, **_ERRORS}, summary="My product"
)
def product_get(request: HttpRequest, product_id: int) -> Product:
    return _my_product(request, product_id)


@supplier_router.patch(
    "/products/{product_id}",
    response={200: SupplierProductOut, **_ERRORS},
    summary="Edit a product; SKUs are matched by code",
)
def product_update(request: HttpRequest, product_id: int, payload: ProductPatchIn) -> Product:
    user = acting_user(request)
    services.product_update(
        product=_my_product(request, product_id),
        actor=user,
        title=payload.title,
        description_html=payload.description_html,
        category_id=payload.category_id,
        skus=_sku_inputs(payload.skus) if payload.skus is not None else None,
    )
    return selectors.supplier_product_get(user=user, product_id=product_id)


@supplier_router.post(
    "/products/{product_id}/publish",
    response={200: SupplierProductOut, **_ERRORS},
    summary="Publish to the catalogue (approved suppliers only)",
)
def product_publish(request: HttpRequest, product_id: int) -> Product:
    user = acting_user(request)
    services.product_publish(product=_my_product(request, product_id), actor=user)
    return selectors.supplier_product_get(user=user, product_id=product_id)


@supplier_router.post(
    "/products/{product_id}/unpublish",
    response={200: SupplierProductOut, **_ERRORS},
    summary="Take off sale everywhere; shops keep the listing, shown as unavailable",
)
def product_unpublish(request: HttpRequest, product_id: int) -> Product:
    user = acting_user(request)
    services.product_unpublish(product=_my_product(request, product_id), actor=user)
    return selectors.supplier_product_get(user=user, product_id=product_id)


@supplier_router.post(
    "/products/{product_id}/images",
    response={201: ImageOut, **_ERRORS},
    summary="Upload a product image (multipart field 'image': JPEG, PNG, WebP or GIF)",
)
def product_image_add(request: HttpRequest, product_id: int, image: File[UploadedFile]) -> Status:
    added = services.product_image_add(
        product=_my_product(request, product_id), actor=acting_user(request), upload=image
    )
    return Status(201, added)


@supplier_router.delete(
    "/images/{image_id}", response={204: None, **_ERRORS}, summary="Remove a product image"
)
def product_image_remove(request: HttpRequest, image_id: int) -> Status:
    user = acting_user(request)
    image = selectors.supplier_image_get(user=user, image_id=image_id)
    services.product_image_remove(image=image, actor=user)
    return Status(204, None)


@supplier_router.post(
    "/skus/{sku_id}/restock",
    response={200: StockOut, **_ERRORS},
    summary="Add units to a SKU (negative to write off); also for a shop owner's own goods",
)
def sku_restock(request: HttpRequest, sku_id: int, payload: RestockIn) -> dict[str, int]:
    user = acting_user(request)
    sku = selectors.sku_of_actor(user=user, sku_id=sku_id)
    level = services.sku_restock(sku=sku, actor=user, quantity=payload.quantity)
    return {"sku_id": sku.pk, "stock": level}


# --- the catalogue, for shop owners -------------------------------------------------------


@catalogue_router.get(
    "/categories", auth=None, response=list[CategoryOut], summary="Product categories"
)
@paginate(Page)
def category_list(request: HttpRequest) -> list[Category]:
    return selectors.category_list()


@catalogue_router.get(
    "/catalogue/products",
    response={200: list[CatalogueProductOut]},
    summary="Browse the catalogue: search, filter by category and margin, sort",
)
@paginate(Page)
def catalogue_browse(request: HttpRequest, filters: Query[CatalogueFilters]) -> QuerySet[Product]:
    return selectors.catalogue_browse(
        q=filters.q, category_id=filters.category, min_margin=filters.min_margin, sort=filters.sort
    )


@catalogue_router.get(
    "/catalogue/products/{product_id}",
    response={200: CatalogueProductDetailOut, **_ERRORS},
    summary="One catalogue product with its SKUs, price bounds and margins",
)
def catalogue_product(request: HttpRequest, product_id: int) -> Product:
    return selectors.catalogue_product_get(product_id=product_id)


# --- operators ----------------------------------------------------------------------------


@operator_router.get(
    "/suppliers",
    response={200: list[OperatorSupplierOut], 403: ErrorOut},
    summary="Supplier applications (filter ?status=pending)",
)
@paginate(Page)
def operator_supplier_list(
    request: HttpRequest,
    status: Literal["pending", "approved", "rejected", "suspended"] | None = None,
) -> QuerySet[Supplier]:
    return selectors.suppliers_for_operator(operator=require_operator(request), status=status)


def _supplier(request: HttpRequest, supplier_id: int) -> tuple[Supplier, User]:
    operator = require_operator(request)
    return selectors.supplier_for_operator(operator=operator, supplier_id=supplier_id), operator


@operator_router.post(
    "/suppliers/{supplier_id}/approve",
    response={200: OperatorSupplierOut, **_ERRORS},
    summary="Approve a supplier: it may publish products",
)
def operator_supplier_approve(request: HttpRequest, supplier_id: int) -> Supplier:
    supplier, operator = _supplier(request, supplier_id)
    return services.supplier_approve(supplier=supplier, operator=operator)


@operator_router.post(
    "/suppliers/{supplier_id}/reject",
    response={200: OperatorSupplierOut, **_ERRORS},
    summary="Reject a supplier application, saying why",
)
def operator_supplier_reject(request: HttpRequest, supplier_id: int, payload: ReasonIn) -> Supplier:
    supplier, operator = _supplier(request, supplier_id)
    return services.supplier_reject(supplier=supplier, operator=operator, reason=payload.reason)


@operator_router.post(
    "/suppliers/{supplier_id}/suspend",
    response={200: OperatorSupplierOut, **_ERRORS},
    summary="Suspend a supplier: its products stay listed but cannot be sold",
)
def operator_supplier_suspend(
    request: HttpRequest, supplier_id: int, payload: ReasonIn
) -> Supplier:
    supplier, operator = _supplier(request, supplier_id)
    return services.supplier_suspend(supplier=supplier, operator=operator, reason=payload.reason)

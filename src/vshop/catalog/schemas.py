"""Shapes of the catalogue API: supplier applications, products with SKUs and images, and the
catalogue as shop owners browse it. Money is an integer of minor units next to ``currency``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from vshop.api import MAX_MINOR, Id, InputSchema, Minor
from vshop.catalog.models import Product, ProductImage, Sku


def sku_stock(sku: Sku) -> int:
    return getattr(getattr(sku, "stock", None), "quantity", 0)


class CategoryOut(Schema):
    id: int
    slug: str
    name: str = Field(..., description="in the request's language")
    name_zh: str
    name_en: str


class ImageOut(Schema):
    id: int
    url: str
    thumbnail_url: str
    width: int
    height: int
    position: int

    @staticmethod
    def resolve_url(obj: ProductImage) -> str:
        return obj.image.url

    @staticmethod
    def resolve_thumbnail_url(obj: ProductImage) -> str:
        return obj.thumbnail.url


# --- suppliers ----------------------------------------------------------------------------


class SupplierApplyIn(InputSchema):
    company_name: str = Field(..., max_length=100)
    contact_name: str = Field(..., max_length=60)
    contact_phone: str = Field(..., max_length=20, description="a mobile number")
    licence_number: str = Field(
        ..., max_length=40, description="business licence (18-character unified credit code)"
    )


class SupplierOut(Schema):
    id: int
    company_name: str
    contact_name: str
    contact_phone: str
    licence_number: str
    status: str = Field(..., description="pending, approved, rejected or suspended")
    status_reason: str
    can_publish: bool
    created_at: datetime
    reviewed_at: datetime | None


class AccountBriefOut(Schema):
    id: int
    email: str | None
    mobile: str | None
    display_name: str


class OperatorSupplierOut(SupplierOut):
    owner: AccountBriefOut


class ReasonIn(InputSchema):
    reason: str = Field("", max_length=200)


# --- products, as their supplier sees them ------------------------------------------------


class SkuIn(InputSchema):
    code: str = Field(..., max_length=40, description="unique within the product, e.g. RED-M")
    supply_price: Minor = Field(..., description="what shops pay you, fen")
    min_price: Minor = Field(..., ge=1)
    max_price: Minor = Field(..., ge=1)
    suggested_price: Minor = Field(..., ge=1)
    stock: int = Field(0, ge=0, le=MAX_MINOR, strict=True)
    weight_grams: int = Field(0, ge=0, le=1_000_000, strict=True)
    options: dict[str, str] = Field(default_factory=dict, description='{"colour": "red"}')
    purchase_limit: int = Field(
        0, ge=0, le=999, strict=True, description="most units per order; 0: the platform's limit"
    )


class ProductIn(InputSchema):
    title: str = Field(..., max_length=120)
    category_id: Id
    description_html: str = Field("", max_length=50_000, description="sanitised on save")
    skus: list[SkuIn] = Field(..., min_length=1, max_length=100)


class ProductPatchIn(InputSchema):
    """Only the fields sent change. ``skus`` replaces the list, matched by code: new codes are
    added, missing ones retired; shops' prices outside new bounds move to the nearest bound."""

    title: str | None = Field(None, max_length=120)
    category_id: Id | None = None
    description_html: str | None = Field(None, max_length=50_000)
    skus: list[SkuIn] | None = Field(None, min_length=1, max_length=100)


class SupplierSkuOut(Schema):
    id: int
    code: str
    label: str
    options: dict[str, str]
    supply_price: int
    min_price: int
    max_price: int
    suggested_price: int
    stock: int
    weight_grams: int
    purchase_limit: int

    @staticmethod
    def resolve_stock(obj: Sku) -> int:
        return sku_stock(obj)


class SupplierProductOut(Schema):
    id: int
    title: str
    description_html: str
    category: CategoryOut
    status: str = Field(..., description="draft, published or unpublished")
    currency: str
    listing_count: int = Field(..., description="how many shops list it")
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    images: list[ImageOut]
    skus: list[SupplierSkuOut]

    @staticmethod
    def resolve_images(obj: Product) -> list[ProductImage]:
        return list(obj.images.all())

    @staticmethod
    def resolve_skus(obj: Product) -> list[Sku]:
        return list(obj.skus.all())


class SupplierProductFilters(Schema):
    status: Literal["draft", "published", "unpublished"] | None = None
    q: str = Field("", max_length=100)


class RestockIn(InputSchema):
    quantity: int = Field(
        ...,
        ge=-MAX_MINOR,
        le=MAX_MINOR,
        strict=True,
        description="units to add; negative to write off",
    )


class StockOut(Schema):
    sku_id: int
    stock: int


# --- the catalogue, as shop owners browse it ----------------------------------------------


class SupplierBriefOut(Schema):
    id: int
    company_name: str


class CatalogueSkuOut(Schema):
    id: int
    code: str
    label: str
    options: dict[str, str]
    supply_price: int
    min_price: int
    max_price: int
    suggested_price: int
    margin: int = Field(..., description="the shop owner's margin at the suggested price")
    stock: int

    @staticmethod
    def resolve_margin(obj: Sku) -> int:
        return obj.suggested_price - obj.supply_price

    @staticmethod
    def resolve_stock(obj: Sku) -> int:
        return sku_stock(obj)


class CatalogueProductOut(Schema):
    id: int
    title: str
    category: CategoryOut
    supplier: SupplierBriefOut
    currency: str
    price_from: int | None = Field(..., description="the lowest suggested retail price")
    best_margin: int | None = Field(..., description="the best margin at suggested prices")
    listing_count: int
    published_at: datetime | None
    images: list[ImageOut]
    skus: list[CatalogueSkuOut]

    @staticmethod
    def resolve_images(obj: Product) -> list[ProductImage]:
        return list(obj.images.all())

    @staticmethod
    def resolve_skus(obj: Product) -> list[Sku]:
        return list(obj.skus.all())

    @staticmethod
    def resolve_price_from(obj: Product) -> int | None:
        return min((s.suggested_price for s in obj.skus.all()), default=None)

    @staticmethod
    def resolve_best_margin(obj: Product) -> int | None:
        return max((s.suggested_price - s.supply_price for s in obj.skus.all()), default=None)


class CatalogueProductDetailOut(CatalogueProductOut):
    description_html: str


class CatalogueFilters(Schema):
    q: str = Field("", max_length=100, description="words in the title, description or supplier")
    category: Id | None = Field(None, description="a category id")
    min_margin: int | None = Field(
        None, ge=0, le=MAX_MINOR, description="the best SKU earns at least this much (fen)"
    )
    sort: Literal["margin", "popular", "new"] = "popular"

"""Shapes of the shops API: the owner's shops and listings (with her margins) and the public
storefront (prices and availability only: never a supply price or a margin).

Every price a listing shows comes from ``vshop.shops.strategy``: the ``offer`` field of a
listing is resolved through ``strategy_for(buyer=...)``, once per listing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Schema

from vshop.api import MAX_MINOR, Id, InputSchema, Minor, buyer_of
from vshop.catalog.models import Product, ProductImage
from vshop.catalog.schemas import CategoryOut, ImageOut
from vshop.shops.models import Listing, Shop
from vshop.shops.selectors import MarginRow
from vshop.shops.strategy import LOW_STOCK, ListingOffer, SkuOffer, Strategy, strategy_for

StockState = Literal["in_stock", "low", "sold_out"]
#: A retail price in minor units: a JSON integer of at least 1 fen.
Price = Annotated[Minor, Field(ge=1)]


def _strategy(context: dict[str, Any] | None) -> Strategy:
    """One strategy per request, for the buyer making it (a visitor when nobody is logged in)."""
    request: HttpRequest | None = (context or {}).get("request")
    if request is None:
        return strategy_for(buyer=None)
    strategy = getattr(request, "_vshop_strategy", None)
    if strategy is None:
        strategy = strategy_for(buyer=buyer_of(request))
        request._vshop_strategy = strategy  # type: ignore[attr-defined]
    return strategy


def _file_url(field: Any) -> str | None:
    return field.url if field else None


def _stock_state(stock: int) -> str:
    if stock <= 0:
        return "sold_out"
    return "low" if stock <= LOW_STOCK else "in_stock"


# --- requests -----------------------------------------------------------------------------


class ShopIn(InputSchema):
    name: str = Field(..., max_length=60)
    slug: str = Field(..., max_length=40, description="the short address: /s/<slug>/")
    bio: str = Field("", max_length=1000, description="who I am and why my fans trust me")
    category_id: Id | None = None


class ShopPatchIn(InputSchema):
    """Only the fields sent change; ``category_id: null`` clears it. The slug never changes."""

    name: str | None = Field(None, max_length=60)
    bio: str | None = Field(None, max_length=1000)
    category_id: Id | None = None


class ListingAddIn(InputSchema):
    product_id: Id = Field(..., description="a catalogue product")
    prices: dict[Id, Price] = Field(
        default_factory=dict,
        description="retail price per SKU id in fen, within the supplier's bounds; "
        "SKUs not given take the suggested price",
    )
    endorsement: str = Field("", max_length=500, description="why I recommend it")
    is_pinned: bool = False


class ListingPreviewIn(InputSchema):
    product_id: Id = Field(..., description="a catalogue product")
    prices: dict[Id, Price] = Field(
        default_factory=dict, description="the prices she is typing, per SKU id, in fen"
    )


class MarginRowOut(Schema):
    sku_id: int
    code: str
    label: str
    price: int | None
    supply_price: int
    margin: int | None
    min_price: int
    max_price: int
    problem: str = Field(..., description="what is wrong with the price; empty when it is fine")

    @staticmethod
    def resolve_sku_id(obj: MarginRow) -> int:
        return obj.sku.pk

    @staticmethod
    def resolve_code(obj: MarginRow) -> str:
        return obj.sku.code

    @staticmethod
    def resolve_label(obj: MarginRow) -> str:
        return obj.sku.label

    @staticmethod
    def resolve_supply_price(obj: MarginRow) -> int:
        return obj.sku.supply_price

    @staticmethod
    def resolve_min_price(obj: MarginRow) -> int:
        return obj.sku.min_price

    @staticmethod
    def resolve_max_price(obj: MarginRow) -> int:
        return obj.sku.max_price


class OwnGoodsSkuIn(InputSchema):
    code: str = Field(..., max_length=40)
    price: Price = Field(..., description="retail price in fen")
    stock: int = Field(0, ge=0, le=MAX_MINOR, strict=True)
    weight_grams: int = Field(0, ge=0, le=1_000_000, strict=True)
    options: dict[str, str] = Field(default_factory=dict)
    purchase_limit: int = Field(
        0, ge=0, le=999, strict=True, description="most units per order; 0: the platform's limit"
    )


class OwnGoodsIn(InputSchema):
    title: str = Field(..., max_length=120)
    category_id: Id
    description_html: str = Field("", max_length=50_000)
    endorsement: str = Field("", max_length=500)
    skus: list[OwnGoodsSkuIn] = Field(..., min_length=1, max_length=100)


class ListingPatchIn(InputSchema):
    endorsement: str | None = Field(None, max_length=500)
    prices: dict[Id, Price] | None = Field(None, description="retail price per SKU id, fen")
    is_pinned: bool | None = None
    status: Literal["active", "hidden"] | None = Field(None, description="hidden: off the shop")


class ReorderIn(InputSchema):
    listing_ids: list[Id] = Field(
        ..., min_length=1, max_length=2000, description="the first shows first"
    )


class StorefrontFilters(Schema):
    q: str = Field("", max_length=100, description="words in the title or endorsement")
    category: Id | None = Field(None, description="a category id")


class VerifyIn(InputSchema):
    verified: bool


# --- the owner's view ---------------------------------------------------------------------


class ShopOut(Schema):
    id: int
    slug: str
    name: str
    bio: str
    url: str
    category: CategoryOut | None
    avatar_url: str | None
    cover_url: str | None
    is_verified: bool
    status: str = Field(..., description="active or suspended")
    status_reason: str
    fan_count: int
    created_at: datetime

    @staticmethod
    def resolve_url(obj: Shop) -> str:
        return f"/s/{obj.slug}/"

    @staticmethod
    def resolve_avatar_url(obj: Shop) -> str | None:
        return _file_url(obj.avatar)

    @staticmethod
    def resolve_cover_url(obj: Shop) -> str | None:
        return _file_url(obj.cover)


class OwnerSkuOfferOut(Schema):
    sku_id: int
    code: str
    label: str
    options: dict[str, str]
    price: int
    supply_price: int
    margin: int = Field(..., description="what the owner earns per unit sold")
    min_price: int
    max_price: int
    stock: int
    is_available: bool


class OwnerOfferOut(Schema):
    currency: str
    is_available: bool
    unavailable_reason: str
    unavailable_message: str
    price_from: int | None
    price_to: int | None
    margin_from: int | None
    margin_to: int | None
    stock: int
    skus: list[OwnerSkuOfferOut]


class ProductBriefOut(Schema):
    id: int
    title: str
    category: CategoryOut
    is_own_goods: bool
    images: list[ImageOut]

    @staticmethod
    def resolve_images(obj: Product) -> list[ProductImage]:
        return list(obj.images.all())


class OwnerListingOut(Schema):
    id: int
    shop_id: int
    product: ProductBriefOut
    endorsement: str
    is_pinned: bool
    position: int
    status: str = Field(..., description="active or hidden")
    created_at: datetime
    updated_at: datetime
    offer: OwnerOfferOut = Field(..., description="prices, margins and stock per SKU")

    @staticmethod
    def resolve_offer(obj: Listing, context: dict[str, Any] | None = None) -> ListingOffer:
        # The owner sees what a visitor would pay, next to her margin.
        return strategy_for(buyer=None).offer_for(obj)


# --- the public storefront ----------------------------------------------------------------


class PublicSkuOut(Schema):
    sku_id: int
    label: str
    options: dict[str, str]
    price: int
    is_available: bool
    stock_state: StockState

    @staticmethod
    def resolve_stock_state(obj: SkuOffer) -> str:
        return _stock_state(obj.stock)


class PublicOfferOut(Schema):
    currency: str
    is_available: bool
    unavailable_reason: str = Field(..., description="empty when it can be bought")
    unavailable_message: str
    price_from: int | None
    price_to: int | None
    stock_state: StockState
    skus: list[PublicSkuOut]

    @staticmethod
    def resolve_stock_state(obj: ListingOffer) -> str:
        return _stock_state(obj.stock)


class PublicProductOut(Schema):
    id: int
    title: str
    category: CategoryOut
    images: list[ImageOut]

    @staticmethod
    def resolve_images(obj: Product) -> list[ProductImage]:
        return list(obj.images.all())


class PublicProductDetailOut(PublicProductOut):
    description_html: str


class PublicListingOut(Schema):
    id: int
    product: PublicProductOut
    endorsement: str
    is_pinned: bool
    offer: PublicOfferOut

    @staticmethod
    def resolve_offer(obj: Listing, context: dict[str, Any] | None = None) -> ListingOffer:
        return _strategy(context).offer_for(obj)


class PublicListingDetailOut(PublicListingOut):
    product: PublicProductDetailOut
    shop_slug: str

    @staticmethod
    def resolve_shop_slug(obj: Listing) -> str:
        return obj.shop.slug


class ShopCardFields(Schema):
    slug: str
    name: str
    bio: str
    url: str
    owner_name: str
    category: CategoryOut | None
    avatar_url: str | None
    cover_url: str | None
    is_verified: bool
    fan_count: int


class ShopCardOut(ShopCardFields):
    """A shop in the platform's list, read from a ``Shop`` row."""

    @staticmethod
    def resolve_owner_name(obj: Shop) -> str:
        return obj.owner.name

    @staticmethod
    def resolve_url(obj: Shop) -> str:
        return f"/s/{obj.slug}/"

    @staticmethod
    def resolve_avatar_url(obj: Shop) -> str | None:
        return _file_url(obj.avatar)

    @staticmethod
    def resolve_cover_url(obj: Shop) -> str | None:
        return _file_url(obj.cover)


class ShopPersonaOut(ShopCardFields):
    """The public persona page: the card of the shop and what is counted about it."""

    is_open: bool = Field(..., description="false when an operator suspended the shop")
    notice: str = Field(..., description="why it cannot sell, when it cannot")
    listing_count: int
    categories: list[CategoryOut] = Field(..., description="the categories the shop sells in")
    is_following: bool = Field(..., description="whether the caller follows the shop")
    created_at: datetime

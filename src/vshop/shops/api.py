"""Shops API: the owner's shops and listings, the public storefront, and operators' actions on
shops. Prices and availability come only from ``strategy_for``, through the schemas."""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Query, Router, UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from vshop.accounts.models import User
from vshop.api import OPTIONAL_AUTH, ErrorOut, Page, acting_user, buyer_of, require_operator
from vshop.catalog import selectors as catalog_selectors
from vshop.catalog import services as catalog_services
from vshop.catalog.schemas import ImageOut, ReasonIn
from vshop.errors import NotFound, ValidationFailed
from vshop.fans import selectors as fan_selectors
from vshop.shops import selectors, services
from vshop.shops.models import Listing, Shop
from vshop.shops.schemas import (
    ListingAddIn,
    ListingPatchIn,
    ListingPreviewIn,
    MarginRowOut,
    OwnerListingOut,
    OwnGoodsIn,
    PublicListingDetailOut,
    PublicListingOut,
    ReorderIn,
    ShopCardOut,
    ShopIn,
    ShopOut,
    ShopPatchIn,
    ShopPersonaOut,
    StorefrontFilters,
    VerifyIn,
)
from vshop.shops.services import OwnSkuInput
from vshop.shops.strategy import Unavailable

shops_router = Router(tags=["shops"])
listings_router = Router(tags=["shops"])
storefront_router = Router(tags=["storefront"], auth=OPTIONAL_AUTH)
operator_router = Router(tags=["operator"])

_ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


def _my_shop(request: HttpRequest, shop_id: int) -> Shop:
    return selectors.shop_of_owner(owner=acting_user(request), shop_id=shop_id)


def _my_listing(request: HttpRequest, listing_id: int) -> Listing:
    return selectors.listing_of_owner(owner=acting_user(request), listing_id=listing_id)


# --- the owner's shops --------------------------------------------------------------------


@shops_router.post(
    "", response={201: ShopOut, **_ERRORS}, summary="Open a shop at /s/<slug>/ (becomes owner)"
)
def shop_open(request: HttpRequest, payload: ShopIn) -> Status:
    shop = services.shop_open(owner=acting_user(request), **payload.model_dump())
    return Status(201, shop)


@shops_router.get("/mine", response=list[ShopOut], summary="My shops")
@paginate(Page)
def shop_list_mine(request: HttpRequest) -> QuerySet[Shop]:
    return selectors.shops_of_owner(owner=acting_user(request)).select_related("category")


@shops_router.get("/{shop_id}", response={200: ShopOut, **_ERRORS}, summary="One of my shops")
def shop_get(request: HttpRequest, shop_id: int) -> Shop:
    return _my_shop(request, shop_id)


@shops_router.patch(
    "/{shop_id}",
    response={200: ShopOut, **_ERRORS},
    summary="Edit name, bio or category (the short address never changes)",
)
def shop_update(request: HttpRequest, shop_id: int, payload: ShopPatchIn) -> Shop:
    changes = payload.model_dump(exclude_unset=True)
    return services.shop_update(
        shop=_my_shop(request, shop_id), actor=acting_user(request), **changes
    )


@shops_router.post(
    "/{shop_id}/avatar",
    response={200: ShopOut, **_ERRORS},
    summary="Upload the avatar (multipart field 'image'; cropped square)",
)
def shop_avatar(request: HttpRequest, shop_id: int, image: File[UploadedFile]) -> Shop:
    return services.shop_update(
        shop=_my_shop(request, shop_id), actor=acting_user(request), avatar=image
    )


@shops_router.post(
    "/{shop_id}/cover",
    response={200: ShopOut, **_ERRORS},
    summary="Upload the cover picture (multipart field 'image')",
)
def shop_cover(request: HttpRequest, shop_id: int, image: File[UploadedFile]) -> Shop:
    return services.shop_update(
        shop=_my_shop(request, shop_id), actor=acting_user(request), cover=image
    )


# --- the owner's listings -----------------------------------------------------------------


@shops_router.get(
    "/{shop_id}/listings",
    response={200: list[OwnerListingOut], **_ERRORS},
    summary="My shop's listings with prices, margins and stock per SKU",
)
@paginate(Page)
def listing_list(request: HttpRequest, shop_id: int) -> QuerySet[Listing]:
    user = acting_user(request)
    return selectors.listings_of_owner(owner=user, shop=_my_shop(request, shop_id))


@shops_router.post(
    "/{shop_id}/listings",
    response={201: OwnerListingOut, **_ERRORS},
    summary="Add a catalogue product in one action (suggested prices unless given)",
)
def listing_add(request: HttpRequest, shop_id: int, payload: ListingAddIn) -> Status:
    user = acting_user(request)
    listing = services.listing_add_from_catalog(
        shop=_my_shop(request, shop_id),
        actor=user,
        product_id=payload.product_id,
        prices=payload.prices,
        endorsement=payload.endorsement,
        is_pinned=payload.is_pinned,
    )
    return Status(201, selectors.listing_of_owner(owner=user, listing_id=listing.pk))


@shops_router.post(
    "/{shop_id}/listings/preview",
    response={200: list[MarginRowOut], **_ERRORS},
    summary="Before saving: my price and margin per SKU of a catalogue product (writes nothing)",
)
def listing_preview(request: HttpRequest, shop_id: int, payload: ListingPreviewIn) -> list:
    _my_shop(request, shop_id)
    product = catalog_selectors.catalogue_product_get(product_id=payload.product_id)
    return selectors.margin_preview(skus=list(product.skus.all()), prices=payload.prices)


@shops_router.post(
    "/{shop_id}/own-goods",
    response={201: OwnerListingOut, **_ERRORS},
    summary="List my own goods (my price, my stock; I ship them myself)",
)
def listing_add_own_goods(request: HttpRequest, shop_id: int, payload: OwnGoodsIn) -> Status:
    user = acting_user(request)
    listing = services.listing_create_own_goods(
        shop=_my_shop(request, shop_id),
        actor=user,
        title=payload.title,
        category_id=payload.category_id,
        description_html=payload.description_html,
        endorsement=payload.endorsement,
        skus=[OwnSkuInput(**s.model_dump()) for s in payload.skus],
    )
    return Status(201, selectors.listing_of_owner(owner=user, listing_id=listing.pk))


@shops_router.post(
    "/{shop_id}/listings/reorder",
    response={204: None, **_ERRORS},
    summary="Order listings: the ids given show first, in that order",
)
def listing_reorder(request: HttpRequest, shop_id: int, payload: ReorderIn) -> Status:
    services.listing_reorder(
        shop=_my_shop(request, shop_id), actor=acting_user(request), listing_ids=payload.listing_ids
    )
    return Status(204, None)


@listings_router.get(
    "/{listing_id}", response={200: OwnerListingOut, **_ERRORS}, summary="One of my listings"
)
def listing_get(request: HttpRequest, listing_id: int) -> Listing:
    return _my_listing(request, listing_id)


@listings_router.patch(
    "/{listing_id}",
    response={200: OwnerListingOut, **_ERRORS},
    summary="Change prices (within bounds), endorsement, pin or visibility",
)
def listing_update(request: HttpRequest, listing_id: int, payload: ListingPatchIn) -> Listing:
    user = acting_user(request)
    services.listing_update(
        listing=_my_listing(request, listing_id),
        actor=user,
        endorsement=payload.endorsement,
        prices=payload.prices,
        is_pinned=payload.is_pinned,
        status=payload.status,
    )
    return selectors.listing_of_owner(owner=user, listing_id=listing_id)


@listings_router.delete(
    "/{listing_id}", response={204: None, **_ERRORS}, summary="Remove a listing from my shop"
)
def listing_remove(request: HttpRequest, listing_id: int) -> Status:
    services.listing_remove(listing=_my_listing(request, listing_id), actor=acting_user(request))
    return Status(204, None)


@listings_router.post(
    "/{listing_id}/images",
    response={201: ImageOut, **_ERRORS},
    summary="Add a photo to my own goods (multipart field 'image')",
)
def listing_image_add(request: HttpRequest, listing_id: int, image: File[UploadedFile]) -> Status:
    listing = _my_listing(request, listing_id)
    if not listing.product.is_own_goods:
        raise ValidationFailed(_("Photos of catalogue products come from their supplier."))
    added = catalog_services.product_image_add(
        product=listing.product, actor=acting_user(request), upload=image
    )
    return Status(201, added)


@listings_router.delete(
    "/{listing_id}/images/{image_id}",
    response={204: None, **_ERRORS},
    summary="Remove a photo of my own goods",
)
def listing_image_remove(request: HttpRequest, listing_id: int, image_id: int) -> Status:
    listing = _my_listing(request, listing_id)
    image = next((i for i in listing.product.images.all() if i.pk == image_id), None)
    if image is None:
        raise NotFound()
    catalog_services.product_image_remove(image=image, actor=acting_user(request))
    return Status(204, None)


# --- the public storefront ----------------------------------------------------------------


@storefront_router.get(
    "/shops", response=list[ShopCardOut], summary="Open shops, the most followed first"
)
@paginate(Page)
def storefront_shops(request: HttpRequest, filters: Query[StorefrontFilters]) -> QuerySet[Shop]:
    return selectors.shops_public_list(q=filters.q, category_id=filters.category)


@storefront_router.get(
    "/shops/{slug}",
    response={200: ShopPersonaOut, 404: ErrorOut},
    summary="A shop's persona: owner, bio, verified badge, fans, listings",
)
def storefront_shop(request: HttpRequest, slug: str) -> dict[str, object]:
    shop = selectors.shop_public_get(slug=slug)
    return dict(
        ShopCardOut.from_orm(shop).model_dump(),
        is_open=shop.is_open,
        notice="" if shop.is_open else str(Unavailable.messages[Unavailable.SHOP_SUSPENDED]),
        listing_count=selectors.storefront_listing_count(shop=shop),
        categories=selectors.storefront_categories(shop=shop),
        is_following=fan_selectors.fan_follows(fan=buyer_of(request), shop=shop),
        created_at=shop.created_at,
    )


@storefront_router.get(
    "/shops/{slug}/listings",
    response={200: list[PublicListingOut], 404: ErrorOut},
    summary="A shop's listings: pinned first; search with q, filter by category",
)
@paginate(Page)
def storefront_listings(
    request: HttpRequest, slug: str, filters: Query[StorefrontFilters]
) -> QuerySet[Listing]:
    shop = selectors.shop_public_get(slug=slug)
    found = selectors.storefront_search(shop=shop, q=filters.q, category_id=filters.category)
    return selectors.listing_offer_queryset(selectors.storefront_ordered(found))


@storefront_router.get(
    "/shops/{slug}/listings/{listing_id}",
    response={200: PublicListingDetailOut, 404: ErrorOut},
    summary="One listing: images, variants, prices, endorsement, stock state",
)
def storefront_listing(request: HttpRequest, slug: str, listing_id: int) -> Listing:
    return selectors.listing_public_by_slug(slug=slug, listing_id=listing_id)


# --- operators ----------------------------------------------------------------------------


def _shop(request: HttpRequest, shop_id: int) -> tuple[Shop, User]:
    operator = require_operator(request)
    return selectors.shop_for_operator(operator=operator, shop_id=shop_id), operator


@operator_router.post(
    "/shops/{shop_id}/suspend",
    response={200: ShopOut, **_ERRORS},
    summary="Suspend a shop: its pages say so and it cannot sell",
)
def operator_shop_suspend(request: HttpRequest, shop_id: int, payload: ReasonIn) -> Shop:
    shop, operator = _shop(request, shop_id)
    return services.shop_suspend(shop=shop, operator=operator, reason=payload.reason)


@operator_router.post(
    "/shops/{shop_id}/reinstate", response={200: ShopOut, **_ERRORS}, summary="Reopen a shop"
)
def operator_shop_reinstate(request: HttpRequest, shop_id: int) -> Shop:
    shop, operator = _shop(request, shop_id)
    return services.shop_reinstate(shop=shop, operator=operator)


@operator_router.post(
    "/shops/{shop_id}/verify",
    response={200: ShopOut, **_ERRORS},
    summary="Set or clear the verified-identity badge",
)
def operator_shop_verify(request: HttpRequest, shop_id: int, payload: VerifyIn) -> Shop:
    shop, operator = _shop(request, shop_id)
    return services.shop_set_verified(shop=shop, operator=operator, verified=payload.verified)

"""Shop reads: public storefront queries and the owner's own views, each scoped.

Storefront queries use a fixed number of SQL statements however many listings a shop has.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from vshop.accounts.models import User
from vshop.catalog.models import Category, ProductImage, ProductStatus, Sku
from vshop.errors import NotFound
from vshop.shops.models import Listing, ListingStatus, Shop, ShopStatus


def listing_offer_queryset(qs: QuerySet[Listing] | None = None) -> QuerySet[Listing]:
    """Listings with everything ``Strategy.offer_for`` and the listing cards need, in 4 queries."""
    qs = qs if qs is not None else Listing.objects.all()
    return qs.select_related(
        "shop", "product", "product__supplier", "product__category"
    ).prefetch_related(
        "prices",
        Prefetch(
            "product__skus", queryset=Sku.objects.filter(is_active=True).select_related("stock")
        ),
        Prefetch("product__images", queryset=ProductImage.objects.order_by("position", "pk")),
    )


def shop_public_get(*, slug: str) -> Shop:
    """A shop's public page, suspended ones included (their pages say they are suspended)."""
    shop = Shop.objects.select_related("owner", "category").filter(slug=slug).first()
    if shop is None:
        raise NotFound()
    return shop


def storefront_listings(*, shop: Shop) -> QuerySet[Listing]:
    """What fans see in a shop: active listings of published products (sold out included)."""
    return Listing.objects.filter(
        shop=shop, status=ListingStatus.ACTIVE, product__status=ProductStatus.PUBLISHED
    )


def storefront_search(
    *, shop: Shop, q: str = "", category_id: int | None = None
) -> QuerySet[Listing]:
    qs = storefront_listings(shop=shop)
    q = (q or "").strip()[:100]
    if q:
        qs = qs.filter(Q(product__title__icontains=q) | Q(endorsement__icontains=q))
    if category_id:
        qs = qs.filter(product__category_id=category_id)
    return qs


def storefront_categories(*, shop: Shop) -> list[Category]:
    """The categories a shop sells in, for the shop home's category bar (one query)."""
    return list(
        Category.objects.filter(
            products__listings__shop=shop,
            products__listings__status=ListingStatus.ACTIVE,
            products__status=ProductStatus.PUBLISHED,
        ).distinct()
    )


def listing_public_get(*, shop: Shop, listing_id: int) -> Listing:
    listing = (
        listing_offer_queryset(Listing.objects.filter(shop=shop, pk=listing_id))
        .filter(product__status__in=[ProductStatus.PUBLISHED, ProductStatus.UNPUBLISHED])
        .first()
    )
    if listing is None or listing.status != ListingStatus.ACTIVE:
        raise NotFound()
    return listing


def shops_public_list(*, q: str = "", category_id: int | None = None) -> QuerySet[Shop]:
    """The platform home: open shops, the most followed first."""
    qs = Shop.objects.filter(status=ShopStatus.ACTIVE).select_related("owner", "category")
    q = (q or "").strip()[:100]
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(bio__icontains=q))
    if category_id:
        qs = qs.filter(category_id=category_id)
    return qs.order_by("-is_verified", "-fan_count", "-created_at")


# --- the owner's own views ----------------------------------------------------------------


def shops_of_owner(*, owner: User) -> QuerySet[Shop]:
    return Shop.objects.filter(owner=owner).order_by("created_at")


def shop_of_owner(*, owner: User, shop_id: int | None = None, slug: str | None = None) -> Shop:
    """One of the owner's shops; anybody else's shop is ``NotFound``."""
    qs = Shop.objects.filter(owner=owner)
    if shop_id is not None:
        qs = qs.filter(pk=shop_id)
    if slug is not None:
        qs = qs.filter(slug=slug)
    shop = qs.order_by("created_at").first()
    if shop is None:
        raise NotFound()
    return shop


def listings_of_owner(*, owner: User, shop: Shop) -> QuerySet[Listing]:
    if shop.owner_id != owner.pk:
        raise NotFound()
    return listing_offer_queryset(Listing.objects.filter(shop=shop)).order_by(
        "-is_pinned", "position", "-created_at"
    )


def listing_of_owner(*, owner: User, listing_id: int) -> Listing:
    listing = listing_offer_queryset(
        Listing.objects.filter(pk=listing_id, shop__owner=owner)
    ).first()
    if listing is None:
        raise NotFound()
    return listing


def listed_product_ids(*, shop: Shop) -> set[int]:
    return set(Listing.objects.filter(shop=shop).values_list("product_id", flat=True))

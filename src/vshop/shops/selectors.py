"""Shop reads: public storefront queries and the owner's own views, each scoped.

Storefront queries use a fixed number of SQL statements however many listings a shop has.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, F, Prefetch, Q, QuerySet, Value, When
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from vshop.accounts.models import User
from vshop.accounts.permissions import require_operator
from vshop.catalog.models import Category, Product, ProductImage, ProductStatus, Sku
from vshop.errors import NotFound
from vshop.money import format_money
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


# --- the owner's management pages ---------------------------------------------------------


def shop_slug_problem(*, slug: str) -> str:
    """Why this short address cannot be used ("" if it is free). A hint for the open-shop form;
    ``shop_open`` checks again, under its transaction."""
    from vshop.shops.services import RESERVED_SLUGS, SLUG_RE

    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        return str(_("A short address has 3 to 40 lowercase letters, digits or dashes."))
    if slug in RESERVED_SLUGS or Shop.objects.filter(slug=slug).exists():
        return str(_("This short address is taken. Try another one."))
    return ""


def shop_slug_suggest(*, name: str) -> str:
    """A free short address made from the shop's name; ``shop-<random>`` when the name has no
    Latin letters (Chinese names), which she can then edit."""
    base = slugify(name or "")[:32].strip("-")
    candidates = [base, *(f"{base}-{n}" for n in range(2, 6))] if len(base) >= 3 else []
    candidates += [f"{base or 'shop'}-{secrets.token_hex(3)}" for _i in range(5)]
    for candidate in candidates:
        if not shop_slug_problem(slug=candidate):
            return candidate
    return f"shop-{secrets.token_hex(6)}"


@dataclass(frozen=True)
class CatalogueCard:
    """One product in the owner's catalogue picker: what fans pay and what she earns per sale at
    the suggested prices, and whether it is already in her shop."""

    product: Product
    price_from: int | None
    price_to: int | None
    margin_from: int | None
    margin_to: int | None
    stock: int
    is_listed: bool

    @property
    def image(self) -> ProductImage | None:
        images = list(self.product.images.all())
        return images[0] if images else None


def catalogue_cards(*, shop: Shop, products: Iterable[Product]) -> list[CatalogueCard]:
    """Cards for products loaded by ``catalog.selectors.catalogue_browse`` (one query more)."""
    listed = listed_product_ids(shop=shop)
    cards = []
    for product in products:
        skus = list(product.skus.all())
        prices = [s.suggested_price for s in skus]
        margins = [s.suggested_price - s.supply_price for s in skus]
        cards.append(
            CatalogueCard(
                product=product,
                price_from=min(prices, default=None),
                price_to=max(prices, default=None),
                margin_from=min(margins, default=None),
                margin_to=max(margins, default=None),
                stock=sum(getattr(getattr(s, "stock", None), "quantity", 0) for s in skus),
                is_listed=product.pk in listed,
            )
        )
    return cards


@dataclass(frozen=True)
class MarginRow:
    """The owner's margin on one SKU at the price she is typing, before she saves it."""

    sku: Sku
    price: int | None
    margin: int | None
    problem: str


def margin_preview(*, skus: Iterable[Sku], prices: Mapping[int, int | None]) -> list[MarginRow]:
    """Per SKU: the price she typed (``None`` if it is not a valid amount), her margin at that
    price, and what is wrong with it (outside the supplier's bounds, not an amount)."""
    rows = []
    for sku in skus:
        price = prices.get(sku.pk, sku.suggested_price)
        if price is None:
            rows.append(MarginRow(sku, None, None, str(_("Enter an amount like 19.90."))))
            continue
        problem = ""
        if not sku.min_price <= price <= sku.max_price:
            problem = str(
                _("Choose a price from %(min)s to %(max)s.")
                % {"min": format_money(sku.min_price), "max": format_money(sku.max_price)}
            )
        rows.append(MarginRow(sku, price, price - sku.supply_price, problem))
    return rows


# --- storefront pages (fan side) ------------------------------------------------------------


# slug -> (read at, version): the newest versions this process has read. A cached page hit
# would otherwise cost a database round trip, which is most of its time.
_version_memo: dict[str, tuple[float, int | None]] = {}


def shop_content_version(*, slug: str) -> int | None:
    """The version of what a shop's pages show, for their cache key.

    Remembered in this process for ``VSHOP_PAGE_VERSION_SECONDS`` (default 1 s): a change made in
    another process shows on this one's pages within that time; one made here, at once.
    """
    now = time.monotonic()
    memo = _version_memo.get(slug)
    if memo is not None and now - memo[0] < settings.VSHOP_PAGE_VERSION_SECONDS:
        return memo[1]
    versions = list(
        Shop.objects.filter(slug=slug).order_by().values_list("content_version", flat=True)[:1]
    )
    version = versions[0] if versions else None
    if len(_version_memo) > 10_000:
        _version_memo.clear()
    _version_memo[slug] = (now, version)
    return version


def shop_content_versions_forget() -> None:
    """Forget the remembered versions; called by every write that bumps one."""
    _version_memo.clear()


def storefront_ordered(qs: QuerySet[Listing]) -> QuerySet[Listing]:
    """Pinned listings first, in the owner's order; then the newest."""
    return qs.order_by(
        "-is_pinned",
        Case(When(is_pinned=True, then=F("position")), default=Value(0)),
        "-created_at",
        "-pk",
    )


def storefront_listing_count(*, shop: Shop) -> int:
    return storefront_listings(shop=shop).count()


def listing_public_by_slug(*, slug: str, listing_id: int) -> Listing:
    """A listing page's listing with its shop and owner, in the 4 queries of the offer loader.

    Products withdrawn by the supplier stay visible (the page says they are no longer on sale)
    so fans' shared links do not break; hidden listings and drafts are not found.
    """
    listing = (
        listing_offer_queryset(Listing.objects.filter(shop__slug=slug, pk=listing_id))
        .select_related("shop__owner", "shop__category")
        .filter(
            status=ListingStatus.ACTIVE,
            product__status__in=[ProductStatus.PUBLISHED, ProductStatus.UNPUBLISHED],
        )
        .first()
    )
    if listing is None:
        raise NotFound()
    return listing


def shop_categories_public() -> list[Category]:
    """Categories that open shops chose, for the platform home's filter (one query)."""
    return list(Category.objects.filter(shops__status=ShopStatus.ACTIVE).distinct())


def shop_for_operator(*, operator: User, shop_id: int) -> Shop:
    """Any shop, for platform operators only (others get ``PermissionDenied``)."""
    require_operator(operator)
    shop = Shop.objects.select_related("owner", "category").filter(pk=shop_id).first()
    if shop is None:
        raise NotFound()
    return shop

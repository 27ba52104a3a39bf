"""Shop writes: open and edit a shop, list catalogue products and own goods, price, pin, order.

Every function takes the acting account; a shop that is not the actor's is ``NotFound``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vshop.accounts.models import Role, User
from vshop.accounts.permissions import require_operator
from vshop.accounts.services import role_grant
from vshop.catalog import services as catalog
from vshop.catalog.models import Category, Product, ProductStatus, Sku, SupplierStatus
from vshop.errors import NotFound, ValidationFailed
from vshop.images import process_image
from vshop.shops import selectors
from vshop.shops.errors import (
    AlreadyListed,
    PriceOutOfBounds,
    ProductNotAvailable,
    ShopSuspended,
    SlugTaken,
)
from vshop.shops.models import Listing, ListingPrice, ListingStatus, Shop, ShopStatus
from vshop.validation import clean_text

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")
# Paths a shop address must never shadow, and names that would mislead fans.
RESERVED_SLUGS = {
    "admin",
    "api",
    "operator",
    "static",
    "media",
    "accounts",
    "me",
    "supplier",
    "s",
    "shop",
    "shops",
    "vshop",
    "help",
    "support",
    "official",
    "login",
    "logout",
    "signup",
    "www",
}
MAX_LISTINGS_PER_SHOP = 2000


def _check_slug(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        raise ValidationFailed(
            _("A short address has 3 to 40 lowercase letters, digits or dashes."), field="slug"
        )
    if slug in RESERVED_SLUGS:
        raise SlugTaken(field="slug")
    return slug


def _check_shop_owner(shop: Shop, actor: User) -> None:
    if shop.owner_id != actor.pk:
        raise NotFound(_("No such shop."))


def _category_or_none(category_id: int | None) -> Category | None:
    if not category_id:
        return None
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise ValidationFailed(_("Unknown category."), field="category_id")
    return category


def shop_pages_changed(*, shop_ids: Sequence[int] = (), product_ids: Sequence[int] = ()) -> None:
    """Bump the content version of shops whose pages show these rows, so cached pages refresh."""
    shop_ids = list(shop_ids)
    if product_ids:
        shop_ids += list(
            Listing.objects.filter(product_id__in=list(product_ids)).values_list(
                "shop_id", flat=True
            )
        )
    if shop_ids:
        Shop.objects.filter(pk__in=set(shop_ids)).update(content_version=F("content_version") + 1)
    # Now for this process's next request, and again once committed, in case a request read
    # the old version in between.
    selectors.shop_content_versions_forget()
    transaction.on_commit(selectors.shop_content_versions_forget)


def _save_shop_image(shop: Shop, field_name: str, upload: UploadedFile | None) -> None:
    if upload is None:
        return
    processed = process_image(upload, field=field_name, max_side=1200, thumb_side=240)
    # Avatars show small, covers wide: keep the square crop for the avatar.
    content = processed.thumbnail if field_name == "avatar" else processed.full
    getattr(shop, field_name).save(content.name, content, save=False)


@transaction.atomic
def shop_open(
    *,
    owner: User,
    name: str,
    slug: str,
    bio: str = "",
    category_id: int | None = None,
    avatar: UploadedFile | None = None,
    cover: UploadedFile | None = None,
) -> Shop:
    """Open a shop at ``/s/<slug>``. The account becomes a shop owner."""
    name = clean_text(name, field="name", max_length=60, required=True)
    slug = _check_slug(slug)
    bio = clean_text(bio, field="bio", max_length=1000)
    category = _category_or_none(category_id)
    if Shop.objects.filter(slug=slug).exists():
        raise SlugTaken(field="slug")
    shop = Shop(owner=owner, name=name, slug=slug, bio=bio, category=category)
    _save_shop_image(shop, "avatar", avatar)
    _save_shop_image(shop, "cover", cover)
    try:
        with transaction.atomic():
            shop.save()
    except IntegrityError as exc:
        raise SlugTaken(field="slug") from exc
    role_grant(user=owner, role=Role.SHOP_OWNER)
    return shop


_UNSET = object()


@transaction.atomic
def shop_update(
    *,
    shop: Shop,
    actor: User,
    name: str | None = None,
    bio: str | None = None,
    category_id: object = _UNSET,
    avatar: UploadedFile | None = None,
    cover: UploadedFile | None = None,
) -> Shop:
    """Edit the persona. The short address does not change: fans' links must keep working."""
    _check_shop_owner(shop, actor)
    # Only the fields she edits: a full save would write back a fan count, status or content
    # version that changed since her form was loaded.
    changed = []
    if name is not None:
        shop.name = clean_text(name, field="name", max_length=60, required=True)
        changed.append("name")
    if bio is not None:
        shop.bio = clean_text(bio, field="bio", max_length=1000)
        changed.append("bio")
    if category_id is not _UNSET:
        shop.category = _category_or_none(category_id)  # type: ignore[arg-type]
        changed.append("category")
    for field_name, upload in (("avatar", avatar), ("cover", cover)):
        if upload is not None:
            _save_shop_image(shop, field_name, upload)
            changed.append(field_name)
    if changed:
        shop.save(update_fields=changed)
    shop_pages_changed(shop_ids=[shop.pk])
    shop.refresh_from_db()
    return shop


@transaction.atomic
def shop_suspend(*, shop: Shop, operator: User, reason: str) -> Shop:
    """An operator suspends a shop: its pages say so and it cannot sell."""
    require_operator(operator)
    shop.status = ShopStatus.SUSPENDED
    shop.status_reason = (reason or "").strip()[:200]
    shop.save(update_fields=["status", "status_reason"])
    shop_pages_changed(shop_ids=[shop.pk])
    shop.refresh_from_db()
    return shop


@transaction.atomic
def shop_reinstate(*, shop: Shop, operator: User) -> Shop:
    require_operator(operator)
    shop.status = ShopStatus.ACTIVE
    shop.status_reason = ""
    shop.save(update_fields=["status", "status_reason"])
    shop_pages_changed(shop_ids=[shop.pk])
    shop.refresh_from_db()
    return shop


@transaction.atomic
def shop_set_verified(*, shop: Shop, operator: User, verified: bool) -> Shop:
    """The verified-identity badge; set by an operator after checking who runs the shop."""
    require_operator(operator)
    shop.is_verified = verified
    shop.save(update_fields=["is_verified"])
    shop_pages_changed(shop_ids=[shop.pk])
    shop.refresh_from_db()
    return shop


# --- listings -----------------------------------------------------------------------------


def _check_prices(skus: Sequence[Sku], prices: Mapping[int, int] | None) -> dict[int, int]:
    """The retail price of each SKU: the owner's where given, else the suggested price."""
    prices = dict(prices or {})
    by_id = {sku.pk: sku for sku in skus}
    unknown = set(prices) - set(by_id)
    if unknown:
        raise ValidationFailed(
            _("Unknown SKU: %(ids)s.") % {"ids": ", ".join(str(i) for i in sorted(unknown))},
            field="prices",
        )
    result = {}
    for sku in skus:
        price = prices.get(sku.pk, sku.suggested_price)
        if not isinstance(price, int) or isinstance(price, bool):
            raise ValidationFailed(_("Prices are whole numbers of fen."), field="prices")
        if not sku.min_price <= price <= sku.max_price:
            raise PriceOutOfBounds(
                field="prices", sku_id=sku.pk, min=sku.min_price, max=sku.max_price
            )
        result[sku.pk] = price
    return result


def _check_shop_can_sell(shop: Shop) -> None:
    if shop.status != ShopStatus.ACTIVE:
        raise ShopSuspended()


@transaction.atomic
def listing_add_from_catalog(
    *,
    shop: Shop,
    actor: User,
    product_id: int,
    endorsement: str = "",
    prices: Mapping[int, int] | None = None,
    is_pinned: bool = False,
) -> Listing:
    """Put a catalogue product on sale in one action, at the suggested prices unless given."""
    _check_shop_owner(shop, actor)
    _check_shop_can_sell(shop)
    product = (
        Product.objects.select_related("supplier")
        .filter(
            pk=product_id,
            supplier__isnull=False,
            status=ProductStatus.PUBLISHED,
            supplier__status=SupplierStatus.APPROVED,
        )
        .first()
    )
    if product is None:
        raise ProductNotAvailable(field="product_id")
    endorsement = clean_text(endorsement, field="endorsement", max_length=500)
    skus = list(product.skus.filter(is_active=True))
    checked = _check_prices(skus, prices)
    if Listing.objects.filter(shop=shop, product=product).exists():
        raise AlreadyListed(field="product_id")
    if shop.listings.count() >= MAX_LISTINGS_PER_SHOP:
        raise ValidationFailed(_("A shop has 2000 listings at most."))
    try:
        with transaction.atomic():
            listing = Listing.objects.create(
                shop=shop,
                product=product,
                endorsement=endorsement,
                is_pinned=is_pinned,
                position=_next_position(shop),
            )
    except IntegrityError as exc:
        raise AlreadyListed(field="product_id") from exc
    ListingPrice.objects.bulk_create(
        [
            ListingPrice(listing=listing, sku_id=sku_id, retail_price=p)
            for sku_id, p in checked.items()
        ]
    )
    catalog.product_listing_count_add(product_id=product.pk, delta=1)
    shop_pages_changed(shop_ids=[shop.pk])
    return listing


def _next_position(shop: Shop) -> int:
    last = shop.listings.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 1


@dataclass
class OwnSkuInput:
    """One variant of the owner's own goods: her price and her stock."""

    code: str
    price: int
    stock: int = 0
    weight_grams: int = 0
    options: dict[str, str] = field(default_factory=dict)
    purchase_limit: int = 0  # most units per order; 0: the platform's limit


OWN_GOODS_MAX_PRICE = 10**8  # ¥1,000,000: no supplier bound, only a sanity cap


@transaction.atomic
def listing_create_own_goods(
    *,
    shop: Shop,
    actor: User,
    title: str,
    category_id: int,
    skus: Sequence[OwnSkuInput],
    description_html: str = "",
    endorsement: str = "",
) -> Listing:
    """List the owner's own goods (C2C): her price, her stock, she ships them herself."""
    _check_shop_owner(shop, actor)
    _check_shop_can_sell(shop)
    for s in skus:
        if not isinstance(s.price, int) or not 1 <= s.price <= OWN_GOODS_MAX_PRICE:
            raise ValidationFailed(_("Enter a price between ¥0.01 and ¥1,000,000."), field="skus")
    product = catalog.product_create(
        actor=actor,
        shop=shop,
        title=title,
        category_id=category_id,
        description_html=description_html,
        skus=[
            catalog.SkuInput(
                code=s.code,
                supply_price=0,
                min_price=1,
                max_price=OWN_GOODS_MAX_PRICE,
                suggested_price=s.price,
                stock=s.stock,
                weight_grams=s.weight_grams,
                options=s.options,
                purchase_limit=s.purchase_limit,
            )
            for s in skus
        ],
    )
    product.status = ProductStatus.PUBLISHED
    product.published_at = timezone.now()
    product.save(update_fields=["status", "published_at"])
    listing = Listing.objects.create(
        shop=shop,
        product=product,
        endorsement=clean_text(endorsement, field="endorsement", max_length=500),
        position=_next_position(shop),
    )
    ListingPrice.objects.bulk_create(
        [
            ListingPrice(listing=listing, sku=sku, retail_price=sku.suggested_price)
            for sku in product.skus.all()
        ]
    )
    shop_pages_changed(shop_ids=[shop.pk])
    return listing


@transaction.atomic
def listing_update(
    *,
    listing: Listing,
    actor: User,
    endorsement: str | None = None,
    prices: Mapping[int, int] | None = None,
    is_pinned: bool | None = None,
    status: str | None = None,
) -> Listing:
    """Change the owner's prices (within bounds), endorsement, pin or visibility."""
    _check_shop_owner(listing.shop, actor)
    # Only the edited fields: a reorder may have moved the listing since it was loaded.
    changed = ["updated_at"]
    if endorsement is not None:
        listing.endorsement = clean_text(endorsement, field="endorsement", max_length=500)
        changed.append("endorsement")
    if is_pinned is not None:
        listing.is_pinned = bool(is_pinned)
        changed.append("is_pinned")
    if status is not None:
        if status not in ListingStatus.values:
            raise ValidationFailed(_("Unknown status."), field="status")
        listing.status = status
        changed.append("status")
    listing.save(update_fields=changed)
    if prices is not None:
        skus = list(listing.product.skus.filter(is_active=True))
        current = {p.sku_id: p.retail_price for p in listing.prices.all()}
        merged = {sku.pk: current.get(sku.pk, sku.suggested_price) for sku in skus}
        unknown = set(prices) - set(merged)
        if unknown:
            raise ValidationFailed(
                _("Unknown SKU: %(ids)s.") % {"ids": ", ".join(str(i) for i in sorted(unknown))},
                field="prices",
            )
        merged.update(prices)
        checked = _check_prices(skus, merged)
        for sku_id, price in checked.items():
            ListingPrice.objects.update_or_create(
                listing=listing, sku_id=sku_id, defaults={"retail_price": price}
            )
    shop_pages_changed(shop_ids=[listing.shop_id])
    return listing


@transaction.atomic
def listing_reorder(*, shop: Shop, actor: User, listing_ids: Sequence[int]) -> None:
    """Put the listings in this order (the first shows first); others keep theirs, after them."""
    _check_shop_owner(shop, actor)
    ids = [int(i) for i in listing_ids]
    if len(set(ids)) != len(ids):
        raise ValidationFailed(_("A listing appears twice."), field="listing_ids")
    owned = set(Listing.objects.filter(shop=shop, pk__in=ids).values_list("pk", flat=True))
    if owned != set(ids):
        raise NotFound(_("No such listing in this shop."), field="listing_ids")
    listings = [Listing(pk=pk, position=position) for position, pk in enumerate(ids, start=1)]
    Listing.objects.bulk_update(listings, ["position"])
    Listing.objects.filter(shop=shop).exclude(pk__in=ids).update(
        position=F("position") + len(ids) + 1
    )
    shop_pages_changed(shop_ids=[shop.pk])


@transaction.atomic
def listing_remove(*, listing: Listing, actor: User) -> None:
    _check_shop_owner(listing.shop, actor)
    product_id = listing.product_id
    shop_id = listing.shop_id
    is_own = listing.product.shop_id is not None
    listing.delete()
    if is_own:
        Product.objects.filter(pk=product_id).update(status=ProductStatus.UNPUBLISHED)
    else:
        catalog.product_listing_count_add(product_id=product_id, delta=-1)
    shop_pages_changed(shop_ids=[shop_id])


def listing_prices_clamp(*, product: Product) -> int:
    """After a supplier changes bounds, move every shop's price that fell outside to the nearest
    bound (and add prices for new SKUs at the suggested price). Returns how many changed."""
    changed = 0
    skus = {sku.pk: sku for sku in product.skus.filter(is_active=True)}
    for listing in Listing.objects.filter(product=product).prefetch_related("prices"):
        have = {p.sku_id: p for p in listing.prices.all()}
        for sku_id, sku in skus.items():
            price = have.get(sku_id)
            if price is None:
                ListingPrice.objects.create(
                    listing=listing, sku=sku, retail_price=sku.suggested_price
                )
                changed += 1
            elif not sku.min_price <= price.retail_price <= sku.max_price:
                price.retail_price = min(max(price.retail_price, sku.min_price), sku.max_price)
                price.save(update_fields=["retail_price"])
                changed += 1
    return changed


@transaction.atomic
def listing_create_own_goods_with_photos(
    *,
    shop: Shop,
    actor: User,
    title: str,
    category_id: int,
    skus: Sequence[OwnSkuInput],
    photos: Sequence[UploadedFile],
    description_html: str = "",
    endorsement: str = "",
) -> Listing:
    """``listing_create_own_goods`` and its photos as one write: a photo that is refused (too
    large, not an image) leaves no half-made listing behind."""
    if not photos:
        raise ValidationFailed(_("Add at least one photo."), field="photos")
    if len(photos) > catalog.MAX_IMAGES:
        raise ValidationFailed(_("A product has 12 images at most."), field="photos")
    listing = listing_create_own_goods(
        shop=shop,
        actor=actor,
        title=title,
        category_id=category_id,
        skus=skus,
        description_html=description_html,
        endorsement=endorsement,
    )
    for upload in photos:
        try:
            catalog.product_image_add(product=listing.product, actor=actor, upload=upload)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field="photos") from exc
    return listing


@transaction.atomic
def listing_move(*, listing: Listing, actor: User, step: int) -> None:
    """Move a listing one place up (``step=-1``) or down (``+1``) among the shop's listings that
    share its pin state (pinned ones always show first). Locks the shop row so that two quick
    taps apply one after the other."""
    _check_shop_owner(listing.shop, actor)
    if step not in (-1, 1):
        raise ValidationFailed(_("Move one place up or down."), field="step")
    Shop.objects.select_for_update().filter(pk=listing.shop_id).first()
    rows = list(
        Listing.objects.filter(shop_id=listing.shop_id)
        .order_by("-is_pinned", "position", "-created_at", "pk")
        .values_list("pk", "is_pinned")
    )
    order = [pk for pk, _pinned in rows]
    here = order.index(listing.pk)
    there = here + step
    if not 0 <= there < len(order) or rows[there][1] != rows[here][1]:
        return  # already first or last in its group: nothing to do
    order[here], order[there] = order[there], order[here]
    listing_reorder(shop=listing.shop, actor=actor, listing_ids=order)

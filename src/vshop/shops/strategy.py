"""The one place that answers "what does this listing cost this buyer, can she buy it, and what
does the owner earn" (after Oscar's partner Strategy). Pages and the API both ask it; nothing
else computes a listing's price or availability.

Give it listings loaded through ``shops.selectors.listing_offer_queryset`` so that it touches
the database not at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from vshop.catalog.models import ProductStatus, SupplierStatus
from vshop.shops.models import Listing, ListingStatus, ShopStatus

LOW_STOCK = 5


class Unavailable:
    """Why a listing cannot be bought, as stable codes with a sentence for people."""

    SHOP_SUSPENDED = "shop_suspended"
    SUPPLIER_SUSPENDED = "supplier_suspended"
    UNPUBLISHED = "unpublished"
    HIDDEN = "hidden"
    SOLD_OUT = "sold_out"

    messages = {
        SHOP_SUSPENDED: _("This shop is suspended and cannot sell right now."),
        SUPPLIER_SUSPENDED: _(
            "The supplier of this product is suspended; it cannot be bought now."
        ),
        UNPUBLISHED: _("This product is no longer on sale."),
        HIDDEN: _("This product is no longer on sale."),
        SOLD_OUT: _("Sold out"),
    }


@dataclass(frozen=True)
class SkuOffer:
    sku_id: int
    code: str
    label: str
    options: dict[str, str]
    price: int
    supply_price: int
    margin: int
    min_price: int
    max_price: int
    stock: int
    is_available: bool
    # The owner's retail price and the member discount (%) that lowered it, if any.
    retail_price: int = 0
    member_percent: int = 0

    @property
    def is_low_stock(self) -> bool:
        return 0 < self.stock <= LOW_STOCK

    @property
    def is_member_price(self) -> bool:
        return self.price < self.retail_price


@dataclass(frozen=True)
class ListingOffer:
    listing_id: int
    currency: str
    skus: tuple[SkuOffer, ...]
    unavailable_reason: str

    @property
    def is_available(self) -> bool:
        return not self.unavailable_reason

    @property
    def unavailable_message(self) -> str:
        return str(Unavailable.messages.get(self.unavailable_reason, ""))

    @property
    def price_from(self) -> int | None:
        return min((s.price for s in self.skus), default=None)

    @property
    def price_to(self) -> int | None:
        return max((s.price for s in self.skus), default=None)

    @property
    def margin_from(self) -> int | None:
        return min((s.margin for s in self.skus), default=None)

    @property
    def margin_to(self) -> int | None:
        return max((s.margin for s in self.skus), default=None)

    @property
    def stock(self) -> int:
        return sum(s.stock for s in self.skus)

    @property
    def is_low_stock(self) -> bool:
        return self.is_available and 0 < self.stock <= LOW_STOCK

    @property
    def is_member_price(self) -> bool:
        """Her member level lowered at least one variant's price."""
        return any(s.is_member_price for s in self.skus)


def member_price(retail_price: int, percent: int, sku: object) -> int:
    """Retail lowered by a member discount of ``percent``: the discount is rounded down, and the
    price never goes below the SKU's minimum retail price or its supply price (own goods have
    bounds too), nor above retail."""
    if percent <= 0:
        return retail_price
    lowered = retail_price - retail_price * percent // 100
    floor = max(int(getattr(sku, "min_price", 0) or 0), int(getattr(sku, "supply_price", 0) or 0))
    return min(retail_price, max(lowered, floor))


class Strategy:
    """Default pricing: the owner's retail price per SKU, lowered by the buyer's member level
    in the listing's shop; availability from the shop's, the supplier's and the product's state
    and the stock on hand.

    Override ``price_for`` to give a buyer a different price and ``unavailable_reason`` for new
    rules about who may buy; keep both free of queries (the member discounts are one query, on
    first use, for a logged-in buyer).
    """

    def __init__(self, *, buyer: object | None = None) -> None:
        self.buyer = buyer
        self._member_percents: dict[int, int] | None = None

    def member_percent(self, shop_id: int) -> int:
        """Her level's discount in this shop (0 for a visitor, a non-member, or a shop whose
        points and levels are off)."""
        user_id = getattr(self.buyer, "pk", None)
        if user_id is None or not getattr(self.buyer, "is_authenticated", False):
            return 0
        if self._member_percents is None:
            from vshop.fans.models import ShopFan

            self._member_percents = dict(
                ShopFan.objects.filter(
                    user_id=user_id,
                    level__discount_percent__gt=0,
                    shop__loyalty__isnull=False,
                ).values_list("shop_id", "level__discount_percent")
            )
        return self._member_percents.get(shop_id, 0)

    def price_for(self, listing: Listing, sku: object, retail_price: int) -> int:
        return member_price(retail_price, self.member_percent(listing.shop_id), sku)

    def unavailable_reason(self, listing: Listing) -> str:
        product = listing.product
        if listing.shop.status != ShopStatus.ACTIVE:
            return Unavailable.SHOP_SUSPENDED
        supplier = product.supplier  # None, without a query, for her own goods
        if supplier is not None and supplier.status != SupplierStatus.APPROVED:
            return Unavailable.SUPPLIER_SUSPENDED
        if product.status != ProductStatus.PUBLISHED:
            return Unavailable.UNPUBLISHED
        if listing.status != ListingStatus.ACTIVE:
            return Unavailable.HIDDEN
        return ""

    def offer_for(self, listing: Listing) -> ListingOffer:
        retail = {p.sku_id: p.retail_price for p in listing.prices.all()}
        reason = self.unavailable_reason(listing)
        skus = []
        for sku in listing.product.skus.all():
            if not sku.is_active:
                continue
            stock = getattr(getattr(sku, "stock", None), "quantity", 0)
            price = self.price_for(listing, sku, retail.get(sku.pk, sku.suggested_price))
            skus.append(
                SkuOffer(
                    sku_id=sku.pk,
                    code=sku.code,
                    label=sku.label,
                    options=sku.options,
                    price=price,
                    supply_price=sku.supply_price,
                    margin=price - sku.supply_price,
                    min_price=sku.min_price,
                    max_price=sku.max_price,
                    stock=stock,
                    is_available=not reason and stock > 0,
                    retail_price=retail.get(sku.pk, sku.suggested_price),
                    member_percent=self.member_percent(listing.shop_id),
                )
            )
        if not reason and not any(s.is_available for s in skus):
            reason = Unavailable.SOLD_OUT
        return ListingOffer(
            listing_id=listing.pk,
            currency=listing.product.currency,
            skus=tuple(skus),
            unavailable_reason=reason,
        )


def strategy_for(*, buyer: object | None = None) -> Strategy:
    """The strategy for this buyer. The single switch point for per-buyer pricing rules."""
    return Strategy(buyer=buyer)

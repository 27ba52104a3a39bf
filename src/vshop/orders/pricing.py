"""What a checkout costs, computed on the server from the listing strategy and the fulfillers'
delivery rules. Lines are grouped into one order per shop and fulfiller (a supplier, or the shop
owner for her own goods); each group pays its fulfiller's delivery fee once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from vshop.orders.errors import ListingUnavailable, QuantityNotAllowed
from vshop.orders.models import DeliveryRule
from vshop.shops.models import Listing
from vshop.shops.selectors import listing_offer_queryset
from vshop.shops.strategy import Unavailable, strategy_for


@dataclass
class SummaryLine:
    listing_id: int
    sku_id: int
    title: str
    sku_label: str
    sku_code: str
    image: str
    unit_price: int
    supply_price: int
    quantity: int
    line_total: int
    stock: int
    limit: int
    problem: str = ""
    problem_message: str = ""


@dataclass
class SummaryGroup:
    shop_id: int
    shop_name: str
    supplier_id: int | None
    fulfiller_name: str
    lines: list[SummaryLine] = field(default_factory=list)
    delivery_fee: int = 0

    @property
    def items_total(self) -> int:
        return sum(x.line_total for x in self.lines)

    @property
    def total(self) -> int:
        return self.items_total + self.delivery_fee


@dataclass
class CheckoutSummary:
    currency: str
    groups: list[SummaryGroup]

    @property
    def items_total(self) -> int:
        return sum(g.items_total for g in self.groups)

    @property
    def delivery_total(self) -> int:
        return sum(g.delivery_fee for g in self.groups)

    @property
    def total(self) -> int:
        return self.items_total + self.delivery_total

    @property
    def lines(self) -> list[SummaryLine]:
        return [x for g in self.groups for x in g.lines]

    @property
    def problems(self) -> list[SummaryLine]:
        return [x for x in self.lines if x.problem]

    def raise_problems(self) -> None:
        """Refuse a checkout with an unavailable line or a quantity over its limit. A line over
        the stock on hand is left to the stock reservation, which is exact."""
        for line in self.problems:
            details = {"listing_id": line.listing_id, "sku_id": line.sku_id}
            if line.problem == QuantityNotAllowed.code:
                raise QuantityNotAllowed(line.problem_message, field="quantity", **details)
            if line.problem == ListingUnavailable.code:
                raise ListingUnavailable(line.problem_message, field="listing_id", **details)

    def units(self) -> dict[int, int]:
        units: dict[int, int] = {}
        for line in self.lines:
            units[line.sku_id] = units.get(line.sku_id, 0) + line.quantity
        return units


def summarise(
    *, buyer: object | None, lines: Sequence[tuple[Listing, int, int]]
) -> CheckoutSummary:
    """``lines`` are (listing, sku id, quantity); listings are reloaded here, fresh."""
    ids = {listing.pk for listing, _sku, _n in lines}
    listings = {x.pk: x for x in listing_offer_queryset(Listing.objects.filter(pk__in=ids))}
    strategy = strategy_for(buyer=buyer)
    offers = {pk: strategy.offer_for(x) for pk, x in listings.items()}
    groups: dict[tuple[int, int | None], SummaryGroup] = {}
    currency = "CNY"
    for given, sku_id, quantity in lines:
        listing = listings[given.pk]
        offer = offers[given.pk]
        currency = offer.currency
        product = listing.product
        sku = next((s for s in product.skus.all() if s.pk == sku_id), None)
        sku_offer = next((s for s in offer.skus if s.sku_id == sku_id), None)
        key = (listing.shop_id, product.supplier_id)
        group = groups.get(key)
        if group is None:
            supplier = product.supplier
            group = groups[key] = SummaryGroup(
                shop_id=listing.shop_id,
                shop_name=listing.shop.name,
                supplier_id=product.supplier_id,
                fulfiller_name=supplier.company_name if supplier else listing.shop.name,
            )
        images = list(product.images.all())
        price = sku_offer.price if sku_offer else 0
        line = SummaryLine(
            listing_id=listing.pk,
            sku_id=sku_id,
            title=product.title,
            sku_label=sku.label if sku else "",
            sku_code=sku.code if sku else "",
            image=images[0].thumbnail.name if images else "",
            unit_price=price,
            supply_price=sku.supply_price if sku else 0,
            quantity=quantity,
            line_total=price * quantity,
            stock=sku_offer.stock if sku_offer else 0,
            limit=sku.max_per_order if sku else 0,
        )
        if sku is None or sku_offer is None:
            line.problem = ListingUnavailable.code
            line.problem_message = _("This variant is no longer on sale.")
        elif offer.unavailable_reason and offer.unavailable_reason != Unavailable.SOLD_OUT:
            line.problem = ListingUnavailable.code
            line.problem_message = offer.unavailable_message
        elif not 1 <= quantity <= line.limit:
            line.problem = QuantityNotAllowed.code
            line.problem_message = _("Choose a quantity between 1 and %(limit)s.") % {
                "limit": line.limit
            }
        elif quantity > line.stock:
            line.problem = "out_of_stock"
            line.problem_message = (
                _("Only %(n)s left.") % {"n": line.stock} if line.stock else _("Sold out")
            )
        group.lines.append(line)
    _apply_delivery_fees(list(groups.values()))
    return CheckoutSummary(currency=currency, groups=list(groups.values()))


def _apply_delivery_fees(groups: list[SummaryGroup]) -> None:
    supplier_ids = {g.supplier_id for g in groups if g.supplier_id}
    shop_ids = {g.shop_id for g in groups if not g.supplier_id}
    rules = DeliveryRule.objects.filter(Q(supplier_id__in=supplier_ids) | Q(shop_id__in=shop_ids))
    by_supplier = {r.supplier_id: r for r in rules if r.supplier_id}
    by_shop = {r.shop_id: r for r in rules if r.shop_id}
    for group in groups:
        rule = (
            by_supplier.get(group.supplier_id) if group.supplier_id else by_shop.get(group.shop_id)
        )
        group.delivery_fee = rule.fee_for(group.items_total) if rule else 0

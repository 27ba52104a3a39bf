"""What a checkout costs, computed on the server from the listing strategy and the fulfillers'
delivery rules. Lines are grouped into one order per shop and fulfiller (a supplier, or the shop
owner for her own goods); each group pays its fulfiller's delivery fee once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from vshop.catalog.models import ProductImage, Sku
from vshop.errors import NotFound, ValidationFailed
from vshop.money import largest_remainder
from vshop.orders.errors import ListingUnavailable, QuantityNotAllowed
from vshop.orders.models import DeliveryRule
from vshop.shops.models import Listing, ListingPrice
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
    # This line's part of its order's points discount (already out of ``line_total``).
    points_discount: int = 0

    @property
    def goods(self) -> int:
        return self.unit_price * self.quantity

    @property
    def margin(self) -> int:
        """What the owner earns on the line before points: never touched for the supplier."""
        return max((self.unit_price - self.supply_price) * self.quantity, 0)


@dataclass
class SummaryGroup:
    shop_id: int
    shop_name: str
    supplier_id: int | None
    fulfiller_name: str
    lines: list[SummaryLine] = field(default_factory=list)
    delivery_rule: DeliveryRule | None = None
    points_spent: int = 0

    @property
    def goods_total(self) -> int:
        """The goods before any points discount (what free delivery is measured against)."""
        return sum(x.goods for x in self.lines)

    @property
    def points_discount(self) -> int:
        return sum(x.points_discount for x in self.lines)

    @property
    def delivery_fee(self) -> int:
        return self.delivery_rule.fee_for(self.goods_total) if self.delivery_rule else 0

    @property
    def items_total(self) -> int:
        return sum(x.line_total for x in self.lines)

    @property
    def total(self) -> int:
        return self.items_total + self.delivery_fee


@dataclass
class ShopPoints:
    """Her points in one shop at this checkout: what she holds, the most this checkout can
    take, and what she chose to use."""

    shop_id: int
    balance: int
    max_points: int
    points_per_yuan_off: int
    used: int = 0
    discount: int = 0
    shop_name: str = ""

    @property
    def usable(self) -> int:
        return min(self.balance, self.max_points)

    @property
    def usable_discount(self) -> int:
        return points_value(self.usable, self.points_per_yuan_off)


@dataclass
class CheckoutSummary:
    currency: str
    groups: list[SummaryGroup]
    points: dict[int, ShopPoints] = field(default_factory=dict)

    @property
    def points_discount(self) -> int:
        return sum(g.points_discount for g in self.groups)

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


def summarise(*, buyer: object | None, lines: Sequence[tuple[int, int, int]]) -> CheckoutSummary:
    """``lines`` are (listing id, sku id, quantity). Loads, fresh, only what is being bought, in
    two queries: the listings with their shop, product, supplier, the fulfiller's delivery rule
    and the product's first photo; and the listings' prices of those SKUs with the SKUs and
    their stock. Prices and availability come from the listing strategy, as everywhere else."""
    ids = {listing_id for listing_id, _sku, _n in lines}
    sku_ids = {sku_id for _listing, sku_id, _n in lines}
    first_photo = (
        ProductImage.objects.filter(product_id=OuterRef("product_id"))
        .order_by("position", "pk")
        .values("thumbnail")[:1]
    )
    listings = {
        x.pk: x
        for x in Listing.objects.filter(pk__in=ids)
        .select_related(
            "shop", "shop__delivery_rule", "product", "product__supplier__delivery_rule"
        )
        .annotate(first_photo=Subquery(first_photo))
    }
    if len(listings) != len(ids):
        raise NotFound(_("This product is no longer on sale."), field="listing_id")
    retail: dict[tuple[int, int], int] = {}
    skus: dict[int, Sku] = {}
    for row in ListingPrice.objects.filter(
        listing_id__in=ids, sku_id__in=sku_ids, sku__is_active=True
    ).select_related("sku", "sku__stock"):
        retail[(row.listing_id, row.sku_id)] = row.retail_price
        skus[row.sku_id] = row.sku
    if missing := sku_ids - skus.keys():  # a SKU added after the listing: suggested price
        skus.update(
            (x.pk, x)
            for x in Sku.objects.filter(pk__in=missing, is_active=True).select_related("stock")
        )
    strategy = strategy_for(buyer=buyer)
    groups: dict[tuple[int, int | None], SummaryGroup] = {}
    currency = "CNY"
    for listing_id, sku_id, quantity in lines:
        listing = listings[listing_id]
        product = listing.product
        currency = product.currency
        sku = skus.get(sku_id)
        if sku is not None and sku.product_id != product.pk:
            sku = None  # a SKU of another product is not for sale here
        key = (listing.shop_id, product.supplier_id)
        group = groups.get(key)
        if group is None:
            supplier = product.supplier
            group = groups[key] = SummaryGroup(
                shop_id=listing.shop_id,
                shop_name=listing.shop.name,
                supplier_id=product.supplier_id,
                fulfiller_name=supplier.company_name if supplier else listing.shop.name,
                delivery_rule=_delivery_rule(listing),
            )
        price = (
            strategy.price_for(listing, sku, retail.get((listing_id, sku_id), sku.suggested_price))
            if sku is not None
            else 0
        )
        stock = getattr(getattr(sku, "stock", None), "quantity", 0)
        line = SummaryLine(
            listing_id=listing.pk,
            sku_id=sku_id,
            title=product.title,
            sku_label=sku.label if sku else "",
            sku_code=sku.code if sku else "",
            image=getattr(listing, "first_photo", None) or "",
            unit_price=price,
            supply_price=sku.supply_price if sku else 0,
            quantity=quantity,
            line_total=price * quantity,
            stock=stock,
            limit=sku.max_per_order if sku else 0,
        )
        reason = strategy.unavailable_reason(listing)
        if sku is None:
            line.problem = ListingUnavailable.code
            line.problem_message = _("This variant is no longer on sale.")
        elif reason:
            line.problem = ListingUnavailable.code
            line.problem_message = str(Unavailable.messages[reason])
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
    return CheckoutSummary(currency=currency, groups=list(groups.values()))


def _delivery_rule(listing: Listing) -> DeliveryRule | None:
    """The fulfiller's rule, loaded with the listing: the supplier's, or the shop's for its own
    goods (a reverse one-to-one that does not exist raises, hence the checks)."""
    product = listing.product
    owner: object = product.supplier if product.supplier_id else listing.shop
    try:
        return owner.delivery_rule  # type: ignore[attr-defined]
    except DeliveryRule.DoesNotExist:
        return None


# --- paying with points ----------------------------------------------------------------------


def points_value(points: int, points_per_yuan_off: int) -> int:
    """What ``points`` take off, in fen (rounded down)."""
    return points * 100 // points_per_yuan_off


def group_points_cap(group: SummaryGroup, max_points_percent: int) -> int:
    """The most points may take off one order, in fen: the shop's share of the goods, the
    owner's margin (the supplier's supply price is never touched) and a total of at least 1 fen."""
    goods = group.goods_total
    return max(
        min(
            goods * max_points_percent // 100,
            sum(x.margin for x in group.lines),
            goods + group.delivery_fee - 1,
        ),
        0,
    )


def with_points(
    summary: CheckoutSummary, *, buyer: object | None, spend: Mapping[int, int] | None = None
) -> CheckoutSummary:
    """Fill ``summary.points`` with her points per shop (two queries) and, when ``spend`` (shop
    id → points) asks, take them off: per order within its cap, spread over its lines by margin.

    Refuses (``PointsOverCap``, ``InsufficientPoints``, 400) a shop that gives no points here,
    more points than the checkout can take, or more than she holds (checked again, locked, when
    the points are taken)."""
    from vshop.fans.models import LoyaltyRules, ShopFan
    from vshop.fans.points import InsufficientPoints, PointsOverCap

    spend = {k: v for k, v in (spend or {}).items() if v}
    user_id = getattr(buyer, "pk", None) if getattr(buyer, "is_authenticated", False) else None
    shop_ids = {g.shop_id for g in summary.groups}
    if user_id is None or not shop_ids:
        if spend:
            raise ValidationFailed(_("Log in to pay with points."), field="points")
        return summary
    rules = {
        r.shop_id: r for r in LoyaltyRules.objects.filter(shop_id__in=shop_ids, points_enabled=True)
    }
    balances = dict(
        ShopFan.objects.filter(user_id=user_id, shop_id__in=rules.keys()).values_list(
            "shop_id", "points"
        )
    )
    for shop_id, rule in rules.items():
        cap = sum(
            group_points_cap(g, rule.max_points_percent)
            for g in summary.groups
            if g.shop_id == shop_id
        )
        summary.points[shop_id] = ShopPoints(
            shop_id=shop_id,
            balance=balances.get(shop_id, 0),
            max_points=cap * rule.points_per_yuan_off // 100,
            points_per_yuan_off=rule.points_per_yuan_off,
            shop_name=next(g.shop_name for g in summary.groups if g.shop_id == shop_id),
        )
    names = {g.shop_id: g.shop_name for g in summary.groups}
    for shop_id, n in spend.items():
        offer = summary.points.get(shop_id)
        if offer is None or not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValidationFailed(
                _("This checkout cannot take points for that shop."),
                field="points",
                shop_id=shop_id,
            )
        if n > offer.max_points:
            raise PointsOverCap(
                _("You can use at most %(n)s points on this order from %(shop)s.")
                % {"n": offer.max_points, "shop": names[shop_id]},
                field="points",
                shop_id=shop_id,
                max_points=offer.max_points,
            )
        if n > offer.balance:
            raise InsufficientPoints(
                _("You have %(held)s points at %(shop)s.")
                % {"held": offer.balance, "shop": names[shop_id]},
                field="points",
                shop_id=shop_id,
                held=offer.balance,
            )
        _take_points(summary, offer, n, rules[shop_id].max_points_percent)
    return summary


def _take_points(
    summary: CheckoutSummary, offer: ShopPoints, points: int, max_points_percent: int
) -> None:
    groups = [g for g in summary.groups if g.shop_id == offer.shop_id]
    discount = points_value(points, offer.points_per_yuan_off)
    caps = [group_points_cap(g, max_points_percent) for g in groups]
    per_group = largest_remainder(discount, caps)
    spent = largest_remainder(points, per_group if discount else [1] + [0] * (len(groups) - 1))
    for group, amount, n in zip(groups, per_group, spent, strict=True):
        group.points_spent = n
        shares = largest_remainder(amount, [x.margin for x in group.lines])
        for line, share in zip(group.lines, shares, strict=True):
            line.points_discount = share
            line.line_total = line.goods - share
    offer.used, offer.discount = points, discount

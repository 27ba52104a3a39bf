"""What each paid order pays whom: the commission rates that apply to its lines (the listing's,
else the shop's programme), fixed into an ``OrderSplit`` when the order is paid."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Prefetch

from vshop.distribution.models import ListingCommission, OrderAttribution, Programme
from vshop.ledger.bookings import LineRates, platform_fee_rate, split_amounts
from vshop.ledger.models import OrderSplit
from vshop.orders.models import Order, OrderLine


def splits_for_checkout(*, checkout_id: int, gateway: str) -> list[OrderSplit]:
    """Unsaved splits of every order of a checkout just paid (a handful of queries for all)."""
    orders = list(
        Order.objects.filter(checkout_id=checkout_id)
        .select_related("shop")
        .only(
            "id",
            "number",
            "total",
            "delivery_fee",
            "currency",
            "supplier_id",
            "shop__id",
            "shop__owner_id",
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.only(
                    "id",
                    "order_id",
                    "listing_id",
                    "unit_price",
                    "supply_price",
                    "quantity",
                    "line_total",
                ),
            )
        )
        .order_by("pk")
    )
    return splits_for_orders(orders=orders, gateway=gateway)


def splits_for_orders(*, orders: Sequence[Order], gateway: str) -> list[OrderSplit]:
    attributions = {
        a.order_id: a
        for a in OrderAttribution.objects.filter(order__in=orders).select_related(
            "promoter", "promoter2"
        )
    }
    # Rates matter only for orders that pay a promoter: most orders skip these two queries.
    paying = [o for o in orders if o.pk in attributions and attributions[o.pk].promoter_id]
    shop_ids = {o.shop_id for o in paying}
    programmes = (
        {p.shop_id: p for p in Programme.objects.filter(shop_id__in=shop_ids)} if paying else {}
    )
    listing_ids = {x.listing_id for o in paying for x in o.lines.all() if x.listing_id}
    listing_rates = (
        {c.listing_id: c for c in ListingCommission.objects.filter(listing_id__in=listing_ids)}
        if listing_ids
        else {}
    )
    fee_rate = platform_fee_rate()
    splits = []
    for order in orders:
        programme = programmes.get(order.shop_id) or Programme()
        attribution = attributions.get(order.pk)
        promoter = attribution.promoter if attribution else None
        promoter2 = attribution.promoter2 if attribution else None
        two_levels = programme.levels == 2 and promoter2 is not None
        lines = []
        for x in order.lines.all():
            custom = listing_rates.get(x.listing_id) if x.listing_id else None
            rate1 = custom.level1_rate if custom else programme.level1_rate
            rate2 = (custom.level2_rate if custom else programme.level2_rate) if two_levels else 0
            lines.append(
                LineRates(
                    line_id=x.pk,
                    listing_id=x.listing_id,
                    # What the owner really earned: after her points discount, if any.
                    margin=x.line_total - x.supply_price * x.quantity,
                    supply=x.supply_price * x.quantity,
                    rate1=rate1 if promoter else 0,
                    rate2=rate2,
                )
            )
        amounts = split_amounts(
            lines=lines,
            delivery_fee=order.delivery_fee,
            supplier_ships=order.supplier_id is not None,
            has_promoter=promoter is not None,
            has_promoter2=two_levels,
            fee_rate=fee_rate,
        )
        splits.append(
            OrderSplit(
                order=order,
                gateway=gateway,
                currency=order.currency,
                owner_id=order.shop.owner_id,
                supplier_id=order.supplier_id,
                promoter_id=promoter.user_id if promoter else None,
                promoter2_id=promoter2.user_id if two_levels and promoter2 else None,
                total=order.total,
                fee_rate=fee_rate,
                rates=[x.as_json() for x in lines],
                **amounts,
            )
        )
    return splits

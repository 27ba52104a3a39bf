"""Racing reviews of one order line (a double tap, two devices): exactly one is written and its
points are awarded once. Real threads on real PostgreSQL connections."""

from __future__ import annotations

import pytest

from tests.buying import committed, pay, place, ship
from tests.races import race
from vshop.fans.models import LoyaltyRules, PointsEntry, PointsKind, ShopFan
from vshop.orders import services as orders
from vshop.trust import services
from vshop.trust.models import Review


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_racing_reviews_of_one_line_write_one_and_award_points_once(listing, fan):
    LoyaltyRules.objects.create(shop=listing.shop, review_points=20)
    order = pay(place(fan, listing)).orders.get()
    ship(order)
    with committed():
        orders.order_confirm_receipt(order_number=order.number, actor=fan)
    line = order.lines.get()
    before = ShopFan.objects.get(shop=listing.shop, user=fan).points

    results = race(
        8,
        lambda i: services.review_create(
            buyer=fan, order_number=order.number, line_id=line.pk, rating=1 + i % 5
        ),
    )

    assert sorted(results) == ["already_reviewed"] * 7 + ["ok"]
    assert Review.objects.filter(order_line=line).count() == 1
    record = ShopFan.objects.get(shop=listing.shop, user=fan)
    assert record.points == before + 20
    assert PointsEntry.objects.filter(fan=record, kind=PointsKind.REVIEW).count() == 1

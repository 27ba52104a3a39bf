"""Member levels and points rules: checked as a whole (nothing written when wrong), fans move
up by spend or by points earned, and down after a refund; progress to the next level."""

from __future__ import annotations

import pytest

from tests.buying import committed, pay, place, ship
from tests.fans.points_kit import give_points, levels, loyalty_on, record_of
from vshop.errors import DomainError
from vshop.fans import loyalty, points
from vshop.fans.models import Follow, LoyaltyRules, MemberLevel, ShopFan
from vshop.fans.records import shop_fan_ensure
from vshop.orders import after_sales
from vshop.orders import services as orders
from vshop.orders.models import Order

pytestmark = pytest.mark.django_db

L = loyalty.LevelInput


def _refused(shop, specs, code="levels_invalid"):
    before = list(MemberLevel.objects.filter(shop=shop).values_list("name", "threshold"))
    with pytest.raises(DomainError) as caught:
        loyalty.levels_replace(owner=shop.owner, shop=shop, levels=specs)
    assert caught.value.status == 400 and caught.value.code == code
    assert list(MemberLevel.objects.filter(shop=shop).values_list("name", "threshold")) == before
    return caught.value


def test_a_threshold_overlap_is_refused_and_nothing_is_written(shop):
    levels(shop, ("Silver", 10000, 5))
    error = _refused(shop, [L("Gold", 50000, 10), L("Platinum", 50000, 15)], "level_overlap")
    assert "Gold" in error.message and "Platinum" in error.message


def test_duplicate_names_over_90_percent_and_smaller_discounts_higher_up_are_refused(shop):
    _refused(shop, [L("Gold", 1, 5), L("gold", 2, 6)])
    _refused(shop, [L("Gold", 1, 91)])
    _refused(shop, [L("Silver", 100, 10), L("Gold", 200, 5)])
    _refused(shop, [L(f"L{i}", i, 0) for i in range(11)])
    _refused(shop, [L("", 100, 0)], "invalid")
    _refused(shop, [L("Bad", -1, 0)], "invalid")
    assert not MemberLevel.objects.filter(shop=shop).exists()


def test_levels_are_replaced_as_a_whole_keeping_the_ones_sent_with_their_id(shop, fan):
    silver, gold = levels(shop, ("Silver", 100, 5), ("Gold", 1000, 10))
    record = shop_fan_ensure(shop_id=shop.pk, user=fan, source="follow")
    ShopFan.objects.filter(pk=record.pk).update(total_spend=1500)
    loyalty.levels_refresh(shop_id=shop.pk)
    assert record_of(fan, shop).level_id == gold.pk
    # Swap thresholds between kept rows (unique at the end only) and drop Silver.
    result = loyalty.levels_replace(
        owner=shop.owner,
        shop=shop,
        levels=[L("Gold", 100, 10, id=gold.pk), L("Diamond", 1000, 20)],
    )
    assert [(x.name, x.threshold) for x in result] == [("Gold", 100), ("Diamond", 1000)]
    assert not MemberLevel.objects.filter(pk=silver.pk).exists()
    assert record_of(fan, shop).level.name == "Diamond"


def test_another_owner_cannot_change_the_levels_or_rules(shop, other_shop):
    with pytest.raises(DomainError) as caught:
        loyalty.levels_replace(owner=other_shop.owner, shop=shop, levels=[L("Gold", 1, 5)])
    assert caught.value.status == 404
    with pytest.raises(DomainError):
        loyalty.rules_update(owner=other_shop.owner, shop=shop, data={"points_per_yuan": 5})
    assert not MemberLevel.objects.exists() and not LoyaltyRules.objects.exists()


def test_levels_of_another_shop_cannot_be_kept_by_id(shop, other_shop):
    (theirs,) = levels(other_shop, ("Gold", 100, 5))
    with pytest.raises(DomainError) as caught:
        loyalty.levels_replace(owner=shop.owner, shop=shop, levels=[L("Gold", 1, 5, id=theirs.pk)])
    assert caught.value.status == 404
    assert MemberLevel.objects.get(pk=theirs.pk).shop == other_shop


def test_bad_rules_are_refused_with_nothing_written(shop):
    for data in (
        {"points_per_yuan_off": 0},
        {"max_points_percent": 101},
        {"points_per_yuan": -1},
        {"level_basis": "height"},
        {"points_enabled": "yes"},
        {"checkin_points": True},
        {"surprise": 1},
    ):
        with pytest.raises(DomainError) as caught:
            loyalty.rules_update(owner=shop.owner, shop=shop, data=data)
        assert caught.value.status == 400, data
    assert not LoyaltyRules.objects.exists()


def test_a_fan_moves_up_by_spend_when_she_pays_and_down_after_a_refund(
    shop, listing, fan, operator
):
    loyalty_on(shop, points_per_yuan=0)
    levels(shop, ("Silver", 1000, 5), ("Gold", 3000, 10))
    checkout = pay(place(fan, listing))  # ¥19.90
    assert record_of(fan, shop).level.name == "Silver"
    pay(place(fan, listing))  # ¥39.80 in all
    assert record_of(fan, shop).level.name == "Gold"
    order = Order.objects.get(checkout=checkout)
    ship(order)
    with committed():
        orders.order_confirm_receipt(order_number=order.number, actor=fan)
        after_sales.order_refund_by_operator(
            operator=operator, order_number=order.number, amount=order.total, reason="refund"
        )
    record = record_of(fan, shop)
    # Her second order was at the Silver price (5% off ¥19.90): ¥18.91 is left.
    assert record.total_spend == 1891 and record.level.name == "Silver"


def test_a_fan_moves_up_by_points_earned(shop, fan):
    loyalty_on(shop, level_basis="points", checkin_points=10)
    levels(shop, ("Regular", 0, 0), ("Star", 10, 3))
    Follow.objects.create(fan=fan, shop=shop)
    shop_fan_ensure(shop_id=shop.pk, user=fan, source="follow")
    loyalty.levels_refresh(shop_id=shop.pk)
    assert record_of(fan, shop).level.name == "Regular"
    points.points_check_in(user=fan, shop=shop)
    record = record_of(fan, shop)
    assert record.points_earned == 10 and record.level.name == "Star"


def test_changing_the_basis_moves_every_fan(shop, fan):
    loyalty_on(shop)
    levels(shop, ("Star", 50, 3))
    give_points(fan, shop, 60)  # an adjustment: points, not points earned
    record = record_of(fan, shop)
    ShopFan.objects.filter(pk=record.pk).update(points_earned=60)
    loyalty.levels_refresh(shop_id=shop.pk)
    assert record_of(fan, shop).level is None  # spend 0 < ¥0.50
    loyalty.rules_update(owner=shop.owner, shop=shop, data={"level_basis": "points"})
    assert record_of(fan, shop).level.name == "Star"


def test_progress_to_the_next_level(shop, fan):
    loyalty_on(shop)
    levels(shop, ("Silver", 10000, 5), ("Gold", 30000, 10))
    record = shop_fan_ensure(shop_id=shop.pk, user=fan, source="follow")
    record.total_spend = 20000
    progress = loyalty.level_progress(fan=record)
    assert progress.level.name == "Silver" and progress.next_level.name == "Gold"
    assert (progress.value, progress.remaining, progress.percent) == (20000, 10000, 50)
    record.total_spend = 0
    progress = loyalty.level_progress(fan=record)
    assert progress.level is None and progress.next_level.name == "Silver"
    assert (progress.remaining, progress.percent) == (10000, 0)
    record.total_spend = 99999
    progress = loyalty.level_progress(fan=record)
    assert progress.level.name == "Gold" and progress.next_level is None
    assert (progress.remaining, progress.percent) == (0, 100)


def test_levels_refresh_is_a_handful_of_queries(shop, django_assert_max_num_queries):
    levels(shop, *[(f"L{i}", i * 100, i) for i in range(10)])
    with django_assert_max_num_queries(14):
        loyalty.levels_refresh(shop_id=shop.pk)

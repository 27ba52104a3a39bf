"""The points ledger: earned at payment, by check-in (once a day, her calendar) and by reviews
(once per line); spent oldest-expiring first; taken back on refunds; expired on time; never
negative; and the balance is always the sum of the entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from tests.buying import committed, make_address, pay, place, ship
from tests.factories import make_shop, make_user
from tests.fans.points_kit import assert_books_balance, give_points, loyalty_on, record_of
from vshop.errors import DomainError
from vshop.fans import points
from vshop.fans.models import Follow, PointsEntry, PointsKind, ShopFan
from vshop.fans.records import shop_fan_ensure
from vshop.orders import after_sales
from vshop.orders import services as orders
from vshop.orders.models import Order

pytestmark = pytest.mark.django_db


def test_points_are_earned_when_the_order_is_paid(shop, listing, fan):
    loyalty_on(shop, points_per_yuan=2, points_expire_days=30)
    checkout = pay(place(fan, listing, quantity=2))  # ¥39.80 → 39 whole yuan × 2
    record = record_of(fan, shop)
    assert record.points == 78 and record.points_earned == 78
    entry = PointsEntry.objects.get(fan=record, kind=PointsKind.PURCHASE)
    order = Order.objects.get(checkout=checkout)
    assert entry.order_id == order.pk and entry.remaining == 78
    assert entry.expires_at is not None
    assert timedelta(days=29) < entry.expires_at - order.paid_at <= timedelta(days=30)
    assert_books_balance(record)


def test_no_rules_no_points_but_the_record_still_counts_the_order(shop, listing, fan):
    pay(place(fan, listing))
    record = record_of(fan, shop)
    assert record.points == 0 and record.order_count == 1 and record.total_spend == 1990
    assert not PointsEntry.objects.exists()


def test_paying_twice_counts_the_points_once(shop, listing, fan):
    loyalty_on(shop)
    checkout = pay(place(fan, listing))
    order = Order.objects.get(checkout=checkout)
    record = record_of(fan, shop)
    n = points.points_earn_for_orders(
        orders=[
            points.PaidOrder(
                order_id=order.pk,
                fan_id=record.pk,
                shop_id=shop.pk,
                total=1990,
                paid_at=order.paid_at,
            )
        ]
    )
    assert n == 0 and record_of(fan, shop).points == 19


def test_check_in_once_a_day_by_her_own_calendar(shop, fan):
    loyalty_on(shop, checkin_points=5)
    Follow.objects.create(fan=fan, shop=shop)
    fan.time_zone = "Asia/Shanghai"
    fan.save()
    # 15:30 UTC is 23:30 in Shanghai; 16:10 UTC is already the next day there.
    late = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
    entry = points.points_check_in(user=fan, shop=shop, now=late)
    assert entry.delta == 5 and entry.key == "checkin:2026-03-01"
    with pytest.raises(points.AlreadyCheckedIn) as caught:
        points.points_check_in(user=fan, shop=shop, now=late + timedelta(minutes=20))
    assert caught.value.status == 409
    after_midnight = points.points_check_in(user=fan, shop=shop, now=late + timedelta(minutes=40))
    assert after_midnight.key == "checkin:2026-03-02"
    assert record_of(fan, shop).points == 10
    assert_books_balance(record_of(fan, shop))


def test_check_in_needs_points_on_and_a_fan(shop, fan):
    with pytest.raises(points.PointsOff):
        points.points_check_in(user=fan, shop=shop)
    loyalty_on(shop)
    with pytest.raises(DomainError) as caught:
        points.points_check_in(user=fan, shop=shop)  # not a follower: nothing to add points to
    assert caught.value.status == 409
    assert not ShopFan.objects.filter(user=fan).exists()


def test_review_points_once_per_order_line(shop, listing, fan):
    from vshop.trust.models import Review

    loyalty_on(shop, review_points=20, points_per_yuan=0)
    checkout = pay(place(fan, listing))
    line = Order.objects.get(checkout=checkout).lines.get()
    review = Review.objects.create(
        order_line=line,
        shop=shop,
        listing=listing,
        product=listing.product,
        buyer=fan,
        rating=5,
        text="Lovely",
    )
    entry = points.points_award_review(review=review)
    assert entry is not None and entry.delta == 20 and entry.kind == PointsKind.REVIEW
    assert points.points_award_review(review=review) is None
    assert record_of(fan, shop).points == 20


def test_spending_uses_the_oldest_expiring_lots_first_and_expiry_takes_the_rest(shop, fan):
    loyalty_on(shop, points_expire_days=10)
    record = shop_fan_ensure(shop_id=shop.pk, user=fan, source="follow")
    now = datetime(2026, 5, 1, tzinfo=UTC)
    with committed():
        fans = points._locked_fans([record.pk])
        points._post(
            fan=fans[record.pk],
            kind="adjust",
            delta=100,
            key="a",
            now=now,
            expires_at=now + timedelta(days=2),
        )
        points._post(
            fan=fans[record.pk],
            kind="adjust",
            delta=50,
            key="b",
            now=now,
            expires_at=now + timedelta(days=20),
        )
        points._post(fan=fans[record.pk], kind="redeem", delta=-120, key="c", now=now)
    lots = dict(PointsEntry.objects.filter(fan=record, delta__gt=0).values_list("key", "remaining"))
    assert lots == {"a": 0, "b": 30}
    assert points.points_expire_due(now=now + timedelta(days=3)) == 0
    assert points.points_expire_due(now=now + timedelta(days=21)) == 30
    assert points.points_expire_due(now=now + timedelta(days=22)) == 0  # twice: nothing more
    record.refresh_from_db()
    assert record.points == 0
    assert PointsEntry.objects.get(fan=record, kind=PointsKind.EXPIRY).delta == -30
    assert_books_balance(record)


def test_an_owner_cannot_take_more_than_she_holds(shop, fan):
    record = give_points(fan, shop, 40)
    with pytest.raises(points.InsufficientPoints):
        points.points_adjust(owner=shop.owner, shop=shop, fan_id=record.pk, delta=-41, memo="x")
    assert record_of(fan, shop).points == 40
    assert PointsEntry.objects.filter(fan=record).count() == 1


def test_another_owner_cannot_adjust_her_points(shop, other_shop, fan):
    record = give_points(fan, shop, 40)
    with pytest.raises(DomainError) as caught:
        points.points_adjust(
            owner=other_shop.owner, shop=other_shop, fan_id=record.pk, delta=5, memo="x"
        )
    assert caught.value.status == 404
    with pytest.raises(DomainError):
        points.points_adjust(owner=other_shop.owner, shop=shop, fan_id=record.pk, delta=5, memo="x")
    assert record_of(fan, shop).points == 40


def test_a_refund_takes_back_the_refunded_share_of_the_points(shop, listing, fan, operator):
    loyalty_on(shop, points_per_yuan=10)
    checkout = pay(place(fan, listing, quantity=2))  # ¥39.80 → 390 points
    order = Order.objects.get(checkout=checkout)
    assert record_of(fan, shop).points == 390
    ship(order)
    with committed():
        orders.order_confirm_receipt(order_number=order.number, actor=fan)
        after_sales.order_refund_by_operator(
            operator=operator, order_number=order.number, amount=1990, reason="late claim"
        )
    record = record_of(fan, shop)
    assert record.points == 195 and record.points_earned == 195  # half the money, half back
    assert record.total_spend == 1990
    with committed():
        after_sales.order_refund_by_operator(
            operator=operator, order_number=order.number, amount=1990, reason="the rest"
        )
    record = record_of(fan, shop)
    assert record.points == 0 and record.total_spend == 0
    assert_books_balance(record)


def test_take_back_never_goes_below_zero(shop, listing, fan, operator):
    loyalty_on(shop, points_per_yuan=10)
    checkout = pay(place(fan, listing))
    order = Order.objects.get(checkout=checkout)
    record = record_of(fan, shop)
    points.points_adjust(owner=shop.owner, shop=shop, fan_id=record.pk, delta=-150, memo="spent")
    ship(order)
    with committed():
        orders.order_confirm_receipt(order_number=order.number, actor=fan)
        after_sales.order_refund_by_operator(
            operator=operator, order_number=order.number, amount=order.total, reason="refund"
        )
    record = record_of(fan, shop)
    assert record.points == 0
    assert_books_balance(record)


def test_a_full_refund_gives_back_the_points_she_paid_with(shop, listing, fan):
    loyalty_on(shop, points_per_yuan=0)
    give_points(fan, shop, 500)
    from tests.buying import add_to_cart

    add_to_cart(fan, listing)
    with committed():
        checkout = orders.checkout_place(
            buyer=fan, address_id=make_address(fan).pk, points={shop.pk: 500}
        )
    pay(checkout)
    assert record_of(fan, shop).points == 0
    order = Order.objects.get(checkout=checkout)
    with committed():
        orders.order_cancel(order_number=order.number, actor=fan, reason="changed my mind")
    record = record_of(fan, shop)
    assert record.points == 500
    assert PointsEntry.objects.filter(fan=record, kind=PointsKind.RETURN).count() == 1
    assert_books_balance(record)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_points_never_go_negative_under_concurrent_spending():
    from tests.races import race

    shop = make_shop()
    loyalty_on(shop)
    fan = make_user()
    record = give_points(fan, shop, 100)

    def spend(i: int) -> None:
        points.points_adjust(owner=shop.owner, shop=shop, fan_id=record.pk, delta=-30, memo="x")

    results = race(5, spend)
    assert sorted(results) == ["insufficient_points"] * 2 + ["ok"] * 3, results
    record.refresh_from_db()
    assert record.points == 10
    assert_books_balance(record)


class PointsBook(RuleBasedStateMachine):
    """Random earning, spending, taking back and expiry: the balance is always the sum of the
    entries and of the open lots, and never below zero."""

    @initialize()
    def setup(self) -> None:
        self.shop = make_shop()
        loyalty_on(self.shop, points_expire_days=5)
        self.user = make_user()
        self.fan = shop_fan_ensure(shop_id=self.shop.pk, user=self.user, source="follow")
        self.now = datetime(2026, 1, 1, tzinfo=UTC)
        self.n = 0
        self.expected = 0

    def _key(self) -> str:
        self.n += 1
        return f"k{self.n}"

    @rule(n=st.integers(1, 500), days=st.integers(0, 10))
    def earn(self, n: int, days: int) -> None:
        fan = points._locked_fans([self.fan.pk])[self.fan.pk]
        points._post(
            fan=fan,
            kind="adjust",
            delta=n,
            key=self._key(),
            now=self.now,
            expires_at=self.now + timedelta(days=days + 1),
        )
        self.expected += n

    @rule(n=st.integers(1, 600))
    def spend(self, n: int) -> None:
        fan = points._locked_fans([self.fan.pk])[self.fan.pk]
        try:
            points._post(fan=fan, kind="redeem", delta=-n, key=self._key(), now=self.now)
            self.expected -= n
        except points.InsufficientPoints:
            assert n > self.expected

    @rule(days=st.integers(1, 4))
    def time_passes(self, days: int) -> None:
        self.now += timedelta(days=days)
        self.expected -= points.points_expire_due(now=self.now)

    def teardown(self) -> None:
        # Every example shares the test's transaction: leave no lots for the next one's expiry.
        if hasattr(self, "fan"):
            ShopFan.objects.filter(pk=self.fan.pk).delete()

    @invariant()
    def balanced(self) -> None:
        if not hasattr(self, "fan"):
            return
        assert self.expected >= 0
        assert record_of(self.user, self.shop).points == self.expected
        assert_books_balance(self.fan)


@pytest.mark.django_db
def test_the_balance_is_the_sum_of_the_entries_after_any_sequence():
    run_state_machine_as_test(
        PointsBook,
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


def test_an_after_sales_refund_takes_back_points_and_lowers_her_spend(shop, listing, fan, supplier):
    from vshop.orders.after_sales import LineRefund

    loyalty_on(shop, points_per_yuan=10)
    checkout = pay(place(fan, listing, quantity=2))  # ¥39.80 → 390 points
    order = Order.objects.get(checkout=checkout)
    ship(order)
    line = order.lines.get()
    with committed():
        request = after_sales.after_sales_request(
            buyer=fan,
            order_number=order.number,
            kind="refund_only",
            reason="damaged",
            description="One arrived torn",
            lines=[LineRefund(line_id=line.pk, amount=1990)],
            photos=[],
        )
        after_sales.after_sales_approve(actor=supplier.owner, number=request.number)
    record = record_of(fan, shop)
    assert record.total_spend == 1990 and record.points == 195
    assert PointsEntry.objects.get(fan=record, kind=PointsKind.REFUND).delta == -195
    assert_books_balance(record)

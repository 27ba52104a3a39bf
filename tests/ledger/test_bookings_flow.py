"""Money through the book, the real way: attribution at checkout, the split at payment, pending →
frozen → available, refunds taken back in proportion (also after settlement, into a debt when
the money was withdrawn), refunds paid out of the gateway."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.buying import committed, pay, place, ship
from tests.factories import make_listing, make_operator, make_product, make_user, sku_input
from vshop.distribution.models import (
    AttributionModel,
    Channel,
    Flag,
    FlagKind,
    OrderAttribution,
    Programme,
    Promoter,
    PromoterStatus,
    ShareLink,
    Touch,
)
from vshop.ledger import bookings
from vshop.ledger import services as ledger
from vshop.ledger.checks import ledger_check
from vshop.ledger.models import Account, AccountKind, Bucket, OrderSplit, SplitStage
from vshop.ledger.selectors import balance_of
from vshop.orders import after_sales
from vshop.orders import services as orders
from vshop.orders.models import Order
from vshop.payments.models import Refund, RefundStatus

pytestmark = pytest.mark.django_db

# supply 1000, retail 1990: margin 990 per unit.
MARGIN = 990


def code(account: str) -> int:
    found = Account.objects.filter(code=account).first()
    return balance_of(found) if found else 0


def promoter(shop, user, *, recruiter=None) -> Promoter:
    return Promoter.objects.create(
        shop=shop, user=user, status=PromoterStatus.ACTIVE, recruiter=recruiter
    )


def touch(shop, sharer, buyer, *, channel=Channel.WECHAT, ago=timedelta(0)) -> Touch:
    link, _ = ShareLink.objects.get_or_create(
        sharer=sharer,
        shop=shop,
        listing=None,
        channel=channel,
        defaults={"code": f"c{sharer.pk}{channel}"},
    )
    return Touch.objects.create(
        link=link,
        shop=shop,
        sharer=sharer,
        channel=channel,
        visitor_id="a" * 32,
        user=buyer,
        created_at=timezone.now() - ago,
    )


def paid_order(fan, listing, quantity=1) -> Order:
    checkout = pay(place(fan, listing, quantity=quantity))
    return checkout.orders.get()


def receive_and_complete(order: Order) -> None:
    ship(order)
    with committed():
        orders.order_confirm_receipt(order_number=order.number, actor=order.buyer)
    assert orders.orders_complete_due(now=timezone.now() + timedelta(days=8)) >= 1


@pytest.fixture
def setup(supplier, shop, fan):
    product = make_product(supplier, skus=[sku_input("A", stock=50)])
    listing = make_listing(shop, product)
    Programme.objects.create(shop=shop, levels=2, level1_rate=2000, level2_rate=500)
    recruiter = promoter(shop, make_user("recruiter@example.com"))
    sharer = promoter(shop, make_user("sharer@example.com"), recruiter=recruiter)
    return listing, sharer, recruiter


def test_a_sale_through_a_share_link_pays_both_levels_once_completed(setup, shop, fan, supplier):
    listing, sharer, recruiter = setup
    touch(shop, sharer.user, fan)
    order = paid_order(fan, listing, quantity=2)

    attribution = OrderAttribution.objects.get(order=order)
    assert (attribution.channel, attribution.promoter, attribution.promoter2) == (
        "wechat",
        sharer,
        recruiter,
    )
    split = OrderSplit.objects.get(order=order)
    margin = 2 * MARGIN
    c1, c2 = margin * 2000 // 10000, margin * 500 // 10000
    fee = (margin - c1 - c2) * 500 // 10000
    assert (split.margin, split.commission1, split.commission2, split.platform_fee) == (
        margin,
        c1,
        c2,
        fee,
    )
    assert split.supply == 2 * 1000 + order.delivery_fee
    assert split.owner_amount == margin - c1 - c2 - fee
    assert code("gateway:sandbox") == order.total
    assert code(f"promoter:{sharer.user_id}:commission:pending") == c1
    assert code(f"promoter:{recruiter.user_id}:commission:pending") == c2
    assert code(f"owner:{shop.owner_id}:earnings:pending") == split.owner_amount
    assert code(f"supplier:{supplier.pk}:payable:pending") == split.supply
    assert code("platform:fee") == fee

    ship(order)
    with committed():
        orders.order_confirm_receipt(order_number=order.number, actor=fan)
    assert code(f"promoter:{sharer.user_id}:commission:pending") == 0
    assert code(f"promoter:{sharer.user_id}:commission:frozen") == c1
    assert code(f"promoter:{sharer.user_id}:commission:available") == 0

    assert orders.orders_complete_due(now=timezone.now() + timedelta(days=8)) == 1
    assert code(f"promoter:{sharer.user_id}:commission:frozen") == 0
    assert code(f"promoter:{sharer.user_id}:commission:available") == c1
    assert code(f"promoter:{recruiter.user_id}:commission:available") == c2
    assert code(f"owner:{shop.owner_id}:earnings:available") == split.owner_amount
    assert code(f"supplier:{supplier.pk}:payable:available") == split.supply
    # Completing again moves nothing.
    assert bookings.orders_moved_on(order_ids=[order.pk], to=SplitStage.AVAILABLE) == 0
    assert ledger_check() == []


def test_no_share_link_no_commission(setup, shop, fan):
    listing, _sharer, _recruiter = setup
    order = paid_order(fan, listing)
    split = OrderSplit.objects.get(order=order)
    assert OrderAttribution.objects.get(order=order).channel == "direct"
    assert (split.commission1, split.commission2, split.promoter_id) == (0, 0, None)
    assert split.owner_amount == MARGIN - MARGIN * 500 // 10000


def test_a_promoter_buying_through_her_own_link_earns_nothing(setup, shop):
    listing, sharer, _recruiter = setup
    touch(shop, sharer.user, sharer.user)
    order = paid_order(sharer.user, listing)
    attribution = OrderAttribution.objects.get(order=order)
    assert attribution.self_referral and attribution.promoter is None
    assert OrderSplit.objects.get(order=order).commission1 == 0


def test_level_two_is_paid_only_when_the_shop_turned_it_on(setup, shop, fan):
    listing, sharer, _recruiter = setup
    Programme.objects.filter(shop=shop).update(levels=1, level2_rate=0)
    touch(shop, sharer.user, fan)
    split = OrderSplit.objects.get(order=paid_order(fan, listing))
    assert split.promoter2_id is None and split.commission2 == 0
    assert split.commission1 == MARGIN * 2000 // 10000


def test_first_or_last_touch_and_the_window(setup, shop, fan):
    listing, sharer, recruiter = setup
    touch(shop, recruiter.user, fan, channel=Channel.MOMENTS, ago=timedelta(days=3))
    touch(shop, sharer.user, fan, channel=Channel.QQ, ago=timedelta(days=1))
    touch(shop, make_user("late@example.com"), fan, ago=timedelta(days=9))  # outside 7 days
    a = OrderAttribution.objects.get(order=paid_order(fan, listing))
    assert (a.channel, a.promoter) == ("qq", sharer)
    assert a.first_touch.channel == "moments"

    Programme.objects.filter(shop=shop).update(attribution_model=AttributionModel.FIRST_TOUCH)
    a = OrderAttribution.objects.get(order=paid_order(fan, listing))
    assert (a.channel, a.promoter) == ("moments", recruiter)
    assert a.promoter2 is None  # her recruiter is nobody


def test_partial_refunds_take_back_in_proportion_and_sum_to_the_whole(setup, shop, fan, supplier):
    listing, sharer, recruiter = setup
    touch(shop, sharer.user, fan)
    order = paid_order(fan, listing, quantity=3)
    operator = make_operator()
    ship(order)
    with committed():
        orders.order_confirm_receipt(order_number=order.number, actor=fan)
    before = {p: getattr(OrderSplit.objects.get(order=order), p) for p in bookings.PARTS}
    with committed():
        after_sales.order_refund_by_operator(
            operator=operator, order_number=order.number, amount=1001, reason="late claim"
        )
    split = OrderSplit.objects.get(order=order)
    assert split.refunded == 1001 and sum(split.taken.values()) == 1001
    for part in bookings.PARTS:  # within a fen of the exact proportion
        assert abs(split.taken[part] - before[part] * 1001 / order.total) < 1
    assert (
        code(f"promoter:{sharer.user_id}:commission:frozen")
        == before["commission1"] - (split.taken["commission1"])
    )
    # The rest, in two more refunds: every share ends at zero.
    with committed():
        after_sales.order_refund_by_operator(
            operator=operator, order_number=order.number, amount=7, reason="late claim"
        )
        after_sales.order_refund_by_operator(
            operator=operator,
            order_number=order.number,
            amount=order.total - 1008,
            reason="late claim",
        )
    split = OrderSplit.objects.get(order=order)
    assert split.taken == before
    for name in (
        f"promoter:{sharer.user_id}:commission:frozen",
        f"promoter:{recruiter.user_id}:commission:frozen",
        f"owner:{shop.owner_id}:earnings:frozen",
        f"supplier:{supplier.pk}:payable:frozen",
        "platform:fee",
        f"buyer:{fan.pk}:refunds",  # the sandbox paid every refund
        "gateway:sandbox",
    ):
        assert code(name) == 0, name
    assert Refund.objects.filter(order=order, status=RefundStatus.SUCCEEDED).count() == 3
    assert Order.objects.get(pk=order.pk).status == "refunded"
    assert ledger_check() == []


def test_a_refund_after_settlement_reverses_commission_and_is_flagged(setup, shop, fan):
    listing, sharer, _recruiter = setup
    touch(shop, sharer.user, fan)
    order = paid_order(fan, listing)
    receive_and_complete(order)
    split = OrderSplit.objects.get(order=order)
    available = f"promoter:{sharer.user_id}:commission:available"
    assert code(available) == split.commission1

    with committed():
        after_sales.order_refund_by_operator(
            operator=make_operator(), order_number=order.number, amount=order.total, reason="x"
        )
    assert code(available) == 0
    assert Flag.objects.filter(kind=FlagKind.REFUNDED_AFTER_SETTLEMENT, order=order).exists()
    assert ledger_check() == []


def test_money_already_withdrawn_becomes_a_debt_repaid_from_the_next_sale(setup, shop, fan):
    listing, sharer, _recruiter = setup
    touch(shop, sharer.user, fan)
    first = paid_order(fan, listing)
    receive_and_complete(first)
    c1 = OrderSplit.objects.get(order=first).commission1
    available = ledger.account_for(
        kind=AccountKind.PROMOTER_COMMISSION, bucket=Bucket.AVAILABLE, user=sharer.user
    )
    held = ledger.account_for(kind=AccountKind.WITHDRAWALS)
    ledger.transfer(kind="payout", key="w:1", source=available, target=held, amount=c1)

    with committed():
        after_sales.order_refund_by_operator(
            operator=make_operator(), order_number=first.number, amount=first.total, reason="x"
        )
    assert code(available.code) == 0
    assert code(f"user:{sharer.user_id}:owes") == c1

    second = paid_order(fan, listing)
    receive_and_complete(second)
    c1_second = OrderSplit.objects.get(order=second).commission1
    assert code(f"user:{sharer.user_id}:owes") == 0
    assert code(available.code) == c1_second - c1
    assert ledger_check() == []


def test_a_payment_for_a_cancelled_checkout_is_owed_back_then_refunded(setup, fan):
    from vshop.payments import services as payments
    from vshop.payments.gateways.sandbox import sandbox_pay

    listing, _s, _r = setup
    checkout = place(fan, listing)
    with committed():
        payment, _ = payments.payment_start(
            buyer=fan, checkout_number=checkout.number, gateway="sandbox"
        )
    with committed():
        orders.checkout_cancel(checkout=checkout, role="buyer", actor=fan, reason="changed mind")
    with committed():
        sandbox_pay(payment_number=payment.number)
    assert Refund.objects.get(payment=payment).status == RefundStatus.SUCCEEDED
    assert code("gateway:sandbox") == 0
    assert code(f"buyer:{fan.pk}:refunds") == 0
    assert not OrderSplit.objects.exists()
    assert ledger_check() == []


def test_cancel_before_shipping_takes_everything_back(setup, shop, fan):
    listing, sharer, _r = setup
    touch(shop, sharer.user, fan)
    order = paid_order(fan, listing)
    with committed():
        orders.order_cancel(order_number=order.number, actor=fan)
    assert code(f"promoter:{sharer.user_id}:commission:pending") == 0
    assert code(f"owner:{shop.owner_id}:earnings:pending") == 0
    assert code("gateway:sandbox") == 0
    assert ledger_check() == []


def test_the_platform_refund_is_refused_for_bad_input_and_writes_nothing(setup, fan):
    from vshop.errors import DomainError

    listing, _s, _r = setup
    order = paid_order(fan, listing)
    operator = make_operator()
    for amount, state in ((100, "paid"), (0, None), (10**9, None)):
        if state == "paid":
            with pytest.raises(DomainError):  # not received yet: use cancel or after-sales
                after_sales.order_refund_by_operator(
                    operator=operator, order_number=order.number, amount=amount, reason="x"
                )
    ship(order)
    with committed():
        orders.order_confirm_receipt(order_number=order.number, actor=fan)
    for amount in (0, -5, order.total + 1):
        with pytest.raises(DomainError):
            after_sales.order_refund_by_operator(
                operator=operator, order_number=order.number, amount=amount, reason="x"
            )
    with pytest.raises(DomainError):
        after_sales.order_refund_by_operator(
            operator=fan, order_number=order.number, amount=100, reason="x"
        )
    assert not Refund.objects.filter(order=order).exists()
    assert OrderSplit.objects.get(order=order).refunded == 0


@pytest.mark.parametrize(
    ("amount", "holdings"),
    [
        (1, {"supply": 3, "owner_amount": 3, "commission1": 3}),
        (5, {"supply": 1000, "owner_amount": 1, "commission1": 0}),
        (1009, {"supply": 1000, "owner_amount": 9}),
        (0, {"supply": 10}),
    ],
)
def test_share_out_is_exact_and_bounded(amount, holdings):
    shares = bookings.share_out(amount, holdings)
    assert sum(shares.values()) == amount
    assert all(0 <= shares[p] <= holdings[p] for p in holdings)


def test_split_amounts_never_exceed_the_margin():
    lines = [
        bookings.LineRates(line_id=1, listing_id=1, margin=999, supply=1, rate1=10000, rate2=0),
        bookings.LineRates(line_id=2, listing_id=2, margin=1, supply=5, rate1=7000, rate2=3000),
    ]
    parts = bookings.split_amounts(
        lines=lines,
        delivery_fee=50,
        supplier_ships=False,
        has_promoter=True,
        has_promoter2=True,
        fee_rate=500,
    )
    assert parts["commission1"] + parts["commission2"] <= parts["margin"] == 1000
    assert parts["owner_amount"] >= 50  # her delivery fee at least
    total = sum(parts[p] for p in bookings.PARTS)
    assert total == 1000 + 6 + 50


def test_the_platform_refund_through_the_api_is_for_operators_only(setup, shop, fan):
    from tests.api.conftest import client_for

    listing, sharer, _r = setup
    touch(shop, sharer.user, fan)
    order = paid_order(fan, listing)
    receive_and_complete(order)
    url = f"/api/operator/orders/{order.number}/refund"
    for somebody in (fan, shop.owner, sharer.user):
        assert client_for(somebody).post(url, {"amount": 100, "reason": "x"}).status_code == 403
    assert client_for(make_operator()).post(url, {"amount": 100}).status_code in (400, 422)
    assert not Refund.objects.filter(order=order).exists()

    with committed():
        response = client_for(make_operator()).post(url, {"amount": 100, "reason": "late claim"})
    assert response.status_code == 200, response.content
    assert response.json()["refunded_total"] == 100
    assert OrderSplit.objects.get(order=order).refunded == 100
    assert ledger_check() == []

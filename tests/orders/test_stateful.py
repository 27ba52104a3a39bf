"""Random sequences of buying, paying, duplicate and late notifications, cancelling, timeouts,
shipping and refunds (Hypothesis stateful testing), checking after every step that

* stock on hand + reserved + sold = what there was at the start, for every SKU, and the reserved
  and sold columns match the orders that hold them;
* nothing is refunded beyond what was paid, per line, order and payment, and the money kept
  equals what the paid orders are worth;
* every order is in a legal state, reached only through allowed transitions.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.buying import committed, make_address
from tests.factories import (
    make_listing,
    make_product,
    make_shop,
    make_supplier,
    make_user,
    sku_input,
)
from vshop.errors import DomainError
from vshop.inventory.models import Stock
from vshop.orders import after_sales
from vshop.orders import services as orders
from vshop.orders.after_sales import LineRefund
from vshop.orders.models import Checkout, CheckoutStatus, Order, OrderLine
from vshop.orders.states import ORDER_TRANSITIONS, OrderStatus, Role
from vshop.payments import services as payments
from vshop.payments.gateways.base import Notification, NotificationKind
from vshop.payments.gateways.sandbox import sandbox_pay
from vshop.payments.models import Payment, PaymentStatus, Refund

INITIAL = 6  # units per SKU: small, so that stock runs out often


class Buying(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.supplier = make_supplier()
        self.shop = make_shop()
        product = make_product(
            self.supplier, skus=[sku_input("A", stock=INITIAL), sku_input("B", stock=INITIAL)]
        )
        own = make_shop()
        from vshop.shops import services as shops

        own_listing = shops.listing_create_own_goods(
            shop=own,
            actor=own.owner,
            title="Soap",
            category_id=product.category_id,
            skus=[shops.OwnSkuInput(code="S", price=700, stock=INITIAL)],
        )
        self.listings = [make_listing(self.shop, product), own_listing]
        self.skus = [s.pk for listing in self.listings for s in listing.product.skus.all()]
        self.buyers = [make_user() for _ in range(2)]
        self.addresses = {b.pk: make_address(b).pk for b in self.buyers}
        self.checkouts: list[int] = []
        self.payments: list[int] = []

    # --- helpers ------------------------------------------------------------------------------

    def _orders(self, *statuses: str) -> list[Order]:
        qs = Order.objects.filter(checkout_id__in=self.checkouts)
        if statuses:
            qs = qs.filter(status__in=statuses)
        return list(qs.order_by("pk"))

    @staticmethod
    def _pick(items: list, n: int):
        return items[n % len(items)]

    @staticmethod
    def _attempt(name: str, action) -> None:
        """Run a step as a request would: refusals are answers, not failures."""
        try:
            with committed():
                action()
            event(f"{name}: done")
        except DomainError as exc:
            event(f"{name}: refused ({exc.code})")

    # --- rules (few, so that random sequences get deep: buy, pay, ship, refund) ---------------

    def _add(self, buyer: int, listing: int, sku: int, quantity: int) -> None:
        chosen = self.listings[listing]
        skus = list(chosen.product.skus.order_by("pk"))
        cart = orders.cart_of_user(user=self.buyers[buyer])
        self._attempt(
            "add to cart",
            lambda: orders.cart_add(
                cart=cart, listing_id=chosen.pk, sku_id=self._pick(skus, sku).pk, quantity=quantity
            ),
        )

    @rule(
        buyer=st.integers(0, 1),
        picks=st.lists(
            st.tuples(st.integers(0, 1), st.integers(0, 1), st.integers(0, 3)),
            min_size=1,
            max_size=3,
        ),
    )
    def checkout(self, buyer: int, picks: list[tuple[int, int, int]]) -> None:
        """Put a few things in the cart (0 units is refused) and check out."""
        for listing, sku, quantity in picks:
            self._add(buyer, listing, sku, quantity)
        user = self.buyers[buyer]
        try:
            with committed():
                placed = orders.checkout_place(buyer=user, address_id=self.addresses[user.pk])
        except DomainError as exc:
            event(f"checkout: refused ({exc.code})")
            orders.cart_of_user(user=user).lines.all().delete()  # she gives up on it
            return
        event("checkout: done")
        self.checkouts.append(placed.pk)

    @precondition(lambda self: self.checkouts)
    @rule(
        n=st.integers(0, 100), how=st.sampled_from(["pay", "pay", "open the page only", "pay late"])
    )
    def pay(self, n: int, how: str) -> None:
        """Pay a waiting checkout; or only open its payment page; or pay a page opened earlier
        (perhaps after the checkout was cancelled, or paid through another page)."""
        if how == "pay late" and self.payments:
            payment = Payment.objects.get(pk=self._pick(self.payments, n))
            with committed():
                sandbox_pay(payment_number=payment.number)
            return
        waiting = list(
            Checkout.objects.filter(pk__in=self.checkouts, status=CheckoutStatus.PENDING_PAYMENT)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        checkout = Checkout.objects.get(pk=self._pick(waiting or self.checkouts, n))
        assert checkout.buyer is not None
        try:
            with committed():
                payment, _start = payments.payment_start(
                    buyer=checkout.buyer, checkout_number=checkout.number, gateway="sandbox"
                )
        except DomainError as exc:
            event(f"pay: refused ({exc.code})")
            return
        self.payments.append(payment.pk)
        if how == "pay":
            with committed():
                sandbox_pay(payment_number=payment.number)

    @precondition(lambda self: self.payments)
    @rule(n=st.integers(0, 100), same_event=st.booleans())
    def duplicate_notification(self, n: int, same_event: bool) -> None:
        payment = Payment.objects.get(pk=self._pick(self.payments, n))
        if payment.status != PaymentStatus.SUCCEEDED:
            return
        with committed():
            payments.notification_apply(
                notification=Notification(
                    gateway="sandbox",
                    event_id="dup" if same_event else f"again-{timezone.now().timestamp()}",
                    kind=NotificationKind.PAYMENT_SUCCEEDED,
                    payment_number=payment.number,
                    amount=payment.amount,
                    currency=payment.currency,
                    provider_ref=payment.provider_ref,
                )
            )

    @precondition(lambda self: self.checkouts)
    @rule(n=st.integers(0, 100), how=st.sampled_from(["buyer cancels", "time runs out"]))
    def cancel(self, n: int, how: str) -> None:
        if how == "time runs out":
            checkout = Checkout.objects.get(pk=self._pick(self.checkouts, n))
            Checkout.objects.filter(pk=checkout.pk).update(
                pay_by=timezone.now() - timedelta(seconds=1)
            )
            with committed():
                orders.checkout_expire(number=checkout.number)
            return
        candidates = self._orders(OrderStatus.PENDING_PAYMENT, OrderStatus.PAID) or self._orders()
        order = self._pick(candidates, n)
        assert order.buyer is not None
        self._attempt(
            "cancel", lambda: orders.order_cancel(order_number=order.number, actor=order.buyer)
        )

    @precondition(lambda self: self.checkouts)
    @rule(n=st.integers(0, 100))
    def ship(self, n: int) -> None:
        order = self._pick(self._orders(OrderStatus.PAID) or self._orders(), n)
        fulfiller = order.supplier.owner if order.supplier else order.shop.owner
        self._attempt(
            "ship",
            lambda: orders.order_ship(
                order_number=order.number, actor=fulfiller, carrier="SF", tracking_number="SF1"
            ),
        )

    @precondition(lambda self: self.checkouts)
    @rule(n=st.integers(0, 100), how=st.sampled_from(["buyer confirms", "days pass"]))
    def receive(self, n: int, how: str) -> None:
        if how == "days pass":
            later = timezone.now() + timedelta(days=30)
            with committed():
                orders.orders_confirm_overdue(now=later)
                orders.orders_complete_due(now=later + timedelta(days=30))
            return
        order = self._pick(self._orders(OrderStatus.SHIPPED) or self._orders(), n)
        assert order.buyer is not None
        self._attempt(
            "confirm",
            lambda: orders.order_confirm_receipt(order_number=order.number, actor=order.buyer),
        )

    @precondition(lambda self: self.checkouts)
    @rule(
        n=st.integers(0, 100),
        share=st.integers(1, 100),
        goods_back=st.booleans(),
        whole=st.booleans(),
    )
    def refund(self, n: int, share: int, goods_back: bool, whole: bool) -> None:
        candidates = self._orders(OrderStatus.SHIPPED, OrderStatus.DELIVERED) or self._orders()
        order = self._pick(candidates, n)
        assert order.buyer is not None
        line = order.lines.order_by("pk").first()
        assert line is not None
        left = line.line_total - line.refunded_amount
        lines = None
        if not whole:
            amount = max(1, left * share // 100)
            units = max(1, (line.quantity - line.returned_quantity) * share // 100)
            lines = [
                LineRefund(line_id=line.pk, amount=amount, quantity=units if goods_back else 0)
            ]
        fulfiller = order.supplier.owner if order.supplier else order.shop.owner

        def ask_and_settle() -> None:
            request = after_sales.after_sales_request(
                buyer=order.buyer,
                order_number=order.number,
                kind="return_and_refund" if goods_back else "refund_only",
                reason="damaged",
                lines=lines,
            )
            after_sales.after_sales_approve(actor=fulfiller, number=request.number)
            if goods_back:
                after_sales.after_sales_return_shipped(
                    buyer=order.buyer, number=request.number, carrier="ZTO", tracking_number="Z1"
                )
                after_sales.after_sales_receive_return(actor=fulfiller, number=request.number)

        self._attempt("refund", ask_and_settle)

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def stock_adds_up(self) -> None:
        lines = OrderLine.objects.filter(order__checkout_id__in=self.checkouts)
        for stock in Stock.objects.filter(sku_id__in=self.skus):
            assert stock.quantity + stock.reserved + stock.sold == INITIAL, stock
            mine = lines.filter(sku_id=stock.sku_id)
            reserved = (
                mine.filter(order__status=OrderStatus.PENDING_PAYMENT).aggregate(n=Sum("quantity"))[
                    "n"
                ]
                or 0
            )
            assert stock.reserved == reserved
            sold = sum(
                x.quantity - x.returned_quantity for x in mine.filter(order__paid_at__isnull=False)
            )
            assert stock.sold == sold

    @invariant()
    def never_refunded_beyond_paid(self) -> None:
        for payment in Payment.objects.filter(checkout_id__in=self.checkouts):
            refunded = Refund.objects.filter(payment=payment).aggregate(n=Sum("amount"))["n"] or 0
            assert refunded == payment.refunded_amount <= payment.amount
            if payment.status != PaymentStatus.SUCCEEDED:
                assert refunded == 0
        for order in self._orders():
            assert order.refunded_total <= order.total
            lines = list(order.lines.all())
            assert all(x.refunded_amount <= x.line_total for x in lines)
            assert sum(x.refunded_amount for x in lines) <= order.refunded_total
            given_back = Refund.objects.filter(order=order).aggregate(n=Sum("amount"))["n"] or 0
            assert given_back == order.refunded_total
        for checkout in Checkout.objects.filter(pk__in=self.checkouts):
            kept = sum(
                p.amount - p.refunded_amount
                for p in Payment.objects.filter(checkout=checkout, status=PaymentStatus.SUCCEEDED)
            )
            if checkout.status == CheckoutStatus.PAID:
                worth = sum(o.total - o.refunded_total for o in checkout.orders.all())
                assert kept == worth  # charged once; everything refunded went back
            else:
                assert kept == 0  # an unpaid or cancelled checkout keeps no money

    @invariant()
    def orders_are_in_legal_states(self) -> None:
        for order in self._orders():
            checkout = order.checkout
            assert order.status in OrderStatus.values
            if order.status == OrderStatus.PENDING_PAYMENT:
                assert checkout.status == CheckoutStatus.PENDING_PAYMENT
            if checkout.status == CheckoutStatus.PENDING_PAYMENT:
                assert order.status == OrderStatus.PENDING_PAYMENT
            path = [
                (e.from_status, e.to_status, e.role) for e in order.events.filter(after_sales=None)
            ]
            assert path[0][:2] == ("", OrderStatus.PENDING_PAYMENT)
            for (_a, b, _r), (c, d, role) in itertools.pairwise(path):
                assert b == c, path
                assert role in ORDER_TRANSITIONS[(c, d)], path
            assert path[-1][1] == order.status
            if order.status == OrderStatus.REFUNDED:
                assert order.refunded_total == order.total
            if order.status == OrderStatus.CANCELLED and order.paid_at is not None:
                assert order.refunded_total == order.total
        assert Role.GATEWAY  # (roles are strings the table knows)


@pytest.mark.django_db
def test_random_buying_keeps_stock_money_and_states_right() -> None:
    run_state_machine_as_test(
        Buying,
        settings=settings(
            max_examples=40,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )

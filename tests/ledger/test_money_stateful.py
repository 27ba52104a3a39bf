"""Proof that money is always right: random sequences of the money events of orders and
withdrawals (Hypothesis stateful testing), with the book checked after every step.

The cast: three shops (A sells two suppliers' goods and has a chain of promoters, one of them a
buyer and one the owner of shop B; B sells a supplier's goods and her own; C sells only her own
goods and has no promoter), three buyers. The steps, all through the services:

* buy: a buyer checks out 1-2 listings (one order per fulfiller), perhaps after a visit through
  somebody's share link (a promoter, herself, a stranger), and pays through the sandbox; or
  opens two payment pages and pays both, or cancels and then pays: the extra money goes back;
* ship, receive (the buyer confirms one, or days pass and all are received), complete (the
  after-sales window closes: one batch);
* refund: cancel before shipping; after-sales refund-only of part of a line or the whole order;
  the operator upholding a late claim on a received or completed order (after settlement, and
  perhaps after the money was withdrawn: a debt);
* change the terms: the shop's programme (levels, rates, first/last touch, on/off), a listing's
  own rates, the platform's fee rate;
* withdraw (up to and above what is available, below the minimum; a debt is repaid first),
  approve (paid out, or refused by a "fail…" payee and given back), reject, cancel.

Checked after every step:

* every ledger transaction sums to zero, no person's or company's balance is below zero, every
  cached balance equals the sum of its entries (``ledger_check``);
* the book as a whole balances, and the gateway clearing account (everything owed less everything
  owed back) equals what the sandbox provider's own book says it holds: charged − refunded − paid
  out;
* every order's split is what its rate snapshot says (recomputed here from ``rates`` and
  ``fee_rate``), its commission is within its margin and its parts add up to its total, and its
  refunds, replayed in order with the proportional rule, take back what the split says was taken;
* every account holds what this test's own model says (``expected``, written from the rules and
  the steps taken, never read from the ledger): the shares of each paid order, pending → frozen →
  available, refunds taken back in proportion, a shortfall becoming a debt repaid out of the next
  money made available or withdrawn, withdrawals held, then paid out or given back.

Each example runs in a savepoint rolled back at its end, so book-wide sums see only its money.
The deepest path (withdrawn, refunded, owing, repaid) is also walked step by step at the end.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.buying import committed, make_address
from tests.factories import (
    make_category,
    make_listing,
    make_operator,
    make_product,
    make_shop,
    make_supplier,
    make_user,
    sku_input,
)
from vshop.accounts.models import User
from vshop.distribution import services as distribution
from vshop.distribution.models import Channel, ShareLink, Touch
from vshop.errors import DomainError, ValidationFailed
from vshop.ledger.checks import ledger_check
from vshop.ledger.errors import InsufficientBalance
from vshop.ledger.models import (
    Account,
    Bucket,
    Entry,
    NormalSide,
    OrderSplit,
)
from vshop.orders import after_sales
from vshop.orders import services as orders
from vshop.orders.after_sales import LineRefund
from vshop.orders.models import Order
from vshop.payments import services as payments
from vshop.payments.gateways.base import PayoutState
from vshop.payments.gateways.sandbox import sandbox_pay
from vshop.payments.models import (
    Refund,
    RefundStatus,
    SandboxPayout,
    SandboxRefund,
    SandboxTransaction,
)
from vshop.payouts import services as payouts
from vshop.payouts.models import Withdrawal as WithdrawalModel
from vshop.payouts.models import WithdrawalRole
from vshop.payouts.states import WithdrawalStatus
from vshop.shops import services as shops

WHOLE = 10_000  # basis points
PARTS = ("supply", "owner_amount", "commission1", "commission2", "platform_fee")
STOCK = 10_000  # never runs out: stock is tests/orders/test_stateful.py's business
GATEWAY = "gateway:sandbox"
# Changes of rates per example: enough to mix them, few enough that orders go deep.
MAX_TERM_CHANGES = 3
HELD = "withdrawals:held"
WITHDRAWAL_MINIMUM = 10  # fen: small, so that the small sums of these orders can be withdrawn
WITHDRAWAL_FEE = 3  # fen the platform keeps from each payout


# --- the rules, written out again here (not imported from the code under test) ---------------


def shares_from_rates(
    rates: list[dict], *, fee_rate: int, delivery_fee: int, supplier_ships: bool
) -> dict[str, int]:
    """An order's shares from its snapshot: commission rounded down per line, the platform's fee
    rounded down on the margin left after commission, the owner gets the rest; delivery goes to
    whoever ships."""
    margin = sum(x["margin"] for x in rates)
    c1 = sum(x["margin"] * x["rate1"] // WHOLE for x in rates)
    c2 = sum(x["margin"] * x["rate2"] // WHOLE for x in rates)
    fee = (margin - c1 - c2) * fee_rate // WHOLE
    return {
        "margin": margin,
        "supply": sum(x["supply"] for x in rates) + (delivery_fee if supplier_ships else 0),
        "owner_amount": margin - c1 - c2 - fee + (0 if supplier_ships else delivery_fee),
        "commission1": c1,
        "commission2": c2,
        "platform_fee": fee,
    }


def take_back(amount: int, holdings: dict[str, int]) -> dict[str, int]:
    """A refund taken from the shares in proportion to what each still holds: rounded down,
    the fen left over go to the largest remainders (ties in PARTS order)."""
    held = sum(holdings.values())
    assert 0 < amount <= held, (amount, holdings)
    taken = {p: holdings[p] * amount // held for p in PARTS}
    left = amount - sum(taken.values())
    for p in sorted(PARTS, key=lambda p: (-(holdings[p] * amount % held), PARTS.index(p)))[:left]:
        taken[p] += 1
    return taken


# --- the model ---------------------------------------------------------------------------------


@dataclass
class Programme:
    levels: int = 1
    rate1: int = 1000
    rate2: int = 0
    first_touch: bool = False
    enabled: bool = True


@dataclass
class Line:
    pk: int
    total: int
    refunded: int = 0


@dataclass
class PaidOrder:
    pk: int
    number: str
    buyer: User
    fulfiller: User
    seq: int  # the order splits were written in
    total: int
    supplier_id: int | None
    owner_id: int
    promoter_id: int | None
    promoter2_id: int | None
    rates: list[dict]
    fee_rate: int
    parts: dict[str, int]
    lines: list[Line]
    status: str = "paid"
    stage: str = Bucket.PENDING
    refunded: int = 0
    refunds: list[int] = field(default_factory=list)
    taken: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PARTS, 0))

    def holder(self, part: str) -> tuple[str, int] | None:
        if part == "supply":
            return ("supplier", self.supplier_id) if self.supplier_id else None
        user = {
            "owner_amount": self.owner_id,
            "commission1": self.promoter_id,
            "commission2": self.promoter2_id,
        }.get(part)
        return ("user", user) if user else None

    def account(self, part: str, bucket: str) -> str:
        if part == "platform_fee":
            return "platform:fee"
        kind, pk = self.holder(part)  # type: ignore[misc]
        if kind == "supplier":
            return f"supplier:{pk}:payable:{bucket}"
        what = "earnings" if part == "owner_amount" else "commission"
        role = "owner" if part == "owner_amount" else "promoter"
        return f"{role}:{pk}:{what}:{bucket}"

    def still_held(self) -> dict[str, int]:
        return {p: self.parts[p] - self.taken[p] for p in PARTS}


def debt_account(holder: tuple[str, int]) -> str:
    return f"{holder[0]}:{holder[1]}:owes"


@dataclass(frozen=True)
class Party:
    """Somebody who can hold available money and withdraw it: her user, in which role."""

    user: User
    role: str  # a WithdrawalRole
    account: str  # the code of her available account
    holder: tuple[str, int]  # whose debt it repays


@dataclass
class Withdrawal:
    number: str
    party: Party
    amount: int
    fee: int
    payee: str
    status: str = WithdrawalStatus.REQUESTED


@dataclass(frozen=True)
class Offer:
    listing_id: int
    sku_id: int
    shop: int


def _pick(items: list, n: int):  # type: ignore[no-untyped-def]
    return items[n % len(items)]


class Money(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._savepoint: transaction.Atomic | None = transaction.atomic()
        self._savepoint.__enter__()
        self._overrides: list[override_settings] = []
        try:
            self._override(
                VSHOP_WITHDRAWAL_MINIMUM=WITHDRAWAL_MINIMUM,
                VSHOP_WITHDRAWAL_FEE=WITHDRAWAL_FEE,
                VSHOP_PAYOUT_GATEWAY="sandbox",
            )
            self._set_fee_rate(500)
            self._cast()
        except BaseException:
            self.teardown()
            raise
        self.expected: dict[str, int] = defaultdict(int)
        self.debts: dict[tuple[str, int], int] = defaultdict(int)
        self.orders: dict[int, PaidOrder] = {}
        self.withdrawals: list[Withdrawal] = []
        self.touches: dict[tuple[int, int], list[int]] = defaultdict(list)
        self.programmes = [Programme() for _ in self.shops]
        self.listing_rates: dict[int, tuple[int, int]] = {}
        self.seq = 0
        self.terms_changed = 0

    def teardown(self) -> None:
        for override in reversed(self._overrides):
            override.disable()
        self._overrides.clear()
        if self._savepoint is not None:
            transaction.set_rollback(True)
            self._savepoint.__exit__(None, None, None)
            self._savepoint = None

    def _override(self, **values: object) -> None:
        override = override_settings(**values)
        override.enable()
        self._overrides.append(override)

    def _set_fee_rate(self, rate: int) -> None:
        self._override(VSHOP_PLATFORM_FEE_RATE=rate)
        self.fee_rate = rate

    def _cast(self) -> None:
        """Three shops: A sells two suppliers' goods and has a chain of promoters; B sells a
        supplier's goods and her own, and her owner promotes shop A; C sells only her own goods
        and has no promoter. Three buyers; the first is also a promoter of shop A."""
        self.operator = make_operator()
        category = make_category()
        s1, s2 = make_supplier(operator=self.operator), make_supplier(operator=self.operator)
        orders.delivery_rule_set(actor=s1.owner, flat_fee=800, free_over=5000)
        p1 = make_product(s1, category=category, skus=[sku_input("P1", stock=STOCK)])
        p2 = make_product(
            s1,
            category=category,
            skus=[sku_input("P2", supply=333, lo=400, suggested=777, hi=2000, stock=STOCK)],
        )
        p3 = make_product(
            s2,
            category=category,
            skus=[sku_input("P3", supply=1234, lo=1234, suggested=1234, hi=9999, stock=STOCK)],
        )
        a, b, c = make_shop(), make_shop(), make_shop()
        self.shops = [a, b, c]
        self.shop_index = {shop.pk: n for n, shop in enumerate(self.shops)}
        orders.delivery_rule_set(actor=c.owner, shop=c, flat_fee=600, free_over=10_000)

        def listed(shop_n: int, product, price: int) -> Offer:  # type: ignore[no-untyped-def]
            shop = self.shops[shop_n]
            sku = product.skus.get()
            listing = make_listing(shop, product, prices={sku.pk: price})
            return Offer(listing.pk, sku.pk, shop_n)

        def own(shop_n: int, price: int) -> Offer:
            shop = self.shops[shop_n]
            listing = shops.listing_create_own_goods(
                shop=shop,
                actor=shop.owner,
                title="Hand-made soap",
                category_id=category.pk,
                skus=[shops.OwnSkuInput(code="OWN", price=price, stock=STOCK)],
            )
            return Offer(listing.pk, listing.product.skus.get().pk, shop_n)

        self.offers = [
            listed(0, p1, 2999),  # margin 1999
            listed(0, p2, 401),  # margin 68: rounding
            listed(0, p3, 1234),  # no margin at all
            listed(1, p1, 1500),
            listed(1, p3, 9999),
            own(1, 777),
            own(2, 1999),
        ]
        self.buyers = [make_user() for _ in range(3)]
        self.addresses = {u.pk: make_address(u).pk for u in self.buyers}
        u1, u2, u3, stranger = (make_user() for _ in range(4))
        # (shop, user) → the user id of her recruiter
        self.promoters: dict[tuple[int, int], int | None] = {}

        def join(shop_n: int, user: User, recruiter: User | None = None) -> None:
            code = None
            if recruiter is not None:
                code = str(
                    self.shops[shop_n].promoters.get(user=recruiter).pk  # type: ignore[attr-defined]
                )
            distribution.promoter_join(user=user, shop=self.shops[shop_n], recruiter_code=code)
            self.promoters[(shop_n, user.pk)] = recruiter.pk if recruiter else None

        join(0, u1)
        join(0, u2, u1)
        join(0, b.owner, u2)
        join(0, self.buyers[0])
        join(0, u3, self.buyers[0])  # her level 2 is the buyer herself when buyer 0 buys
        join(1, u1)
        join(1, s1.owner, u1)  # a supplier's owner earns commission as a person
        self.sharers = [
            [u1.pk, u2.pk, b.owner.pk, self.buyers[0].pk, u3.pk, stranger.pk],
            [u1.pk, s1.owner.pk, stranger.pk],
            [stranger.pk, u1.pk],
        ]
        self.fulfillers = {s1.pk: s1.owner, s2.pk: s2.owner}
        # Everybody who can hold available money.
        self.parties = [
            *(
                Party(
                    x.owner,
                    WithdrawalRole.SUPPLIER,
                    f"supplier:{x.pk}:payable:available",
                    ("supplier", x.pk),
                )
                for x in (s1, s2)
            ),
            *(
                Party(
                    x.owner,
                    WithdrawalRole.OWNER,
                    f"owner:{x.owner_id}:earnings:available",
                    ("user", x.owner_id),
                )
                for x in self.shops
            ),
            *(
                Party(
                    u,
                    WithdrawalRole.PROMOTER,
                    f"promoter:{u.pk}:commission:available",
                    ("user", u.pk),
                )
                for u in (u1, u2, u3, b.owner, self.buyers[0], s1.owner)
            ),
        ]

    @initialize(twice=st.booleans())
    def notifications(self, twice: bool) -> None:
        """In half the runs the sandbox delivers every notification twice, as providers
        sometimes do: each must take effect once."""
        if twice:
            self._override(VSHOP_SANDBOX_DUPLICATE_RATE=1.0)

    # --- model helpers ------------------------------------------------------------------------

    def _with_status(self, *statuses: str) -> list[PaidOrder]:
        return [o for o in self.orders.values() if o.status in statuses]

    def _winning_sharer(self, buyer: User, shop_n: int) -> int | None:
        touches = self.touches[(buyer.pk, shop_n)]
        if not touches:
            return None
        return touches[0] if self.programmes[shop_n].first_touch else touches[-1]

    def _touch(self, buyer: User, shop_n: int, sharer_id: int) -> None:
        shop = self.shops[shop_n]
        link = ShareLink.objects.filter(
            sharer_id=sharer_id, shop=shop, listing=None, channel=Channel.WECHAT
        ).first() or ShareLink.objects.create(
            code=secrets.token_urlsafe(9)[:12],
            sharer_id=sharer_id,
            shop=shop,
            channel=Channel.WECHAT,
        )
        Touch.objects.create(
            link=link,
            shop=shop,
            sharer_id=sharer_id,
            channel=link.channel,
            visitor_id=f"v{buyer.pk}",
            user=buyer,
        )
        self.touches[(buyer.pk, shop_n)].append(sharer_id)

    def _expect_paid(self, order: Order, buyer: User) -> PaidOrder:
        """What the split of a just-paid order must be: the promoter of the share link that
        won, if she is the shop's promoter and not the buyer; her recruiter at level 2 when the
        shop pays two levels (and the recruiter is not the buyer); the listing's rates, else the
        programme's; the fee rate in force."""
        shop_n = self.shop_index[order.shop_id]
        programme = self.programmes[shop_n]
        sharer = self._winning_sharer(buyer, shop_n)
        promoter = (
            sharer
            if programme.enabled
            and sharer is not None
            and sharer != buyer.pk
            and (shop_n, sharer) in self.promoters
            else None
        )
        promoter2 = None
        if promoter is not None and programme.levels == 2:
            recruiter = self.promoters[(shop_n, promoter)]
            promoter2 = recruiter if recruiter != buyer.pk else None
        rates = []
        lines = []
        for x in order.lines.order_by("pk"):
            rate1, rate2 = self.listing_rates.get(
                x.listing_id or 0, (programme.rate1, programme.rate2)
            )
            rates.append(
                {
                    "line": x.pk,
                    "listing": x.listing_id,
                    "margin": (x.unit_price - x.supply_price) * x.quantity,
                    "supply": x.supply_price * x.quantity,
                    "rate1": rate1 if promoter else 0,
                    "rate2": rate2 if promoter2 else 0,
                }
            )
            lines.append(Line(pk=x.pk, total=x.line_total))
        shares = shares_from_rates(
            rates,
            fee_rate=self.fee_rate,
            delivery_fee=order.delivery_fee,
            supplier_ships=order.supplier_id is not None,
        )
        assert sum(shares[p] for p in PARTS) == order.total
        self.seq += 1
        return PaidOrder(
            pk=order.pk,
            number=order.number,
            buyer=buyer,
            fulfiller=self.fulfillers[order.supplier_id]
            if order.supplier_id
            else self.shops[shop_n].owner,
            seq=self.seq,
            total=order.total,
            supplier_id=order.supplier_id,
            owner_id=self.shops[shop_n].owner_id,
            promoter_id=promoter,
            promoter2_id=promoter2,
            rates=rates,
            fee_rate=self.fee_rate,
            parts={p: shares[p] for p in PARTS},
            lines=lines,
        )

    def _book_paid(self, order: PaidOrder) -> None:
        self.orders[order.pk] = order
        self.expected[GATEWAY] += order.total
        for part, amount in order.parts.items():
            if amount:
                self.expected[order.account(part, Bucket.PENDING)] += amount

    def _book_moved(self, moved: list[PaidOrder], to: str) -> None:
        """Everything the shares still hold moves to the next bucket; money made available
        repays its holder's debt first."""
        freed: dict[str, tuple[tuple[str, int], int]] = {}
        for order in sorted(moved, key=lambda o: (o.seq, o.pk)):
            for part, amount in order.still_held().items():
                if not amount or part == "platform_fee":
                    continue
                source, target = order.account(part, order.stage), order.account(part, to)
                self.expected[source] -= amount
                self.expected[target] += amount
                if to == Bucket.AVAILABLE:
                    holder = order.holder(part)
                    assert holder is not None
                    freed[target] = (holder, freed.get(target, (holder, 0))[1] + amount)
            order.stage = to
        for holder, debt in list(self.debts.items()):
            for account, (whose, amount) in freed.items():
                if whose != holder or debt <= 0:
                    continue
                repay = min(debt, amount)
                self.expected[account] -= repay
                self.expected[debt_account(holder)] -= repay
                debt -= repay
                event("debt repaid from money made available")
            self.debts[holder] = debt

    def _book_refund(self, order: PaidOrder, amount: int) -> None:
        """Taken back from every share in proportion to what it still holds; a share already
        available gives what its account still has, and its holder owes the rest. The sandbox
        pays the refund at once."""
        taken = take_back(amount, order.still_held())
        for part in PARTS:
            want = taken[part]
            order.taken[part] += want
            if not want:
                continue
            if part == "platform_fee":
                self.expected["platform:fee"] -= want
                continue
            account = order.account(part, order.stage)
            take = want
            if order.stage == Bucket.AVAILABLE:
                take = min(want, max(self.expected[account], 0))
                short = want - take
                if short:
                    holder = order.holder(part)
                    assert holder is not None
                    self.debts[holder] += short
                    self.expected[debt_account(holder)] += short
                    event("refund after settlement: a debt")
            self.expected[account] -= take
        order.refunds.append(amount)
        order.refunded += amount
        # Owed to the buyer, then paid by the gateway: both cancel out in her refunds account.
        self.expected[GATEWAY] -= amount
        event(f"refund while {order.stage}")

    # --- rules: buying and paying --------------------------------------------------------------

    # Few orders waiting at a time, so that the others move on rather than pile up.
    @precondition(lambda self: len(self._with_status("paid", "shipped")) < 3)
    @rule(
        buyer=st.integers(0, 2),
        picks=st.lists(
            st.tuples(st.integers(0, 6), st.integers(1, 3)),
            min_size=1,
            max_size=2,
            unique_by=lambda t: t[0],
        ),
        sharer=st.none() | st.integers(0, 5),
        how=st.sampled_from(["pay", "pay", "pay", "pay", "pay twice", "pay after cancelling"]),
    )
    def buy(self, buyer: int, picks: list[tuple[int, int]], sharer: int | None, how: str) -> None:
        """A buyer (perhaps through a share link) checks out and pays. Or she opens two payment
        pages and pays both; or cancels and then pays the page she opened: the extra money is
        refunded at once."""
        user = self.buyers[buyer]
        items = [
            (self.offers[n].listing_id, self.offers[n].sku_id, quantity) for n, quantity in picks
        ]
        if sharer is not None:
            shop_n = self.offers[picks[0][0]].shop
            self._touch(user, shop_n, _pick(self.sharers[shop_n], sharer))
        with committed():
            checkout = orders.checkout_place(
                buyer=user, address_id=self.addresses[user.pk], items=items
            )
        with committed():
            pages = [
                payments.payment_start(
                    buyer=user, checkout_number=checkout.number, gateway="sandbox"
                )[0]
                for _ in range(2 if how == "pay twice" else 1)
            ]
        placed = list(checkout.orders.order_by("pk"))
        if how == "pay after cancelling":
            with committed():
                orders.order_cancel(order_number=placed[0].number, actor=user)
        expected = [self._expect_paid(order, user) for order in placed]
        for page in pages:
            with committed():
                sandbox_pay(payment_number=page.number)
        event(f"buy: {how}, {len(placed)} order(s)")
        if how != "pay after cancelling":
            for order in expected:
                self._book_paid(order)

    # --- rules: an order's life -----------------------------------------------------------------

    @precondition(lambda self: self._with_status("paid"))
    @rule(n=st.integers(0, 100), every=st.booleans())
    def ship(self, n: int, every: bool) -> None:
        waiting = self._with_status("paid")
        for order in waiting if every else [_pick(waiting, n)]:
            with committed():
                orders.order_ship(
                    order_number=order.number,
                    actor=order.fulfiller,
                    carrier="SF",
                    tracking_number="SF1",
                )
            order.status = "shipped"

    @precondition(lambda self: self._with_status("shipped"))
    @rule(n=st.integers(0, 100), days_pass=st.booleans())
    def receive(self, n: int, days_pass: bool) -> None:
        """The buyer confirms one order, or days pass and every shipped order is received."""
        shipped = self._with_status("shipped")
        if days_pass:
            with committed():
                done = orders.orders_confirm_overdue(now=timezone.now() + timedelta(days=30))
            assert done == len(shipped)
        else:
            shipped = [_pick(shipped, n)]
            with committed():
                orders.order_confirm_receipt(order_number=shipped[0].number, actor=shipped[0].buyer)
        for order in shipped:
            self._book_moved([order], Bucket.FROZEN)
            order.status = "delivered"

    @precondition(lambda self: self._with_status("delivered"))
    @rule()
    def complete(self) -> None:
        """The after-sales window of every received order closes: one batch, one transaction."""
        delivered = self._with_status("delivered")
        with committed():
            done = orders.orders_complete_due(now=timezone.now() + timedelta(days=60))
        assert done == len(delivered)
        self._book_moved(delivered, Bucket.AVAILABLE)
        for order in delivered:
            order.status = "completed"

    # --- rules: money back ----------------------------------------------------------------------

    _REFUND_WAYS = {
        "after-sales, one line": ("shipped", "delivered"),
        "operator, late claim": ("delivered", "completed"),
        "after-sales, whole order": ("shipped", "delivered"),
        "cancel before shipping": ("paid",),
    }

    def _refundable(self, how: str) -> list[PaidOrder]:
        return [o for o in self._with_status(*self._REFUND_WAYS[how]) if o.refunded < o.total]

    @precondition(lambda self: any(self._refundable(how) for how in self._REFUND_WAYS))
    @rule(
        n=st.integers(0, 100),
        how=st.sampled_from(list(_REFUND_WAYS)),
        line=st.integers(0, 3),
        share=st.integers(1, 100),
    )
    def refund(self, n: int, how: str, line: int, share: int) -> None:
        """Money goes back (one rule for every way, so that random runs pick refunds as often
        as the other steps): the buyer cancels a paid order before it ships (all of it); she
        asks after-sales for ``share`` % of one line or the whole order, refund only, and the
        fulfiller agrees; or the platform upholds a late claim on a received or completed order
        for ``share`` % of what is left, after settlement too."""
        if not self._refundable(how):
            # Another way that has an order to refund; cancelling (which ends an order early)
            # only when asked for or when nothing else can be refunded.
            how = next(w for w in self._REFUND_WAYS if self._refundable(w))
        order = _pick(self._refundable(how), n)
        event(f"refund: {how}")
        if how == "cancel before shipping":
            with committed():
                orders.order_cancel(order_number=order.number, actor=order.buyer)
            self._book_refund(order, order.total - order.refunded)
            order.status = "cancelled"
            return
        if how == "operator, late claim":
            amount = max(1, (order.total - order.refunded) * share // 100)
            with committed():
                after_sales.order_refund_by_operator(
                    operator=self.operator,
                    order_number=order.number,
                    amount=amount,
                    reason="late claim upheld",
                )
        else:
            self._after_sales(order, line=line, share=share, whole=how.endswith("whole order"))
            return
        self._book_refund(order, amount)
        if order.refunded == order.total:
            order.status = "refunded"

    def _after_sales(self, order: PaidOrder, *, line: int, share: int, whole: bool) -> None:
        left = order.total - order.refunded
        chosen = _pick(order.lines, line)
        if whole:
            amount, lines = left, None
        else:
            amount = max(1, (chosen.total - chosen.refunded) * share // 100)
            lines = [LineRefund(line_id=chosen.pk, amount=amount)]

        def ask():  # type: ignore[no-untyped-def]
            return after_sales.after_sales_request(
                buyer=order.buyer,
                order_number=order.number,
                kind="refund_only",
                reason="damaged",
                lines=lines,
            )

        if amount > left or (not whole and amount > chosen.total - chosen.refunded):
            # More than the line or the order still has (an operator refund took some).
            with pytest.raises(DomainError), committed():
                ask()
            event("after-sales: refused, too much")
            return
        with committed():
            request = ask()
        with committed():
            after_sales.after_sales_approve(actor=order.fulfiller, number=request.number)
        for x in order.lines if whole else [chosen]:
            x.refunded = x.total if whole else x.refunded + amount
        self._book_refund(order, amount)
        if order.refunded == order.total:
            order.status = "refunded"

    # --- rules: terms change (the split of an order is fixed by the terms when it is paid) ------

    @precondition(lambda self: self.terms_changed < MAX_TERM_CHANGES)
    @rule(
        shop=st.integers(0, 1),
        levels=st.sampled_from([1, 2]),
        rate1=st.sampled_from([0, 1, 999, 1000, 3333, 10_000]) | st.integers(0, 10_000),
        rate2_share=st.integers(0, 100),
        first_touch=st.booleans(),
        enabled=st.sampled_from([True, True, True, False]),
    )
    def change_programme(
        self, shop: int, levels: int, rate1: int, rate2_share: int, first_touch: bool, enabled: bool
    ) -> None:
        self.terms_changed += 1
        rate2 = (WHOLE - rate1) * rate2_share // 100 if levels == 2 else 0
        with committed():
            distribution.programme_update(
                owner=self.shops[shop].owner,
                shop=self.shops[shop],
                data={
                    "levels": levels,
                    "level1_rate": rate1,
                    "level2_rate": rate2,
                    "attribution_model": "first_touch" if first_touch else "last_touch",
                    "is_enabled": enabled,
                },
            )
        self.programmes[shop] = Programme(levels, rate1, rate2, first_touch, enabled)

    @precondition(lambda self: self.terms_changed < MAX_TERM_CHANGES)
    @rule(
        offer=st.integers(0, 6),
        rate1=st.integers(0, 10_000),
        rate2_share=st.integers(0, 100),
        clear=st.booleans(),
    )
    def change_listing_rates(self, offer: int, rate1: int, rate2_share: int, clear: bool) -> None:
        self.terms_changed += 1
        chosen = self.offers[offer]
        owner = self.shops[chosen.shop].owner
        if clear:
            distribution.listing_commission_clear(owner=owner, listing_id=chosen.listing_id)
            self.listing_rates.pop(chosen.listing_id, None)
            return
        levels = self.programmes[chosen.shop].levels
        rate2 = (WHOLE - rate1) * rate2_share // 100 if levels == 2 else 0
        distribution.listing_commission_set(
            owner=owner, listing_id=chosen.listing_id, level1_rate=rate1, level2_rate=rate2
        )
        self.listing_rates[chosen.listing_id] = (rate1, rate2)

    @precondition(lambda self: self.terms_changed < MAX_TERM_CHANGES)
    @rule(rate=st.sampled_from([0, 1, 500, 3333, 10_000]))
    def change_fee_rate(self, rate: int) -> None:
        self.terms_changed += 1
        self._set_fee_rate(rate)

    # --- rules: withdrawals -------------------------------------------------------------------

    def _with_money(self) -> list[Party]:
        return [p for p in self.parties if self.expected[p.account] >= WITHDRAWAL_MINIMUM]

    @precondition(lambda self: self._with_money())
    @rule(
        party=st.integers(0, 100),
        share=st.integers(1, 150),
        refused_by_payee=st.booleans(),
    )
    def withdraw(self, party: int, share: int, refused_by_payee: bool) -> None:
        """Somebody asks for some of her available money (a debt of hers is repaid out of it
        first), or for more than she can have, or for less than the minimum (both refused)."""
        payee = "fail@alipay" if refused_by_payee else "li@alipay"
        who = _pick(self._with_money(), party)
        have = self.expected[who.account]
        amount = max(1, have * share // 100)
        repay = min(self.debts[who.holder], have)

        def ask() -> WithdrawalModel:
            return payouts.withdrawal_request(
                user=who.user, role=who.role, amount=amount, payee=payee, payee_name="Li Hua"
            )

        if amount < WITHDRAWAL_MINIMUM or amount > have - repay:
            refusal = ValidationFailed if amount < WITHDRAWAL_MINIMUM else InsufficientBalance
            with pytest.raises(refusal), committed():
                ask()
            event(f"withdraw: refused ({refusal.code})")
            return
        with committed():
            number = ask().number
        if repay:
            self.expected[who.account] -= repay
            self.expected[debt_account(who.holder)] -= repay
            self.debts[who.holder] -= repay
            event("debt repaid out of a withdrawal")
        self.expected[who.account] -= amount
        self.expected[HELD] += amount
        self.withdrawals.append(Withdrawal(number, who, amount, WITHDRAWAL_FEE, payee))

    def _open_withdrawals(self) -> list[Withdrawal]:
        return [w for w in self.withdrawals if w.status == WithdrawalStatus.REQUESTED]

    @precondition(lambda self: self._open_withdrawals())
    @rule(n=st.integers(0, 100))
    def approve_withdrawal(self, n: int) -> None:
        """An operator approves; the sandbox pays it out (the platform keeps the fee), or
        refuses the payee and the money goes back to the available balance."""
        w = _pick(self._open_withdrawals(), n)
        with committed():
            payouts.withdrawal_approve(operator=self.operator, number=w.number)
        self.expected[HELD] -= w.amount
        if w.payee.startswith("fail"):
            self.expected[w.party.account] += w.amount
            w.status = WithdrawalStatus.FAILED
        else:
            self.expected[GATEWAY] -= w.amount - w.fee
            self.expected["platform:fee"] += w.fee
            w.status = WithdrawalStatus.PAID
        event(f"withdrawal {w.status}")

    @precondition(lambda self: self._open_withdrawals())
    @rule(n=st.integers(0, 100), by_requester=st.booleans())
    def take_back_withdrawal(self, n: int, by_requester: bool) -> None:
        """The operator rejects it, or the requester cancels it: the money goes back."""
        w = _pick(self._open_withdrawals(), n)
        with committed():
            if by_requester:
                payouts.withdrawal_cancel(user=w.party.user, number=w.number)
            else:
                payouts.withdrawal_reject(operator=self.operator, number=w.number, reason="check")
        self.expected[HELD] -= w.amount
        self.expected[w.party.account] += w.amount
        w.status = WithdrawalStatus.CANCELLED if by_requester else WithdrawalStatus.REJECTED

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def book_is_sound(self) -> None:
        """Balanced transactions, cached balances equal to their entries, nobody overdrawn."""
        assert ledger_check() == []
        unbalanced = (
            Entry.objects.order_by()
            .values("transaction_id")
            .annotate(total=Sum("amount"))
            .exclude(total=0)
        )
        assert not unbalanced.exists()
        assert not Account.objects.filter(may_go_negative=False, balance__lt=0).exists()

    @invariant()
    def gateway_holds_what_the_book_says(self) -> None:
        accounts = list(Account.objects.values_list("code", "normal_side", "balance"))
        debit = sum(b for _c, side, b in accounts if side == NormalSide.DEBIT)
        credit = sum(b for _c, side, b in accounts if side == NormalSide.CREDIT)
        assert (Entry.objects.aggregate(n=Sum("amount"))["n"] or 0) == 0
        assert debit == credit
        gateways = {code: b for code, _s, b in accounts if code.startswith("gateway:")}
        assert set(gateways) <= {GATEWAY}
        gateway = gateways.get(GATEWAY, 0)
        # Everything owed to somebody, less what somebody owes back, is in the gateway.
        assert gateway == credit - (debit - gateway)
        charged = (
            SandboxTransaction.objects.filter(status="paid").aggregate(n=Sum("amount"))["n"] or 0
        )
        refunded = SandboxRefund.objects.aggregate(n=Sum("amount"))["n"] or 0
        paid_out = (
            SandboxPayout.objects.filter(status=PayoutState.SUCCEEDED).aggregate(n=Sum("amount"))[
                "n"
            ]
            or 0
        )
        assert gateway == charged - refunded - paid_out

    @invariant()
    def every_account_holds_what_the_model_says(self) -> None:
        actual = dict(Account.objects.values_list("code", "balance"))
        wrong = {
            code: (actual.get(code, 0), self.expected.get(code, 0))
            for code in set(actual) | set(self.expected)
            if actual.get(code, 0) != self.expected.get(code, 0)
        }
        assert not wrong, f"(ledger, model): {wrong}"
        for holder, debt in self.debts.items():
            assert actual.get(debt_account(holder), 0) == debt
        statuses = dict(WithdrawalModel.objects.values_list("number", "status"))
        assert statuses == {w.number: w.status for w in self.withdrawals}

    @invariant()
    def splits_follow_their_snapshots_and_refunds(self) -> None:
        splits = list(OrderSplit.objects.select_related("order").order_by("pk"))
        assert [s.order_id for s in splits] == [
            o.pk for o in sorted(self.orders.values(), key=lambda o: (o.seq, o.pk))
        ]
        refunds: dict[int, list[int]] = defaultdict(list)
        for order_id, amount, status in (
            Refund.objects.filter(order__isnull=False)
            .order_by("pk")
            .values_list("order_id", "amount", "status")
        ):
            assert status == RefundStatus.SUCCEEDED
            refunds[order_id].append(amount)
        for split in splits:
            model = self.orders[split.order_id]
            # From the snapshot alone.
            shares = shares_from_rates(
                split.rates,
                fee_rate=split.fee_rate,
                delivery_fee=split.order.delivery_fee,
                supplier_ships=split.supplier_id is not None,
            )
            assert {k: getattr(split, k) for k in shares} == shares
            assert split.commission1 + split.commission2 <= split.margin
            assert sum(getattr(split, p) for p in PARTS) == split.total == split.order.total
            # As the model expected it.
            assert split.rates == model.rates
            assert split.fee_rate == model.fee_rate
            assert (split.promoter_id, split.promoter2_id) == (
                model.promoter_id,
                model.promoter2_id,
            )
            assert split.stage == model.stage
            # Its refunds, replayed in order.
            assert refunds[split.order_id] == model.refunds
            taken = dict.fromkeys(PARTS, 0)
            for amount in refunds[split.order_id]:
                step = take_back(amount, {p: getattr(split, p) - taken[p] for p in PARTS})
                taken = {p: taken[p] + step[p] for p in PARTS}
            assert {p: int((split.taken or {}).get(p, 0)) for p in PARTS} == taken == model.taken
            assert split.refunded == sum(refunds[split.order_id]) == split.order.refunded_total


@pytest.mark.django_db
def test_money_is_always_right_through_random_buying_refunds_and_withdrawals() -> None:
    run_state_machine_as_test(
        Money,
        settings=settings(
            max_examples=20,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


@pytest.mark.django_db
def test_a_refund_after_a_withdrawal_leaves_a_debt_repaid_by_her_next_money(monkeypatch) -> None:
    """The deepest path, step by step with every invariant checked after each: a promoter's
    commission is settled and withdrawn, the platform refunds the order, she owes the
    shortfall; her next withdrawal and her next settled sales repay it first."""
    seen: list[str] = []
    monkeypatch.setattr(__import__(__name__, fromlist=["event"]), "event", seen.append)
    m = Money()
    try:

        def check() -> None:
            m.book_is_sound()
            m.gateway_holds_what_the_book_says()
            m.every_account_holds_what_the_model_says()
            m.splits_follow_their_snapshots_and_refunds()

        def settle() -> None:
            for step in (
                lambda: m.ship(n=0, every=True),
                lambda: m.receive(n=0, days_pass=True),
                m.complete,
            ):
                step()
                check()

        u1 = next(p for p in m.parties if p.role == "promoter" and p.user.pk == m.sharers[0][0])

        def withdraw_u1(share: int, refused_by_payee: bool = False) -> None:
            m.withdraw(
                party=m._with_money().index(u1), share=share, refused_by_payee=refused_by_payee
            )
            check()

        # Buyer 1 buys 3 × 29.99 through promoter u1's link: 10% of a 59.97 margin is hers.
        m.buy(buyer=1, picks=[(0, 3)], sharer=0, how="pay")
        check()
        settle()
        assert m.expected[u1.account] == 599
        withdraw_u1(100)  # all of it, held
        m.refund(
            n=0, how="operator, late claim", line=0, share=10
        )  # late claim: her share of it is already held
        check()
        assert m.debts[u1.holder] == 60 and m.expected[u1.account] == 0
        m.take_back_withdrawal(n=0, by_requester=False)  # rejected: the 5.99 is back
        check()
        withdraw_u1(50)  # 2.99 asked; the 0.60 debt is repaid out of the balance first
        assert m.debts[u1.holder] == 0 and m.expected[u1.account] == 599 - 60 - 299
        m.approve_withdrawal(n=0)
        check()
        m.refund(
            n=0, how="operator, late claim", line=0, share=100
        )  # the rest of the order back: 2.40 there, she owes 2.99
        check()
        assert m.debts[u1.holder] == 299 and m.expected[u1.account] == 0
        # Her next sales through shops B and A repay the debt as they settle.
        m.buy(buyer=2, picks=[(3, 1)], sharer=0, how="pay")
        check()
        settle()
        assert m.debts[u1.holder] == 299 - 50
        m.buy(buyer=1, picks=[(0, 3)], sharer=0, how="pay")
        check()
        settle()
        assert m.debts[u1.holder] == 0 and m.expected[u1.account] == 599 - 249
        withdraw_u1(100, refused_by_payee=True)
        m.approve_withdrawal(n=0)  # the payee refuses: the money comes back
        check()
        withdraw_u1(100)
        m.take_back_withdrawal(n=0, by_requester=True)
        check()
        assert m.expected[u1.account] == 350
    finally:
        m.teardown()
    for expected in (
        "refund after settlement: a debt",
        "debt repaid out of a withdrawal",
        "debt repaid from money made available",
        "withdrawal paid",
        "withdrawal failed",
    ):
        assert expected in seen

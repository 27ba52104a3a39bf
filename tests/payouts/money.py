"""Builders for the money tests: balances made the real way (a fan buys, the order ships, is
received and completes), or, for tests about something else, put into an account directly
through the book; and the helpers that read the book back."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from tests.buying import committed, pay, place, ship
from tests.factories import make_listing, make_product, make_user, sku_input
from vshop.accounts.models import User
from vshop.catalog.models import Supplier
from vshop.ledger import services as ledger
from vshop.ledger.models import Account, AccountKind, Bucket, TransactionKind
from vshop.ledger.selectors import balance_of
from vshop.orders import services as orders
from vshop.orders.models import Order
from vshop.shops.models import Shop

_keys = itertools.count(1)


def sell_and_complete(shop: Shop, supplier: Supplier, *, quantity: int = 5) -> Order:
    """A fan buys from ``shop`` a product of ``supplier``; it ships, she receives it, the
    after-sales window closes: the shop owner's earnings and the supplier's payable are
    available."""
    product = make_product(supplier, skus=[sku_input("P", supply=1000, suggested=1990, stock=50)])
    listing = make_listing(shop, product)
    buyer = make_user()
    checkout = pay(place(buyer, listing, quantity=quantity))
    order = checkout.orders.get()
    ship(order)
    with committed():
        orders.order_confirm_receipt(order_number=order.number, actor=buyer)
    order.refresh_from_db()
    with committed():
        orders.orders_complete_due(now=order.after_sales_until + timedelta(seconds=1))
    order.refresh_from_db()
    assert order.status == "completed", order.status
    return order


def gateway(name: str = "sandbox") -> Account:
    return ledger.account_for(kind=AccountKind.GATEWAY_CLEARING, gateway=name)


def available(*, user: User | None = None, supplier: Supplier | None = None, kind: str) -> Account:
    if supplier is not None:
        return ledger.account_for(kind=kind, bucket=Bucket.AVAILABLE, supplier=supplier)
    return ledger.account_for(kind=kind, bucket=Bucket.AVAILABLE, user=user)


def earnings(user: User) -> Account:
    return available(user=user, kind=AccountKind.OWNER_EARNINGS)


def commission(user: User) -> Account:
    return available(user=user, kind=AccountKind.PROMOTER_COMMISSION)


def payable(supplier: Supplier) -> Account:
    return available(supplier=supplier, kind=AccountKind.SUPPLIER_PAYABLE)


def held() -> Account:
    return ledger.account_for(kind=AccountKind.WITHDRAWALS)


def fee_income() -> Account:
    return ledger.account_for(kind=AccountKind.PLATFORM_FEE)


def seed(account: Account, amount: int) -> None:
    """Money owed to ``account`` straight from the gateway (for tests not about earning it)."""
    ledger.post(
        kind=TransactionKind.ADJUSTMENT,
        key=f"test:seed:{next(_keys)}",
        lines=[(gateway(), amount), (account, -amount)],
    )


def owe(account_holder: User | Supplier, amount: int, source: Account) -> None:
    """A late refund took back ``amount`` she had already withdrawn: she owes it (a receivable),
    booked as the ledger does (the gateway pays the buyer back now)."""
    if isinstance(account_holder, Supplier):
        debt = ledger.account_for(kind=AccountKind.RECEIVABLE, supplier=account_holder)
    else:
        debt = ledger.account_for(kind=AccountKind.RECEIVABLE, user=account_holder)
    ledger.post(
        kind=TransactionKind.CLAWBACK,
        key=f"test:owe:{next(_keys)}",
        lines=[(debt, amount), (gateway(), -amount)],
    )


def balance(account: Account) -> int:
    return balance_of(account)


def now_plus(minutes: int) -> object:
    return timezone.now() + timedelta(minutes=minutes)

"""Builders for ledger tests: the usual accounts, and money put into them through the book."""

from __future__ import annotations

import itertools

from vshop.accounts.models import User
from vshop.ledger import services as ledger
from vshop.ledger.models import Account, AccountKind, Bucket, Transaction, TransactionKind

_keys = itertools.count(1)


def gateway(name: str = "sandbox") -> Account:
    return ledger.account_for(kind=AccountKind.GATEWAY_CLEARING, gateway=name)


def earnings(user: User, bucket: str = Bucket.AVAILABLE) -> Account:
    return ledger.account_for(kind=AccountKind.OWNER_EARNINGS, user=user, bucket=bucket)


def fund(account: Account, amount: int) -> Transaction:
    """A buyer's payment arriving at the gateway and owed to ``account`` (credit-normal)."""
    return ledger.post(
        kind=TransactionKind.PAYMENT,
        key=f"test:fund:{next(_keys)}",
        lines=[(gateway(), amount), (account, -amount)],
    )

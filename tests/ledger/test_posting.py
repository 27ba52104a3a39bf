"""Posting: a transaction is balanced or not written at all, is written once per key, and never
overdraws the money of a person or a company."""

from __future__ import annotations

import pytest

from tests.factories import make_supplier, make_user
from tests.ledger.books import earnings, fund, gateway
from vshop.errors import ValidationFailed
from vshop.ledger import services as ledger
from vshop.ledger.errors import InsufficientBalance, KeyReused
from vshop.ledger.models import Account, AccountKind, Bucket, Entry, Transaction
from vshop.ledger.selectors import balance_of, balance_recomputed

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, list[int]]:
    return (
        Transaction.objects.count(),
        Entry.objects.count(),
        list(Account.objects.order_by("pk").values_list("balance", flat=True)),
    )


def test_a_payment_split_three_ways_balances_and_moves_every_cached_balance():
    owner, supplier = make_user(), make_supplier()
    gw = gateway()
    payable = ledger.account_for(
        kind=AccountKind.SUPPLIER_PAYABLE, supplier=supplier, bucket=Bucket.PENDING
    )
    owner_pending = earnings(owner, Bucket.PENDING)
    fee = ledger.account_for(kind=AccountKind.PLATFORM_FEE)

    txn = ledger.post(
        kind="payment",
        key="order:1:payment",
        lines=[(gw, 1990), (payable, -1000), (owner_pending, -890), (fee, -100)],
        memo="Order 1",
        reference="order:1",
    )

    assert (txn.kind, txn.key, txn.currency, txn.reference) == (
        "payment",
        "order:1:payment",
        "CNY",
        "order:1",
    )
    assert sorted(txn.entries.values_list("amount", flat=True)) == [-1000, -890, -100, 1990]
    for account, expected in [(gw, 1990), (payable, 1000), (owner_pending, 890), (fee, 100)]:
        assert balance_of(account) == balance_recomputed(account) == expected
        assert account.balance == expected  # the caller's objects are refreshed


@pytest.mark.parametrize(
    "case",
    [
        "no lines",
        "zero amount",
        "float amount",
        "bool amount",
        "string amount",
        "huge amount",
        "not balanced",
        "one line",
        "account twice",
        "mixed currencies",
        "unsaved account",
        "unknown kind",
        "empty key",
        "memo too long",
    ],
)
def test_bad_lines_are_refused_with_400_and_nothing_is_written(case):
    user = make_user()
    gw, available = gateway(), earnings(user)
    fund(available, 500)
    usd = ledger.account_for(kind=AccountKind.BUYER_REFUNDS, user=user, currency="USD")
    kwargs: dict = {"kind": "adjustment", "key": "bad:1", "lines": [(gw, 10), (available, -10)]}
    if case == "no lines":
        kwargs["lines"] = []
    elif case == "zero amount":
        kwargs["lines"] = [(gw, 10), (available, -10), (earnings(user, "frozen"), 0)]
    elif case == "float amount":
        kwargs["lines"] = [(gw, 10.0), (available, -10.0)]
    elif case == "bool amount":
        kwargs["lines"] = [(gw, True), (available, -1)]
    elif case == "string amount":
        kwargs["lines"] = [(gw, "10"), (available, -10)]
    elif case == "huge amount":
        kwargs["lines"] = [(gw, 10**19), (available, -(10**19))]
    elif case == "not balanced":
        kwargs["lines"] = [(gw, 10), (available, -9)]
    elif case == "one line":
        kwargs["lines"] = [(gw, 10)]
    elif case == "account twice":
        kwargs["lines"] = [(gw, 10), (available, -5), (available, -5)]
    elif case == "mixed currencies":
        kwargs["lines"] = [(gw, 10), (usd, -10)]
    elif case == "unsaved account":
        kwargs["lines"] = [(gw, 10), (Account(code="x", normal_side="credit"), -10)]
    elif case == "unknown kind":
        kwargs["kind"] = "gift"
    elif case == "empty key":
        kwargs["key"] = ""
    elif case == "memo too long":
        kwargs["memo"] = "x" * 201
    before = _counts()

    with pytest.raises(ValidationFailed) as refused:
        ledger.post(**kwargs)

    assert refused.value.status == 400
    assert _counts() == before


def test_the_same_key_with_the_same_lines_is_written_once():
    available = earnings(make_user())
    first = fund(available, 500)
    lines = [(gateway(), 300), (available, -300)]

    once = ledger.post(kind="payment", key="order:7:payment", lines=lines)
    before = _counts()
    again = ledger.post(kind="payment", key="order:7:payment", lines=list(reversed(lines)))

    assert again.pk == once.pk != first.pk
    assert _counts() == before
    assert balance_of(available) == balance_recomputed(available) == 800


@pytest.mark.parametrize("change", ["amount", "account", "kind"])
def test_the_same_key_with_other_lines_is_a_conflict(change):
    user = make_user()
    available, frozen = earnings(user), earnings(user, Bucket.FROZEN)
    ledger.post(kind="payment", key="order:8:payment", lines=[(gateway(), 300), (available, -300)])
    before = _counts()
    kind, lines = "payment", [(gateway(), 300), (available, -300)]
    if change == "amount":
        lines = [(gateway(), 301), (available, -301)]
    elif change == "account":
        lines = [(gateway(), 300), (frozen, -300)]
    else:
        kind = "adjustment"

    with pytest.raises(KeyReused) as refused:
        ledger.post(kind=kind, key="order:8:payment", lines=lines)

    assert (refused.value.status, refused.value.code) == (409, "ledger_key_reused")
    assert _counts() == before


def test_a_transfer_between_credit_normal_accounts_moves_money_from_source_to_target():
    user = make_user()
    frozen, available = earnings(user, Bucket.FROZEN), earnings(user)
    fund(frozen, 500)

    txn = ledger.transfer(
        kind="settlement", key="unfreeze:1", source=frozen, target=available, amount=200
    )

    assert dict(txn.entries.values_list("account_id", "amount")) == {
        frozen.pk: 200,  # a debit lowers what is owed
        available.pk: -200,  # a credit raises it
    }
    assert (balance_of(frozen), balance_of(available)) == (300, 200)
    assert (balance_recomputed(frozen), balance_recomputed(available)) == (300, 200)


def test_a_transfer_between_debit_normal_accounts_moves_money_from_source_to_target():
    gw = gateway()
    in_transit = ledger.account_for(kind=AccountKind.PAYOUTS_IN_TRANSIT)
    fund(earnings(make_user()), 1000)

    txn = ledger.transfer(
        kind="payout", key="payout:1:sent", source=gw, target=in_transit, amount=400
    )

    assert dict(txn.entries.values_list("account_id", "amount")) == {
        gw.pk: -400,  # a credit lowers an asset
        in_transit.pk: 400,  # a debit raises it
    }
    assert (balance_of(gw), balance_of(in_transit)) == (600, 400)
    assert (balance_recomputed(gw), balance_recomputed(in_transit)) == (600, 400)


@pytest.mark.parametrize("amount", [0, -5, 1.5])
def test_a_transfer_of_nothing_or_less_is_refused(amount):
    user = make_user()
    frozen, available = earnings(user, Bucket.FROZEN), earnings(user)
    fund(frozen, 500)
    before = _counts()

    with pytest.raises(ValidationFailed):
        ledger.transfer(
            kind="settlement", key="t:1", source=frozen, target=available, amount=amount
        )

    assert _counts() == before


def test_a_transfer_between_an_asset_and_a_liability_is_refused():
    available = earnings(make_user())
    fund(available, 500)
    before = _counts()

    with pytest.raises(ValidationFailed):
        ledger.transfer(kind="payout", key="t:2", source=available, target=gateway(), amount=10)

    assert _counts() == before


def test_an_overdraft_is_refused_and_the_whole_post_rolls_back():
    user = make_user()
    gw, available, frozen = gateway(), earnings(user), earnings(user, Bucket.FROZEN)
    fund(available, 100)
    fee = ledger.account_for(kind=AccountKind.PLATFORM_FEE)
    before = _counts()

    # The gateway and the fee may go negative; the owner's 100 cannot pay 101.
    with pytest.raises(InsufficientBalance) as refused:
        ledger.post(
            kind="payout",
            key="payout:2",
            lines=[(fee, 50), (available, 101), (gw, -151)],
        )

    assert (refused.value.status, refused.value.code) == (409, "insufficient_balance")
    assert _counts() == before
    with pytest.raises(InsufficientBalance):
        ledger.transfer(kind="settlement", key="t:3", source=frozen, target=available, amount=1)
    assert _counts() == before
    # The key was not used up by the refused post.
    ledger.post(kind="payout", key="payout:2", lines=[(available, 100), (gw, -100)])
    assert balance_of(available) == balance_recomputed(available) == 0


def test_accounts_that_may_go_negative_do():
    gw, in_transit = gateway(), ledger.account_for(kind=AccountKind.PAYOUTS_IN_TRANSIT)

    ledger.transfer(kind="adjustment", key="t:4", source=gw, target=in_transit, amount=70)

    assert (balance_of(gw), balance_recomputed(gw)) == (-70, -70)

"""Under concurrent requests on PostgreSQL: a withdrawal never exceeds the available balance,
posts touching the same accounts in opposite orders never deadlock, and a key raced by many
requests is written once."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.factories import make_user
from tests.ledger.books import earnings, fund, gateway
from tests.races import race
from vshop.ledger import services as ledger
from vshop.ledger.checks import ledger_check
from vshop.ledger.models import Bucket, Entry, Transaction
from vshop.ledger.selectors import balance_of, balance_recomputed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["transfer", "payout"])
def test_twenty_withdrawals_of_30_from_500_leave_exactly_20(how):
    user = make_user()
    available, frozen, gw = earnings(user), earnings(user, Bucket.FROZEN), gateway()
    fund(available, 500)

    def withdraw(i: int) -> None:
        if how == "transfer":
            ledger.transfer(
                kind="adjustment", key=f"hold:{i}", source=available, target=frozen, amount=30
            )
        else:
            ledger.post(kind="payout", key=f"payout:{i}", lines=[(available, 30), (gw, -30)])

    results = race(20, withdraw)

    assert connection.vendor == "postgresql"
    assert results.count("ok") == 16, results
    assert results.count("insufficient_balance") == 4, results
    assert balance_of(available) == balance_recomputed(available) == 20
    assert Transaction.objects.count() == 1 + 16
    assert ledger_check() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_transfers_in_opposite_directions_never_deadlock():
    a, b = earnings(make_user()), earnings(make_user())
    fund(a, 1000)
    fund(b, 1000)

    def move(i: int) -> None:
        source, target = (a, b) if i % 2 else (b, a)
        ledger.transfer(kind="adjustment", key=f"move:{i}", source=source, target=target, amount=10)

    results = race(20, move)

    assert results == ["ok"] * 20
    assert (balance_of(a), balance_of(b)) == (1000, 1000)
    assert ledger_check() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_key_raced_by_ten_requests_is_written_once():
    available = earnings(make_user())
    gw = gateway()

    results = race(
        10,
        lambda i: ledger.post(
            kind="payment", key="order:1:payment", lines=[(gw, 990), (available, -990)]
        ),
    )

    assert results == ["ok"] * 10
    assert Transaction.objects.count() == 1
    assert Entry.objects.count() == 2
    assert balance_of(available) == balance_recomputed(available) == 990
    assert ledger_check() == []

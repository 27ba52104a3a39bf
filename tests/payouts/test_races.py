"""Withdrawals under real concurrency on PostgreSQL: many requests against one balance never pay
out more than it holds, and racing decisions on one withdrawal leave exactly one outcome."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.factories import make_operator, make_user
from tests.payouts.money import balance, earnings, held, owe, seed
from tests.races import race
from vshop.ledger.checks import ledger_check
from vshop.ledger.models import Account, Transaction
from vshop.payouts import services
from vshop.payouts.models import Withdrawal, WithdrawalEvent


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_withdrawals_never_take_more_than_the_balance():
    owner = make_user()
    seed(earnings(owner), 5000)

    results = race(
        20,
        lambda i: services.withdrawal_request(
            user=owner, role="owner", amount=1000, payee=f"wx-{i}", payee_name="Li Li"
        ),
    )

    assert connection.vendor == "postgresql"
    assert results.count("ok") == 5, results
    assert results.count("insufficient_balance") == 15, results
    assert balance(earnings(owner)) == 0
    assert balance(held()) == 5000
    assert Withdrawal.objects.count() == 5
    assert Transaction.objects.filter(kind="payout").count() == 5
    assert ledger_check() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_withdrawals_repay_a_debt_once():
    owner = make_user()
    seed(earnings(owner), 6000)
    owe(owner, 1000, earnings(owner))

    results = race(
        20,
        lambda i: services.withdrawal_request(
            user=owner, role="owner", amount=1000, payee="wx", payee_name="Li Li"
        ),
    )

    assert results.count("ok") == 5, results
    assert sum(Withdrawal.objects.values_list("repaid", flat=True)) == 1000
    assert Account.objects.get(code=f"user:{owner.pk}:owes").balance == 0
    assert balance(earnings(owner)) == 0
    assert ledger_check() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_a_cancel_racing_an_approval_and_a_rejection_has_one_outcome(attempt, settings):
    owner = make_user()
    seed(earnings(owner), 5000)
    operator = make_operator()
    withdrawal = services.withdrawal_request(
        user=owner, role="owner", amount=3000, payee="wx", payee_name="Li Li"
    )

    def act(i: int) -> None:
        if i == 0:
            services.withdrawal_cancel(user=owner, number=withdrawal.number)
        elif i == 1:
            services.withdrawal_approve(operator=operator, number=withdrawal.number)
        else:
            services.withdrawal_reject(operator=operator, number=withdrawal.number, reason="no")

    results = race(3, act)

    assert sorted(results) == ["illegal_transition", "illegal_transition", "ok"], results
    withdrawal.refresh_from_db()
    # one decision after the request (and the worker's payout when the approval won)
    decisions = WithdrawalEvent.objects.filter(withdrawal=withdrawal, from_status="requested")
    assert decisions.count() == 1
    # approved (then paid by the worker, run inline) or returned, never both
    reversed_ = Transaction.objects.filter(kind="payout_reversal").count()
    if withdrawal.status in ("approved", "paid"):
        assert reversed_ == 0
        assert balance(earnings(owner)) == 2000
    else:
        assert withdrawal.status in ("cancelled", "rejected")
        assert reversed_ == 1
        assert balance(earnings(owner)) == 5000
    assert ledger_check() == []

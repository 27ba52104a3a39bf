"""Withdrawals through the services: asked for, approved and paid out through the sandbox,
refused by the payee's provider, rejected, cancelled; the money in the book at every step."""

from __future__ import annotations

import pytest
from huey.contrib.djhuey import HUEY

from tests.buying import committed
from tests.factories import make_operator, make_shop, make_supplier, make_user
from tests.payouts.money import (
    balance,
    commission,
    earnings,
    fee_income,
    gateway,
    held,
    now_plus,
    owe,
    payable,
    seed,
    sell_and_complete,
)
from vshop.errors import NotFound, PermissionDenied, ValidationFailed
from vshop.ledger.checks import ledger_check
from vshop.ledger.errors import InsufficientBalance
from vshop.ledger.models import Account, AccountKind, Entry, Transaction
from vshop.messaging.models import InboxMessage
from vshop.payments.gateways.base import GatewayUnavailable, PayoutOrder, PayoutsNotSupported
from vshop.payments.gateways.sandbox import SandboxGateway
from vshop.payments.models import SandboxPayout
from vshop.payouts import services, tasks
from vshop.payouts.models import Withdrawal, WithdrawalEvent
from vshop.payouts.services import NoBalanceToWithdraw
from vshop.payouts.states import IllegalTransition, Role, check_transition

pytestmark = pytest.mark.django_db


def request(user, amount, *, role="owner", payee="wx-lily", payee_name="Li Li"):
    return services.withdrawal_request(
        user=user, role=role, amount=amount, payee=payee, payee_name=payee_name
    )


def approve(withdrawal, operator=None):
    """The operator approves; the worker sends it once the approval commits."""
    with committed():
        services.withdrawal_approve(operator=operator or make_operator(), number=withdrawal.number)
    withdrawal.refresh_from_db()
    return withdrawal


def history(withdrawal):
    return list(
        WithdrawalEvent.objects.filter(withdrawal=withdrawal).values_list(
            "from_status", "to_status", "role"
        )
    )


def book_size():
    return Transaction.objects.count(), Entry.objects.count()


# --- paid out ------------------------------------------------------------------------------


@pytest.mark.parametrize("fee", [0, 200])
def test_owner_withdraws_money_from_a_completed_sale_and_is_paid_once_approved(
    settings, shop, supplier, fee
):
    # given a shop owner whose sale completed, and a platform fee per withdrawal
    settings.VSHOP_WITHDRAWAL_FEE = fee
    sell_and_complete(shop, supplier)
    owner = shop.owner
    before = balance(earnings(owner))
    assert before >= 3000
    gateway_before = balance(gateway())
    fee_before = balance(fee_income())

    # when she asks for ¥30, the money leaves her available balance at once and is held
    withdrawal = request(owner, 3000)
    assert withdrawal.status == "requested"
    assert (withdrawal.amount, withdrawal.fee, withdrawal.repaid) == (3000, fee, 0)
    assert balance(earnings(owner)) == before - 3000
    assert balance(held()) == 3000

    # and when an operator approves, the worker pays it out through the sandbox
    approve(withdrawal)
    assert withdrawal.status == "paid"
    payout = SandboxPayout.objects.get(payout_number=withdrawal.number)
    assert (payout.amount, payout.payee, payout.payee_name) == (3000 - fee, "wx-lily", "Li Li")
    assert withdrawal.provider_ref == payout.transaction_id
    # the gateway paid out what was sent, the platform kept the fee, nothing is held any more
    assert balance(gateway()) == gateway_before - (3000 - fee)
    assert balance(fee_income()) == fee_before + fee
    assert balance(held()) == 0
    assert balance(earnings(owner)) == before - 3000
    paid = Transaction.objects.get(key=f"withdrawal:{withdrawal.number}:paid")
    assert paid.kind == "payout"
    assert paid.reference == f"withdrawal:{withdrawal.number}"
    assert paid.entries.count() == (3 if fee else 2)
    # every step is in its history, and she is told in her inbox
    assert history(withdrawal) == [
        ("", "requested", "requester"),
        ("requested", "approved", "operator"),
        ("approved", "paid", "system"),
    ]
    [message] = InboxMessage.objects.filter(recipient=owner, kind="withdrawal.paid")
    assert withdrawal.number in message.title
    assert message.link == "/money/"
    assert ledger_check() == []


def test_supplier_withdraws_its_payable(shop, supplier):
    sell_and_complete(shop, supplier)
    before = balance(payable(supplier))
    withdrawal = request(supplier.owner, 2500, role="supplier", payee="alipay-acme")
    assert withdrawal.supplier == supplier
    assert balance(payable(supplier)) == before - 2500
    approve(withdrawal)
    assert withdrawal.status == "paid"
    assert balance(payable(supplier)) == before - 2500
    assert InboxMessage.objects.get(recipient=supplier.owner, kind="withdrawal.paid").link == (
        "/money/supplier/"
    )


def test_promoter_withdraws_her_commission(db):
    promoter = make_user()
    seed(commission(promoter), 1500)
    withdrawal = request(promoter, 1200, role="promoter")
    approve(withdrawal)
    assert withdrawal.status == "paid"
    assert balance(commission(promoter)) == 300


# --- refused at once, nothing written ---------------------------------------------------------


def test_less_than_the_minimum_is_refused_and_writes_nothing(settings, db):
    settings.VSHOP_WITHDRAWAL_MINIMUM = 1000
    owner = make_user()
    seed(earnings(owner), 5000)
    size = book_size()
    with pytest.raises(ValidationFailed) as caught:
        request(owner, 999)
    assert caught.value.field == "amount"
    assert "¥10" in caught.value.message
    assert not Withdrawal.objects.exists()
    assert book_size() == size
    request(owner, 1000)  # the minimum itself is fine


def test_an_amount_that_the_fee_would_swallow_is_refused(settings, db):
    settings.VSHOP_WITHDRAWAL_MINIMUM = 100
    settings.VSHOP_WITHDRAWAL_FEE = 500
    owner = make_user()
    seed(earnings(owner), 5000)
    with pytest.raises(ValidationFailed) as caught:
        request(owner, 500)
    assert "fee" in caught.value.message
    assert not Withdrawal.objects.exists()


@pytest.mark.parametrize("amount", [0, -5, 10.5, True, "1000", 10**13])
def test_an_amount_that_is_not_whole_positive_fen_is_refused(db, amount):
    owner = make_user()
    seed(earnings(owner), 5000)
    with pytest.raises(ValidationFailed):
        request(owner, amount)
    assert not Withdrawal.objects.exists()


def test_more_than_the_available_balance_is_409_and_writes_nothing(shop, supplier):
    sell_and_complete(shop, supplier)
    owner = shop.owner
    there = balance(earnings(owner))
    size = book_size()
    with pytest.raises(InsufficientBalance) as caught:
        request(owner, there + 1)
    assert caught.value.status == 409
    assert caught.value.code == "insufficient_balance"
    assert "more than your available balance" in caught.value.message
    assert not Withdrawal.objects.exists()
    assert not WithdrawalEvent.objects.exists()
    assert book_size() == size
    assert balance(earnings(owner)) == there
    # all of it is fine
    request(owner, there)
    assert balance(earnings(owner)) == 0


def test_pending_and_frozen_money_cannot_be_withdrawn(shop, supplier):
    from tests.buying import pay, place, ship
    from tests.factories import make_listing, make_product, sku_input

    listing = make_listing(shop, make_product(supplier, skus=[sku_input("X", stock=5)]))
    checkout = pay(place(make_user(), listing, quantity=5))
    ship(checkout.orders.get())
    # paid, not completed: her earnings are pending, none available (no account yet)
    with pytest.raises(NoBalanceToWithdraw):
        request(shop.owner, 1000)
    assert not Withdrawal.objects.exists()


@pytest.mark.parametrize(
    "payee,payee_name,field",
    [
        ("", "Li Li", "payee"),
        ("   ", "Li Li", "payee"),
        ("wx", "", "payee_name"),
        ("x" * 65, "Li Li", "payee"),
        ("wx", "n" * 41, "payee_name"),
    ],
)
def test_payee_details_are_required_and_bounded(db, payee, payee_name, field):
    owner = make_user()
    seed(earnings(owner), 5000)
    with pytest.raises(ValidationFailed) as caught:
        request(owner, 1000, payee=payee, payee_name=payee_name)
    assert caught.value.field == field
    assert not Withdrawal.objects.exists()


def test_nobody_withdraws_from_a_role_she_has_no_balance_of(db):
    fan = make_user()
    for role in ("owner", "promoter", "supplier"):
        with pytest.raises(NoBalanceToWithdraw) as caught:
            request(fan, 1000, role=role)
        assert caught.value.status == 404
    with pytest.raises(ValidationFailed):
        request(fan, 1000, role="platform")
    assert not Withdrawal.objects.exists()
    assert not Account.objects.filter(user=fan).exists()  # looking opened no account


def test_an_owner_cannot_withdraw_a_suppliers_money_or_the_other_way_round(shop, supplier):
    sell_and_complete(shop, supplier)
    # the shop owner owns no supplier; the supplier's owner has no shop earnings
    with pytest.raises(NoBalanceToWithdraw):
        request(shop.owner, 1000, role="supplier")
    with pytest.raises(NoBalanceToWithdraw):
        request(supplier.owner, 1000, role="owner")


# --- a debt is repaid first ------------------------------------------------------------------


def test_a_debt_from_a_late_refund_is_repaid_first_and_shrinks_what_can_be_withdrawn(db):
    owner = make_user()
    seed(earnings(owner), 5000)
    owe(owner, 1200, earnings(owner))
    debt = Account.objects.get(code=f"user:{owner.pk}:owes")
    assert debt.balance == 1200
    size = book_size()

    # more than what is left after the debt: refused, the debt untouched
    with pytest.raises(InsufficientBalance) as caught:
        request(owner, 4000)
    assert "owe" in caught.value.message and "¥38" in caught.value.message
    assert balance(debt) == 1200
    assert book_size() == size

    withdrawal = request(owner, 3000)
    assert withdrawal.repaid == 1200
    assert balance(debt) == 0
    assert balance(earnings(owner)) == 5000 - 1200 - 3000
    repay = Transaction.objects.get(key=f"withdrawal:{withdrawal.number}:repay")
    assert repay.kind == "clawback"
    # a cancelled withdrawal gives back what was held, not the debt it repaid
    services.withdrawal_cancel(user=owner, number=withdrawal.number)
    assert balance(earnings(owner)) == 5000 - 1200
    assert balance(debt) == 0


def test_a_suppliers_debt_is_repaid_from_its_payable(db):
    supplier = make_supplier()
    seed(payable(supplier), 4000)
    owe(supplier, 500, payable(supplier))
    withdrawal = request(supplier.owner, 2000, role="supplier")
    assert withdrawal.repaid == 500
    assert balance(payable(supplier)) == 1500
    assert Account.objects.get(code=f"supplier:{supplier.pk}:owes").balance == 0


# --- the money comes back ----------------------------------------------------------------------


def test_a_payee_the_provider_refuses_fails_and_the_money_comes_back(db):
    owner = make_user()
    seed(earnings(owner), 5000)
    gateway_before = balance(gateway())
    withdrawal = request(owner, 3000, payee="fail-closed-account")
    approve(withdrawal)
    assert withdrawal.status == "failed"
    assert withdrawal.reason
    assert SandboxPayout.objects.get().status == "failed"
    assert balance(earnings(owner)) == 5000
    assert balance(held()) == 0
    assert balance(gateway()) == gateway_before  # nothing left the gateway
    assert not Transaction.objects.filter(key=f"withdrawal:{withdrawal.number}:paid").exists()
    reversal = Transaction.objects.get(key=f"withdrawal:{withdrawal.number}:reversed")
    assert reversal.kind == "payout_reversal"
    assert history(withdrawal)[-1] == ("approved", "failed", "system")
    [message] = InboxMessage.objects.filter(recipient=owner, kind="withdrawal.failed")
    assert "¥30" in message.body


def test_an_operator_rejects_with_a_reason_and_the_money_comes_back(db):
    owner = make_user()
    seed(earnings(owner), 5000)
    withdrawal = request(owner, 3000)
    operator = make_operator()
    # a reason is required
    with pytest.raises(ValidationFailed):
        services.withdrawal_reject(operator=operator, number=withdrawal.number, reason="  ")
    withdrawal.refresh_from_db()
    assert withdrawal.status == "requested"
    assert balance(earnings(owner)) == 2000

    services.withdrawal_reject(
        operator=operator, number=withdrawal.number, reason="Name does not match the account"
    )
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.reason) == ("rejected", "Name does not match the account")
    assert balance(earnings(owner)) == 5000
    assert balance(held()) == 0
    event = WithdrawalEvent.objects.get(withdrawal=withdrawal, to_status="rejected")
    assert (event.actor, event.role, event.reason) == (
        operator,
        "operator",
        "Name does not match the account",
    )
    [message] = InboxMessage.objects.filter(recipient=owner, kind="withdrawal.rejected")
    assert "Name does not match" in message.body
    assert not SandboxPayout.objects.exists()


def test_the_requester_cancels_while_it_waits_for_review(db):
    owner = make_user()
    seed(earnings(owner), 5000)
    withdrawal = request(owner, 3000)
    services.withdrawal_cancel(user=owner, number=withdrawal.number)
    withdrawal.refresh_from_db()
    assert withdrawal.status == "cancelled"
    assert balance(earnings(owner)) == 5000
    assert balance(held()) == 0
    # twice is refused, and gives back nothing more
    with pytest.raises(IllegalTransition):
        services.withdrawal_cancel(user=owner, number=withdrawal.number)
    assert balance(earnings(owner)) == 5000
    assert Transaction.objects.filter(kind="payout_reversal").count() == 1


def test_nobody_cancels_another_persons_withdrawal(db):
    owner = make_user()
    seed(earnings(owner), 5000)
    withdrawal = request(owner, 3000)
    with pytest.raises(NotFound):
        services.withdrawal_cancel(user=make_user(), number=withdrawal.number)
    withdrawal.refresh_from_db()
    assert withdrawal.status == "requested"
    assert balance(earnings(owner)) == 2000


# --- the state machine ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "current,target,role,error",
    [
        ("requested", "paid", Role.SYSTEM, IllegalTransition),
        ("approved", "cancelled", Role.REQUESTER, IllegalTransition),
        ("approved", "rejected", Role.OPERATOR, IllegalTransition),
        ("paid", "failed", Role.SYSTEM, IllegalTransition),
        ("cancelled", "approved", Role.OPERATOR, IllegalTransition),
        ("requested", "approved", Role.REQUESTER, PermissionDenied),
        ("requested", "cancelled", Role.OPERATOR, PermissionDenied),
        ("approved", "paid", Role.OPERATOR, PermissionDenied),
    ],
)
def test_the_table_refuses_what_it_does_not_list(current, target, role, error):
    with pytest.raises(error):
        check_transition(current, target, role)


def test_decisions_out_of_turn_are_409_and_change_nothing(db):
    owner = make_user()
    seed(earnings(owner), 5000)
    operator = make_operator()
    withdrawal = request(owner, 3000)
    approve(withdrawal, operator)
    assert withdrawal.status == "paid"
    size = book_size()
    for attempt in (
        lambda: services.withdrawal_approve(operator=operator, number=withdrawal.number),
        lambda: services.withdrawal_reject(operator=operator, number=withdrawal.number, reason="x"),
        lambda: services.withdrawal_cancel(user=owner, number=withdrawal.number),
    ):
        with pytest.raises(IllegalTransition) as caught:
            attempt()
        assert caught.value.status == 409
    assert book_size() == size
    withdrawal.refresh_from_db()
    assert withdrawal.status == "paid"


def test_only_operators_approve_or_reject(db):
    owner = make_user()
    seed(earnings(owner), 5000)
    withdrawal = request(owner, 3000)
    with pytest.raises(PermissionDenied):
        services.withdrawal_approve(operator=owner, number=withdrawal.number)
    with pytest.raises(PermissionDenied):
        services.withdrawal_reject(operator=owner, number=withdrawal.number, reason="mine")
    withdrawal.refresh_from_db()
    assert withdrawal.status == "requested"


def test_an_unknown_withdrawal_is_not_found(db):
    with pytest.raises(NotFound):
        services.withdrawal_approve(operator=make_operator(), number="W-nope")


# --- the worker: idempotent, retried ---------------------------------------------------------


def test_sending_twice_pays_once(db):
    owner = make_user()
    seed(earnings(owner), 5000)
    withdrawal = request(owner, 3000)
    # approved, but the worker's job has not run (no commit yet)
    services.withdrawal_approve(operator=make_operator(), number=withdrawal.number)
    gateway_before = balance(gateway())
    assert services.withdrawal_send(number=withdrawal.number) == "paid"
    assert services.withdrawal_send(number=withdrawal.number) == "paid"
    tasks.withdrawal_send(withdrawal.number)  # the job itself, run again
    assert SandboxPayout.objects.count() == 1
    assert (
        Transaction.objects.filter(key__startswith=f"withdrawal:{withdrawal.number}:").count() == 2
    )
    assert balance(gateway()) == gateway_before - 3000
    assert InboxMessage.objects.filter(kind="withdrawal.paid").count() == 1


def test_a_payout_the_provider_made_before_vshop_heard_of_it_is_recorded_once(db):
    owner = make_user()
    seed(earnings(owner), 5000)
    withdrawal = request(owner, 3000)
    services.withdrawal_approve(operator=make_operator(), number=withdrawal.number)
    withdrawal.refresh_from_db()
    # the provider paid, then the worker died before recording it
    first = SandboxGateway().send_payout(
        PayoutOrder(
            payout_number=withdrawal.number,
            amount=3000,
            currency="CNY",
            payee="wx-lily",
            payee_name="Li Li",
        )
    )
    assert services.withdrawal_send(number=withdrawal.number) == "paid"
    withdrawal.refresh_from_db()
    assert withdrawal.provider_ref == first.provider_ref
    assert SandboxPayout.objects.count() == 1


def test_an_unreachable_gateway_leaves_it_approved_until_a_retry_or_the_sweep_pays_it(
    db, monkeypatch
):
    owner = make_user()
    seed(earnings(owner), 5000)
    withdrawal = request(owner, 3000)

    def down(self, order):
        raise GatewayUnavailable("connection refused")

    monkeypatch.setattr(SandboxGateway, "send_payout", down)
    approve(withdrawal)
    assert withdrawal.status == "approved"
    assert withdrawal.attempts == 1
    assert withdrawal.last_error == "connection refused"
    assert len(HUEY.scheduled()) == 1  # the job's retry waits
    assert balance(held()) == 3000
    assert balance(earnings(owner)) == 2000

    monkeypatch.undo()
    # the sweep leaves withdrawals approved less than 10 minutes ago to the job's retries
    assert services.withdrawals_resend_stuck(now=now_plus(5)) == 0
    withdrawal.refresh_from_db()
    assert withdrawal.status == "approved"
    assert services.withdrawals_resend_stuck(now=now_plus(11)) == 1
    withdrawal.refresh_from_db()
    assert withdrawal.status == "paid"
    assert withdrawal.last_error == ""
    assert balance(held()) == 0


def test_the_sweep_keeps_going_when_the_gateway_is_still_down(db, monkeypatch):
    owner = make_user()
    seed(earnings(owner), 5000)
    withdrawal = request(owner, 3000)
    services.withdrawal_approve(operator=make_operator(), number=withdrawal.number)

    def down(self, order):
        raise GatewayUnavailable()

    monkeypatch.setattr(SandboxGateway, "send_payout", down)
    assert services.withdrawals_resend_stuck(now=now_plus(11)) == 0
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.attempts) == ("approved", 1)


def test_approval_is_refused_when_the_payout_gateway_cannot_pay_out(db, monkeypatch, settings):
    owner = make_user()
    seed(earnings(owner), 5000)
    withdrawal = request(owner, 3000)
    monkeypatch.setattr(SandboxGateway, "supports_payouts", False)
    with pytest.raises(PayoutsNotSupported) as caught:
        services.withdrawal_approve(operator=make_operator(), number=withdrawal.number)
    assert caught.value.status == 400
    settings.VSHOP_PAYOUT_GATEWAY = "nowhere"
    with pytest.raises(ValidationFailed):
        services.withdrawal_approve(operator=make_operator(), number=withdrawal.number)
    withdrawal.refresh_from_db()
    assert withdrawal.status == "requested"
    assert history(withdrawal) == [("", "requested", "requester")]


def test_two_shops_money_never_mixes(db):
    a, b = make_shop().owner, make_shop().owner
    seed(earnings(a), 5000)
    seed(earnings(b), 2000)
    request(a, 4000)
    with pytest.raises(InsufficientBalance):
        request(b, 4000)
    assert (balance(earnings(a)), balance(earnings(b))) == (1000, 2000)
    assert Account.objects.get(kind=AccountKind.WITHDRAWALS).balance == 4000


def test_a_debt_larger_than_the_balance_leaves_nothing_to_withdraw(db):
    owner = make_user()
    seed(earnings(owner), 2000)
    owe(owner, 2500, earnings(owner))
    with pytest.raises(InsufficientBalance) as caught:
        request(owner, 1000)
    assert "¥0 can be withdrawn" in caught.value.message
    assert "¥25 you owe" in caught.value.message
    assert balance(earnings(owner)) == 2000
    assert not Withdrawal.objects.exists()

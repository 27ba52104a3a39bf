"""Withdrawals: asking for available money, deciding, paying it out, giving it back.

The money moves in the ledger, one balanced transaction per step, keyed by the withdrawal
number (``withdrawal:<n>:held`` / ``:repay`` / ``:paid`` / ``:reversed``), so a step done twice
writes once:

- requested: the holder's debt (a receivable after a late refund) is repaid out of the source
  first, then the amount leaves her available balance and is held in ``withdrawals:held``;
- paid: held → out of the gateway's clearing account (what was sent) and into the platform's fee;
- failed, rejected or cancelled: held → back to her available balance.

Row locks: a request locks its source, debt and held accounts (in id order, the order ``post``
locks in) before reading the balances, so the check and the posts see the same numbers; two
requests against one balance queue, and the ledger's conditional update refuses an overdraft
whatever happens. A withdrawal row is locked (SELECT … FOR UPDATE) by every decision on it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vshop.accounts.models import User
from vshop.accounts.permissions import require_operator
from vshop.catalog.models import Supplier
from vshop.errors import DomainError, NotFound, ValidationFailed
from vshop.ledger.errors import InsufficientBalance
from vshop.ledger.models import Account, AccountKind, Bucket, TransactionKind
from vshop.ledger.services import MAX_AMOUNT, account_for, post, transfer
from vshop.money import format_money
from vshop.orders.numbers import new_number
from vshop.payments.gateways import gateway_for
from vshop.payments.gateways.base import (
    PayoutOrder,
    PayoutsNotSupported,
    PayoutState,
)
from vshop.payouts.models import (
    PAYEE_MAX,
    PAYEE_NAME_MAX,
    REASON_MAX,
    Withdrawal,
    WithdrawalEvent,
    WithdrawalRole,
)
from vshop.payouts.selectors import supplier_of
from vshop.payouts.states import IllegalTransition, Role, WithdrawalStatus, check_transition
from vshop.validation import clean_text

log = logging.getLogger(__name__)

#: An approved withdrawal the worker has not finished within this long is sent again by the sweep.
STUCK_AFTER = timedelta(minutes=10)

_SOURCE_KINDS: dict[str, str] = {
    WithdrawalRole.OWNER: AccountKind.OWNER_EARNINGS,
    WithdrawalRole.PROMOTER: AccountKind.PROMOTER_COMMISSION,
    WithdrawalRole.SUPPLIER: AccountKind.SUPPLIER_PAYABLE,
}


class NoBalanceToWithdraw(NotFound):
    code = "no_balance"
    default_message = gettext_lazy("You have no balance of that kind to withdraw from.")


# --- whose money ---------------------------------------------------------------------------


def _existing_account(
    *, kind: str, user: User | None, supplier: Supplier | None, bucket: str = ""
) -> Account | None:
    """The account if it was ever opened; looking must not open one."""
    rows = Account.objects.filter(kind=kind, bucket=bucket, currency="CNY")
    rows = rows.filter(supplier=supplier) if supplier is not None else rows.filter(user=user)
    return rows.first()


def _source_of(withdrawal: Withdrawal) -> Account:
    kind = _SOURCE_KINDS[withdrawal.role]
    if withdrawal.role == WithdrawalRole.SUPPLIER:
        return account_for(
            kind=kind,
            bucket=Bucket.AVAILABLE,
            supplier=Supplier(pk=withdrawal.supplier_id),
            currency=withdrawal.currency,
        )
    return account_for(
        kind=kind,
        bucket=Bucket.AVAILABLE,
        user=User(pk=withdrawal.requester_id),
        currency=withdrawal.currency,
    )


def _held(currency: str) -> Account:
    return account_for(kind=AccountKind.WITHDRAWALS, currency=currency)


def _no_balance(role: str) -> NoBalanceToWithdraw:
    messages = {
        WithdrawalRole.OWNER: _("You have no shop earnings to withdraw yet."),
        WithdrawalRole.PROMOTER: _("You have no promoter commission to withdraw yet."),
        WithdrawalRole.SUPPLIER: _("You have no supplier balance to withdraw yet."),
    }
    return NoBalanceToWithdraw(messages[WithdrawalRole(role)], field="role")


# --- the state machine's one writer --------------------------------------------------------


def withdrawal_transition(
    *,
    withdrawal: Withdrawal,
    to: str,
    role: str,
    actor: User | None = None,
    note: str = "",
    **fields: object,
) -> Withdrawal:
    """Move a withdrawal to ``to`` if the table allows it for ``role``, recording who and why.

    Conditional on the status the caller saw: of two racing decisions one wins, the other raises
    ``IllegalTransition`` and writes nothing. Call it inside the transaction that moves the money.
    """
    current = withdrawal.status
    check_transition(current, to, role)
    updated = Withdrawal.objects.filter(pk=withdrawal.pk, status=current).update(
        status=to, **fields
    )
    if not updated:
        withdrawal.refresh_from_db(fields=["status"])
        raise IllegalTransition(current=withdrawal.status, target=to)
    withdrawal.status = to
    for name, value in fields.items():
        setattr(withdrawal, name, value)
    WithdrawalEvent.objects.create(
        withdrawal=withdrawal,
        from_status=current,
        to_status=to,
        actor=actor,
        role=role,
        reason=str(note)[:300],
    )
    return withdrawal


# --- asking for money ----------------------------------------------------------------------


def _check_amount(amount: object) -> int:
    minimum = int(settings.VSHOP_WITHDRAWAL_MINIMUM)
    fee = int(settings.VSHOP_WITHDRAWAL_FEE)
    if type(amount) is not int or amount <= 0 or amount > MAX_AMOUNT:
        raise ValidationFailed(
            _("Enter the amount in fen, a whole positive number."), field="amount"
        )
    if amount < minimum:
        raise ValidationFailed(
            _("The smallest withdrawal is %(minimum)s.") % {"minimum": format_money(minimum)},
            field="amount",
        )
    if amount <= fee:
        raise ValidationFailed(
            _("A withdrawal must be more than its fee of %(fee)s.") % {"fee": format_money(fee)},
            field="amount",
        )
    return amount


def _too_much(*, available: int, debt: int) -> InsufficientBalance:
    if debt:
        message = _(
            "That is more than your available balance: %(left)s can be withdrawn, because "
            "%(debt)s you owe from an earlier refund is repaid out of it first."
        ) % {"left": format_money(max(available - debt, 0)), "debt": format_money(debt)}
    else:
        message = _("That is more than your available balance of %(available)s.") % {
            "available": format_money(available)
        }
    return InsufficientBalance(message, field="amount", available=available, debt=debt)


def withdrawal_request(
    *, user: User, role: str, amount: int, payee: str, payee_name: str
) -> Withdrawal:
    """Take ``amount`` fen out of the requester's available balance of ``role`` and hold it
    until an operator decides. Her debt, if any, is repaid out of the same balance first, and
    the withdrawal keeps how much (``repaid``).

    Raises ``ValidationFailed`` (400) for bad input, ``NoBalanceToWithdraw`` (404) for a role
    she has no balance of, ``InsufficientBalance`` (409) for more than is there; then nothing is
    written. Locks her source and debt accounts and the held account (id order)."""
    if role not in WithdrawalRole.values:
        raise ValidationFailed(
            _("Choose what to withdraw: owner, promoter or supplier."), field="role"
        )
    amount = _check_amount(amount)
    payee = clean_text(payee, field="payee", max_length=PAYEE_MAX, required=True)
    payee_name = clean_text(
        payee_name, field="payee_name", max_length=PAYEE_NAME_MAX, required=True
    )
    supplier = None
    if role == WithdrawalRole.SUPPLIER:
        supplier = supplier_of(user=user)
        if supplier is None:
            raise _no_balance(role)
    holder_user = None if supplier is not None else user
    source = _existing_account(
        kind=_SOURCE_KINDS[role],
        user=holder_user,
        supplier=supplier,
        bucket=Bucket.AVAILABLE,
    )
    if source is None:
        raise _no_balance(role)
    fee = int(settings.VSHOP_WITHDRAWAL_FEE)

    with transaction.atomic():
        held = _held(source.currency)
        debt_account = _existing_account(
            kind=AccountKind.RECEIVABLE, user=holder_user, supplier=supplier
        )
        lock_ids = [source.pk, held.pk] + ([debt_account.pk] if debt_account else [])
        balances = dict(
            Account.objects.select_for_update()
            .filter(pk__in=lock_ids)
            .order_by("pk")
            .values_list("pk", "balance")
        )
        available = balances[source.pk]
        debt = balances[debt_account.pk] if debt_account is not None else 0
        repay = min(max(debt, 0), available)
        if amount > available - repay:
            raise _too_much(available=available, debt=max(debt, 0))

        withdrawal = Withdrawal.objects.create(
            number=new_number("W"),
            requester=user,
            role=role,
            supplier=supplier,
            amount=amount,
            fee=fee,
            repaid=repay,
            currency=source.currency,
            payee=payee,
            payee_name=payee_name,
        )
        reference = f"withdrawal:{withdrawal.number}"
        try:
            if repay and debt_account is not None:
                post(
                    kind=TransactionKind.CLAWBACK,
                    key=f"{reference}:repay",
                    lines=[(source, repay), (debt_account, -repay)],
                    memo=f"debt repaid from withdrawal {withdrawal.number}",
                    reference=reference,
                )
            post(
                kind=TransactionKind.PAYOUT,
                key=f"{reference}:held",
                lines=[(source, amount), (held, -amount)],
                memo=f"withdrawal {withdrawal.number} requested",
                reference=reference,
            )
        except InsufficientBalance:
            # A safety net (the locks above make it unreachable): the same answer, nothing kept.
            raise _too_much(available=available, debt=max(debt, 0)) from None
        WithdrawalEvent.objects.create(
            withdrawal=withdrawal,
            from_status="",
            to_status=WithdrawalStatus.REQUESTED,
            actor=user,
            role=Role.REQUESTER,
            reason=f"debt repaid first: {repay}" if repay else "",
        )
    return withdrawal


def withdrawal_cancel(*, user: User, number: str) -> Withdrawal:
    """The requester takes back a withdrawal still waiting for review; the money returns to her
    available balance. Another person's withdrawal is NotFound."""
    with transaction.atomic():
        withdrawal = _locked(number, requester=user)
        withdrawal_transition(
            withdrawal=withdrawal,
            to=WithdrawalStatus.CANCELLED,
            role=Role.REQUESTER,
            actor=user,
            finished_at=timezone.now(),
        )
        _give_back(withdrawal)
    return withdrawal


# --- the operator's decision ---------------------------------------------------------------


def _locked(number: str, *, requester: User | None = None) -> Withdrawal:
    rows = Withdrawal.objects.select_for_update().filter(number=str(number)[:32])
    if requester is not None:
        rows = rows.filter(requester=requester)
    withdrawal = rows.first()
    if withdrawal is None:
        raise NotFound(_("No such withdrawal."), field="number")
    return withdrawal


def withdrawal_approve(*, operator: User, number: str) -> Withdrawal:
    """An operator approves: the withdrawal is sent to the payout gateway once this commits.
    Refused (400) when the configured payout gateway cannot pay out."""
    require_operator(operator)
    gateway = gateway_for(settings.VSHOP_PAYOUT_GATEWAY)
    if not gateway.supports_payouts:
        raise PayoutsNotSupported(gateway=gateway.name)
    with transaction.atomic():
        withdrawal = _locked(number)
        withdrawal_transition(
            withdrawal=withdrawal,
            to=WithdrawalStatus.APPROVED,
            role=Role.OPERATOR,
            actor=operator,
            approved_at=timezone.now(),
            gateway=gateway.name,
        )
        transaction.on_commit(lambda: _send_later(withdrawal.number))
    return withdrawal


def withdrawal_reject(*, operator: User, number: str, reason: str) -> Withdrawal:
    """An operator refuses, saying why; the money returns to the requester's balance."""
    require_operator(operator)
    reason = clean_text(reason, field="reason", max_length=REASON_MAX, required=True)
    with transaction.atomic():
        withdrawal = _locked(number)
        withdrawal_transition(
            withdrawal=withdrawal,
            to=WithdrawalStatus.REJECTED,
            role=Role.OPERATOR,
            actor=operator,
            note=reason,
            reason=reason,
            finished_at=timezone.now(),
        )
        _give_back(withdrawal)
        _tell(withdrawal)
    return withdrawal


# --- paying out (the worker) ---------------------------------------------------------------


def _send_later(number: str) -> None:
    from vshop.payouts import tasks

    tasks.withdrawal_send(number)


def withdrawal_send(*, number: str) -> str:
    """Send an approved withdrawal to its gateway and record the answer; returns the status.

    Safe to repeat and to run twice at once: the withdrawal number is the provider's idempotency
    key (asked again, it answers with the first outcome and sends nothing), and the answer is
    recorded by a conditional transition and keyed ledger posts. Raises ``GatewayUnavailable``
    (the withdrawal stays approved) for the worker to retry."""
    withdrawal = Withdrawal.objects.filter(number=number).first()
    if withdrawal is None:
        return "missing"
    if withdrawal.status != WithdrawalStatus.APPROVED:
        return withdrawal.status
    Withdrawal.objects.filter(pk=withdrawal.pk).update(attempts=F("attempts") + 1)
    try:
        gateway = gateway_for(withdrawal.gateway or settings.VSHOP_PAYOUT_GATEWAY)
        result = gateway.send_payout(
            PayoutOrder(
                payout_number=withdrawal.number,
                amount=withdrawal.sent_amount,
                currency=withdrawal.currency,
                payee=withdrawal.payee,
                payee_name=withdrawal.payee_name,
                memo=f"VShop withdrawal {withdrawal.number}",
            )
        )
    except DomainError as exc:
        # Unreachable, or the gateway was switched off since the approval: it stays approved.
        Withdrawal.objects.filter(pk=withdrawal.pk).update(last_error=str(exc.message)[:200])
        raise
    if result.state == PayoutState.PENDING:
        Withdrawal.objects.filter(pk=withdrawal.pk).update(provider_ref=result.provider_ref[:64])
        return WithdrawalStatus.APPROVED
    with transaction.atomic():
        withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal.pk)
        if withdrawal.status != WithdrawalStatus.APPROVED:
            return withdrawal.status  # another run recorded the answer first
        if result.state == PayoutState.SUCCEEDED:
            withdrawal_transition(
                withdrawal=withdrawal,
                to=WithdrawalStatus.PAID,
                role=Role.SYSTEM,
                note=result.provider_ref,
                provider_ref=result.provider_ref[:64],
                finished_at=timezone.now(),
                last_error="",
            )
            _paid_out(withdrawal)
        else:
            message = (result.message or _("The payout account refused the transfer."))[:REASON_MAX]
            withdrawal_transition(
                withdrawal=withdrawal,
                to=WithdrawalStatus.FAILED,
                role=Role.SYSTEM,
                note=message,
                reason=message,
                provider_ref=result.provider_ref[:64],
                finished_at=timezone.now(),
            )
            _give_back(withdrawal)
        _tell(withdrawal)
    return withdrawal.status


def withdrawals_resend_stuck(*, now: datetime | None = None) -> int:
    """Approved withdrawals that no worker finished within ``STUCK_AFTER`` (its retries ran out,
    it died, the gateway was down) are sent again; still unreachable, they wait for the next
    sweep. Returns how many got an answer."""
    now = now or timezone.now()
    stuck = Withdrawal.objects.filter(
        status=WithdrawalStatus.APPROVED, approved_at__lte=now - STUCK_AFTER
    ).values_list("number", flat=True)[:500]
    done = 0
    for number in list(stuck):
        try:
            if withdrawal_send(number=number) != WithdrawalStatus.APPROVED:
                done += 1
        except DomainError:
            log.warning("withdrawal %s: payout gateway not reachable, next sweep", number)
    return done


# --- the money -----------------------------------------------------------------------------


def _paid_out(withdrawal: Withdrawal) -> None:
    """The gateway sent it: held → out of the gateway's account, the fee to the platform."""
    currency = withdrawal.currency
    lines = [
        (_held(currency), withdrawal.amount),
        (
            account_for(
                kind=AccountKind.GATEWAY_CLEARING, gateway=withdrawal.gateway, currency=currency
            ),
            -withdrawal.sent_amount,
        ),
    ]
    if withdrawal.fee:
        lines.append(
            (account_for(kind=AccountKind.PLATFORM_FEE, currency=currency), -withdrawal.fee)
        )
    post(
        kind=TransactionKind.PAYOUT,
        key=f"withdrawal:{withdrawal.number}:paid",
        lines=lines,
        memo=f"withdrawal {withdrawal.number} paid out",
        reference=f"withdrawal:{withdrawal.number}",
    )


def _give_back(withdrawal: Withdrawal) -> None:
    """Failed, rejected or cancelled: the held amount returns to the available balance."""
    transfer(
        kind=TransactionKind.PAYOUT_REVERSAL,
        key=f"withdrawal:{withdrawal.number}:reversed",
        source=_held(withdrawal.currency),
        target=_source_of(withdrawal),
        amount=withdrawal.amount,
        memo=f"withdrawal {withdrawal.number} {withdrawal.status}: returned",
        reference=f"withdrawal:{withdrawal.number}",
    )


def money_page_url(withdrawal: Withdrawal) -> str:
    if withdrawal.role == WithdrawalRole.SUPPLIER:
        return reverse("payouts:supplier_money")
    return reverse("payouts:money")


def _tell(withdrawal: Withdrawal) -> None:
    """The requester hears of the outcome in her inbox (and by email after commit)."""
    from vshop.messaging.services import notify_each

    titles = {
        WithdrawalStatus.PAID: _("Withdrawal %(number)s is paid out"),
        WithdrawalStatus.FAILED: _("Withdrawal %(number)s failed: the money is back"),
        WithdrawalStatus.REJECTED: _("Withdrawal %(number)s was rejected: the money is back"),
    }
    title = titles.get(WithdrawalStatus(withdrawal.status))
    if title is None:
        return
    if withdrawal.status == WithdrawalStatus.PAID:
        body = _("%(amount)s was sent to %(payee)s.") % {
            "amount": format_money(withdrawal.sent_amount, withdrawal.currency),
            "payee": withdrawal.payee,
        }
    else:
        body = _("%(amount)s is back in your available balance. %(reason)s") % {
            "amount": format_money(withdrawal.amount, withdrawal.currency),
            "reason": withdrawal.reason,
        }
    notify_each(
        recipients=[(withdrawal.requester_id, money_page_url(withdrawal))],
        kind=f"withdrawal.{withdrawal.status}",
        title=title % {"number": withdrawal.number},
        body=body,
    )

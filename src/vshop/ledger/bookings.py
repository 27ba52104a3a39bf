"""How each money event of an order is written into the book.

- Paid: the gateway's clearing account is debited with what the buyer paid; each order's share
  is credited, in the *pending* bucket, to the supplier (supply price, plus delivery when it
  ships), the shop owner (her margin after commission and fee, plus delivery for her own goods),
  the promoters (commission), and the platform (its fee). The shares are fixed in an
  ``OrderSplit`` when the order is paid. A payment that pays nothing (its checkout was cancelled
  or already paid) is owed back to the buyer in full.
- Received: pending → frozen. Completed (the after-sales window closed): frozen → available,
  and a user's or supplier's debt from an earlier late refund is repaid first.
- Refund agreed: every share gives back in proportion to what it still holds, into the buyer's
  refunds account; where a share was already withdrawn, the shortfall becomes that party's debt
  (a receivable). Refund paid by the gateway: buyer refunds → out of the gateway.

Each event is one balanced transaction under an idempotency key, so a repeated event changes
nothing. The split row is locked (SELECT … FOR UPDATE) by every event of its order, so a refund
racing a settlement queues behind it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vshop.accounts.models import User
from vshop.catalog.models import Supplier
from vshop.ledger.models import (
    Account,
    AccountKind,
    Bucket,
    OrderSplit,
    SplitStage,
    TransactionKind,
)
from vshop.ledger.services import AccountSpec, account_for, accounts_for, post
from vshop.money import largest_remainder

log = logging.getLogger(__name__)

WHOLE = 10_000  # basis points
# The shares of a split, in the order refunds and settlements list them.
PARTS = ("supply", "owner_amount", "commission1", "commission2", "platform_fee")


@dataclass(frozen=True)
class LineRates:
    """One order line's money and the rates that applied when it was paid."""

    line_id: int
    listing_id: int | None
    margin: int
    supply: int
    rate1: int
    rate2: int

    def as_json(self) -> dict[str, int | None]:
        return {
            "line": self.line_id,
            "listing": self.listing_id,
            "margin": self.margin,
            "supply": self.supply,
            "rate1": self.rate1,
            "rate2": self.rate2,
        }


def split_amounts(
    *,
    lines: Sequence[LineRates],
    delivery_fee: int,
    supplier_ships: bool,
    has_promoter: bool,
    has_promoter2: bool,
    fee_rate: int,
) -> dict[str, int]:
    """The shares of one order. Commission is rounded down per line, then the platform's fee
    is rounded down on what the owner keeps; the owner gets the rest, so the shares add up to
    the total to the fen and no share can exceed the margin."""
    margin = sum(x.margin for x in lines)
    c1 = sum(x.margin * x.rate1 // WHOLE for x in lines) if has_promoter else 0
    c2 = sum(x.margin * x.rate2 // WHOLE for x in lines) if has_promoter2 else 0
    fee = (margin - c1 - c2) * fee_rate // WHOLE
    supply = sum(x.supply for x in lines) + (delivery_fee if supplier_ships else 0)
    owner = margin - c1 - c2 - fee + (0 if supplier_ships else delivery_fee)
    return {
        "margin": margin,
        "supply": supply,
        "owner_amount": owner,
        "commission1": c1,
        "commission2": c2,
        "platform_fee": fee,
    }


def share_out(amount: int, holdings: dict[str, int]) -> dict[str, int]:
    """Split ``amount`` over ``holdings`` in proportion (largest remainder, ties in PARTS
    order). Each share is at most its holding, and taking everything takes each holding whole."""
    held = sum(holdings.values())
    if amount > held:
        raise ValueError(f"cannot take {amount} out of {held}")
    parts = sorted(holdings, key=PARTS.index)
    return dict(zip(parts, largest_remainder(amount, [holdings[p] for p in parts]), strict=True))


# --- accounts --------------------------------------------------------------------------------


def _holder(split: OrderSplit, part: str) -> User | Supplier | None:
    """Whose share it is (None: the platform's fee). An unsaved stand-in with just the key:
    the accounts need only that, and loading the rows would cost a query each."""
    if part == "supply":
        return Supplier(pk=split.supplier_id) if split.supplier_id else None
    user_id = {
        "owner_amount": split.owner_id,
        "commission1": split.promoter_id,
        "commission2": split.promoter2_id,
    }.get(part)
    return User(pk=user_id) if user_id else None


def _party_spec(split: OrderSplit, part: str, bucket: str) -> AccountSpec:
    currency = split.currency
    if part == "platform_fee":
        return AccountSpec(AccountKind.PLATFORM_FEE, currency=currency)
    holder = _holder(split, part)
    if holder is None:
        raise AssertionError(f"share {part} of order {split.order_id} has nobody to hold it")
    if isinstance(holder, Supplier):
        return AccountSpec(
            AccountKind.SUPPLIER_PAYABLE, bucket=bucket, supplier=holder, currency=currency
        )
    kind = AccountKind.OWNER_EARNINGS if part == "owner_amount" else AccountKind.PROMOTER_COMMISSION
    return AccountSpec(kind, bucket=bucket, user=holder, currency=currency)


def _party_account(split: OrderSplit, part: str, bucket: str) -> Account:
    spec = _party_spec(split, part, bucket)
    return account_for(
        kind=spec.kind,
        bucket=spec.bucket,
        user=spec.user,
        supplier=spec.supplier,
        currency=spec.currency,
    )


def _resolved(lines: Sequence[tuple[AccountSpec, int]]) -> list[tuple[Account, int]]:
    """Lines of specs as lines of accounts, all found in one query."""
    accounts = accounts_for([spec for spec, _amount in lines])
    return [(account, amount) for account, (_spec, amount) in zip(accounts, lines, strict=True)]


def _receivable(holder: User | Supplier, currency: str) -> Account:
    if isinstance(holder, Supplier):
        return account_for(kind=AccountKind.RECEIVABLE, supplier=holder, currency=currency)
    return account_for(kind=AccountKind.RECEIVABLE, user=holder, currency=currency)


def _gateway(split_or_name: OrderSplit | str, currency: str = "CNY") -> Account:
    if isinstance(split_or_name, OrderSplit):
        return account_for(
            kind=AccountKind.GATEWAY_CLEARING,
            gateway=split_or_name.gateway,
            currency=split_or_name.currency,
        )
    return account_for(kind=AccountKind.GATEWAY_CLEARING, gateway=split_or_name, currency=currency)


def _merge(lines: Iterable[tuple[Account, int]]) -> list[tuple[Account, int]]:
    """One line per account (an account may carry two shares: the same person's level 1 and
    level 2 commission, or her earnings as owner and as promoter), zeros dropped."""
    merged: dict[int, tuple[Account, int]] = {}
    for account, amount in lines:
        previous = merged.get(account.pk, (account, 0))[1]
        merged[account.pk] = (account, previous + amount)
    return [(account, amount) for account, amount in merged.values() if amount]


def remaining(split: OrderSplit) -> dict[str, int]:
    """What each share of the order still holds after the refunds so far."""
    taken = split.taken or {}
    return {part: getattr(split, part) - int(taken.get(part, 0)) for part in PARTS}


# --- paid ------------------------------------------------------------------------------------


def orders_paid(*, payment_number: str, gateway: str, splits: Sequence[OrderSplit]) -> None:
    """The payment of a checkout succeeded: book every order's shares, pending, in one
    transaction (one pass of row locks, in account order)."""
    if not splits:
        return
    OrderSplit.objects.bulk_create(splits)
    specs: list[tuple[AccountSpec, int]] = [
        (
            AccountSpec(AccountKind.GATEWAY_CLEARING, gateway=gateway, currency=splits[0].currency),
            sum(s.total for s in splits),
        )
    ]
    for split in splits:
        for part in PARTS:
            amount = getattr(split, part)
            if amount:
                bucket = "" if part == "platform_fee" else Bucket.PENDING
                specs.append((_party_spec(split, part, bucket), -amount))
    lines = _resolved(specs)
    post(
        kind=TransactionKind.PAYMENT,
        key=f"payment:{payment_number}",
        lines=_merge(lines),
        memo="paid: " + ", ".join(s.order.number for s in splits)[:190],
        reference=f"payment:{payment_number}",
    )


def payment_owed_back(
    *, payment_number: str, gateway: str, amount: int, buyer: User | None
) -> None:
    """A payment that pays nothing (its checkout was cancelled, or paid twice): the money is in
    the gateway and owed back to the buyer until the refund is paid."""
    if buyer is None:
        log.error("payment %s to give back has no buyer account: not booked", payment_number)
        return
    post(
        kind=TransactionKind.PAYMENT,
        key=f"payment:{payment_number}",
        lines=[
            (_gateway(gateway), amount),
            (account_for(kind=AccountKind.BUYER_REFUNDS, user=buyer), -amount),
        ],
        memo="paid after the checkout closed: to be refunded",
        reference=f"payment:{payment_number}",
    )


# --- settled ---------------------------------------------------------------------------------


def _locked_split(order_id: int) -> OrderSplit | None:
    return (
        OrderSplit.objects.select_for_update()
        .select_related("order")
        .filter(order_id=order_id)
        .first()
    )


_STAGES: list[str] = [SplitStage.PENDING, SplitStage.FROZEN, SplitStage.AVAILABLE]


def order_moved_on(*, order_id: int, to: str) -> int:
    """One order was received (``frozen``) or completed (``available``)."""
    return orders_moved_on(order_ids=[order_id], to=to)


@transaction.atomic
def orders_moved_on(*, order_ids: Sequence[int], to: str) -> int:
    """Orders were received (``frozen``) or completed (``available``): move what every share
    still holds into the next bucket, in one ledger transaction for the batch (one line per
    account), and repay debts out of what became available. Orders already there, or paid
    before the book existed, are skipped; returns how many moved. Safe to repeat: only splits
    still in an earlier stage move, and they are locked while they do."""
    earlier = _STAGES[: _STAGES.index(to)]
    splits = list(
        OrderSplit.objects.select_for_update()
        .filter(order_id__in=list(order_ids), stage__in=earlier)
        .select_related("order")
        .only(*_SPLIT_FIELDS, "order__number")
        .order_by("pk")
    )
    if not splits:
        return 0
    specs: list[tuple[AccountSpec, int]] = []
    holders: list[User | Supplier | None] = []
    for split in splits:
        for part, amount in remaining(split).items():
            if not amount or part == "platform_fee":
                continue
            # Credit-normal buckets: a debit lowers the source, a credit raises the target.
            specs.append((_party_spec(split, part, split.stage), amount))
            specs.append((_party_spec(split, part, to), -amount))
            holders += [None, _holder(split, part)]
    lines = _resolved(specs)
    freed: dict[int, tuple[Account, User | Supplier, int]] = {}
    for (target, amount), holder in zip(lines, holders, strict=True):
        if to == SplitStage.AVAILABLE and holder is not None:
            before = freed.get(target.pk, (target, holder, 0))[2]
            freed[target.pk] = (target, holder, before - amount)
    if freed:
        lines.extend(
            _repayments(list(freed.values()), splits[0].currency, [account for account, _ in lines])
        )
    numbers = ", ".join(s.order.number for s in splits)
    what = "received" if to == SplitStage.FROZEN else "completed"
    if _merge(lines):
        post(
            kind=TransactionKind.SETTLEMENT,
            key=f"orders:{to}:{splits[0].order_id}:{len(splits)}:{_digest(splits)}",
            lines=_merge(lines),
            memo=f"{what}: {numbers}"[:200],
            reference=f"order:{splits[0].order.number}" if len(splits) == 1 else "",
        )
    OrderSplit.objects.filter(pk__in=[s.pk for s in splits]).update(
        stage=to, settled_at=timezone.now() if to == SplitStage.AVAILABLE else None
    )
    return len(splits)


_SPLIT_FIELDS = (
    "id",
    "order_id",
    "stage",
    "currency",
    "owner_id",
    "supplier_id",
    "promoter_id",
    "promoter2_id",
    *PARTS,
    "taken",
)


def _digest(splits: Sequence[OrderSplit]) -> str:
    import hashlib

    ids = ",".join(str(s.order_id) for s in splits)
    return hashlib.sha256(ids.encode()).hexdigest()[:16]


def _repayments(
    freed: list[tuple[Account, User | Supplier, int]],
    currency: str,
    other_accounts: Iterable[Account],
) -> list[tuple[Account, int]]:
    """Money just made available repays its holder's debt first. Every account of the
    settlement is locked here in one pass, in id order (the order ``post`` and withdrawals
    lock in), before the debts are read: locking the debts first could deadlock."""
    by_holder: dict[tuple[str, int], list[tuple[Account, int]]] = {}
    for account, holder, amount in freed:
        by_holder.setdefault((type(holder).__name__, holder.pk), []).append((account, amount))
    debt_ids = list(
        Account.objects.filter(kind=AccountKind.RECEIVABLE, currency=currency)
        .filter(
            Q(user_id__in=[pk for kind, pk in by_holder if kind == "User"])
            | Q(supplier_id__in=[pk for kind, pk in by_holder if kind == "Supplier"])
        )
        .values_list("pk", flat=True)
    )
    locked = (
        Account.objects.select_for_update()
        .filter(pk__in={*debt_ids, *(a.pk for a in other_accounts)})
        .order_by("pk")
    )
    debts: dict[tuple[str, int], Account] = {
        (("Supplier", a.supplier_id) if a.supplier_id else ("User", a.user_id or 0)): a
        for a in locked
        if a.pk in debt_ids and a.balance > 0
    }
    lines: list[tuple[Account, int]] = []
    for key, debt_account in debts.items():
        debt = debt_account.balance
        for account, amount in by_holder.get(key, []):
            repay = min(debt, amount)
            if repay <= 0:
                break
            lines.append((account, repay))  # debit: lowers her available balance
            lines.append((debt_account, -repay))  # credit: lowers what she owes
            debt -= repay
    return lines


# --- refunds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clawback:
    stage: str  # where the money was: pending, frozen or available (settled)
    taken: dict[str, int]
    shortfall: dict[str, int]  # per share: what its holder now owes back

    @property
    def after_settlement(self) -> bool:
        return self.stage == SplitStage.AVAILABLE


def refund_agreed(
    *, refund_number: str, order_id: int | None, buyer: User | None, amount: int
) -> Clawback | None:
    """A refund of ``amount`` was agreed for an order: take it back from the order's shares in
    proportion to what they still hold, into what is owed to the buyer. Runs inside the
    transaction that records the refund."""
    if order_id is None:
        return None  # a payment that paid nothing: booked as owed back when it arrived
    split = _locked_split(order_id)
    if split is None:
        log.warning("order %s has no split: refund %s not booked", order_id, refund_number)
        return None
    if buyer is None:
        raise AssertionError("a refund is owed to somebody")
    holdings = remaining(split)
    taken = share_out(amount, holdings)
    bucket = split.stage
    parts = [p for p in PARTS if taken[p]]
    accounts = {p: _party_account(split, p, "" if p == "platform_fee" else bucket) for p in parts}
    # Lock every account this refund may touch, in id order (the order ``post`` locks in), so
    # the balances read here cannot change before the post.
    refunds_account = account_for(
        kind=AccountKind.BUYER_REFUNDS, user=buyer, currency=split.currency
    )
    receivables = {
        p: _receivable(_holder(split, p), split.currency)  # type: ignore[arg-type]
        for p in parts
        if p != "platform_fee" and bucket == SplitStage.AVAILABLE
    }
    locked_ids = {a.pk for a in accounts.values()} | {refunds_account.pk}
    locked_ids |= {a.pk for a in receivables.values()}
    balances = dict(
        Account.objects.select_for_update()
        .filter(pk__in=locked_ids)
        .order_by("pk")
        .values_list("pk", "balance")
    )
    lines: list[tuple[Account, int]] = [(refunds_account, -amount)]
    shortfall = dict.fromkeys(PARTS, 0)
    spent: dict[int, int] = {}
    for part in parts:
        account = accounts[part]
        want = taken[part]
        if part in receivables:
            # Already available: she may have withdrawn some; take what is there.
            there = balances[account.pk] - spent.get(account.pk, 0)
            take = min(want, max(there, 0))
            spent[account.pk] = spent.get(account.pk, 0) + take
            short = want - take
            if short:
                shortfall[part] = short
                lines.append((receivables[part], short))  # debit: she owes this back
        else:
            take = want
        if take:
            lines.append((account, take))  # debit: lowers the share's balance
    post(
        kind=TransactionKind.CLAWBACK,
        key=f"refund:{refund_number}:agreed",
        lines=_merge(lines),
        memo=f"refund {refund_number} of order {split.order.number}",
        reference=f"order:{split.order.number}",
    )
    new_taken = {p: int((split.taken or {}).get(p, 0)) + taken[p] for p in PARTS}
    OrderSplit.objects.filter(pk=split.pk).update(taken=new_taken, refunded=split.refunded + amount)
    return Clawback(stage=bucket, taken=taken, shortfall=shortfall)


def refund_paid(
    *, refund_number: str, payment_number: str, gateway: str, buyer: User | None, amount: int
) -> None:
    """The gateway paid a refund: the money leaves the gateway and is no longer owed."""
    from vshop.ledger.models import Transaction

    booked = Transaction.objects.filter(
        key__in=[f"refund:{refund_number}:agreed", f"payment:{payment_number}"]
    ).exists()
    if not booked or buyer is None:
        # Its payment came before the book existed: there is nothing owed to take it from.
        log.warning("refund %s was never owed in the book: not booked", refund_number)
        return
    post(
        kind=TransactionKind.REFUND,
        key=f"refund:{refund_number}:paid",
        lines=[
            (account_for(kind=AccountKind.BUYER_REFUNDS, user=buyer), amount),
            (_gateway(gateway), -amount),
        ],
        memo=f"refund {refund_number} paid",
        reference=f"refund:{refund_number}",
    )


def platform_fee_rate() -> int:
    return int(settings.VSHOP_PLATFORM_FEE_RATE)

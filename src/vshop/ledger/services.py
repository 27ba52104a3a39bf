"""Writing to the book: finding an account, and posting a balanced transaction once.

Sign convention: an entry's ``amount`` is signed, debit positive and credit negative, and the
entries of a transaction sum to zero. An account's ``balance`` is kept in its normal direction:
a debit-normal account (an asset: gateway clearing, payouts in transit) grows with debits, a
credit-normal account (what is owed: payables, earnings, commission, fee income, refunds) grows
with credits.

Row locks: ``post`` takes the row lock of each account it changes, through one conditional
UPDATE per account in ascending id order, so concurrent posts queue instead of deadlocking and
an account that may not go negative is never overdrawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _

from vshop.accounts.models import User
from vshop.catalog.models import Supplier
from vshop.errors import ValidationFailed
from vshop.ledger.errors import InsufficientBalance, KeyReused
from vshop.ledger.models import (
    Account,
    AccountKind,
    Bucket,
    Entry,
    NormalSide,
    Transaction,
    TransactionKind,
)

# Far above any real amount (10 billion yuan in fen), far below the 64-bit limit of a balance.
MAX_AMOUNT = 10**12


@dataclass(frozen=True)
class _KindRule:
    # "user", "supplier", "party" (a user or a supplier), "gateway", or None (the platform's own)
    owner: str | None
    buckets: bool
    normal_side: NormalSide
    may_go_negative: bool


# Only the platform's own accounts may go negative; a person's or a company's money may not.
_RULES: dict[str, _KindRule] = {
    AccountKind.GATEWAY_CLEARING: _KindRule("gateway", False, NormalSide.DEBIT, True),
    AccountKind.SUPPLIER_PAYABLE: _KindRule("supplier", True, NormalSide.CREDIT, False),
    AccountKind.OWNER_EARNINGS: _KindRule("user", True, NormalSide.CREDIT, False),
    AccountKind.PROMOTER_COMMISSION: _KindRule("user", True, NormalSide.CREDIT, False),
    AccountKind.PLATFORM_FEE: _KindRule(None, False, NormalSide.CREDIT, True),
    AccountKind.BUYER_REFUNDS: _KindRule("user", False, NormalSide.CREDIT, False),
    AccountKind.PAYOUTS_IN_TRANSIT: _KindRule(None, False, NormalSide.DEBIT, True),
    AccountKind.RECEIVABLE: _KindRule("party", False, NormalSide.DEBIT, False),
    AccountKind.WITHDRAWALS: _KindRule(None, False, NormalSide.CREDIT, False),
}


def _account_code(
    *,
    kind: str,
    bucket: str,
    user: User | None,
    supplier: Supplier | None,
    gateway: str | None,
    currency: str,
) -> str:
    if kind == AccountKind.GATEWAY_CLEARING:
        code = f"gateway:{gateway}"
    elif kind == AccountKind.SUPPLIER_PAYABLE:
        assert supplier is not None
        code = f"supplier:{supplier.pk}:payable:{bucket}"
    elif kind == AccountKind.OWNER_EARNINGS:
        assert user is not None
        code = f"owner:{user.pk}:earnings:{bucket}"
    elif kind == AccountKind.PROMOTER_COMMISSION:
        assert user is not None
        code = f"promoter:{user.pk}:commission:{bucket}"
    elif kind == AccountKind.PLATFORM_FEE:
        code = "platform:fee"
    elif kind == AccountKind.BUYER_REFUNDS:
        assert user is not None
        code = f"buyer:{user.pk}:refunds"
    elif kind == AccountKind.RECEIVABLE:
        owner = f"user:{user.pk}" if user is not None else f"supplier:{supplier.pk}"  # type: ignore[union-attr]
        code = f"{owner}:owes"
    elif kind == AccountKind.WITHDRAWALS:
        code = "withdrawals:held"
    else:
        code = "payouts:in_transit"
    # The platform's currency keeps the short codes; another currency is its own account.
    return code if currency == "CNY" else f"{code}:{currency}"


@dataclass(frozen=True)
class AccountSpec:
    """Which account: its kind, bucket and owner (a user, a supplier, a gateway or nobody)."""

    kind: str
    bucket: str = ""
    user: User | None = None
    supplier: Supplier | None = None
    gateway: str | None = None
    currency: str = "CNY"

    def code(self) -> str:
        """The account's unique code, once the spec is checked against the kind's rule."""
        rule = _RULES.get(self.kind)
        if rule is None:
            raise ValidationFailed(_("Unknown ledger account kind."), field="kind")
        bucket, user, supplier, gateway = self.bucket, self.user, self.supplier, self.gateway
        if rule.buckets and bucket not in (Bucket.PENDING, Bucket.FROZEN, Bucket.AVAILABLE):
            raise ValidationFailed(
                _("This account needs a bucket: pending, frozen or available."), field="bucket"
            )
        if not rule.buckets and bucket:
            raise ValidationFailed(_("This account has no buckets."), field="bucket")
        given = {
            "user": user is not None,
            "supplier": supplier is not None,
            "gateway": bool(gateway),
        }
        wanted: set[str | None] = {"user", "supplier"} if rule.owner == "party" else {rule.owner}
        if rule.owner == "party" and given["user"] == given["supplier"]:
            raise ValidationFailed(
                _("This account belongs to a user or a supplier: give exactly one."), field="user"
            )
        for owner, is_given in given.items():
            if rule.owner == "party" and owner != "gateway":
                continue
            if is_given != (owner in wanted):
                raise ValidationFailed(
                    _(
                        "This account belongs to a user, a supplier, a gateway or the platform: give exactly its owner."
                    ),
                    field=owner,
                )
        if (user is not None and user.pk is None) or (supplier is not None and supplier.pk is None):
            raise ValidationFailed(_("The owner of an account must be saved first."))
        if gateway is not None and (len(gateway) > 32 or not gateway.replace("_", "").isalnum()):
            raise ValidationFailed(_("Unknown gateway."), field="gateway")
        currency = self.currency
        if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
            raise ValidationFailed(
                _("A currency is a three-letter code such as CNY."), field="currency"
            )
        return _account_code(
            kind=self.kind,
            bucket=bucket,
            user=user,
            supplier=supplier,
            gateway=gateway,
            currency=currency,
        )

    def create(self, code: str) -> Account:
        """Create it; race-safe: the code is unique, and a loser of the race reads the winner's
        row."""
        rule = _RULES[self.kind]
        try:
            with transaction.atomic():
                return Account.objects.create(
                    code=code,
                    kind=self.kind,
                    bucket=self.bucket,
                    user=self.user,
                    supplier=self.supplier,
                    currency=self.currency,
                    normal_side=rule.normal_side,
                    may_go_negative=rule.may_go_negative,
                )
        except IntegrityError:
            return Account.objects.get(code=code)


def account_for(
    *,
    kind: str,
    bucket: str = "",
    user: User | None = None,
    supplier: Supplier | None = None,
    gateway: str | None = None,
    currency: str = "CNY",
) -> Account:
    """The account of this kind, bucket and owner, created on first use."""
    spec = AccountSpec(kind, bucket, user, supplier, gateway, currency)
    code = spec.code()
    account = Account.objects.filter(code=code).first()
    return account if account is not None else spec.create(code)


def accounts_for(specs: Sequence[AccountSpec]) -> list[Account]:
    """The accounts of ``specs``, in their order, found in one query (created on first use)."""
    codes = [spec.code() for spec in specs]
    found = {a.code: a for a in Account.objects.filter(code__in=set(codes))}
    for spec, code in zip(specs, codes, strict=True):
        if code not in found:
            found[code] = spec.create(code)
    return [found[code] for code in codes]


def _validated_lines(
    *, kind: str, key: str, lines: Sequence[tuple[Account, int]], memo: str, reference: str
) -> list[tuple[Account, int]]:
    if kind not in TransactionKind.values:
        raise ValidationFailed(_("Unknown ledger transaction kind."), field="kind")
    if not isinstance(key, str) or not key or len(key) > 100:
        raise ValidationFailed(
            _("A ledger transaction needs a key of at most 100 characters."), field="key"
        )
    if len(memo) > 200:
        raise ValidationFailed(_("The memo is too long (at most 200 characters)."), field="memo")
    if len(reference) > 64:
        raise ValidationFailed(
            _("The reference is too long (at most 64 characters)."), field="reference"
        )
    checked = list(lines)
    if not checked:
        raise ValidationFailed(_("A ledger transaction needs entries."), field="lines")
    seen: set[int] = set()
    for account, amount in checked:
        if not isinstance(account, Account) or account.pk is None:
            raise ValidationFailed(_("Each entry needs a saved ledger account."), field="lines")
        # bool is an int in Python, and never an amount of money.
        if type(amount) is not int or amount == 0 or abs(amount) > MAX_AMOUNT:
            raise ValidationFailed(
                _("Each entry needs a whole, non-zero amount in minor units (fen)."),
                field="lines",
            )
        if account.pk in seen:
            raise ValidationFailed(
                _("An account may appear only once in a ledger transaction."), field="lines"
            )
        seen.add(account.pk)
    if sum(amount for _account, amount in checked) != 0:
        raise ValidationFailed(
            _("The debits and credits of a ledger transaction must add up to zero."),
            field="lines",
        )
    return checked


def _replayed(existing: Transaction, *, kind: str, wanted: list[tuple[int, int]]) -> Transaction:
    """The same key again: the same transaction is an idempotent repeat, another is refused."""
    written = sorted(existing.entries.values_list("account_id", "amount"))
    if existing.kind != kind or written != wanted:
        raise KeyReused(field="key")
    return existing


def post(
    *,
    kind: str,
    key: str,
    lines: Sequence[tuple[Account, int]],
    memo: str = "",
    reference: str = "",
) -> Transaction:
    """Write one balanced transaction: ``lines`` are (account, signed amount), debit + and
    credit −, summing to zero. Idempotent by ``key``: the same key with the same kind and lines
    returns the transaction already written and changes nothing; with other lines it raises
    ``KeyReused`` (409). Raises ``InsufficientBalance`` (409) and writes nothing when an account
    that may not go negative would drop below zero; ``ValidationFailed`` (400) for bad lines.

    Locks each changed account row (conditional UPDATE, ascending id) until the commit."""
    checked = _validated_lines(kind=kind, key=key, lines=lines, memo=memo, reference=reference)
    wanted = sorted((account.pk, amount) for account, amount in checked)
    # Inside the caller's transaction no savepoint is needed: everything that can refuse the
    # post is checked before its first write.
    within = transaction.atomic() if not connection.in_atomic_block else nullcontext()
    with within:
        # Lock every account of the transaction first, in ascending id order, so concurrent
        # posts queue instead of deadlocking; what is stored decides (side, currency, balance),
        # not what the caller's objects say.
        accounts = {
            a.pk: a
            for a in Account.objects.select_for_update()
            .filter(pk__in=[pk for pk, _amount in wanted])
            .order_by("pk")
            .only("id", "normal_side", "currency", "balance", "may_go_negative")
        }
        if len(accounts) != len(wanted):
            raise ValidationFailed(_("Each entry needs a saved ledger account."), field="lines")
        currencies = {account.currency for account in accounts.values()}
        if len(currencies) != 1:
            raise ValidationFailed(
                _("All entries of a ledger transaction must be in one currency."), field="lines"
            )
        balances = {
            pk: accounts[pk].balance + accounts[pk].in_normal_terms(amount) for pk, amount in wanted
        }
        overdrawn = any(balances[pk] < 0 and not accounts[pk].may_go_negative for pk in balances)
        if overdrawn:
            # A repeat of a post already written is answered as a repeat, not as an overdraft.
            existing = Transaction.objects.filter(key=key).first()
            if existing is not None:
                return _replayed(existing, kind=kind, wanted=wanted)
            raise InsufficientBalance(field="lines")
        txn = _insert_once(
            kind=kind, key=key, memo=memo, reference=reference, currency=currencies.pop()
        )
        if txn is None:
            return _replayed(Transaction.objects.get(key=key), kind=kind, wanted=wanted)
        Entry.objects.bulk_create(
            Entry(transaction=txn, account_id=pk, amount=amount, created_at=txn.created_at)
            for pk, amount in wanted
        )
        # Checked under the locks above, so nothing can change them before the commit; the
        # database's CHECK constraint stays the last line of defence.
        # One statement per account, sent in one round trip (psycopg pipelines executemany):
        # building a CASE of hundreds of WHENs through the ORM cost more than the database.
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {connection.ops.quote_name(Account._meta.db_table)} "
                "SET balance = %s WHERE id = %s",
                [(balance, pk) for pk, balance in balances.items()],
            )

    # The caller's objects show the balances just written.
    for account, _amount in checked:
        account.balance = balances[account.pk]
    return txn


def _insert_once(
    *, kind: str, key: str, memo: str, reference: str, currency: str
) -> Transaction | None:
    """Insert the transaction row, or None when its key is taken (one statement either way:
    INSERT … ON CONFLICT DO NOTHING)."""
    txn = Transaction(kind=kind, key=key, memo=memo, reference=reference, currency=currency)
    table = Transaction._meta.db_table
    fields = ["kind", "key", "memo", "currency", "reference", "created_at"]
    ops = connection.ops
    values = [kind, key, memo, currency, reference, ops.adapt_datetimefield_value(txn.created_at)]
    columns = ", ".join(ops.quote_name(f) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ops.quote_name(table)} ({columns}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            "ON CONFLICT (key) DO NOTHING RETURNING id",
            values,
        )
        row = cursor.fetchone()
    if row is None:
        return None
    txn.pk = row[0]
    txn._state.adding = False
    return txn


def transfer(
    *,
    kind: str,
    key: str,
    source: Account,
    target: Account,
    amount: int,
    memo: str = "",
    reference: str = "",
) -> Transaction:
    """Move ``amount`` out of ``source`` into ``target``: the source's balance goes down and the
    target's up by ``amount``. Both must be on the same side of the book (both assets, or both
    owed): between an asset and a liability both balances move the same way, so write that with
    ``post``. Raises as ``post`` does."""
    if type(amount) is not int or amount <= 0:
        raise ValidationFailed(_("Transfer a positive whole amount in fen."), field="amount")
    if source.normal_side != target.normal_side:
        raise ValidationFailed(
            _("A transfer moves money between two accounts of the same kind of balance."),
            field="target",
        )
    # Debit-normal: a credit lowers the balance. Credit-normal: a debit lowers it.
    out = -amount if source.is_debit_normal else amount
    return post(
        kind=kind,
        key=key,
        lines=[(source, out), (target, -out)],
        memo=memo,
        reference=reference,
    )

"""Reading the book: balances, whose accounts are whose, statements and their CSV.

The caller scopes: pass only the accounts the acting person may see (``accounts_of_user``,
``accounts_of_supplier``). Every amount is in minor units, and a balance in the account's
normal direction (positive: holds money, or is owed money).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from vshop.accounts.models import User
from vshop.catalog.models import Supplier
from vshop.ledger.models import Account, Entry
from vshop.spreadsheets import spreadsheet_cell


def balance_of(account: Account) -> int:
    """The cached balance as stored now (not the possibly stale attribute of ``account``)."""
    return Account.objects.values_list("balance", flat=True).get(pk=account.pk)


def balance_recomputed(account: Account) -> int:
    """The balance as the sum of the account's entries: what the cached one must equal."""
    total = Entry.objects.filter(account_id=account.pk).aggregate(total=Sum("amount"))["total"]
    return account.in_normal_terms(total or 0)


def accounts_of_user(user: User) -> QuerySet[Account]:
    return Account.objects.filter(user=user)


def accounts_of_supplier(supplier: Supplier) -> QuerySet[Account]:
    return Account.objects.filter(supplier=supplier)


@dataclass(frozen=True)
class StatementLine:
    entry_id: int
    created_at: datetime
    account_code: str
    currency: str
    transaction_kind: str
    transaction_key: str
    memo: str
    reference: str
    amount: int  # signed entry amount: debit +, credit −
    change: int  # the change of the account's balance, in its normal direction
    balance: int  # the account's balance after this entry


def statement(
    *,
    accounts: Sequence[Account] | QuerySet[Account],
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[StatementLine]:
    """The entries of ``accounts`` with ``since <= created_at < until``, newest first, each with
    its transaction and the running balance of its own account after it. Two queries however
    long the statement (the balances before ``since``, then the entries)."""
    by_pk = {account.pk: account for account in accounts}
    if not by_pk:
        return []
    entries = Entry.objects.filter(account_id__in=by_pk)
    running: dict[int, int] = dict.fromkeys(by_pk, 0)
    if since is not None:
        opening = (
            entries.filter(created_at__lt=since)
            .order_by()
            .values_list("account_id")
            .annotate(total=Sum("amount"))
        )
        for pk, total in opening:
            running[pk] = by_pk[pk].in_normal_terms(total)
        entries = entries.filter(created_at__gte=since)
    if until is not None:
        entries = entries.filter(created_at__lt=until)
    lines: list[StatementLine] = []
    for entry in entries.select_related("transaction").order_by("created_at", "id"):
        account = by_pk[entry.account_id]
        change = account.in_normal_terms(entry.amount)
        running[account.pk] += change
        txn = entry.transaction
        lines.append(
            StatementLine(
                entry_id=entry.pk,
                created_at=entry.created_at,
                account_code=account.code,
                currency=account.currency,
                transaction_kind=txn.kind,
                transaction_key=txn.key,
                memo=txn.memo,
                reference=txn.reference,
                amount=entry.amount,
                change=change,
                balance=running[account.pk],
            )
        )
    lines.reverse()
    return lines


def _decimal(minor: int) -> str:
    """``-1990`` → ``-19.90``: a number a spreadsheet can add up."""
    whole, cents = divmod(abs(minor), 100)
    return f"{'-' if minor < 0 else ''}{whole}.{cents:02d}"


def statement_csv(
    *,
    accounts: Sequence[Account] | QuerySet[Account],
    since: datetime | None = None,
    until: datetime | None = None,
) -> str:
    """The statement as CSV that Excel and WPS open: a BOM so that Chinese reads as UTF-8, times
    in the current time zone, amounts in yuan (not fen)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Time"),
            _("Account"),
            _("Currency"),
            _("Kind"),
            _("Transaction"),
            _("Reference"),
            _("Memo"),
            _("Change"),
            _("Balance"),
        ]
    )
    tz = timezone.get_current_timezone()
    rows: Iterable[StatementLine] = statement(accounts=accounts, since=since, until=until)
    for line in rows:
        writer.writerow(
            [
                spreadsheet_cell(x)
                for x in (
                    timezone.localtime(line.created_at, tz).strftime("%Y-%m-%d %H:%M:%S"),
                    line.account_code,
                    line.currency,
                    line.transaction_kind,
                    line.transaction_key,
                    line.reference,
                    line.memo,
                    _decimal(line.change),
                    _decimal(line.balance),
                )
            ]
        )
    return out.getvalue()

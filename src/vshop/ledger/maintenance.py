"""Maintenance that removes whole parts of the book: only the demo's reset uses it.

The book is append-only for everything people do. Deleting the demo's accounts means deleting
every transaction that touched them, entries included, and then recomputing the cached balances
of the other accounts those transactions touched (the platform's fee, a gateway), so that every
cached balance is again the sum of its entries. On PostgreSQL the append-only triggers let a
DELETE through only inside a transaction that set ``vshop.ledger_purge`` (migration 0004).
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Q, Sum

from vshop.ledger.models import Account, Entry, NormalSide, OrderSplit, Transaction


@transaction.atomic
def purge_books(*, accounts: Q, order_ids: list[int]) -> int:
    """Delete the accounts matching ``accounts`` with every transaction that touched them or
    the orders ``order_ids``, and the orders' splits. Returns the transactions deleted."""
    doomed_accounts = list(Account.objects.filter(accounts).values_list("pk", flat=True))
    references = [f"order:{n}" for n in _order_numbers(order_ids)]
    txn_ids = set(
        Entry.objects.filter(account_id__in=doomed_accounts).values_list(
            "transaction_id", flat=True
        )
    )
    txn_ids |= set(
        Transaction.objects.filter(reference__in=references).values_list("pk", flat=True)
    )
    touched = set(
        Entry.objects.filter(transaction_id__in=txn_ids).values_list("account_id", flat=True)
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL vshop.ledger_purge = 'on'")
    entries = Entry.objects.filter(transaction_id__in=txn_ids)
    entries._raw_delete(entries.db)
    txns = Transaction.objects.filter(pk__in=txn_ids)
    txns._raw_delete(txns.db)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL vshop.ledger_purge = 'off'")
    splits = OrderSplit.objects.filter(order_id__in=order_ids)
    splits._raw_delete(splits.db)
    Account.objects.filter(pk__in=doomed_accounts).delete()
    survivors = touched - set(doomed_accounts)
    sums = dict(
        Entry.objects.filter(account_id__in=survivors)
        .order_by()
        .values_list("account_id")
        .annotate(total=Sum("amount"))
    )
    for account in Account.objects.filter(pk__in=survivors):
        total = sums.get(account.pk, 0)
        balance = total if account.normal_side == NormalSide.DEBIT else -total
        Account.objects.filter(pk=account.pk).update(balance=balance)
    return len(txn_ids)


def _order_numbers(order_ids: list[int]) -> list[str]:
    from vshop.orders.models import Order

    return list(Order.objects.filter(pk__in=order_ids).values_list("number", flat=True))

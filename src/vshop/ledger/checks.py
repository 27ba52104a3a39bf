"""Proof that the book is sound: every transaction balances, every cached balance equals the sum
of its entries, and no account that may not go negative is below zero.

Run by ``vshop ledger-check`` (and ``vshop manage ledger_check``); a constant number of queries
however large the book.
"""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from vshop.ledger.models import Account, Entry, NormalSide, Transaction


def ledger_check() -> list[str]:
    """Every problem found, one sentence each; an empty list when the book is sound."""
    problems: list[str] = []

    unbalanced = (
        Transaction.objects.annotate(total=Sum("entries__amount"), lines=Count("entries"))
        .filter(Q(lines=0) | ~Q(total=0))
        .order_by("id")
        .values_list("key", "total")
    )
    for key, total in unbalanced:
        if total is None:
            problems.append(f"transaction {key} has no entries")
        else:
            problems.append(f"transaction {key} does not balance: its entries sum to {total}")

    sums = dict(Entry.objects.order_by().values_list("account_id").annotate(total=Sum("amount")))
    accounts = Account.objects.order_by("id").values_list(
        "pk", "code", "normal_side", "balance", "may_go_negative"
    )
    for pk, code, normal_side, balance, may_go_negative in accounts.iterator():
        total = sums.get(pk, 0)
        recomputed = total if normal_side == NormalSide.DEBIT else -total
        if balance != recomputed:
            problems.append(
                f"account {code}: cached balance {balance} differs from the sum of its "
                f"entries {recomputed}"
            )
        if not may_go_negative and min(balance, recomputed) < 0:
            problems.append(
                f"account {code} may not go negative but is at {min(balance, recomputed)}"
            )
    return problems


def ledger_summary() -> str:
    """The one line ``vshop ledger-check`` prints when all is well."""
    return (
        f"ledger: {Account.objects.count()} accounts, {Transaction.objects.count()} "
        "transactions, all balanced"
    )

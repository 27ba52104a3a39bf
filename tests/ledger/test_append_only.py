"""What is written in the book stays written: no update, no delete, from Python or from SQL."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from tests.factories import make_user
from tests.ledger.books import earnings, fund, gateway
from vshop.ledger.checks import ledger_check
from vshop.ledger.models import AppendOnlyError, Entry, Transaction


@pytest.mark.django_db
def test_entries_and_transactions_refuse_save_and_delete():
    txn = fund(earnings(make_user()), 500)
    entry = txn.entries.first()

    txn.memo = "changed"
    with pytest.raises(AppendOnlyError):
        txn.save()
    with pytest.raises(AppendOnlyError):
        txn.delete()
    entry.amount = 1
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(AppendOnlyError):
        Entry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        Transaction.objects.filter(pk=txn.pk).update(memo="changed")
    with pytest.raises(AppendOnlyError):
        Transaction.objects.all().delete()

    assert Transaction.objects.get().memo == ""
    assert sorted(Entry.objects.values_list("amount", flat=True)) == [-500, 500]


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_entry SET amount = amount * 2",
        "DELETE FROM ledger_entry",
        "UPDATE ledger_transaction SET memo = 'changed'",
        "DELETE FROM ledger_transaction",
    ],
)
def test_postgresql_refuses_an_update_or_delete_through_a_raw_cursor(sql):
    fund(earnings(make_user()), 500)

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)

    assert sorted(Entry.objects.values_list("amount", flat=True)) == [-500, 500]
    assert Transaction.objects.get().memo == ""
    assert ledger_check() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_to_commit_a_transaction_that_does_not_balance():
    available = earnings(make_user())
    gw = gateway()

    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        txn = Transaction.objects.create(kind="adjustment", key="forged:1")
        Entry.objects.bulk_create(
            [
                Entry(transaction=txn, account=gw, amount=500),
                Entry(transaction=txn, account=available, amount=-400),
            ]
        )

    assert not Transaction.objects.exists()
    assert not Entry.objects.exists()

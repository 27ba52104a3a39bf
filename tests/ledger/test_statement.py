"""A statement lists an account's entries newest first with the balance after each, and its CSV
opens in a spreadsheet without running anything."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_user
from tests.ledger.books import earnings, fund, gateway
from vshop.ledger import services as ledger
from vshop.ledger.selectors import statement, statement_csv

pytestmark = pytest.mark.django_db


def _history():
    user = make_user()
    available, frozen = earnings(user), earnings(user, "frozen")
    fund(frozen, 500)
    ledger.transfer(
        kind="settlement",
        key="order:1:settle",
        source=frozen,
        target=available,
        amount=300,
        memo="Order 1 settled",
        reference="order:1",
    )
    ledger.post(
        kind="payout",
        key="payout:1",
        lines=[(available, 120), (gateway(), -120)],
        memo='=HYPERLINK("http://evil")',
    )
    return available, frozen


def test_a_statement_runs_each_accounts_balance_newest_first():
    available, frozen = _history()

    lines = statement(accounts=[available, frozen])

    assert [(x.account_code, x.transaction_kind, x.change, x.balance) for x in lines] == [
        (available.code, "payout", -120, 180),
        (frozen.code, "settlement", -300, 200),  # one transaction: entries by id, newest first
        (available.code, "settlement", 300, 300),
        (frozen.code, "payment", 500, 500),
    ]
    assert lines[2].transaction_key == "order:1:settle"
    assert (lines[2].memo, lines[2].reference, lines[2].amount) == (
        "Order 1 settled",
        "order:1",
        -300,
    )


def test_a_statement_from_a_date_starts_from_the_balance_before_it():
    _available, frozen = _history()
    newest = fund(frozen, 50)

    window = statement(accounts=[frozen], since=newest.created_at)
    before = statement(accounts=[frozen], until=newest.created_at)

    assert [(x.change, x.balance) for x in window] == [(50, 250)]
    assert [(x.change, x.balance) for x in before] == [(-300, 200), (500, 500)]
    assert statement(accounts=[frozen], since=timezone.now() + timedelta(days=1)) == []
    assert statement(accounts=[]) == []


def test_a_statement_takes_two_queries_however_long(django_assert_num_queries):
    available, frozen = _history()
    for n in range(5):
        fund(available, 10 + n)

    with django_assert_num_queries(2):
        lines = statement(accounts=[available, frozen], since=timezone.now() - timedelta(days=1))

    assert len(lines) == 9


def test_the_statement_csv_opens_in_excel_and_runs_no_formula():
    available, _frozen = _history()

    text = statement_csv(accounts=[available])

    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == [
        "Time",
        "Account",
        "Currency",
        "Kind",
        "Transaction",
        "Reference",
        "Memo",
        "Change",
        "Balance",
    ]
    assert rows[1][1:] == [
        available.code,
        "CNY",
        "payout",
        "payout:1",
        "",
        '\'=HYPERLINK("http://evil")',
        "-1.20",
        "1.80",
    ]
    assert rows[2][-2:] == ["3.00", "3.00"]

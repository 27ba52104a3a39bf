"""Whatever sequence of posts and transfers happens, every cached balance equals the sum of its
entries, no person's money goes below zero, and a refused post changes nothing."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import make_supplier, make_user
from vshop.errors import ValidationFailed
from vshop.ledger import services as ledger
from vshop.ledger.checks import ledger_check
from vshop.ledger.errors import InsufficientBalance
from vshop.ledger.models import Account, AccountKind, Entry
from vshop.ledger.selectors import balance_of, balance_recomputed

N_ACCOUNTS = 6
_op = st.tuples(
    st.sampled_from(["post", "transfer"]),
    st.integers(0, N_ACCOUNTS - 1),
    st.integers(0, N_ACCOUNTS - 1),
    st.integers(1, 500),
).filter(lambda op: op[1] != op[2])


@pytest.mark.django_db
def test_cached_balances_equal_the_sum_of_entries_after_random_posts_and_transfers():
    user, supplier = make_user(), make_supplier()

    def accounts() -> list[Account]:
        return [
            ledger.account_for(kind=AccountKind.GATEWAY_CLEARING, gateway="sandbox"),
            ledger.account_for(kind=AccountKind.PAYOUTS_IN_TRANSIT),
            ledger.account_for(kind=AccountKind.OWNER_EARNINGS, user=user, bucket="frozen"),
            ledger.account_for(kind=AccountKind.OWNER_EARNINGS, user=user, bucket="available"),
            ledger.account_for(
                kind=AccountKind.SUPPLIER_PAYABLE, supplier=supplier, bucket="available"
            ),
            ledger.account_for(kind=AccountKind.PLATFORM_FEE),
        ]

    @settings(max_examples=40, deadline=None)
    @given(ops=st.lists(_op, max_size=25))
    def run(ops: list[tuple[str, int, int, int]]) -> None:
        with transaction.atomic():
            book = accounts()
            expected = [0] * N_ACCOUNTS
            for n, (how, i, j, amount) in enumerate(ops):
                if how == "post":  # debit i, credit j
                    after = list(expected)
                    after[i] += book[i].in_normal_terms(amount)
                    after[j] += book[j].in_normal_terms(-amount)
                    call = lambda: ledger.post(  # noqa: E731
                        kind="adjustment",
                        key=f"op:{n}",
                        lines=[(book[i], amount), (book[j], -amount)],
                    )
                else:  # out of i, into j
                    after = list(expected)
                    after[i] -= amount
                    after[j] += amount
                    call = lambda: ledger.transfer(  # noqa: E731
                        kind="settlement",
                        key=f"op:{n}",
                        source=book[i],
                        target=book[j],
                        amount=amount,
                    )
                entries = Entry.objects.count()
                if how == "transfer" and book[i].normal_side != book[j].normal_side:
                    with pytest.raises(ValidationFailed):
                        call()
                    assert Entry.objects.count() == entries
                elif any(x < 0 and not a.may_go_negative for x, a in zip(after, book)):
                    with pytest.raises(InsufficientBalance):
                        call()
                    assert Entry.objects.count() == entries
                else:
                    call()
                    expected = after
                    assert Entry.objects.count() == entries + 2

            for account, want in zip(book, expected):
                assert balance_of(account) == balance_recomputed(account) == want
            assert ledger_check() == []
            transaction.set_rollback(True)

    run()

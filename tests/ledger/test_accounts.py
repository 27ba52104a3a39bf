"""Each party's account is found by a stable code, with the right side of the book, and the
money of a person or a company can never be overdrawn."""

from __future__ import annotations

import pytest

from tests.factories import make_supplier, make_user
from vshop.errors import ValidationFailed
from vshop.ledger import services as ledger
from vshop.ledger.models import Account, AccountKind, Bucket
from vshop.ledger.selectors import accounts_of_supplier, accounts_of_user

pytestmark = pytest.mark.django_db


def test_each_kind_of_account_gets_its_code_side_and_overdraft_rule():
    user = make_user()
    supplier = make_supplier()

    made = [
        ledger.account_for(kind=AccountKind.GATEWAY_CLEARING, gateway="sandbox"),
        ledger.account_for(
            kind=AccountKind.SUPPLIER_PAYABLE, supplier=supplier, bucket=Bucket.AVAILABLE
        ),
        ledger.account_for(kind=AccountKind.OWNER_EARNINGS, user=user, bucket=Bucket.FROZEN),
        ledger.account_for(kind=AccountKind.PROMOTER_COMMISSION, user=user, bucket=Bucket.PENDING),
        ledger.account_for(kind=AccountKind.PLATFORM_FEE),
        ledger.account_for(kind=AccountKind.BUYER_REFUNDS, user=user),
        ledger.account_for(kind=AccountKind.PAYOUTS_IN_TRANSIT),
    ]

    assert [(a.code, a.normal_side, a.may_go_negative, a.balance) for a in made] == [
        ("gateway:sandbox", "debit", True, 0),
        (f"supplier:{supplier.pk}:payable:available", "credit", False, 0),
        (f"owner:{user.pk}:earnings:frozen", "credit", False, 0),
        (f"promoter:{user.pk}:commission:pending", "credit", False, 0),
        ("platform:fee", "credit", True, 0),
        (f"buyer:{user.pk}:refunds", "credit", False, 0),
        ("payouts:in_transit", "debit", True, 0),
    ]
    assert set(accounts_of_user(user)) == set(made[2:4] + made[5:6])
    assert list(accounts_of_supplier(supplier)) == [made[1]]


def test_the_same_account_is_found_again_not_made_twice():
    user = make_user()

    first = ledger.account_for(kind=AccountKind.OWNER_EARNINGS, user=user, bucket="available")
    again = ledger.account_for(kind=AccountKind.OWNER_EARNINGS, user=user, bucket="available")

    assert first.pk == again.pk
    assert Account.objects.count() == 1


def test_another_currency_is_another_account():
    user = make_user()

    cny = ledger.account_for(kind=AccountKind.BUYER_REFUNDS, user=user)
    usd = ledger.account_for(kind=AccountKind.BUYER_REFUNDS, user=user, currency="USD")

    assert (cny.code, usd.code) == (f"buyer:{user.pk}:refunds", f"buyer:{user.pk}:refunds:USD")
    assert usd.currency == "USD"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "wallet"},
        {"kind": AccountKind.OWNER_EARNINGS, "with_user": True},  # no bucket
        {"kind": AccountKind.OWNER_EARNINGS, "with_user": True, "bucket": "spare"},
        {"kind": AccountKind.OWNER_EARNINGS, "bucket": "available"},  # no owner
        {"kind": AccountKind.BUYER_REFUNDS, "with_user": True, "bucket": "available"},
        {"kind": AccountKind.PLATFORM_FEE, "with_user": True},
        {"kind": AccountKind.GATEWAY_CLEARING},
        {"kind": AccountKind.GATEWAY_CLEARING, "gateway": "sand box"},
        {"kind": AccountKind.PLATFORM_FEE, "currency": "cny"},
    ],
)
def test_an_account_that_cannot_exist_is_refused(kwargs):
    if kwargs.pop("with_user", False):
        kwargs["user"] = make_user()

    with pytest.raises(ValidationFailed) as refused:
        ledger.account_for(**kwargs)

    assert refused.value.status == 400
    assert not Account.objects.exists()

"""Accounts: sign-up with email or mobile, login rate limits, passwords, roles, API tokens."""

from __future__ import annotations

import hashlib

import pytest
from django.test import RequestFactory

from tests.factories import PASSWORD, make_user
from vshop.accounts import services
from vshop.accounts.errors import AccountExists, BadPassword, InvalidCredentials, LoginRateLimited
from vshop.accounts.models import ApiToken, Role, User
from vshop.errors import NotFound, ValidationFailed

pytestmark = pytest.mark.django_db


def _request(ip: str = "10.0.0.1"):
    request = RequestFactory().post("/accounts/login/")
    request.META["REMOTE_ADDR"] = ip
    return request


def test_sign_up_with_mobile_stores_e164_and_makes_a_fan():
    user = services.account_sign_up(identifier="138 0013 8000", password=PASSWORD)

    assert user.mobile == "+8613800138000"
    assert user.email is None
    assert user.has_role(Role.FAN)


def test_sign_up_with_email_lowercases_the_domain():
    user = services.account_sign_up(identifier="Lily@Example.COM", password=PASSWORD)

    assert user.email == "Lily@example.com"


@pytest.mark.parametrize(
    "identifier",
    ["", "not-an-email@", "12345", "+86 123"],
    ids=["empty", "bad-email", "short", "bad-mobile"],
)
def test_sign_up_refuses_bad_identifiers_and_writes_nothing(identifier):
    with pytest.raises(ValidationFailed):
        services.account_sign_up(identifier=identifier, password=PASSWORD)

    assert User.objects.count() == 0


def test_sign_up_refuses_a_weak_password():
    with pytest.raises(BadPassword):
        services.account_sign_up(identifier="a@example.com", password="12345678")

    assert User.objects.count() == 0


def test_sign_up_twice_with_the_same_mobile_is_a_conflict():
    services.account_sign_up(identifier="13800138000", password=PASSWORD)

    with pytest.raises(AccountExists):
        services.account_sign_up(identifier="+86 138-0013-8000", password=PASSWORD)


def test_log_in_with_email_or_mobile():
    user = services.account_sign_up(identifier="13800138000", password=PASSWORD)
    other = services.account_sign_up(identifier="mum@example.com", password=PASSWORD)

    assert (
        services.account_log_in_check(
            request=_request(), identifier="13800138000", password=PASSWORD
        )
        == user
    )
    assert (
        services.account_log_in_check(
            request=_request(), identifier="mum@example.com", password=PASSWORD
        )
        == other
    )


def test_login_is_refused_with_429_after_repeated_failures_even_with_the_right_password(settings):
    settings.VSHOP_LOGIN_FAILURE_LIMIT = 3
    services.account_sign_up(identifier="mum@example.com", password=PASSWORD)
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            services.account_log_in_check(
                request=_request(), identifier="mum@example.com", password="wrong"
            )

    with pytest.raises(LoginRateLimited) as exc:
        services.account_log_in_check(
            request=_request(), identifier="mum@example.com", password=PASSWORD
        )

    assert exc.value.status == 429


def test_failures_from_one_address_against_many_accounts_are_limited_too(settings):
    settings.VSHOP_LOGIN_FAILURE_LIMIT = 2  # per address: 4 times as many
    for n in range(8):
        with pytest.raises(InvalidCredentials):
            services.account_log_in_check(
                request=_request("10.9.9.9"), identifier=f"x{n}@example.com", password="x"
            )

    with pytest.raises(LoginRateLimited):
        services.account_log_in_check(
            request=_request("10.9.9.9"), identifier="new@example.com", password="x"
        )


def test_change_password_needs_the_current_one():
    user = make_user()
    with pytest.raises(InvalidCredentials):
        services.account_change_password(
            user=user, old_password="nope", new_password="Another-horse-7"
        )

    services.account_change_password(
        user=user, old_password=PASSWORD, new_password="Another-horse-7"
    )

    user.refresh_from_db()
    assert user.check_password("Another-horse-7")


def test_one_account_holds_several_roles():
    user = make_user()
    services.role_grant(user=user, role=Role.SHOP_OWNER)
    services.role_grant(user=user, role=Role.SHOP_OWNER)

    assert User.objects.get(pk=user.pk).role_set() == {Role.FAN, Role.SHOP_OWNER}


def test_api_token_is_stored_hashed_and_authenticates_until_revoked():
    user = make_user()
    token, raw = services.api_token_create(user=user, name="mini-program")

    assert raw.startswith("vs_")
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in (stored.key_hash, stored.prefix)
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert services.api_token_authenticate(raw) == user

    services.api_token_revoke(user=user, token_id=token.pk)

    assert services.api_token_authenticate(raw) is None


def test_a_token_cannot_be_revoked_by_another_account():
    owner, stranger = make_user(), make_user()
    token, raw = services.api_token_create(user=owner, name="app")

    with pytest.raises(NotFound):
        services.api_token_revoke(user=stranger, token_id=token.pk)

    assert services.api_token_authenticate(raw) == owner

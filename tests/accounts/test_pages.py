"""Account pages: sign-up, login (rate limited), logout, password, the "me" page, API tokens."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, make_shop, make_user
from vshop.accounts.models import ApiToken, User

pytestmark = pytest.mark.django_db


def test_sign_up_logs_in_and_goes_on_to_open_a_shop(client):
    # given a brand-new visitor
    # when she signs up with her mobile number
    response = client.post(
        reverse("accounts:signup"),
        {"identifier": "138 0013 8000", "password": PASSWORD, "display_name": "Lily's Mum"},
    )
    # then she is logged in and sent to open her shop
    assert response.status_code == 302
    assert response["Location"] == reverse("shops:open")
    user = User.objects.get(mobile="+8613800138000")
    assert user.display_name == "Lily's Mum"
    assert client.get(reverse("accounts:me")).status_code == 200


def test_sign_up_goes_back_to_a_safe_next_page_only(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "identifier": "a@example.com",
            "password": PASSWORD,
            "display_name": "A",
            "next": "/s/lily-picks/",
        },
    )
    assert response["Location"] == "/s/lily-picks/"
    client.logout()
    response = client.post(
        reverse("accounts:signup"),
        {
            "identifier": "b@example.com",
            "password": PASSWORD,
            "display_name": "B",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == reverse("shops:open")


def test_sign_up_page_renders_with_the_testid_of_its_submit_button(client):
    response = client.get(reverse("accounts:signup"))
    assert response.status_code == 200
    assert b'data-testid="signup-submit"' in response.content
    assert b'<label for="id_identifier"' in response.content


def test_sign_up_with_a_taken_email_is_409_and_creates_nothing(client):
    make_user("taken@example.com")
    before = User.objects.count()
    response = client.post(
        reverse("accounts:signup"),
        {"identifier": "taken@example.com", "password": PASSWORD, "display_name": "X"},
    )
    assert response.status_code == 409
    assert "already exists" in response.content.decode()
    assert User.objects.count() == before


def test_sign_up_with_a_weak_password_is_400_with_the_reason(client):
    response = client.post(
        reverse("accounts:signup"),
        {"identifier": "new@example.com", "password": "12345678", "display_name": "X"},
    )
    assert response.status_code == 400
    assert not User.objects.filter(email="new@example.com").exists()


def test_sign_up_with_a_missing_field_is_400(client):
    response = client.post(reverse("accounts:signup"), {"identifier": "", "password": PASSWORD})
    assert response.status_code == 400
    assert User.objects.count() == 0


def test_log_in_with_email_then_log_out(client):
    # given an account
    make_user("lily@example.com")
    # when she logs in with her email
    response = client.post(
        reverse("accounts:login"), {"identifier": "lily@example.com", "password": PASSWORD}
    )
    # then she lands on her "me" page
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:me")
    # and logging out needs a POST
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("accounts:me")).status_code == 302


def test_log_in_with_mobile_number(client):
    make_user("13800138000")
    response = client.post(
        reverse("accounts:login"), {"identifier": "13800138000", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_wrong_password_is_401_with_a_message(client):
    make_user("lily@example.com")
    response = client.post(
        reverse("accounts:login"), {"identifier": "lily@example.com", "password": "nope-nope-1"}
    )
    assert response.status_code == 401
    assert "not right" in response.content.decode()


def test_repeated_failed_logins_are_429_even_with_the_right_password(client, settings):
    # given an account and a limit of 3 failures
    settings.VSHOP_LOGIN_FAILURE_LIMIT = 3
    make_user("lily@example.com")
    url = reverse("accounts:login")
    for _ in range(3):
        client.post(url, {"identifier": "lily@example.com", "password": "wrong-pass-1"})
    # when the right password comes after the limit
    response = client.post(url, {"identifier": "lily@example.com", "password": PASSWORD})
    # then it is refused with 429 and the message on the page, and she is not logged in
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_change_password(client):
    user = make_user("lily@example.com")
    client.force_login(user)
    response = client.post(
        reverse("accounts:password"),
        {"old_password": PASSWORD, "new_password": "Another-horse-7"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Another-horse-7")
    # the session survives the change
    assert client.get(reverse("accounts:me")).status_code == 200


def test_change_password_with_a_wrong_current_password_changes_nothing(client):
    user = make_user("lily@example.com")
    client.force_login(user)
    response = client.post(
        reverse("accounts:password"),
        {"old_password": "not-it-at-all", "new_password": "Another-horse-7"},
    )
    assert response.status_code == 401
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_me_page_shows_roles_and_links_to_her_shop(client):
    shop = make_shop(slug="lily-picks")
    client.force_login(shop.owner)
    body = client.get(reverse("accounts:me")).content.decode()
    assert shop.name in body
    assert "Shop owner" in body or "店主" in body
    assert reverse("accounts:tokens") in body
    assert reverse("catalog:apply") in body


def test_me_needs_login(client):
    response = client.get(reverse("accounts:me"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_api_token_is_shown_once_and_only_its_hash_is_kept(client):
    # given a logged-in account
    user = make_user()
    client.force_login(user)
    # when she creates a token
    response = client.post(reverse("accounts:tokens"), {"name": "mini-program"})
    # then the raw token is on this answer, and only its hash is stored
    assert response.status_code == 201
    raw = response.context["raw_token"]
    assert raw.startswith("vs_") and raw in response.content.decode()
    token = ApiToken.objects.get(user=user)
    assert token.key_hash != raw
    # and the list shows the prefix but never the secret again
    listing = client.get(reverse("accounts:tokens")).content.decode()
    assert token.prefix in listing and raw not in listing


def test_api_token_needs_a_name(client):
    client.force_login(make_user())
    response = client.post(reverse("accounts:tokens"), {"name": ""})
    assert response.status_code == 400
    assert ApiToken.objects.count() == 0


def test_revoke_a_token(client):
    user = make_user()
    client.force_login(user)
    client.post(reverse("accounts:tokens"), {"name": "script"})
    token = ApiToken.objects.get(user=user)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_another_account_cannot_revoke_my_token(client):
    # given her token
    owner = make_user()
    client.force_login(owner)
    client.post(reverse("accounts:tokens"), {"name": "script"})
    token = ApiToken.objects.get(user=owner)
    # when another account tries to revoke it
    client.force_login(make_user())
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    # then it is not found and the token still works
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    # and it does not show in the other account's list
    assert token.prefix not in client.get(reverse("accounts:tokens")).content.decode()

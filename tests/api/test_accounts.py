"""Accounts through the API: sign-up, login (rate limited), logout, password, API tokens, CSRF."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client

from tests.api.conftest import client_for
from tests.factories import PASSWORD, make_user
from vshop.accounts.models import ApiToken, User

pytestmark = pytest.mark.django_db


def test_sign_up_creates_a_fan_and_logs_in(anon):
    # when
    resp = anon.post(
        "/api/accounts/signup",
        {"identifier": "mei@example.com", "password": PASSWORD, "display_name": "Mei"},
    )
    # then
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["account"]["email"] == "mei@example.com"
    assert body["account"]["roles"] == ["fan"]
    assert body["csrf_token"]
    assert anon.get("/api/me").json()["display_name"] == "Mei"


def test_sign_up_with_a_mobile_number(anon):
    resp = anon.post("/api/accounts/signup", {"identifier": "13800138001", "password": PASSWORD})
    assert resp.status_code == 201
    assert resp.json()["account"]["mobile"] == "+8613800138001"


def test_sign_up_twice_is_a_conflict_and_writes_nothing(anon):
    # given
    make_user("mei@example.com")
    # when
    resp = anon.post(
        "/api/accounts/signup", {"identifier": "mei@example.com", "password": PASSWORD}
    )
    # then
    assert resp.status_code == 409
    assert resp.json()["code"] == "account_exists"
    assert User.objects.filter(email="mei@example.com").count() == 1


def test_sign_up_with_a_weak_password_says_why(anon):
    resp = anon.post("/api/accounts/signup", {"identifier": "a@example.com", "password": "123"})
    assert resp.status_code == 400
    assert resp.json()["field"] == "password"
    assert resp.json()["message"]
    assert not User.objects.filter(email="a@example.com").exists()


def test_sign_up_without_a_password_is_422_with_the_field(anon):
    resp = anon.post("/api/accounts/signup", {"identifier": "a@example.com"})
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "invalid"
    assert body["field"] == "password"
    assert "password" in body["message"]


def test_sign_up_refuses_fields_it_does_not_know(anon):
    resp = anon.post(
        "/api/accounts/signup",
        {"identifier": "a@example.com", "password": PASSWORD, "is_staff": True},
    )
    assert resp.status_code == 422
    assert resp.json()["field"] == "is_staff"
    assert not User.objects.filter(email="a@example.com").exists()


def test_a_body_that_is_not_json_is_a_4xx(anon):
    resp = anon.post("/api/accounts/login", "{not json", content_type="application/json")
    assert 400 <= resp.status_code < 500
    assert resp.json()["code"]


def test_login_with_email_starts_a_session(anon):
    # given
    make_user("mei@example.com")
    # when
    resp = anon.post("/api/accounts/login", {"identifier": "mei@example.com", "password": PASSWORD})
    # then
    assert resp.status_code == 200
    assert resp.json()["account"]["email"] == "mei@example.com"
    assert anon.get("/api/me").status_code == 200


def test_login_with_a_wrong_password_is_401(anon):
    make_user("mei@example.com")
    resp = anon.post("/api/accounts/login", {"identifier": "mei@example.com", "password": "nope"})
    assert resp.status_code == 401
    assert resp.json()["code"] == "invalid_credentials"
    assert anon.get("/api/me").status_code == 401


def test_login_is_refused_with_429_after_repeated_failures(anon, settings):
    # given
    settings.VSHOP_LOGIN_FAILURE_LIMIT = 3
    make_user("mei@example.com")
    for _ in range(3):
        anon.post("/api/accounts/login", {"identifier": "mei@example.com", "password": "bad"})
    # when: even the right password
    resp = anon.post("/api/accounts/login", {"identifier": "mei@example.com", "password": PASSWORD})
    # then
    assert resp.status_code == 429
    assert resp.json()["code"] == "login_rate_limited"
    assert anon.get("/api/me").status_code == 401


def test_login_and_signup_need_no_csrf_token_but_session_writes_do():
    # given: a browser-like client that enforces CSRF
    make_user("mei@example.com")
    browser = Client(enforce_csrf_checks=True)
    # when
    login = browser.post(
        "/api/accounts/login",
        {"identifier": "mei@example.com", "password": PASSWORD},
        content_type="application/json",
    )
    # then
    assert login.status_code == 200
    without = browser.post("/api/me/tokens", {"name": "app"}, content_type="application/json")
    assert without.status_code == 403
    assert without.json()["code"] == "csrf_failed"
    assert not ApiToken.objects.exists()
    with_token = browser.post(
        "/api/me/tokens",
        {"name": "app"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value,
    )
    assert with_token.status_code == 201
    signup = Client(enforce_csrf_checks=True).post(
        "/api/accounts/signup",
        {"identifier": "new@example.com", "password": PASSWORD},
        content_type="application/json",
    )
    assert signup.status_code == 201


def test_a_request_without_any_credentials_is_401_not_a_csrf_error():
    resp = Client(enforce_csrf_checks=True).post(
        "/api/shops", {"name": "x", "slug": "xyz"}, content_type="application/json"
    )
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


def test_logout_ends_the_session(fan_client):
    resp = fan_client.post("/api/accounts/logout")
    assert resp.status_code == 204
    assert fan_client.get("/api/me").status_code == 401


def test_me_shows_the_roles(owner_client):
    body = owner_client.get("/api/me").json()
    assert body["roles"] == ["fan", "shop_owner"]


def test_profile_update(fan_client):
    resp = fan_client.patch("/api/me", {"display_name": "Mei Mei", "time_zone": "Europe/Paris"})
    assert resp.status_code == 200
    assert resp.json()["display_name"] == "Mei Mei"
    assert resp.json()["time_zone"] == "Europe/Paris"


def test_profile_update_refuses_an_unknown_time_zone(fan_client, fan):
    resp = fan_client.patch("/api/me", {"time_zone": "Mars/Olympus"})
    assert resp.status_code == 400
    fan.refresh_from_db()
    assert fan.time_zone == "Asia/Shanghai"


def test_password_change_keeps_the_session_and_the_new_password_works(fan_client, fan):
    # when
    resp = fan_client.post(
        "/api/me/password", {"old_password": PASSWORD, "new_password": "Another-horse-7"}
    )
    # then
    assert resp.status_code == 204
    assert fan_client.get("/api/me").status_code == 200
    fan.refresh_from_db()
    assert fan.check_password("Another-horse-7")


def test_password_change_with_a_wrong_old_password_changes_nothing(fan_client, fan):
    resp = fan_client.post(
        "/api/me/password", {"old_password": "wrong", "new_password": "Another-horse-7"}
    )
    assert resp.status_code == 401
    assert resp.json()["field"] == "old_password"
    fan.refresh_from_db()
    assert fan.check_password(PASSWORD)


def test_token_is_shown_once_stored_hashed_used_and_revoked(fan_client, fan):
    # given: a token created with the session
    created = fan_client.post("/api/me/tokens", {"name": "mini-program"})
    assert created.status_code == 201
    raw = created.json()["token"]
    token = ApiToken.objects.get(pk=created.json()["id"])
    # then: only its hash is stored
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {token.key_hash, token.prefix, token.name}
    listed = fan_client.get("/api/me/tokens").json()
    assert listed["count"] == 1
    assert "token" not in listed["items"][0]
    # when: a client without cookies uses it, also for writes, without CSRF
    app = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert app.get("/api/me").json()["id"] == fan.pk
    assert (
        app.patch(
            "/api/me", {"display_name": "From app"}, content_type="application/json"
        ).status_code
        == 200
    )
    # when: she revokes it
    assert fan_client.delete(f"/api/me/tokens/{token.pk}").status_code == 204
    # then
    resp = app.get("/api/me")
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


def test_a_made_up_token_is_401(anon):
    resp = anon.get("/api/me", HTTP_AUTHORIZATION="Bearer vs_deadbeef_nothing")
    assert resp.status_code == 401


def test_token_without_a_name_is_refused(fan_client):
    resp = fan_client.post("/api/me/tokens", {"name": "  "})
    assert resp.status_code == 400
    assert resp.json()["field"] == "name"
    assert not ApiToken.objects.exists()


def test_nobody_can_revoke_another_accounts_token(fan_client, fan):
    # given
    other = make_user()
    theirs = client_for(other).post("/api/me/tokens", {"name": "theirs"}).json()
    # when
    resp = fan_client.delete(f"/api/me/tokens/{theirs['id']}")
    # then
    assert resp.status_code == 404
    assert ApiToken.objects.get(pk=theirs["id"]).revoked_at is None
    assert fan_client.get("/api/me/tokens").json()["count"] == 0

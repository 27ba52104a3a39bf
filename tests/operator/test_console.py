"""The operator console at /operator/: who may enter, how operators log in, and that every page
of it renders (list, search, filters, a row) for real data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, make_listing, make_user
from vshop.accounts import services as accounts
from vshop.accounts.models import ApiToken, User
from vshop.fans.services import fan_follow

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "accounts_user",
    "accounts_apitoken",
    "catalog_supplier",
    "catalog_category",
    "catalog_product",
    "inventory_stock",
    "shops_shop",
    "shops_listing",
    "fans_follow",
]


def test_anonymous_visitor_is_sent_to_the_console_login(client):
    response = client.get("/operator/")
    assert response.status_code == 302
    assert response["Location"].startswith("/operator/login/")


@pytest.mark.parametrize(
    "page", ["/operator/", "/operator/catalog/supplier/", "/operator/shops/shop/"]
)
def test_fans_shop_owners_and_suppliers_cannot_reach_the_console(client, shop, supplier, page):
    # given accounts that hold every role but the operator's
    for user in (make_user(name="A fan"), shop.owner, supplier.owner):
        client.force_login(user)
        # when they open the console, then they are sent to its login page
        response = client.get(page)
        assert response.status_code == 302, user
        assert response["Location"].startswith("/operator/login/")


def test_non_staff_cannot_log_in_to_the_console_even_with_the_right_password(client):
    make_user("owner@example.com")
    response = client.post(
        "/operator/login/", {"username": "owner@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in client.session


def test_operator_logs_in_with_a_mobile_number_as_typed(client):
    accounts.operator_create(identifier="139 1234 5678", password=PASSWORD)
    response = client.post("/operator/login/", {"username": "13912345678", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/operator/").status_code == 200


def test_console_login_is_rate_limited_like_the_site_login(client, settings):
    settings.VSHOP_LOGIN_FAILURE_LIMIT = 3
    accounts.operator_create(identifier="boss@example.com", password=PASSWORD)
    for _ in range(3):
        client.post("/operator/login/", {"username": "boss@example.com", "password": "wrong-1"})
    # the right password is refused too, until the window passes
    response = client.post(
        "/operator/login/", {"username": "boss@example.com", "password": PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert "Too many" in response.content.decode() or "太多" in response.content.decode()


@pytest.mark.parametrize("model", CHANGELISTS)
def test_every_console_list_and_row_renders(client, operator, listing, fan, model):
    # given some of everything
    fan_follow(fan=fan, shop=listing.shop)
    accounts.api_token_create(user=fan, name="phone")
    client.force_login(operator)
    url = reverse(f"admin:{model}_changelist")
    # when the operator opens the list, searches it and opens the first row
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "a"}).status_code == 200
    row = client.get(url).context["cl"].result_list[0]
    response = client.get(reverse(f"admin:{model}_change", args=[row.pk]))
    # then every page renders
    assert response.status_code == 200


def test_api_tokens_never_show_their_hash(client, operator, fan):
    token, raw = accounts.api_token_create(user=fan, name="phone")
    client.force_login(operator)
    for url in (
        reverse("admin:accounts_apitoken_changelist"),
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
    ):
        body = client.get(url).content.decode()
        assert token.key_hash not in body
        assert raw not in body
        assert token.prefix in body


def test_operator_revokes_a_leaked_token_through_the_service(client, operator, fan):
    token, _raw = accounts.api_token_create(user=fan, name="leaked")
    client.force_login(operator)
    client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_operator_creates_another_operator_who_can_use_the_console(client, operator):
    client.force_login(operator)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "identifier": "second.op@example.com",
            "display_name": "Second",
            "password": PASSWORD,
            "make_operator": "on",
        },
    )
    assert response.status_code == 302
    created = User.objects.get(email="second.op@example.com")
    assert created.is_staff and created.check_password(PASSWORD)
    assert created.has_role("operator") and created.has_role("fan")


def test_creating_an_account_with_a_weak_password_writes_nothing(client, operator):
    client.force_login(operator)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {"identifier": "weak@example.com", "display_name": "", "password": "123"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="weak@example.com").exists()


def test_editing_an_account_normalises_its_mobile_number(client, operator, fan):
    client.force_login(operator)
    url = reverse("admin:accounts_user_change", args=[fan.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(mobile="139 8765 4321", date_joined_0="2025-01-01", date_joined_1="00:00:00")
    for key in ("groups", "user_permissions", "date_joined", "last_login"):
        data.pop(key, None)
    role = fan.roles.get()
    # the read-only roles inline still posts its management form and its one row
    data.update(
        {
            "roles-TOTAL_FORMS": "1",
            "roles-INITIAL_FORMS": "1",
            "roles-MIN_NUM_FORMS": "0",
            "roles-MAX_NUM_FORMS": "1000",
            "roles-0-id": str(role.pk),
            "roles-0-user": str(fan.pk),
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    fan.refresh_from_db()
    assert fan.mobile == "+8613987654321"


def test_operator_sees_listing_prices_with_bounds_and_margin(client, operator, shop, product):
    listing = make_listing(shop, product)
    client.force_login(operator)
    body = client.get(reverse("admin:shops_listing_change", args=[listing.pk])).content.decode()
    assert "¥19.90" in body  # the suggested retail price the listing took
    assert "¥9.90" in body  # the owner's margin: 19.90 − 10.00


def test_product_page_shows_each_sku_with_bounds_and_stock(client, operator, product):
    client.force_login(operator)
    body = client.get(reverse("admin:catalog_product_change", args=[product.pk])).content.decode()
    assert "RED-M" in body and "BLUE-L" in body
    assert "¥10" in body and "¥15" in body and "¥30" in body  # supply, minimum, maximum
    stock_cell = body[body.index('class="field-in_stock"') :].split("</td>")[0]
    assert "<p>10</p>" in stock_cell

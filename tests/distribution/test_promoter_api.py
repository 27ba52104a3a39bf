"""The promoters API: the owner's promoter list and decisions, joining a shop, a shop's public
terms, and the promoter's own roles, orders and balances. Every endpoint is scoped: another
owner gets 404 and changes nothing; a promoter sees only her own rows."""

from __future__ import annotations

import pytest

from tests.api.conftest import client_for
from tests.buying import pay, place
from tests.distribution.test_promoters import make_promoter, rows, set_programme, share_link, visit
from tests.factories import make_user
from vshop.distribution import services
from vshop.distribution.models import ListingCommission, Programme, Promoter

pytestmark = pytest.mark.django_db


def snapshot() -> tuple:
    return (
        rows(),
        list(Programme.objects.order_by("pk").values_list("shop_id", "levels", "level1_rate")),
        list(ListingCommission.objects.order_by("pk").values_list("listing_id", "level1_rate")),
    )


@pytest.fixture
def applicant(shop):
    set_programme(shop, join_policy="application")
    return services.promoter_join(user=make_user(name="Mei"), shop=shop, message="hi")


# --- the owner ------------------------------------------------------------------------------


def test_owner_lists_her_promoters_with_orders_and_commission(shop, listing):
    promoter = make_promoter(shop)
    buyer = make_user()
    visit(promoter.user, shop, visitor=buyer)
    pay(place(buyer, listing))
    set_programme(shop, join_policy="application")
    services.promoter_join(user=make_user(), shop=shop)
    api = client_for(shop.owner)
    body = api.get(f"/api/shops/{shop.slug}/promoters").json()
    assert body["count"] == 2
    active = api.get(f"/api/shops/{shop.slug}/promoters", {"status": "active"}).json()
    (item,) = active["items"]
    assert (item["id"], item["orders_count"], item["commission_earned"]) == (promoter.pk, 1, 99)
    assert item["name"] == promoter.user.name
    paged = api.get(f"/api/shops/{shop.slug}/promoters", {"page_size": 1, "page": 2}).json()
    assert (paged["pages"], len(paged["items"])) == (2, 1)
    bad = api.get(f"/api/shops/{shop.slug}/promoters", {"status": "everybody"})
    assert bad.status_code == 422


def test_owner_approves_rejects_and_removes(shop, applicant):
    api = client_for(shop.owner)
    base = f"/api/shops/{shop.slug}/promoters"
    response = api.post(f"{base}/{applicant.pk}/approve", {"note": "Welcome"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active"
    assert api.post(f"{base}/{applicant.pk}/reject", {}).status_code == 409
    response = api.post(f"{base}/{applicant.pk}/remove", {"note": "Bye"})
    assert response.json()["status"] == "removed"
    assert response.json()["decision_note"] == "Bye"
    other = services.promoter_join(user=make_user(), shop=shop)
    assert api.post(f"{base}/{other.pk}/reject", {}).json()["status"] == "rejected"


def test_a_decision_with_a_long_note_is_refused(shop, applicant):
    api = client_for(shop.owner)
    url = f"/api/shops/{shop.slug}/promoters/{applicant.pk}/approve"
    assert api.post(url, {"note": "x" * 301}).status_code == 400
    assert api.post(url, {"note": "ok", "status": "active"}).status_code == 422
    assert Promoter.objects.get(pk=applicant.pk).status == "applied"


# --- isolation: every owner endpoint --------------------------------------------------------

OWNER_ENDPOINTS = [
    ("get", "/api/shops/{slug}/programme", None),
    ("put", "/api/shops/{slug}/programme", {"level1_rate": 9000}),
    ("get", "/api/shops/{slug}/promoters", None),
    ("post", "/api/shops/{slug}/promoters/{promoter}/approve", {}),
    ("post", "/api/shops/{slug}/promoters/{promoter}/reject", {}),
    ("post", "/api/shops/{slug}/promoters/{promoter}/remove", {}),
    ("get", "/api/listings/{listing}/commission", None),
    ("put", "/api/listings/{listing}/commission", {"level1_rate": 9000}),
    ("delete", "/api/listings/{listing}/commission", None),
]


@pytest.mark.parametrize(("method", "path", "body"), OWNER_ENDPOINTS)
def test_another_owner_gets_404_and_changes_nothing(
    shop, listing, other_shop, applicant, method, path, body
):
    services.listing_commission_set(owner=shop.owner, listing_id=listing.pk, level1_rate=1500)
    before = snapshot()
    rival = client_for(other_shop.owner)
    url = path.format(slug=shop.slug, promoter=applicant.pk, listing=listing.pk)
    kwargs = {"content_type": "application/json"} if method == "put" else {}
    response = (
        getattr(rival, method)(url, body, **kwargs)
        if body is not None
        else getattr(rival, method)(url)
    )
    assert response.status_code == 404, response.content
    assert snapshot() == before


@pytest.mark.parametrize("action", ["approve", "reject", "remove"])
def test_another_shops_promoter_through_my_own_shop_is_404(shop, other_shop, applicant, action):
    rival = client_for(other_shop.owner)
    response = rival.post(f"/api/shops/{other_shop.slug}/promoters/{applicant.pk}/{action}", {})
    assert response.status_code == 404
    assert Promoter.objects.get(pk=applicant.pk).status == "applied"


@pytest.mark.parametrize(("method", "path", "body"), OWNER_ENDPOINTS)
def test_owner_endpoints_need_an_account(shop, listing, applicant, method, path, body):
    url = path.format(slug=shop.slug, promoter=applicant.pk, listing=listing.pk)
    response = getattr(client_for(None), method)(url)
    assert response.status_code == 401


# --- joining -----------------------------------------------------------------------------------


def test_join_through_the_api_is_idempotent(shop, fan):
    api = client_for(fan)
    url = f"/api/storefront/shops/{shop.slug}/promoter"
    response = api.post(url, {"message": "hi"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["shop_slug"], body["share_url"]) == (
        "active",
        shop.slug,
        f"/share/{shop.slug}/",
    )
    assert api.post(url, {}).json()["id"] == body["id"]
    assert Promoter.objects.count() == 1


def test_join_by_application_through_the_api(shop, fan):
    set_programme(shop, join_policy="application")
    response = client_for(fan).post(f"/api/storefront/shops/{shop.slug}/promoter", {})
    assert response.json()["status"] == "applied"


def test_join_with_an_invitation_code(shop, fan):
    inviter = make_promoter(shop)
    code = share_link(inviter.user, shop).code
    client_for(fan).post(f"/api/storefront/shops/{shop.slug}/promoter", {"recruiter_code": code})
    assert Promoter.objects.get(user=fan).recruiter_id == inviter.pk


@pytest.mark.parametrize(
    ("who", "payload", "status"),
    [
        ("owner", {}, 409),
        ("fan", {"recruiter_code": "nope"}, 400),
        ("fan", {"message": "x" * 301}, 400),
        ("fan", {"recruiter_id": 1}, 422),
        ("anon", {}, 401),
    ],
)
def test_join_refusals_write_nothing(shop, fan, who, payload, status):
    user = {"owner": shop.owner, "fan": fan, "anon": None}[who]
    response = client_for(user).post(f"/api/storefront/shops/{shop.slug}/promoter", payload)
    assert response.status_code == status, response.content
    assert rows() == []


def test_join_refuses_a_binding_loop(shop):
    a = make_promoter(shop)
    b = make_promoter(shop, recruiter=a)
    services.promoter_remove(owner=shop.owner, shop=shop, promoter_id=a.pk)
    before = rows()
    response = client_for(a.user).post(
        f"/api/storefront/shops/{shop.slug}/promoter",
        {"recruiter_code": share_link(b.user, shop).code},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "binding_loop"
    assert rows() == before


def test_join_after_purchase_without_one_is_409(shop, fan):
    set_programme(shop, join_policy="after_purchase")
    response = client_for(fan).post(f"/api/storefront/shops/{shop.slug}/promoter", {})
    assert response.status_code == 409
    assert "first purchase" in response.json()["message"]


def test_join_an_unknown_shop_is_404(fan):
    assert client_for(fan).post("/api/storefront/shops/no-such/promoter", {}).status_code == 404


def test_public_terms_of_a_shop(shop, fan):
    set_programme(shop, levels=2, level1_rate=1200, level2_rate=300)
    body = client_for(None).get(f"/api/storefront/shops/{shop.slug}/programme").json()
    assert (body["levels"], body["level1_rate"], body["level2_rate"]) == (2, 1200, 300)
    assert body["my_status"] is None and "attribution_model" not in body
    make_promoter(shop, fan)
    assert (
        client_for(fan).get(f"/api/storefront/shops/{shop.slug}/programme").json()["my_status"]
        == "active"
    )


# --- the promoter's own ------------------------------------------------------------------------


def test_my_roles_are_mine_only(shop, other_shop, fan):
    make_promoter(shop, fan)
    make_promoter(other_shop)
    roles = client_for(fan).get("/api/me/promoter-roles").json()
    assert [(r["shop_slug"], r["status"]) for r in roles] == [(shop.slug, "active")]
    assert client_for(make_user()).get("/api/me/promoter-roles").json() == []
    assert client_for(None).get("/api/me/promoter-roles").status_code == 401


def test_my_orders_and_balances_are_mine_only(shop, listing):
    promoter = make_promoter(shop)
    other = make_promoter(shop)
    buyer = make_user()
    visit(promoter.user, shop, visitor=buyer)
    order = pay(place(buyer, listing)).orders.get()
    mine = client_for(promoter.user).get("/api/me/promoter-orders").json()
    assert mine["count"] == 1
    (item,) = mine["items"]
    assert (item["number"], item["commission"], item["stage"], item["level"]) == (
        order.number,
        99,
        "pending",
        1,
    )
    assert client_for(other.user).get("/api/me/promoter-orders").json()["count"] == 0
    balances = client_for(promoter.user).get("/api/me/promoter-balances").json()
    assert balances == [{"currency": "CNY", "pending": 99, "frozen": 0, "available": 0}]
    assert client_for(other.user).get("/api/me/promoter-balances").json()[0]["pending"] == 0
    # the owner's money is not promoter commission
    assert client_for(shop.owner).get("/api/me/promoter-balances").json()[0]["pending"] == 0

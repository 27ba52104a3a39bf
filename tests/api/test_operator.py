"""Operators through the API: reviewing suppliers, suspending and verifying shops. Nobody else
may: every operator endpoint answers 403 to a shop owner, a supplier or a fan."""

from __future__ import annotations

import pytest

from tests.factories import make_supplier
from vshop.catalog.models import SupplierStatus
from vshop.shops.models import ShopStatus

pytestmark = pytest.mark.django_db


def test_list_pending_suppliers_and_approve_one(operator_client, operator):
    # given
    pending = make_supplier(approved=False)
    make_supplier(operator=operator)
    # when
    listed = operator_client.get("/api/operator/suppliers?status=pending").json()
    approved = operator_client.post(f"/api/operator/suppliers/{pending.pk}/approve")
    # then
    assert [s["id"] for s in listed["items"]] == [pending.pk]
    assert listed["items"][0]["owner"]["email"] == pending.owner.email
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    pending.refresh_from_db()
    assert pending.reviewed_by == operator
    assert pending.owner.has_role("supplier")


def test_reject_with_a_reason(operator_client):
    pending = make_supplier(approved=False)
    resp = operator_client.post(
        f"/api/operator/suppliers/{pending.pk}/reject", {"reason": "Licence does not match"}
    )
    assert resp.json()["status"] == "rejected"
    assert resp.json()["status_reason"] == "Licence does not match"


def test_an_approved_supplier_is_suspended_not_rejected(operator_client, supplier):
    refused = operator_client.post(f"/api/operator/suppliers/{supplier.pk}/reject", {"reason": "x"})
    assert refused.status_code == 400
    suspended = operator_client.post(
        f"/api/operator/suppliers/{supplier.pk}/suspend", {"reason": "complaints"}
    )
    assert suspended.json()["status"] == "suspended"


def test_an_unknown_status_filter_is_422(operator_client):
    assert operator_client.get("/api/operator/suppliers?status=maybe").status_code == 422


def test_an_unknown_supplier_is_404(operator_client):
    assert operator_client.post("/api/operator/suppliers/999999/approve").status_code == 404


def test_suspend_reinstate_and_verify_a_shop(operator_client, shop):
    suspended = operator_client.post(f"/api/operator/shops/{shop.pk}/suspend", {"reason": "fakes"})
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["status_reason"] == "fakes"
    reinstated = operator_client.post(f"/api/operator/shops/{shop.pk}/reinstate")
    assert reinstated.json()["status"] == "active"
    verified = operator_client.post(f"/api/operator/shops/{shop.pk}/verify", {"verified": True})
    assert verified.json()["is_verified"] is True


def test_verify_needs_a_boolean(operator_client, shop):
    resp = operator_client.post(f"/api/operator/shops/{shop.pk}/verify", {"verified": "perhaps"})
    assert resp.status_code == 422
    assert resp.json()["field"] == "verified"


OPERATOR_ENDPOINTS = [
    ("get", "/api/operator/suppliers?status=pending", None),
    ("post", "/api/operator/suppliers/{supplier}/approve", None),
    ("post", "/api/operator/suppliers/{supplier}/reject", {"reason": "x"}),
    ("post", "/api/operator/suppliers/{supplier}/suspend", {"reason": "x"}),
    ("post", "/api/operator/shops/{shop}/suspend", {"reason": "x"}),
    ("post", "/api/operator/shops/{shop}/reinstate", None),
    ("post", "/api/operator/shops/{shop}/verify", {"verified": True}),
]


@pytest.mark.parametrize(("method", "path", "body"), OPERATOR_ENDPOINTS)
@pytest.mark.parametrize("who", ["owner_client", "supplier_client", "fan_client"])
def test_operator_endpoints_refuse_everybody_else(request, shop, method, path, body, who):
    # given
    pending = make_supplier(approved=False)
    client = request.getfixturevalue(who)
    # when
    url = path.format(supplier=pending.pk, shop=shop.pk)
    resp = getattr(client, method)(url, body) if body else getattr(client, method)(url)
    # then
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"
    pending.refresh_from_db()
    shop.refresh_from_db()
    assert pending.status == SupplierStatus.PENDING
    assert (shop.status, shop.is_verified) == (ShopStatus.ACTIVE, False)


@pytest.mark.parametrize(("method", "path", "body"), OPERATOR_ENDPOINTS)
def test_operator_endpoints_need_a_login(anon, shop, method, path, body):
    url = path.format(supplier=1, shop=shop.pk)
    resp = getattr(anon, method)(url, body) if body else getattr(anon, method)(url)
    assert resp.status_code == 401

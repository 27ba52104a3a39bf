"""The money API: balances, statement (JSON and CSV), withdrawals, and the operator's review;
each endpoint scoped to the caller."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import TestCase

from tests.api.conftest import client_for
from tests.factories import make_supplier, make_user
from tests.payouts.money import (
    balance,
    commission,
    earnings,
    held,
    owe,
    payable,
    seed,
    sell_and_complete,
)
from vshop.ledger.models import Transaction
from vshop.payments.models import SandboxPayout
from vshop.payouts.models import Withdrawal

pytestmark = pytest.mark.django_db


def withdraw(client, amount=3000, role="owner", **extra):
    body = {"role": role, "amount": amount, "payee": "wx-lily", "payee_name": "Li Li", **extra}
    return client.post("/api/withdrawals", body)


@pytest.fixture
def owner(db):
    user = make_user(name="Lily")
    seed(earnings(user), 5000)
    return user


# --- balances and statement ------------------------------------------------------------------


def test_balances_show_each_role_with_pending_frozen_available_and_debt(shop, supplier):
    sell_and_complete(shop, supplier)
    seed(commission(shop.owner), 700)
    owe(shop.owner, 200, earnings(shop.owner))
    body = client_for(shop.owner).get("/api/me/balances").json()
    roles = {r["role"]: r for r in body["roles"]}
    assert set(roles) == {"owner", "promoter"}
    assert roles["owner"]["available"] == balance(earnings(shop.owner)) > 0
    assert roles["owner"]["pending"] == roles["owner"]["frozen"] == 0
    assert roles["owner"]["debt"] == 200
    assert roles["owner"]["withdrawable"] == roles["owner"]["available"] - 200
    assert roles["promoter"]["available"] == 700
    assert body["supplier"] is None
    assert body["withdrawal_minimum"] == 1000
    # the supplier sees its payable under "supplier", and no owner role
    supplier_body = client_for(supplier.owner).get("/api/me/balances").json()
    assert supplier_body["roles"] == []
    assert supplier_body["supplier"]["available"] == balance(payable(supplier))


def test_a_fan_with_no_money_has_empty_balances_and_statement(fan):
    client = client_for(fan)
    assert client.get("/api/me/balances").json()["roles"] == []
    assert client.get("/api/me/statement").json() == {
        "items": [],
        "count": 0,
        "page": 1,
        "pages": 1,
    }


def test_statement_lists_her_entries_newest_first_with_running_balances(owner):
    client = client_for(owner)
    withdraw(client, 3000)
    body = client.get("/api/me/statement").json()
    assert body["count"] == 2
    newest, oldest = body["items"]
    assert (newest["change"], newest["balance"], newest["kind"]) == (-3000, 2000, "payout")
    assert (oldest["change"], oldest["balance"]) == (5000, 5000)
    assert newest["account_label"] == "Shop owner earnings · Available"
    assert newest["reference"].startswith("withdrawal:W")
    paged = client.get("/api/me/statement?page=2&page_size=1").json()
    assert paged["pages"] == 2
    assert paged["items"][0]["change"] == 5000


def test_statement_filters_by_date(owner):
    from django.utils import timezone

    client = client_for(owner)
    today = timezone.localdate()
    assert client.get(f"/api/me/statement?since={today}&until={today}").json()["count"] == 1
    yesterday = today.fromordinal(today.toordinal() - 1)
    assert client.get(f"/api/me/statement?until={yesterday}").json()["count"] == 0
    bad = client.get(f"/api/me/statement?since={today}&until={yesterday}")
    assert bad.status_code == 400
    assert client.get("/api/me/statement?since=yesterday").status_code == 422


@pytest.mark.parametrize("path", ["/api/me/statement?format=csv", "/api/me/statement.csv"])
def test_statement_csv_opens_in_a_spreadsheet(owner, path):
    client = client_for(owner)
    withdraw(client, 3000)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == [
        "Time", "Account", "Currency", "Kind", "Transaction", "Reference", "Memo", "Change",
        "Balance",
    ]  # fmt: skip
    assert [(r[1], r[3], r[7], r[8]) for r in rows[1:]] == [
        (f"owner:{owner.pk}:earnings:available", "payout", "-30.00", "20.00"),
        (f"owner:{owner.pk}:earnings:available", "adjustment", "50.00", "50.00"),
    ]


def test_a_suppliers_statement_is_its_owners_alone(db):
    supplier = make_supplier()
    seed(payable(supplier), 4000)
    own = client_for(supplier.owner).get("/api/me/statement?role=supplier").json()
    assert [x["account"] for x in own["items"]] == [f"supplier:{supplier.pk}:payable:available"]
    # another supplier sees its own books (empty), never this one's; a non-supplier has none
    other = client_for(make_supplier().owner).get("/api/me/statement?role=supplier").json()
    assert other["items"] == []
    assert client_for(make_user()).get("/api/me/statement?role=supplier").status_code == 404
    assert client_for(make_user()).get("/api/me/statement.csv?role=supplier").status_code == 404


def test_her_statement_never_shows_another_persons_entries(owner):
    rival = make_user()
    seed(earnings(rival), 9999)
    items = client_for(owner).get("/api/me/statement").json()["items"]
    assert {x["account"] for x in items} == {f"owner:{owner.pk}:earnings:available"}


# --- withdrawals -------------------------------------------------------------------------------


def test_post_a_withdrawal_and_list_it(owner):
    client = client_for(owner)
    response = withdraw(client, 3000)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "requested"
    assert (body["amount"], body["fee"], body["sent_amount"], body["repaid"]) == (3000, 0, 3000, 0)
    assert body["status_label"] == "Waiting for review"
    listed = client.get("/api/withdrawals").json()
    assert [x["number"] for x in listed["items"]] == [body["number"]]
    assert client.get("/api/withdrawals?status=paid").json()["count"] == 0
    assert client.get("/api/withdrawals?status=nonsense").status_code == 400
    detail = client.get(f"/api/withdrawals/{body['number']}").json()
    assert detail["history"][0]["to_status"] == "requested"


def test_more_than_available_is_409_and_nothing_is_written(owner):
    client = client_for(owner)
    transactions = Transaction.objects.count()
    response = withdraw(client, 5001)
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_balance"
    assert "more than your available balance" in response.json()["message"]
    assert not Withdrawal.objects.exists()
    assert Transaction.objects.count() == transactions
    assert balance(earnings(owner)) == 5000


@pytest.mark.parametrize(
    "body,status",
    [
        ({"role": "owner", "amount": 999, "payee": "wx", "payee_name": "Li"}, 400),
        ({"role": "owner", "amount": 30.5, "payee": "wx", "payee_name": "Li"}, 422),
        ({"role": "owner", "amount": "3000", "payee": "wx", "payee_name": "Li"}, 422),
        ({"role": "owner", "amount": -1, "payee": "wx", "payee_name": "Li"}, 422),
        ({"role": "boss", "amount": 3000, "payee": "wx", "payee_name": "Li"}, 422),
        ({"role": "owner", "amount": 3000, "payee": "", "payee_name": "Li"}, 400),
        ({"role": "owner", "amount": 3000, "payee": "wx"}, 422),
        ({"role": "owner", "amount": 3000, "payee": "wx", "payee_name": "Li", "fee": 0}, 422),
        ({"role": "promoter", "amount": 3000, "payee": "wx", "payee_name": "Li"}, 404),
        ({"role": "supplier", "amount": 3000, "payee": "wx", "payee_name": "Li"}, 404),
    ],
)
def test_bad_withdrawals_get_a_clear_4xx_and_write_nothing(owner, body, status):
    response = client_for(owner).post("/api/withdrawals", body)
    assert response.status_code == status, response.json()
    assert response.json()["message"]
    assert not Withdrawal.objects.exists()
    assert balance(earnings(owner)) == 5000


def test_the_answer_says_how_much_repaid_a_debt(owner):
    owe(owner, 1000, earnings(owner))
    body = withdraw(client_for(owner), 2000).json()
    assert body["repaid"] == 1000
    assert balance(earnings(owner)) == 2000


def test_cancel_my_withdrawal(owner):
    client = client_for(owner)
    number = withdraw(client).json()["number"]
    response = client.post(f"/api/withdrawals/{number}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert balance(earnings(owner)) == 5000
    again = client.post(f"/api/withdrawals/{number}/cancel")
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"


def test_another_persons_withdrawal_is_404_on_every_endpoint(owner):
    number = withdraw(client_for(owner)).json()["number"]
    rival = client_for(make_user())
    assert rival.get(f"/api/withdrawals/{number}").status_code == 404
    assert rival.post(f"/api/withdrawals/{number}/cancel").status_code == 404
    assert rival.get("/api/withdrawals").json()["count"] == 0
    assert Withdrawal.objects.get().status == "requested"
    assert balance(earnings(owner)) == 2000


def test_logged_out_clients_get_401(db):
    anon = client_for(None)
    for path in ("/api/me/balances", "/api/me/statement", "/api/withdrawals"):
        assert anon.get(path).status_code == 401
    assert anon.post("/api/withdrawals", {}).status_code == 401


# --- the operator ----------------------------------------------------------------------------


def test_only_operators_review_withdrawals(owner):
    client = client_for(owner)
    number = withdraw(client).json()["number"]
    for who in (owner, make_user(), make_supplier().owner):
        c = client_for(who)
        assert c.get("/api/operator/withdrawals").status_code == 403
        assert c.post(f"/api/operator/withdrawals/{number}/approve").status_code == 403
        reject = c.post(f"/api/operator/withdrawals/{number}/reject", {"reason": "no"})
        assert reject.status_code == 403
    assert Withdrawal.objects.get().status == "requested"
    assert not SandboxPayout.objects.exists()


def test_operator_lists_approves_and_the_worker_pays(owner, operator):
    number = withdraw(client_for(owner)).json()["number"]
    client = client_for(operator)
    queue = client.get("/api/operator/withdrawals?status=requested").json()
    assert [(x["number"], x["requester_name"]) for x in queue["items"]] == [(number, "Lily")]
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/api/operator/withdrawals/{number}/approve")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"  # as the approval committed
    assert Withdrawal.objects.get().status == "paid"  # then the worker paid it
    assert client.get("/api/operator/withdrawals?status=requested").json()["count"] == 0
    assert client.get("/api/operator/withdrawals?status=paid").json()["count"] == 1
    assert balance(held()) == 0
    again = client.post(f"/api/operator/withdrawals/{number}/approve")
    assert again.status_code == 409


def test_operator_rejects_with_a_reason(owner, operator):
    number = withdraw(client_for(owner)).json()["number"]
    client = client_for(operator)
    assert client.post(f"/api/operator/withdrawals/{number}/reject", {}).status_code == 422
    blank = client.post(f"/api/operator/withdrawals/{number}/reject", {"reason": " "})
    assert blank.status_code == 400
    assert Withdrawal.objects.get().status == "requested"
    response = client.post(
        f"/api/operator/withdrawals/{number}/reject", {"reason": "Real name missing"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reason"]) == (
        "rejected",
        "Real name missing",
    )
    assert balance(earnings(owner)) == 5000
    assert client.post("/api/operator/withdrawals/W0/approve").status_code == 404


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/me/balances",
        "/api/me/statement",
        "/api/me/statement.csv",
        "/api/withdrawals",
        "/api/withdrawals/{number}/cancel",
        "/api/operator/withdrawals",
        "/api/operator/withdrawals/{number}/approve",
        "/api/operator/withdrawals/{number}/reject",
    ):
        assert path in paths, path

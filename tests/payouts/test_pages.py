"""The money pages (/money/, /money/supplier/) and the operator console's withdrawals."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from tests.buying import committed
from tests.factories import make_supplier, make_user
from tests.payouts.money import balance, earnings, owe, payable, seed, sell_and_complete
from vshop.payments.models import SandboxPayout
from vshop.payouts import services
from vshop.payouts.models import Withdrawal

pytestmark = pytest.mark.django_db

MONEY = reverse("payouts:money")
SUPPLIER_MONEY = reverse("payouts:supplier_money")
CONSOLE = reverse("admin:payouts_withdrawal_changelist")


def form(amount="30.00", role="owner", payee="wx-lily", payee_name="Li Li"):
    return {"role": role, "amount": amount, "payee": payee, "payee_name": payee_name}


@pytest.fixture
def owner(db):
    user = make_user(name="Lily")
    seed(earnings(user), 5000)
    return user


def test_money_page_needs_a_login(client):
    response = client.get(MONEY)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_money_page_shows_balances_statement_and_the_withdraw_form(client, shop, supplier):
    sell_and_complete(shop, supplier)
    client.force_login(shop.owner)
    page = client.get(MONEY)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="balance-owner"' in html
    assert "Available" in html
    assert page.context["balances"][0].available == balance(earnings(shop.owner))
    # paid: into pending; received: pending → frozen; completed: frozen → available
    assert [r.line.change > 0 for r in page.context["rows"]] == [True, False, True, False, True]
    assert 'name="amount"' in html
    assert 'href="/money/statement.csv"' in html


def test_a_fan_without_earnings_sees_an_empty_page_and_no_form(client, fan):
    client.force_login(fan)
    page = client.get(MONEY)
    assert page.status_code == 200
    assert page.context["form"] is None
    assert "No earnings or commission yet" in page.content.decode()


def test_withdraw_from_the_page_in_yuan(client, owner):
    client.force_login(owner)
    response = client.post(MONEY, form("30.5"))
    assert response.status_code == 302
    withdrawal = Withdrawal.objects.get()
    assert (withdrawal.amount, withdrawal.role, withdrawal.payee) == (3050, "owner", "wx-lily")
    page = client.get(MONEY)
    html = page.content.decode()
    assert f"Withdrawal {withdrawal.number} of ¥30.50 requested" in html
    assert 'data-testid="withdrawal"' in html
    assert "Waiting for review" in html


def test_the_page_says_when_a_withdrawal_repaid_a_debt_first(client, owner):
    owe(owner, 1000, earnings(owner))
    client.force_login(owner)
    assert 'data-testid="debt"' in client.get(MONEY).content.decode()
    page = client.post(MONEY, form("20"), follow=True)
    assert "¥10 of your balance first repaid what you owed" in page.content.decode()


@pytest.mark.parametrize(
    "data,status,text",
    [
        (form("50.01"), 409, "more than your available balance"),
        (form("9.99"), 400, "smallest withdrawal is ¥10"),
        (form("ten"), 400, "Enter an amount like 19.90"),
        (form("10.001"), 400, "Enter an amount like 19.90"),
        (form(payee=""), 400, "This field is required"),
        (form(role="supplier"), 400, "Select a valid choice"),
    ],
)
def test_a_refused_withdrawal_shows_why_and_writes_nothing(client, owner, data, status, text):
    client.force_login(owner)
    response = client.post(MONEY, data)
    assert response.status_code == status
    assert text in response.content.decode()
    assert not Withdrawal.objects.exists()
    assert balance(earnings(owner)) == 5000


def test_cancel_from_the_page(client, owner):
    withdrawal = services.withdrawal_request(
        user=owner, role="owner", amount=3000, payee="wx", payee_name="Li"
    )
    client.force_login(owner)
    assert "Cancel" in client.get(MONEY).content.decode()
    url = reverse("payouts:withdrawal_cancel", args=[withdrawal.number])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == MONEY
    withdrawal.refresh_from_db()
    assert withdrawal.status == "cancelled"
    assert balance(earnings(owner)) == 5000


def test_another_persons_withdrawal_cannot_be_cancelled_from_the_page(client, owner):
    withdrawal = services.withdrawal_request(
        user=owner, role="owner", amount=3000, payee="wx", payee_name="Li"
    )
    client.force_login(make_user())
    response = client.post(reverse("payouts:withdrawal_cancel", args=[withdrawal.number]))
    assert response.status_code == 404
    withdrawal.refresh_from_db()
    assert withdrawal.status == "requested"
    # and her page shows nothing of it
    assert withdrawal.number not in client.get(MONEY).content.decode()


def test_statement_csv_and_date_filter(client, owner):
    from django.utils import timezone

    client.force_login(owner)
    csv_response = client.get(reverse("payouts:statement_csv"))
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"].startswith("text/csv")
    text = csv_response.content.decode()
    assert f"owner:{owner.pk}:earnings:available" in text
    assert "50.00" in text
    today = timezone.localdate()
    yesterday = today.fromordinal(today.toordinal() - 1)
    assert len(client.get(MONEY, {"until": yesterday.isoformat()}).context["rows"]) == 0
    assert len(client.get(MONEY, {"since": today.isoformat()}).context["rows"]) == 1
    filtered = client.get(reverse("payouts:statement_csv"), {"until": yesterday.isoformat()})
    assert "50.00" not in filtered.content.decode()
    assert client.get(reverse("payouts:statement_csv"), {"since": "soon"}).status_code == 400
    swapped = client.get(MONEY, {"since": today.isoformat(), "until": yesterday.isoformat()})
    assert "The start date is after the end date" in swapped.content.decode()


def test_the_statement_pages(client, owner, settings):
    from vshop.payouts import views

    for _ in range(views.PER_PAGE):
        seed(earnings(owner), 1)
    client.force_login(owner)
    first = client.get(MONEY)
    assert first.context["has_more"]
    second = client.get(MONEY, {"page": 2})
    assert len(second.context["rows"]) == 1
    assert not second.context["has_more"]
    assert client.get(MONEY, {"page": "x"}).status_code == 200


# --- the supplier's page -----------------------------------------------------------------------


def test_supplier_page_is_for_the_suppliers_owner_only(client, shop):
    supplier = make_supplier()
    seed(payable(supplier), 4000)
    for other in (shop.owner, make_user()):
        client.force_login(other)
        assert client.get(SUPPLIER_MONEY).status_code == 404
        assert client.post(SUPPLIER_MONEY, form(role="supplier")).status_code == 404
        assert client.get(reverse("payouts:supplier_statement_csv")).status_code == 404
    assert not Withdrawal.objects.exists()
    client.force_login(supplier.owner)
    page = client.get(SUPPLIER_MONEY)
    assert page.status_code == 200
    assert page.context["balances"][0].available == 4000
    assert supplier.company_name in page.content.decode()


def test_supplier_withdraws_from_its_page(client, shop, supplier):
    sell_and_complete(shop, supplier)
    before = balance(payable(supplier))
    client.force_login(supplier.owner)
    response = client.post(SUPPLIER_MONEY, form("25", role="supplier"))
    assert response.status_code == 302
    assert response["Location"] == SUPPLIER_MONEY
    withdrawal = Withdrawal.objects.get()
    assert (withdrawal.role, withdrawal.supplier) == ("supplier", supplier)
    assert balance(payable(supplier)) == before - 2500
    assert withdrawal.number in client.get(SUPPLIER_MONEY).content.decode()
    csv_text = client.get(reverse("payouts:supplier_statement_csv")).content.decode()
    assert f"supplier:{supplier.pk}:payable:available" in csv_text
    # her own page links to the supplier's; the shop owner's shows nothing of it
    assert 'data-testid="supplier-money-link"' in client.get(MONEY).content.decode()
    client.force_login(shop.owner)
    own = client.get(MONEY).content.decode()
    assert withdrawal.number not in own
    assert 'data-testid="supplier-money-link"' not in own


# --- the operator console ----------------------------------------------------------------------


def test_operator_approves_in_the_console_and_it_is_paid(client, owner, operator):
    withdrawal = services.withdrawal_request(
        user=owner, role="owner", amount=3000, payee="wx", payee_name="Li"
    )
    client.force_login(operator)
    queue = client.get(CONSOLE, {"status__exact": "requested"})
    assert list(queue.context["cl"].result_list) == [withdrawal]
    assert (
        client.get(reverse("admin:payouts_withdrawal_change", args=[withdrawal.pk])).status_code
        == 200
    )
    with committed():
        response = client.post(CONSOLE, {"action": "approve", "_selected_action": [withdrawal.pk]})
    assert response.status_code == 302
    withdrawal.refresh_from_db()
    assert withdrawal.status == "paid"
    assert SandboxPayout.objects.count() == 1
    assert LogEntry.objects.filter(object_id=str(withdrawal.pk), user=operator).exists()


def test_operator_rejects_in_the_console_after_giving_a_reason(client, owner, operator):
    withdrawal = services.withdrawal_request(
        user=owner, role="owner", amount=3000, payee="wx", payee_name="Li"
    )
    client.force_login(operator)
    ask = client.post(CONSOLE, {"action": "reject", "_selected_action": [withdrawal.pk]})
    assert ask.status_code == 200
    assert 'name="reason"' in ask.content.decode()
    withdrawal.refresh_from_db()
    assert withdrawal.status == "requested"
    client.post(
        CONSOLE,
        {
            "action": "reject",
            "_selected_action": [withdrawal.pk],
            "apply": "Reject",
            "reason": "Account name mismatch",
        },
    )
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.reason) == ("rejected", "Account name mismatch")
    assert balance(earnings(owner)) == 5000


def test_non_operators_cannot_reach_the_withdrawals_console(client, owner):
    client.force_login(owner)
    response = client.get(CONSOLE)
    assert response.status_code == 302
    assert response["Location"].startswith("/operator/login/")

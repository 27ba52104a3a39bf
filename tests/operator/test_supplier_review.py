"""Operators review suppliers in the console: every decision is an admin action that calls the
catalogue service, and decides whether the supplier can publish and sell."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from tests.factories import make_listing, make_product, make_supplier, make_user
from vshop.catalog import services as catalog
from vshop.catalog.errors import SupplierNotApproved
from vshop.catalog.models import Product, ProductStatus, SupplierStatus
from vshop.errors import PermissionDenied, ValidationFailed
from vshop.shops.selectors import listing_offer_queryset
from vshop.shops.strategy import Unavailable, strategy_for

pytestmark = pytest.mark.django_db

SUPPLIERS = reverse("admin:catalog_supplier_changelist")


def act(client, action: str, *rows, **extra: str):
    return client.post(
        SUPPLIERS, {"action": action, "_selected_action": [r.pk for r in rows], **extra}
    )


def test_operator_approves_a_supplier_in_the_console_and_it_can_then_publish(
    client, operator, category
):
    # given an application waiting for review, whose products cannot be published yet
    supplier = make_supplier(approved=False)
    product = make_product(supplier, category=category, publish=False)
    with pytest.raises(SupplierNotApproved):
        catalog.product_publish(product=product, actor=supplier.owner)
    client.force_login(operator)
    # the review queue shows it under "waiting for approval"
    queue = client.get(SUPPLIERS, {"status__exact": "pending"})
    assert list(queue.context["cl"].result_list) == [supplier]
    # when the operator approves it
    response = act(client, "approve", supplier)
    # then it is approved, by her, and the supplier publishes
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert supplier.status == SupplierStatus.APPROVED
    assert supplier.reviewed_by == operator
    assert supplier.owner.has_role("supplier")
    # and the supplier's history in the console records the decision
    assert LogEntry.objects.filter(object_id=str(supplier.pk), user=operator).exists()
    product = Product.objects.get(pk=product.pk)
    catalog.product_publish(product=product, actor=supplier.owner)
    assert Product.objects.get(pk=product.pk).status == ProductStatus.PUBLISHED


def test_search_finds_a_supplier_by_company_licence_or_contact(client, operator):
    supplier = make_supplier(approved=False)
    make_supplier(approved=False)
    client.force_login(operator)
    for q in (supplier.company_name, supplier.licence_number, "Wang Fang"):
        found = client.get(SUPPLIERS, {"q": q}).context["cl"].result_list
        assert supplier in found


def test_rejecting_asks_for_a_reason_first_and_writes_nothing_until_given(client, operator):
    supplier = make_supplier(approved=False)
    client.force_login(operator)
    # when the operator picks "reject", she is asked why
    page = act(client, "reject", supplier)
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()
    supplier.refresh_from_db()
    assert supplier.status == SupplierStatus.PENDING
    # an empty reason is not accepted
    act(client, "reject", supplier, apply="Reject", reason="")
    supplier.refresh_from_db()
    assert supplier.status == SupplierStatus.PENDING
    # with a reason, the application is rejected and the reason kept for the applicant
    response = act(client, "reject", supplier, apply="Reject", reason="Licence photo unreadable")
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert supplier.status == SupplierStatus.REJECTED
    assert supplier.status_reason == "Licence photo unreadable"


def test_suspended_supplier_cannot_sell_until_reinstated(client, operator, shop, product):
    # given a shop selling an approved supplier's product
    listing = make_listing(shop, product)
    supplier = product.supplier
    client.force_login(operator)

    def offer():
        fresh = listing_offer_queryset().get(pk=listing.pk)
        return strategy_for().offer_for(fresh)

    assert offer().is_available
    # when the operator suspends the supplier, giving a reason
    act(client, "suspend", supplier, apply="Suspend", reason="Counterfeit complaints")
    supplier.refresh_from_db()
    assert supplier.status == SupplierStatus.SUSPENDED
    assert supplier.status_reason == "Counterfeit complaints"
    # then the listing stays but cannot be bought
    assert offer().unavailable_reason == Unavailable.SUPPLIER_SUSPENDED
    # and once reinstated it sells again
    act(client, "reinstate", supplier)
    supplier.refresh_from_db()
    assert supplier.status == SupplierStatus.APPROVED
    assert offer().is_available


def test_a_refused_decision_is_reported_and_the_other_rows_still_go_through(client, operator):
    # given one approved supplier and one application
    approved = make_supplier(operator=operator)
    pending = make_supplier(approved=False)
    client.force_login(operator)
    # when the operator "reinstates" both (only a suspended supplier can be)
    response = act(client, "reinstate", approved, pending)
    # then both are refused with the service's message and nothing changes
    messages = [str(m) for m in response.wsgi_request._messages]
    assert sum("reinstated" in m.lower() for m in messages) == 2
    pending.refresh_from_db()
    assert pending.status == SupplierStatus.PENDING


def test_supplier_reinstate_is_for_operators_and_suspended_suppliers_only(operator):
    supplier = make_supplier(operator=operator)
    with pytest.raises(ValidationFailed):
        catalog.supplier_reinstate(supplier=supplier, operator=operator)
    catalog.supplier_suspend(supplier=supplier, operator=operator, reason="checks")
    with pytest.raises(PermissionDenied):
        catalog.supplier_reinstate(supplier=supplier, operator=make_user())
    catalog.supplier_reinstate(supplier=supplier, operator=operator)
    assert supplier.status == SupplierStatus.APPROVED
    assert supplier.status_reason == ""

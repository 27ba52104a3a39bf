"""The operator's flag queue: flags raised on promoters' sales, listed and resolved through the
API (operators only: everybody else gets 403) and the operator console, where promoters,
programmes, listing rates and attributions are shown read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.api.conftest import client_for
from tests.buying import make_address, pay, place
from tests.distribution.test_promoters import make_promoter, visit
from tests.factories import make_user
from vshop.distribution import services
from vshop.distribution.models import Flag, FlagKind, OrderAttribution
from vshop.errors import Conflict, PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(shop, listing):
    """A promoter's sale delivered to her own address: the checks raise a flag."""
    promoter = make_promoter(shop)
    make_address(promoter.user)
    buyer = make_user()
    visit(promoter.user, shop, visitor=buyer)
    order = pay(place(buyer, listing)).orders.get()
    flag = Flag.objects.get(order=order, kind=FlagKind.SAME_ADDRESS)
    return flag


def flag_state(flag: Flag) -> tuple:
    flag.refresh_from_db()
    return flag.resolved_at, flag.resolved_by_id, flag.resolution


# --- the service ----------------------------------------------------------------------------


def test_operator_resolves_a_flag_once(flagged, operator):
    services.flag_resolve(operator=operator, flag_id=flagged.pk, resolution="Her sister; fine")
    resolved_at, by, resolution = flag_state(flagged)
    assert resolved_at is not None and by == operator.pk and resolution == "Her sister; fine"
    with pytest.raises(Conflict):
        services.flag_resolve(operator=operator, flag_id=flagged.pk, resolution="again")
    assert flag_state(flagged)[2] == "Her sister; fine"


def test_only_operators_resolve_flags(flagged, shop):
    with pytest.raises(PermissionDenied):
        services.flag_resolve(operator=shop.owner, flag_id=flagged.pk, resolution="mine")
    assert flag_state(flagged) == (None, None, "")


# --- the API ---------------------------------------------------------------------------------


def test_operator_lists_open_and_resolved_flags(flagged, operator, shop):
    other = Flag.objects.create(kind=FlagKind.NEW_ACCOUNTS, shop=shop, detail="burst")
    services.flag_resolve(operator=operator, flag_id=other.pk, resolution="checked")
    api = client_for(operator)
    everything = api.get("/api/operator/flags").json()
    assert everything["count"] == 2
    open_ = api.get("/api/operator/flags", {"resolved": "false"}).json()
    (item,) = open_["items"]
    assert (item["id"], item["kind"], item["shop_slug"]) == (flagged.pk, "same_address", shop.slug)
    assert item["order_number"] == flagged.order.number
    assert item["promoter_id"] == flagged.promoter_id
    resolved = api.get("/api/operator/flags", {"resolved": "true"}).json()
    assert [i["id"] for i in resolved["items"]] == [other.pk]


def test_operator_resolves_a_flag_through_the_api(flagged, operator):
    api = client_for(operator)
    url = f"/api/operator/flags/{flagged.pk}/resolve"
    response = api.post(url, {"resolution": "Refund the buyer; warned the promoter"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["resolved_by_id"] == operator.pk and body["resolved_at"]
    assert api.post(url, {"resolution": "again"}).status_code == 409
    assert flag_state(flagged)[2] == "Refund the buyer; warned the promoter"


@pytest.mark.parametrize(
    ("payload", "status"), [({"resolution": ""}, 400), ({}, 422), ({"resolution": "x" * 301}, 400)]
)
def test_bad_resolutions_write_nothing(flagged, operator, payload, status):
    response = client_for(operator).post(f"/api/operator/flags/{flagged.pk}/resolve", payload)
    assert response.status_code == status
    assert flag_state(flagged) == (None, None, "")


def test_an_unknown_flag_is_404(operator):
    response = client_for(operator).post("/api/operator/flags/999999/resolve", {"resolution": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["owner", "promoter", "fan"])
def test_non_operators_get_403_from_the_flag_endpoints(flagged, shop, fan, who):
    user = {"owner": shop.owner, "promoter": flagged.promoter.user, "fan": fan}[who]
    api = client_for(user)
    assert api.get("/api/operator/flags").status_code == 403
    response = api.post(f"/api/operator/flags/{flagged.pk}/resolve", {"resolution": "mine"})
    assert response.status_code == 403
    assert flag_state(flagged) == (None, None, "")


def test_flag_endpoints_need_an_account(flagged):
    anon = client_for(None)
    assert anon.get("/api/operator/flags").status_code == 401
    assert (
        anon.post(f"/api/operator/flags/{flagged.pk}/resolve", {"resolution": "x"}).status_code
        == 401
    )


# --- the console -----------------------------------------------------------------------------

FLAGS = "/operator/distribution/flag/"


@pytest.mark.parametrize(
    "page",
    [
        FLAGS,
        f"{FLAGS}?resolved=no",
        f"{FLAGS}?kind__exact=same_address",
        "/operator/distribution/promoter/",
        "/operator/distribution/programme/",
        "/operator/distribution/listingcommission/",
        "/operator/distribution/orderattribution/",
    ],
)
def test_console_pages_render(client, operator, flagged, page):
    services.listing_commission_set(
        owner=flagged.shop.owner, listing_id=flagged.order.lines.get().listing_id, level1_rate=5
    )
    services.programme_update(owner=flagged.shop.owner, shop=flagged.shop, data={})
    client.force_login(operator)
    response = client.get(page)
    assert response.status_code == 200
    assert response.context["has_add_permission"] is False  # read-only: nothing added by hand
    assert response.context["cl"].result_count >= 1


def test_console_finds_a_flag_by_order_number_and_opens_it(client, operator, flagged):
    client.force_login(operator)
    found = client.get(FLAGS, {"q": flagged.order.number})
    assert flagged.order.number in found.content.decode()
    assert client.get(FLAGS, {"q": "NO-SUCH-ORDER"}).context["cl"].result_count == 0
    assert client.get(f"{FLAGS}{flagged.pk}/change/").status_code == 200
    attribution = OrderAttribution.objects.get(order=flagged.order)
    url = f"/operator/distribution/orderattribution/{attribution.pk}/change/"
    assert client.get(url).status_code == 200


def test_console_marks_flags_resolved_with_a_note(client, operator, flagged):
    client.force_login(operator)
    data = {"action": "mark_resolved", "_selected_action": [flagged.pk]}
    asked = client.post(FLAGS, data)
    assert asked.status_code == 200 and b"What did you decide" in asked.content
    assert flag_state(flagged) == (None, None, "")
    done = client.post(FLAGS, {**data, "apply": "1", "reason": "Same family, fine"})
    assert done.status_code == 302
    resolved_at, by, resolution = flag_state(flagged)
    assert resolved_at is not None and by == operator.pk and resolution == "Same family, fine"


def test_console_is_closed_to_shop_owners(client, shop, flagged):
    client.force_login(shop.owner)
    response = client.get(FLAGS)
    assert response.status_code == 302 and response["Location"].startswith("/operator/login/")
    assert reverse("admin:distribution_flag_changelist") == FLAGS

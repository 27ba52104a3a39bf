"""Share links API: a logged-in person makes her link for a shop or a listing on one channel
(201, the same link on a repeat), lists her own links with their visit counts, and every bad
request (anonymous, unknown shop, another shop's or a hidden listing, a bad channel, an extra
field, a suspended shop) is refused with its status and writes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import client_for
from tests.factories import make_listing, make_user
from vshop.distribution import sharing
from vshop.distribution.models import ShareLink
from vshop.shops import services as shops
from vshop.shops.models import ListingStatus

pytestmark = pytest.mark.django_db

URL = "/api/share-links"


def test_a_fan_makes_her_link_to_a_listing(shop, listing, fan):
    api = client_for(fan)
    response = api.post(URL, {"shop": shop.slug, "listing_id": listing.pk, "channel": "wechat"})
    assert response.status_code == 201, response.content
    body = response.json()
    link = ShareLink.objects.get()
    assert body == {
        "code": link.code,
        "url": f"http://127.0.0.1:8000/r/{link.code}/",
        "poster_url": f"http://127.0.0.1:8000/share/{link.code}/poster.png",
        "channel": "wechat",
        "shop": shop.slug,
        "listing_id": listing.pk,
    }
    assert (link.sharer_id, link.shop_id, link.listing_id) == (fan.pk, shop.pk, listing.pk)
    # asking again gives the same link, not a second one
    again = api.post(URL, {"shop": shop.slug, "listing_id": listing.pk, "channel": "wechat"})
    assert again.status_code == 201 and again.json()["code"] == link.code
    assert ShareLink.objects.count() == 1
    # and a link to the whole shop is its own
    whole = api.post(URL, {"shop": shop.slug, "channel": "wechat"})
    assert whole.status_code == 201 and whole.json()["listing_id"] is None
    assert ShareLink.objects.count() == 2


def test_the_link_made_through_the_api_works(shop, listing, fan):
    code = client_for(fan).post(URL, {"shop": shop.slug, "channel": "poster"}).json()["code"]
    assert Client().get(f"/r/{code}/").status_code == 302
    assert Client().get(f"/share/{code}/poster.png").status_code == 200


def test_anonymous_is_401_and_writes_nothing(shop):
    anon = client_for(None)
    assert anon.post(URL, {"shop": shop.slug, "channel": "wechat"}).status_code == 401
    assert anon.get(URL).status_code == 401
    assert ShareLink.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"shop": "no-such-shop", "channel": "wechat"}, 404, None),
        ({"shop": "{shop}", "channel": "telegram"}, 400, "channel"),
        ({"shop": "{shop}", "channel": ""}, 400, "channel"),
        ({"shop": "{shop}", "channel": "wechat", "sharer_id": 1}, 422, "sharer_id"),
        ({"shop": "{shop}"}, 422, "channel"),
        ({"shop": "{shop}", "channel": "wechat", "listing_id": 0}, 422, "listing_id"),
        ({"shop": "{shop}", "channel": "wechat", "listing_id": "x"}, 422, "listing_id"),
        ({"shop": "{shop}", "channel": "wechat", "listing_id": 999999}, 404, None),
    ],
    ids=[
        "unknown-shop",
        "bad-channel",
        "empty-channel",
        "extra-field",
        "no-channel",
        "listing-zero",
        "listing-not-a-number",
        "unknown-listing",
    ],
)
def test_bad_requests_are_refused_and_write_nothing(shop, fan, body, status, field):
    body = {k: (shop.slug if v == "{shop}" else v) for k, v in body.items()}
    response = client_for(fan).post(URL, body)
    assert response.status_code == status, response.content
    if field:
        assert response.json()["field"] == field
    assert ShareLink.objects.count() == 0


def test_another_shops_listing_is_404_and_writes_nothing(shop, other_shop, product, fan):
    foreign = make_listing(other_shop, product)
    response = client_for(fan).post(
        URL, {"shop": shop.slug, "listing_id": foreign.pk, "channel": "wechat"}
    )
    assert response.status_code == 404
    assert ShareLink.objects.count() == 0


def test_a_hidden_listing_is_404_and_writes_nothing(shop, listing, fan):
    shops.listing_update(listing=listing, actor=shop.owner, status=ListingStatus.HIDDEN)
    response = client_for(fan).post(
        URL, {"shop": shop.slug, "listing_id": listing.pk, "channel": "wechat"}
    )
    assert response.status_code == 404
    assert ShareLink.objects.count() == 0


def test_a_suspended_shop_is_400_and_writes_nothing(shop, fan, operator):
    shops.shop_suspend(shop=shop, operator=operator, reason="Fake goods")
    response = client_for(fan).post(URL, {"shop": shop.slug, "channel": "wechat"})
    assert response.status_code == 400
    assert response.json()["code"] == "shop_suspended"
    assert ShareLink.objects.count() == 0


def test_i_list_only_my_links_with_their_visit_counts(shop, listing, fan):
    # given two links of mine (one followed twice by two browsers) and one of somebody else
    mine = sharing.share_link_for(sharer=fan, shop=shop, listing=None, channel="wechat")
    mine2 = sharing.share_link_for(sharer=fan, shop=shop, listing=listing, channel="qq")
    other = sharing.share_link_for(sharer=make_user(), shop=shop, listing=None, channel="wechat")
    Client().get(f"/r/{mine.code}/")
    Client(REMOTE_ADDR="10.1.1.1").get(f"/r/{mine.code}/")
    Client().get(f"/r/{other.code}/")
    # when I list my links
    response = client_for(fan).get(URL)
    # then I see mine only, newest first, with their touches
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["pages"]) == (2, 1, 1)
    assert [i["code"] for i in body["items"]] == [mine2.code, mine.code]
    assert other.code not in response.content.decode()
    by_code = {i["code"]: i for i in body["items"]}
    assert by_code[mine.code]["touches"] == 2
    assert by_code[mine2.code]["touches"] == 0
    assert by_code[mine2.code]["listing_id"] == listing.pk
    assert by_code[mine.code]["shop_name"] == shop.name
    assert by_code[mine.code]["url"].endswith(f"/r/{mine.code}/")
    # and a page of one
    paged = client_for(fan).get(URL, {"page_size": 1, "page": 2}).json()
    assert [i["code"] for i in paged["items"]] == [mine.code]


def test_the_endpoints_are_documented(db):
    anon = client_for(None)
    paths = anon.get("/api/openapi.json").json()["paths"]
    assert "/api/share-links" in paths
    assert {"get", "post"} <= set(paths["/api/share-links"])

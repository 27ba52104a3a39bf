"""GET /api/me/circle: her circle as JSON in cursor pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.conftest import client_for
from tests.circle.kit import clean_timelines, follow, make_post  # noqa: F401
from tests.factories import make_listing, make_user
from vshop.circle import fanout
from vshop.circle.models import PostLike, TimelineEntry

URL = "/api/me/circle"


@pytest.fixture
def her(db):
    return make_user("her@example.com")


def pushed(shop, minutes_ago: int, **kwargs):
    p = make_post(shop, published_at=timezone.now() - timedelta(minutes=minutes_ago), **kwargs)
    fanout.post_fan_out(post_id=p.pk)
    return p


def test_her_circle_with_shop_cards_counts_and_like(her, shop, product):
    listing = make_listing(shop, product)
    follow(her, shop)
    p = pushed(shop, 1, text="<p>Hello</p>", cards=[listing])
    PostLike.objects.create(post=p, user=her)
    res = client_for(her).get(URL)
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["next_cursor"] is None
    (item,) = body["items"]
    assert item["id"] == p.pk
    assert item["shop"] == {"id": shop.pk, "slug": shop.slug, "name": shop.name}
    assert item["text"] == "<p>Hello</p>"
    assert item["images"] == []
    assert item["cards"] == [
        {
            "listing_id": listing.pk,
            "title": product.title,
            "price_fen": item["cards"][0]["price_fen"],
            "in_stock": True,
        }
    ]
    assert item["cards"][0]["price_fen"] > 0
    assert item["counts"] == {"likes": 0, "comments": 0, "shares": 0}
    assert item["liked_by_me"] is True
    assert item["published_at"]


@pytest.mark.parametrize("mode", ["newest", "for_you"])
def test_pages_by_cursor_never_repeat(her, shop, other_shop, mode):
    follow(her, shop)
    follow(her, other_shop)
    made = {pushed(shop if i % 2 else other_shop, i).pk for i in range(7)}
    client, seen, cursor = client_for(her), [], None
    for _ in range(10):
        params = {"mode": mode, "limit": 3} | ({"cursor": cursor} if cursor else {})
        body = client.get(URL, params).json()
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) and set(seen) == made


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"mode": "oldest"},
        {"limit": 0},
        {"limit": 500},
        {"limit": "many"},
    ],
)
def test_bad_input_is_a_4xx_and_writes_nothing(her, shop, params):
    follow(her, shop)
    pushed(shop, 1)
    before = TimelineEntry.objects.count()
    res = client_for(her).get(URL, params)
    assert res.status_code in (400, 422), res.content
    assert TimelineEntry.objects.count() == before


def test_a_bad_cursor_is_400_with_the_field(her):
    res = client_for(her).get(URL, {"cursor": "x" * 40})
    assert res.status_code == 400
    assert res.json()["field"] == "cursor"


def test_another_fans_cursor_is_refused(her, shop):
    other = make_user("other@example.com")
    for u in (her, other):
        follow(u, shop)
    for i in range(3):
        pushed(shop, i)
    cursor = client_for(her).get(URL, {"limit": 1}).json()["next_cursor"]
    res = client_for(other).get(URL, {"cursor": cursor, "limit": 1})
    assert res.status_code == 400


def test_isolation_she_sees_only_her_shops(her, shop, other_shop):
    other = make_user("other@example.com")
    follow(her, shop)
    follow(other, other_shop)
    mine, theirs = pushed(shop, 1), pushed(other_shop, 2)
    assert [i["id"] for i in client_for(her).get(URL).json()["items"]] == [mine.pk]
    assert [i["id"] for i in client_for(other).get(URL).json()["items"]] == [theirs.pk]


def test_login_required(db):
    assert client_for(None).get(URL).status_code == 401


def test_in_openapi(db):
    schema = client_for(None).get("/api/openapi.json").json()
    assert "get" in schema["paths"]["/api/me/circle"]

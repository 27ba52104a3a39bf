"""The circle page /circle/: login required, her posts only, mode toggle, infinite scroll."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.circle.kit import clean_timelines, follow, make_post  # noqa: F401
from tests.factories import make_user
from vshop.circle import fanout
from vshop.circle.models import TimelineEntry

URL = "/circle/"


@pytest.fixture
def her(db):
    return make_user("her@example.com")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pushed(shop, minutes_ago: int):
    p = make_post(
        shop,
        text=f"<p>post {minutes_ago}</p>",
        published_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    fanout.post_fan_out(post_id=p.pk)
    return p


def post_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-post="(\d+)"', html)]


def test_url_name():
    assert reverse("circle_feed:circle") == URL


def test_login_required(db):
    res = Client().get(URL)
    assert res.status_code == 302 and "login" in res["Location"]


def test_empty_state_links_to_shops(her):
    html = logged_in(her).get(URL).content.decode()
    assert 'data-testid="circle-empty"' in html
    assert 'data-testid="find-shops"' in html
    assert 'data-testid="circle-more"' not in html


def test_her_posts_with_the_mode_toggle_and_nav_link(her, shop, other_shop):
    follow(her, shop)
    mine, _theirs = pushed(shop, 1), pushed(other_shop, 2)
    res = logged_in(her).get(URL)
    html = res.content.decode()
    assert res.status_code == 200
    assert post_ids(html) == [mine.pk]
    assert "post 1" in html and "post 2" not in html
    assert 'data-testid="mode-newest"' in html and 'data-testid="mode-for-you"' in html
    assert f'href="{URL}"' in html  # the nav link
    assert f'href="/s/{shop.slug}/posts/{mine.pk}/"' in html  # the post page (like, comment)


def test_infinite_scroll_appends_the_next_page_and_more_link_without_js(her, shop, other_shop):
    follow(her, shop)
    follow(her, other_shop)
    made = [pushed(shop if i % 2 else other_shop, i).pk for i in range(25)]
    client = logged_in(her)
    html = client.get(URL).content.decode()
    first = post_ids(html)
    assert len(first) == 20
    marker = re.search(r'<li class="circle-more"[^>]*hx-get="([^"]+)"[^>]*>', html, re.S)
    assert marker and 'hx-trigger="revealed"' in marker.group(0)
    assert 'hx-swap="outerHTML"' in marker.group(0)
    assert 'data-testid="circle-more-link"' in html
    next_url = unescape(marker.group(1))
    frag = client.get(next_url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in frag  # only the items
    rest = post_ids(frag)
    assert sorted(first + rest) == sorted(made) and not set(first) & set(rest)
    assert 'data-testid="circle-more"' not in frag
    # Without script the "More" link opens the same page in full.
    full = client.get(next_url).content.decode()
    assert "<html" in full and post_ids(full) == rest


def test_for_you_mode(her, shop):
    follow(her, shop)
    p = pushed(shop, 1)
    html = logged_in(her).get(URL, {"mode": "for_you"}).content.decode()
    assert post_ids(html) == [p.pk]
    assert 'aria-current="page" data-testid="mode-for-you"' in html


@pytest.mark.parametrize("params", [{"cursor": "garbage"}, {"mode": "sideways"}])
def test_bad_cursor_or_mode_is_400_and_writes_nothing(her, shop, params):
    follow(her, shop)
    pushed(shop, 1)
    before = TimelineEntry.objects.count()
    res = logged_in(her).get(URL, params)
    assert res.status_code == 400
    assert TimelineEntry.objects.count() == before


def test_another_fans_cursor_is_400(her, shop):
    other = make_user("other@example.com")
    for u in (her, other):
        follow(u, shop)
    for i in range(25):
        pushed(shop, i)
    html = logged_in(her).get(URL).content.decode()
    marker = re.search(r'<li class="circle-more"[^>]*hx-get="([^"]+)"', html, re.S)
    next_url = unescape(marker.group(1))
    assert logged_in(other).get(next_url).status_code == 400


def test_posting_is_get_only(her):
    assert logged_in(her).post(URL).status_code == 405

"""Counting visits: a visitor's page views of a shop within 30 minutes are one visit, through a
share link it has the link's channel and sharer, a browser without cookies (a crawler, a load
test) counts once per address, the owner looking at her own shop is not traffic, and counting
costs a returning visitor no query at all."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_user
from vshop.analytics.models import Visit
from vshop.analytics.visits import VISIT_SECONDS, seen_keys
from vshop.distribution import sharing
from vshop.distribution.visitors import COOKIE
from vshop.shops.storefront_views import local_pages

pytestmark = pytest.mark.django_db


def home(shop) -> str:
    return reverse("storefront:home", kwargs={"slug": shop.slug})


def thirty_minutes_pass(shop, visitor: str) -> None:
    """What the end of the visit's window does: its key leaves the cache (and this process)."""
    key = f"vshop:visit:{shop.slug}:{visitor}"
    cache.delete(key)
    seen_keys.clear()


def test_page_views_within_30_minutes_are_one_visit(client, shop, listing):
    # when a guest views the shop, a listing and the persona page
    client.get(home(shop))
    client.get(reverse("storefront:listing", kwargs={"slug": shop.slug, "listing_id": listing.pk}))
    client.get(reverse("storefront:about", kwargs={"slug": shop.slug}))
    # then that is one direct visit, with her browser's id
    visit = Visit.objects.get()
    assert (visit.shop_id, visit.channel, visit.sharer_id, visit.user_id) == (
        shop.pk,
        "direct",
        None,
        None,
    )
    assert visit.visitor_id == client.cookies[COOKIE].value
    # and once the window has passed, her next view is a new visit
    thirty_minutes_pass(shop, visit.visitor_id)
    client.get(home(shop))
    assert Visit.objects.count() == 2
    assert VISIT_SECONDS == 30 * 60


def test_each_shop_counts_its_own_visits(client, shop, other_shop):
    client.get(home(shop))
    client.get(home(other_shop))
    client.get(home(shop))
    assert sorted(Visit.objects.values_list("shop_id", flat=True)) == sorted(
        [shop.pk, other_shop.pk]
    )


def test_a_landing_through_a_share_link_carries_its_channel_and_sharer(client, shop, fan):
    link = sharing.share_link_for(sharer=fan, shop=shop, listing=None, channel="weibo")
    client.get(f"/r/{link.code}/")
    client.get(home(shop))
    visit = Visit.objects.get()
    assert (visit.channel, visit.sharer_id) == ("weibo", fan.pk)
    # another guest who comes straight to the shop is direct
    Client(REMOTE_ADDR="10.0.0.2").get(home(shop))
    assert sorted(Visit.objects.values_list("channel", flat=True)) == ["direct", "weibo"]


def test_a_share_link_followed_inside_a_visit_does_not_start_another(client, shop, fan):
    link = sharing.share_link_for(sharer=fan, shop=shop, listing=None, channel="qq")
    client.get(home(shop))
    client.get(f"/r/{link.code}/")
    assert list(Visit.objects.values_list("channel", flat=True)) == ["direct"]


def test_a_client_without_cookies_counts_once_per_address(shop):
    # when a crawler that keeps no cookie loads the shop 20 times
    for _ in range(20):
        assert Client().get(home(shop)).status_code == 200
    # then that is one visit, and another address is another visitor
    assert Visit.objects.count() == 1
    Client(REMOTE_ADDR="10.0.0.3").get(home(shop))
    assert Visit.objects.count() == 2


def test_a_first_view_without_the_cookie_and_the_next_with_it_are_one_visit(client, shop):
    client.get(home(shop))  # no cookie yet: this answer sets it
    assert COOKIE in client.cookies
    client.get(home(shop))  # now with the cookie
    assert Visit.objects.count() == 1


def test_the_owner_looking_at_her_own_shop_is_not_traffic(client, shop):
    client.force_login(shop.owner)
    client.get(home(shop))
    assert Visit.objects.count() == 0


def test_a_logged_in_visitor_is_named(client, shop):
    fan = make_user()
    client.force_login(fan)
    client.get(home(shop))
    assert Visit.objects.get().user_id == fan.pk


def test_an_unknown_shop_writes_nothing(client):
    assert client.get("/s/no-such-shop/").status_code == 404
    assert Visit.objects.count() == 0


@pytest.fixture
def locmem_cache(settings):
    """A process-local cache, so the counts below are the database's queries alone."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"visits-{id(settings)}",
        }
    }
    settings.VSHOP_PAGE_VERSION_SECONDS = 60
    local_pages.clear()
    yield
    local_pages.clear()


def test_counting_costs_a_new_visit_two_queries_and_a_returning_visitor_nothing(
    shop, listing, locmem_cache
):
    # given the shop's page cached
    Client(REMOTE_ADDR="10.0.0.4").get(home(shop))
    assert Client(REMOTE_ADDR="10.0.0.5").get(home(shop))["X-Page-Cache"] == "hit"
    # when a new visitor (her browser already has its cookie) loads it, then loads it again
    visitor = Client()
    visitor.cookies[COOKIE] = "a" * 32
    with CaptureQueriesContext(connection) as first:
        assert visitor.get(home(shop))["X-Page-Cache"] == "hit"
    with CaptureQueriesContext(connection) as again:
        assert visitor.get(home(shop))["X-Page-Cache"] == "hit"
    # then her first view cost the shop's id and one INSERT, her second nothing
    assert [q["sql"].split()[0] for q in first.captured_queries] == ["SELECT", "INSERT"]
    assert again.captured_queries == []
    assert Visit.objects.filter(visitor_id="a" * 32).count() == 1

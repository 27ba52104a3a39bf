"""The anonymous page cache: fast for strangers, never stale after an edit, never sharing one
visitor's CSRF token, messages or follow state with another."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import make_listing, make_product, make_user
from vshop.fans import services as fans
from vshop.shops import services as shops
from vshop.shops.storefront_views import CSRF_PLACEHOLDER, _with_csrf_token, local_pages


@pytest.fixture(autouse=True)
def _locmem_cache(settings) -> None:
    settings.VSHOP_PAGE_CACHE_SECONDS = 300
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "storefront-cache-tests",
        }
    }
    from django.core.cache import cache

    cache.clear()
    local_pages.clear()


def _token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_second_anonymous_visit_is_served_from_the_cache(client, shop, listing):
    url = f"/s/{shop.slug}/l/{listing.pk}/"
    assert client.get(url)["X-Page-Cache"] == "miss"
    assert Client().get(url)["X-Page-Cache"] == "hit"


def test_listing_update_shows_up_right_after_on_cached_pages(client, shop, listing):
    # given both pages are cached for anonymous fans
    home, page = f"/s/{shop.slug}/", f"/s/{shop.slug}/l/{listing.pk}/"
    client.get(home), client.get(page)
    # when the owner changes her endorsement and her price
    sku = listing.product.skus.get(code="RED-M")
    shops.listing_update(
        listing=listing,
        actor=shop.owner,
        endorsement="Now my son wears it too.",
        prices={sku.pk: 2500},
    )
    # then the very next anonymous visit shows the change
    fresh_home = Client().get(home)
    fresh_page = Client().get(page)
    assert fresh_page["X-Page-Cache"] == "miss"
    assert "Now my son wears it too." in fresh_page.content.decode()
    assert "¥21.90–¥25" in fresh_home.content.decode()


def test_a_new_listing_shows_up_right_after_on_the_cached_home(client, shop, listing, supplier):
    client.get(f"/s/{shop.slug}/")
    make_listing(shop, make_product(supplier, title="Brand new teether"))
    assert "Brand new teether" in Client().get(f"/s/{shop.slug}/").content.decode()


def test_suspension_shows_up_right_after_on_cached_pages(client, shop, listing, operator):
    client.get(f"/s/{shop.slug}/l/{listing.pk}/")
    shops.shop_suspend(shop=shop, operator=operator, reason="Checks")
    html = Client().get(f"/s/{shop.slug}/l/{listing.pk}/").content.decode()
    assert "This shop is suspended." in html


def test_cached_pages_hold_no_csrf_token_and_set_no_cookie(shop, listing):
    # given the page was cached by a first visitor
    url = f"/s/{shop.slug}/"
    Client().get(url)
    # when a second visitor gets the cached copy
    response = Client().get(url)
    html = response.content.decode()
    # then nobody's token is in it, and nothing in it needs one
    assert response["X-Page-Cache"] == "hit"
    assert "csrfmiddlewaretoken" not in html
    assert "X-CSRFToken" not in html
    assert CSRF_PLACEHOLDER not in html
    assert "csrftoken" not in response.cookies


def test_a_token_in_a_shared_page_is_swapped_for_the_visitors_own(rf):
    # given a shared copy that some template put a token placeholder in
    from django.http import HttpResponse

    shared = f'<input name="csrfmiddlewaretoken" value="{CSRF_PLACEHOLDER}">'.encode()
    # when two visitors get it
    first = _with_csrf_token(rf.get("/"), HttpResponse(shared)).content.decode()
    second = _with_csrf_token(rf.get("/"), HttpResponse(shared)).content.decode()
    # then each gets a real token of their own
    assert CSRF_PLACEHOLDER not in first + second
    assert _token(first) != _token(second)


def test_language_link_on_a_cached_page_switches_language(client, shop, listing, settings):
    # given an anonymous visitor on a cached Chinese page
    settings.LANGUAGE_CODE = "zh-hans"
    url = f"/s/{shop.slug}/"
    Client().get(url)
    html = client.get(url).content.decode()
    assert 'href="/language/?language=en&amp;next=/s/lily-picks/"' in html
    # when she follows the language link
    response = client.get("/language/", {"language": "en", "next": url})
    # then she is back on the page, in English
    assert response.status_code == 302 and response["Location"] == url
    assert '<html lang="en">' in client.get(url).content.decode()


def test_logged_in_fans_never_get_the_cached_page(client, shop, listing):
    # given an anonymous visitor cached the shop home
    Client().get(f"/s/{shop.slug}/")
    # when a fan who follows the shop opens it
    fan = make_user()
    fans.fan_follow(fan=fan, shop=shop)
    client.force_login(fan)
    response = client.get(f"/s/{shop.slug}/")
    # then she gets her own page with her follow state, and it is not cached for others
    assert "X-Page-Cache" not in response
    assert "Following" in response.content.decode()
    assert "Following" not in Client().get(f"/s/{shop.slug}/").content.decode()


def test_pages_in_each_language_are_cached_apart(shop, listing):
    url = f"/s/{shop.slug}/"
    Client().get(url, HTTP_ACCEPT_LANGUAGE="en")
    zh = Client().get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert listing.product.category.name_zh in zh


def test_htmx_fragments_and_full_pages_are_cached_apart(shop, listing):
    url = f"/s/{shop.slug}/?page=1"
    Client().get(url, HTTP_HX_REQUEST="true")
    full = Client().get(url)
    assert full["X-Page-Cache"] == "miss"
    assert "<html" in full.content.decode()


def test_unknown_query_parameters_and_flash_messages_skip_the_cache(client, shop, listing):
    client.get(f"/s/{shop.slug}/")
    assert "X-Page-Cache" not in Client().get(f"/s/{shop.slug}/?utm_source=x")
    with_message = Client()
    with_message.cookies["messages"] = "pending"
    assert "X-Page-Cache" not in with_message.get(f"/s/{shop.slug}/")


def test_unknown_shop_is_404_with_the_cache_on(client, db):
    assert client.get("/s/nobody/").status_code == 404
    assert client.get("/s/nobody/l/1/").status_code == 404


def test_a_404_listing_is_not_cached(client, shop, listing):
    assert client.get(f"/s/{shop.slug}/l/{listing.pk + 50}/").status_code == 404
    assert client.get(f"/s/{shop.slug}/l/{listing.pk + 50}/").status_code == 404

"""The platform home: open shops, verified and most followed first, with search and a category
filter; a fixed number of queries however many shops."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_category, make_shop, make_user
from vshop.fans import services as fans
from vshop.shops import services as shops


def test_home_lists_open_shops_with_badge_fans_and_bio(client, shop, other_shop, operator):
    # given a verified shop with a fan, and another shop
    shops.shop_set_verified(shop=shop, operator=operator, verified=True)
    fans.fan_follow(fan=make_user(), shop=shop)
    # when anyone opens the home page
    html = client.get("/").content.decode()
    # then both shops are listed, the verified one first, with fans and bio
    assert html.index(shop.name) < html.index(other_shop.name)
    assert "Verified" in html
    assert "1 fan" in html
    assert "I test things." in html
    assert f'href="/s/{shop.slug}/"' in html


def test_home_leaves_out_suspended_shops(client, shop, other_shop, operator):
    shops.shop_suspend(shop=shop, operator=operator, reason="x")
    html = client.get("/").content.decode()
    assert f'href="/s/{shop.slug}/"' not in html
    assert f'href="/s/{other_shop.slug}/"' in html


def test_home_searches_shops_by_name_and_filters_by_category(client, db):
    baby, food = make_category("baby"), make_category("food")
    owner = make_user()
    lily = shops.shop_open(owner=owner, name="Lily picks", slug="lily", category_id=baby.pk)
    shops.shop_open(owner=make_user(), name="Honey farm", slug="honey", category_id=food.pk)
    found = client.get("/?q=lily").content.decode()
    assert 'href="/s/lily/"' in found and 'href="/s/honey/"' not in found
    by_category = client.get("/?category=food").content.decode()
    assert 'href="/s/honey/"' in by_category and 'href="/s/lily/"' not in by_category
    assert lily.category_id == baby.pk


def test_home_says_when_nothing_matches(client, shop):
    html = client.get("/?q=zebra").content.decode()
    assert "No shop matches." in html


def test_home_costs_two_queries_whatever_the_number_of_shops(client, db):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx.captured_queries)

    make_shop()
    few = count()
    for _ in range(30):
        make_shop()
    assert (few, count()) == (2, 2)  # shops with owner and category; categories for the filter


def test_home_shows_more_link_past_a_page_of_shops(client, db):
    for _ in range(25):
        make_shop()
    assert "?page=2" in client.get("/").content.decode()
    assert "?page=3" not in client.get("/?page=2").content.decode()


def test_language_link_sets_the_language_and_goes_back(client, db):
    response = client.get("/language/", {"language": "en", "next": "/?q=x"})
    assert response.status_code == 302
    assert response["Location"] == "/?q=x"
    assert response.cookies["django_language"].value == "en"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_language_link_never_redirects_off_site_nor_sets_unknown_languages(client, db):
    response = client.get("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert "django_language" not in response.cookies

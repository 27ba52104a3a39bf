"""Following a shop from its pages: htmx swaps the button, plain forms redirect, strangers log in."""

from __future__ import annotations

from django.test import Client

from vshop.fans.models import Follow


def test_fan_follows_with_htmx_and_gets_the_swapped_button_and_count(client, fan, shop):
    # given a logged-in fan on a shop page
    client.force_login(fan)
    # when she presses Follow (htmx)
    response = client.post(f"/fans/s/{shop.slug}/follow/", HTTP_HX_REQUEST="true")
    # then she follows it, and the answer is the new button with the new fan count
    html = response.content.decode()
    assert response.status_code == 200
    assert Follow.objects.filter(fan=fan, shop=shop).exists()
    assert "Following" in html
    assert f"/fans/s/{shop.slug}/unfollow/" in html
    assert "<strong>1</strong> fan" in html
    assert "<html" not in html


def test_fan_unfollows_with_htmx(client, fan, shop):
    client.force_login(fan)
    client.post(f"/fans/s/{shop.slug}/follow/", HTTP_HX_REQUEST="true")
    response = client.post(f"/fans/s/{shop.slug}/unfollow/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert not Follow.objects.filter(fan=fan, shop=shop).exists()
    assert f"/fans/s/{shop.slug}/follow/" in response.content.decode()
    assert "<strong>0</strong> fans" in response.content.decode()


def test_following_twice_counts_once(client, fan, shop):
    client.force_login(fan)
    client.post(f"/fans/s/{shop.slug}/follow/")
    client.post(f"/fans/s/{shop.slug}/follow/")
    shop.refresh_from_db()
    assert shop.fan_count == 1


def test_follow_without_javascript_redirects_back_to_the_shop(client, fan, shop):
    client.force_login(fan)
    response = client.post(f"/fans/s/{shop.slug}/follow/")
    assert response.status_code == 302
    assert response["Location"] == f"/s/{shop.slug}/"


def test_anonymous_visitor_is_sent_to_log_in_and_back(client, shop):
    response = client.post(f"/fans/s/{shop.slug}/follow/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=%2Fs%2F{shop.slug}%2F"
    hx = client.post(f"/fans/s/{shop.slug}/follow/", HTTP_HX_REQUEST="true")
    assert hx.status_code == 204
    assert hx["HX-Redirect"].startswith("/accounts/login/?next=")
    assert not Follow.objects.exists()


def test_follow_needs_post_and_a_csrf_token(fan, shop):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(fan)
    assert strict.get(f"/fans/s/{shop.slug}/follow/").status_code == 405
    assert strict.post(f"/fans/s/{shop.slug}/follow/").status_code == 403
    assert not Follow.objects.exists()


def test_following_an_unknown_shop_is_404(client, fan):
    client.force_login(fan)
    assert client.post("/fans/s/no-such-shop/follow/").status_code == 404
    assert client.post("/fans/s/no-such-shop/unfollow/").status_code == 404


def test_shop_page_shows_following_state_to_a_fan_who_follows(client, fan, shop, settings):
    settings.VSHOP_PAGE_CACHE_SECONDS = 0
    client.force_login(fan)
    client.post(f"/fans/s/{shop.slug}/follow/")
    html = client.get(f"/s/{shop.slug}/").content.decode()
    assert 'aria-pressed="true"' in html
    assert f'hx-post="/fans/s/{shop.slug}/unfollow/"' in html

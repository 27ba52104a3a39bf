"""Share links: making them (one per sharer, target and channel; refused for a bad channel, a
foreign or hidden listing, a suspended shop, writing nothing), following them (a touch, a visit,
a redirect; a forged code is a friendly 404 that writes nothing; a storm writes a bounded number
of rows), a guest's touch joining her account at login and winning her order, the share pages
and button, and the cached poster."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.buying import pay, place
from tests.factories import PASSWORD, image_upload, make_listing, make_user
from tests.races import race
from vshop.analytics import visits
from vshop.analytics.models import Visit
from vshop.catalog import services as catalog
from vshop.distribution import sharing
from vshop.distribution.models import (
    Channel,
    OrderAttribution,
    Promoter,
    PromoterStatus,
    ShareLink,
    Touch,
)
from vshop.distribution.visitors import COOKIE
from vshop.errors import NotFound, ValidationFailed
from vshop.shops import services as shops
from vshop.shops.errors import ShopSuspended
from vshop.shops.models import ListingStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_visit_memo():
    visits.forget()
    yield
    visits.forget()


def rows() -> tuple[int, int, int]:
    return ShareLink.objects.count(), Touch.objects.count(), Visit.objects.count()


# --- making links ---------------------------------------------------------------------------


def test_a_link_is_made_once_per_sharer_target_and_channel(shop, listing, fan):
    # when a fan asks for her wechat link to the shop twice, and for other targets and channels
    first = sharing.share_link_for(sharer=fan, shop=shop, listing=None, channel="wechat")
    again = sharing.share_link_for(sharer=fan, shop=shop, listing=None, channel="wechat")
    moments = sharing.share_link_for(sharer=fan, shop=shop, listing=None, channel="moments")
    of_listing = sharing.share_link_for(sharer=fan, shop=shop, listing=listing, channel="wechat")
    # then the same target and channel give the same link, anything else its own
    assert again.pk == first.pk
    assert len({first.pk, moments.pk, of_listing.pk}) == 3
    assert (of_listing.listing_id, of_listing.shop_id) == (listing.pk, shop.pk)
    # and the code is 10 characters of the alphabet without look-alikes
    for link in (first, moments, of_listing):
        assert len(link.code) == 10
        assert set(link.code) <= set(sharing.CODE_ALPHABET)
        assert not set(link.code) & set("0O1lI")
    assert sharing.share_link_url(first).endswith(f"/r/{first.code}/")
    assert sharing.share_link_url(first).startswith("http")


def test_another_sharer_gets_her_own_link(shop, fan):
    other = make_user()
    mine = sharing.share_link_for(sharer=fan, shop=shop, listing=None, channel="qq")
    hers = sharing.share_link_for(sharer=other, shop=shop, listing=None, channel="qq")
    assert mine.code != hers.code


@pytest.mark.parametrize("channel", ["", "telegram", "WECHAT", "direct"])
def test_a_bad_channel_is_refused_and_nothing_is_written(shop, fan, channel):
    with pytest.raises(ValidationFailed) as err:
        sharing.share_link_for(sharer=fan, shop=shop, listing=None, channel=channel)
    assert err.value.field == "channel"
    assert ShareLink.objects.count() == 0


def test_another_shops_listing_is_not_found_and_nothing_is_written(shop, other_shop, product, fan):
    foreign = make_listing(other_shop, product)
    with pytest.raises(NotFound):
        sharing.share_link_for(sharer=fan, shop=shop, listing=foreign, channel="wechat")
    with pytest.raises(NotFound):
        sharing.shareable_listing(shop=shop, listing_id=foreign.pk)
    assert ShareLink.objects.count() == 0


def test_a_hidden_listing_cannot_be_shared(shop, listing, fan):
    shops.listing_update(listing=listing, actor=shop.owner, status=ListingStatus.HIDDEN)
    listing.refresh_from_db()
    with pytest.raises(NotFound):
        sharing.share_link_for(sharer=fan, shop=shop, listing=listing, channel="wechat")
    with pytest.raises(NotFound):
        sharing.shareable_listing(shop=shop, listing_id=listing.pk)
    assert ShareLink.objects.count() == 0


def test_a_suspended_shop_cannot_be_shared(shop, listing, fan, operator):
    shops.shop_suspend(shop=shop, operator=operator, reason="Fake goods")
    shop.refresh_from_db()
    for target in (None, listing):
        with pytest.raises(ShopSuspended):
            sharing.share_link_for(sharer=fan, shop=shop, listing=target, channel="wechat")
    assert ShareLink.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_requests_at_once_make_one_link(shop, fan):
    # when twenty requests of the same fan ask for the same link at the same moment
    codes: list[str] = []
    results = race(
        20,
        lambda i: codes.append(
            sharing.share_link_for(sharer=fan, shop=shop, listing=None, channel="link").code
        ),
    )
    # then all succeed with the one link that exists
    assert results == ["ok"] * 20
    assert ShareLink.objects.filter(sharer=fan).count() == 1
    assert set(codes) == {ShareLink.objects.get(sharer=fan).code}


# --- following a link ---------------------------------------------------------------------------


def test_following_a_link_records_a_touch_and_a_visit_and_goes_to_the_shop(client, shop, fan):
    link = sharing.share_link_for(sharer=fan, shop=shop, listing=None, channel="moments")
    # when a guest follows it
    response = client.get(f"/r/{link.code}/")
    # then she lands on the shop
    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:home", kwargs={"slug": shop.slug})
    # and the touch carries her browser's id, the link's shop, sharer and channel
    touch = Touch.objects.get()
    visitor = response.cookies[COOKIE].value
    assert (touch.link_id, touch.shop_id, touch.sharer_id, touch.channel) == (
        link.pk,
        shop.pk,
        fan.pk,
        "moments",
    )
    assert (touch.visitor_id, touch.user_id) == (visitor, None)
    # and it is a visit of the shop through that channel and sharer
    visit = Visit.objects.get()
    assert (visit.shop_id, visit.channel, visit.sharer_id, visit.visitor_id) == (
        shop.pk,
        "moments",
        fan.pk,
        visitor,
    )
    # and the shop page she lands on is the same visit, not a second one
    assert client.get(response["Location"]).status_code == 200
    assert Visit.objects.count() == 1


def test_a_listing_link_goes_to_the_listing_and_a_logged_in_visitor_is_named(shop, listing, fan):
    link = sharing.share_link_for(sharer=fan, shop=shop, listing=listing, channel="wechat")
    friend = make_user()
    client = Client()
    client.force_login(friend)
    response = client.get(f"/r/{link.code}/")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "storefront:listing", kwargs={"slug": shop.slug, "listing_id": listing.pk}
    )
    assert Touch.objects.get().user_id == friend.pk
    assert Visit.objects.get().user_id == friend.pk


def test_a_link_to_a_listing_hidden_since_goes_to_the_shop(client, shop, listing, fan):
    link = sharing.share_link_for(sharer=fan, shop=shop, listing=listing, channel="wechat")
    shops.listing_update(listing=listing, actor=shop.owner, status=ListingStatus.HIDDEN)
    response = client.get(f"/r/{link.code}/")
    assert response["Location"] == reverse("storefront:home", kwargs={"slug": shop.slug})


def test_the_sharer_following_her_own_link_is_recorded(shop, fan):
    # attribution marks it as self-referral and pays nothing; the touch itself is kept
    link = sharing.share_link_for(sharer=fan, shop=shop, listing=None, channel="link")
    client = Client()
    client.force_login(fan)
    client.get(f"/r/{link.code}/")
    assert Touch.objects.get().user_id == fan.pk


@pytest.mark.parametrize(
    "code",
    ["AAAAAAAAAA", "short", "0000000000", "abcdefghijklmnop", "ab cd", "%3Cscript%3E"],
    ids=["unknown", "too-short", "look-alikes", "too-long", "space", "markup"],
)
def test_a_forged_code_is_a_friendly_404_and_writes_nothing(client, shop, fan, code):
    sharing.share_link_for(sharer=fan, shop=shop, listing=None, channel="wechat")
    before = rows()
    response = client.get(f"/r/{code}/")
    assert response.status_code == 404
    assert "This share link is not valid" in response.content.decode()
    assert rows() == before
    assert client.get(f"/share/{code}/poster.png").status_code == 404


def test_a_head_request_redirects_and_records_nothing(client, shop, fan):
    # link checkers and chat apps' previews ask with HEAD: nobody visited
    link = sharing.share_link_for(sharer=fan, shop=shop, listing=None, channel="wechat")
    response = client.head(f"/r/{link.code}/")
    assert response.status_code == 302
    assert rows() == (1, 0, 0)


def test_following_twice_in_30_minutes_is_one_touch_and_one_visit(client, shop, fan):
    link = sharing.share_link_for(sharer=fan, shop=shop, listing=None, channel="wechat")
    for _ in range(3):
        assert client.get(f"/r/{link.code}/").status_code == 302
    assert (Touch.objects.count(), Visit.objects.count()) == (1, 1)


def test_a_storm_from_one_address_without_cookies_writes_a_bounded_number_of_rows(
    shop, fan, monkeypatch
):
    # given a link, and at most 3 touches per address and link
    monkeypatch.setattr(sharing, "TOUCHES_PER_ADDRESS", 3)
    link = sharing.share_link_for(sharer=fan, shop=shop, listing=None, channel="wechat")
    # when a client that keeps no cookie follows it 20 times
    for _ in range(20):
        assert Client().get(f"/r/{link.code}/").status_code == 302
    # then 3 touches (and their visits) were written, no more
    assert Touch.objects.count() == 3
    assert Visit.objects.count() == 3
    # while another address still counts
    assert Client(REMOTE_ADDR="10.0.0.9").get(f"/r/{link.code}/").status_code == 302
    assert Touch.objects.count() == 4


def test_a_guests_touch_joins_her_account_at_login_and_wins_her_order(client, shop, listing, fan):
    # given a fan who is an active promoter of the shop, and her wechat link to a listing
    Promoter.objects.create(shop=shop, user=fan, status=PromoterStatus.ACTIVE)
    link = sharing.share_link_for(sharer=fan, shop=shop, listing=listing, channel="wechat")
    buyer = make_user("buyer@example.com")
    # when a guest follows it, then logs in on the same browser
    client.get(f"/r/{link.code}/")
    touch = Touch.objects.get()
    assert touch.user_id is None
    response = client.post(
        reverse("accounts:login"), {"identifier": "buyer@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    # then her touch is hers
    touch.refresh_from_db()
    assert touch.user_id == buyer.pk
    # and the order she then places is attributed to the link and pays the promoter
    pay(place(buyer, listing))
    attribution = OrderAttribution.objects.get(order__buyer=buyer)
    assert (attribution.last_touch_id, attribution.channel, attribution.sharer_id) == (
        touch.pk,
        "wechat",
        fan.pk,
    )
    assert attribution.promoter is not None and attribution.promoter.user_id == fan.pk
    assert attribution.self_referral is False


# --- the share page and the storefront's button --------------------------------------------------


def test_the_share_page_shows_one_link_per_channel_and_the_poster(shop, listing, fan):
    client = Client()
    client.force_login(fan)
    # when she opens the share page of the shop twice
    response = client.get(reverse("sharing:shop", kwargs={"slug": shop.slug}))
    assert client.get(reverse("sharing:shop", kwargs={"slug": shop.slug})).status_code == 200
    # then it lists her link for every channel, made once
    assert response.status_code == 200
    page = response.content.decode()
    links = ShareLink.objects.filter(sharer=fan, listing=None)
    assert sorted(links.values_list("channel", flat=True)) == sorted(Channel.values)
    for link in links:
        assert sharing.share_link_url(link) in page
    poster = links.get(channel="poster")
    assert reverse("sharing:poster", kwargs={"code": poster.code}) in page
    assert 'data-copy="share-wechat"' in page
    # she is no promoter: she may share, and is told who earns
    assert 'data-testid="not-a-promoter"' in page
    # and the listing's share page makes the listing's own links
    response = client.get(
        reverse("sharing:listing", kwargs={"slug": shop.slug, "listing_id": listing.pk})
    )
    assert response.status_code == 200
    assert ShareLink.objects.filter(sharer=fan, listing=listing).count() == len(Channel.values)


def test_the_share_page_needs_login_and_refuses_what_cannot_be_shared(
    client, shop, other_shop, product, fan
):
    url = reverse("sharing:shop", kwargs={"slug": shop.slug})
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    client.force_login(fan)
    foreign = make_listing(other_shop, product)
    assert client.get(f"/share/{shop.slug}/{foreign.pk}/").status_code == 404
    assert client.get("/share/no-such-shop/").status_code == 404
    assert ShareLink.objects.count() == 0


def test_the_storefront_shows_a_share_button(client, shop, listing, fan):
    share_shop = reverse("sharing:shop", kwargs={"slug": shop.slug})
    share_listing = reverse("sharing:listing", kwargs={"slug": shop.slug, "listing_id": listing.pk})
    listing_page = reverse(
        "storefront:listing", kwargs={"slug": shop.slug, "listing_id": listing.pk}
    )
    # a guest is sent to log in first, then to the share page
    home = client.get(reverse("storefront:home", kwargs={"slug": shop.slug})).content.decode()
    assert 'data-testid="share-button"' in home
    assert f"?next={share_shop}" in home
    assert f"?next={share_listing}" in client.get(listing_page).content.decode()
    # a logged-in fan goes straight there
    client.force_login(fan)
    assert (
        f'href="{share_shop}"'
        in client.get(reverse("storefront:home", kwargs={"slug": shop.slug})).content.decode()
    )
    assert f'href="{share_listing}"' in client.get(listing_page).content.decode()


# --- the poster ---------------------------------------------------------------------------------


@pytest.fixture
def counted_renders(monkeypatch):
    """How many times a poster was actually drawn."""
    from vshop.distribution import posters

    calls: list[object] = []
    real = posters.poster_png

    def counting(content):
        calls.append(content)
        return real(content)

    monkeypatch.setattr(posters, "poster_png", counting)
    return calls


def test_the_poster_is_a_cached_public_png(
    client, shop, listing, product, supplier, fan, counted_renders
):
    photo = catalog.product_image_add(product=product, actor=supplier.owner, upload=image_upload())
    link = sharing.share_link_for(sharer=fan, shop=shop, listing=listing, channel="poster")
    url = reverse("sharing:poster", kwargs={"code": link.code})
    # when anybody (a guest here) fetches the poster twice
    first = client.get(url)
    second = client.get(url)
    # then it is a PNG, public and cacheable, with an ETag
    assert first.status_code == 200
    assert first["Content-Type"] == "image/png"
    assert first.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert "public" in first["Cache-Control"] and "max-age=" in first["Cache-Control"]
    assert first["ETag"]
    # and it was drawn once: the second answer came from the cache
    assert len(counted_renders) == 1
    assert second.content == first.content and second["ETag"] == first["ETag"]
    # with the listing's title, price, endorsement, sharer and the link in its QR code
    content = counted_renders[0]
    assert content.share_url == sharing.share_link_url(link)
    assert content.headline == product.title
    assert content.price_text == "¥19.90 and up"
    assert content.endorsement == listing.endorsement
    assert content.sharer_name == f"Recommended by {fan.display_name}"
    assert content.caption == "Long-press to scan"
    with photo.image.open("rb") as stored:
        assert content.product_image == stored.read()
    # a browser that has it is told it has not changed
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert len(counted_renders) == 1


def test_the_poster_is_drawn_again_when_the_listing_or_the_language_changes(
    client, shop, listing, fan, counted_renders
):
    link = sharing.share_link_for(sharer=fan, shop=shop, listing=listing, channel="poster")
    url = reverse("sharing:poster", kwargs={"code": link.code})
    etag = client.get(url)["ETag"]
    shops.listing_update(listing=listing, actor=shop.owner, endorsement="Even better now.")
    changed = client.get(url)
    assert changed["ETag"] != etag
    assert counted_renders[-1].endorsement == "Even better now."
    client.cookies["django_language"] = "zh-hans"
    client.get(url)
    assert len(counted_renders) == 3


def test_a_shop_poster_has_no_price(client, shop, fan, counted_renders):
    link = sharing.share_link_for(sharer=fan, shop=shop, listing=None, channel="poster")
    assert client.get(reverse("sharing:poster", kwargs={"code": link.code})).status_code == 200
    content = counted_renders[0]
    assert (content.price_text, content.shop_name, content.headline) == ("", shop.name, shop.bio)

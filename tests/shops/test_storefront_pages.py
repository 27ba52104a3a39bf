"""What fans see on a shop's pages: persona, listings with prices and stock from the Strategy,
the listing page's variants and endorsement, search, and what a suspended shop shows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import image_upload, make_listing, make_product, make_shop, sku_input
from vshop.catalog import services as catalog
from vshop.shops import services as shops
from vshop.shops.storefront_views import PER_PAGE


@pytest.fixture(autouse=True)
def _no_page_cache(settings) -> None:
    # These tests are about content; the anonymous page cache has its own tests.
    settings.VSHOP_PAGE_CACHE_SECONDS = 0


def test_storefront_url_names_resolve_under_the_shop_address(listing):
    assert reverse("storefront:home", kwargs={"slug": "lily-picks"}) == "/s/lily-picks/"
    assert reverse("storefront:about", kwargs={"slug": "lily-picks"}) == "/s/lily-picks/about/"
    assert reverse("storefront:search", kwargs={"slug": "lily-picks"}) == "/s/lily-picks/search/"
    assert (
        reverse("storefront:listing", kwargs={"slug": "lily-picks", "listing_id": 7})
        == "/s/lily-picks/l/7/"
    )


def test_shop_home_shows_persona_fans_and_listing_cards_with_price_ranges(
    client, shop, listing, operator
):
    # given a verified shop with one listing whose SKUs cost 19.90 and 21.90
    shops.shop_set_verified(shop=shop, operator=operator, verified=True)
    # when a fan opens the shop
    response = client.get(f"/s/{shop.slug}/")
    # then she sees who runs it, the badge, the fan count and the card with its price range
    html = response.content.decode()
    assert response.status_code == 200
    assert shop.name in html
    assert "Verified" in html
    assert "I test things." in html
    assert "<strong>0</strong> fans" in html
    assert "Organic cotton baby romper" in html
    assert "¥19.90–¥21.90" in html
    assert f"/s/{shop.slug}/l/{listing.pk}/" in html


def test_shop_home_shows_pinned_listings_before_the_newest(client, shop, supplier, category):
    # given an older pinned listing and two newer ones
    pinned = make_listing(shop, make_product(supplier, title="Pinned romper"), is_pinned=True)
    make_listing(shop, make_product(supplier, title="Newer towel"))
    make_listing(shop, make_product(supplier, title="Newest honey"))
    # when the shop home is loaded
    html = client.get(f"/s/{shop.slug}/").content.decode()
    # then the pinned one comes first, under its own heading, then newest first
    assert "Top picks" in html
    assert html.index("Pinned romper") < html.index("Newest honey") < html.index("Newer towel")
    assert pinned.is_pinned


def test_anonymous_follow_button_is_a_link_to_log_in(client, shop):
    html = client.get(f"/s/{shop.slug}/").content.decode()
    assert f'href="/accounts/login/?next=/s/{shop.slug}/"' in html
    assert "hx-post" not in html


def test_shop_without_avatar_shows_initials(client, shop):
    html = client.get(f"/s/{shop.slug}/").content.decode()
    assert "avatar-initials" in html


def test_shop_with_avatar_and_cover_shows_them(client, db):
    shop = make_shop()
    shop = shops.shop_update(
        shop=shop, actor=shop.owner, avatar=image_upload(), cover=image_upload()
    )
    html = client.get(f"/s/{shop.slug}/").content.decode()
    assert shop.avatar.url in html
    assert shop.cover.url in html


def test_sold_out_and_low_stock_listings_say_so(client, shop, supplier, category):
    # given a sold-out product and one with 3 left
    sold_out = make_product(supplier, title="Gone", skus=[sku_input("A", stock=0)])
    low = make_product(supplier, title="Almost gone", skus=[sku_input("A", stock=3)])
    make_listing(shop, sold_out)
    make_listing(shop, low)
    # when the shop home is loaded
    html = client.get(f"/s/{shop.slug}/").content.decode()
    # then the cards show the stock state
    assert "Sold out" in html
    assert "Only 3 left" in html


def test_shop_home_paginates_with_load_more(client, shop, supplier, category):
    # given one listing more than a page
    for i in range(PER_PAGE + 1):
        make_listing(shop, make_product(supplier, title=f"Item {i:02d}"))
    # when the first page is loaded
    first = client.get(f"/s/{shop.slug}/").content.decode()
    # then it has a "load more" link to page 2, which htmx appends as a fragment
    assert 'hx-get="?page=2"' in first
    assert "Item 00" not in first  # the oldest is on page 2
    fragment = client.get(f"/s/{shop.slug}/?page=2", HTTP_HX_REQUEST="true").content.decode()
    assert "Item 00" in fragment
    assert "<html" not in fragment
    assert 'hx-swap-oob="true"' in fragment
    assert "hx-get" not in fragment  # nothing more after page 2


def test_unknown_shop_is_404_on_every_page(client, db):
    for path in ["", "about/", "search/?q=x", "l/1/"]:
        assert client.get(f"/s/no-such-shop/{path}").status_code == 404


def test_listing_of_another_shop_is_404_under_this_shop_address(client, listing, other_shop):
    assert client.get(f"/s/{other_shop.slug}/l/{listing.pk}/").status_code == 404
    assert client.get(f"/s/{listing.shop.slug}/l/{listing.pk + 999}/").status_code == 404


def test_hidden_listing_is_404_and_not_on_the_shop_home(client, shop, listing):
    shops.listing_update(listing=listing, actor=shop.owner, status="hidden")
    assert client.get(f"/s/{shop.slug}/l/{listing.pk}/").status_code == 404
    assert "Organic cotton baby romper" not in client.get(f"/s/{shop.slug}/").content.decode()


def test_listing_page_shows_endorsement_skus_with_price_and_stock_and_description(
    client, shop, supplier, category
):
    # given a listing with a sold-out SKU and a low-stock SKU, and an endorsement
    product = make_product(
        supplier,
        title="Silk pillowcase",
        skus=[
            sku_input("RED", stock=0, colour="red"),
            sku_input("BLUE", suggested=2590, stock=2, colour="blue"),
        ],
    )
    catalog.product_image_add(product=product, actor=supplier.owner, upload=image_upload())
    listing = make_listing(shop, product, endorsement="I sleep on it every night.")
    # when a fan opens the listing page
    response = client.get(f"/s/{shop.slug}/l/{listing.pk}/")
    html = response.content.decode()
    # then she sees the photo, the price range, each SKU with its price and stock, and the
    # owner's words, and the sanitised description as HTML
    assert response.status_code == 200
    assert product.images.first().image.url in html
    assert "¥19.90–¥25.90" in html
    assert "I sleep on it every night." in html
    assert "Why I recommend it" in html
    assert 'value="{}"'.format(product.skus.get(code="RED").pk) in html
    assert "Only 2 left" in html
    assert html.count("disabled") == 1  # the sold-out SKU cannot be picked
    assert "<p>Soft and safe.</p>" in html
    # and she can put it in her cart or buy it now
    assert "Add to cart" in html and "Buy now" in html


def test_listing_page_says_why_a_withdrawn_product_is_not_on_sale(client, shop, listing):
    catalog.product_unpublish(product=listing.product, actor=listing.product.supplier.owner)
    response = client.get(f"/s/{shop.slug}/l/{listing.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "This product is no longer on sale." in html
    assert "¥19.90" not in html


def test_suspended_shop_says_so_and_shows_nothing_buyable(client, shop, listing, operator):
    # given a suspended shop
    shops.shop_suspend(shop=shop, operator=operator, reason="Counterfeit goods")
    # when fans open its home, search, persona and listing pages
    home = client.get(f"/s/{shop.slug}/").content.decode()
    search = client.get(f"/s/{shop.slug}/search/?q=romper").content.decode()
    about = client.get(f"/s/{shop.slug}/about/").content.decode()
    page = client.get(f"/s/{shop.slug}/l/{listing.pk}/").content.decode()
    # then every page says it is suspended, and no price or follow button is shown
    for html in (home, search, about, page):
        assert "This shop is suspended." in html
        assert "¥" not in html
        assert "/follow/" not in html
    assert "Counterfeit goods" in home
    assert "This shop is suspended and cannot sell right now." in page


def test_search_in_a_shop_by_words_and_category(client, shop, supplier, category):
    # given listings in two categories
    from tests.factories import make_category

    toys = make_category("toys")
    make_listing(shop, make_product(supplier, title="Cotton romper", category=category))
    make_listing(shop, make_product(supplier, title="Cotton ball", category=toys))
    make_listing(shop, make_product(supplier, title="Wooden train", category=toys))
    # when searching
    words = client.get(f"/s/{shop.slug}/search/?q=cotton").content.decode()
    both = client.get(f"/s/{shop.slug}/search/?q=cotton&category=toys").content.decode()
    nothing = client.get(f"/s/{shop.slug}/search/?q=zebra").content.decode()
    # then only matching listings are shown
    assert "Cotton romper" in words and "Cotton ball" in words and "Wooden train" not in words
    assert "Cotton ball" in both and "Cotton romper" not in both
    assert "Nothing matches “zebra” here." in nothing


def test_search_ignores_another_shops_listings(client, shop, other_shop, supplier):
    make_listing(other_shop, make_product(supplier, title="Rival romper"))
    html = client.get(f"/s/{shop.slug}/search/?q=romper").content.decode()
    assert "Rival romper" not in html


def test_persona_page_shows_owner_bio_fans_listings_and_since_but_not_contact_details(
    client, shop, listing
):
    response = client.get(f"/s/{shop.slug}/about/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Who I am and why my fans trust me" in html
    assert "I test things." in html
    assert shop.owner.display_name in html
    assert shop.created_at.strftime("%Y-%m") in html
    assert "<dd>1</dd>" in html  # one listing
    assert shop.owner.email not in html


def test_pages_follow_the_chosen_language(client, shop, listing):
    # given the category has a Chinese and an English name
    zh = client.get(f"/s/{shop.slug}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    en = client.get(f"/s/{shop.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    name_zh = listing.product.category.name_zh
    name_en = listing.product.category.name_en
    assert name_zh in zh and name_en not in zh
    assert name_en in en

"""The shop owner's pages: open a shop, the catalogue picker, customise, dashboard, listing
edit, own goods, settings. Bad input is a 4xx that writes nothing; another owner gets 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import (
    image_upload,
    make_listing,
    make_product,
    make_shop,
    make_user,
    sku_input,
)
from vshop.catalog.models import Product
from vshop.shops.models import Listing, ListingPrice, ListingStatus, Shop

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _price_of(listing: Listing, sku) -> int:
    return ListingPrice.objects.get(listing=listing, sku=sku).retail_price


# --- opening a shop -----------------------------------------------------------------------


def test_a_new_account_without_a_shop_is_sent_to_open_one(client):
    client.force_login(make_user())
    for name in ("shops:dashboard", "shops:catalogue", "shops:settings", "shops:own_goods_new"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"] == reverse("shops:open")


def test_manage_pages_need_login(client):
    response = client.get(reverse("shops:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_open_page_prefills_a_free_short_address(client):
    client.force_login(make_user())
    response = client.get(reverse("shops:open"))
    assert response.status_code == 200
    assert response.context["slug_value"].startswith("shop-")
    assert b'data-testid="open-shop-submit"' in response.content


def test_open_a_shop_with_only_name_and_slug_then_go_to_the_catalogue(client):
    # given a fan
    user = make_user()
    client.force_login(user)
    # when she opens a shop with a name and a short address
    response = client.post(reverse("shops:open"), {"name": "Lily's Picks", "slug": "Lily-Picks"})
    # then the shop is hers, at the lower-cased address, and she goes straight to the catalogue
    assert response.status_code == 302
    assert response["Location"] == reverse("shops:catalogue")
    shop = Shop.objects.get(owner=user)
    assert shop.slug == "lily-picks"
    assert user.has_role("shop_owner")


def test_open_a_shop_with_avatar_and_cover(client, category):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("shops:open"),
        {
            "name": "Lily",
            "slug": "lily-shop",
            "bio": "Mother of two.",
            "category": category.pk,
            "avatar": image_upload("a.png"),
            "cover": image_upload("c.jpg", fmt="JPEG"),
        },
    )
    assert response.status_code == 302
    shop = Shop.objects.get(owner=user)
    assert shop.avatar and shop.cover and shop.category == category


def test_open_a_shop_with_a_taken_slug_is_409_and_opens_nothing(client):
    make_shop(slug="lily-picks")
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("shops:open"), {"name": "Lily", "slug": "lily-picks"})
    assert response.status_code == 409
    assert "taken" in response.content.decode()
    assert not Shop.objects.filter(owner=user).exists()


def test_open_a_shop_without_a_name_is_400(client):
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("shops:open"), {"name": "", "slug": "lily-picks"})
    assert response.status_code == 400
    assert not Shop.objects.filter(owner=user).exists()


def test_open_a_shop_with_an_avatar_that_is_not_an_image_is_400(client):
    user = make_user()
    client.force_login(user)
    fake = SimpleUploadedFile("a.png", b"not an image at all", content_type="image/png")
    response = client.post(
        reverse("shops:open"), {"name": "Lily", "slug": "lily-picks", "avatar": fake}
    )
    assert response.status_code == 400
    assert "not an image" in response.content.decode()
    assert not Shop.objects.filter(owner=user).exists()


def test_open_a_shop_with_a_too_large_cover_is_400(client, settings):
    settings.VSHOP_IMAGE_MAX_BYTES = 1000
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("shops:open"),
        {"name": "Lily", "slug": "lily-picks", "cover": image_upload(size=(400, 400))},
    )
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert not Shop.objects.filter(owner=user).exists()


def test_slug_suggestion_from_a_latin_name_and_from_a_chinese_one(client):
    client.force_login(make_user())
    url = reverse("shops:slug_suggest")
    latin = client.get(url, {"name": "Lily's Picks", "slug": "", "slug_suggested": ""}, **HX)
    assert latin.context["slug_value"] == "lilys-picks"
    chinese = client.get(url, {"name": "莉莉的小店", "slug": "", "slug_suggested": ""}, **HX)
    assert chinese.context["slug_value"].startswith("shop-")


def test_slug_suggestion_keeps_an_address_she_typed_herself(client):
    client.force_login(make_user())
    response = client.get(
        reverse("shops:slug_suggest"),
        {"name": "Lily", "slug": "my-own", "slug_suggested": "shop-abc123"},
        **HX,
    )
    assert response.context["slug_value"] == "my-own"


def test_slug_suggestion_skips_a_taken_address(client):
    make_shop(slug="lily")
    client.force_login(make_user())
    response = client.get(reverse("shops:slug_suggest"), {"name": "Lily"}, **HX)
    assert response.context["slug_value"] == "lily-2"


def test_slug_check_says_taken_or_free(client):
    make_shop(slug="lily-picks")
    client.force_login(make_user())
    taken = client.get(reverse("shops:slug_check"), {"slug": "lily-picks"}, **HX)
    assert "taken" in taken.content.decode()
    free = client.get(reverse("shops:slug_check"), {"slug": "lily-new"}, **HX)
    assert "is free" in free.content.decode()
    bad = client.get(reverse("shops:slug_check"), {"slug": "a"}, **HX)
    assert "3 to 40" in bad.content.decode()


# --- the catalogue picker ------------------------------------------------------------------


def test_catalogue_shows_price_and_her_margin_per_sale(client, shop, product):
    client.force_login(shop.owner)
    response = client.get(reverse("shops:catalogue"))
    assert response.status_code == 200
    body = response.content.decode()
    assert product.title in body
    # suggested ¥19.90 and ¥21.90 on a ¥10 supply price: she earns ¥9.90–¥11.90
    assert "¥9.90–¥11.90" in body
    assert 'data-testid="add-to-shop"' in body


def test_catalogue_filters_by_minimum_margin_and_sorts_by_margin(client, shop, supplier, category):
    low = make_product(supplier, category=category, title="Low margin", skus=[sku_input("A")])
    high = make_product(
        supplier,
        category=category,
        title="High margin",
        skus=[sku_input("B", supply=500, lo=1500, suggested=2990, hi=3000)],
    )
    client.force_login(shop.owner)
    response = client.get(reverse("shops:catalogue"), {"min_margin": "20", "sort": "margin"})
    titles = [c.product.title for c in response.context["cards"]]
    assert titles == [high.title]
    response = client.get(reverse("shops:catalogue"), {"sort": "margin"})
    titles = [c.product.title for c in response.context["cards"]]
    assert titles == [high.title, low.title]


def test_catalogue_search_and_category_filter(client, shop, supplier, category):
    from tests.factories import make_category

    other = make_category("toys")
    make_product(supplier, category=category, title="Cotton romper")
    make_product(supplier, category=other, title="Wooden train")
    client.force_login(shop.owner)
    found = client.get(reverse("shops:catalogue"), {"q": "romper"}).context["cards"]
    assert [c.product.title for c in found] == ["Cotton romper"]
    found = client.get(reverse("shops:catalogue"), {"category": other.pk}).context["cards"]
    assert [c.product.title for c in found] == ["Wooden train"]


def test_catalogue_with_a_bad_minimum_margin_is_400_with_a_message(client, shop, product):
    client.force_login(shop.owner)
    response = client.get(reverse("shops:catalogue"), {"min_margin": "abc"})
    assert response.status_code == 400
    assert "19.90" in response.content.decode()


def test_catalogue_htmx_filter_returns_only_the_results(client, shop, product):
    client.force_login(shop.owner)
    response = client.get(
        reverse("shops:catalogue"), {"q": "romper"}, HTTP_HX_TARGET="catalogue-results", **HX
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="catalogue-results"' in response.content


def test_one_tap_add_swaps_into_added(client, shop, product):
    # given an owner in the catalogue
    client.force_login(shop.owner)
    # when she taps "Add to my shop" (htmx)
    response = client.post(reverse("shops:catalogue_add", args=[product.pk]), **HX)
    # then the button becomes "Added" and the listing takes the suggested prices
    assert response.status_code == 200
    assert "Added ✓" in response.content.decode()
    listing = Listing.objects.get(shop=shop, product=product)
    assert {p.retail_price for p in listing.prices.all()} == {1990, 2190}


def test_add_without_htmx_redirects_back_to_the_catalogue(client, shop, product):
    client.force_login(shop.owner)
    response = client.post(reverse("shops:catalogue_add", args=[product.pk]))
    assert response.status_code == 302
    assert Listing.objects.filter(shop=shop, product=product).exists()


def test_adding_twice_is_409_and_keeps_one_listing(client, listing):
    client.force_login(listing.shop.owner)
    response = client.post(reverse("shops:catalogue_add", args=[listing.product_id]), **HX)
    assert response.status_code == 409
    assert Listing.objects.filter(shop=listing.shop).count() == 1


def test_adding_an_unpublished_product_is_400(client, shop, supplier, category):
    draft = make_product(supplier, category=category, publish=False)
    client.force_login(shop.owner)
    response = client.post(reverse("shops:catalogue_add", args=[draft.pk]), **HX)
    assert response.status_code == 400
    assert not Listing.objects.filter(shop=shop).exists()


def test_customise_sets_her_own_prices_and_endorsement(client, shop, product):
    red, blue = product.skus.order_by("position")
    client.force_login(shop.owner)
    page = client.get(reverse("shops:catalogue_customise", args=[product.pk]))
    assert page.status_code == 200
    response = client.post(
        reverse("shops:catalogue_customise", args=[product.pk]),
        {
            f"price_{red.pk}": "25.00",
            f"price_{blue.pk}": "21.9",
            "endorsement": "My daughter loves it.",
            "is_pinned": "on",
        },
    )
    assert response.status_code == 302
    listing = Listing.objects.get(shop=shop, product=product)
    assert _price_of(listing, red) == 2500 and _price_of(listing, blue) == 2190
    assert listing.endorsement == "My daughter loves it." and listing.is_pinned


def test_customise_with_a_price_outside_the_bounds_is_400_and_lists_nothing(client, shop, product):
    red, blue = product.skus.order_by("position")
    client.force_login(shop.owner)
    response = client.post(
        reverse("shops:catalogue_customise", args=[product.pk]),
        {f"price_{red.pk}": "99.00", f"price_{blue.pk}": "21.90"},
    )
    assert response.status_code == 400
    assert "minimum and maximum" in response.content.decode()
    assert not Listing.objects.filter(shop=shop).exists()


def test_customise_with_an_unknown_sku_is_400_and_lists_nothing(client, shop, product, supplier):
    other = make_product(supplier, title="Other")
    red, blue = product.skus.order_by("position")
    foreign_sku = other.skus.first()
    client.force_login(shop.owner)
    response = client.post(
        reverse("shops:catalogue_customise", args=[product.pk]),
        {f"price_{red.pk}": "20", f"price_{blue.pk}": "20", f"price_{foreign_sku.pk}": "20"},
    )
    assert response.status_code == 400
    assert "Unknown SKU" in response.content.decode()
    assert not Listing.objects.filter(shop=shop).exists()


def test_customise_with_a_price_that_is_not_an_amount_is_400(client, shop, product):
    red, blue = product.skus.order_by("position")
    client.force_login(shop.owner)
    response = client.post(
        reverse("shops:catalogue_customise", args=[product.pk]),
        {f"price_{red.pk}": "twenty", f"price_{blue.pk}": "20"},
    )
    assert response.status_code == 400
    assert not Listing.objects.filter(shop=shop).exists()


def test_live_margin_preview_shows_margin_and_out_of_bounds(client, shop, product):
    red, blue = product.skus.order_by("position")
    client.force_login(shop.owner)
    response = client.post(
        reverse("shops:catalogue_margins", args=[product.pk]),
        {f"price_{red.pk}": "25.50", f"price_{blue.pk}": "40"},
        **HX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="margin-{red.pk}"' in body and "¥15.50" in body
    assert "¥15–¥30" in body or "Choose a price from ¥15 to ¥30" in body
    assert not Listing.objects.filter(shop=shop).exists()


# --- dashboard and listings -----------------------------------------------------------------


def test_dashboard_lists_her_listings_with_price_margin_stock_and_shop_link(client, listing):
    client.force_login(listing.shop.owner)
    response = client.get(reverse("shops:dashboard"))
    body = response.content.decode()
    assert response.status_code == 200
    assert listing.product.title in body
    assert "¥19.90–¥21.90" in body and "¥9.90–¥11.90" in body
    assert 'data-testid="view-my-shop"' in body and f"/s/{listing.shop.slug}/" in body


def test_dashboard_never_shows_another_owners_listings(client, listing, other_shop):
    client.force_login(other_shop.owner)
    body = client.get(reverse("shops:dashboard")).content.decode()
    assert listing.product.title not in body


def test_dashboard_of_another_owners_shop_id_is_404(client, shop, other_shop):
    client.force_login(other_shop.owner)
    assert client.get(reverse("shops:dashboard"), {"shop": shop.pk}).status_code == 404


def test_owner_with_two_shops_switches_between_them(client, shop):
    second = make_shop(shop.owner, slug="lily-second")
    client.force_login(shop.owner)
    response = client.get(reverse("shops:dashboard"), {"shop": second.pk})
    assert response.context["shop"] == second
    # remembered for the next page
    assert client.get(reverse("shops:catalogue")).context["shop"] == second


def test_listing_edit_changes_prices_within_bounds(client, listing):
    red, blue = listing.product.skus.order_by("position")
    client.force_login(listing.shop.owner)
    assert client.get(reverse("shops:listing_edit", args=[listing.pk])).status_code == 200
    response = client.post(
        reverse("shops:listing_edit", args=[listing.pk]),
        {f"price_{red.pk}": "15.00", f"price_{blue.pk}": "30", "endorsement": "Soft."},
    )
    assert response.status_code == 302
    assert _price_of(listing, red) == 1500 and _price_of(listing, blue) == 3000
    listing.refresh_from_db()
    assert listing.endorsement == "Soft."


def test_listing_edit_outside_bounds_is_400_and_changes_nothing(client, listing):
    red, blue = listing.product.skus.order_by("position")
    client.force_login(listing.shop.owner)
    response = client.post(
        reverse("shops:listing_edit", args=[listing.pk]),
        {f"price_{red.pk}": "14.99", f"price_{blue.pk}": "20", "endorsement": "changed"},
    )
    assert response.status_code == 400
    assert _price_of(listing, red) == 1990 and _price_of(listing, blue) == 2190
    listing.refresh_from_db()
    assert listing.endorsement == "My daughter wears it every day."


def test_listing_edit_with_an_unknown_sku_is_400_and_changes_nothing(client, listing):
    red, blue = listing.product.skus.order_by("position")
    client.force_login(listing.shop.owner)
    response = client.post(
        reverse("shops:listing_edit", args=[listing.pk]),
        {f"price_{red.pk}": "16", f"price_{blue.pk}": "20", "price_999999": "20"},
    )
    assert response.status_code == 400
    assert _price_of(listing, red) == 1990


def test_pin_hide_show_and_remove(client, listing):
    client.force_login(listing.shop.owner)
    client.post(reverse("shops:listing_pin", args=[listing.pk]), {"pinned": "1"})
    listing.refresh_from_db()
    assert listing.is_pinned
    client.post(reverse("shops:listing_visibility", args=[listing.pk]), {"hide": "1"})
    listing.refresh_from_db()
    assert listing.status == ListingStatus.HIDDEN
    client.post(reverse("shops:listing_visibility", args=[listing.pk]), {"hide": "0"})
    listing.refresh_from_db()
    assert listing.status == ListingStatus.ACTIVE
    response = client.post(reverse("shops:listing_remove", args=[listing.pk]))
    assert response.status_code == 302
    assert not Listing.objects.filter(pk=listing.pk).exists()


def test_move_up_and_down(client, shop, supplier, category):
    products = [make_product(supplier, category=category) for _ in range(3)]
    first, second, third = (make_listing(shop, p) for p in products)
    client.force_login(shop.owner)

    def order() -> list[int]:
        return list(
            Listing.objects.filter(shop=shop)
            .order_by("-is_pinned", "position", "-created_at")
            .values_list("pk", flat=True)
        )

    assert order() == [first.pk, second.pk, third.pk]
    client.post(reverse("shops:listing_move", args=[third.pk]), {"direction": "up"})
    assert order() == [first.pk, third.pk, second.pk]
    client.post(reverse("shops:listing_move", args=[first.pk]), {"direction": "down"})
    assert order() == [third.pk, first.pk, second.pk]
    # the first cannot go further up
    client.post(reverse("shops:listing_move", args=[third.pk]), {"direction": "up"})
    assert order() == [third.pk, first.pk, second.pk]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("shops:listing_pin", {"pinned": "1"}),
        ("shops:listing_move", {"direction": "up"}),
        ("shops:listing_visibility", {"hide": "1"}),
        ("shops:listing_remove", {}),
        ("shops:listing_edit", {"endorsement": "mine now"}),
        ("shops:listing_margins", {}),
    ],
)
def test_another_owner_cannot_touch_my_listing(client, listing, other_shop, name, data):
    # given another owner
    client.force_login(other_shop.owner)
    # when she posts to my listing's page
    response = client.post(reverse(name, args=[listing.pk]), data)
    # then it is not found and nothing changed
    assert response.status_code == 404
    listing.refresh_from_db()
    assert not listing.is_pinned
    assert listing.status == ListingStatus.ACTIVE
    assert listing.endorsement == "My daughter wears it every day."


def test_another_owner_cannot_see_my_listing_edit_page(client, listing, other_shop):
    client.force_login(other_shop.owner)
    assert client.get(reverse("shops:listing_edit", args=[listing.pk])).status_code == 404


# --- own goods and settings ----------------------------------------------------------------


def test_own_goods_with_photos_go_on_sale(client, shop, category):
    client.force_login(shop.owner)
    response = client.post(
        reverse("shops:own_goods_new"),
        {
            "title": "Hand-knitted scarf",
            "category": category.pk,
            "price": "88",
            "stock": "3",
            "options": "colour: grey, size: M",
            "photos": [image_upload("a.png"), image_upload("b.png")],
        },
    )
    assert response.status_code == 302
    listing = Listing.objects.get(shop=shop)
    product = listing.product
    assert product.shop == shop and product.images.count() == 2
    sku = product.skus.get()
    assert sku.options == {"colour": "grey", "size": "M"}
    assert _price_of(listing, sku) == 8800


def test_own_goods_with_a_photo_that_is_not_an_image_is_400_and_writes_nothing(
    client, shop, category
):
    client.force_login(shop.owner)
    fake = SimpleUploadedFile("x.jpg", b"GIF89a-not-really", content_type="image/jpeg")
    response = client.post(
        reverse("shops:own_goods_new"),
        {
            "title": "Scarf",
            "category": category.pk,
            "price": "88",
            "stock": "3",
            "photos": [image_upload("a.png"), fake],
        },
    )
    assert response.status_code == 400
    assert "not an image" in response.content.decode()
    assert not Listing.objects.filter(shop=shop).exists()
    assert not Product.objects.filter(shop=shop).exists()


def test_own_goods_without_a_photo_or_price_is_400(client, shop, category):
    client.force_login(shop.owner)
    no_photo = client.post(
        reverse("shops:own_goods_new"),
        {"title": "Scarf", "category": category.pk, "price": "88", "stock": "3"},
    )
    assert no_photo.status_code == 400
    no_price = client.post(
        reverse("shops:own_goods_new"),
        {"title": "Scarf", "category": category.pk, "stock": "3", "photos": [image_upload()]},
    )
    assert no_price.status_code == 400
    assert not Product.objects.filter(shop=shop).exists()


def test_shop_settings_edit_keeps_the_slug(client, shop, category):
    client.force_login(shop.owner)
    response = client.post(
        reverse("shops:settings"),
        {"name": "Lily's New Name", "bio": "Hello", "category": category.pk, "slug": "hijack"},
    )
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.name == "Lily's New Name" and shop.slug == "lily-picks"


def test_shop_settings_without_a_name_is_400_and_changes_nothing(client, shop):
    client.force_login(shop.owner)
    response = client.post(reverse("shops:settings"), {"name": "", "bio": "x"})
    assert response.status_code == 400
    shop.refresh_from_db()
    assert shop.bio == "I test things."


def test_shop_settings_for_another_owners_shop_is_404(client, shop, other_shop):
    client.force_login(other_shop.owner)
    response = client.post(
        reverse("shops:settings") + f"?shop={shop.pk}", {"name": "Hijacked", "bio": ""}
    )
    assert response.status_code == 404
    shop.refresh_from_db()
    assert shop.name != "Hijacked"


def test_catalogue_add_into_another_owners_shop_is_404(client, shop, other_shop, product):
    client.force_login(other_shop.owner)
    response = client.post(
        reverse("shops:catalogue_add", args=[product.pk]) + f"?shop={shop.pk}", **HX
    )
    assert response.status_code == 404
    assert not Listing.objects.exists()

"""Verified-purchase reviews: only the buyer, only once the goods arrived, one per order line;
a bad rating or text is 400 with nothing written; the shop's review points are awarded once;
another buyer's order or line is not found; the listing page shows the reviews at once."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.conftest import client_for
from tests.buying import committed, pay, place, ship
from tests.factories import make_user
from vshop.accounts.models import User
from vshop.errors import Conflict, NotFound, ValidationFailed
from vshop.fans.models import LoyaltyRules, PointsEntry, PointsKind, ShopFan
from vshop.orders import services as orders
from vshop.orders.models import Order
from vshop.trust import selectors, services
from vshop.trust.models import Review

pytestmark = pytest.mark.django_db


def paid_order(buyer: User, listing) -> Order:
    return pay(place(buyer, listing)).orders.get()


def received_order(buyer: User, listing) -> Order:
    order = paid_order(buyer, listing)
    ship(order)
    with committed():
        orders.order_confirm_receipt(order_number=order.number, actor=buyer)
    order.refresh_from_db()
    return order


def review(order: Order, *, rating: object = 5, text: object = "Soft and well made."):
    return services.review_create(
        buyer=order.buyer,
        order_number=order.number,
        line_id=order.lines.get().pk,
        rating=rating,
        text=text,
    )


def page_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the service --------------------------------------------------------------------------------


def test_a_received_line_is_reviewed_once(listing, fan):
    order = received_order(fan, listing)

    created = review(order, rating=4)

    assert (created.rating, created.text, created.buyer) == (4, "Soft and well made.", fan)
    assert created.shop_id == listing.shop_id and created.listing_id == listing.pk
    assert created.product_id == listing.product_id
    with pytest.raises(Conflict) as exc:
        review(order, rating=1)
    assert exc.value.code == "already_reviewed"
    assert Review.objects.count() == 1


@pytest.mark.parametrize("stage", ["paid", "shipped"])
def test_a_line_not_yet_received_cannot_be_reviewed(listing, fan, stage):
    order = paid_order(fan, listing)
    if stage == "shipped":
        ship(order)

    with pytest.raises(Conflict) as exc:
        review(order)

    assert exc.value.status == 409
    assert not Review.objects.exists()


def test_an_unpaid_order_cannot_be_reviewed(listing, fan):
    order = place(fan, listing).orders.get()
    with pytest.raises(Conflict):
        review(order)
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("rating", "text"),
    [
        (0, "ok"),
        (6, "ok"),
        (-1, "ok"),
        (True, "ok"),
        ("5", "ok"),
        (4.5, "ok"),
        (None, "ok"),
        (5, "x" * 501),
        (5, "bad \x00 byte"),
        (5, 42),
    ],
)
def test_a_bad_rating_or_text_is_400_and_writes_nothing(listing, fan, rating, text):
    LoyaltyRules.objects.create(shop=listing.shop)
    order = received_order(fan, listing)
    points_before = list(ShopFan.objects.values_list("points", flat=True))

    with pytest.raises(ValidationFailed) as exc:
        review(order, rating=rating, text=text)

    assert exc.value.status == 400
    assert not Review.objects.exists()
    assert not PointsEntry.objects.filter(kind=PointsKind.REVIEW).exists()
    assert list(ShopFan.objects.values_list("points", flat=True)) == points_before


def test_text_is_trimmed_and_500_characters_are_fine(listing, fan):
    created = review(received_order(fan, listing), text="  " + "好" * 500 + "\n ")
    assert created.text == "好" * 500


def test_another_buyers_order_or_line_is_not_found(listing, fan):
    order = received_order(fan, listing)
    other = make_user()
    theirs = received_order(other, listing)

    with pytest.raises(NotFound):
        services.review_create(
            buyer=other,
            order_number=order.number,
            line_id=order.lines.get().pk,
            rating=5,
        )
    with pytest.raises(NotFound):  # her own order with somebody else's line
        services.review_create(
            buyer=fan, order_number=order.number, line_id=theirs.lines.get().pk, rating=5
        )
    assert not Review.objects.exists()


def test_a_review_earns_the_shops_review_points_once(listing, fan):
    LoyaltyRules.objects.create(shop=listing.shop, review_points=20)
    order = received_order(fan, listing)
    before = ShopFan.objects.get(shop=listing.shop, user=fan).points

    created = review(order)

    record = ShopFan.objects.get(shop=listing.shop, user=fan)
    assert record.points == before + 20
    assert created.points_awarded == 20
    with pytest.raises(Conflict):
        review(order)
    assert ShopFan.objects.get(pk=record.pk).points == before + 20
    assert PointsEntry.objects.filter(fan=record, kind=PointsKind.REVIEW).count() == 1


def test_a_shop_without_points_awards_none(listing, fan):
    created = review(received_order(fan, listing))
    assert created.points_awarded == 0
    assert not PointsEntry.objects.filter(kind=PointsKind.REVIEW).exists()


# --- the listing's reviews ----------------------------------------------------------------------


def test_a_listing_shows_visible_reviews_with_average_and_count(listing, fan):
    review(received_order(fan, listing), rating=5)
    review(received_order(make_user(name="Bo"), listing), rating=2)
    hidden = review(received_order(make_user(), listing), rating=1)
    services.reviews_set_hidden(review_ids=[hidden.pk], hidden=True)

    result = selectors.listing_reviews(listing_id=listing.pk)

    assert result.count == 2
    assert result.average == 3.5
    assert [r.rating for r in result.reviews] == [2, 5]


def test_the_listing_reviews_are_one_query(listing, fan, django_assert_num_queries):
    review(received_order(fan, listing), rating=5)
    review(received_order(make_user(), listing), rating=4)

    with django_assert_num_queries(1):
        result = selectors.listing_reviews(listing_id=listing.pk)
        [(r.buyer.display_name, r.order_line.sku_label) for r in result.reviews]


def test_api_listing_reviews(listing, fan):
    review(received_order(fan, listing), rating=4, text="<b>Nice</b>")

    r = client_for(None).get(f"/api/storefront/listings/{listing.pk}/reviews")

    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 1 and body["average"] == 4.0
    (item,) = body["items"]
    assert item["rating"] == 4 and item["text"] == "<b>Nice</b>"
    assert item["reviewer"] == "X***"  # never her full name or login
    assert "fan@example.com" not in r.content.decode()
    assert client_for(None).get("/api/storefront/listings/999999/reviews").status_code == 404
    r = client_for(None).get(f"/api/storefront/listings/{listing.pk}/reviews?limit=0")
    assert r.status_code == 422


def test_the_listing_page_shows_a_new_review_at_once_even_when_cached(listing, fan, settings):
    settings.VSHOP_PAGE_CACHE_SECONDS = 300
    url = reverse("storefront:listing", args=[listing.shop.slug, listing.pk])
    visitor = Client()
    assert "No reviews yet" in visitor.get(url).content.decode()
    assert visitor.get(url)["X-Page-Cache"] == "hit"

    review(received_order(fan, listing), rating=5, text="<script>alert(1)</script> lovely")

    html = visitor.get(url).content.decode()
    assert 'data-testid="review"' in html and "lovely" in html
    assert "<script>alert(1)</script>" not in html  # plain text, escaped


# --- the API --------------------------------------------------------------------------------


def test_api_review_create(listing, fan):
    LoyaltyRules.objects.create(shop=listing.shop, review_points=20)
    order = received_order(fan, listing)
    line = order.lines.get()
    client = client_for(fan)

    r = client.post(
        f"/api/orders/{order.number}/lines/{line.pk}/review", {"rating": 5, "text": "Great"}
    )

    assert r.status_code == 201, r.content
    assert r.json()["rating"] == 5 and r.json()["points_awarded"] == 20
    r = client.post(f"/api/orders/{order.number}/lines/{line.pk}/review", {"rating": 4})
    assert r.status_code == 409
    assert Review.objects.count() == 1


def test_api_review_bad_input(listing, fan):
    order = received_order(fan, listing)
    url = f"/api/orders/{order.number}/lines/{order.lines.get().pk}/review"
    client = client_for(fan)

    assert client.post(url, {"rating": 9}).status_code == 400
    assert client.post(url, {"rating": 5, "text": "x" * 501}).status_code == 400
    assert client.post(url, {"rating": "five"}).status_code == 422
    assert client.post(url, {"rating": 5, "buyer": 1}).status_code == 422
    assert not Review.objects.exists()


def test_api_another_buyers_order_is_404(listing, fan):
    order = received_order(fan, listing)
    url = f"/api/orders/{order.number}/lines/{order.lines.get().pk}/review"

    assert client_for(make_user()).post(url, {"rating": 1}).status_code == 404
    assert client_for(listing.shop.owner).post(url, {"rating": 1}).status_code == 404
    assert client_for(None).post(url, {"rating": 1}).status_code == 401
    assert not Review.objects.exists()


# --- the pages --------------------------------------------------------------------------------


def test_review_page_posts_a_review_and_shows_it(listing, fan):
    order = received_order(fan, listing)
    line = order.lines.get()
    client = page_client(fan)
    url = reverse("trust:order_review", args=[order.number])

    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="submit-review"' in page.content.decode()
    assert url in client.get(reverse("orders:detail", args=[order.number])).content.decode()

    r = client.post(url, {"line": line.pk, "rating": "5", "text": "Lovely"})

    assert r.status_code == 302
    assert Review.objects.get().text == "Lovely"
    html = client.get(url).content.decode()
    assert 'data-testid="line-reviewed"' in html and "submit-review" not in html


def test_review_page_refuses_bad_input_with_the_message(listing, fan):
    order = received_order(fan, listing)
    url = reverse("trust:order_review", args=[order.number])

    r = page_client(fan).post(url, {"line": order.lines.get().pk, "rating": "7"})

    assert r.status_code == 400
    assert "1 to 5 stars" in r.content.decode()
    assert not Review.objects.exists()


def test_review_page_of_an_order_not_yet_received_has_no_form(listing, fan):
    order = paid_order(fan, listing)
    html = page_client(fan).get(reverse("trust:order_review", args=[order.number])).content
    assert b"line-not-reviewable" in html and b"submit-review" not in html


def test_review_page_of_another_buyers_order_is_404(listing, fan):
    order = received_order(fan, listing)
    url = reverse("trust:order_review", args=[order.number])
    other = page_client(make_user())

    assert other.get(url).status_code == 404
    assert other.post(url, {"line": order.lines.get().pk, "rating": "5"}).status_code == 404
    assert not Review.objects.exists()
    assert Client().get(url).status_code == 302  # log in first


def test_an_operator_hides_a_review_in_the_console_and_it_leaves_the_listing(
    listing, fan, operator
):
    created = review(received_order(fan, listing))
    console = page_client(operator)

    assert console.get(reverse("admin:trust_review_changelist")).status_code == 200
    r = console.post(
        reverse("admin:trust_review_changelist"),
        {"action": "hide", "_selected_action": [created.pk]},
    )

    assert r.status_code == 302
    assert Review.objects.get(pk=created.pk).is_hidden
    assert selectors.listing_reviews(listing_id=listing.pk).count == 0

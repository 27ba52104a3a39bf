"""The traffic report: on a small known data set (3 visits of 2 visitors through a promoter's
wechat link, 1 direct visit, 1 paid order of ¥50 through the link, 1 unpaid order), the figures
per channel, per promoter and per day, on the owner's page and through the API, in a fixed
number of queries; another owner gets 404 and a bad period 400."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.api.conftest import client_for
from tests.buying import pay, place
from tests.factories import PASSWORD, make_listing, make_product, make_user, sku_input
from vshop.analytics import selectors, visits
from vshop.analytics.services import report_day, visit_record
from vshop.distribution import sharing
from vshop.distribution.models import Promoter, PromoterStatus
from vshop.distribution.visitors import COOKIE
from vshop.orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(shop, supplier, category):
    """Lily's shop with a ¥50 listing, her promoter Mei and Mei's wechat link; then:

    - guest A follows the link, comes back through it after the 30 minutes, logs in and buys;
    - guest B follows the link once;
    - guest C comes to the shop directly;
    - buyer D places an order through no link and never pays it.
    """
    product = make_product(
        supplier, category=category, skus=[sku_input("ONE", lo=4000, suggested=5000, hi=6000)]
    )
    listing = make_listing(shop, product, endorsement="Worth every fen.")
    mei = make_user("mei@example.com", name="Mei")
    promoter = Promoter.objects.create(shop=shop, user=mei, status=PromoterStatus.ACTIVE)
    link = sharing.share_link_for(sharer=mei, shop=shop, listing=listing, channel="wechat")
    a, b, c = (
        Client(REMOTE_ADDR="10.0.0.1"),
        Client(REMOTE_ADDR="10.0.0.2"),
        Client(REMOTE_ADDR="10.0.0.3"),
    )
    a.get(f"/r/{link.code}/")
    vid = a.cookies[COOKIE].value
    # the 30 minutes pass: the touch and the visit leave the cache
    cache.delete(f"vshop:visit:{shop.slug}:{vid}")
    cache.delete(f"vshop:touch:{link.pk}:{vid}")
    visits.forget()
    a.get(f"/r/{link.code}/")
    b.get(f"/r/{link.code}/")
    c.get(reverse("storefront:home", kwargs={"slug": shop.slug}))
    buyer = make_user("a@example.com")
    a.post(reverse("accounts:login"), {"identifier": "a@example.com", "password": PASSWORD})
    order = pay(place(buyer, listing)).orders.get()
    place(make_user(), listing)  # never paid
    return {"shop": shop, "listing": listing, "promoter": promoter, "order": order}


def report_of(shop, *, days: int) -> selectors.TrafficReport:
    since, until = selectors.traffic_period(days=days)
    return selectors.traffic_report(shop=shop, since=since, until=until)


def test_the_known_data_set_gives_known_figures(world):
    # given the world above, whose paid order is ¥50
    order = world["order"]
    assert order.total == 5000 and order.paid_at is not None
    # when the owner reads the last 7 days
    since, until = selectors.traffic_period(days=7)
    report = selectors.traffic_report(shop=world["shop"], since=since, until=until)
    # then wechat brought 3 visits of 2 visitors and the ¥50 order; 1 direct visit
    rows = {r.channel: r for r in report.by_channel}
    assert list(rows) == ["direct", "wechat", "moments", "weibo", "qq", "link", "poster"]
    wechat, direct = rows["wechat"], rows["direct"]
    assert (wechat.visits, wechat.visitors, wechat.orders, wechat.sales) == (3, 2, 1, 5000)
    assert (direct.visits, direct.visitors, direct.orders, direct.sales) == (1, 1, 0, 0)
    assert all(r.visits == r.orders == 0 for r in report.by_channel if r.channel in {"qq", "link"})
    totals = report.totals
    assert (totals.visits, totals.visitors, totals.orders, totals.sales) == (4, 3, 1, 5000)
    # and the promoter's row says the same of her link
    [mei] = report.by_promoter
    assert (mei.promoter_id, mei.name) == (world["promoter"].pk, "Mei")
    assert (mei.visits, mei.visitors, mei.orders, mei.sales) == (3, 2, 1, 5000)
    # and every day of the period is there, today holding it all
    assert [d.day for d in report.daily] == [since + timedelta(days=i) for i in range(7)]
    today = report.daily[-1]
    assert (today.visits, today.visitors, today.orders, today.sales) == (4, 3, 1, 5000)
    assert [(d.day, d.visits, d.orders) for d in wechat.daily] == [(until, 3, 1)]


def test_refunds_come_off_the_sales(world):
    Order.objects.filter(pk=world["order"].pk).update(refunded_total=1200)
    since, until = selectors.traffic_period(days=1)
    report = selectors.traffic_report(shop=world["shop"], since=since, until=until)
    assert report.totals.sales == 3800
    assert report.by_promoter[0].sales == 3800


def test_days_outside_the_period_are_left_out(shop):
    now = timezone.now()
    for days_ago in (0, 3, 10):
        visit_record(
            shop_id=shop.pk,
            shop_owner_id=shop.owner_id,
            visitor_id=f"{days_ago:032d}",
            now=now - timedelta(days=days_ago),
        )
    week, month = report_of(shop, days=7), report_of(shop, days=30)
    assert week.totals.visits == 2 and month.totals.visits == 3
    three_days_ago = report_day(now - timedelta(days=3))
    assert {d.day: d.visits for d in week.daily if d.visits} == {
        three_days_ago: 1,
        report_day(now): 1,
    }


def test_the_report_costs_nine_queries_whatever_the_period(world, django_assert_num_queries):
    for days in (1, 90, 366):
        since, until = selectors.traffic_period(days=days)
        with django_assert_num_queries(9):
            selectors.traffic_report(shop=world["shop"], since=since, until=until)


@pytest.mark.parametrize("days", [0, -1, 367, 10_000])
def test_a_period_outside_1_to_366_days_is_refused(days):
    from vshop.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        selectors.traffic_period(days=days)


def test_another_shops_figures_stay_out(world, other_shop):
    since, until = selectors.traffic_period(days=7)
    report = selectors.traffic_report(shop=other_shop, since=since, until=until)
    assert (report.totals.visits, report.totals.orders, report.by_promoter) == (0, 0, [])


# --- the owner's page ---------------------------------------------------------------------


def test_the_owner_sees_her_traffic_page(world):
    shop = world["shop"]
    response = client_for(shop.owner).get("/me/shop/traffic/?days=7")
    assert response.status_code == 200
    page = response.content.decode()
    wechat = page[page.index('data-channel="wechat"') :].split("</tr>")[0]
    assert [cell.split("<")[0] for cell in wechat.split('class="n">')[1:]] == [
        "3",
        "2",
        "1",
        "¥50",
    ]
    mei = page[page.index(f'data-promoter="{world["promoter"].pk}"') :].split("</tr>")[0]
    assert "Mei" in mei and "¥50" in mei
    assert 'data-testid="total-visits">4<' in page
    assert 'data-testid="total-visitors">3<' in page
    # the chart: one bar per day, drawn without any script
    chart = page[page.index("<svg") : page.index("</svg>")]
    assert chart.count("<rect") == 7
    assert "<script" not in chart
    assert reverse("analytics:traffic") == "/me/shop/traffic/"


@pytest.mark.parametrize("days", ["30", "90"])
def test_the_page_offers_30_and_90_days(world, days):
    response = client_for(world["shop"].owner).get(f"/me/shop/traffic/?days={days}")
    assert response.status_code == 200
    assert response.content.decode().count("<rect") == int(days)


@pytest.mark.parametrize("days", ["0", "367", "abc", "-5", "7.5"])
def test_the_page_refuses_a_bad_period(shop, days):
    assert client_for(shop.owner).get(f"/me/shop/traffic/?days={days}").status_code == 400


def test_another_owner_cannot_see_the_page_of_a_shop_not_hers(world, other_shop):
    rival = client_for(other_shop.owner)
    response = rival.get(f"/me/shop/traffic/?shop={world['shop'].pk}")
    assert response.status_code == 404
    # her own page shows her own shop, empty
    own = rival.get("/me/shop/traffic/").content.decode()
    assert 'data-testid="total-visits">0<' in own
    assert "Mei" not in own


def test_the_page_needs_a_logged_in_shop_owner(client, db):
    response = client.get("/me/shop/traffic/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client_for(make_user()).get("/me/shop/traffic/")
    assert response.status_code == 302 and response["Location"] == reverse("shops:open")


# --- the API ------------------------------------------------------------------------------


def test_the_api_gives_the_same_figures(world):
    shop = world["shop"]
    response = client_for(shop.owner).get(f"/api/shops/{shop.slug}/traffic", {"days": 7})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["days"] == 7 and body["currency"] == "CNY"
    assert body["totals"] == {"visits": 4, "visitors": 3, "orders": 1, "sales": 5000}
    wechat = next(r for r in body["by_channel"] if r["channel"] == "wechat")
    assert {k: wechat[k] for k in ("visits", "visitors", "orders", "sales")} == {
        "visits": 3,
        "visitors": 2,
        "orders": 1,
        "sales": 5000,
    }
    assert wechat["daily"] == [
        {"day": body["until"], "visits": 3, "visitors": 2, "orders": 1, "sales": 5000}
    ]
    [mei] = body["by_promoter"]
    assert (mei["name"], mei["visits"], mei["orders"], mei["sales"]) == ("Mei", 3, 1, 5000)
    assert len(body["daily"]) == 7


def test_the_api_defaults_to_30_days(world):
    shop = world["shop"]
    body = client_for(shop.owner).get(f"/api/shops/{shop.slug}/traffic").json()
    assert body["days"] == 30 and len(body["daily"]) == 30


def test_another_owners_slug_is_404(world, other_shop):
    shop = world["shop"]
    response = client_for(other_shop.owner).get(f"/api/shops/{shop.slug}/traffic")
    assert response.status_code == 404
    assert "Mei" not in response.content.decode()
    assert (
        client_for(world["promoter"].user).get(f"/api/shops/{shop.slug}/traffic").status_code == 404
    )
    assert client_for(None).get(f"/api/shops/{shop.slug}/traffic").status_code == 401
    assert client_for(shop.owner).get("/api/shops/no-such-shop/traffic").status_code == 404


@pytest.mark.parametrize(("days", "status"), [("0", 400), ("367", 400), ("abc", 422)])
def test_the_api_refuses_a_bad_period(shop, days, status):
    response = client_for(shop.owner).get(f"/api/shops/{shop.slug}/traffic", {"days": days})
    assert response.status_code == status
    assert response.json()["field"] == "days"

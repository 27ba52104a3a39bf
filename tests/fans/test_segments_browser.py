"""The segment builder in a real browser on a phone-sized screen (headless Chromium through
Playwright): the owner picks conditions, the live count follows every change through htmx, she
adds a group, saves the segment, and the page never scrolls sideways.

Screenshots are saved under ``test-artifacts/e2e/`` (``segments-*.png``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.e2e.test_open_a_shop_in_a_minute import PHONE, browser, shot  # noqa: F401 (fixture)
from tests.factories import PASSWORD, make_shop, make_user
from vshop.fans.models import Segment, ShopFan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _htmx_ready(page, selector: str) -> None:
    """Wait until htmx has bound the swapped-in element: acting on it before (the browser can be
    quicker than htmx's settle step) would change it without its request."""
    page.wait_for_function(
        "s => { const e = document.querySelector(s);"
        " return !!(e && e['htmx-internal-data'] && e['htmx-internal-data'].initHash); }",
        arg=selector,
    )


def _fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_owner_builds_a_segment_watching_the_live_count(live_server, browser):
    owner = make_user("lily@example.com", name="Lily")
    shop = make_shop(owner, slug="lily-picks")
    for name, city, spend in (
        ("Ann", "Hangzhou", 60000),
        ("Bea", "Hangzhou", 100),
        ("Cat", "Xian", 0),
    ):
        ShopFan.objects.create(
            shop=shop,
            user=make_user(name=name),
            name=name,
            city=city,
            total_spend=spend,
            source="follow",
        )
    rival = make_shop(slug="rival-shop")
    ShopFan.objects.create(shop=rival, name="Rival", city="Hangzhou", source="import")

    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/?next=/me/shop/segments/")
    page.fill("input[name=identifier]", "lily@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_selector("[data-testid=rule-builder]")
    count = page.locator("[data-testid=segment-count]")
    assert "3 fans match" in count.inner_text()

    # City is one of Hangzhou: the operator and the value box appear, the count follows.
    page.select_option("select[name='r.0-field']", "city")
    page.wait_for_selector("input[name='r.0-value']")
    page.fill("input[name='r.0-value']", "Hangzhou")
    page.wait_for_function(
        "document.querySelector('[data-testid=segment-count]').innerText.includes('2 fans match')"
    )
    _fits_the_phone(page)
    shot(page, "segments-01-one-condition")

    # AND a group: total spend at least ¥500.
    page.click("button[value='group:r']")
    page.wait_for_selector("select[name='r.1.0-field']")
    _htmx_ready(page, "select[name='r.1.0-field']")
    page.select_option("select[name='r.1.0-field']", "total_spend")
    page.wait_for_selector("input[name='r.1.0-value']")
    page.fill("input[name='r.1.0-value']", "500")
    page.wait_for_function(
        "document.querySelector('[data-testid=segment-count]').innerText.includes('1 fan matches')"
    )
    assert "spent at least ¥500" in count.inner_text()
    _fits_the_phone(page)
    shot(page, "segments-02-group")

    page.fill("#segment-name", "Rich in Hangzhou")
    page.click("[data-testid=segment-form] button.btn-block")
    page.wait_for_selector("[data-testid=segment-list]")
    segment = Segment.objects.get(shop=shop)
    assert (segment.name, segment.fan_count) == ("Rich in Hangzhou", 1)
    _fits_the_phone(page)
    shot(page, "segments-03-saved")
    context.close()


def test_tags_and_fan_groups_pages_fit_a_phone(live_server, browser):
    from vshop.fans import scoring
    from vshop.fans.models import MemberLevel, Tag

    owner = make_user("lily@example.com", name="Lily")
    shop = make_shop(owner, slug="lily-picks")
    MemberLevel.objects.create(shop=shop, name="Gold", threshold=100000)
    Tag.objects.create(shop=shop, name="宝妈")
    for i in range(12):
        ShopFan.objects.create(
            shop=shop,
            user=make_user(name=f"F{i}"),
            name=f"F{i}",
            source="order",
            order_count=1 + i % 4,
            total_spend=1000 * (i + 1),
            last_order_at=timezone.now() - timedelta(days=10 * i),
        )
    scoring.rfm_recompute(shop_id=shop.pk)

    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/?next=/me/shop/tags/")
    page.fill("input[name=identifier]", "lily@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_selector("[data-testid=tag-form]")
    page.fill("#tag-name", "Loyal mums")
    page.check("input[name=kind][value=automatic]")
    page.select_option("select[name='r.0-field']", "rfm_group")
    page.wait_for_selector("select[name='r.0-value']")
    page.select_option("select[name='r.0-value']", ["champions", "loyal"])
    page.wait_for_function(
        "document.querySelector('[data-testid=segment-count]').innerText.includes('match')"
    )
    _fits_the_phone(page)
    shot(page, "segments-04-tag-rule")
    page.click("[data-testid=tag-form] button.btn-block")
    page.wait_for_selector("[data-testid=tag-list]")
    assert Tag.objects.get(shop=shop, name="Loyal mums").is_automatic

    page.goto(f"{live_server.url}/me/shop/fans/insights/")
    page.wait_for_selector("[data-testid=rfm-groups]")
    assert "12 fans scored" in page.inner_text("[data-testid=rfm-scored]")
    _fits_the_phone(page)
    shot(page, "segments-05-insights")
    context.close()

"""End to end in a real browser (Debian's headless Chromium through Playwright), on a phone-sized
screen: a new user signs up, opens a shop, adds three catalogue products, and a fan views it.

Screenshots of each step are saved under ``test-artifacts/e2e/``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.factories import make_category, make_product, make_supplier, sku_input

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself (fixtures, assertions) are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def catalogue(db):
    category = make_category("baby")
    supplier = make_supplier()
    return [
        make_product(
            supplier, category=category, title=title, skus=[sku_input(f"SKU-{n}", colour="white")]
        )
        for n, title in enumerate(
            ["Bamboo baby bottle", "Organic romper", "Soft wooden rattle", "Silicone bib"]
        )
    ]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_new_user_opens_a_shop_with_three_products_and_a_fan_sees_it(
    live_server, browser, catalogue
):
    owner = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = owner.new_page()
    page.set_default_timeout(15_000)
    started = time.monotonic()

    # Sign up.
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("input[name=identifier]", "lily@example.com")
    page.fill("input[name=display_name]", "Lily's Mum")
    page.fill("input[name=password]", "Correct-horse-9")
    shot(page, "01-signup")
    page.click("[data-testid=signup-submit]")

    # Open a shop: the short address is suggested from the name.
    page.wait_for_selector("[data-testid=open-shop-submit]")
    page.fill("input[name=name]", "Lily Picks")
    page.fill("input[name=slug]", "lily-picks")
    shot(page, "02-open-shop")
    page.click("[data-testid=open-shop-submit]")

    # Add three catalogue products, one tap each.
    page.wait_for_selector("[data-testid=add-to-shop]")
    shot(page, "03-catalogue")
    for _ in range(3):
        before = page.locator("[data-testid^=added-]").count()
        page.locator("[data-testid=add-to-shop]").first.click()
        page.wait_for_function(
            f"document.querySelectorAll('[data-testid^=added-]').length > {before}"
        )
    shot(page, "04-added")
    page.click("[data-testid=go-dashboard]")
    page.wait_for_selector("[data-testid=view-my-shop]")
    assert page.locator("[data-testid=listing-row]").count() == 3
    shot(page, "05-dashboard")
    page.click("[data-testid=view-my-shop]")
    page.wait_for_url("**/s/lily-picks/")
    elapsed = time.monotonic() - started
    print(f"sign-up to a live shop with three products: {elapsed:.1f} s")
    assert elapsed < 60, f"sign-up to a live shop took {elapsed:.1f} s"
    owner.close()

    # A fan, not logged in, on her phone.
    fan = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = fan.new_page()
    page.goto(f"{live_server.url}/s/lily-picks/")
    body = page.inner_text("body")
    assert "Lily Picks" in body
    added_titles = [
        t
        for t in ("Bamboo baby bottle", "Organic romper", "Soft wooden rattle", "Silicone bib")
        if t in body
    ]
    assert len(added_titles) == 3
    # Nothing overflows a phone screen sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "06-fan-shop-home")
    page.get_by_text(added_titles[0]).first.click()
    page.wait_for_url("**/l/*/")
    assert added_titles[0] in page.inner_text("h1")
    assert "¥19.90" in page.inner_text("body")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "07-fan-listing")
    fan.close()

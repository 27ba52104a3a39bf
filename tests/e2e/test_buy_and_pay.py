"""End to end in a real browser (Debian's headless Chromium through Playwright), on a phone-sized
screen: a fan opens a shop's product, adds it to her cart as a guest, logs in at checkout (her
cart comes with her), gives a new address, pays on the sandbox provider's page and sees her
order paid.

Screenshots of each step are saved under ``test-artifacts/e2e/`` (``buy-*.png``).
"""

from __future__ import annotations

import pytest

from tests.e2e.test_open_a_shop_in_a_minute import PHONE, browser, shot  # noqa: F401 (fixture)
from tests.factories import (
    PASSWORD,
    make_category,
    make_listing,
    make_product,
    make_shop,
    make_supplier,
    make_user,
    sku_input,
)
from vshop.orders.models import Order
from vshop.orders.states import OrderStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_fan_adds_to_cart_checks_out_with_a_new_address_and_pays(live_server, browser):
    category = make_category("baby")
    product = make_product(
        make_supplier(),
        category=category,
        title="Bamboo baby bottle",
        skus=[
            sku_input("BOTTLE-S", colour="white", size="S"),
            sku_input("BOTTLE-L", suggested=2190, colour="white", size="L"),
        ],
    )
    shop = make_shop(slug="lily-picks")
    listing = make_listing(shop, product, endorsement="The only bottle my son takes.")
    make_user("fan@example.com", name="Xiao Mei")

    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)

    # A guest opens the product and adds two of the large one to her cart, in place.
    page.goto(f"{live_server.url}/s/{shop.slug}/l/{listing.pk}/")
    page.locator("label.sku", has_text="L").click()
    page.fill("[data-testid=buy-quantity]", "2")
    page.click("[data-testid=add-to-cart]")
    page.wait_for_selector("[data-testid=cart-added]")
    assert page.inner_text("[data-testid=cart-count]").startswith("2")
    _fits_the_phone(page)
    shot(page, "buy-01-listing-added")

    # Her cart: the line, the shop, the total.
    page.click("[data-testid=cart-link]")
    page.wait_for_selector("[data-testid=cart-line]")
    assert "¥43.80" in page.inner_text("[data-testid=cart-total]")
    _fits_the_phone(page)
    shot(page, "buy-02-cart")

    # Checking out asks her to log in; her cart comes with her.
    page.click("[data-testid=checkout]")
    page.wait_for_selector("[data-testid=login-submit]")
    page.fill("input[name=identifier]", "fan@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_selector("[data-testid=place-order]")

    # A new address, then place the order.
    page.fill("input[name=name]", "Li Hua")
    page.fill("input[name=mobile]", "13800138000")
    page.fill("input[name=province]", "Zhejiang")
    page.fill("input[name=city]", "Hangzhou")
    page.fill("input[name=district]", "Xihu")
    page.fill("input[name=detail]", "1 Lingyin Road")
    page.fill("input[name=note]", "Please ring twice")
    assert "¥43.80" in page.inner_text("[data-testid=checkout-total]")
    _fits_the_phone(page)
    shot(page, "buy-03-checkout")
    page.click("[data-testid=place-order]")

    # Pay: the total, the time left, the sandbox chosen.
    page.wait_for_selector("[data-testid=pay]")
    assert "¥43.80" in page.inner_text("[data-testid=pay-total]")
    _fits_the_phone(page)
    shot(page, "buy-04-pay")
    page.click("[data-testid=pay]")

    # The sandbox provider's page, clearly test money.
    page.wait_for_selector("[data-testid=sandbox-page]")
    assert "Sandbox — test money" in page.inner_text("[data-testid=sandbox-page]")
    assert "¥43.80" in page.inner_text("[data-testid=sandbox-amount]")
    shot(page, "buy-05-sandbox")
    page.click("[data-testid=sandbox-pay]")

    # Back on VShop: paid, with her order.
    page.wait_for_selector("[data-testid=checkout-status][data-status=paid]")
    assert "Paid. Thank you!" in page.inner_text("[data-testid=checkout-status]")
    _fits_the_phone(page)
    shot(page, "buy-06-paid")
    page.click("[data-testid=order-link]")
    page.wait_for_selector("[data-testid=order-status]")
    assert "Paid, to be shipped" in page.inner_text("[data-testid=order-status]")
    assert "Li Hua" in page.inner_text("body")
    _fits_the_phone(page)
    shot(page, "buy-07-order")
    context.close()

    order = Order.objects.get()
    assert order.status == OrderStatus.PAID
    assert (order.total, order.ship_city, order.note) == (4380, "Hangzhou", "Please ring twice")

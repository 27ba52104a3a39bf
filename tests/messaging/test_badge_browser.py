"""The inbox badge in the header follows new messages without reloading the page (headless
Chromium): a shop's campaign reaches her while she looks at the storefront, and the count
appears; reading the message makes it go away on the next poll."""

from __future__ import annotations

import pytest

from tests.campaigns.kit import deliver_all, make_campaign, plan
from tests.e2e.test_open_a_shop_in_a_minute import PHONE, browser  # noqa: F401 (fixture)
from tests.factories import PASSWORD, make_shop, make_user
from vshop.fans.services import fan_follow
from vshop.messaging.models import InboxMessage
from vshop.messaging.services import inbox_mark_read

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_badge_shows_a_new_message_without_reloading(live_server, browser, settings):
    settings.VSHOP_INBOX_POLL_SECONDS = 1
    fan = make_user("mei@example.com", name="Mei")
    shop = make_shop(slug="lily-picks")
    fan_follow(fan=fan, shop=shop)

    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/?next=/s/lily-picks/")
    page.fill("input[name=identifier]", "mei@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url("**/s/lily-picks/")
    assert page.locator("[data-testid=inbox-badge]").count() == 0
    loads: list[str] = []
    page.on("load", lambda _page: loads.append("load"))

    campaign = plan(make_campaign(shop))
    deliver_all(campaign)

    page.wait_for_selector("[data-testid=inbox-badge]")
    assert page.locator("[data-testid=inbox-badge]").inner_text().startswith("1")
    assert loads == []  # the page was not reloaded

    inbox_mark_read(user=fan, message_id=InboxMessage.objects.get(recipient=fan).pk)
    page.wait_for_selector("[data-testid=inbox-badge]", state="detached")
    assert loads == []
    context.close()

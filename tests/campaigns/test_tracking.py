"""The signed links of a campaign message: the click redirect, the email's open pixel, the
one-click unsubscribe page; and the inbox's read and open of a campaign message counted as the
same open and click, once."""

from __future__ import annotations

import json

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from tests.campaigns.kit import make_campaign, make_fans
from tests.campaigns.test_channels import delivered
from tests.factories import make_user
from vshop.campaigns import tracking
from vshop.campaigns.models import Campaign, CampaignRecipient, RecipientState
from vshop.campaigns.tracking_record import recipient_clicked, recipient_opened
from vshop.fans.models import ActivityKind
from vshop.messaging import services as messaging
from vshop.messaging.models import ChannelOptOut, InboxMessage
from vshop.shops.models import Listing, ListingStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(monkeypatch) -> list[dict]:
    """Every fan activity recorded (``fans.activity.record``), as its keyword arguments."""
    calls: list[dict] = []
    monkeypatch.setattr("vshop.fans.activity.record", lambda **kw: calls.append(kw))
    return calls


def kinds(calls: list[dict]) -> list[int]:
    return [int(c["kind"]) for c in calls]


def tampered(token: str) -> str:
    return token[:-2] + ("AA" if not token.endswith("AA") else "BB")


def forged(token: str, user_id: int, shop_id: int) -> str:
    payload = signing.b64_encode(
        json.dumps([user_id, shop_id, "email"], separators=(",", ":")).encode()
    ).decode()
    return payload + token[token.index(":") :]


# --- click ---------------------------------------------------------------------------------


def test_a_click_is_recorded_once_and_goes_to_the_campaigns_link(shop, recorded):
    [fan] = make_fans(shop, 1)
    [recipient] = delivered(make_campaign(shop, link="https://example.com/sale?x=1"), [fan])
    visitor = Client()

    first = visitor.get(tracking.click_path(recipient.pk))
    again = visitor.get(tracking.click_path(recipient.pk))

    assert first.status_code == 302 and again.status_code == 302
    assert first["Location"] == "https://example.com/sale?x=1"
    assert first["Referrer-Policy"] == "no-referrer"
    assert "no-store" in first["Cache-Control"]
    recipient.refresh_from_db()
    assert recipient.clicked_at is not None
    assert recipient.opened_at == recipient.clicked_at  # a click is also an open
    assert kinds(recorded) == [ActivityKind.CLICK]
    assert recorded[0]["shop_id"] == shop.pk and recorded[0]["user_id"] == fan.pk
    assert recorded[0]["ref"] == recipient.pk
    assert recorded[0]["time_zone"] == fan.time_zone


def test_a_tampered_or_foreign_click_token_is_a_404_and_records_nothing(shop, recorded):
    [recipient] = delivered(make_campaign(shop), make_fans(shop, 1))
    token = tracking.click_token(recipient.pk)
    open_token = tracking.open_token(recipient.pk)  # right id, wrong purpose

    for path in (
        reverse("campaigns_tracking:click", args=[tampered(token)]),
        reverse("campaigns_tracking:click", args=[open_token]),
        reverse("campaigns_tracking:click", args=["garbage"]),
        tracking.click_path(recipient.pk + 1000),  # signed, but no such recipient
    ):
        assert Client().get(path).status_code == 404, path

    recipient.refresh_from_db()
    assert recipient.clicked_at is None and recipient.opened_at is None
    assert recorded == []


def test_without_a_link_the_click_goes_to_the_listing_then_to_the_shop(shop, listing):
    campaign = make_campaign(shop, link="")
    Campaign.objects.filter(pk=campaign.pk).update(listing=listing)
    [recipient] = delivered(campaign, make_fans(shop, 1))

    to_listing = Client().get(tracking.click_path(recipient.pk))
    Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.HIDDEN)
    to_shop = Client().get(tracking.click_path(recipient.pk))

    assert to_listing["Location"] == reverse(
        "storefront:listing", kwargs={"slug": shop.slug, "listing_id": listing.pk}
    )
    assert to_shop["Location"] == reverse("storefront:home", kwargs={"slug": shop.slug})


def test_a_link_that_is_not_http_is_never_followed(shop):
    campaign = make_campaign(shop, link="javascript:alert(1)")
    [recipient] = delivered(campaign, make_fans(shop, 1))

    answer = Client().get(tracking.click_path(recipient.pk))

    assert answer["Location"] == reverse("storefront:home", kwargs={"slug": shop.slug})


def test_only_delivered_recipients_count(shop, recorded):
    [recipient] = delivered(make_campaign(shop), make_fans(shop, 1))
    CampaignRecipient.objects.filter(pk=recipient.pk).update(state=RecipientState.HOLDOUT)

    assert recipient_clicked(recipient_id=recipient.pk) == "https://example.com/sale"
    assert recipient_opened(recipient_id=recipient.pk) is False

    recipient.refresh_from_db()
    assert recipient.clicked_at is None and recipient.opened_at is None
    assert recorded == []


# --- open pixel ----------------------------------------------------------------------------


def test_the_open_pixel_counts_once_and_is_never_cached(shop, recorded):
    [recipient] = delivered(make_campaign(shop), make_fans(shop, 1))
    path = tracking.open_pixel_path(recipient.pk)

    first = Client().get(path)
    again = Client().get(path)

    for answer in (first, again):
        assert answer.status_code == 200
        assert answer["Content-Type"] == "image/gif"
        assert answer.content.startswith(b"GIF89a")
        assert "no-store" in answer["Cache-Control"] and answer["Pragma"] == "no-cache"
    recipient.refresh_from_db()
    assert recipient.opened_at is not None and recipient.clicked_at is None
    assert kinds(recorded) == [ActivityKind.OPEN]


def test_a_tampered_pixel_is_the_same_image_and_records_nothing(shop, recorded):
    [recipient] = delivered(make_campaign(shop), make_fans(shop, 1))
    good = Client().get(tracking.open_pixel_path(recipient.pk + 1000))  # no such recipient
    bad = Client().get(
        reverse("campaigns_tracking:open", args=[tampered(tracking.open_token(recipient.pk))])
    )

    assert bad.status_code == good.status_code == 200
    assert bad.content == good.content and bad["Content-Type"] == "image/gif"
    recipient.refresh_from_db()
    assert recipient.opened_at is None
    assert recorded == []


# --- unsubscribe page ----------------------------------------------------------------------


def test_unsubscribe_page_names_the_shop_and_channel_and_a_get_changes_nothing(shop):
    [fan] = make_fans(shop, 1)
    path = tracking.unsubscribe_path(user_id=fan.pk, shop_id=shop.pk, channel="email")

    page = Client().get(path)

    html = page.content.decode()
    assert page.status_code == 200
    assert shop.name in html and "Email" in html
    assert 'data-testid="unsubscribe-button"' in html
    assert "noindex" in page["X-Robots-Tag"]
    assert not ChannelOptOut.objects.exists()


def test_unsubscribe_is_idempotent_and_resubscribe_undoes_it(shop):
    [fan] = make_fans(shop, 1)
    path = tracking.unsubscribe_path(user_id=fan.pk, shop_id=shop.pk, channel="email")
    visitor = Client(enforce_csrf_checks=True)  # the token is the authority, not a cookie

    visitor.post(path, {"action": "unsubscribe"})
    done = visitor.post(path, {"action": "unsubscribe"})

    assert done.status_code == 200 and "Resubscribe" in done.content.decode()
    assert list(ChannelOptOut.objects.values_list("user", "shop", "channel")) == [
        (fan.pk, shop.pk, "email")
    ]
    back = visitor.post(path, {"action": "resubscribe", "scope": "shop"})
    assert back.status_code == 200
    assert not ChannelOptOut.objects.exists()


def test_unsubscribe_from_every_shop(shop):
    [fan] = make_fans(shop, 1)
    path = tracking.unsubscribe_path(user_id=fan.pk, shop_id=shop.pk, channel="webhook")

    done = Client().post(path, {"action": "unsubscribe", "scope": "all"})

    assert done.status_code == 200
    assert list(ChannelOptOut.objects.values_list("user", "shop", "channel")) == [
        (fan.pk, None, "webhook")
    ]
    assert "No shop will send you" in Client().get(path).content.decode()
    Client().post(path, {"action": "resubscribe", "scope": "all"})
    assert not ChannelOptOut.objects.exists()


def test_a_tampered_or_unknown_unsubscribe_token_is_a_404_and_writes_nothing(shop):
    [fan] = make_fans(shop, 1)
    token = tracking.unsubscribe_token(user_id=fan.pk, shop_id=shop.pk, channel="email")
    someone_else = make_user()
    paths = [
        reverse("campaigns_tracking:unsubscribe", args=[tampered(token)]),
        # Her token with its payload swapped for somebody else's: the signature no longer fits.
        reverse("campaigns_tracking:unsubscribe", args=[forged(token, someone_else.pk, shop.pk)]),
        tracking.unsubscribe_path(user_id=fan.pk, shop_id=shop.pk, channel="sms"),
        tracking.unsubscribe_path(user_id=10**9, shop_id=shop.pk, channel="email"),
        tracking.unsubscribe_path(user_id=fan.pk, shop_id=10**9, channel="email"),
    ]

    for path in paths:
        assert Client().get(path).status_code == 404, path
        assert Client().post(path, {"action": "unsubscribe"}).status_code == 404, path
        assert (
            Client()
            .post(
                path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
            )
            .status_code
            == 404
        )

    assert not ChannelOptOut.objects.exists()


# --- the inbox's side ----------------------------------------------------------------------


def test_reading_a_campaign_message_in_the_inbox_is_one_open(shop, recorded):
    [fan] = make_fans(shop, 1)
    [recipient] = delivered(make_campaign(shop), [fan])

    messaging.inbox_mark_read(user=fan, message_id=recipient.inbox_message_id)
    messaging.inbox_mark_read(user=fan, message_id=recipient.inbox_message_id)

    recipient.refresh_from_db()
    assert recipient.opened_at is not None
    assert kinds(recorded) == [ActivityKind.OPEN]  # not also the inbox's own OPEN
    assert recorded[0]["ref"] == recipient.pk


def test_opening_a_campaign_message_goes_through_the_click_redirect_counting_one_click(
    shop, recorded
):
    [fan] = make_fans(shop, 1)
    [recipient] = delivered(make_campaign(shop), [fan])
    client = Client()
    client.force_login(fan)

    opened = client.post(reverse("messaging:open", args=[recipient.inbox_message_id]))
    assert opened.status_code == 302
    assert opened["Location"] == tracking.click_path(recipient.pk)
    assert kinds(recorded) == [ActivityKind.OPEN]  # the view did not record a click itself
    gone = client.get(opened["Location"])

    assert gone["Location"] == "https://example.com/sale"
    assert kinds(recorded) == [ActivityKind.OPEN, ActivityKind.CLICK]
    assert InboxMessage.objects.get(pk=recipient.inbox_message_id).read_at is not None


def test_a_head_request_of_a_mail_scanner_records_no_click_or_open(shop, recorded):
    [recipient] = delivered(make_campaign(shop), make_fans(shop, 1))

    click = Client().head(tracking.click_path(recipient.pk))
    pixel = Client().head(tracking.open_pixel_path(recipient.pk))

    assert click.status_code == 302 and click["Location"] == "https://example.com/sale"
    assert pixel.status_code == 200
    recipient.refresh_from_db()
    assert recipient.clicked_at is None and recipient.opened_at is None
    assert recorded == []

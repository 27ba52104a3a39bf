"""The owner's campaign pages: the list, the compose form (create, the preview with and
without htmx), the report with its chart and cancel button, the messaging settings; bad input
answers 400 with nothing written, and a visitor is sent to log in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.campaigns.kit import make_campaign, make_fans, opt_out, shop_settings
from tests.factories import make_listing
from vshop.campaigns import tasks
from vshop.campaigns.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CampaignVariant,
    MessagingPolicy,
    RecipientState,
    ShopMessagingSettings,
    Timing,
)
from vshop.campaigns.selectors import HourPoint
from vshop.campaigns.views import hourly_chart

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(shop) -> Client:
    return logged_in(shop.owner)


@pytest.fixture
def no_plan(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(tasks, "campaign_plan", calls.append)
    return calls


def form(**kw: str | list[str]) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Spring sale",
        "text": "20% off everything this week.",
        "audience": "all",
        "timing": "now",
        "channels": ["inbox"],
        "holdout": "0",
    }
    data.update(kw)
    return data


def counts() -> tuple[int, int, int]:
    return (
        Campaign.objects.count(),
        CampaignVariant.objects.count(),
        CampaignRecipient.objects.count(),
    )


# --- compose ---------------------------------------------------------------------------------


def test_compose_form_lists_her_listings_segments_and_tags(shop, owner, product):
    listing = make_listing(shop, product)
    response = owner.get(reverse("campaigns:new"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{listing.pk}"' in html
    assert 'name="timing" value="best"' in html and 'type="datetime-local"' in html
    assert 'hx-post="/me/shop/campaigns/preview/"' in html
    assert 'name="preview"' in html  # works without script


def test_create_from_the_form_with_variant_b_and_redirect_to_the_report(
    shop, owner, no_plan, django_capture_on_commit_callbacks
):
    make_fans(shop, 3)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(
            reverse("campaigns:new"),
            form(title_b="Last days", text_b="Ends Sunday.", holdout="10", name="June test"),
        )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:detail", args=[campaign.pk])
    assert campaign.name == "June test" and campaign.holdout_percent == 10
    assert list(campaign.variants.values_list("title", flat=True)) == [
        "Spring sale",
        "Last days",
    ]
    assert no_plan == [campaign.pk]


def test_send_at_is_read_in_the_owners_zone(shop, owner, no_plan):
    make_fans(shop, 1)
    local = (
        (timezone.now() + timedelta(days=1)).astimezone(SHANGHAI).replace(second=0, microsecond=0)
    )
    response = owner.post(
        reverse("campaigns:new"),
        form(timing="at", send_at=local.strftime("%Y-%m-%dT%H:%M")),
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.window_start == local and campaign.timing == Timing.AT


def test_best_moment_window_from_start_and_hours(shop, owner, no_plan):
    make_fans(shop, 1)
    start = (
        (timezone.now() + timedelta(hours=2)).astimezone(SHANGHAI).replace(second=0, microsecond=0)
    )
    response = owner.post(
        reverse("campaigns:new"),
        form(timing="best", window_start=start.strftime("%Y-%m-%dT%H:%M"), window_hours="12"),
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.window_start, campaign.window_end) == (start, start + timedelta(hours=12))


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"title": "x" * 61}, "60 characters"),
        ({"text": "<script>alert(1)</script>"}, "scripts"),
        ({"link": "javascript:alert(1)"}, "http"),
        ({"listing": "abc"}, "whole number"),
        ({"listing": "999999"}, "listings on sale"),
        ({"audience": "segment", "segment": "999999"}, "segments"),
        ({"audience": "tag", "tag": ""}, "tags"),
        ({"timing": "at", "send_at": "2020-01-01T10:00"}, "past"),
        ({"timing": "at", "send_at": "someday"}, "date and time"),
        ({"timing": "best", "window_hours": "500"}, "1 to 168 hours"),
        ({"channels": []}, "at least one channel"),
        ({"channels": ["webhook"]}, "webhook URL"),
        ({"holdout": "70"}, "0 to 50"),
        ({"holdout": "-3"}, "whole number"),
    ],
)
def test_bad_forms_answer_400_and_write_nothing(shop, owner, no_plan, changes, words):
    make_fans(shop, 1)
    response = owner.post(reverse("campaigns:new"), form(**changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert words in html
    assert 'data-testid="campaign-error"' in html
    preview = owner.post(reverse("campaigns:preview"), form(**changes), **HTMX)
    assert preview.status_code == 400 and words in preview.content.decode()
    assert counts() == (0, 0, 0)
    assert no_plan == []


def test_empty_audience_is_400_on_the_page(shop, owner, no_plan):
    response = owner.post(reverse("campaigns:new"), form())
    assert response.status_code == 400
    assert "No fan matches this audience." in response.content.decode()
    preview = owner.post(reverse("campaigns:preview"), form(), **HTMX)
    assert "No fan matches this audience." in preview.content.decode()
    assert counts() == (0, 0, 0)


def test_preview_with_htmx_swaps_in_the_box(shop, owner):
    fans = make_fans(shop, 4)
    opt_out(fans[0], "inbox", shop)
    response = owner.post(reverse("campaigns:preview"), form(holdout="0"), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="campaign-preview"')
    assert "of 4 in the audience" in html
    assert "opted out 1" in html
    assert counts() == (0, 0, 0)


def test_preview_without_script_renders_the_whole_form_with_the_box(shop, owner):
    make_fans(shop, 2)
    response = owner.post(reverse("campaigns:new"), form(preview="1", title="Kept"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html.lower() and 'value="Kept"' in html
    assert "of 2 in the audience" in html
    assert counts() == (0, 0, 0)


# --- list, report, cancel --------------------------------------------------------------------


def _delivered(campaign, user, at, **kw):
    return CampaignRecipient.objects.create(
        campaign=campaign,
        fan_id=user.pk,
        user=user,
        slot_at=at,
        local_hour=0,
        state=RecipientState.DELIVERED,
        delivered_at=at,
        **kw,
    )


@pytest.fixture
def sent(shop):
    campaign = make_campaign(shop, name="Mid-autumn", variants=2, status=CampaignStatus.SCHEDULED)
    Campaign.objects.filter(pk=campaign.pk).update(planned_count=3, audience_label="All fans")
    a, b, c = make_fans(shop, 3)
    at = datetime(2026, 6, 1, 1, 10, tzinfo=UTC)
    _delivered(campaign, a, at, opened_at=at, clicked_at=at + timedelta(hours=2))
    _delivered(campaign, b, at, variant=2, opened_at=at + timedelta(hours=1))
    CampaignRecipient.objects.create(
        campaign=campaign, fan_id=c.pk, user=c, slot_at=at, local_hour=0, variant=2
    )
    campaign.refresh_from_db()
    return campaign


def test_list_shows_status_audience_reach_and_rates(shop, owner, sent):
    response = owner.get(reverse("campaigns:list"))
    assert response.status_code == 200
    html = response.content.decode()
    row = html[html.index(f'data-campaign="{sent.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Mid-autumn" in row and "Scheduled" in row and "All fans" in row
    cells = [c.split("<")[0] for c in row.split('<td class="n">')[1:]]
    assert cells == ["3", "2", "100.0%", "50.0%"]


def test_report_page_with_chart_variants_and_cancel(shop, owner, sent):
    response = owner.get(reverse("campaigns:detail", args=[sent.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="hourly-chart"' in html and "<svg" in html
    assert html.count('<rect class="delivered"') == 3  # 09:00, 10:00, 11:00 in Shanghai
    assert 'data-variant="A"' in html and 'data-variant="B"' in html
    assert 'data-testid="winner-sentence"' in html and "Not enough data yet" in html
    assert 'data-testid="cancel-campaign"' in html
    assert "06-01 09" in html  # the first hour's label, in her zone

    cancel = owner.post(reverse("campaigns:cancel", args=[sent.pk]))
    assert cancel.status_code == 302
    sent.refresh_from_db()
    assert sent.status == CampaignStatus.CANCELLED
    after = owner.get(reverse("campaigns:detail", args=[sent.pk])).content.decode()
    assert 'data-testid="cancel-campaign"' not in after


def test_cancel_of_a_finished_campaign_is_409_and_changes_nothing(shop, owner):
    done = make_campaign(shop, status=CampaignStatus.DONE)
    response = owner.post(reverse("campaigns:cancel", args=[done.pk]))
    assert response.status_code == 409
    done.refresh_from_db()
    assert done.status == CampaignStatus.DONE


def test_cancel_needs_post(shop, owner, sent):
    assert owner.get(reverse("campaigns:cancel", args=[sent.pk])).status_code == 405
    sent.refresh_from_db()
    assert sent.status == CampaignStatus.SCHEDULED


def test_chart_fills_the_hours_between_and_scales_bars():
    at = datetime(2026, 6, 1, 1, 0, tzinfo=UTC).astimezone(SHANGHAI)
    points = [
        HourPoint(at, delivered=10, opened=5, clicked=0),
        HourPoint(at + timedelta(hours=3), delivered=0, opened=2, clicked=1),
    ]
    chart = hourly_chart(points, SHANGHAI)
    assert chart["hours"] == 4 and len(chart["bars"]) == 12
    tallest = chart["bars"][0]
    assert (tallest.value, tallest.height, tallest.y) == (10, 120.0, 10.0)
    assert chart["bars"][1].height == 60.0  # 5 of 10
    assert hourly_chart([], SHANGHAI)["bars"] == []


# --- messaging settings ----------------------------------------------------------------------


def test_messaging_settings_save_show_the_secret_and_rotate(settings, shop, owner):
    settings.VSHOP_WEBHOOK_ALLOW_PRIVATE = True
    page = owner.get(reverse("campaigns:messaging"))
    assert page.status_code == 200 and 'data-testid="webhook-secret"' not in page.content.decode()
    saved = owner.post(
        reverse("campaigns:messaging"),
        {"per_fan_per_day": "1", "webhook_url": "http://127.0.0.1:9/hook"},
    )
    assert saved.status_code == 302
    row = ShopMessagingSettings.objects.get(shop=shop)
    html = owner.get(reverse("campaigns:messaging")).content.decode()
    assert row.webhook_secret in html and "X-VShop-Signature" in html
    rotated = owner.post(reverse("campaigns:messaging_rotate"))
    assert rotated.status_code == 302
    old = row.webhook_secret
    row.refresh_from_db()
    assert row.webhook_secret != old


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"per_fan_per_day": "5", "webhook_url": ""}, "the platform allows"),
        ({"per_fan_per_day": "x", "webhook_url": ""}, "whole number"),
        ({"per_fan_per_day": "", "webhook_url": "ftp://example.com"}, "webhook"),
    ],
)
def test_bad_messaging_settings_answer_400_and_save_nothing(shop, owner, data, words):
    response = owner.post(reverse("campaigns:messaging"), data)
    assert response.status_code == 400
    assert words in response.content.decode().lower() or words in response.content.decode()
    assert not ShopMessagingSettings.objects.exists()


def test_rotate_without_webhook_is_400(shop, owner):
    response = owner.post(reverse("campaigns:messaging_rotate"))
    assert response.status_code == 400
    assert not ShopMessagingSettings.objects.exists()


# --- who may see them ------------------------------------------------------------------------


def test_dashboard_links_to_campaigns(shop, owner):
    html = owner.get(reverse("shops:dashboard")).content.decode()
    assert f'href="/me/shop/campaigns/?shop={shop.pk}"' in html


def test_visitors_are_sent_to_log_in(shop, sent):
    visitor = Client()
    pages = [
        ("get", reverse("campaigns:list")),
        ("get", reverse("campaigns:new")),
        ("post", reverse("campaigns:new")),
        ("post", reverse("campaigns:preview")),
        ("get", reverse("campaigns:detail", args=[sent.pk])),
        ("post", reverse("campaigns:cancel", args=[sent.pk])),
        ("get", reverse("campaigns:messaging")),
        ("post", reverse("campaigns:messaging")),
        ("post", reverse("campaigns:messaging_rotate")),
    ]
    for method, url in pages:
        response = getattr(visitor, method)(url, form() if method == "post" else None)
        assert response.status_code == 302, url
        assert "/accounts/login" in response["Location"], url
    sent.refresh_from_db()
    assert sent.status == CampaignStatus.SCHEDULED
    assert Campaign.objects.count() == 1


# --- the operator console --------------------------------------------------------------------


@pytest.fixture
def console(operator) -> Client:
    return logged_in(operator)


def test_platform_policy_is_one_row_never_deleted(console):
    add = "/operator/campaigns/messagingpolicy/add/"
    assert console.get(add).status_code == 200
    refused = console.post(add, {"per_shop_per_day": "4", "per_fan_per_day": "3"})
    assert refused.status_code == 200 and not MessagingPolicy.objects.exists()
    zero = console.post(add, {"per_shop_per_day": "0", "per_fan_per_day": "3"})
    assert zero.status_code == 200 and not MessagingPolicy.objects.exists()
    created = console.post(add, {"per_shop_per_day": "2", "per_fan_per_day": "3"})
    assert created.status_code == 302
    policy = MessagingPolicy.objects.get()
    assert console.get(add).status_code == 403
    delete = f"/operator/campaigns/messagingpolicy/{policy.pk}/delete/"
    assert console.post(delete, {"post": "yes"}).status_code == 403
    assert MessagingPolicy.objects.count() == 1


def test_campaigns_and_shop_settings_are_shown_read_only(console, shop, sent):
    shop_settings(shop, webhook_url="https://h.example/in")
    listing = console.get("/operator/campaigns/campaign/")
    assert listing.status_code == 200 and "Mid-autumn" in listing.content.decode()
    row = f"/operator/campaigns/campaign/{sent.pk}/change/"
    assert console.get(row).status_code == 200
    assert console.post(row, {"name": "Renamed"}).status_code == 403
    assert console.get("/operator/campaigns/campaign/add/").status_code == 403
    sent.refresh_from_db()
    assert sent.name == "Mid-autumn"
    settings_row = ShopMessagingSettings.objects.get(shop=shop)
    page = console.get(f"/operator/campaigns/shopmessagingsettings/{settings_row.pk}/change/")
    assert page.status_code == 200
    assert "h.example" in page.content.decode()
    assert settings_row.webhook_secret not in page.content.decode()

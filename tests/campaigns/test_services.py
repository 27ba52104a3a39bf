"""Composing a campaign: every rule of a draft (texts, link, listing, audience, timing,
channels, holdout) is a 400 naming the problem with nothing written; create saves the campaign
and its variants and plans it after commit; cancel stops what has not gone out; the shop's
messaging settings keep her cap under the platform's and make her webhook secret once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.campaigns.kit import make_campaign, make_fans, opt_out, shop_settings
from tests.factories import make_listing
from vshop.campaigns import services, tasks
from vshop.campaigns.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CampaignVariant,
    MessagingPolicy,
    RecipientState,
    SendSlot,
    ShopMessagingSettings,
    SlotState,
    Timing,
)
from vshop.campaigns.services import CampaignDraft
from vshop.errors import Conflict, NotFound, ValidationFailed
from vshop.fans import segments, tags
from vshop.shops.models import ListingStatus

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


def draft(**kw: object) -> CampaignDraft:
    base: dict[str, object] = {"variants": [("Spring sale", "20% off everything this week.")]}
    base.update(kw)
    return CampaignDraft(**base)  # type: ignore[arg-type]


def build(shop, **kw: object):
    return services.campaign_build(shop, shop.owner, draft(**kw), now=NOW)


def refused(shop, match: str, **kw: object) -> ValidationFailed:
    with pytest.raises(ValidationFailed, match=match) as info:
        build(shop, **kw)
    return info.value


def counts() -> tuple[int, int, int]:
    return (
        Campaign.objects.count(),
        CampaignVariant.objects.count(),
        CampaignRecipient.objects.count(),
    )


# --- build -----------------------------------------------------------------------------------


def test_a_plain_draft_builds_an_unsaved_campaign_named_after_its_title(shop):
    campaign, variants = build(shop)
    assert campaign.pk is None and all(v.pk is None for v in variants)
    assert campaign.name == "Spring sale"
    assert (campaign.window_start, campaign.window_end) == (NOW, NOW)
    assert campaign.status == CampaignStatus.PLANNING
    assert campaign.channels == ["inbox"]
    assert [(v.number, v.label, v.title) for v in variants] == [(1, "A", "Spring sale")]
    assert Campaign.objects.count() == 0


@pytest.mark.parametrize(
    ("variants", "match"),
    [
        ([("x" * 61, "text")], "60 characters"),
        ([("title", "y" * 501)], "500 characters"),
        ([("   ", "text")], "title of variant A is empty"),
        ([("title", "<b></b>")], "text of variant A is empty"),
        ([], "Write the message"),
        ([("t", "x")] * 5, "4 variants at most"),
    ],
)
def test_texts_out_of_bounds_are_refused_with_the_limit(shop, variants, match):
    refused(shop, match, variants=variants)


@pytest.mark.parametrize(
    "text",
    [
        "Hello <script>alert(1)</script>",
        "<a href='javascript:alert(1)'>sale</a>",
        "<img src=x onerror=alert(1)>",
        "<iframe src='https://evil.example'></iframe>",
        "<object data='x.swf'></object>",
        "<EMBED src='x'>",
    ],
)
def test_text_with_scripts_is_refused(shop, text):
    error = refused(shop, "scripts", variants=[("Sale", text)])
    assert error.field == "variants.0.text"
    refused(shop, "scripts", variants=[(text[:60], "fine")])


def test_other_html_is_stripped_to_text_and_entities_kept_as_typed(shop):
    _campaign, variants = build(shop, variants=[("<b>Big</b> sale", "<p>A &amp; B < C</p>\r\nBye")])
    assert variants[0].title == "Big sale"
    assert variants[0].text == "A & B < C\nBye"


def test_name_is_checked_too(shop):
    refused(shop, "name has 60", name="n" * 61)
    campaign, _variants = build(shop, name="  My   campaign ")
    assert campaign.name == "My campaign"


@pytest.mark.parametrize(
    "link",
    [
        "ftp://example.com/x",
        "javascript:alert(1)",
        "data:text/html,hi",
        "mailto:me@example.com",
        "/relative/path",
        "https://",
        "https://exa mple.com",
        "https://example.com/" + "a" * 500,
    ],
)
def test_links_that_are_not_web_addresses_are_refused(shop, link):
    error = refused(shop, "link", link=link)
    assert error.field == "link"


def test_http_and_https_links_pass(shop):
    assert build(shop, link=" https://example.com/sale?x=1 ")[0].link == (
        "https://example.com/sale?x=1"
    )
    assert build(shop, link="http://example.com")[0].link == "http://example.com"


def test_listing_must_be_her_own_and_on_sale(shop, other_shop, product):
    mine = make_listing(shop, product)
    theirs = make_listing(other_shop, product)
    assert build(shop, listing_id=mine.pk)[0].listing == mine
    error = refused(shop, "your listings", listing_id=theirs.pk)
    assert error.field == "listing_id"
    refused(shop, "your listings", listing_id=10**9)
    mine.status = ListingStatus.HIDDEN
    mine.save()
    refused(shop, "your listings", listing_id=mine.pk)


def test_segment_and_tag_must_be_the_shops(shop, other_shop):
    rule = {"op": "and", "conditions": []}
    my_segment = segments.segment_create(shop=shop, actor=shop.owner, name="All", rule=rule)
    their_segment = segments.segment_create(
        shop=other_shop, actor=other_shop.owner, name="All", rule=rule
    )
    my_tag = tags.tag_create(shop=shop, name="VIP", rule=None)
    their_tag = tags.tag_create(shop=other_shop, name="VIP", rule=None)

    campaign, _v = build(shop, audience_kind="segment", segment_id=my_segment.pk)
    assert (campaign.segment, campaign.audience_label) == (my_segment, "Segment: All")
    campaign, _v = build(shop, audience_kind="tag", tag_id=my_tag.pk)
    assert (campaign.tag, campaign.audience_label) == (my_tag, "Tag: VIP")

    refused(shop, "your segments", audience_kind="segment", segment_id=their_segment.pk)
    refused(shop, "your segments", audience_kind="segment", segment_id=None)
    refused(shop, "your tags", audience_kind="tag", tag_id=their_tag.pk)
    refused(shop, "Choose the audience", audience_kind="everyone")


def test_channels(shop):
    refused(shop, "at least one channel", channels=[])
    refused(shop, "Unknown channel", channels=["sms"])
    error = refused(shop, "webhook URL", channels=["webhook"])
    assert error.field == "channels"
    shop_settings(shop, webhook_url="https://hooks.example.com/in")
    campaign, _v = build(shop, channels=["email", "webhook", "email"])
    assert campaign.channels == ["email", "webhook"]


def test_timing_at(shop):
    at = NOW + timedelta(hours=3)
    campaign, _v = build(shop, timing=Timing.AT, send_at=at)
    assert (campaign.window_start, campaign.window_end) == (at, at)
    refused(shop, "Choose when", timing=Timing.AT)
    refused(shop, "in the past", timing=Timing.AT, send_at=NOW - timedelta(minutes=1))
    refused(shop, "30 days ahead", timing=Timing.AT, send_at=NOW + timedelta(days=31))
    refused(shop, "time zone", timing=Timing.AT, send_at=datetime(2026, 6, 2, 10, 0))
    refused(shop, "Choose the timing", timing="soon")


def test_timing_best(settings, shop):
    settings.VSHOP_SEND_WINDOW_HOURS = 24
    campaign, _v = build(shop, timing=Timing.BEST)
    assert (campaign.window_start, campaign.window_end) == (NOW, NOW + timedelta(hours=24))
    start = NOW - timedelta(minutes=4)  # the form was filled a moment ago
    campaign, _v = build(shop, timing=Timing.BEST, window_start=start)
    assert campaign.window_end == start + timedelta(hours=24)
    refused(shop, "starts in the past", timing=Timing.BEST, window_start=NOW - timedelta(hours=1))
    refused(
        shop,
        "end after it starts",
        timing=Timing.BEST,
        window_start=NOW,
        window_end=NOW,
    )
    refused(
        shop,
        "7 days long",
        timing=Timing.BEST,
        window_start=NOW,
        window_end=NOW + timedelta(days=7, minutes=1),
    )


@pytest.mark.parametrize("holdout", [-1, 51, True])
def test_holdout_is_0_to_50_percent(shop, holdout):
    refused(shop, "0 to 50 percent", holdout_percent=holdout)


def test_holdout_or_two_variants_make_a_test(shop):
    campaign, variants = build(shop, holdout_percent=10)
    assert services.is_ab_test(campaign, len(variants))
    campaign, variants = build(shop, variants=[("A", "a"), ("B", "b")])
    assert services.is_ab_test(campaign, len(variants))
    campaign, variants = build(shop)
    assert not services.is_ab_test(campaign, len(variants))


def test_another_owner_cannot_build_for_her_shop(shop, other_shop):
    with pytest.raises(NotFound):
        services.campaign_build(shop, other_shop.owner, draft(), now=NOW)


# --- create ----------------------------------------------------------------------------------


@pytest.fixture
def planned_calls(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(tasks, "campaign_plan", calls.append)
    return calls


def test_create_saves_campaign_and_variants_and_plans_after_commit(
    shop, planned_calls, django_capture_on_commit_callbacks
):
    make_fans(shop, 2)
    with django_capture_on_commit_callbacks(execute=True):
        campaign = services.campaign_create(
            shop, shop.owner, draft(variants=[("A title", "a"), ("B title", "b")])
        )
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PLANNING
    assert campaign.audience_label == "All fans"
    assert campaign.created_by == shop.owner
    assert list(campaign.variants.values_list("number", "title")) == [
        (1, "A title"),
        (2, "B title"),
    ]
    assert planned_calls == [campaign.pk]


def test_create_without_any_fan_is_refused_and_writes_nothing(shop, planned_calls):
    with pytest.raises(ValidationFailed, match="No fan matches"):
        services.campaign_create(shop, shop.owner, draft())
    assert counts() == (0, 0, 0)
    assert planned_calls == []


def test_create_when_everyone_opted_out_names_why(shop, planned_calls):
    for user in make_fans(shop, 2):
        opt_out(user, "inbox", shop)
    with pytest.raises(ValidationFailed, match="2 opted out"):
        services.campaign_create(shop, shop.owner, draft())
    assert counts() == (0, 0, 0)


def test_create_with_a_bad_draft_writes_nothing(shop, planned_calls):
    make_fans(shop, 1)
    with pytest.raises(ValidationFailed):
        services.campaign_create(shop, shop.owner, draft(link="javascript:alert(1)"))
    assert counts() == (0, 0, 0)


# --- cancel ----------------------------------------------------------------------------------


def _recipient(campaign, user, state):
    return CampaignRecipient.objects.create(
        campaign=campaign,
        fan_id=user.pk,
        user=user,
        slot_at=NOW,
        local_hour=12,
        state=state,
        delivered_at=NOW if state == RecipientState.DELIVERED else None,
    )


def test_cancel_stops_what_has_not_gone_out(shop):
    a, b = make_fans(shop, 2)
    campaign = make_campaign(shop, status=CampaignStatus.SCHEDULED)
    waiting = _recipient(campaign, a, RecipientState.PLANNED)
    done = _recipient(campaign, b, RecipientState.DELIVERED)
    slot_done = SendSlot.objects.create(campaign=campaign, at=NOW, state=SlotState.DONE)
    slot_next = SendSlot.objects.create(campaign=campaign, at=NOW + timedelta(hours=1))

    services.campaign_cancel(shop, shop.owner, campaign.pk, now=NOW)

    campaign.refresh_from_db()
    assert (campaign.status, campaign.cancelled_at) == (CampaignStatus.CANCELLED, NOW)
    waiting.refresh_from_db()
    done.refresh_from_db()
    assert (waiting.state, done.state) == (RecipientState.CANCELLED, RecipientState.DELIVERED)
    slot_done.refresh_from_db()
    slot_next.refresh_from_db()
    assert (slot_done.state, slot_next.state) == (SlotState.DONE, SlotState.CANCELLED)


@pytest.mark.parametrize(
    "status", [CampaignStatus.DONE, CampaignStatus.CANCELLED, CampaignStatus.FAILED]
)
def test_cancel_of_a_finished_campaign_is_a_conflict(shop, status):
    campaign = make_campaign(shop, status=status)
    with pytest.raises(Conflict):
        services.campaign_cancel(shop, shop.owner, campaign.pk)
    campaign.refresh_from_db()
    assert campaign.status == status and campaign.cancelled_at is None


def test_cancel_of_another_shops_campaign_is_not_found(shop, other_shop):
    theirs = make_campaign(other_shop)
    with pytest.raises(NotFound):
        services.campaign_cancel(shop, shop.owner, theirs.pk)
    with pytest.raises(NotFound):
        services.campaign_cancel(other_shop, shop.owner, theirs.pk)
    theirs.refresh_from_db()
    assert theirs.status == CampaignStatus.PLANNING


# --- messaging settings ----------------------------------------------------------------------


@pytest.fixture
def local_hooks(settings):
    settings.VSHOP_WEBHOOK_ALLOW_PRIVATE = True


def test_cap_is_1_to_the_platforms(shop):
    MessagingPolicy.objects.create(per_shop_per_day=2, per_fan_per_day=3)
    row = services.shop_messaging_update(shop, shop.owner, 2, "")
    assert row.per_fan_per_day == 2
    for bad in (0, 3, -1):
        with pytest.raises(ValidationFailed, match="the platform allows 2"):
            services.shop_messaging_update(shop, shop.owner, bad, "")
    assert ShopMessagingSettings.objects.get(shop=shop).per_fan_per_day == 2
    assert services.shop_messaging_update(shop, shop.owner, None, "").per_fan_per_day is None


def test_platform_cap_defaults_to_the_setting(settings, shop):
    settings.VSHOP_CAP_PER_SHOP_DAY = 1
    with pytest.raises(ValidationFailed, match="platform allows 1"):
        services.shop_messaging_update(shop, shop.owner, 2, "")
    assert not ShopMessagingSettings.objects.exists()


def test_webhook_secret_is_made_once_and_rotated(shop, local_hooks):
    row = services.shop_messaging_update(shop, shop.owner, None, " http://127.0.0.1:9/hook ")
    assert row.webhook_url == "http://127.0.0.1:9/hook"
    assert len(row.webhook_secret) == 64
    first = row.webhook_secret
    again = services.shop_messaging_update(shop, shop.owner, None, "http://127.0.0.1:9/other")
    assert again.webhook_secret == first
    rotated = services.webhook_secret_rotate(shop, shop.owner)
    assert rotated.webhook_secret not in ("", first)
    off = services.shop_messaging_update(shop, shop.owner, None, "")
    assert off.webhook_url == ""


def test_bad_webhook_urls_are_refused_and_nothing_is_saved(shop, local_hooks):
    for url in ("ftp://127.0.0.1/x", "javascript:alert(1)", "http://127.0.0.1/" + "a" * 500):
        with pytest.raises(ValidationFailed) as info:
            services.shop_messaging_update(shop, shop.owner, None, url)
        assert info.value.field == "webhook_url"
    assert not ShopMessagingSettings.objects.exists()


def test_rotate_without_a_webhook_is_refused(shop):
    with pytest.raises(ValidationFailed, match="webhook URL first"):
        services.webhook_secret_rotate(shop, shop.owner)
    assert not ShopMessagingSettings.objects.exists()


def test_settings_of_another_owners_shop_are_not_found(shop, other_shop, local_hooks):
    with pytest.raises(NotFound):
        services.shop_messaging_update(shop, other_shop.owner, None, "http://127.0.0.1:9/x")
    with pytest.raises(NotFound):
        services.webhook_secret_rotate(shop, other_shop.owner)
    assert not ShopMessagingSettings.objects.exists()

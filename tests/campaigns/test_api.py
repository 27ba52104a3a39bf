"""The owner's campaigns API: create (planned at once), preview counts equal to what the plan
counts, list with rates, the report's figures, cancel, messaging settings; bad input is a 4xx
with nothing written, and a visitor without a session or token gets 401."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.api.conftest import client_for
from tests.campaigns.kit import (
    make_campaign,
    make_fans,
    opt_out,
    quiet_hours,
    shop_settings,
    stub_send_time_if_missing,
)
from tests.factories import make_listing
from vshop.campaigns import selectors, tasks
from vshop.campaigns.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CampaignVariant,
    OutgoingMessage,
    OutgoingState,
    RecipientState,
    ShopMessagingSettings,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


def body(**kw: object) -> dict[str, object]:
    data: dict[str, object] = {
        "variants": [{"title": "Spring sale", "text": "20% off everything this week."}]
    }
    data.update(kw)
    return data


def counts() -> tuple[int, int, int]:
    return (
        Campaign.objects.count(),
        CampaignVariant.objects.count(),
        CampaignRecipient.objects.count(),
    )


@pytest.fixture
def owner(shop):
    return client_for(shop.owner)


@pytest.fixture
def no_plan(monkeypatch):
    """The worker's plan is not run (these tests look at what the API wrote itself)."""
    calls: list[int] = []
    monkeypatch.setattr(tasks, "campaign_plan", calls.append)
    return calls


def base(shop) -> str:
    return f"/api/shops/{shop.slug}"


# --- create and preview ----------------------------------------------------------------------


def test_preview_counts_equal_what_the_plan_counts(
    shop, owner, monkeypatch, django_capture_on_commit_callbacks
):
    stub_send_time_if_missing(monkeypatch)
    fans = make_fans(shop, 6)
    opt_out(fans[0], "inbox", shop)
    for user in fans[1:3]:
        quiet_hours(user, 0, 0)  # no quiet hours for two of them
    draft = body(
        holdout_percent=20, variants=[{"title": "A", "text": "a"}, {"title": "B", "text": "b"}]
    )

    preview = owner.post(f"{base(shop)}/campaigns/preview", draft)
    assert preview.status_code == 200, preview.content
    figures = preview.json()
    assert figures["audience"] == 6 and figures["held_optout"] == 1
    assert counts() == (0, 0, 0)

    with django_capture_on_commit_callbacks(execute=True):
        created = owner.post(f"{base(shop)}/campaigns", draft)
    assert created.status_code == 201, created.content
    campaign = Campaign.objects.get(pk=created.json()["id"])
    assert campaign.status != CampaignStatus.PLANNING  # the plan ran
    assert {
        "audience": campaign.audience_count,
        "reach": campaign.planned_count,
        "holdout": campaign.holdout_count,
        "held_caps": campaign.held_caps,
        "held_quiet": campaign.held_quiet,
        "held_optout": campaign.held_optout,
        "estimated": False,
    } == figures


def test_create_answers_the_campaign(
    shop, owner, no_plan, product, django_capture_on_commit_callbacks
):
    make_fans(shop, 2)
    listing = make_listing(shop, product)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(
            f"{base(shop)}/campaigns",
            body(
                name="June",
                listing_id=listing.pk,
                link="https://example.com/june",
                channels=["inbox", "email"],
            ),
        )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["name"] == "June"
    assert data["status"] == "planning"
    assert data["listing_id"] == listing.pk
    assert data["channels"] == ["inbox", "email"]
    assert data["audience_label"] == "All fans"
    assert data["variants"] == [
        {"label": "A", "title": "Spring sale", "text": "20% off everything this week."}
    ]
    assert no_plan == [data["id"]]


def test_a_time_without_offset_is_in_the_owners_zone(shop, owner, no_plan):
    make_fans(shop, 1)
    shop.owner.time_zone = "Europe/Berlin"
    shop.owner.save()
    local = (timezone.now() + timedelta(days=2)).astimezone(ZoneInfo("Europe/Berlin"))
    naive = local.replace(tzinfo=None, second=0, microsecond=0)
    response = owner.post(f"{base(shop)}/campaigns", body(timing="at", send_at=naive.isoformat()))
    assert response.status_code == 201, response.content
    campaign = Campaign.objects.get()
    assert campaign.window_start == naive.replace(tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"variants": [{"title": "x" * 61, "text": "t"}]}, "variants.0.title", "60"),
        ({"variants": [{"title": "t", "text": "x" * 501}]}, "variants.0.text", "500"),
        ({"variants": [{"title": "t", "text": "<script>x</script>"}]}, "variants.0.text", "script"),
        ({"variants": []}, "variants", "title"),
        ({"link": "javascript:alert(1)"}, "link", "http"),
        ({"link": "ftp://example.com"}, "link", "http"),
        ({"listing_id": 999999}, "listing_id", "listing"),
        ({"audience_kind": "segment", "segment_id": 999999}, "segment_id", "segment"),
        ({"audience_kind": "tag"}, "tag_id", "tag"),
        ({"audience_kind": "everybody"}, "audience_kind", "audience"),
        ({"timing": "later"}, "timing", "timing"),
        ({"timing": "at", "send_at": "2020-01-01T10:00:00+08:00"}, "send_at", "past"),
        ({"timing": "best", "window_start": "2020-01-01T10:00:00Z"}, "window_start", "past"),
        ({"channels": []}, "channels", "channel"),
        ({"channels": ["webhook"]}, "channels", "webhook"),
        ({"holdout_percent": 60}, "holdout_percent", "50"),
    ],
)
def test_bad_drafts_are_400_and_write_nothing(shop, owner, no_plan, changes, field, words):
    make_fans(shop, 1)
    for path in ("/campaigns", "/campaigns/preview"):
        response = owner.post(base(shop) + path, body(**changes))
        assert response.status_code == 400, response.content
        error = response.json()
        assert error["field"] == field
        assert words.lower() in error["message"].lower()
    assert counts() == (0, 0, 0)
    assert no_plan == []


@pytest.mark.parametrize(
    "payload",
    [
        body(holdout_percent="lots"),
        body(surprise=1),
        body(variants=[{"title": "t"}]),
        body(send_at="tomorrow"),
        {"name": "no variants"},
    ],
)
def test_wrong_shapes_are_422_and_write_nothing(shop, owner, no_plan, payload):
    make_fans(shop, 1)
    response = owner.post(f"{base(shop)}/campaigns", payload)
    assert response.status_code == 422, response.content
    assert counts() == (0, 0, 0)


def test_empty_audience_and_nobody_reachable_are_400(shop, owner, no_plan):
    response = owner.post(f"{base(shop)}/campaigns", body())
    assert response.status_code == 400
    assert response.json()["message"] == "No fan matches this audience."
    (user,) = make_fans(shop, 1)
    opt_out(user, "inbox", shop)
    response = owner.post(f"{base(shop)}/campaigns", body())
    assert response.status_code == 400
    assert "1 opted out" in response.json()["message"]
    assert counts() == (0, 0, 0)


# --- list, report, cancel --------------------------------------------------------------------


def _recipient(campaign, user, *, variant=1, state=RecipientState.DELIVERED, **kw):
    delivered = kw.pop("delivered_at", NOW if state == RecipientState.DELIVERED else None)
    return CampaignRecipient.objects.create(
        campaign=campaign,
        fan_id=user.pk,
        user=user,
        variant=variant,
        slot_at=NOW,
        local_hour=12,
        state=state,
        delivered_at=delivered,
        **kw,
    )


@pytest.fixture
def reported(shop):
    """A campaign with A, B and a holdout, whose recipients are set by hand:
    A: 4 delivered (09:xx and 10:xx UTC), 3 opened, 2 clicked, 1 ordered ¥120;
    B: 2 delivered, 1 planned, 1 capped; nothing opened;
    holdout: 2 fans, 1 ordered ¥50. Outbox: 2 emails sent, 1 failed, 1 waiting."""
    campaign = make_campaign(
        shop, variants=2, holdout_percent=20, email=True, status=CampaignStatus.SCHEDULED
    )
    users = make_fans(shop, 10)
    at9 = datetime(2026, 6, 1, 9, 15, tzinfo=UTC)
    at10 = datetime(2026, 6, 1, 10, 5, tzinfo=UTC)
    a = [
        _recipient(
            campaign,
            users[0],
            delivered_at=at9,
            opened_at=at9,
            clicked_at=at10,
            ordered_at=at10,
            order_count=1,
            order_value=12000,
        ),
        _recipient(campaign, users[1], delivered_at=at9, opened_at=at10, clicked_at=at10),
        _recipient(campaign, users[2], delivered_at=at10, opened_at=at10),
        _recipient(campaign, users[3], delivered_at=at10),
    ]
    _recipient(campaign, users[4], variant=2, delivered_at=at9)
    _recipient(campaign, users[5], variant=2, delivered_at=at9)
    _recipient(campaign, users[6], variant=2, state=RecipientState.PLANNED)
    _recipient(campaign, users[7], variant=2, state=RecipientState.CAPPED)
    _recipient(campaign, users[8], variant=0, state=RecipientState.HOLDOUT)
    _recipient(
        campaign,
        users[9],
        variant=0,
        state=RecipientState.HOLDOUT,
        ordered_at=at10,
        order_count=1,
        order_value=5000,
    )
    for r, state in zip(
        a,
        (OutgoingState.SENT, OutgoingState.SENT, OutgoingState.FAILED, OutgoingState.PENDING),
        strict=True,
    ):
        OutgoingMessage.objects.create(recipient=r, channel="email", state=state)
    return campaign


def test_report_figures_from_recipients_set_by_hand(reported):
    report = selectors.campaign_report(campaign=reported, time_zone="Asia/Shanghai")
    assert report.states == {
        "planned": 1,
        "delivered": 6,
        "holdout": 2,
        "capped": 1,
        "opted_out": 0,
        "failed": 0,
        "cancelled": 0,
    }
    a, b = report.variants
    assert (a.label, a.figures.recipients, a.figures.delivered, a.figures.opened) == ("A", 4, 4, 3)
    assert (a.figures.clicked, a.figures.ordered, a.figures.order_value) == (2, 1, 12000)
    assert (a.figures.open_rate, a.figures.click_rate, a.figures.order_rate) == (0.75, 0.5, 0.25)
    assert (b.figures.recipients, b.figures.delivered, b.figures.clicked) == (4, 2, 0)
    assert report.total.recipients == 8 and report.total.ordered == 1
    assert report.holdout is not None
    assert (report.holdout.figures.recipients, report.holdout.figures.ordered) == (2, 1)
    assert report.holdout.figures.order_value == 5000
    assert report.winner is not None and report.winner.winner == "A"
    assert not report.winner.enough_data  # 4 and 2 fans: no verdict yet
    assert report.incremental_order_rate == pytest.approx(1 / 8 - 1 / 2)
    # Hours in Shanghai (UTC+8): 17:00 and 18:00.
    assert [(h.hour.hour, h.delivered, h.opened, h.clicked) for h in report.hourly] == [
        (17, 4, 1, 0),
        (18, 2, 2, 2),
    ]
    assert report.hourly[0].hour.utcoffset() == timedelta(hours=8)
    (email,) = report.outbox
    assert (email.channel, email.sent, email.failed, email.pending) == ("email", 2, 1, 1)


def test_report_through_the_api(shop, owner, reported):
    response = owner.get(f"{base(shop)}/campaigns/{reported.pk}")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["campaign"]["id"] == reported.pk
    assert [v["label"] for v in data["variants"]] == ["A", "B"]
    assert data["variants"][0]["order_value"] == 12000
    assert data["holdout"]["label"] == "Holdout"
    assert data["winner"]["winner"] == "A"
    assert data["winner"]["sentence"].startswith("Not enough data yet")
    assert data["hourly"][0]["hour"].startswith("2026-06-01T17:00:00+08:00")
    assert data["outbox"] == [
        {"channel": "email", "sent": 2, "failed": 1, "pending": 1, "skipped": 0}
    ]


def test_list_newest_first_with_rates_and_pages(shop, owner, reported):
    newer = make_campaign(shop, name="Newer")
    Campaign.objects.filter(pk=newer.pk).update(created_at=timezone.now() + timedelta(hours=1))
    response = owner.get(f"{base(shop)}/campaigns?page_size=1")
    assert response.status_code == 200
    data = response.json()
    assert (data["count"], data["pages"]) == (2, 2)
    assert [c["name"] for c in data["items"]] == ["Newer"]
    second = owner.get(f"{base(shop)}/campaigns?page_size=1&page=2").json()["items"][0]
    assert second["id"] == reported.pk
    assert second["delivered"] == 6
    assert second["open_rate"] == pytest.approx(3 / 6)
    assert second["click_rate"] == pytest.approx(2 / 6)


def test_cancel_then_cancel_again_is_409(shop, owner, reported):
    response = owner.post(f"{base(shop)}/campaigns/{reported.pk}/cancel")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert CampaignRecipient.objects.filter(state=RecipientState.PLANNED).count() == 0
    again = owner.post(f"{base(shop)}/campaigns/{reported.pk}/cancel")
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


# --- messaging -------------------------------------------------------------------------------


def test_messaging_settings_round_trip(settings, shop, owner):
    settings.VSHOP_WEBHOOK_ALLOW_PRIVATE = True
    first = owner.get(f"{base(shop)}/messaging")
    assert first.status_code == 200
    assert first.json() == {
        "per_fan_per_day": None,
        "platform_per_shop_per_day": settings.VSHOP_CAP_PER_SHOP_DAY,
        "platform_per_fan_per_day": settings.VSHOP_CAP_PER_FAN_DAY,
        "webhook_url": "",
        "webhook_secret": None,
    }
    put = owner.put(
        f"{base(shop)}/messaging",
        {"per_fan_per_day": 1, "webhook_url": "http://127.0.0.1:9/hook"},
        content_type="application/json",
    )
    assert put.status_code == 200, put.content
    secret = put.json()["webhook_secret"]
    assert len(secret) == 64 and put.json()["per_fan_per_day"] == 1
    rotated = owner.post(f"{base(shop)}/messaging/rotate-secret")
    assert rotated.status_code == 200
    assert rotated.json()["webhook_secret"] not in (secret, None)


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"per_fan_per_day": 99}, 400),
        ({"per_fan_per_day": 0}, 400),
        ({"webhook_url": "ftp://example.com/x"}, 400),
        ({"webhook_url": "not a url"}, 400),
        ({"per_fan_per_day": "many"}, 422),
        ({"webhook_secret": "mine"}, 422),
    ],
)
def test_bad_messaging_settings_write_nothing(shop, owner, payload, status):
    response = owner.put(f"{base(shop)}/messaging", payload, content_type="application/json")
    assert response.status_code == status, response.content
    assert not ShopMessagingSettings.objects.exists()


def test_rotate_without_webhook_is_400(shop, owner):
    response = owner.post(f"{base(shop)}/messaging/rotate-secret")
    assert response.status_code == 400
    assert not ShopMessagingSettings.objects.exists()


def test_the_webhook_channel_works_once_the_url_is_set(shop, owner, no_plan):
    make_fans(shop, 1)
    shop_settings(shop, webhook_url="https://hooks.example.com/in")
    response = owner.post(f"{base(shop)}/campaigns", body(channels=["webhook"]))
    assert response.status_code == 201, response.content


# --- anonymous -------------------------------------------------------------------------------


def test_anonymous_gets_401_everywhere(shop, reported):
    anon = client_for(None)
    calls = [
        ("get", f"{base(shop)}/campaigns"),
        ("post", f"{base(shop)}/campaigns"),
        ("post", f"{base(shop)}/campaigns/preview"),
        ("get", f"{base(shop)}/campaigns/{reported.pk}"),
        ("post", f"{base(shop)}/campaigns/{reported.pk}/cancel"),
        ("get", f"{base(shop)}/messaging"),
        ("put", f"{base(shop)}/messaging"),
        ("post", f"{base(shop)}/messaging/rotate-secret"),
    ]
    for method, path in calls:
        kwargs = {"content_type": "application/json"} if method == "put" else {}
        response = getattr(anon, method)(path, body() if method != "get" else None, **kwargs)
        assert response.status_code == 401, (method, path, response.status_code)
    reported.refresh_from_db()
    assert reported.status == CampaignStatus.SCHEDULED
    assert Campaign.objects.count() == 1


def test_report_and_list_read_a_fixed_number_of_queries(shop, owner, reported):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert owner.get(path).status_code == 200
        return len(ctx.captured_queries)

    report_path = f"{base(shop)}/campaigns/{reported.pk}"
    list_path = f"{base(shop)}/campaigns"
    before = (queries(report_path), queries(list_path))
    for user in make_fans(shop, 5):
        _recipient(reported, user, variant=2, delivered_at=NOW, opened_at=NOW)
    for _ in range(3):
        make_campaign(shop, variants=2)
    assert (queries(report_path), queries(list_path)) == before
    assert before == (11, 7)  # session and user, shop, campaign, variants, then the figures

"""One owner never sees or changes another's campaigns or settings: her slug with his session,
her campaign id under his slug or on his pages, her segment, tag or listing in his draft —
every endpoint and page answers 404 (or 400 for a draft, never saying whose the id is), and
nothing is written."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.conftest import client_for
from tests.campaigns.kit import make_campaign, make_fans, shop_settings
from tests.factories import make_listing
from vshop.campaigns import tasks
from vshop.campaigns.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CampaignVariant,
    ShopMessagingSettings,
)
from vshop.fans import segments, tags

pytestmark = pytest.mark.django_db

BODY = {"variants": [{"title": "Sale", "text": "Come and see."}]}


@pytest.fixture(autouse=True)
def no_plan(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(tasks, "campaign_plan", calls.append)
    return calls


@pytest.fixture
def hers(shop, product):
    """Her shop's fans, campaign, segment, tag, listing and webhook settings."""
    make_fans(shop, 2)
    return {
        "campaign": make_campaign(shop, status=CampaignStatus.SCHEDULED),
        "segment": segments.segment_create(
            shop=shop, actor=shop.owner, name="All", rule={"op": "and", "conditions": []}
        ),
        "tag": tags.tag_create(shop=shop, name="VIP", rule=None),
        "listing": make_listing(shop, product),
        "settings": shop_settings(shop, per_fan_per_day=1, webhook_url="https://h.example/in"),
    }


@pytest.fixture
def his(other_shop):
    make_fans(other_shop, 1)
    return other_shop


def snapshot(shop) -> tuple[object, ...]:
    settings = ShopMessagingSettings.objects.filter(shop=shop).values_list(
        "per_fan_per_day", "webhook_url", "webhook_secret"
    )
    return (
        Campaign.objects.count(),
        CampaignVariant.objects.count(),
        CampaignRecipient.objects.count(),
        list(Campaign.objects.order_by("pk").values_list("status", "cancelled_at")),
        list(settings),
    )


# --- API -------------------------------------------------------------------------------------


def test_her_slug_with_his_session_is_404_everywhere(shop, hers, his):
    him = client_for(his.owner)
    before = snapshot(shop)
    base = f"/api/shops/{shop.slug}"
    cid = hers["campaign"].pk
    calls = [
        ("get", f"{base}/campaigns", None),
        ("post", f"{base}/campaigns", BODY),
        ("post", f"{base}/campaigns/preview", BODY),
        ("get", f"{base}/campaigns/{cid}", None),
        ("post", f"{base}/campaigns/{cid}/cancel", None),
        ("get", f"{base}/messaging", None),
        ("put", f"{base}/messaging", {"per_fan_per_day": None, "webhook_url": ""}),
        ("post", f"{base}/messaging/rotate-secret", None),
    ]
    for method, path, data in calls:
        kwargs = {"content_type": "application/json"} if method == "put" else {}
        response = getattr(him, method)(path, data, **kwargs)
        assert response.status_code == 404, (method, path, response.content)
        assert response.json()["code"] == "not_found"
    assert snapshot(shop) == before


def test_her_campaign_under_his_slug_is_404(shop, hers, his):
    him = client_for(his.owner)
    before = snapshot(shop)
    cid = hers["campaign"].pk
    assert him.get(f"/api/shops/{his.slug}/campaigns/{cid}").status_code == 404
    assert him.post(f"/api/shops/{his.slug}/campaigns/{cid}/cancel").status_code == 404
    assert him.get(f"/api/shops/{his.slug}/campaigns").json()["count"] == 0
    assert snapshot(shop) == before


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (lambda h: {"audience_kind": "segment", "segment_id": h["segment"].pk}, "segment_id"),
        (lambda h: {"audience_kind": "tag", "tag_id": h["tag"].pk}, "tag_id"),
        (lambda h: {"listing_id": h["listing"].pk}, "listing_id"),
    ],
)
def test_her_segment_tag_or_listing_in_his_draft_is_refused(shop, hers, his, extra, field):
    him = client_for(his.owner)
    before = snapshot(shop)
    for path in ("/campaigns", "/campaigns/preview"):
        response = him.post(f"/api/shops/{his.slug}{path}", {**BODY, **extra(hers)})
        assert response.status_code == 400, response.content
        assert response.json()["field"] == field
    assert snapshot(shop) == before


def test_his_webhook_channel_needs_his_own_url_not_hers(shop, hers, his):
    him = client_for(his.owner)
    response = him.post(f"/api/shops/{his.slug}/campaigns", {**BODY, "channels": ["webhook"]})
    assert response.status_code == 400
    assert response.json()["field"] == "channels"
    assert Campaign.objects.count() == 1


def test_his_preview_counts_only_his_fans(shop, hers, his):
    him = client_for(his.owner)
    response = him.post(f"/api/shops/{his.slug}/campaigns/preview", BODY)
    assert response.status_code == 200
    assert response.json()["audience"] == 1


def test_his_settings_are_his_own(shop, hers, his):
    him = client_for(his.owner)
    data = him.get(f"/api/shops/{his.slug}/messaging").json()
    assert data["webhook_url"] == "" and data["webhook_secret"] is None
    him.put(
        f"/api/shops/{his.slug}/messaging",
        {"per_fan_per_day": None, "webhook_url": ""},
        content_type="application/json",
    )
    hers["settings"].refresh_from_db()
    assert hers["settings"].webhook_url == "https://h.example/in"
    assert hers["settings"].per_fan_per_day == 1


# --- pages -----------------------------------------------------------------------------------


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_her_shop_id_on_his_pages_is_404(shop, hers, his):
    him = logged_in(his.owner)
    before = snapshot(shop)
    for name in ("campaigns:list", "campaigns:new", "campaigns:messaging"):
        assert him.get(reverse(name) + f"?shop={shop.pk}").status_code == 404, name
    assert snapshot(shop) == before


def test_her_campaign_on_his_pages_is_404(shop, hers, his):
    him = logged_in(his.owner)
    before = snapshot(shop)
    cid = hers["campaign"].pk
    assert him.get(reverse("campaigns:detail", args=[cid])).status_code == 404
    assert him.post(reverse("campaigns:cancel", args=[cid])).status_code == 404
    assert (
        him.post(reverse("campaigns:cancel", args=[cid]), HTTP_HX_REQUEST="true").status_code == 404
    )
    assert snapshot(shop) == before
    assert f'data-campaign="{cid}"' not in him.get(reverse("campaigns:list")).content.decode()


@pytest.mark.parametrize(
    "extra",
    [
        lambda h: {"audience": "segment", "segment": str(h["segment"].pk)},
        lambda h: {"audience": "tag", "tag": str(h["tag"].pk)},
        lambda h: {"listing": str(h["listing"].pk)},
    ],
)
def test_her_segment_tag_or_listing_on_his_compose_page_is_refused(shop, hers, his, extra):
    him = logged_in(his.owner)
    before = snapshot(shop)
    data = {
        "title": "Sale",
        "text": "Come",
        "audience": "all",
        "timing": "now",
        "channels": ["inbox"],
        **extra(hers),
    }
    assert him.post(reverse("campaigns:new"), data).status_code == 400
    assert him.post(reverse("campaigns:preview"), data, HTTP_HX_REQUEST="true").status_code == 400
    assert snapshot(shop) == before


def test_his_messaging_page_changes_only_his_settings(settings, shop, hers, his):
    settings.VSHOP_WEBHOOK_ALLOW_PRIVATE = True
    him = logged_in(his.owner)
    html = him.get(reverse("campaigns:messaging")).content.decode()
    assert hers["settings"].webhook_secret not in html
    him.post(
        reverse("campaigns:messaging"),
        {"per_fan_per_day": "", "webhook_url": "http://127.0.0.1:9/his"},
    )
    him.post(reverse("campaigns:messaging_rotate"))
    hers["settings"].refresh_from_db()
    assert hers["settings"].webhook_url == "https://h.example/in"
    assert hers["settings"].webhook_secret == "s3cret"
    assert ShopMessagingSettings.objects.get(shop=his).webhook_url == "http://127.0.0.1:9/his"

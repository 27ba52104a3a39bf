"""The demo's campaigns: Lily's A/B test to all her fans (sent, with a holdout, some fans
opening and clicking it) and AJ's snack offer timed to each fan's best moment in the next 24
hours (planned; the worker delivers its slots as they fall due). Runs after the demo's activity
is rolled up, so the send-time model learns from it first."""

from __future__ import annotations

import random
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vshop.campaigns import delivery, planning, send_time, services, tracking_record
from vshop.campaigns.models import CampaignRecipient, RecipientState, Timing
from vshop.shops.models import Listing, ListingStatus, Shop


def load_campaigns(rng: random.Random, *, shops_by_slug: dict[str, Shop]) -> None:
    send_time.arm_stats_recompute()
    send_time.profiles_recompute()
    with transaction.atomic():
        _lily_sale(rng, shops_by_slug["lily-mama"])
        _aj_best_moment(shops_by_slug["aj-snacks"])


def _lily_sale(rng: random.Random, lily: Shop) -> None:
    listing = (
        Listing.objects.filter(shop=lily, status=ListingStatus.ACTIVE).order_by("position").first()
    )
    # Sent at the last noon in her fans' zone: at any hour the demo loads, it was sent outside
    # their quiet hours, and it has been delivered.
    local_now = timezone.localtime(timezone.now(), ZoneInfo(lily.owner.time_zone))
    noon = local_now.replace(hour=12, minute=0, second=0, microsecond=0)
    if noon > local_now:
        noon -= timedelta(days=1)
    campaign = services.campaign_create(
        lily,
        lily.owner,
        services.CampaignDraft(
            name="秋季新品 Autumn arrivals",
            variants=[
                ("有机棉秋装到了 Organic cotton for autumn", "宝宝的秋装上新啦，老粉享会员价。"),
                (
                    "秋装上新：限时会员价 Member prices this week",
                    "只到周日：会员价再减，先到先得。",
                ),
            ],
            listing_id=listing.pk if listing else None,
            timing=Timing.NOW,
            holdout_percent=10,
        ),
        now=noon,
    )
    planning.campaign_plan(campaign_id=campaign.pk, now=noon)
    delivery.due_slots_deliver()
    now = timezone.now()
    # Some fans read it and some tap through (the second version a little more often).
    for pk, variant in CampaignRecipient.objects.filter(
        campaign=campaign, state=RecipientState.DELIVERED
    ).values_list("pk", "variant"):
        if rng.random() < 0.55:
            tracking_record.recipient_opened(
                recipient_id=pk, at=now - timedelta(minutes=rng.randint(1, 50))
            )
            if rng.random() < (0.25 if variant == 1 else 0.4):
                tracking_record.recipient_clicked(recipient_id=pk)


def _aj_best_moment(aj: Shop) -> None:
    campaign = services.campaign_create(
        aj,
        aj.owner,
        services.CampaignDraft(
            name="周末零食包 Weekend snack box",
            variants=[("周末零食包第二件半价 Second box half price", "追剧必备，周末前下单。")],
            link=f"{settings.VSHOP_SITE_URL}/s/{aj.slug}/",
            timing=Timing.BEST,
        ),
    )
    planning.campaign_plan(campaign_id=campaign.pk)

"""Campaigns API for the shop owner: compose (with a preview), list, report, cancel; her
messaging settings. Thin over ``campaigns.services`` and ``campaigns.selectors``; another
owner's shop or campaign is 404."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import NinjaAPI, Router
from ninja.pagination import paginate
from ninja.responses import Status

from vshop.api import ErrorOut, Id, Page, acting_user
from vshop.campaigns import selectors, services
from vshop.campaigns.audience import Reach
from vshop.campaigns.models import Campaign, ShopMessagingSettings
from vshop.campaigns.schemas import (
    CampaignIn,
    CampaignListOut,
    CampaignOut,
    CampaignReportOut,
    MessagingIn,
    MessagingOut,
    ReachOut,
)
from vshop.campaigns.selectors import Figures
from vshop.campaigns.stats import Comparison
from vshop.shops import selectors as shop_selectors
from vshop.shops.models import Shop

router = Router(tags=["campaigns"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _shop(request: HttpRequest, slug: str) -> Shop:
    return shop_selectors.shop_of_owner(owner=acting_user(request), slug=slug)


def _aware(at: datetime | None, request: HttpRequest) -> datetime | None:
    """A time without an offset is in the acting owner's zone."""
    if at is None or at.tzinfo is not None:
        return at
    try:
        zone = ZoneInfo(acting_user(request).time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    return at.replace(tzinfo=zone)


def _draft(request: HttpRequest, payload: CampaignIn) -> services.CampaignDraft:
    return services.CampaignDraft(
        name=payload.name,
        variants=[(v.title, v.text) for v in payload.variants],
        listing_id=payload.listing_id,
        link=payload.link,
        audience_kind=payload.audience_kind,
        segment_id=payload.segment_id,
        tag_id=payload.tag_id,
        timing=payload.timing,
        send_at=_aware(payload.send_at, request),
        window_start=_aware(payload.window_start, request),
        window_end=_aware(payload.window_end, request),
        channels=list(payload.channels),
        holdout_percent=payload.holdout_percent,
    )


def _reach_out(reach: Reach) -> dict[str, object]:
    return {
        "estimated": reach.estimated,
        "audience": reach.audience,
        "reach": reach.reach,
        "holdout": reach.holdout,
        "held_caps": reach.held_caps,
        "held_quiet": reach.held_quiet,
        "held_optout": reach.held_optout,
    }


def _campaign_out(campaign: Campaign) -> dict[str, object]:
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "status": campaign.status,
        "audience_kind": campaign.audience_kind,
        "audience_label": campaign.audience_label,
        "segment_id": campaign.segment_id,
        "tag_id": campaign.tag_id,
        "listing_id": campaign.listing_id,
        "link": campaign.link,
        "timing": campaign.timing,
        "window_start": campaign.window_start,
        "window_end": campaign.window_end,
        "channels": [str(c) for c in campaign.channels],
        "holdout_percent": campaign.holdout_percent,
        "variants": [
            {"label": v.label, "title": v.title, "text": v.text} for v in campaign.variants.all()
        ],
        "audience_count": campaign.audience_count,
        "planned_count": campaign.planned_count,
        "holdout_count": campaign.holdout_count,
        "held_caps": campaign.held_caps,
        "held_quiet": campaign.held_quiet,
        "held_optout": campaign.held_optout,
        "error": campaign.error,
        "created_at": campaign.created_at,
        "planned_at": campaign.planned_at,
        "finished_at": campaign.finished_at,
        "cancelled_at": campaign.cancelled_at,
    }


def _figures_out(label: str, f: Figures) -> dict[str, object]:
    return {
        "label": label,
        "recipients": f.recipients,
        "delivered": f.delivered,
        "opened": f.opened,
        "clicked": f.clicked,
        "ordered": f.ordered,
        "order_value": f.order_value,
        "open_rate": f.open_rate,
        "click_rate": f.click_rate,
        "order_rate": f.order_rate,
    }


def _comparison_out(c: Comparison | None) -> dict[str, object] | None:
    if c is None:
        return None
    return {
        "winner": c.winner,
        "rate_a": c.rate_a,
        "rate_b": c.rate_b,
        "lift": c.lift,
        "p_value": c.p_value,
        "enough_data": c.enough_data,
        "significant": c.significant,
        "sentence": c.sentence,
    }


def _messaging_out(row: ShopMessagingSettings) -> dict[str, object]:
    caps = selectors.platform_caps()
    return {
        "per_fan_per_day": row.per_fan_per_day,
        "platform_per_shop_per_day": caps.per_shop,
        "platform_per_fan_per_day": caps.per_fan,
        "webhook_url": row.webhook_url,
        "webhook_secret": row.webhook_secret or None,
    }


# --- campaigns -------------------------------------------------------------------------------


@router.get(
    "/{slug}/campaigns",
    response={200: list[CampaignListOut], **ERRORS},
    summary="My campaigns, newest first, with delivered, open and click rates",
)
@paginate(Page)
def campaign_list(request: HttpRequest, slug: str) -> "_ListRows":
    return _ListRows(selectors.campaigns_of_shop(shop=_shop(request, slug)))


class _ListRows:
    """The list as the paginator sees it: counted with one COUNT, and only the page asked
    for is read and given its figures (one GROUP BY over that page's recipients)."""

    def __init__(self, campaigns: QuerySet[Campaign]) -> None:
        self.campaigns = campaigns

    def __len__(self) -> int:
        return self.campaigns.count()

    def __getitem__(self, page: slice) -> list[dict[str, object]]:
        campaigns = list(self.campaigns.prefetch_related("variants")[page])
        figures = selectors.campaign_figures(campaign_ids=[c.pk for c in campaigns])
        rows = []
        for campaign in campaigns:
            f = figures[campaign.pk]
            rows.append(
                {
                    **_campaign_out(campaign),
                    "delivered": f.delivered,
                    "open_rate": f.open_rate,
                    "click_rate": f.click_rate,
                }
            )
        return rows


@router.post(
    "/{slug}/campaigns/preview",
    response={200: ReachOut, **ERRORS},
    summary="How many fans a draft reaches, and why the others are held back (saves nothing)",
)
def campaign_preview(request: HttpRequest, slug: str, payload: CampaignIn) -> dict[str, object]:
    shop = _shop(request, slug)
    reach = services.campaign_preview(shop, acting_user(request), _draft(request, payload))
    return _reach_out(reach)


@router.post(
    "/{slug}/campaigns",
    response={201: CampaignOut, **ERRORS},
    summary="Create a campaign: it is planned at once and sent at its time",
)
def campaign_create(request: HttpRequest, slug: str, payload: CampaignIn) -> Status:
    shop = _shop(request, slug)
    campaign = services.campaign_create(shop, acting_user(request), _draft(request, payload))
    return Status(
        201, _campaign_out(selectors.campaign_of_shop(shop=shop, campaign_id=campaign.pk))
    )


@router.get(
    "/{slug}/campaigns/{campaign_id}",
    response={200: CampaignReportOut, **ERRORS},
    summary="A campaign's report: states, variants, holdout, significance, hours, outbox",
)
def campaign_report(request: HttpRequest, slug: str, campaign_id: Id) -> dict[str, object]:
    shop = _shop(request, slug)
    campaign = selectors.campaign_of_shop(shop=shop, campaign_id=campaign_id)
    report = selectors.campaign_report(campaign=campaign, time_zone=acting_user(request).time_zone)
    return {
        "campaign": _campaign_out(campaign),
        "states": report.states,
        "total": _figures_out("total", report.total),
        "variants": [_figures_out(v.label, v.figures) for v in report.variants],
        "holdout": (
            _figures_out(report.holdout.label, report.holdout.figures) if report.holdout else None
        ),
        "winner": _comparison_out(report.winner),
        "holdout_comparison": _comparison_out(report.holdout_comparison),
        "incremental_order_rate": report.incremental_order_rate,
        "hourly": [
            {"hour": h.hour, "delivered": h.delivered, "opened": h.opened, "clicked": h.clicked}
            for h in report.hourly
        ],
        "outbox": [
            {
                "channel": o.channel,
                "sent": o.sent,
                "failed": o.failed,
                "pending": o.pending,
                "skipped": o.skipped,
            }
            for o in report.outbox
        ],
    }


@router.post(
    "/{slug}/campaigns/{campaign_id}/cancel",
    response={200: CampaignOut, 409: ErrorOut, **ERRORS},
    summary="Cancel a campaign still planning or scheduled (fans not reached yet get nothing)",
)
def campaign_cancel(request: HttpRequest, slug: str, campaign_id: Id) -> dict[str, object]:
    shop = _shop(request, slug)
    services.campaign_cancel(shop, acting_user(request), campaign_id)
    return _campaign_out(selectors.campaign_of_shop(shop=shop, campaign_id=campaign_id))


# --- messaging settings ----------------------------------------------------------------------


@router.get(
    "/{slug}/messaging",
    response={200: MessagingOut, **ERRORS},
    summary="My messaging settings: my daily limit per fan, my webhook",
)
def messaging_get(request: HttpRequest, slug: str) -> dict[str, object]:
    return _messaging_out(selectors.messaging_settings_of(shop=_shop(request, slug)))


@router.put(
    "/{slug}/messaging",
    response={200: MessagingOut, **ERRORS},
    summary="Set my daily limit per fan and my webhook URL (a signing secret is made once)",
)
def messaging_put(request: HttpRequest, slug: str, payload: MessagingIn) -> dict[str, object]:
    shop = _shop(request, slug)
    row = services.shop_messaging_update(
        shop, acting_user(request), payload.per_fan_per_day, payload.webhook_url
    )
    return _messaging_out(row)


@router.post(
    "/{slug}/messaging/rotate-secret",
    response={200: MessagingOut, **ERRORS},
    summary="Make a new webhook signing secret (the old one stops working at once)",
)
def messaging_rotate_secret(request: HttpRequest, slug: str) -> dict[str, object]:
    shop = _shop(request, slug)
    return _messaging_out(services.webhook_secret_rotate(shop, acting_user(request)))


def mount(api: NinjaAPI) -> None:
    """The owner's campaign routes under /shops/{slug}/."""
    api.add_router("/shops", router)

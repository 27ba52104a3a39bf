"""The owner's campaign pages under ``/me/shop/``: her campaigns, composing one with a live
preview, a campaign's report, and her messaging settings.

The compose form is plain HTML: "Preview" is a submit button, so it works without script; with
htmx every change posts the form to the preview view, which swaps in the box. Thin: the form's
text is turned into a ``CampaignDraft`` here, checked and saved by ``campaigns.services``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vshop.accounts.models import User
from vshop.campaigns import selectors, services
from vshop.campaigns.audience import Reach
from vshop.campaigns.models import (
    MAX_HOLDOUT_PERCENT,
    AudienceKind,
    CampaignStatus,
    Channel,
    Timing,
)
from vshop.campaigns.selectors import HourPoint
from vshop.errors import DomainError, ValidationFailed
from vshop.fans.models import Segment, Tag
from vshop.shops.models import Listing, ListingStatus, Shop
from vshop.shops.views import shop_owner_required
from vshop.validation import local_datetime
from vshop.web.auth import acting_user

PAGE_SIZE = 20
CHART_MAX_HOURS = 168
BEST_HOURS_MAX = 7 * 24


def _zone_of(user: User) -> tzinfo:
    try:
        return ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


# --- the compose form <-> a draft --------------------------------------------------------------


def _int(data: QueryDict, name: str, what: str) -> int | None:
    text = data.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise ValidationFailed(_("%(what)s: enter a whole number.") % {"what": what}, field=name)
    return int(text)


def draft_from_form(data: QueryDict, *, zone: tzinfo, now: datetime) -> services.CampaignDraft:
    """The draft the compose form describes; unreadable numbers or dates are a 400 here, the
    rest is the service's to check."""
    variants = [(data.get("title", ""), data.get("text", ""))]
    if data.get("title_b", "").strip() or data.get("text_b", "").strip():
        variants.append((data.get("title_b", ""), data.get("text_b", "")))
    audience_kind = data.get("audience", AudienceKind.ALL)
    timing = data.get("timing", Timing.NOW)
    draft = services.CampaignDraft(
        name=data.get("name", ""),
        variants=variants,
        listing_id=_int(data, "listing", _("Listing")),
        link=data.get("link", ""),
        audience_kind=audience_kind,
        segment_id=(
            _int(data, "segment", _("Segment")) if audience_kind == AudienceKind.SEGMENT else None
        ),
        tag_id=_int(data, "tag", _("Tag")) if audience_kind == AudienceKind.TAG else None,
        timing=timing,
        channels=data.getlist("channels"),
        holdout_percent=_int(data, "holdout", _("Holdout")) or 0,
    )
    if timing == Timing.AT:
        draft.send_at = local_datetime(
            data.get("send_at"), field="send_at", what=_("Send at"), zone=zone
        )
    elif timing == Timing.BEST:
        start = local_datetime(
            data.get("window_start"), field="window_start", what=_("From"), zone=zone
        )
        hours = _int(data, "window_hours", _("Hours"))
        if hours is not None and not 1 <= hours <= BEST_HOURS_MAX:
            raise ValidationFailed(
                _("The sending window is 1 to %(n)s hours long.") % {"n": BEST_HOURS_MAX},
                field="window_hours",
            )
        draft.window_start = start
        if hours is not None:
            draft.window_end = (start or now) + timedelta(hours=hours)
    return draft


def _form_defaults(zone: tzinfo, now: datetime) -> dict[str, object]:
    local = now.astimezone(zone).replace(second=0, microsecond=0)
    return {
        "timing": Timing.NOW,
        "audience": AudienceKind.ALL,
        "channels": [Channel.INBOX.value],
        "holdout": "0",
        "window_start": local.strftime("%Y-%m-%dT%H:%M"),
        "window_hours": str(settings.VSHOP_SEND_WINDOW_HOURS),
        "send_at": (local + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    }


def _form_values(data: QueryDict) -> dict[str, object]:
    values: dict[str, object] = {k: data.get(k, "") for k in data if k != "csrfmiddlewaretoken"}
    values["channels"] = data.getlist("channels")
    return values


def _compose_context(shop: Shop, values: dict[str, object], **extra: object) -> dict[str, object]:
    return {
        "shop": shop,
        "form": values,
        "listings": Listing.objects.filter(shop=shop, status=ListingStatus.ACTIVE)
        .select_related("product")
        .order_by("-is_pinned", "position", "-created_at"),
        "segments": Segment.objects.filter(shop=shop).order_by("name"),
        "tags": Tag.objects.filter(shop=shop).order_by("name"),
        "channel_choices": [(c.value, c.label) for c in Channel],
        "has_webhook": bool(selectors.messaging_settings_of(shop=shop).webhook_url),
        "max_holdout": MAX_HOLDOUT_PERCENT,
        **extra,
    }


@dataclass
class Preview:
    reach: Reach | None = None
    error: str = ""


def _preview(shop: Shop, actor: User, data: QueryDict) -> Preview:
    now = timezone.now()
    try:
        draft = draft_from_form(data, zone=_zone_of(actor), now=now)
        return Preview(reach=services.campaign_preview(shop, actor, draft, now=now))
    except ValidationFailed as exc:
        return Preview(error=exc.message)


# --- campaigns ---------------------------------------------------------------------------------


@shop_owner_required
@require_GET
def campaign_list(request: HttpRequest, shop: Shop) -> HttpResponse:
    """Her campaigns, newest first: status, audience, reach, delivered, open and click rates."""
    page = Paginator(selectors.campaigns_of_shop(shop=shop), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    campaigns = list(page.object_list)
    figures = selectors.campaign_figures(campaign_ids=[c.pk for c in campaigns])
    return render(
        request,
        "campaigns/list.html",
        {
            "shop": shop,
            "page": page,
            "rows": [(c, figures[c.pk]) for c in campaigns],
            "owner_tz": _zone_of(acting_user(request)),
        },
    )


@shop_owner_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest, shop: Shop) -> HttpResponse:
    """The compose form. POST with ``preview`` shows the preview box; otherwise creates."""
    actor = acting_user(request)
    template = "campaigns/new.html"
    if request.method == "GET":
        values = _form_defaults(_zone_of(actor), timezone.now())
        return render(request, template, _compose_context(shop, values))
    values = _form_values(request.POST)
    if "preview" in request.POST:
        preview = _preview(shop, actor, request.POST)
        return render(
            request,
            template,
            _compose_context(shop, values, preview=preview),
            status=400 if preview.error else 200,
        )
    now = timezone.now()
    try:
        draft = draft_from_form(request.POST, zone=_zone_of(actor), now=now)
        campaign = services.campaign_create(shop, actor, draft, now=now)
    except ValidationFailed as exc:
        return render(
            request, template, _compose_context(shop, values, error=exc), status=exc.status
        )
    messages.success(
        request,
        _("Campaign “%(name)s” created: it is being planned now.") % {"name": campaign.name},
    )
    return redirect("campaigns:detail", campaign_id=campaign.pk)


@shop_owner_required
@require_POST
def campaign_preview(request: HttpRequest, shop: Shop) -> HttpResponse:
    """htmx: the preview box for the form as it is now (or what is wrong with it: 400)."""
    preview = _preview(shop, acting_user(request), request.POST)
    return render(
        request,
        "campaigns/_preview.html",
        {"preview": preview},
        status=400 if preview.error else 200,
    )


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    value: int
    series: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


CHART_TOP, CHART_BASE, CHART_LEFT = 10, 130, 6
BAR, GROUP = 6, 22


def _filled(points: list[HourPoint], zone: tzinfo) -> list[HourPoint]:
    """Every hour from the first to the last (zeros between), so the x axis is time."""
    if not points:
        return []
    by_utc = {p.hour.astimezone(UTC): p for p in points}
    first = min(by_utc)
    hours: list[HourPoint] = []
    at = first
    last = max(by_utc)
    while at <= last and len(hours) < CHART_MAX_HOURS:
        hours.append(by_utc.get(at) or HourPoint(at.astimezone(zone), 0, 0, 0))
        at += timedelta(hours=1)
    return hours


def hourly_chart(points: list[HourPoint], zone: tzinfo) -> dict[str, object]:
    """Bars of deliveries, opens and clicks per hour, as SVG coordinates (no JS library)."""
    hours = _filled(points, zone)
    top = max((max(p.delivered, p.opened, p.clicked) for p in hours), default=0) or 1
    scale = (CHART_BASE - CHART_TOP) / top
    bars, ticks = [], []
    # A label every few hours, never closer than about 60 px: "21:00", with the date at the
    # first bar and at each midnight that gets a label.
    every = max(3, -(-len(hours) // 8))
    for i, p in enumerate(hours):
        x0 = CHART_LEFT + i * GROUP
        for k, (series, value) in enumerate(
            (("delivered", p.delivered), ("opened", p.opened), ("clicked", p.clicked))
        ):
            height = round(value * scale, 1)
            bars.append(
                Bar(
                    x=x0 + k * BAR,
                    y=round(CHART_BASE - height, 1),
                    height=height,
                    value=value,
                    series=series,
                )
            )
        if i % every == 0:
            label = p.hour.strftime("%H:00")
            if i == 0 or p.hour.hour < every:
                label = p.hour.strftime("%m-%d ") + label
            ticks.append(Tick(x=x0, label=label))
    return {
        "bars": bars,
        "ticks": ticks,
        "width": CHART_LEFT * 2 + len(hours) * GROUP,
        "height": CHART_BASE + 22,
        "base": CHART_BASE,
        "top": top,
        "hours": len(hours),
    }


@shop_owner_required
@require_GET
def campaign_detail(request: HttpRequest, shop: Shop, campaign_id: int) -> HttpResponse:
    """The report: counts by state, variants with the significance sentence, the holdout's
    lift, the hourly chart, the outbox; cancel while it has not gone out."""
    campaign = selectors.campaign_of_shop(shop=shop, campaign_id=campaign_id)
    actor = acting_user(request)
    zone = _zone_of(actor)
    report = selectors.campaign_report(campaign=campaign, time_zone=str(zone))
    return render(
        request,
        "campaigns/detail.html",
        {
            "shop": shop,
            "campaign": campaign,
            "report": report,
            "chart": hourly_chart(report.hourly, zone),
            "owner_tz": zone,
            "can_cancel": campaign.status in (CampaignStatus.PLANNING, CampaignStatus.SCHEDULED),
            "states": [
                (name, n)
                for name, n in report.states.items()
                if n or name in ("planned", "delivered")
            ],
        },
    )


@shop_owner_required
@require_POST
def campaign_cancel(request: HttpRequest, shop: Shop, campaign_id: int) -> HttpResponse:
    services.campaign_cancel(shop, acting_user(request), campaign_id)
    messages.success(request, _("Campaign cancelled: fans not reached yet will not get it."))
    return redirect("campaigns:detail", campaign_id=campaign_id)


# --- messaging settings ------------------------------------------------------------------------


@shop_owner_required
@require_http_methods(["GET", "POST"])
def messaging(request: HttpRequest, shop: Shop) -> HttpResponse:
    """Her limit per fan per day, her webhook URL and its signing secret."""
    template = "campaigns/messaging.html"
    row = selectors.messaging_settings_of(shop=shop)
    context: dict[str, object] = {
        "shop": shop,
        "row": row,
        "caps": selectors.platform_caps(),
        "cap_value": "" if row.per_fan_per_day is None else str(row.per_fan_per_day),
        "url_value": row.webhook_url,
    }
    if request.method == "GET":
        return render(request, template, context)
    context["cap_value"] = request.POST.get("per_fan_per_day", "")
    context["url_value"] = request.POST.get("webhook_url", "")
    try:
        cap = _int(request.POST, "per_fan_per_day", _("Messages per fan per day"))
        services.shop_messaging_update(
            shop, acting_user(request), cap, request.POST.get("webhook_url", "")
        )
    except DomainError as exc:
        return render(request, template, {**context, "error": exc}, status=exc.status)
    messages.success(request, _("Messaging settings saved."))
    return redirect("campaigns:messaging")


@shop_owner_required
@require_POST
def messaging_rotate(request: HttpRequest, shop: Shop) -> HttpResponse:
    services.webhook_secret_rotate(shop, acting_user(request))
    messages.success(request, _("New secret made: update your receiver, the old one is void."))
    return redirect("campaigns:messaging")

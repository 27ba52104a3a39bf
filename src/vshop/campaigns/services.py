"""Campaign writes: build and check a draft, preview it, create it (planned by the worker),
cancel it; the shop's messaging settings (her cap, her webhook).

Every function takes the shop the caller found with ``shop_of_owner`` and the acting owner; a
shop that is not hers is ``NotFound``. Bad input is ``ValidationFailed`` before anything is
written.
"""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vshop.accounts.models import User
from vshop.campaigns import audience, channels, tasks
from vshop.campaigns.models import (
    LINK_MAX,
    MAX_HOLDOUT_PERCENT,
    MAX_VARIANTS,
    TEXT_MAX,
    TITLE_MAX,
    AudienceKind,
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CampaignVariant,
    Channel,
    RecipientState,
    SendSlot,
    ShopMessagingSettings,
    SlotState,
    Timing,
)
from vshop.errors import Conflict, NotFound, ValidationFailed
from vshop.fans.models import Segment, Tag
from vshop.shops.models import Listing, ListingStatus, Shop

NAME_MAX = 60
AUDIENCE_LABEL_MAX = 100
AT_MAX_AHEAD = timedelta(days=30)
BEST_MAX_LENGTH = timedelta(days=7)
# A "best moment" window may start a little in the past: the form was filled a minute ago.
BEST_START_SLACK = timedelta(minutes=5)

# Active content in a message is refused outright, not silently stripped: the owner should
# know her text was not what fans would see.
_ACTIVE_HTML = re.compile(
    r"<\s*(script|iframe|object|embed)\b"  # elements that run or embed code
    r"|javascript\s*:"  # script URLs
    r"|<[^>]*\son[a-z]+\s*=",  # event handler attributes (onclick=, onerror=, ...)
    re.IGNORECASE,
)


@dataclass
class CampaignDraft:
    """What the owner asks for, as the API or the compose form sent it.

    ``variants`` are (title, text) pairs, A first. Datetimes are aware (the callers turn a
    time in her zone into one). For "best" timing a missing window is now → now +
    ``VSHOP_SEND_WINDOW_HOURS``; a missing end is start + that many hours.
    """

    variants: list[tuple[str, str]]
    name: str = ""
    listing_id: int | None = None
    link: str = ""
    audience_kind: str = AudienceKind.ALL
    segment_id: int | None = None
    tag_id: int | None = None
    timing: str = Timing.NOW
    send_at: datetime | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    channels: list[str] = field(default_factory=lambda: [Channel.INBOX.value])
    holdout_percent: int = 0


# --- cleaning ----------------------------------------------------------------------------------


def _owned(shop: Shop, actor: User) -> None:
    if shop.owner_id != actor.pk:
        raise NotFound()


def clean_text(value: object, *, field: str, what: str, limit: int, one_line: bool) -> str:
    """Plain text from what the owner typed. HTML that could run script (``<script``,
    ``javascript:``, ``on…=`` handlers, ``<iframe>``, ``<object>``, ``<embed>``) is refused with
    a 400; any other tag is stripped to its text (nh3 with no allowed tags, then unescaped, so
    "a < b & c" stays as typed). Then the length is checked on what is left."""
    if not isinstance(value, str):
        value = ""
    if _ACTIVE_HTML.search(value):
        raise ValidationFailed(
            _("%(what)s cannot contain scripts or embedded content; write plain text.")
            % {"what": what},
            field=field,
        )
    text = html.unescape(nh3.clean(value, tags=set()))
    if one_line:
        text = " ".join(text.split())
    else:
        text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
        text = text.strip()
    if not text:
        raise ValidationFailed(_("%(what)s is empty.") % {"what": what}, field=field)
    if len(text) > limit:
        raise ValidationFailed(
            _("%(what)s has %(n)s characters at most (this one has %(has)s).")
            % {"what": what, "n": limit, "has": len(text)},
            field=field,
        )
    return text


def clean_link(value: object) -> str:
    """Empty, or an absolute http(s) URL with a host, ``LINK_MAX`` characters at most."""
    link = value.strip() if isinstance(value, str) else ""
    if not link:
        return ""
    if len(link) > LINK_MAX:
        raise ValidationFailed(
            _("A link has %(n)s characters at most.") % {"n": LINK_MAX}, field="link"
        )
    try:
        parts = urlsplit(link)
        host = parts.hostname
    except ValueError:
        host, parts = None, None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not host
        or any(c.isspace() for c in link)
    ):
        raise ValidationFailed(
            _("The link must be a web address starting with http:// or https://."), field="link"
        )
    return link


def _check_aware(at: datetime | None, field: str) -> datetime | None:
    if at is not None and timezone.is_naive(at):
        raise ValidationFailed(_("Give the time with its time zone."), field=field)
    return at


def _window(draft: CampaignDraft, now: datetime) -> tuple[datetime, datetime]:
    if draft.timing == Timing.NOW:
        return now, now
    if draft.timing == Timing.AT:
        at = _check_aware(draft.send_at, "send_at")
        if at is None:
            raise ValidationFailed(_("Choose when to send it."), field="send_at")
        if at <= now:
            raise ValidationFailed(_("The send time is in the past."), field="send_at")
        if at > now + AT_MAX_AHEAD:
            raise ValidationFailed(
                _("A campaign can be scheduled %(n)s days ahead at most.")
                % {"n": AT_MAX_AHEAD.days},
                field="send_at",
            )
        return at, at
    # Timing.BEST
    start = _check_aware(draft.window_start, "window_start") or now
    end = _check_aware(draft.window_end, "window_end") or start + timedelta(
        hours=settings.VSHOP_SEND_WINDOW_HOURS
    )
    if start < now - BEST_START_SLACK:
        raise ValidationFailed(_("The sending window starts in the past."), field="window_start")
    if start > now + AT_MAX_AHEAD:
        raise ValidationFailed(
            _("A campaign can be scheduled %(n)s days ahead at most.") % {"n": AT_MAX_AHEAD.days},
            field="window_start",
        )
    if end <= start:
        raise ValidationFailed(
            _("The sending window must end after it starts."), field="window_end"
        )
    if end - start > BEST_MAX_LENGTH:
        raise ValidationFailed(
            _("The sending window is %(n)s days long at most.") % {"n": BEST_MAX_LENGTH.days},
            field="window_end",
        )
    return start, end


def _channels(shop: Shop, wanted: list[str]) -> set[str]:
    chosen = set()
    for channel in wanted or []:
        if channel not in Channel.values:
            raise ValidationFailed(
                _("Unknown channel “%(c)s”: choose from %(all)s.")
                % {"c": channel, "all": ", ".join(Channel.values)},
                field="channels",
            )
        chosen.add(channel)
    if not chosen:
        raise ValidationFailed(_("Choose at least one channel."), field="channels")
    if Channel.WEBHOOK in chosen:
        has_url = ShopMessagingSettings.objects.filter(shop=shop).exclude(webhook_url="").exists()
        if not has_url:
            raise ValidationFailed(
                _("Set your webhook URL in the messaging settings before sending through it."),
                field="channels",
            )
    return chosen


def _audience(shop: Shop, draft: CampaignDraft) -> tuple[Segment | None, Tag | None, str]:
    kind = draft.audience_kind
    if kind == AudienceKind.ALL:
        return None, None, str(_("All fans"))
    if kind == AudienceKind.SEGMENT:
        # Another shop's segment looks exactly like one that does not exist.
        segment = (
            Segment.objects.filter(shop=shop, pk=draft.segment_id).first()
            if isinstance(draft.segment_id, int)
            else None
        )
        if segment is None:
            raise ValidationFailed(_("Choose one of your segments."), field="segment_id")
        label = _("Segment: %(name)s") % {"name": segment.name}
        return segment, None, label[:AUDIENCE_LABEL_MAX]
    if kind == AudienceKind.TAG:
        tag = (
            Tag.objects.filter(shop=shop, pk=draft.tag_id).first()
            if isinstance(draft.tag_id, int)
            else None
        )
        if tag is None:
            raise ValidationFailed(_("Choose one of your tags."), field="tag_id")
        label = _("Tag: %(name)s") % {"name": tag.name}
        return None, tag, label[:AUDIENCE_LABEL_MAX]
    raise ValidationFailed(
        _("Choose the audience: %(all)s.") % {"all": ", ".join(AudienceKind.values)},
        field="audience_kind",
    )


# --- campaigns ---------------------------------------------------------------------------------


def campaign_build(
    shop: Shop, actor: User, draft: CampaignDraft, *, now: datetime | None = None
) -> tuple[Campaign, list[CampaignVariant]]:
    """The campaign and its variants, checked and unsaved (``ValidationFailed`` naming the field
    for the first thing wrong). Reads only."""
    _owned(shop, actor)
    now = now or timezone.now()
    if not isinstance(draft.variants, list | tuple) or not draft.variants:
        raise ValidationFailed(_("Write the message: a title and a text."), field="variants")
    if len(draft.variants) > MAX_VARIANTS:
        raise ValidationFailed(
            _("A campaign has %(n)s variants at most.") % {"n": MAX_VARIANTS}, field="variants"
        )
    variants = []
    for number, (title, text) in enumerate(draft.variants, start=1):
        label = "ABCD"[number - 1]
        variants.append(
            CampaignVariant(
                number=number,
                title=clean_text(
                    title,
                    field=f"variants.{number - 1}.title",
                    what=_("The title of variant %(v)s") % {"v": label},
                    limit=TITLE_MAX,
                    one_line=True,
                ),
                text=clean_text(
                    text,
                    field=f"variants.{number - 1}.text",
                    what=_("The text of variant %(v)s") % {"v": label},
                    limit=TEXT_MAX,
                    one_line=False,
                ),
            )
        )
    name = (
        clean_text(draft.name, field="name", what=_("The name"), limit=NAME_MAX, one_line=True)
        if isinstance(draft.name, str) and draft.name.strip()
        else variants[0].title[:NAME_MAX]
    )
    listing = None
    if draft.listing_id is not None:
        listing = Listing.objects.filter(
            shop=shop, pk=draft.listing_id, status=ListingStatus.ACTIVE
        ).first()
        if listing is None:
            raise ValidationFailed(_("Choose one of your listings on sale."), field="listing_id")
    link = clean_link(draft.link)
    segment, tag, audience_label = _audience(shop, draft)
    if draft.timing not in Timing.values:
        raise ValidationFailed(
            _("Choose the timing: %(all)s.") % {"all": ", ".join(Timing.values)}, field="timing"
        )
    start, end = _window(draft, now)
    chosen = _channels(shop, draft.channels)
    holdout = draft.holdout_percent
    if (
        not isinstance(holdout, int)
        or isinstance(holdout, bool)
        or not 0 <= holdout <= MAX_HOLDOUT_PERCENT
    ):
        raise ValidationFailed(
            _("The holdout is 0 to %(n)s percent of the audience.") % {"n": MAX_HOLDOUT_PERCENT},
            field="holdout_percent",
        )
    campaign = Campaign(
        shop=shop,
        created_by=actor,
        name=name,
        listing=listing,
        link=link,
        audience_kind=draft.audience_kind,
        segment=segment,
        tag=tag,
        audience_label=audience_label,
        timing=draft.timing,
        window_start=start,
        window_end=end,
        send_inbox=Channel.INBOX in chosen,
        send_email=Channel.EMAIL in chosen,
        send_webhook=Channel.WEBHOOK in chosen,
        holdout_percent=holdout,
        status=CampaignStatus.PLANNING,
        created_at=now,
    )
    return campaign, variants


def is_ab_test(campaign: Campaign, variant_count: int) -> bool:
    """A holdout or several variants make the campaign a test the report measures."""
    return campaign.holdout_percent > 0 or variant_count > 1


def campaign_preview(
    shop: Shop, actor: User, draft: CampaignDraft, *, now: datetime | None = None
) -> audience.Reach:
    """How many fans the draft reaches and why the others are held back; nothing is saved."""
    now = now or timezone.now()  # one moment for the window and the quiet hours
    campaign, _variants = campaign_build(shop, actor, draft, now=now)
    return audience.campaign_reach(campaign=campaign, now=now)


def _nobody_reachable(reach: audience.Reach) -> ValidationFailed:
    reasons = []
    if reach.held_optout:
        reasons.append(
            _("%(n)s opted out of these channels or muted your shop") % {"n": reach.held_optout}
        )
    if reach.held_caps:
        reasons.append(
            _("%(n)s already got as many messages as their daily limit allows")
            % {"n": reach.held_caps}
        )
    why = "; ".join(reasons) or _("none of them can receive messages")
    return ValidationFailed(
        _("Nobody in this audience can get it: %(why)s.") % {"why": why}, field="audience_kind"
    )


@transaction.atomic
def campaign_create(
    shop: Shop, actor: User, draft: CampaignDraft, *, now: datetime | None = None
) -> Campaign:
    """Save a checked campaign in PLANNING with its variants; the worker plans it after commit
    (``tasks.campaign_plan``). An audience with no fan, or nobody reachable, is a 400."""
    now = now or timezone.now()
    campaign, variants = campaign_build(shop, actor, draft, now=now)
    reach = audience.campaign_reach(campaign=campaign, now=now)
    if reach.audience == 0:
        raise ValidationFailed(_("No fan matches this audience."), field="audience_kind")
    if reach.reach == 0 and reach.holdout == 0:
        raise _nobody_reachable(reach)
    campaign.save()
    for variant in variants:
        variant.campaign = campaign
    CampaignVariant.objects.bulk_create(variants)
    campaign_id = campaign.pk
    transaction.on_commit(lambda: tasks.campaign_plan(campaign_id), robust=True)
    return campaign


@transaction.atomic
def campaign_cancel(
    shop: Shop, actor: User, campaign_id: int, *, now: datetime | None = None
) -> Campaign:
    """Stop a campaign that is planning or scheduled (else 409): the fans not reached yet and
    the slots not delivered yet are cancelled; what was delivered stays. Locks the campaign row,
    which the planner and the delivery job lock too."""
    _owned(shop, actor)
    campaign = Campaign.objects.select_for_update().filter(shop=shop, pk=campaign_id).first()
    if campaign is None:
        raise NotFound()
    if campaign.status not in (CampaignStatus.PLANNING, CampaignStatus.SCHEDULED):
        raise Conflict(
            _("This campaign is %(status)s and can no longer be cancelled.")
            % {"status": campaign.get_status_display().lower()}
        )
    campaign.status = CampaignStatus.CANCELLED
    campaign.cancelled_at = now or timezone.now()
    campaign.save(update_fields=["status", "cancelled_at"])
    CampaignRecipient.objects.filter(campaign=campaign, state=RecipientState.PLANNED).update(
        state=RecipientState.CANCELLED
    )
    SendSlot.objects.filter(campaign=campaign, state=SlotState.PENDING).update(
        state=SlotState.CANCELLED
    )
    return campaign


# --- the shop's messaging settings -------------------------------------------------------------


def _settings_locked(shop: Shop) -> ShopMessagingSettings:
    ShopMessagingSettings.objects.get_or_create(shop=shop)
    return ShopMessagingSettings.objects.select_for_update().get(shop=shop)


@transaction.atomic
def shop_messaging_update(
    shop: Shop, actor: User, per_fan_per_day: int | None, webhook_url: str
) -> ShopMessagingSettings:
    """Her own cap per fan per day (None: the platform's; never above it) and her webhook URL
    (checked by ``channels.webhook_url_check``; empty turns the webhook off). Setting a URL
    the first time makes the signing secret."""
    from vshop.campaigns.selectors import platform_caps

    _owned(shop, actor)
    if per_fan_per_day is not None:
        cap = platform_caps().per_shop
        if isinstance(per_fan_per_day, bool) or not 1 <= per_fan_per_day <= cap:
            raise ValidationFailed(
                _(
                    "Your limit is 1 to %(cap)s messages per fan per day: the platform allows "
                    "%(cap)s."
                )
                % {"cap": cap},
                field="per_fan_per_day",
            )
    url = webhook_url.strip() if isinstance(webhook_url, str) else ""
    if url:
        if len(url) > LINK_MAX:
            raise ValidationFailed(
                _("A webhook URL has %(n)s characters at most.") % {"n": LINK_MAX},
                field="webhook_url",
            )
        url = channels.webhook_url_check(url)
    row = _settings_locked(shop)
    row.per_fan_per_day = per_fan_per_day
    row.webhook_url = url
    if url and not row.webhook_secret:
        row.webhook_secret = secrets.token_hex(32)
    row.save()
    return row


@transaction.atomic
def webhook_secret_rotate(shop: Shop, actor: User) -> ShopMessagingSettings:
    """A new signing secret; the old one stops working at once. Only with a webhook URL set."""
    _owned(shop, actor)
    row = _settings_locked(shop)
    if not row.webhook_url:
        raise ValidationFailed(_("Set a webhook URL first."), field="webhook_url")
    row.webhook_secret = secrets.token_hex(32)
    row.save(update_fields=["webhook_secret", "updated_at"])
    return row

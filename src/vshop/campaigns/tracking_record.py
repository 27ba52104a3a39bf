"""Recording what a fan did with a campaign message: opened (inbox read, email pixel), clicked
(the signed redirect). First time only for the time stamp; each also is fan activity in the
shop (OPEN, CLICK), which the send-time model learns from.

Only DELIVERED recipients count: a held-back or cancelled fan never got the message. The first
time is decided by a conditional UPDATE, so two pixels loading at once record one open."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vshop.campaigns.models import CampaignRecipient, RecipientState
from vshop.errors import NotFound
from vshop.fans import activity
from vshop.fans.models import ActivityKind
from vshop.shops.models import ListingStatus

_MAX_ID = 2**63 - 1


def _activity(*, recipient_id: int, kind: ActivityKind, at: datetime) -> None:
    row = (
        CampaignRecipient.objects.filter(pk=recipient_id)
        .values_list("user_id", "user__time_zone", "campaign__shop_id")
        .first()
    )
    if row is None:
        return
    user_id, time_zone, shop_id = row
    activity.record(
        shop_id=shop_id,
        user_id=user_id,
        kind=kind,
        at=at,
        time_zone=time_zone or activity.DEFAULT_TIME_ZONE,
        ref=recipient_id,
    )


def recipient_opened(*, recipient_id: int, at: datetime | None = None) -> bool:
    """Mark opened (first time only); returns whether it was the first open."""
    at = at or timezone.now()
    first = CampaignRecipient.objects.filter(
        pk=recipient_id, state=RecipientState.DELIVERED, opened_at__isnull=True
    ).update(opened_at=at)
    if first:
        _activity(recipient_id=recipient_id, kind=ActivityKind.OPEN, at=at)
    return bool(first)


def _recipient(recipient_id: int) -> CampaignRecipient:
    recipient = (
        CampaignRecipient.objects.filter(pk=recipient_id)
        .select_related("campaign__shop", "campaign__listing")
        .first()
        if 1 <= recipient_id <= _MAX_ID
        else None
    )
    if recipient is None:
        raise NotFound(_("This link is not valid."))
    return recipient


def recipient_clicked(*, recipient_id: int, at: datetime | None = None) -> str:
    """Mark clicked (and opened) the first time; returns where to go (the campaign's link or
    its listing's page, or the shop's page). An unknown recipient is ``NotFound``."""
    at = at or timezone.now()
    recipient = _recipient(recipient_id)
    first = CampaignRecipient.objects.filter(
        pk=recipient_id, state=RecipientState.DELIVERED, clicked_at__isnull=True
    ).update(clicked_at=at, opened_at=Coalesce("opened_at", at))
    if first:
        _activity(recipient_id=recipient_id, kind=ActivityKind.CLICK, at=at)
    return destination(recipient)


def recipient_destination(*, recipient_id: int) -> str:
    """Where her link goes, recording nothing; an unknown recipient is ``NotFound``."""
    return destination(_recipient(recipient_id))


def destination(recipient: CampaignRecipient) -> str:
    """The campaign's own http(s) link, else its listing's page (while on sale), else the
    shop's page. It comes from the campaign row, never from the request: no open redirect."""
    campaign = recipient.campaign
    link = (campaign.link or "").strip()
    if link and urlsplit(link).scheme in ("http", "https") and urlsplit(link).netloc:
        return link
    shop = campaign.shop
    listing = campaign.listing
    if listing is not None and listing.status == ListingStatus.ACTIVE:
        return reverse("storefront:listing", kwargs={"slug": shop.slug, "listing_id": listing.pk})
    return reverse("storefront:home", kwargs={"slug": shop.slug})

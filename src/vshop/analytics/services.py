"""Writing traffic: one row per new visit. Deciding that a page view starts a visit is
``analytics.visits``' job (a cache key per shop and visitor); this only stores the visit."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vshop.analytics.models import VISIT_CHANNELS, Visit
from vshop.distribution.models import DIRECT
from vshop.errors import ValidationFailed


def report_day(moment: datetime) -> date:
    """The calendar day a moment falls on in the platform's time zone, where reports count days."""
    return timezone.localdate(moment, timezone.get_default_timezone())


def visit_record(
    *,
    shop_id: int,
    shop_owner_id: int,
    visitor_id: str,
    user_id: int | None = None,
    channel: str = DIRECT,
    sharer_id: int | None = None,
    now: datetime | None = None,
) -> Visit | None:
    """Store a visit of a shop (one INSERT). The owner looking at her own shop is not traffic:
    nothing is stored for her and None is returned."""
    if user_id is not None and user_id == shop_owner_id:
        return None
    if channel not in VISIT_CHANNELS:
        raise ValidationFailed(_("Unknown channel."), field="channel")
    now = now or timezone.now()
    return Visit.objects.create(
        shop_id=shop_id,
        visitor_id=visitor_id[:32],
        user_id=user_id,
        channel=channel,
        sharer_id=None if channel == DIRECT else sharer_id,
        created_at=now,
        day=report_day(now),
    )

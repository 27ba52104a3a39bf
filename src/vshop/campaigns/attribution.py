"""Orders a recipient places in the shop within ``VSHOP_CAMPAIGN_ATTRIBUTION_HOURS`` of the
message's slot count for the campaign (the holdout too: that is the test's control)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from vshop.campaigns.models import CampaignRecipient, RecipientState


def orders_paid_attribute(orders: Sequence[Any]) -> int:
    """Called when orders are paid; returns how many were attributed to a campaign.

    Each order goes to the buyer's latest message from that shop (delivered, or held out)
    whose slot fell in the window before the payment: one UPDATE per order, its row found
    through the (user, slot_at) index."""
    window = timedelta(hours=settings.VSHOP_CAMPAIGN_ATTRIBUTION_HOURS)
    attributed = 0
    for order in orders:
        if not getattr(order, "buyer_id", None):
            continue
        paid_at = order.paid_at or timezone.now()
        latest = (
            CampaignRecipient.objects.filter(
                user_id=order.buyer_id,
                slot_at__gte=paid_at - window,
                slot_at__lte=paid_at,
                state__in=[RecipientState.DELIVERED, RecipientState.HOLDOUT],
                campaign__shop_id=order.shop_id,
            )
            .order_by("-slot_at", "-pk")
            .values("pk")[:1]
        )
        attributed += CampaignRecipient.objects.filter(pk__in=latest).update(
            ordered_at=Coalesce(F("ordered_at"), Value(paid_at)),
            order_count=F("order_count") + 1,
            order_value=F("order_value") + order.total,
        )
    return attributed

"""Traffic: one row per visit of a shop, so the owner can see where her visitors come from.

A visit is a visitor's landing on a shop's pages when she was not seen there in the last 30
minutes; the page views inside it are not stored. ``day`` is the visit's calendar day in the
platform's time zone (settings.TIME_ZONE), kept as a column so that the report groups by an
indexed value on every database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vshop.distribution.models import DIRECT, Channel

#: Where a visit came from: a share link's channel, or "direct" (any other landing).
VISIT_CHANNELS = [DIRECT, *Channel.values]


class Visit(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+")
    # The browser's visitor cookie (distribution.visitors): unique visitors are distinct ids.
    visitor_id = models.CharField(max_length=32)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=10, default=DIRECT)
    # Who shared the link she came through (None for direct visits).
    sharer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    day = models.DateField()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [models.Index(fields=["shop", "day"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=VISIT_CHANNELS), name="visit_channel_known"
            ),
            # A direct visit came through no link, so nobody shared it.
            models.CheckConstraint(
                condition=~Q(channel=DIRECT) | Q(sharer__isnull=True),
                name="visit_direct_has_no_sharer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shop_id} {self.day} {self.channel}"

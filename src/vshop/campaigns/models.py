"""Campaigns: a shop's message to a group of its fans, timed to each fan and capped.

- ``Campaign`` and its ``CampaignVariant``s (A/B test; the holdout gets nothing): what is sent,
  to whom (all fans, a saved segment or a tag), when (now, at a time, or each fan's best hour
  in a window), and through which channels.
- ``CampaignRecipient``: the plan, one row per fan of the audience, with her send slot, her
  variant and what happened (delivered, opened, clicked, ordered). ``SendSlot``: one row per
  campaign and slot time, the unit the delivery job works on.
- ``OutgoingMessage``: the outbox of email and webhook sends, written in the same transaction
  as the inbox message, retried with backoff and then recorded as failed.
- ``DailyMessageCount``: marketing messages a fan got per her local day, per shop and in all,
  the frequency caps' ledger. ``MessagingPolicy``: the operator's platform caps;
  ``ShopMessagingSettings``: the owner's lower cap and her outgoing webhook.
- ``FanSendProfile``/``ShopSendProfile``/``SendHourStats``: the send-time model's data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

TITLE_MAX = 60
TEXT_MAX = 500
LINK_MAX = 500
MAX_VARIANTS = 4
MAX_HOLDOUT_PERCENT = 50
HOURS_OF_WEEK = 168


class Timing(models.TextChoices):
    NOW = "now", _("Now")
    AT = "at", _("At a time")
    BEST = "best", _("Each fan's best moment")


class AudienceKind(models.TextChoices):
    ALL = "all", _("All fans")
    SEGMENT = "segment", _("A saved segment")
    TAG = "tag", _("Fans with a tag")


class CampaignStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")
    SCHEDULED = "scheduled", _("Scheduled")  # planned; slots being delivered as they fall due
    DONE = "done", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


class Channel(models.TextChoices):
    INBOX = "inbox", _("In-app inbox")
    EMAIL = "email", pgettext_lazy("channel", "Email")
    WEBHOOK = "webhook", _("Shop webhook")


class Campaign(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="campaigns")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=60)
    listing = models.ForeignKey(
        "shops.Listing",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("listing card"),
    )
    link = models.CharField(_("link"), max_length=LINK_MAX, blank=True)  # http(s) URL
    audience_kind = models.CharField(_("audience"), max_length=10, choices=AudienceKind.choices)
    segment = models.ForeignKey(
        "fans.Segment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    tag = models.ForeignKey(
        "fans.Tag", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The audience in words as it was when planned ("Segment: VIP"), kept if the segment goes.
    audience_label = models.CharField(_("audience"), max_length=100, blank=True)
    timing = models.CharField(_("timing"), max_length=10, choices=Timing.choices)
    # now/at: the send time; best: the window each fan's moment is chosen in (UTC).
    window_start = models.DateTimeField(_("from"))
    window_end = models.DateTimeField(_("until"))
    send_inbox = models.BooleanField(_("in-app inbox"), default=True)
    send_email = models.BooleanField(_("email"), default=False)
    send_webhook = models.BooleanField(_("shop webhook"), default=False)
    holdout_percent = models.PositiveSmallIntegerField(_("holdout (%)"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.PLANNING
    )
    error = models.CharField(max_length=300, blank=True)
    # Counted by the plan: the audience, who is planned, who is held back and why.
    audience_count = models.PositiveIntegerField(default=0)
    planned_count = models.PositiveIntegerField(default=0)
    holdout_count = models.PositiveIntegerField(default=0)
    held_caps = models.PositiveIntegerField(default=0)
    held_quiet = models.PositiveIntegerField(default=0)  # moved to the end of her quiet hours
    held_optout = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    planned_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        indexes = [models.Index(fields=["shop", "-created_at"], name="campaign_shop_new")]
        constraints = [
            models.CheckConstraint(
                condition=Q(holdout_percent__lte=MAX_HOLDOUT_PERCENT), name="campaign_holdout_max"
            ),
            models.CheckConstraint(
                condition=Q(window_end__gte=models.F("window_start")), name="campaign_window"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def channels(self) -> list[str]:
        return [
            channel
            for channel, on in (
                (Channel.INBOX, self.send_inbox),
                (Channel.EMAIL, self.send_email),
                (Channel.WEBHOOK, self.send_webhook),
            )
            if on
        ]


class CampaignVariant(models.Model):
    """One version of the message; fans outside the holdout are split evenly among them."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants")
    number = models.PositiveSmallIntegerField()  # 1 = A, 2 = B, ...
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    text = models.TextField(_("text"), max_length=TEXT_MAX)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="variant_once"),
            models.CheckConstraint(
                condition=Q(number__gte=1, number__lte=MAX_VARIANTS), name="variant_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.label}"

    @property
    def label(self) -> str:
        return "ABCD"[self.number - 1]


class RecipientState(models.IntegerChoices):
    PLANNED = 1, _("Planned")
    DELIVERED = 2, _("Delivered")
    HOLDOUT = 3, _("Holdout")  # in the test's control group: gets nothing, is measured
    CAPPED = 4, _("Held back by caps")
    OPTED_OUT = 5, _("Opted out")  # muted, unsubscribed or left since the plan
    FAILED = 6, _("Failed")
    CANCELLED = 7, _("Cancelled")


class CampaignRecipient(models.Model):
    """One fan in a campaign's plan. ``variant`` 0 is the holdout."""

    id = models.BigAutoField(primary_key=True)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="recipients", db_index=False
    )
    fan_id = models.BigIntegerField()  # fans.ShopFan; no FK, so leaving never scans this table
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    variant = models.PositiveSmallIntegerField(default=1)
    slot_at = models.DateTimeField()
    local_hour = models.PositiveSmallIntegerField()  # hour of the week of slot_at in her zone
    explored = models.BooleanField(default=False)  # an exploring pick of the send-time bandit
    state = models.PositiveSmallIntegerField(
        choices=RecipientState.choices, default=RecipientState.PLANNED
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    ordered_at = models.DateTimeField(null=True, blank=True)
    order_count = models.PositiveSmallIntegerField(default=0)
    order_value = models.PositiveBigIntegerField(default=0)
    inbox_message_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            # A fan is planned once per campaign, so she can never get it twice.
            models.UniqueConstraint(fields=["campaign", "fan_id"], name="recipient_once"),
        ]
        indexes = [
            # The delivery job's batches: the due fans of a slot, in id order.
            models.Index(
                fields=["campaign", "slot_at", "id"],
                condition=Q(state=1),
                name="recipient_due",
            ),
            # Attribution of her orders, the caps' look-ahead, deleting her account.
            models.Index(fields=["user", "slot_at"], name="recipient_user_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.user_id}"


class SlotState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DONE = "done", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class SendSlot(models.Model):
    """The fans of a campaign due at one time: the unit the delivery job works on."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="slots")
    at = models.DateTimeField()
    planned = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=SlotState.choices, default=SlotState.PENDING)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "at"], name="slot_once")]
        indexes = [
            models.Index(fields=["at"], condition=Q(state="pending"), name="slot_due"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} @ {self.at}"


class OutgoingState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")  # claimed; a worker that died here never resends it
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")  # no address, or unsubscribed meanwhile


class OutgoingMessage(models.Model):
    """An email or webhook send of one recipient's message (the outbox)."""

    id = models.BigAutoField(primary_key=True)
    recipient = models.ForeignKey(
        CampaignRecipient, on_delete=models.CASCADE, related_name="outgoing"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    state = models.CharField(
        max_length=10, choices=OutgoingState.choices, default=OutgoingState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "channel"], name="outgoing_once"),
        ]
        indexes = [
            models.Index(
                fields=["channel", "next_try_at"],
                condition=Q(state="pending"),
                name="outgoing_due",
            ),
            # Claimed sends whose worker died: the drain marks them failed after a while.
            models.Index(
                fields=["next_try_at"], condition=Q(state="sending"), name="outgoing_claimed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.recipient_id} {self.state}"


class DailyMessageCount(models.Model):
    """Marketing messages she got on one of her local days: per shop, and ``shop_id`` 0 for
    all shops together. The caps are checked and counted here in the delivery transaction."""

    id = models.BigAutoField(primary_key=True)
    user_id = models.IntegerField()
    day = models.DateField()
    shop_id = models.IntegerField()
    count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "day", "shop_id"], name="daily_count_once")
        ]
        indexes = [models.Index(fields=["day"], name="daily_count_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day} {self.shop_id}: {self.count}"


class MessagingPolicy(models.Model):
    """The operator's platform caps (one row; the defaults come from settings)."""

    per_shop_per_day = models.PositiveSmallIntegerField(
        _("marketing messages per shop per fan per day"), default=1
    )
    per_fan_per_day = models.PositiveSmallIntegerField(
        _("marketing messages per fan per day, all shops"), default=3
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("messaging policy")
        verbose_name_plural = _("messaging policy")

    def __str__(self) -> str:
        return f"{self.per_shop_per_day}/shop, {self.per_fan_per_day}/fan"


class ShopMessagingSettings(models.Model):
    """The owner's lower cap (or none: the platform's) and her signed outgoing webhook."""

    shop = models.OneToOneField(
        "shops.Shop", on_delete=models.CASCADE, related_name="messaging_settings"
    )
    per_fan_per_day = models.PositiveSmallIntegerField(
        _("marketing messages per fan per day"), null=True, blank=True
    )
    webhook_url = models.CharField(_("webhook URL"), max_length=LINK_MAX, blank=True)
    webhook_secret = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shop messaging settings")
        verbose_name_plural = _("shop messaging settings")

    def __str__(self) -> str:
        return str(self.shop_id)


class FanSendProfile(models.Model):
    """Her engagement by hour of the week in her own zone, decayed by age.

    ``hours`` is 168 bytes, each the hour's decayed weight as a share of ``peak`` (0–255), so
    a million fans take 168 MB; ``weight`` is the decayed total the shrinkage needs."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    hours = models.BinaryField(max_length=HOURS_OF_WEEK)
    peak = models.FloatField(default=0)
    weight = models.FloatField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.weight:.1f}"


class ShopSendProfile(models.Model):
    """A shop's fans' engagement by hour of the week (shares summing to 1); ``shop_id`` 0 is
    the platform's. The prior a fan with little history is shrunk toward."""

    shop_id = models.IntegerField(primary_key=True)
    shares = models.JSONField(default=list)  # 168 floats
    weight = models.FloatField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.shop_id}: {self.weight:.1f}"


class SendHourStats(models.Model):
    """The bandit's arms: campaign messages delivered in each hour of the week (her zone) and
    how many were opened or clicked within a day, over the recent weeks (decayed)."""

    local_hour = models.PositiveSmallIntegerField(primary_key=True)
    sends = models.FloatField(default=0)
    responses = models.FloatField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.local_hour}: {self.responses:.0f}/{self.sends:.0f}"

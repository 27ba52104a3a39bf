"""The in-app inbox: one row per notification a person received (an order paid, a campaign)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TITLE_MAX = 120
BODY_MAX = 2000
KIND_MAX = 40
LINK_MAX = 500
WHY_MAX = 200
QUIET_START = 22  # default quiet hours, her local time
QUIET_END = 8


class InboxMessage(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="inbox_messages",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(
        _("kind"), max_length=KIND_MAX, help_text=_("What happened, e.g. order.paid")
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    body = models.TextField(_("body"), max_length=BODY_MAX, blank=True)
    link = models.CharField(
        _("link"), max_length=LINK_MAX, blank=True, help_text=_("A page of this site, e.g. /me/")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # Set once the email went out, so a retried send skips whoever already has it.
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)
    # A shop's marketing message: the shop, why she got it ("You follow …; segment …"), and
    # its campaign recipient row (campaigns.CampaignRecipient), for open tracking.
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    why = models.CharField(_("why you got this"), max_length=WHY_MAX, blank=True)
    campaign_recipient_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")
        indexes = [
            models.Index(
                fields=["recipient", "read_at", "-created_at"], name="inbox_recipient_unread_new"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class MessagePreferences(models.Model):
    """Her quiet hours (local time; no marketing messages from ``quiet_start`` until
    ``quiet_end``; equal hours mean none). Order and payment messages are not held back."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_preferences"
    )
    quiet_start = models.PositiveSmallIntegerField(_("quiet from (hour)"), default=QUIET_START)
    quiet_end = models.PositiveSmallIntegerField(_("quiet until (hour)"), default=QUIET_END)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("message preferences")
        verbose_name_plural = _("message preferences")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quiet_start__lte=23, quiet_end__lte=23), name="quiet_hours"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: quiet {self.quiet_start}-{self.quiet_end}"


class ChannelOptOut(models.Model):
    """She unsubscribed from a channel's marketing messages: of one shop, or of every shop
    (``shop`` empty). Channels: inbox, email, webhook (the shop's own app or WeChat)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_opt_outs"
    )
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("unsubscribe")
        verbose_name_plural = _("unsubscribes")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "shop", "channel"],
                condition=models.Q(shop__isnull=False),
                name="opt_out_shop_once",
            ),
            models.UniqueConstraint(
                fields=["user", "channel"],
                condition=models.Q(shop__isnull=True),
                name="opt_out_all_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel} {self.shop_id or 'all'}"

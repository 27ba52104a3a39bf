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
